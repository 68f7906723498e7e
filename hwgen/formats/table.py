"""Table-defined formats (one value per code) and per-group mixtures of them.

Used for BitMoD's FP3/FP4 variants (BitMoD, HPCA 2025: the redundant -0 code of FP3/FP4
carries one extra value) and ANT's flint4 (MICRO 2022). Values are in the formats' own
*code units* as the BitMoD authors' code stores them (see ``shared/reference/formats.md``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats import naming
from hwgen.formats.base import Format, FormatKind
from hwgen.formats.fast import encode_lookup, lookup_table
from hwgen.formats.validate import as_bool, real_array


def check_name(name: object, what: str) -> None:
    """Names of user-defined formats: lowercase identifiers that no registry name claims.

    A name is how configs and manifests refer to a format, so it must not be an
    ``intN``/``fpN_eXmY`` spelling or a fixed registry name of a different format.
    """
    if not isinstance(name, str) or not naming.NAME_RE.match(name):
        raise HwgenError(
            f"{what} name must be a lowercase identifier ([a-z][a-z0-9_]*), not {name!r}"
        )
    try:
        parametric = naming.parse(name) is not None
    except HwgenError:
        parametric = True
    if parametric:
        raise HwgenError(f"{what} name {name!r} is a registry name of another format")


def check_not_shadowing(fmt: TableFormat | MixtureFormat) -> None:
    """Reject a format that takes the name of a different fixed registry format."""
    # The registry builds its own table formats while it is being imported: then there is
    # nothing to compare with yet.
    registry = sys.modules.get("hwgen.formats.registry")
    fixed = getattr(registry, "_FIXED", None)
    if fixed is not None and fmt.name in fixed and fixed[fmt.name] != fmt:
        raise HwgenError(f"name {fmt.name!r} belongs to a registry format with other values")


@dataclass(frozen=True, eq=True)
class TableFormat(Format):
    """A format given by its value table.

    Parameters
    ----------
    name
        Lowercase identifier; not an ``intN`` / ``fpN_eXmY`` spelling, and not the name
        of a different fixed registry format.
    table
        One finite value per code; ``len(table)`` must be ``2**bits`` with ``bits`` 1..8.
        Exactly representable (dyadic) values only.

    Conversion picks the nearest value. A tie goes to the even code, and when both
    candidates' codes have the same parity, to the smaller magnitude; for the minifloat-like
    code layouts used here this is round-half-to-even of the base format. Values beyond the
    table saturate. NaN converts to the zero code (no NaN code exists), like ml_dtypes does
    for the OCP formats without NaN.
    """

    name: str
    table: tuple[float, ...]

    def __post_init__(self) -> None:
        check_name(self.name, "table format")
        try:
            n = len(self.table)
        except TypeError:
            raise HwgenError(
                f"table of {self.name} must be a sequence of values, not {self.table!r}"
            ) from None
        if n < 2 or n & (n - 1) or n > 256:
            raise HwgenError(f"a table format needs 2**bits values (2..256), not {n}")
        vals = real_array(self.table, f"table format {self.name}").astype(np.float64)
        if vals.ndim != 1:
            raise HwgenError(f"table of {self.name} must be one-dimensional, not {vals.shape}")
        if not np.all(np.isfinite(vals)):
            raise HwgenError(f"table format {self.name} must hold finite values only")
        object.__setattr__(self, "table", tuple(float(v) for v in vals))
        check_not_shadowing(self)

    @property
    def bits(self) -> int:  # type: ignore[override]
        return len(self.table).bit_length() - 1

    @property
    def kind(self) -> FormatKind:
        return FormatKind.TABLE

    def _build_values(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.table, dtype=np.float64)

    @cached_property
    def _rounding(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        vals = self._values
        # One representative code per distinct value: prefer +0 for zero, else the lowest code.
        order = np.lexsort((np.arange(vals.size), np.signbit(vals), vals))
        sv = vals[order]
        keep = np.concatenate(([True], sv[1:] != sv[:-1]))
        uvals, ucodes = sv[keep], order[keep]
        mids = (uvals[:-1] + uvals[1:]) / 2
        lo_c, hi_c = ucodes[:-1], ucodes[1:]
        lo_even, hi_even = lo_c % 2 == 0, hi_c % 2 == 0
        smaller_lo = np.abs(uvals[:-1]) <= np.abs(uvals[1:])
        pick_lo = np.where(lo_even != hi_even, lo_even, smaller_lo)
        tie_code = np.where(pick_lo, lo_c, hi_c)
        zero_code = int(ucodes[np.flatnonzero(uvals == 0)[0]]) if np.any(uvals == 0) else 0
        return mids, ucodes, tie_code, np.array(zero_code)

    def encode(self, x: npt.ArrayLike, *, saturate: bool | None = None) -> np.ndarray:
        """Nearest value's code (ties as described in the class docstring); always saturates.

        float32/float64 inputs use the proved bit-pattern lookup of
        :mod:`hwgen.formats.fast` when the table's midpoints allow it.
        """
        if saturate is not None and not as_bool(saturate, "saturate"):
            raise HwgenError(f"{self.name} always saturates: saturate=False is not available")
        arr = real_array(x, f"{self.name}.encode")
        if arr.dtype in (np.float32, np.float64):
            table = lookup_table(self, arr.dtype, True)
            if table is not None:
                return encode_lookup(table, arr)
        return self.encode_exact(arr.astype(np.float64, copy=False), saturate=True)

    def encode_exact(self, x: npt.NDArray[np.float64], *, saturate: bool = True) -> np.ndarray:
        """Reference conversion by binary search over the midpoints (``saturate`` is moot)."""
        arr = np.asarray(x, dtype=np.float64)
        mids, ucodes, tie_code, zero_code = self._rounding
        i = np.searchsorted(mids, arr, side="left")
        j = np.minimum(i, mids.size - 1)
        tie = (i < mids.size) & (arr == mids[j])
        codes = np.where(tie, tie_code[j], ucodes[i.clip(0, ucodes.size - 1)])
        codes = np.where(np.isnan(arr), zero_code, codes)
        return codes.astype(self.code_dtype)


@dataclass(frozen=True, eq=True)
class MixtureFormat:
    """A per-group choice among table formats of the same width (BitMoD's mixture).

    Each group of weights is stored in one of :attr:`variants`, chosen by a
    ``selector_bits``-bit selector per group (the variant with the lowest group MSE, as in
    BitMoD). Not a :class:`Format`: a code only has a value together with its selector.
    """

    name: str
    variants: tuple[TableFormat, ...]

    def __post_init__(self) -> None:
        check_name(self.name, "mixture")
        if not isinstance(self.variants, tuple) or not all(
            isinstance(v, TableFormat) for v in self.variants
        ):
            raise HwgenError(f"variants of mixture {self.name} must be a tuple of TableFormats")
        if not self.variants:
            raise HwgenError(f"mixture {self.name} needs at least one variant")
        widths = {v.bits for v in self.variants}
        if len(widths) != 1:
            raise HwgenError(f"mixture {self.name} mixes element widths {sorted(widths)}")
        check_not_shadowing(self)

    @property
    def bits(self) -> int:
        """Element width in bits."""
        return self.variants[0].bits

    @property
    def selector_bits(self) -> int:
        """Bits of the per-group selector."""
        return max(1, (len(self.variants) - 1).bit_length())

    @property
    def kind(self) -> str:
        return "mixture"

    def __str__(self) -> str:
        return self.name
