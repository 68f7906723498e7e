"""Per-group absmax scaling: ``scale = absmax(group) / fmt.max_abs``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.formats.base import Format
from hwgen.quant.grouping import Rounder, as_rows, from_rows, group_absmax, plain, row_blocks
from hwgen.quant.result import QuantResult


@dataclass(frozen=True)
class AbsmaxKernel:
    """Absmax quantization of blocks of rows (see :func:`quantize_groups`)."""

    fmt: Format
    group_size: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rounder", Rounder((self.fmt,)))

    def rows(
        self, x: np.ndarray, *, codes: bool = False, am: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Dequantized rows, group scales ``(k, n / g)`` and (optionally) codes of ``x (k, n)``.

        ``am`` may pass the group absmax ``(k, n / g, 1)`` when the caller has it already.
        """
        k, n = x.shape
        grp = x.reshape(k, n // self.group_size, self.group_size)
        if am is None:
            am = group_absmax(grp)
        scale = np.where(am > 0, am / self.fmt.max_abs, 1.0)
        # Rounding saturates: x / scale can land one rounding error above max_abs, and it
        # must not become inf / NaN in formats that have them.
        y = grp / scale
        rounder: Rounder = self._rounder  # type: ignore[attr-defined]
        deq = rounder.values(y) * scale
        c = rounder.codes(y).reshape(k, n) if codes else None
        return deq.reshape(k, n), scale[..., 0], c


def quantize_groups(
    x: npt.ArrayLike, fmt: Format | str, *, group_size: int, axis: int = -1
) -> QuantResult:
    """Per-group absmax scaling: ``scale = absmax(group) / fmt.max_abs``.

    Dividing by :attr:`Format.max_abs` (the largest magnitude reachable on both signs: 7 for
    ``int4``, 6 for ``fp4_e2m1``) maps the group's absmax onto a representable value, so no
    element clips (for unsigned formats negative elements do clip to 0). An all-zero group
    gets scale 1 and the codes of +0. Scales are exact float64 quotients (not rounded to a
    storage format), so the result is invariant to scaling ``x``: a power of two scales
    ``scales``/``dequant`` exactly and leaves the codes unchanged.

    Parameters
    ----------
    x
        Real, finite, non-empty array with >= 1 dimension.
    fmt
        Element format (or its registry name); mixtures are rejected.
    group_size
        Elements per group, >= 1, must divide ``x.shape[axis]``.
    axis
        The axis cut into groups.

    Returns
    -------
    QuantResult
        ``selector``, ``scale_codes`` and ``row_scales`` are ``None``.

    Raises
    ------
    HwgenError
        Bad ``group_size`` / ``axis``, an empty array, NaN or inf in ``x``, a mixture.
    """
    f = plain(fmt, "quantize_groups")
    rows, moved, ax = as_rows(x, group_size, axis, "group_size")
    kernel = AbsmaxKernel(f, int(group_size))
    n = rows.shape[1]
    codes = np.empty(rows.shape, dtype=f.code_dtype)
    deq = np.empty(rows.shape)
    scales = np.empty((rows.shape[0], n // int(group_size)))
    for sl in row_blocks(*rows.shape):
        deq[sl], scales[sl], codes[sl] = kernel.rows(rows[sl], codes=True)
    return QuantResult(
        codes=from_rows(codes, moved, ax),
        scales=from_rows(scales, moved, ax),
        dequant=from_rows(deq, moved, ax),
    )
