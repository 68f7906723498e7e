"""Integer formats: signed (two's complement) or unsigned, 2..16 bits, optional narrow range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats import naming
from hwgen.formats.base import Format, FormatKind
from hwgen.formats.validate import as_bool, as_int, real_array


@dataclass(frozen=True, eq=True)
class IntFormat(Format):
    """An integer format.

    Parameters
    ----------
    bits
        Width, 2..16.
    signed
        Two's complement when ``True``.
    narrow
        Signed only: the symmetric range ``[-(2**(bits-1) - 1), 2**(bits-1) - 1]``. The code
        ``100..0`` still decodes to ``-2**(bits-1)`` (what the hardware computes), but
        :meth:`encode` never produces it.
    name
        Canonical name; derived when empty (``int8``, ``uint4``, ``int8_narrow``),
        checked when given.

    Conversion rounds half to even and always saturates (integers have no inf/NaN);
    NaN input raises :class:`~hwgen.errors.HwgenError`.
    """

    bits: int
    signed: bool = True
    narrow: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bits", as_int(self.bits, "bits"))
        object.__setattr__(self, "signed", as_bool(self.signed, "signed"))
        object.__setattr__(self, "narrow", as_bool(self.narrow, "narrow"))
        if not 2 <= self.bits <= 16:
            raise HwgenError(f"integer bits must be in 2..16, not {self.bits}")
        if self.narrow and not self.signed:
            raise HwgenError("narrow range applies to signed integers only")
        canonical = naming.int_name(self.bits, self.signed, self.narrow)
        if not self.name:
            object.__setattr__(self, "name", canonical)
        elif self.name != canonical:
            raise HwgenError(
                f"name {self.name!r} does not describe this format; its name is {canonical!r}"
                " (leave name empty to derive it)"
            )

    @property
    def kind(self) -> FormatKind:
        return FormatKind.INT

    @property
    def lo(self) -> int:
        """Smallest value :meth:`encode` produces."""
        if not self.signed:
            return 0
        return -(1 << (self.bits - 1)) + (1 if self.narrow else 0)

    @property
    def hi(self) -> int:
        """Largest value."""
        return (1 << (self.bits - (1 if self.signed else 0))) - 1

    @property
    def min_value(self) -> float:  # type: ignore[override]
        return float(self.lo)

    @property
    def lsb_exp(self) -> int:  # type: ignore[override]
        return 0

    def _build_values(self) -> npt.NDArray[np.float64]:
        codes = np.arange(1 << self.bits, dtype=np.int64)
        if self.signed:
            codes = np.where(codes >= 1 << (self.bits - 1), codes - (1 << self.bits), codes)
        return codes.astype(np.float64)

    def encode(self, x: npt.ArrayLike, *, saturate: bool | None = None) -> np.ndarray:
        """Round half to even and clamp to ``[lo, hi]``; returns two's complement codes.

        ``saturate=False`` is rejected: an integer has no overflow code.
        """
        v = self.nearest(x, saturate=saturate).astype(np.int32)
        return (v & ((1 << self.bits) - 1)).astype(self.code_dtype)

    def nearest(self, x: npt.ArrayLike, *, saturate: bool | None = None) -> np.ndarray:
        """Round half to even and clamp to ``[lo, hi]``, as float64 values."""
        if saturate is not None and not as_bool(saturate, "saturate"):
            raise HwgenError(f"{self.name} always saturates: saturate=False is not available")
        arr = real_array(x, f"{self.name}.encode")
        out = np.rint(arr.astype(np.float64, copy=False))
        if np.isnan(out).any():
            raise HwgenError(f"cannot encode NaN into {self.name}")
        return np.asarray(np.clip(out, self.lo, self.hi))
