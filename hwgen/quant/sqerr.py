"""Sums of squared quantization errors of blocks, without building dequantized arrays.

The error engine (:mod:`hwgen.quant.error`) needs only ``sum((Q(x) - x)**2)`` per block
and entry. The scheme kernels (:class:`~hwgen.quant.absmax.AbsmaxKernel`,
:class:`~hwgen.quant.bitmod.BitmodKernel`) return dequantized rows, scales and codes for
the library API; the evaluators here compute the same per-element values with the same
float64 operations in the same order -- so the sums are bit-identical to summing the
kernels' output -- but into buffers allocated once per block shape, with no scale or code
arrays and no validation of inputs the engine has already checked (finite, grouped).

Measured (``bench/bench_quant.py``) the allocations and per-call checks were a third of
the time on 32 Ki-element blocks: each temporary of that size is a fresh 256 KiB
allocation whose pages are faulted in again, and numpy's per-call overhead is paid on
every one of ~40 calls per block.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hwgen.formats.base import Format
from hwgen.formats.fast import nearest_index64, value_table
from hwgen.formats.table import MixtureFormat
from hwgen.quant.bitmod import SCALE_CODE_MAX, SCALE_CODE_MIN

__all__ = ["Buffers", "absmax_sq_error", "bitmod_sq_error", "evaluator"]


class Buffers:
    """Scratch arrays of one block shape, reused by every entry of a block."""

    def __init__(self) -> None:
        self._arrays: dict[tuple[str, int, str], np.ndarray] = {}

    def get(self, name: str, size: int, dtype: type) -> np.ndarray:
        """A 1-d scratch array of ``size`` elements (contents undefined)."""
        key = (name, size, np.dtype(dtype).str)
        arr = self._arrays.get(key)
        if arr is None:
            if len(self._arrays) > 64:  # block shapes change per tensor: keep it bounded
                self._arrays.clear()
            arr = self._arrays[key] = np.empty(size, dtype=dtype)
        return arr


def _table64(fmt: Format) -> np.ndarray | None:
    """The float64 value table of a <= 8-bit format (``None`` when there is none)."""
    if fmt.bits > 8 or not hasattr(fmt, "encode_exact"):
        return None
    return value_table(fmt, np.dtype(np.float64), True)


def _round_into(
    fmt: Format, table: np.ndarray | None, y: np.ndarray, out: np.ndarray, buf: Buffers
) -> None:
    """Nearest values of finite ``y`` (flat float64) in ``fmt``, saturating, into ``out``.

    The same values as :class:`~hwgen.quant.grouping.Rounder.values`: a gather from the
    proved table, or (integers) round half to even and clamp.
    """
    if table is not None:
        u = y.view(np.uint64)
        idx = nearest_index64(
            u, buf.get("idx", u.size, np.uint64), buf.get("tmp", u.size, np.uint64)
        )
        np.take(table, idx, out=out, mode="clip")
        return
    lo, hi = _int_range(fmt)
    if lo is None:
        out[...] = fmt.nearest(y, saturate=True)
        return
    np.rint(y, out=out)
    np.clip(out, lo, hi, out=out)


def _int_range(fmt: Format) -> tuple[float | None, float | None]:
    from hwgen.formats.integer import IntFormat

    if isinstance(fmt, IntFormat):
        return float(fmt.lo), float(fmt.hi)
    return None, None


def absmax_sq_error(
    fmt: Format, group_size: int
) -> Callable[[np.ndarray, np.ndarray, Buffers], float]:
    """``f(x, am, buf)``: ``sum((Q(x) - x)**2)`` of absmax groups, as ``AbsmaxKernel``.

    ``x`` is a C-contiguous float64 ``(k, n)`` block, ``am`` its group absmax
    ``(k, n / group_size, 1)``.
    """
    table = _table64(fmt)
    max_abs = fmt.max_abs

    def f(x: np.ndarray, am: np.ndarray, buf: Buffers) -> float:
        size = x.size
        xf = x.reshape(-1)
        # One scale per element: contiguous operations instead of broadcasting a
        # (groups, 1) operand, which costs numpy an inner-loop call per group.
        scale = np.repeat(np.where(am > 0, am / max_abs, 1.0).reshape(-1), group_size)
        y = buf.get("y", size, np.float64)
        np.divide(xf, scale, out=y)
        q = buf.get("q", size, np.float64)
        _round_into(fmt, table, y, q, buf)
        np.multiply(q, scale, out=q)
        np.subtract(q, xf, out=q)
        return float(np.einsum("i,i->", q, q))

    return f


def bitmod_sq_error(
    mix: MixtureFormat, group_size: int
) -> Callable[[np.ndarray, np.ndarray, Buffers], float]:
    """``f(x, am, buf)``: as :func:`absmax_sq_error` for BitMoD with INT8 second-level scales.

    The same selection, INT8 scale codes and final rounding as
    :class:`~hwgen.quant.bitmod.BitmodKernel` with ``second_level_int8``.
    """
    variants = mix.variants
    tables = [_table64(v) for v in variants]
    if any(t is None for t in tables):
        from hwgen.quant.bitmod import BitmodKernel

        kern = BitmodKernel(mix, group_size, True)

        def slow(x: np.ndarray, am: np.ndarray, buf: Buffers) -> float:
            d = kern.rows(x, am=am)[0]
            d -= x
            df = d.reshape(-1)
            return float(np.einsum("i,i->", df, df))

        return slow
    present = [t for t in tables if t is not None]
    stacked = np.concatenate(present)
    by_reach: dict[float, list[int]] = {}
    for index, variant in enumerate(variants):
        by_reach.setdefault(variant.max_magnitude, []).append(index)
    reaches = list(by_reach.items())
    g = group_size

    def f(x: np.ndarray, am: np.ndarray, buf: Buffers) -> float:
        k = x.shape[0]
        size = x.size
        flat = x.reshape(-1, g)
        ng = flat.shape[0]
        am2 = am.reshape(-1, 1)
        nonzero = am2[:, 0] > 0
        best = np.full(ng, np.inf)
        sel = np.zeros(ng, dtype=np.uint8)
        scale = np.ones(ng)
        y = buf.get("y", size, np.float64)
        diff = buf.get("q", size, np.float64)
        diff2 = diff.reshape(ng, g)
        idx_buf = buf.get("idx", size, np.uint64)
        tmp = buf.get("tmp", size, np.uint64)
        xf = x.reshape(-1)
        for m, indices in reaches:
            s = np.where(am2 > 0, am2 / m, 1.0)
            np.divide(xf, np.repeat(s[:, 0], g), out=y)
            s2 = s[:, 0] * s[:, 0]
            idx = nearest_index64(y.view(np.uint64), idx_buf, tmp)
            for index in indices:
                np.take(present[index], idx, out=diff, mode="clip")
                np.subtract(diff, y, out=diff)
                err = np.einsum("ij,ij->i", diff2, diff2)
                err *= s2
                better = err < best
                best = np.where(better, err, best)
                sel[better] = index
                scale[better] = s[better, 0]
        # INT8 second-level scales (hwgen.quant.bitmod.int8_scales).
        sc = scale.reshape(k, -1)
        row = np.max(np.where(nonzero.reshape(k, -1), sc, 0.0), axis=-1) / SCALE_CODE_MAX
        row = np.where(row > 0, row, 1.0 / SCALE_CODE_MAX)
        codes8 = np.clip(np.rint(sc / row[:, None]), SCALE_CODE_MIN, SCALE_CODE_MAX)
        stored = np.repeat((codes8.astype(np.uint8) * row[:, None]).reshape(-1), g)
        np.divide(xf, stored, out=y)
        idx = nearest_index64(y.view(np.uint64), idx_buf, tmp)
        idx += np.repeat(sel.astype(np.intp) << 17, g)
        np.take(stacked, idx, out=diff, mode="clip")
        np.multiply(diff, stored, out=diff)
        np.subtract(diff, xf, out=diff)
        return float(np.einsum("i,i->", diff, diff))

    return f


def evaluator(
    key: tuple[str, str, int],
) -> Callable[[np.ndarray, np.ndarray, Buffers], float] | None:
    """The squared-error evaluator of an entry key, or ``None`` (use the scheme kernel)."""
    scheme, name, g = key
    from hwgen.formats.registry import get
    from hwgen.quant.result import Scheme

    fmt = get(name)
    if scheme == Scheme.BITMOD.value:
        assert isinstance(fmt, MixtureFormat)
        return bitmod_sq_error(fmt, g)
    if scheme == Scheme.ABSMAX.value:
        assert isinstance(fmt, Format)
        return absmax_sq_error(fmt, g)
    return None
