"""BitMoD per-group datatype selection (HPCA 2025) with optional INT8 second-level scales.

Source: BitMoD and its authors' code (``shared/reference/formats.md``): per group, for each
candidate type ``scale = absmax / max|type|``, round every weight to the nearest value of
the type, keep the type with the lowest group MSE; group scales may be stored as unsigned
INT8 against a per-output-channel floating-point scale (channel max / 255).

The authors' code also clamps every group scale to ``[1e-5, 1e4]``, a guard for fp16
weights of ordinary magnitude that zeroes weights far from unit scale. hwgen does not
clamp: float scales are exact, the INT8 codes are relative to the row's own scale, so the
result is invariant to scaling the tensor. All-zero groups keep scale 1 (float scales) or
code 1 (INT8); an all-zero row gets the row scale 1/255.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats.base import Format
from hwgen.formats.fast import nearest_index64, value_table
from hwgen.formats.table import MixtureFormat
from hwgen.formats.validate import as_bool
from hwgen.quant.grouping import Rounder, as_rows, from_rows, group_absmax, resolve, row_blocks
from hwgen.quant.result import QuantResult

# Second-level BitMoD scales: unsigned INT8 codes; code 0 is never used so that no group
# scale collapses to zero.
SCALE_CODE_MIN, SCALE_CODE_MAX = 1, 255


def mixture(fmt: Format | MixtureFormat | str) -> MixtureFormat:
    """A mixture from an object or a registry name (other formats rejected)."""
    f = resolve(fmt)
    if not isinstance(f, MixtureFormat):
        raise HwgenError(f"quantize_bitmod needs a mixture such as bitmod_fp4, not {f.name}")
    return f


def int8_scales(scales: np.ndarray, nonzero: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Second-level scales of ``scales (k, ngroups)``: INT8 codes and the row scale ``(k,)``.

    The row scale is the largest scale of a non-zero group over 255.
    """
    row = np.max(np.where(nonzero, scales, 0.0), axis=-1) / SCALE_CODE_MAX
    row = np.where(row > 0, row, 1.0 / SCALE_CODE_MAX)
    codes = np.clip(np.rint(scales / row[:, None]), SCALE_CODE_MIN, SCALE_CODE_MAX)
    return codes.astype(np.uint8), row


@dataclass(frozen=True)
class BitmodKernel:
    """BitMoD quantization of blocks of rows (see :func:`quantize_bitmod`)."""

    mix: MixtureFormat
    group_size: int
    second_level_int8: bool
    # Derived in __post_init__ (not part of equality, hash or repr).
    _each: list[Rounder] = field(init=False, repr=False, compare=False)
    _all: Rounder = field(init=False, repr=False, compare=False)
    _tables: list[np.ndarray] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_each", [Rounder((v,)) for v in self.mix.variants])
        object.__setattr__(self, "_all", Rounder(self.mix.variants))
        tables = [value_table(v, np.dtype(np.float64), True) for v in self.mix.variants]
        # float32 copies (exact for these <= 8-bit values) halve the tables' cache footprint.
        present = [t for t in tables if t is not None]
        fast = [t.astype(np.float32) for t in present] if len(present) == len(tables) else None
        object.__setattr__(self, "_tables", fast)

    def rows(
        self, x: np.ndarray, *, codes: bool = False, am: np.ndarray | None = None
    ) -> tuple[
        np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None, np.ndarray | None
    ]:
        """Dequantized rows, group scales, codes, selector, INT8 codes and row scales.

        The INT8 codes and row scales are ``None`` without ``second_level_int8``; ``am``
        may pass the group absmax ``(k, n / g, 1)``.
        """
        k, n = x.shape
        g = self.group_size
        flat = x.reshape(-1, g)
        am = group_absmax(flat) if am is None else am.reshape(-1, 1)
        nonzero = am[:, 0] > 0
        best = np.full(flat.shape[0], np.inf)
        sel = np.zeros(flat.shape[0], dtype=np.uint8)
        scale = np.ones(flat.shape[0])
        tables = self._tables
        each = self._each
        by_reach: dict[float, list[int]] = {}
        for index, variant in enumerate(self.mix.variants):
            by_reach.setdefault(variant.max_magnitude, []).append(index)
        for m, indices in by_reach.items():
            # Variants of the same reach share the scale, the scaled groups and (with value
            # tables) the table index; the error is measured in scaled units times s**2.
            s = np.where(am > 0, am / m, 1.0)
            y = flat / s
            s2 = s[:, 0] * s[:, 0]
            if tables is not None:
                u = y.reshape(-1).view(np.uint64)
                idx = nearest_index64(u, np.empty_like(u), np.empty_like(u))
            for index in indices:
                if tables is not None:
                    diff = np.take(tables[index], idx, mode="clip").reshape(y.shape) - y
                else:
                    diff = each[index].values(y)
                    diff -= y
                err = np.einsum("ij,ij->i", diff, diff)
                err *= s2
                # A strictly lower error replaces the running best: ties keep the lower index.
                better = err < best
                best = np.where(better, err, best)
                sel[better] = index
                scale[better] = s[better, 0]
        codes8 = row = None
        if self.second_level_int8:
            codes8, row = int8_scales(scale.reshape(k, -1), nonzero.reshape(k, -1))
            scale = (codes8 * row[:, None]).reshape(-1)
        # Round every group once more in its chosen type against the scale it keeps (the
        # stored INT8 scale, or the float scale it was selected with).
        y = flat / scale[:, None]
        rounder = self._all
        deq = rounder.values(y, sel) * scale[:, None]
        c = rounder.codes(y, sel).reshape(k, n) if codes else None
        return deq.reshape(k, n), scale.reshape(k, -1), c, sel.reshape(k, -1), codes8, row


