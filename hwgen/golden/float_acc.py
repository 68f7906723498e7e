"""Floating-point accumulation for a MAC: the accumulator holds a minifloat code.

Per cycle, with ``p`` the exact product of that cycle's ``a`` and ``w`` (from
:mod:`hwgen.golden.products`, the same products the fixed-point MAC adds) and ``round`` one
round-to-nearest-even into the accumulator format (:class:`FloatAccSpec`):

==========  ==========  ===========================================================
``valid``   ``clear``   accumulator code
==========  ==========  ===========================================================
1           1           ``round(p)`` (fused) / ``P`` (unfused), the product's own sign
1           0           ``round(acc + p)`` (fused) / ``round(acc + P)`` (unfused)
0           1           ``+0``
0           0           hold
==========  ==========  ===========================================================

``P = round(p)``: in ``unfused`` mode the product is first rounded to the accumulator
format, then added and rounded again (two roundings); ``fused`` adds the exact product and
rounds once, as an FMA does. The state starts at ``+0`` (reset).

Special values (IEEE 754 for ``ieee`` formats): a NaN product (NaN operand, ``inf x 0``)
or accumulator gives NaN; ``inf + -inf`` gives NaN; otherwise an infinite operand gives
that infinity; overflow after rounding gives +-inf. An exact zero sum is ``+0`` unless both
operands are negative zeros. A non-zero result that rounds (or flushes) to zero keeps its
sign. Every NaN produced is the format's canonical NaN (:attr:`MinifloatFormat.canonical_nan`,
sign clear). ``fn`` formats (no inf): an infinite product, ``inf - inf`` and overflow give
NaN. ``none`` formats (no NaN, no inf): overflow saturates to +-max; products that can be
special are rejected. Subnormal handling (:class:`Subnormals`): ``keep`` rounds onto the
format's own grid (gradual underflow); ``flush`` rounds with the normal precision at every
exponent and replaces a result below the smallest normal by a zero of the result's sign.

Vectorised over every leading axis (independent accumulations); the loop runs over the
last axis (cycles), so pass many lanes at once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from hwgen._validate import check_enum, check_type
from hwgen.errors import HwgenError
from hwgen.formats import Format, MinifloatFormat, SpecialPolicy, get
from hwgen.formats.table import MixtureFormat
from hwgen.golden import _float_arith as fa
from hwgen.golden._operands import as_codes, as_flags, resolve_format
from hwgen.golden.product_spec import product_spec
from hwgen.golden.products import Multiplier, product_terms
from hwgen.golden.specials import Flag

#: Widest mantissa a float accumulator may have (the int64 model and the adder window).
MAX_ACC_MAN_BITS = 30


class AccRounding(enum.StrEnum):
    """How a product enters a float accumulator."""

    FUSED = "fused"
    UNFUSED = "unfused"


class Subnormals(enum.StrEnum):
    """Subnormal results of a float accumulator: kept (gradual underflow) or flushed."""

    KEEP = "keep"
    FLUSH = "flush"


@dataclass(frozen=True, kw_only=True)
class FloatAccSpec:
    """A floating-point accumulator: format, rounding mode and subnormal handling.

    Parameters
    ----------
    format
        Registry name of a minifloat (``fp32``, ``fp16``, ``bf16``, any ``fpN_eXmY``),
        stored in canonical spelling; at most :data:`MAX_ACC_MAN_BITS` mantissa bits. An
        ``ieee`` format needs a NaN code (``man_bits >= 1``).
    rounding
        :class:`AccRounding` (strings accepted).
    subnormals
        :class:`Subnormals`; ``flush`` needs a format with subnormals.

    Raises
    ------
    HwgenError
        One line naming the bad value and what is allowed.
    """

    format: str
    rounding: AccRounding = AccRounding.FUSED
    subnormals: Subnormals = Subnormals.KEEP

    def __post_init__(self) -> None:
        if not isinstance(self.format, str):
            raise HwgenError(f"accumulator format must be a format name, not {self.format!r}")
        fmt = get(self.format)
        if isinstance(fmt, MixtureFormat) or not isinstance(fmt, MinifloatFormat):
            raise HwgenError(
                f"accumulator format {self.format!r} is {fmt.kind}; a float accumulator needs"
                " a minifloat (fp32, fp16, bf16, fpN_eXmY)"
            )
        if fmt.man_bits > MAX_ACC_MAN_BITS:
            raise HwgenError(
                f"accumulator format {fmt.name} has {fmt.man_bits} mantissa bits; at most"
                f" {MAX_ACC_MAN_BITS} are supported"
            )
        if fmt.specials is SpecialPolicy.IEEE and fmt.canonical_nan is None:
            raise HwgenError(
                f"accumulator format {fmt.name} has infinities but no NaN code (inf - inf);"
                " choose a format with man_bits >= 1"
            )
        object.__setattr__(self, "format", fmt.name)
        object.__setattr__(self, "rounding", check_enum("rounding", AccRounding, self.rounding))
        sub = check_enum("subnormals", Subnormals, self.subnormals)
        object.__setattr__(self, "subnormals", sub)
        if sub is Subnormals.FLUSH and not fmt.subnormals:
            raise HwgenError(
                f"subnormals='flush' needs a format with subnormals; {fmt.name} has none"
                " (use 'keep')"
            )

    @cached_property
    def fmt(self) -> MinifloatFormat:
        """The accumulator format object."""
        f = get(self.format)
        assert isinstance(f, MinifloatFormat)
        return f

    @property
    def flush(self) -> bool:
        """Whether subnormal results are flushed to zero."""
        return self.subnormals is Subnormals.FLUSH

    @property
    def fused(self) -> bool:
        """Whether the exact product is added (one rounding per step)."""
        return self.rounding is AccRounding.FUSED

    @property
    def cut_points(self) -> tuple[str, ...]:
        """Where the hardware may put pipeline registers, closest to the loop first.

        The accumulation loop itself is one cycle (``hwgen.rtl.common.fpacc``); the
        registers go after product normalisation (``normalised``), after the multiplier
        (``input``) and, unfused, after the product's rounding (``rounded``). The number of
        cut points is the most ``stages`` a float-accumulating MAC takes.
        """
        if self.fused:
            return ("normalised", "input")
        return ("rounded", "normalised", "input")

    def check_products(self, a_format: str | Format, w_format: str | Format) -> None:
        """Raise when ``a x w`` products can be NaN / inf but the format has no such codes."""
        a = resolve_format(a_format, role="a_format")
        w = resolve_format(w_format, role="w_format")
        if self.fmt.specials is SpecialPolicy.NONE and product_spec(a, w).specials:
            raise HwgenError(
                f"accumulator format {self.format} has no NaN or inf codes, but {a.name} x"
                f" {w.name} products can be NaN or infinite; choose a format with specials"
            )

    def to_dict(self) -> dict[str, str]:
        """``{"format", "rounding", "subnormals"}`` as strings (the manifest's keys)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FloatAccSpec:
        """Build from :meth:`to_dict` output; unknown keys are rejected."""
        allowed = tuple(f.name for f in fields(cls))
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise HwgenError(
                f"unknown float accumulator keys: {', '.join(unknown)}; allowed: "
                + ", ".join(allowed)
            )
        if "format" not in d:
            raise HwgenError("float accumulator is missing required key: format")
        return cls(**dict(d))


@dataclass(frozen=True)
class FloatMacTrace:
    """Accumulator codes after each cycle (shape of the inputs) and the spec they follow."""

    acc: np.ndarray
    spec: FloatAccSpec

    def values(self) -> npt.NDArray[np.float64]:
        """The accumulator values as float64 (exact)."""
        return self.spec.fmt.decode(self.acc)


@dataclass(frozen=True)
class _Operand:
    """Unpacked operands: class flags and the finite part ``(-1)**neg * mag * 2**exp``."""

    nan: npt.NDArray[np.bool_]
    inf: npt.NDArray[np.bool_]
    neg: npt.NDArray[np.bool_]
    mag: npt.NDArray[np.int64]
    exp: npt.NDArray[np.int64]


def unpack(fmt: MinifloatFormat, codes: npt.NDArray[np.int64]) -> _Operand:
    """Decompose accumulator codes into class flags, sign, significand and exponent."""
    e, m = fmt.exp_bits, fmt.man_bits
    c = np.asarray(codes, dtype=np.int64)
    ef = (c >> m) & ((1 << e) - 1)
    mf = c & ((1 << m) - 1)
    sig = ((ef > 0).astype(np.int64) << m) | mf
    if not fmt.subnormals:
        sig = np.where(ef == 0, 0, sig)
    false = np.zeros(c.shape, dtype=bool)
    nan, inf = false, false
    if fmt.specials is SpecialPolicy.IEEE:
        top = ef == (1 << e) - 1
        nan, inf = top & (mf != 0), top & (mf == 0)
    elif fmt.specials is SpecialPolicy.FN:
        nan = (c & ((1 << (e + m)) - 1)) == (1 << (e + m)) - 1
    special = nan | inf
    return _Operand(
        nan=nan,
        inf=inf,
        neg=((c >> (e + m)) & 1) == 1,
        mag=np.where(special, 0, sig),
        exp=np.maximum(ef, 1) - 1 + fmt.lsb_exp,
    )


def _special_codes(fmt: MinifloatFormat) -> tuple[int, int, int]:
    """Canonical NaN, +inf and -inf codes (-1 where the format has none)."""
    nan = fmt.canonical_nan if fmt.canonical_nan is not None else -1
    if fmt.specials is SpecialPolicy.IEEE:
        pinf, ninf = fmt.inf_codes
        return nan, pinf, ninf
    return nan, -1, -1


def _resolve(
    spec: FloatAccSpec, nan: np.ndarray, inf: np.ndarray, inf_neg: np.ndarray, finite: np.ndarray
) -> np.ndarray:
    """Combine special-value outcomes with the finite result codes."""
    fmt = spec.fmt
    nan_c, pinf_c, ninf_c = _special_codes(fmt)
    if fmt.specials is not SpecialPolicy.IEEE:
        nan = nan | inf  # no infinity code: an infinite result is NaN (fn)
        inf = np.zeros_like(inf)
    out = np.where(inf, np.where(inf_neg, ninf_c, pinf_c), finite)
    return np.where(nan, nan_c, out)


def round_products(
    spec: FloatAccSpec,
    neg: npt.NDArray[np.bool_],
    mag: npt.NDArray[np.int64],
    exp: npt.NDArray[np.int64],
    flags: npt.NDArray[np.uint8],
) -> npt.NDArray[np.int64]:
    """Each exact product rounded once to the accumulator format (its code)."""
    fmt = spec.fmt
    finite = fa.round_to_code(fmt, spec.flush, neg, mag, exp, neg)
    f = np.asarray(flags)
    return _resolve(
        spec, (f & Flag.NAN) != 0, (f & (Flag.PINF | Flag.NINF)) != 0, (f & Flag.NINF) != 0, finite
    )


def add_round(spec: FloatAccSpec, x: _Operand, y: _Operand) -> npt.NDArray[np.int64]:
    """``round(x + y)`` with special values, as accumulator codes."""
    nan = x.nan | y.nan | (x.inf & y.inf & (x.neg != y.neg))
    inf = (x.inf | y.inf) & ~nan
    inf_neg = np.where(x.inf, x.neg, y.neg)
    neg, mag, exp, zero_neg = fa.add(x.neg, x.mag, x.exp, y.neg, y.mag, y.exp)
    finite = fa.round_to_code(spec.fmt, spec.flush, neg, mag, exp, zero_neg)
    return _resolve(spec, nan, inf, inf_neg, finite)


def product_operand(
    spec: FloatAccSpec,
    *,
    sig: npt.ArrayLike,
    exp: npt.ArrayLike,
    neg: npt.ArrayLike,
    flags: npt.ArrayLike,
) -> _Operand:
    """Exact products ``|sig| * 2**exp`` as the addend the accumulator adds (any shape).

    ``fused``: the exact product; ``unfused``: the product rounded once into the
    accumulator format (:func:`round_products`), as the hardware's product rounder does.
    ``neg`` gives zero products their sign; ``flags`` the special-value word (0: finite).
    """
    pmag = np.abs(np.asarray(sig, dtype=np.int64))
    pexp = np.asarray(exp, dtype=np.int64)
    pneg = np.asarray(neg, dtype=bool)
    f = np.asarray(flags, dtype=np.uint8)
    if spec.fused:
        pnan = (f & Flag.NAN) != 0
        pinf = (f & (Flag.PINF | Flag.NINF)) != 0
        return _Operand(nan=pnan, inf=pinf & ~pnan, neg=pneg, mag=pmag, exp=pexp)
    return unpack(spec.fmt, round_products(spec, pneg, pmag, pexp, f))


def float_acc_step(
    spec: FloatAccSpec,
    state: npt.NDArray[np.int64],
    product: _Operand,
    *,
    valid: npt.ArrayLike,
    clear: npt.ArrayLike,
) -> npt.NDArray[np.int64]:
    """One clock of the accumulator for every lane: the next state codes (table above).

    ``state`` holds accumulator codes (int64, any shape); ``product`` is
    :func:`product_operand` of this cycle's products, ``valid`` / ``clear`` the control
    bits, all of the state's shape. :func:`float_acc_trace` is this step over cycles.
    """
    fmt = spec.fmt
    v = np.asarray(valid, dtype=bool)
    c = np.asarray(clear, dtype=bool)
    sign_bit = np.int64(1) << (fmt.bits - 1)
    # clear with valid: start from a zero of the product's own sign, so that the
    # result is round(p) exactly (including -0 for a negative zero product).
    x_code = np.where(c, np.where(product.neg, sign_bit, 0), state)
    res = add_round(spec, unpack(fmt, x_code), product)
    return np.where(v, res, np.where(c, 0, state))


def _product_signs(
    a_fmt: Format, a_idx: np.ndarray, w_fmt: Format, w_idx: np.ndarray
) -> npt.NDArray[np.bool_]:
    """Sign of each product: XOR of the operands' sign bits (gives zero products a sign)."""
    a_neg = np.signbit(a_fmt.values())[a_idx]
    w_neg = np.signbit(w_fmt.values())[w_idx]
    return a_neg ^ w_neg


def float_mac_trace(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
    valid: npt.ArrayLike,
    clear: npt.ArrayLike,
    *,
    spec: FloatAccSpec,
    multiplier: Multiplier = Multiplier.EXACT,
) -> FloatMacTrace:
    """Model a MAC with a float accumulator over cycles (semantics in the module docstring).

    Parameters
    ----------
    a_format, w_format
        Operand formats (registry names or objects, at most 16 bits).
    a_codes, w_codes, valid, clear
        Arrays of one shape ``(..., cycles)``: every leading index is an independent
        accumulation (a lane), the last axis is time. 1-D is one lane.
    spec
        The accumulator.
    multiplier
        Exact products or L-Mul.

    Returns
    -------
    FloatMacTrace
        The accumulator code after each cycle, same shape, ``spec.fmt.code_dtype``.
    """
    check_type("spec", spec, FloatAccSpec)
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    spec.check_products(a_fmt, w_fmt)
    a_idx = as_codes(a_fmt, a_codes, role="a_codes")
    w_idx = as_codes(w_fmt, w_codes, role="w_codes")
    v = as_flags(valid, role="valid")
    c = as_flags(clear, role="clear")
    shapes = {a_idx.shape, w_idx.shape, v.shape, c.shape}
    if len(shapes) != 1 or a_idx.ndim < 1:
        raise HwgenError(
            "a_codes, w_codes, valid and clear must share one shape (..., cycles), not "
            f"{a_idx.shape}, {w_idx.shape}, {v.shape}, {c.shape}"
        )
    shape = a_idx.shape
    cycles = shape[-1]
    a2, w2 = a_idx.reshape(-1, cycles), w_idx.reshape(-1, cycles)
    v2, c2 = v.reshape(-1, cycles), c.reshape(-1, cycles)
    t = product_terms(a_fmt, a2, w_fmt, w2, multiplier)
    pneg = _product_signs(a_fmt, a2, w_fmt, w2)
    acc = float_acc_trace(
        spec, sig=t.sig, exp=t.shift + t.lsb_exp, neg=pneg, flags=t.flags, valid=v2, clear=c2
    )
    return FloatMacTrace(acc=acc.reshape(shape), spec=spec)


def float_acc_trace(
    spec: FloatAccSpec,
    *,
    sig: npt.ArrayLike,
    exp: npt.ArrayLike,
    neg: npt.ArrayLike,
    flags: npt.ArrayLike,
    valid: npt.ArrayLike,
    clear: npt.ArrayLike,
) -> np.ndarray:
    """The accumulator over cycles for given exact products (the product interface).

    Parameters
    ----------
    spec
        The accumulator.
    sig, exp
        Products ``sig * 2**exp`` (``sig`` signed int64, ``|sig| < 2**33``; ``exp`` the
        weight exponent of its LSB), shape ``(lanes, cycles)``.
    neg
        The products' signs (used for zero products).
    flags
        Special-value flag words (:class:`~hwgen.golden.specials.Flag`); 0 for finite.
    valid, clear
        Control bits, same shape.

    Returns
    -------
    numpy.ndarray
        Accumulator codes after each cycle, ``(lanes, cycles)``, ``spec.fmt.code_dtype``.
    """
    sig = np.asarray(sig, dtype=np.int64)
    if sig.ndim != 2:
        raise HwgenError(f"products must have shape (lanes, cycles), not {sig.shape}")
    lanes, cycles = sig.shape
    v2 = np.asarray(valid, dtype=bool)
    c2 = np.asarray(clear, dtype=bool)
    f = np.asarray(flags, dtype=np.uint8)
    pneg = np.asarray(neg, dtype=bool)
    pmag = np.abs(sig)
    pexp = np.asarray(exp, dtype=np.int64)
    fmt = spec.fmt
    prod = product_operand(spec, sig=pmag, exp=pexp, neg=pneg, flags=f)
    state = np.zeros(lanes, dtype=np.int64)
    out = np.empty((lanes, cycles), dtype=np.int64)
    for k in range(cycles):
        y = _Operand(*(getattr(prod, name)[:, k] for name in ("nan", "inf", "neg", "mag", "exp")))
        state = float_acc_step(spec, state, y, valid=v2[:, k], clear=c2[:, k])
        out[:, k] = state
    return out.astype(fmt.code_dtype)
