"""Minifloat formats ExMy: any exponent/mantissa split, bias, subnormals, special policy.

Layout of a code (most significant first): 1 sign bit, ``exp_bits`` biased exponent,
``man_bits`` mantissa. Facts on the OCP formats are from the OCP OFP8 1.0 and MX 1.0
specifications; the default overflow behaviour of the OCP formats is that of ``ml_dtypes``
0.6 (see ``shared/reference/formats.md``):

* ``SpecialPolicy.IEEE``: the all-ones exponent holds +-inf (mantissa 0) and NaN; overflow
  rounds to inf (``fp8_e5m2``, ``fp16``, ``bf16``).
* ``SpecialPolicy.FN``: no inf; only the all-ones code (per sign) is NaN; overflow beyond the
  rounding range of the largest finite value gives NaN (``fp8_e4m3``: (448, 464] -> 448,
  above -> NaN; inf -> NaN).
* ``SpecialPolicy.NONE``: every code finite; conversion always saturates (``fp6_*``,
  ``fp4_e2m1``).

Rounding is to nearest, ties to even, computed once from the exact input value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats import naming
from hwgen.formats.base import Format, FormatKind, SigExp
from hwgen.formats.fast import encode_lookup, lookup_table
from hwgen.formats.validate import as_bool, as_int, real_array
from hwgen.formats.wide import (
    MAX_TABLE_BITS,
    decode_fields,
    float32_exact,
    is_binary32,
    magcode_value,
    refuse_table,
)

# float64 holds multiples of 2**-1074 below 2**1024 (IEEE 754 binary64).
_F64_EMAX, _F64_LSB_EXP_MIN = 1023, -1074

#: Widest minifloat (``fp32``); formats above 16 bits have no value table (``wide.py``).
MAX_MINIFLOAT_BITS = 32


class SpecialPolicy(enum.StrEnum):
    """Which codes of a minifloat are NaN / infinity."""

    IEEE = "ieee"
    FN = "fn"
    NONE = "none"


@dataclass(frozen=True, eq=True)
class MinifloatFormat(Format):
    """A sign / exponent / mantissa floating-point format of at most 32 bits.

    Formats of more than 16 bits (``fp32``) encode and decode arithmetically; the APIs
    that enumerate codes (``values()``, ``int_values``, ``sig_exp``, ``finite_mask``,
    ``nan_codes``) raise :class:`~hwgen.errors.HwgenError` for them (see
    :mod:`hwgen.formats.wide`).

    Parameters
    ----------
    exp_bits
        Exponent field width, >= 1.
    man_bits
        Mantissa field width, >= 0. ``1 + exp_bits + man_bits`` must be <= 32, and every
        value must be a finite float64 (so ``emax <= 1023``, ``lsb_exp >= -1074``).
    bias
        Exponent bias; ``None`` means ``2**(exp_bits - 1) - 1``.
    subnormals
        When ``False`` codes with a zero exponent field are +-0 and values below the smallest
        normal round to 0 or to it (ties to 0).
    specials
        The special-value policy (:class:`SpecialPolicy`).
    name
        Canonical name (:mod:`hwgen.formats.naming`); derived from the layout when
        empty, checked against it when given.

    Layouts whose values float64 cannot hold exactly are rejected (``values()`` is
    float64): a bias in ``emax_field - 1023 .. 1075 - man_bits``.
    """

    exp_bits: int
    man_bits: int
    bias: int | None = None
    subnormals: bool = True
    specials: SpecialPolicy = SpecialPolicy.IEEE
    name: str = ""
    bits: int = field(init=False)

    def __post_init__(self) -> None:
        for attr in ("exp_bits", "man_bits"):
            object.__setattr__(self, attr, as_int(getattr(self, attr), attr))
        object.__setattr__(self, "subnormals", as_bool(self.subnormals, "subnormals"))
        if self.exp_bits < 1:
            raise HwgenError(f"exp_bits must be >= 1, not {self.exp_bits}")
        if self.man_bits < 0:
            raise HwgenError(f"man_bits must be >= 0, not {self.man_bits}")
        total = 1 + self.exp_bits + self.man_bits
        if total > MAX_MINIFLOAT_BITS:
            raise HwgenError(
                f"a minifloat has at most {MAX_MINIFLOAT_BITS} bits, not {total}"
                f" (1 + exp_bits {self.exp_bits}"
                f" + man_bits {self.man_bits})"
            )
        try:
            policy = SpecialPolicy(self.specials)
        except ValueError:
            allowed = ", ".join(p.value for p in SpecialPolicy)
            raise HwgenError(f"specials must be one of {allowed}, not {self.specials!r}") from None
        object.__setattr__(self, "specials", policy)
        if self.bias is None:
            object.__setattr__(self, "bias", naming.default_bias(self.exp_bits))
        else:
            object.__setattr__(self, "bias", as_int(self.bias, "bias"))
        if policy is SpecialPolicy.IEEE and self.exp_bits < 2:
            raise HwgenError(
                f"specials='ieee' needs exp_bits >= 2 (the top exponent is reserved), "
                f"not {self.exp_bits}"
            )
        if policy is SpecialPolicy.FN and self.exp_bits + self.man_bits < 2:
            raise HwgenError("specials='fn' needs exp_bits + man_bits >= 2")
        object.__setattr__(self, "bits", total)
        self._check_float64_range()
        if not self.name:
            object.__setattr__(self, "name", self.default_name)
        elif self.name != self.default_name:
            # A name is how configs and manifests refer back to the format: it must resolve
            # to this very layout.
            raise HwgenError(
                f"name {self.name!r} does not describe this layout; its name is"
                f" {self.default_name!r} (leave name empty to derive it)"
            )

    def _check_float64_range(self) -> None:
        """Reject layouts whose values float64 cannot hold exactly (``values()`` is float64).

        Every value is a multiple of ``2**lsb_exp`` below ``2**(emax + 1)``; float64 holds
        such values exactly when ``lsb_exp >= -1074`` and ``emax <= 1023``.
        """
        top = self.emax + self.bias  # the largest finite exponent field; emax = top - bias
        lo_bias, hi_bias = top - _F64_EMAX, 1 - self.man_bits - _F64_LSB_EXP_MIN
        if lo_bias > hi_bias:
            raise HwgenError(
                f"exp_bits {self.exp_bits} with man_bits {self.man_bits} spans"
                f" {top + self.man_bits} binades of values, more than float64's"
                f" {_F64_EMAX - _F64_LSB_EXP_MIN + 1}; use at most 11 exponent bits"
            )
        if not lo_bias <= self.bias <= hi_bias:
            raise HwgenError(
                f"bias {self.bias} puts values outside float64's range; with exp_bits"
                f" {self.exp_bits} and man_bits {self.man_bits} the bias must be in"
                f" {lo_bias}..{hi_bias}"
            )

    # ------------------------------------------------------------------ layout facts
    @property
    def kind(self) -> FormatKind:
        return FormatKind.FLOAT

    @property
    def default_name(self) -> str:
        """The canonical name (:mod:`hwgen.formats.naming`): ``get(name)`` gives this layout."""
        return naming.minifloat_name(
            self.exp_bits, self.man_bits, self.bias, self.subnormals, self.specials.value
        )

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal value (``1 - bias``)."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Exponent of the largest finite value."""
        top = (1 << self.exp_bits) - 1
        if self.specials is SpecialPolicy.IEEE:
            top -= 1
        if self.specials is SpecialPolicy.FN and self.man_bits == 0:
            top -= 1
        return top - self.bias

    @property
    def lsb_exp(self) -> int:  # type: ignore[override]
        """Weight of the mantissa LSB of subnormals: ``emin - man_bits``."""
        return self.emin - self.man_bits

    @property
    def _max_magcode(self) -> int:
        """Largest magnitude code (exponent and mantissa fields) with a finite value."""
        full = (1 << (self.exp_bits + self.man_bits)) - 1
        if self.specials is SpecialPolicy.IEEE:
            return full - (1 << self.man_bits)
        if self.specials is SpecialPolicy.FN:
            return full - 1
        return full

    @property
    def default_saturate(self) -> bool:
        """Whether conversion saturates by default (only formats without inf/NaN do)."""
        return self.specials is SpecialPolicy.NONE

    @property
    def _nan_magcode(self) -> int | None:
        if self.specials is SpecialPolicy.IEEE:
            if self.man_bits == 0:
                return None
            return ((1 << self.exp_bits) - 1) << self.man_bits | 1 << (self.man_bits - 1)
        if self.specials is SpecialPolicy.FN:
            return (1 << (self.exp_bits + self.man_bits)) - 1
        return None

    # ------------------------------------------------------------------ value table
    @property
    def code_dtype(self) -> type[np.unsignedinteger]:
        """``uint8`` / ``uint16`` / ``uint32`` by width."""
        return np.uint32 if self.bits > 16 else super().code_dtype

    @property
    def wide(self) -> bool:
        """Whether the format is too wide for a value table (> 16 bits)."""
        return self.bits > MAX_TABLE_BITS

    def _build_values(self) -> npt.NDArray[np.float64]:
        if self.wide:
            raise refuse_table(self, "values()")
        e, m = self.exp_bits, self.man_bits
        codes = np.arange(1 << self.bits, dtype=np.int64)
        sign = np.where(codes >> (e + m) & 1, -1.0, 1.0)
        ef = codes >> m & ((1 << e) - 1)
        mf = codes & ((1 << m) - 1)
        sig, exp = self._fields_to_sig_exp(ef, mf)
        # The reserved top exponent of IEEE layouts may overflow here; it is replaced below.
        with np.errstate(over="ignore"):
            mag = np.ldexp(sig.astype(np.float64), (exp + self.lsb_exp).astype(np.int32))
        vals = sign * mag
        magcode = codes & ((1 << (e + m)) - 1)
        if self.specials is SpecialPolicy.IEEE:
            top = ef == (1 << e) - 1
            vals = np.where(top & (mf == 0), sign * np.inf, vals)
            vals = np.where(top & (mf != 0), np.copysign(np.nan, sign), vals)
        elif self.specials is SpecialPolicy.FN:
            vals = np.where(magcode == (1 << (e + m)) - 1, np.copysign(np.nan, sign), vals)
        return vals

    def _fields_to_sig_exp(
        self, ef: npt.NDArray[np.int64], mf: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Unsigned significand (with implicit bit) and exponent offset of the fields."""
        implicit = (ef > 0).astype(np.int64)
        sig = implicit << self.man_bits | mf
        if not self.subnormals:
            sig = np.where(ef == 0, 0, sig)
        return sig, np.maximum(ef, 1) - 1

    # Scalar facts computed from the fields, so that they exist for wide formats too.
    @cached_property
    def max_value(self) -> float:  # type: ignore[override]
        """Largest finite value."""
        return magcode_value(self, self._max_magcode)

    @cached_property
    def min_value(self) -> float:  # type: ignore[override]
        """Most negative finite value (``-max_value``: the format is sign-magnitude)."""
        return -self.max_value

    @cached_property
    def min_positive(self) -> float:  # type: ignore[override]
        """Smallest positive value: the smallest subnormal, or ``2**emin`` without them."""
        return magcode_value(self, 1 if self.subnormals and self.man_bits else 1 << self.man_bits)

    @cached_property
    def inf_codes(self) -> tuple[int, ...]:  # type: ignore[override]
        """The +inf and -inf codes (IEEE policy), else none."""
        if self.specials is not SpecialPolicy.IEEE:
            return ()
        inf = ((1 << self.exp_bits) - 1) << self.man_bits
        return (inf, inf | 1 << (self.bits - 1))

    @cached_property
    def nan_codes(self) -> tuple[int, ...]:  # type: ignore[override]
        """Every NaN code (refused for wide formats: fp32 has 2**24 - 2)."""
        if self.wide:
            raise refuse_table(self, "nan_codes")
        return super().nan_codes

    @cached_property
    def finite_mask(self) -> npt.NDArray[np.bool_]:  # type: ignore[override]
        """``True`` for codes with a finite value (refused for wide formats)."""
        if self.wide:
            raise refuse_table(self, "finite_mask")
        return super().finite_mask

    @cached_property
    def int_values(self) -> np.ndarray:  # type: ignore[override]
        """Every value as a multiple of ``2**lsb_exp`` (refused for wide formats)."""
        if self.wide:
            raise refuse_table(self, "int_values")
        return super().int_values

    @property
    def canonical_nan(self) -> int | None:
        """The code hwgen produces for NaN: sign clear, quiet (``None`` without NaN codes)."""
        return self._nan_magcode

    def decode(self, codes: npt.ArrayLike, *, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """Value of each code; formats of more than 16 bits decode from their fields.

        A wide format's NaN codes decode to NaN with the code's sign (payload not carried).
        ``dtype=float32`` is allowed when every value is exactly a float32.
        """
        if not self.wide:
            return super().decode(codes, dtype=dtype)
        c = np.asarray(codes)
        if not np.issubdtype(c.dtype, np.integer):
            raise HwgenError(f"codes must be integers, not {c.dtype}")
        if c.size and (int(c.min()) < 0 or int(c.max()) >= (1 << self.bits)):
            raise HwgenError(
                f"code out of range for {self.name}: codes must be in [0, {(1 << self.bits) - 1}]"
            )
        out = decode_fields(self, c)
        if np.dtype(dtype) == np.float32:
            if not float32_exact(self):
                raise HwgenError(f"{self.name} values are not all float32: decode to float64")
            return out.astype(np.float32)
        return out.astype(dtype, copy=False)

    @cached_property
    def sig_exp(self) -> SigExp:  # type: ignore[override]
        """Field decomposition: ``sig = +-(implicit << m | mantissa)``, ``exp = max(E, 1) - 1``."""
        if self.wide:
            raise refuse_table(self, "sig_exp")
        e, m = self.exp_bits, self.man_bits
        codes = np.arange(1 << self.bits, dtype=np.int64)
        ef = codes >> m & ((1 << e) - 1)
        mf = codes & ((1 << m) - 1)
        sig, exp = self._fields_to_sig_exp(ef, mf)
        sig = np.where(codes >> (e + m) & 1, -sig, sig)
        special = ~self.finite_mask
        return SigExp(np.where(special, 0, sig), np.where(special, 0, exp))

    # ------------------------------------------------------------------ conversion
    def encode(self, x: npt.ArrayLike, *, saturate: bool | None = None) -> np.ndarray:
        """Round to the nearest code, ties to even (see :meth:`Format.encode`).

        float32/float64 input of a format with <= 8 bits and few enough mantissa bits goes
        through a proved lookup on the input's bit pattern (:mod:`hwgen.formats.fast`,
        built from :meth:`encode_exact`); any other input is rounded exactly from its
        float64 value.
        """
        sat = self.default_saturate if saturate is None else as_bool(saturate, "saturate")
        arr = real_array(x, f"{self.name}.encode")
        if arr.dtype == np.float32 and not sat and is_binary32(self):
            # float32 into IEEE binary32: the bit pattern is the code (NaN payloads kept).
            return np.ascontiguousarray(arr).view(np.uint32).copy()
        if self.bits <= 8 and arr.dtype in (np.float32, np.float64):
            table = lookup_table(self, arr.dtype, sat)
            if table is not None:
                return encode_lookup(table, arr)
        return self.encode_exact(arr.astype(np.float64, copy=False), saturate=sat)

    def encode_exact(self, x: npt.NDArray[np.float64], *, saturate: bool) -> np.ndarray:
        """Reference conversion from float64, round to nearest even, fully vectorised.

        The magnitude code (exponent and mantissa fields read as one integer) of a value
        ``a >= 2**emin`` is ``(E - emin) * 2**m + rint(a * 2**(m - E))`` with
        ``E = floor(log2 a)``; a mantissa carry lands in the exponent field by itself.
        Below ``2**emin`` the same formula with ``E = emin`` yields the subnormal code.
        """
        e, m = self.exp_bits, self.man_bits
        x = np.asarray(x, dtype=np.float64)
        sign = np.signbit(x)
        a = np.abs(x)
        nan = np.isnan(a)
        inf = np.isinf(a)
        finite_a = np.where(nan | inf, 0.0, a)
        with np.errstate(invalid="ignore", over="ignore"):
            _, fe = np.frexp(finite_a)
            # frexp(0) reports exponent 0: pin zero to the subnormal binade explicitly.
            ex = np.where(finite_a == 0, self.emin, np.maximum(fe.astype(np.int64) - 1, self.emin))
            q = np.rint(np.ldexp(finite_a, (m - ex).astype(np.int32)))
            magcode = (ex - self.emin) * (1 << m) + q.astype(np.int64)
        if not self.subnormals:
            min_normal = np.ldexp(1.0, self.emin)
            magcode = np.where(
                finite_a < min_normal,
                np.where(finite_a > min_normal / 2, 1 << m, 0),
                magcode,
            )
        maxc = self._max_magcode
        over = magcode > maxc
        nan_mc = self._nan_magcode
        if saturate or self.specials is SpecialPolicy.NONE:
            magcode = np.where(over | inf, maxc, magcode)
        elif self.specials is SpecialPolicy.IEEE:
            magcode = np.where(over | inf, ((1 << e) - 1) << m, magcode)
        else:  # FN: out of range and inf become NaN
            magcode = np.where(over | inf, nan_mc, magcode)
        if nan_mc is not None:
            magcode = np.where(nan, nan_mc, magcode)
        else:
            # No NaN code: the zero of the opposite sign, exactly as ml_dtypes 0.6 converts.
            magcode = np.where(nan, 0, magcode)
            sign = np.where(nan, ~sign, sign)
        codes = magcode | sign.astype(np.int64) << (e + m)
        return codes.astype(self.code_dtype)