def quantize_bitmod(
    x: npt.ArrayLike,
    mixture_fmt: MixtureFormat | str,
    *,
    group_size: int = 128,
    axis: int = -1,
    second_level_int8: bool = False,
) -> QuantResult:
    """BitMoD per-group variant selection (HPCA 2025).

    For every variant ``v`` of the mixture and every group: ``scale = absmax / max|v|``
    (:attr:`Format.max_magnitude`, over both signs), each element rounded to the nearest
    value of ``v``, group MSE. The variant with the lowest MSE wins; ties go to the lowest
    variant index. An "extra asymmetry" variant therefore clips the opposite side, as in
    BitMoD. No scale is clamped (see the module docstring).

    Parameters
    ----------
    x
        Real, finite, non-empty array with >= 1 dimension.
    mixture_fmt
        A :class:`MixtureFormat` (or its registry name, e.g. ``"bitmod_fp3"``).
    group_size
        Elements per group (BitMoD uses 128 along the input channel).
    axis
        The axis cut into groups.
    second_level_int8
        Store group scales as unsigned INT8 codes (1..255) against a per-row float scale
        ``row max scale / 255`` (BitMoD's second level). The selection is made with the
        float scales; the elements are then rounded again against the stored scale.

    Returns
    -------
    QuantResult
        ``selector`` (``uint8`` variant index per group); with ``second_level_int8``
        ``scale_codes`` (the INT8 codes) and ``row_scales``; ``scales`` the scales
        ``dequant`` uses.
    """
    mix = mixture(mixture_fmt)
    int8 = as_bool(second_level_int8, "second_level_int8")
    rows, moved, ax = as_rows(x, group_size, axis, "group_size")
    kernel = BitmodKernel(mix, int(group_size), int8)
    ng = rows.shape[1] // int(group_size)
    codes = np.empty(rows.shape, dtype=mix.variants[0].code_dtype)
    deq = np.empty(rows.shape)
    scales = np.empty((rows.shape[0], ng))
    sel = np.empty((rows.shape[0], ng), dtype=np.uint8)
    codes8 = np.empty((rows.shape[0], ng), dtype=np.uint8) if int8 else None
    row = np.empty(rows.shape[0]) if int8 else None
    for sl in row_blocks(*rows.shape):
        deq[sl], scales[sl], codes[sl], sel[sl], block8, block_row = kernel.rows(
            rows[sl], codes=True
        )
        if codes8 is not None and row is not None:
            codes8[sl], row[sl] = block8, block_row
    return QuantResult(
        codes=from_rows(codes, moved, ax),
        scales=from_rows(scales, moved, ax),
        dequant=from_rows(deq, moved, ax),
        selector=from_rows(sel, moved, ax),
        scale_codes=None if codes8 is None else from_rows(codes8, moved, ax),
        row_scales=None if row is None else np.ascontiguousarray(row.reshape(moved[:-1])),
    )
