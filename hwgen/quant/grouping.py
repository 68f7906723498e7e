"""Shared plumbing of the quantization schemes: validation, grouping and fast rounding.

Every scheme cuts one axis into consecutive groups. The array is viewed as rows of
``(rows, n)`` with the grouped axis last (a row is every element sharing the other
indices: one output channel of a weight grouped along its input channels), and processed
in blocks of whole rows small enough for the cache.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats.base import Format
from hwgen.formats.fast import lookup_table, nearest_index64, value_table
from hwgen.formats.table import MixtureFormat
from hwgen.formats.validate import as_int, real_array

#: Target elements per processing block: float64 temporaries of 256 KiB stay in a 2 MiB
#: L2 cache, and numpy's per-call overhead is spread over enough elements (measured best
#: of 8 Ki .. 64 Ki on a 2-core Xeon with bench/bench_quant.py).
BLOCK_ELEMENTS = 1 << 15


def resolve(fmt: Format | MixtureFormat | str) -> Format | MixtureFormat:
    """A format object from an object or a registry name."""
    if isinstance(fmt, str):
        from hwgen.formats.registry import get

        return get(fmt)
    if not isinstance(fmt, Format | MixtureFormat):
        raise HwgenError(f"format must be a Format, MixtureFormat or registry name, not {fmt!r}")
    return fmt


def plain(fmt: Format | MixtureFormat | str, caller: str) -> Format:
    """A format with one value per code (mixtures rejected)."""
    f = resolve(fmt)
    if isinstance(f, MixtureFormat):
        raise HwgenError(
            f"{caller} needs a format with one value per code, not the mixture {f.name}"
            " (use quantize_bitmod)"
        )
    return f


def as_rows(
    x: npt.ArrayLike, size: int, axis: int, what: str
) -> tuple[np.ndarray, tuple[int, ...], int]:
    """Validate ``x``; return it as float64 rows ``(rows, n)``, the moved shape and the axis.

    The moved shape is ``x``'s shape with the grouped axis last.
    """
    arr = real_array(x, "quantize")
    if arr.ndim == 0:
        raise HwgenError("can only quantize arrays with >= 1 dimension, not a scalar")
    axis = as_int(axis, "axis")
    if not -arr.ndim <= axis < arr.ndim:
        raise HwgenError(
            f"axis {axis} is out of range for a {arr.ndim}-d array"
            f" (allowed {-arr.ndim}..{arr.ndim - 1})"
        )
    ax = axis % arr.ndim
    size = as_int(size, what, minimum=1)
    if arr.size == 0:
        raise HwgenError(f"cannot quantize an empty array (shape {arr.shape})")
    n = arr.shape[ax]
    if n % size:
        raise HwgenError(f"{what} {size} does not divide the length {n} of axis {axis}")
    a64 = arr.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(a64)))
    if bad:
        raise HwgenError(f"input holds {bad} NaN/inf value(s); only finite values can be quantized")
    moved = np.moveaxis(a64, ax, -1)
    return np.ascontiguousarray(moved).reshape(-1, n), moved.shape, ax


def from_rows(rows: np.ndarray, moved_shape: tuple[int, ...], ax: int) -> np.ndarray:
    """Inverse of :func:`as_rows` (for element arrays or per-group arrays)."""
    shape = (*moved_shape[:-1], rows.shape[-1])
    return np.ascontiguousarray(np.moveaxis(rows.reshape(shape), -1, ax))


def row_blocks(nrows: int, ncols: int) -> Iterator[slice]:
    """Consecutive slices of whole rows holding about :data:`BLOCK_ELEMENTS` elements."""
    step = max(1, BLOCK_ELEMENTS // max(ncols, 1))
    for start in range(0, nrows, step):
        yield slice(start, min(start + step, nrows))


def group_absmax(grp: np.ndarray) -> np.ndarray:
    """``max |x|`` over the last axis, keepdims."""
    return np.max(np.abs(grp), axis=-1, keepdims=True)


class Rounder:
    """Round finite float64 values to the nearest value of a format, saturating.

    Uses the proved value table of :mod:`hwgen.formats.fast` (one gather) when the format
    has one, else ``fmt.nearest``. Several formats can be stacked for a per-group choice.
    """

    def __init__(self, fmts: tuple[Format, ...]) -> None:
        self.fmts = fmts
        tables = [
            value_table(f, np.dtype(np.float64), True) if f.bits <= 8 and _has_exact(f) else None
            for f in fmts
        ]
        self._values: np.ndarray | None = None
        self._codes: np.ndarray | None = None
        values = [t for t in tables if t is not None]
        if len(values) == len(tables):
            # float32 holds these <= 8-bit values exactly, in half the cache.
            self._values = np.concatenate(values).astype(np.float32)
            # A value table is gathered through its code table, so every code table exists.
            codes = [lookup_table(f, np.dtype(np.float64), True) for f in fmts]
            self._codes = np.concatenate([c for c in codes if c is not None])

    def values(self, y: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
        """Nearest values of ``y`` (``(..., g)``); ``which`` picks the format per group.

        float32 or float64 (both exact): multiply by a float64 scale to get float64.
        """
        if self._values is None:
            return self._fallback(y, which, codes=False)
        idx = self._index(y, which)
        return np.take(self._values, idx, mode="clip").reshape(y.shape)

    def codes(self, y: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
        """Codes of the nearest values (same rule as :meth:`values`)."""
        if self._codes is None:
            return self._fallback(y, which, codes=True)
        idx = self._index(y, which)
        return np.take(self._codes, idx, mode="clip").reshape(y.shape)

    def _index(self, y: np.ndarray, which: np.ndarray | None) -> np.ndarray:
        flat = np.ascontiguousarray(y, dtype=np.float64).reshape(-1)
        u = flat.view(np.uint64)
        idx = nearest_index64(u, np.empty_like(u), np.empty_like(u))
        if which is not None:
            per = (which.astype(np.intp) << 17)[..., None]
            idx = (idx.reshape(y.shape) + per).reshape(-1)
        return idx

    def _fallback(self, y: np.ndarray, which: np.ndarray | None, *, codes: bool) -> np.ndarray:
        if which is None:
            f = self.fmts[0]
            return f.encode(y, saturate=True) if codes else f.nearest(y, saturate=True)
        dtype = self.fmts[0].code_dtype if codes else np.float64
        out = np.zeros(y.shape, dtype=dtype)
        for i, f in enumerate(self.fmts):
            mine = which == i
            if mine.any():
                part = y[mine]
                out[mine] = (
                    f.encode(part, saturate=True) if codes else f.nearest(part, saturate=True)
                )
        return out


def _has_exact(f: Format) -> bool:
    return hasattr(f, "encode_exact")
