"""Bit-exact model of the R x C BitMoD PE array and the GEMM tiling that feeds it.

The array (``docs/hardware.md``, "BitMoD PE array") is output stationary: PE ``(i, j)``
computes, per group, the group result of activation row ``i`` against weight row (output
channel) ``j`` -- exactly what one PE of :mod:`hwgen.golden.bitmod.pe` delivers for the
same codes and metadata. The array adds no arithmetic, so its model is the PE model
broadcast over the R x C grid (:func:`array_group_results`); what the array does add is
the stream order, which :func:`tile_gemm` and :func:`untile_results` define:

* a GEMM ``A[M, K] @ W[N, K].T`` is cut into tiles of ``R`` activation rows x ``C``
  output channels (``M`` and ``N`` zero-padded up to multiples of ``R`` and ``C``);
* tiles stream in row-major tile order (``m`` tiles outer, ``n`` tiles inner), each tile
  as its ``K / G`` groups along K in order;
* one *array group* is ``R`` activation rows and ``C`` weight rows of one group along K,
  with ``C`` metadata entries (datatype, selector, scale: one per output channel) and
  ``R x C`` results.

Padding rows use activation code 0 and padding channels weight code 0 with scale 0 and
the datatype of channel 0 of their group (so the array's cadence is unchanged); their
results are dropped by :func:`untile_results`.

Pure numpy (no HDL import).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import BitmodPEParams, default_special_values
from hwgen.golden.bitmod.pe import GroupResults, group_results
from hwgen.golden.bitmod.stream import PackedWeights

__all__ = [
    "ArrayGroups",
    "array_group_results",
    "mix_weights",
    "served_cycles",
    "tile_gemm",
    "untile_results",
]


@dataclass(frozen=True)
class ArrayGroups:
    """A stream of array groups (``T`` groups, ``R`` rows, ``C`` columns, group size ``G``).

    Attributes
    ----------
    a
        ``(T, R, G)`` activation codes: row ``i`` of group ``t``, in stream order.
    w
        ``(T, C, G)`` weight codes: column (output channel) ``j`` of group ``t``.
    dtype, sel, scale
        ``(T, C)`` metadata per group and column: datatype code (0..7), special-value
        selector (0..3), unsigned INT8 scale (0..255).
    """

    a: np.ndarray
    w: np.ndarray
    dtype: np.ndarray
    sel: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        a, w = np.asarray(self.a), np.asarray(self.w)
        if a.ndim != 3 or w.ndim != 3 or a.shape[0] != w.shape[0] or a.shape[2] != w.shape[2]:
            raise HwgenError(
                f"array groups need a (T, R, G) and w (T, C, G), not {a.shape} and {w.shape}"
            )
        meta = (w.shape[0], w.shape[1])
        for name in ("dtype", "sel", "scale"):
            m = np.asarray(getattr(self, name))
            if m.shape != meta:
                raise HwgenError(f"{name} must have shape (T, C) = {meta}, not {m.shape}")


def array_group_results(
    cfg: BitmodPEParams,
    groups: ArrayGroups,
    *,
    specials: tuple[int, int, int, int] | None = None,
) -> GroupResults:
    """Every PE's result for every array group: shape ``(T, R, C)``.

    PE ``(i, j)`` of group ``t`` is :func:`~hwgen.golden.bitmod.pe.group_results` of
    ``a[t, i]`` against ``w[t, j]`` with column ``j``'s metadata (vectorised over the
    grid). Metadata out of range raises ``HwgenError`` with one line.
    """
    return group_results(
        cfg,
        np.asarray(groups.a)[:, :, None, :],
        np.asarray(groups.w)[:, None, :, :],
        np.asarray(groups.dtype)[:, None, :],
        np.asarray(groups.sel)[:, None, :],
        np.asarray(groups.scale)[:, None, :],
        specials=specials,
    )


def _pad(x: np.ndarray, axis: int, to: int) -> np.ndarray:
    extra = -x.shape[axis] % to
    if not extra:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, extra)
    return np.pad(x, widths)


def tile_gemm(
    a_codes: npt.ArrayLike,
    packed: PackedWeights,
    *,
    rows: int,
    cols: int,
) -> ArrayGroups:
    """The array-group stream of ``A[M, K] @ W.T`` for an R x C array (module docstring).

    Returns ``ceil(M / R) * ceil(N / C) * K / G`` groups.
    """
    a = np.asarray(a_codes, dtype=np.int64)
    n, k = packed.shape
    g = packed.group_size
    if a.ndim != 2 or a.shape[1] != k:
        raise HwgenError(f"activations must be (M, K={k}), not shape {a.shape}")
    if rows < 1 or cols < 1:
        raise HwgenError(f"rows and cols must be >= 1, not {rows} and {cols}")
    ng = k // g
    ap = _pad(a, 0, rows)
    wp = _pad(np.asarray(packed.codes, dtype=np.int64), 0, cols)
    dtype = np.asarray(packed.wtypes, dtype=np.int64)
    # Padding channels: channel 0's datatype (same cadence), scale 0, weight code 0.
    extra = -n % cols
    if extra:
        dtype = np.concatenate([dtype, np.repeat(dtype[:1], extra, axis=0)])
    sel = _pad(np.asarray(packed.selectors, dtype=np.int64), 0, cols)
    scale = _pad(np.asarray(packed.scales, dtype=np.int64), 0, cols)
    mt, nt = ap.shape[0] // rows, wp.shape[0] // cols
    # (mt, R, ng, G) x (nt, C, ng, G) -> (mt, nt, ng, R|C, G)
    a_t = ap.reshape(mt, rows, ng, g).transpose(0, 2, 1, 3)
    w_t = wp.reshape(nt, cols, ng, g).transpose(0, 2, 1, 3)
    a_s = np.broadcast_to(a_t[:, None], (mt, nt, ng, rows, g)).reshape(-1, rows, g)
    w_s = np.broadcast_to(w_t[None], (mt, nt, ng, cols, g)).reshape(-1, cols, g)

    def meta(x: np.ndarray) -> np.ndarray:
        x_t = x.reshape(nt, cols, ng).transpose(0, 2, 1)
        return np.broadcast_to(x_t[None], (mt, nt, ng, cols)).reshape(-1, cols)

    return ArrayGroups(a=a_s, w=w_s, dtype=meta(dtype), sel=meta(sel), scale=meta(scale))


def untile_results(res: GroupResults, *, m: int, n: int, groups_per_row: int) -> GroupResults:
    """Array results ``(T, R, C)`` in :func:`tile_gemm` order -> ``(M, N, K / G)``."""
    t, rows, cols = np.asarray(res.man).shape
    mt, nt = -(-m // rows), -(-n // cols)
    if t != mt * nt * groups_per_row:
        raise HwgenError(
            f"{t} array groups do not make a {m} x {n} GEMM of {groups_per_row} groups per row"
        )

    def back(x: np.ndarray) -> np.ndarray:
        y = np.asarray(x).reshape(mt, nt, groups_per_row, rows, cols).transpose(0, 3, 1, 4, 2)
        return y.reshape(mt * rows, nt * cols, groups_per_row)[:m, :n]

    return GroupResults(
        man=back(res.man), exp=back(res.exp), flags=back(res.flags), lsb_exp=res.lsb_exp
    )


def mix_weights(
    packs: dict[str, PackedWeights],
    choice: npt.ArrayLike,
) -> PackedWeights:
    """Per-group datatype mixture of several quantizations of the same ``W[N, K]``.

    ``packs`` maps a name (``bitmod_fp4``, ``int8``, ...) to :func:`quantize_weights`
    output for the same tensor and group size; ``choice`` ``(N, K / G)`` indexes the
    names in order and picks, per group, that quantization's codes, datatype, selector and
    scale. Each group keeps its float scale: the INT8 scale codes are re-rounded to one
    row scale (``max / 255`` of the chosen group scales), the rule of
    :func:`hwgen.golden.bitmod.stream.quantize_weights`. At most one FP mixture may be
    chosen (one special-value register serves every FP group).
    """
    names = list(packs)
    if not names:
        raise HwgenError("mix_weights needs at least one quantization")
    first = packs[names[0]]
    ch = np.asarray(choice, dtype=np.int64)
    if ch.shape != first.scales.shape or ch.min() < 0 or ch.max() >= len(names):
        raise HwgenError(
            f"choice must be (N, K / G) = {first.scales.shape} indices in 0..{len(names) - 1}"
        )
    used = {names[int(i)] for i in np.unique(ch)}
    fp = [x for x in used if x.startswith("bitmod_")]
    if len(fp) > 1:
        raise HwgenError(f"one special-value register cannot serve both {' and '.join(fp)}")
    specials = packs[fp[0]].specials if fp else default_special_values()
    g = first.group_size
    codes = np.zeros_like(np.asarray(first.codes))
    meta = {k: np.zeros(first.scales.shape, dtype=np.int64) for k in ("dtype", "sel")}
    fscale = np.zeros(first.scales.shape, dtype=np.float64)
    for idx, name in enumerate(names):
        p = packs[name]
        if p.shape != first.shape or p.group_size != g:
            raise HwgenError(f"quantization {name} has another shape or group size")
        mask = ch == idx
        codes[np.repeat(mask, g, axis=1)] = np.asarray(p.codes)[np.repeat(mask, g, axis=1)]
        meta["dtype"][mask] = np.asarray(p.wtypes)[mask]
        meta["sel"][mask] = np.asarray(p.selectors)[mask]
        fscale[mask] = (np.asarray(p.scales) * p.row_scales[:, None])[mask]
    row = np.max(fscale, axis=1) / 255.0
    row = np.where(row > 0, row, 1.0)
    scale = np.clip(np.rint(fscale / row[:, None]), 1, 255).astype(np.uint8)
    return PackedWeights(
        codes=codes,
        wtypes=meta["dtype"].astype(np.uint8),
        selectors=meta["sel"].astype(np.uint8),
        scales=scale,
        row_scales=row,
        specials=specials,
        group_size=g,
    )


def served_cycles(cfg: BitmodPEParams, code: int) -> int:
    """Cycles per weight the PE spends on datatype ``code`` (unserved: ``cfg.min_cycles``)."""
    for wt in cfg.weight_types:
        if wt.code == code:
            return wt.cycles
    return cfg.min_cycles
