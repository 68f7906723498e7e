"""``BitmodPEParams``: the validated arithmetic parameters of one BitMoD-style PE.

Pure Python (no Amaranth import): the golden model, the packer and the hardware generator
all read their widths from here, never restating them. The design layer's
:class:`hwgen.design.bitmod.BitmodPEConfig` (the family config users build) derives from
:class:`BitmodPEParams` and adds the family protocol (ports, manifest facts, ``create()``).

Facts relied on (``shared/reference/bitmod.md``, BitMoD, HPCA 2025): weights are served
bit-serially as terms (sign, 2-bit exponent, 1-bit mantissa, bit-significance); INT8/INT6
use radix-4 Booth (4 / 3 terms, significance stepping by 2), FP3/FP4 two terms from
leading-one detection on the fixed-point value, the ``-0`` code is replaced from a
programmable 4-entry special-value register picked per group by a 2-bit selector; cycles
per weight INT8 4, INT6 3, INT4/INT3/FP4/FP3 2; the group scale is an unsigned INT8
applied bit-serially, one bit per cycle; BitMoD's narrow widths are 14-bit shifted
products with 3 extra bits, a 17-bit adder tree, a 15-bit accumulator mantissa and a
21-bit dequantization mantissa.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache, cached_property
from typing import Any

from hwgen.errors import HwgenError
from hwgen.formats import Format, get_format
from hwgen.formats.base import signed_width

__all__ = [
    "ACC_GUARD_BITS",
    "ACT_FORMATS",
    "DOT_SIZES",
    "DTYPE_BITS",
    "GROUP_FLAG_BITS",
    "MAX_GROUP_SIZE",
    "SCALE_BITS",
    "SEL_BITS",
    "SPECIAL_MAG_BITS",
    "SV_FIELD_BITS",
    "WEIGHT_CODE_BITS",
    "AccRounding",
    "BitmodPEParams",
    "GroupFlag",
    "PEMode",
    "WeightType",
    "check_special_value",
    "default_special_values",
]

#: Activation formats the PE accepts (registry names).
ACT_FORMATS: tuple[str, ...] = ("fp16", "bf16", "fp8_e4m3", "int8")
#: Dot-product widths (lanes per cycle); the adder tree is a balanced binary tree.
DOT_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16)
#: Largest group size (exact-mode widths grow with log2 of it).
MAX_GROUP_SIZE = 4096
#: Width of the unsigned group scale; dequantization takes one cycle per scale bit.
SCALE_BITS = 8
#: Magnitude bits of a special-value register entry (1.4.1 fixed point in code units:
#: 4 integer + 1 fraction bit of the paper's units = 5 integer bits of BitMoD's code units).
SPECIAL_MAG_BITS = 5
#: Term exponent field width (term value = m * 2**e, e in 0..3).
TERM_EXP_BITS = 2
#: Booth digit significance step (radix 4).
_BOOTH_STEP = 2
#: Width of one weight code field of the data stream (every datatype, LSB-aligned).
WEIGHT_CODE_BITS = 8
#: Width of the group datatype code (:attr:`WeightType.code`).
DTYPE_BITS = 3
#: Width of the special-value selector (4 register entries).
SEL_BITS = 2
#: Width of a special-value register entry: sign + :data:`SPECIAL_MAG_BITS` magnitude.
SV_FIELD_BITS = SPECIAL_MAG_BITS + 1
#: Width of the per-group flag word (:class:`GroupFlag`).
GROUP_FLAG_BITS = 4


class PEMode(enum.StrEnum):
    """Arithmetic of the PE datapath (``docs/bitmod.md``, "Arithmetic").

    ``EXACT``: every width holds every bit; a group result equals
    ``sum(a_i * w_i) * scale`` exactly, as a fixed-point integer.
    ``NARROW``: BitMoD-like widths with the named truncation steps
    (lane, alignment, normalisation, dequantization).
    """

    EXACT = "exact"
    NARROW = "narrow"


class AccRounding(enum.StrEnum):
    """Narrow mode: how the accumulator normalisation (``R >> k``) rounds.

    ``FLOOR``: arithmetic shift, BitMoD-like truncation (biased toward -inf).
    ``NEAREST``: round to nearest, ties to even (round bit, sticky bit, LSB; an overflow
    to ``2**(acc - 1)`` renormalises by one more bit, exactly): one incrementer more.
    Ties are frequent here (``k = 1`` drops a single bit), so round-half-up would be
    biased.
    """

    FLOOR = "floor"
    NEAREST = "nearest"


#: Narrow mode: guard bits of the accumulator's alignment window below the mantissa's LSB
#: (window = ``acc_man_bits + guard``, at least the adder tree's width), by rounding. With
#: floor the error is the normalisation's floor bias (about half an accumulator LSB per
#: cycle), so 2 guard bits (window 17 = the tree, for fp16) cost +0.3 % error against 8
#: (measured, ``bench/bench_bitmod_narrow.py``); nearest removes that bias and the
#: alignment floor becomes the error, so it keeps 8 (2 measured 2-7x worse).
ACC_GUARD_BITS: dict[AccRounding, int] = {AccRounding.FLOOR: 2, AccRounding.NEAREST: 8}


class WeightType(enum.StrEnum):
    """A weight datatype the PE serves, with its 3-bit hardware code (``code``)."""

    INT8 = "int8"
    INT6 = "int6"
    INT4 = "int4"
    INT3 = "int3"
    FP4 = "fp4"
    FP3 = "fp3"

    @property
    def code(self) -> int:
        """The value of the 3-bit datatype field (metadata port, packed header)."""
        return _WT_CODE[self]

    @property
    def bits(self) -> int:
        """Bits per stored weight code."""
        return _WT_BITS[self]

    @property
    def is_float(self) -> bool:
        """FP3/FP4 (table decode + leading-one terms); else a two's complement integer."""
        return self in (WeightType.FP4, WeightType.FP3)

    @property
    def cycles(self) -> int:
        """Cycles (terms) per weight: INT8 4, INT6 3, INT4/INT3/FP4/FP3 2."""
        if self.is_float:
            return 2
        # Radix-4 Booth: one digit per 2 bits; INT3 is sign-extended to 4 bits.
        return -(-max(self.bits, 4) // _BOOTH_STEP)

    @property
    def sigmas(self) -> tuple[int, ...]:
        """Bit-significance (left shift) of each term step, in step order.

        Booth digit ``t`` has significance ``2 t``; the FP high term (leading one of bits
        4..1) significance 1, the low term 0.
        """
        if self.is_float:
            return (1, 0)
        return tuple(_BOOTH_STEP * t for t in range(self.cycles))

    @classmethod
    def from_code(cls, code: int) -> WeightType:
        """The type with hardware code ``code``."""
        for wt in cls:
            if wt.code == code:
                return wt
        allowed = ", ".join(f"{w.code} ({w.value})" for w in cls)
        raise HwgenError(f"datatype code must be one of {allowed}, not {code!r}")


_WT_CODE = {
    WeightType.INT8: 0,
    WeightType.INT6: 1,
    WeightType.INT4: 2,
    WeightType.INT3: 3,
    WeightType.FP4: 4,
    WeightType.FP3: 5,
}
_WT_BITS = {
    WeightType.INT8: 8,
    WeightType.INT6: 6,
    WeightType.INT4: 4,
    WeightType.INT3: 3,
    WeightType.FP4: 4,
    WeightType.FP3: 3,
}
#: Magnitude tables (code units, index = code without its sign bit) of the FP types:
#: FP4 = doubled E2M1 {0, 1, 2, 3, 4, 6, 8, 12}, FP3 = {0, 1, 2, 4} (formats.md).
FP_MAGNITUDES: dict[WeightType, tuple[int, ...]] = {
    WeightType.FP4: (0, 1, 2, 3, 4, 6, 8, 12),
    WeightType.FP3: (0, 1, 2, 4),
}


class GroupFlag(enum.IntFlag):
    """Bits of the per-group flag word (``out_flags``).

    ``NAN``/``PINF``/``NINF`` as for hwgen's MACs (``hwgen.golden.specials``): a NaN
    activation, inf x 0, +inf and -inf both seen, or an infinite product scaled by 0 set
    ``NAN``; ``PINF``/``NINF`` record infinite products by sign. ``DTYPE`` marks a group
    whose datatype code names no served type (its weights count as zero).
    """

    NAN = 1
    PINF = 2
    NINF = 4
    DTYPE = 8


@cache
def _act_facts(name: str) -> tuple[int, int]:
    """(unsigned significand width, largest |value| in LSB units) of an activation format.

    Cached: the properties reading it sit on the golden model's per-chunk path, and a
    16-bit format has 65536 codes to scan.
    """
    se = get_format(name).sig_exp
    sig = max(abs(int(s)) for s in se.sig)
    top = max(abs(int(s)) << int(e) for s, e in zip(se.sig, se.exp, strict=True))
    return sig.bit_length(), top


def _popcount(v: int) -> int:
    return bin(v).count("1")


def check_special_value(value: object, what: str = "special value") -> int:
    """Validate one special-value register entry (code units) and return it.

    Allowed: integers with magnitude < 32 and at most two one-bits (the two leading-one
    detectors give exactly two terms), e.g. BitMoD's +-3, +-6 (FP3) and +-10, +-16 (FP4).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f"{what} must be an integer (code units), not {value!r}")
    mag = abs(value)
    if mag >= 1 << SPECIAL_MAG_BITS or _popcount(mag) > 2:
        raise HwgenError(
            f"{what} {value} is not representable: magnitude must be < 32 with at most"
            " two one-bits (e.g. 3, 6, 10, 16, 24)"
        )
    return value


def default_special_values(mixture: str = "bitmod_fp4") -> tuple[int, int, int, int]:
    """The extra (``-0`` code) value of each variant of a BitMoD mixture, by selector.

    ``bitmod_fp4`` gives ``(10, -10, 16, -16)`` and ``bitmod_fp3`` ``(3, -3, 6, -6)``: the
    selector produced by :func:`hwgen.quant.quantize_bitmod` indexes this tuple.
    """
    from hwgen.formats import MixtureFormat, get

    mix = get(mixture)
    if not isinstance(mix, MixtureFormat) or len(mix.variants) != 4:
        raise HwgenError(f"{mixture!r} is not a 4-variant BitMoD mixture (bitmod_fp3, bitmod_fp4)")
    neg_zero = 1 << (mix.bits - 1)
    vals = tuple(int(v.values()[neg_zero]) for v in mix.variants)
    return vals  # type: ignore[return-value]


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f"{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise HwgenError(f"{name} must be in {lo}..{hi}, not {value}")
    return value


def _enum_value(name: str, cls: type[enum.StrEnum], value: object) -> Any:
    # Every member's value is a string, so a non-string can never name one.
    if isinstance(value, str):
        try:
            return cls(value)
        except ValueError:
            pass
    allowed = ", ".join(v.value for v in cls)
    raise HwgenError(f"{name} must be one of {allowed}, not {value!r}")


#: BitMoD's narrow widths (bitmod.md): 3 extra lane bits (14-bit lanes for FP16), 15-bit
#: accumulator mantissa, 21-bit dequantization mantissa.
NARROW_DEFAULTS: dict[str, Any] = {
    "lane_extra_bits": 3,
    "acc_man_bits": 15,
    "dequant_man_bits": 21,
    "acc_rounding": AccRounding.FLOOR,
}


@dataclass(frozen=True, kw_only=True)
class BitmodPEParams:
    """Arithmetic parameters of one bit-serial mixture-of-datatype PE (``docs/bitmod.md``).

    Parameters
    ----------
    dot
        Lanes (weight x activation products) per cycle, one of :data:`DOT_SIZES`.
    act_format
        Activation format, one of :data:`ACT_FORMATS`.
    mode
        :class:`PEMode` (strings accepted); ``exact`` by default.
    group_size
        Weights per group (one datatype, selector and scale each); a multiple of ``dot``,
        at least :attr:`min_group_size`, at most :data:`MAX_GROUP_SIZE`.
    weight_types
        Datatypes served (:class:`WeightType` or their names); all six by default.
    special_values
        Reset contents of the 4-entry special-value register, code units, selector order
        (default: ``bitmod_fp4``'s ``(10, -10, 16, -16)``); see :func:`check_special_value`.
    lane_extra_bits, acc_man_bits, dequant_man_bits
        Narrow mode only (``None`` = BitMoD's 3, 15, 21; 15 and 21 capped at the largest
        allowed width where the datapath is narrower): fraction bits kept below the
        activation significand in each lane, accumulator mantissa width (two's complement),
        dequantization mantissa width (``acc_man_bits <= dequant_man_bits <=
        acc_man_bits + 8``).
    acc_rounding
        Narrow mode only (``None`` = ``floor``): :class:`AccRounding` of the accumulator
        normalisation.

    Raises
    ------
    HwgenError
        One line naming the bad value and what is allowed.
    """

    dot: int = 4
    act_format: str = "fp16"
    mode: PEMode = PEMode.EXACT
    group_size: int = 128
    weight_types: tuple[WeightType, ...] = tuple(WeightType)
    special_values: tuple[int, int, int, int] = (10, -10, 16, -16)
    lane_extra_bits: int | None = None
    acc_man_bits: int | None = None
    dequant_man_bits: int | None = None
    acc_rounding: AccRounding | None = None

    def __post_init__(self) -> None:
        if isinstance(self.dot, bool) or not isinstance(self.dot, int) or self.dot not in DOT_SIZES:
            allowed = ", ".join(map(str, DOT_SIZES))
            raise HwgenError(f"dot must be one of {allowed}, not {self.dot!r}")
        if (
            not isinstance(self.act_format, str)
            or self.act_format.strip().lower() not in ACT_FORMATS
        ):
            raise HwgenError(
                f"act_format must be one of {', '.join(ACT_FORMATS)}, not {self.act_format!r}"
            )
        object.__setattr__(self, "act_format", self.act_format.strip().lower())
        object.__setattr__(self, "mode", _enum_value("mode", PEMode, self.mode))
        self._check_weight_types()
        self._check_group_size()
        sv = self.special_values
        if not isinstance(sv, tuple | list) or len(sv) != 4:
            raise HwgenError(f"special_values must be 4 integers (one per selector), not {sv!r}")
        object.__setattr__(
            self,
            "special_values",
            tuple(check_special_value(v, f"special_values[{i}]") for i, v in enumerate(sv)),
        )
        self._check_narrow()

    def _check_weight_types(self) -> None:
        wts = self.weight_types
        if isinstance(wts, str) or not isinstance(wts, tuple | list) or not wts:
            raise HwgenError(f"weight_types must be a non-empty tuple of datatypes, not {wts!r}")
        resolved = {_enum_value("weight type", WeightType, w) for w in wts}
        # Canonical order (the enum order), no duplicates: equal configs hash equally.
        object.__setattr__(self, "weight_types", tuple(w for w in WeightType if w in resolved))

    def _check_group_size(self) -> None:
        g = self.group_size
        if isinstance(g, bool) or not isinstance(g, int):
            raise HwgenError(f"group_size must be an integer, not {g!r}")
        if g % self.dot:
            raise HwgenError(f"group_size {g} is not a multiple of dot={self.dot}")
        if g < self.min_group_size:
            raise HwgenError(
                f"group_size {g} is too small to hide the {SCALE_BITS}-cycle dequantization:"
                f" needs >= {self.min_group_size} (dot={self.dot}, fastest datatype"
                f" {self.min_cycles} cycles per weight)"
            )
        if g > MAX_GROUP_SIZE:
            raise HwgenError(f"group_size must be <= {MAX_GROUP_SIZE}, not {g}")

    def _check_narrow(self) -> None:
        names = tuple(NARROW_DEFAULTS)
        if self.mode is PEMode.EXACT:
            for n in names:
                if getattr(self, n) is not None:
                    raise HwgenError(f"{n} applies to mode 'narrow' only; leave it unset")
            return
        unset = {n for n in names if getattr(self, n) is None}
        for n in unset:
            object.__setattr__(self, n, NARROW_DEFAULTS[n])
        _check_int("lane_extra_bits", self.lane_extra_bits, 0, 8)
        # Wider than a cycle sum shifted by the largest significance holds no more bits.
        acc_max = self.tree_bits + self.sigma_max
        if "acc_man_bits" in unset:
            # BitMoD's 15 where it fits; a narrower datapath (fp8_e4m3, dot 1: 14) holds
            # every bit at its own maximum, so an unset width never refuses the config.
            object.__setattr__(self, "acc_man_bits", min(int(self.acc_man_bits), acc_max))  # type: ignore[arg-type]
        _check_int("acc_man_bits", self.acc_man_bits, 4, acc_max)
        acc = int(self.acc_man_bits)  # type: ignore[arg-type]
        if "dequant_man_bits" in unset:
            object.__setattr__(
                self,
                "dequant_man_bits",
                min(int(self.dequant_man_bits), acc + SCALE_BITS),  # type: ignore[arg-type]
            )
        _check_int("dequant_man_bits", self.dequant_man_bits, acc, acc + SCALE_BITS)
        object.__setattr__(
            self, "acc_rounding", _enum_value("acc_rounding", AccRounding, self.acc_rounding)
        )

    # ------------------------------------------------------------------ timing facts
    @property
    def min_cycles(self) -> int:
        """Cycles per weight of the fastest served datatype."""
        return min(w.cycles for w in self.weight_types)

    @property
    def max_cycles(self) -> int:
        """Cycles per weight of the slowest served datatype (term-step counter range)."""
        return max(w.cycles for w in self.weight_types)

    @property
    def min_group_size(self) -> int:
        """Smallest group size whose fastest group lasts >= :data:`SCALE_BITS` cycles.

        A group of ``g`` weights takes ``g / dot * cycles`` cycles; the bit-serial
        dequantization of the previous group (one scale bit per cycle) must finish within
        it, so ``g >= dot * ceil(8 / min_cycles)`` (16 for dot 4 with a 2-cycle type).
        """
        return self.dot * -(-SCALE_BITS // self.min_cycles)

    @property
    def beats_per_group(self) -> int:
        """Input beats (``dot`` weights + ``dot`` activations each) per group."""
        return self.group_size // self.dot

    @property
    def cycles_per_weight(self) -> dict[str, int]:
        """Cycles per weight of every served datatype, by name."""
        return {w.value: w.cycles for w in self.weight_types}

    @property
    def macs_per_cycle(self) -> dict[str, float]:
        """Multiply-accumulates per cycle of every served datatype (``dot / cycles``)."""
        return {w.value: self.dot / w.cycles for w in self.weight_types}

    def group_cycles(self, wt: WeightType | str) -> int:
        """Cycles one group of datatype ``wt`` occupies the datapath."""
        return self.beats_per_group * WeightType(wt).cycles

    @property
    def pipeline_depth(self) -> int:
        """Registers between a term step's operands and the accumulator (1: the cycle sum)."""
        return 1

    def group_latency(self, wt: WeightType | str) -> int:
        """Rising edges from the edge accepting a group's last beat to ``out_valid``.

        A beat is taken in its last term step, at the edge that registers that step's cycle
        sum; the dequantizer's load edge does the first of its :data:`SCALE_BITS`
        shift-add steps, and the edge of the last one raises ``out_valid``: ``1 + 8 = 9``
        for every datatype (``wt`` is checked); holds when nothing stalls.
        """
        WeightType(wt)
        return self.pipeline_depth + SCALE_BITS

    # ------------------------------------------------------------------ formats / widths
    @cached_property
    def act(self) -> Format:
        """The activation format object."""
        return get_format(self.act_format)

    @property
    def act_bits(self) -> int:
        """Bits per activation code."""
        return self.act.bits

    @property
    def act_sig_bits(self) -> int:
        """Unsigned significand width (implicit bit included; 8 for int8's |-128|)."""
        return _act_facts(self.act_format)[0]

    @property
    def act_exp_max(self) -> int:
        """Largest activation exponent offset (``sig_exp.exp``; 29 for fp16)."""
        return int(self.act.sig_exp.exp_max)

    @property
    def act_exp_bits(self) -> int:
        """Width of the activation exponent offset (0 for int8)."""
        return self.act_exp_max.bit_length()

    @property
    def act_has_specials(self) -> bool:
        """Whether activations have NaN or infinity codes."""
        return bool(self.act.nan_codes or self.act.inf_codes)

    @property
    def x_max(self) -> int:
        """Largest product exponent ``x = act exp + term exp`` (6 bits for fp16: 32)."""
        return self.act_exp_max + (1 << TERM_EXP_BITS) - 1

    @property
    def x_bits(self) -> int:
        """Width of a product exponent and of the max tree."""
        return max(1, self.x_max.bit_length())

    @property
    def sigma_max(self) -> int:
        """Largest bit-significance shift of the served types (6 with INT8)."""
        return max(max(w.sigmas) for w in self.weight_types)

    @property
    def sigma_bits(self) -> int:
        """Width of the significance field."""
        return max(1, self.sigma_max.bit_length())

    @property
    def lane_frac_bits(self) -> int:
        """Fraction bits of a lane below the max-exponent product's LSB.

        Narrow: ``lane_extra_bits``; exact: ``x_max`` (the largest delta, no bit lost).
        """
        if self.mode is PEMode.NARROW:
            return int(self.lane_extra_bits)  # type: ignore[arg-type]
        return self.x_max

    @property
    def lane_bits(self) -> int:
        """Unsigned width of a shifted lane product (14 for fp16 narrow)."""
        return self.act_sig_bits + self.lane_frac_bits

    @property
    def tree_bits(self) -> int:
        """Signed width of the adder-tree sum (17 for fp16 narrow, dot 4)."""
        return self.lane_bits + 1 + (self.dot - 1).bit_length()

    @property
    def cycle_sum_bits(self) -> int:
        """Signed width of the accumulator's operand window (17 for fp16 narrow, dot 4).

        Narrow: ``max(tree_bits, acc_man_bits + ACC_GUARD_BITS[acc_rounding])`` (17 with
        floor, 23 with nearest); the significance goes into the cycle sum's exponent
        (``et = x_max + sigma``), so the sum is not shifted. Exact: ``tree_bits +
        sigma_max`` (the shifted sum).
        """
        if self.mode is PEMode.NARROW:
            guard = ACC_GUARD_BITS[self.acc_rounding]  # type: ignore[index]
            return max(self.tree_bits, int(self.acc_man_bits) + guard)  # type: ignore[arg-type]
        return self.tree_bits + self.sigma_max

    @property
    def cycle_exp_max(self) -> int:
        """Largest cycle-sum exponent ``et = x_max + sigma`` (narrow mode; 38 for fp16)."""
        return self.x_max + self.sigma_max

    @property
    def w_max_magnitude(self) -> int:
        """Largest weight magnitude any served type can produce (code units).

        INT8 128, INT6 32, INT4 8, INT3 4; FP types 24 (any register value the encoder can
        produce: its two leading one-bits of a 5-bit magnitude).
        """
        mags = []
        for w in self.weight_types:
            mags.append(24 if w.is_float else 1 << (w.bits - 1))
        return max(mags)

    @property
    def act_max_int(self) -> int:
        """Largest |activation| in units of ``2**act.lsb_exp``."""
        return _act_facts(self.act_format)[1]

    @property
    def exact_acc_bits(self) -> int:
        """Exact mode: signed width of the group accumulator (units ``2**act.lsb_exp``)."""
        bound = self.group_size * self.w_max_magnitude * self.act_max_int
        return signed_width(-bound, bound)

    @property
    def acc_bits(self) -> int:
        """Accumulator mantissa width: exact fixed point or the narrow mantissa."""
        if self.mode is PEMode.EXACT:
            return self.exact_acc_bits
        return int(self.acc_man_bits)  # type: ignore[arg-type]

    @property
    def acc_exp_max(self) -> int:
        """Narrow mode: bound on the accumulator exponent (LSB position, lane units).

        A normalised mantissa (``|A| >= 2**(acc-2)``) at exponent ``e`` is worth at least
        ``2**(acc - 2 + e)`` lane units and no group value exceeds the exact bound (plus
        one unit per truncation), so ``e <= bitlen(bound) - acc + 3``; an un-normalised
        one sits at a cycle sum's LSB exponent, at most :attr:`cycle_exp_max`.
        """
        bound = (self.group_size * self.w_max_magnitude * self.act_max_int) << self.lane_frac_bits
        # An un-normalised result keeps the window LSB, which never exceeds a cycle sum's.
        return max(self.cycle_exp_max, bound.bit_length() - self.acc_bits + 3)

    @property
    def acc_exp_bits(self) -> int:
        """Width of the narrow accumulator exponent register (0 in exact mode)."""
        if self.mode is PEMode.EXACT:
            return 0
        return max(1, self.acc_exp_max.bit_length())

    @property
    def out_man_bits(self) -> int:
        """Signed width of ``out_man`` (exact: accumulator + scale bits; narrow: 21)."""
        if self.mode is PEMode.EXACT:
            return self.exact_acc_bits + SCALE_BITS
        return int(self.dequant_man_bits)  # type: ignore[arg-type]

    @property
    def dequant_drop_bits(self) -> int:
        """Narrow: low bits of ``A * scale`` the dequantizer drops (2 by default)."""
        if self.mode is PEMode.EXACT:
            return 0
        return self.acc_bits + SCALE_BITS - self.out_man_bits

    @property
    def out_exp_bits(self) -> int:
        """Width of ``out_exp`` (0 in exact mode: the output is plain fixed point)."""
        if self.mode is PEMode.EXACT:
            return 0
        # out_exp is the accumulator exponent itself (the dropped bits are in out_lsb_exp).
        return max(1, self.acc_exp_max.bit_length())

    @property
    def out_lsb_exp(self) -> int:
        """Group result value = ``out_man * 2**(out_exp + out_lsb_exp)`` (code units).

        Narrow: ``act.lsb_exp - lane_frac_bits + dequant_drop_bits`` (-25 for fp16): the
        lane fraction bits, and the dequantizer's dropped bits (so ``out_exp`` is the
        accumulator exponent as it stands, with no adder).
        """
        if self.mode is PEMode.EXACT:
            return self.act.lsb_exp
        return self.act.lsb_exp - self.lane_frac_bits + self.dequant_drop_bits

    @property
    def name(self) -> str:
        """Stable module name, e.g. ``bitmod_pe_fp16_d4_g128_exact``."""
        parts = [f"bitmod_pe_{self.act_format}_d{self.dot}_g{self.group_size}_{self.mode.value}"]
        if self.weight_types != tuple(WeightType):
            parts.append("_".join(w.value for w in self.weight_types))
        if self.mode is PEMode.NARROW and (
            self.lane_extra_bits,
            self.acc_man_bits,
            self.dequant_man_bits,
        ) != tuple(
            NARROW_DEFAULTS[k] for k in ("lane_extra_bits", "acc_man_bits", "dequant_man_bits")
        ):
            parts.append(f"l{self.lane_extra_bits}a{self.acc_man_bits}q{self.dequant_man_bits}")
        if self.acc_rounding is AccRounding.NEAREST:
            parts.append("rn")
        return "_".join(parts)

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field (enums as strings)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, enum.Enum):
                v = v.value
            elif f.name == "weight_types":
                v = [w.value for w in v]
            elif f.name == "special_values":
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """Field names :meth:`from_dict` accepts."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BitmodPEParams:
        """Rebuild from :meth:`to_dict` output (unknown keys rejected)."""
        if not isinstance(d, Mapping):
            raise HwgenError(f"a BitMoD PE config must be a mapping, not {type(d).__name__}")
        unknown = sorted(set(d) - set(cls.keys()))
        if unknown:
            raise HwgenError(
                f"unknown BitMoD PE config keys: {', '.join(map(str, unknown))};"
                f" allowed: {', '.join(cls.keys())}"
            )
        kw = dict(d)
        for k in ("weight_types", "special_values"):
            if isinstance(kw.get(k), list):
                kw[k] = tuple(kw[k])
        return cls(**kw)

    # ------------------------------------------------------------------ run-time checks
    def check_weight_type(self, wt: object) -> WeightType:
        """``wt`` as a served :class:`WeightType` (one-line error otherwise)."""
        w = _enum_value("weight type", WeightType, wt)
        if w not in self.weight_types:
            served = ", ".join(x.value for x in self.weight_types)
            raise HwgenError(f"weight type {w.value} is not served by this PE (served: {served})")
        return w
