"""Exact rounding of fixed-point accumulator values into floating-point formats.

An accumulator value is ``v * 2**lsb_exp`` with ``v`` an integer of any width. Converting
it through float64 would round twice whenever ``v`` has more than 53 significant bits, so
the rounding is done on the integer itself: with ``e = floor(log2 |value|)`` the quantum of
the target grid is ``2**q``, ``q = e - man_bits`` for normal ``e >= emin`` and the
subnormal quantum ``emin - man_bits`` below (``emin`` for formats without subnormals,
whose only value there is 0), and ``|v|`` is shifted right by ``q - lsb_exp`` bits with
round-half-to-even (round bit plus sticky bit, as hardware does it). A negative value that
rounds to zero becomes -0, as in IEEE 754. The rounded value has at most ``man_bits + 2``
significant bits, so it is exactly representable in float64, and the format's own
``encode`` then only applies its overflow rule (inf, NaN or saturation) and bit layout.

int64 inputs are rounded vectorised on ``uint64`` magnitudes; object arrays of Python ints
(the wide accumulators) element by element with Python's exact integer arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats import Format, FormatKind
from hwgen.golden._operands import check_int, resolve_format
from hwgen.golden.specials import Flag


@dataclass(frozen=True)
class _Grid:
    """A floating-point value grid: quantum ``2**(e - man_bits)`` for ``e >= emin``, else
    ``2**q_low`` (``emin - man_bits`` with subnormals, ``emin`` without); integers have
    ``man_bits=None`` and quantum ``2**q_low`` everywhere."""

    man_bits: int | None
    emin: int
    q_low: int


# float64: 52 stored mantissa bits, smallest normal 2**-1022, smallest subnormal 2**-1074.
_F64 = _Grid(man_bits=52, emin=-1022, q_low=-1074)


def _round_py(v: int, lsb_exp: int, grid: _Grid) -> tuple[int, int]:
    """Round ``|v| * 2**lsb_exp`` (``v`` a Python int) onto the grid; returns ``(r, exp)``."""
    mag = abs(int(v))
    if mag == 0:
        return 0, grid.q_low
    e = mag.bit_length() - 1 + lsb_exp
    q = e - grid.man_bits if grid.man_bits is not None and e >= grid.emin else grid.q_low
    s = q - lsb_exp
    if s <= 0:
        return mag, lsb_exp
    r = mag >> s
    rem = mag - (r << s)
    half = 1 << (s - 1)
    if rem > half or (rem == half and r & 1):
        r += 1
    return r, q


def _bit_length_u64(mag: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Exact bit length of each uint64 (0 for 0)."""
    _, e = np.frexp(mag.astype(np.float64))
    bl = e.astype(np.int64)
    # float64 may round a value just below 2**k up to 2**k: frexp then reports k + 1.
    probe = np.clip(bl - 1, 0, 63).astype(np.uint64)
    too_big = (bl > 0) & ((mag >> probe) == 0)
    return bl - too_big


