"""The contract every number format fulfils.

A format is a frozen, validated object. It owns its bit layout, its value table (one
float64 per code) and its conversions. Everything else in hwgen -- the golden model, the
hardware generators, the manifest and the cost model -- reads these attributes and never
retypes a width, bias or value set.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from functools import cached_property

import numpy as np
import numpy.typing as npt


class FormatKind(enum.StrEnum):
    """What family a format belongs to (selects the hardware decoder)."""

    INT = "int"
    FLOAT = "float"
    TABLE = "table"


class Format(ABC):
    """A number format with ``2**bits`` codes.

    Codes are unsigned integers in ``[0, 2**bits)``: the raw bit pattern (two's complement
    patterns for signed integers). ``values()[code]`` is the exact value of a code as
    float64 (NaN / +-inf for special codes).

    Subclasses are frozen dataclasses; they implement :meth:`_build_values` and
    :meth:`encode` and may override :meth:`decode` for speed.
    """

    name: str
    bits: int

    @property
    @abstractmethod
    def kind(self) -> FormatKind:
        """The format family."""

    @abstractmethod
    def _build_values(self) -> npt.NDArray[np.float64]:
        """Return the value of every code, shape ``(2**bits,)``."""

    @abstractmethod
    def encode(self, x: npt.ArrayLike, *, saturate: bool | None = None) -> np.ndarray:
        """Round ``x`` to the nearest code (ties to even), vectorised.

        Parameters
        ----------
        x
            Values to convert; float32 and float64 are each rounded once, directly.
        saturate
            ``True`` clamps out-of-range finite inputs (and infinities) to the largest
            finite value of the same sign; ``False`` uses the format's own overflow
            behaviour; ``None`` (default) uses the format's default.

        Returns
        -------
        numpy.ndarray
            Codes, ``uint8`` for formats of <= 8 bits, else ``uint16``; same shape as ``x``.
        """

    # ------------------------------------------------------------------ derived facts
    @cached_property
    def _values(self) -> npt.NDArray[np.float64]:
        v = np.asarray(self._build_values(), dtype=np.float64)
        v.setflags(write=False)
        return v

    def values(self) -> npt.NDArray[np.float64]:
        """Value of every code, indexed by code (read-only float64 array)."""
        return self._values

    @property
    def code_dtype(self) -> type[np.unsignedinteger]:
        """Smallest unsigned dtype that holds a code."""
        return np.uint8 if self.bits <= 8 else np.uint16

    @cached_property
    def _decode_lut32(self) -> npt.NDArray[np.float32]:
        return self._values.astype(np.float32)

    def decode(self, codes: npt.ArrayLike, *, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
        """Value of each code (``float64`` by default; ``float32`` is exact for these formats).

        Raises
        ------
        HwgenError
            If a code is outside ``[0, 2**bits)``.
        """
        c = np.asarray(codes)
        if not np.issubdtype(c.dtype, np.integer):
            from hwgen.errors import HwgenError

            raise HwgenError(f"codes must be integers, not {c.dtype}")
        # An unsigned dtype narrower than the format cannot hold a bad code: skip the scan.
        narrow_enough = c.dtype.kind == "u" and c.dtype.itemsize * 8 <= self.bits
        if not narrow_enough and c.size and (c.min() < 0 or c.max() >= (1 << self.bits)):
            from hwgen.errors import HwgenError

            raise HwgenError(
                f"code out of range for {self.name}: codes must be in [0, {(1 << self.bits) - 1}]"
            )
        lut = self._decode_lut32 if np.dtype(dtype) == np.float32 else self._values
        from hwgen.formats.fast import gather

        return gather(lut, c)

    def nearest(self, x: npt.ArrayLike, *, saturate: bool | None = None) -> np.ndarray:
        """The value of the code each ``x`` rounds to: ``decode(encode(x, saturate=...))``.

        float64, same shape as ``x``; subclasses may compute it without forming codes.
        """
        return self.decode(self.encode(x, saturate=saturate))

    @cached_property
    def finite_mask(self) -> npt.NDArray[np.bool_]:
        """``True`` for codes with a finite value."""
        return np.isfinite(self._values)

    @cached_property
    def has_specials(self) -> bool:
        """Whether any code is NaN or infinite (hardware then carries special-value flags).

        The one owner of this fact: golden model, decoders, flags and manifest all ask it.
        """
        return not bool(np.all(self.finite_mask))

    @cached_property
    def nan_codes(self) -> tuple[int, ...]:
        """Codes whose value is NaN."""
        return tuple(int(c) for c in np.flatnonzero(np.isnan(self._values)))

    @cached_property
    def inf_codes(self) -> tuple[int, ...]:
        """Codes whose value is +inf or -inf."""
        return tuple(int(c) for c in np.flatnonzero(np.isinf(self._values)))

    @cached_property
    def max_value(self) -> float:
        """Largest finite value."""
        return float(np.max(self._values[self.finite_mask]))

    @cached_property
    def min_value(self) -> float:
        """Most negative finite value (0.0 for unsigned formats)."""
        return float(np.min(self._values[self.finite_mask]))

    @cached_property
    def max_abs(self) -> float:
        """Largest magnitude reachable on both signs (the absmax-scaling target).

        For ``int4`` this is 7, for ``fp4_e2m1`` 6; for an unsigned format it is
        ``max_value``.
        """
        if self.min_value >= 0:
            return self.max_value
        return min(self.max_value, -self.min_value)

    @cached_property
    def max_magnitude(self) -> float:
        """Largest finite magnitude on either sign."""
        return max(self.max_value, -self.min_value)

    @cached_property
    def min_positive(self) -> float:
        """Smallest positive finite value (the smallest subnormal for minifloats)."""
        v = self._values[self.finite_mask]
        return float(np.min(v[v > 0]))

    @property
    def min_subnormal(self) -> float:
        """Smallest positive value (alias of :attr:`min_positive`)."""
        return self.min_positive

    @cached_property
    def lsb_exp(self) -> int:
        """Largest ``k`` such that every finite value is an integer multiple of ``2**k``."""
        v = np.abs(self._values[self.finite_mask])
        v = v[v > 0]
        k = int(np.min(np.frexp(v)[1])) - 60
        # frexp gives v = f * 2**e with f in [0.5, 1); the value is a multiple of 2**k for
        # some k <= e - 53; search downward from the smallest plausible exponent upward.
        while np.all(np.ldexp(v, -(k + 1)) == np.round(np.ldexp(v, -(k + 1)))):
            k += 1
        return k

    @cached_property
    def int_values(self) -> np.ndarray:
        """Every finite value as an integer multiple of ``2**lsb_exp`` (0 for NaN/inf codes).

        ``int64`` when every value fits in 62 bits; otherwise (e.g. ``bf16``) an object array
        of exact Python ints.
        """
        v = np.where(self.finite_mask, self._values, 0.0)
        if self.max_magnitude < 2.0 ** (62 + self.lsb_exp):
            out = np.ldexp(v, -self.lsb_exp).astype(np.int64)
        else:
            out = np.array([_exact_int(x, self.lsb_exp) for x in v.tolist()], dtype=object)
        out.setflags(write=False)
        return out

    @cached_property
    def sig_exp(self) -> SigExp:
        """Hardware decomposition of every code (see :class:`SigExp`).

        The generic decomposition is ``sig = int_values``, ``exp = 0``; minifloats override
        it with their field layout.
        """
        return SigExp(
            np.asarray(self.int_values, dtype=np.int64), np.zeros(1 << self.bits, np.int64)
        )

    @property
    def signed(self) -> bool:
        """Whether the format has negative values."""
        return self.min_value < 0

    def __str__(self) -> str:
        return self.name


class SigExp:
    """Hardware decomposition of every code: ``value = sig * 2**(exp + lsb_exp)``.

    ``sig`` is a signed integer (two's complement width :attr:`sig_width`), ``exp`` an
    unsigned exponent offset in ``[0, exp_max]``. Special codes (NaN, inf) have
    ``sig = exp = 0``; hardware flags them separately. A decoder built from this table is
    exact by construction; the hardware generators use it for every format family.
    """

    __slots__ = ("exp", "exp_max", "sig", "sig_width")

    def __init__(self, sig: npt.NDArray[np.int64], exp: npt.NDArray[np.int64]) -> None:
        sig = np.asarray(sig, dtype=np.int64)
        exp = np.asarray(exp, dtype=np.int64)
        sig.setflags(write=False)
        exp.setflags(write=False)
        self.sig = sig
        self.exp = exp
        self.exp_max = int(exp.max()) if exp.size else 0
        lo, hi = int(sig.min()), int(sig.max())
        self.sig_width = signed_width(lo, hi)

    def __repr__(self) -> str:
        return f"SigExp(sig_width={self.sig_width}, exp_max={self.exp_max})"


def _exact_int(x: float, lsb_exp: int) -> int:
    """``x / 2**lsb_exp`` as an exact Python int (``x`` must be a multiple of ``2**lsb_exp``)."""
    num, den = x.as_integer_ratio()
    scaled_num = num << -lsb_exp if lsb_exp < 0 else num
    scaled_den = den << lsb_exp if lsb_exp > 0 else den
    q, r = divmod(scaled_num, scaled_den)
    if r:
        raise ValueError(f"{x!r} is not a multiple of 2**{lsb_exp}")
    return q


def signed_width(lo: int, hi: int) -> int:
    """Smallest two's complement width holding every integer in ``[lo, hi]`` (at least 1)."""
    w = 1
    while not (-(1 << (w - 1)) <= lo and hi <= (1 << (w - 1)) - 1):
        w += 1
    return w