def _round_i64(
    v: npt.NDArray[np.int64], lsb_exp: int, grid: _Grid
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Vectorised :func:`_round_py` for int64 arrays (magnitudes as int64, exponents)."""
    mag = np.abs(v).astype(np.uint64)  # |int64 min| wraps to 2**63: correct as uint64
    bl = _bit_length_u64(mag)
    e = bl - 1 + lsb_exp
    if grid.man_bits is None:
        q = np.full(v.shape, grid.q_low, dtype=np.int64)
    else:
        q = np.where(e >= grid.emin, e - grid.man_bits, grid.q_low)
    s = q - lsb_exp
    # Only 1 <= s <= bl needs work: s <= 0 is exact, s > bl rounds to 0 (|v| < half a quantum).
    sm1 = np.clip(s - 1, 0, 63).astype(np.uint64)
    t = mag >> sm1
    sticky = (mag & ((np.uint64(1) << sm1) - np.uint64(1))) != 0
    r = t >> np.uint64(1)
    up = ((t & np.uint64(1)) == 1) & (sticky | ((r & np.uint64(1)) == 1))
    r = (r + up.astype(np.uint64)).astype(np.int64)
    r = np.where(s <= 0, mag.astype(np.int64), np.where(s > bl, 0, r))
    return r.astype(np.int64), np.where(s <= 0, lsb_exp, q).astype(np.int64)


def _round_grid(ints: npt.ArrayLike, lsb_exp: int, grid: _Grid) -> np.ndarray:
    """Rounded values as float64 (exact: at most ``man_bits + 2`` significant bits).

    A negative value that rounds to zero gives -0.0, as IEEE 754 rounding does.
    """
    arr = np.asarray(ints)
    if arr.dtype == object:
        fn = np.frompyfunc(lambda x: _round_py(x, lsb_exp, grid), 1, 2)
        r, e = fn(arr)
        r = np.asarray(r, dtype=np.float64)
        e = np.asarray(e, dtype=np.int64)
    elif np.issubdtype(arr.dtype, np.integer):
        r, e = _round_i64(arr.astype(np.int64), lsb_exp, grid)
        r = r.astype(np.float64)
    else:
        raise HwgenError(f"ints must be integers (int64 or Python ints), not {arr.dtype} values")
    with np.errstate(over="ignore"):
        mag = np.ldexp(r, np.clip(e, -(1 << 30), 1 << 30).astype(np.int32))
    return np.where(arr < 0, -mag, mag)


def to_float(ints: npt.ArrayLike, lsb_exp: int) -> npt.NDArray[np.float64]:
    """``ints * 2**lsb_exp`` as float64, exact when representable, else round to nearest even.

    Parameters
    ----------
    ints
        Integers: an int64 array or an object array of Python ints (any width).
    lsb_exp
        Weight of one integer unit.

    Returns
    -------
    numpy.ndarray
        float64, same shape; +-inf beyond the float64 range.
    """
    check_int(lsb_exp, role="lsb_exp", minimum=-(1 << 20))
    return _round_grid(ints, int(lsb_exp), _F64)


def _grid(fmt: Format) -> _Grid:
    """The value grid of an output format."""
    if fmt.kind is FormatKind.INT:
        return _Grid(man_bits=None, emin=fmt.lsb_exp, q_low=fmt.lsb_exp)
    if fmt.kind is FormatKind.FLOAT:
        man_bits = int(fmt.man_bits)  # type: ignore[attr-defined]
        emin = int(fmt.emin)  # type: ignore[attr-defined]
        if not fmt.subnormals:  # type: ignore[attr-defined]
            # Below the smallest normal only 0 and 2**emin exist: round to multiples of
            # 2**emin (ties to even = ties to 0, as the format's own conversion does).
            return _Grid(man_bits=man_bits, emin=emin, q_low=emin)
        return _Grid(man_bits=man_bits, emin=emin, q_low=emin - man_bits)
    raise HwgenError(f"out_format must be a float or int format, not {fmt.kind.value} ({fmt.name})")


def acc_to_format(
    ints: npt.ArrayLike,
    lsb_exp: int,
    out_format: str | Format,
    *,
    flags: npt.ArrayLike | None = None,
) -> np.ndarray:
    """Round exact accumulator values to the nearest ``out_format`` code, ties to even.

    Parameters
    ----------
    ints
        Accumulator integers (int64 array or object array of Python ints).
    lsb_exp
        Weight of one integer unit.
    out_format
        A float format (``fp16``, ``bf16``, any ``fpN_eXmY``) or an int format.
    flags
        Optional special-value flag words (same shape): entries with ``NAN`` become
        ``encode(nan)``, with only ``PINF`` / ``NINF`` ``encode(+-inf)``; the format's own
        rules apply (a format without inf saturates or returns NaN).

    Returns
    -------
    numpy.ndarray
        Codes of ``out_format``. Values beyond its range follow its overflow rule
        (``out_format.encode``): inf for IEEE formats, NaN for ``fn``, saturation otherwise.
    """
    fmt = resolve_format(out_format, role="out_format")
    check_int(lsb_exp, role="lsb_exp", minimum=-(1 << 20))
    x = _round_grid(ints, int(lsb_exp), _grid(fmt))
    if flags is not None:
        f = np.asarray(flags)
        if f.shape != x.shape:
            raise HwgenError(f"flags shape {f.shape} must match ints shape {x.shape}")
        f = f.astype(np.uint8)
        x = np.where(f & Flag.PINF, np.inf, x)
        x = np.where(f & Flag.NINF, -np.inf, x)
        nan = ((f & Flag.NAN) != 0) | (((f & Flag.PINF) != 0) & ((f & Flag.NINF) != 0))
        x = np.where(nan, np.nan, x)
        if fmt.kind is FormatKind.INT and np.any(nan):
            raise HwgenError(f"a NaN accumulator cannot be converted to {fmt.name} (no NaN code)")
    return fmt.encode(x)
