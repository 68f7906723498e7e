"""Golden values for a stimulus, computed once for the whole run with :mod:`hwgen.golden`.

Everything about the arithmetic comes from the design config rebuilt from the manifest's
``config`` (:meth:`hwgen.emit.manifest.Manifest.design`): its golden model
(:class:`hwgen.design.mac.MacArithmetic`) owns formats, accumulator, overflow policy,
multiplier and output format.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.design.mac import MacArithmetic
from hwgen.sim.stimulus import GemmStimulus, MacStimulus

Arithmetic = MacArithmetic
"""The golden model benches score against (owned by :class:`hwgen.design.mac.MacConfig`)."""


@dataclass(frozen=True)
class MacExpected:
    """Expected MAC outputs after each stimulus cycle, shape ``(lanes, cycles)``.

    ``flags`` / ``out`` are ``None`` when the design has no such port.
    """

    acc: np.ndarray
    flags: npt.NDArray[np.uint8] | None
    out: np.ndarray | None


def mac_expected(arith: Arithmetic, stim: MacStimulus) -> MacExpected:
    """Golden MAC outputs: all lanes as one flat sequence (every lane starts with a clear)."""
    shape = (stim.lanes, stim.cycles)
    if arith.float_acc is not None:
        # The float model loops over cycles, vectorised over leading axes: give it the lanes
        # as rows (each starts with a clear, so this equals the flat sequence) instead of
        # one lane of lanes x cycles steps.
        acc, flags = arith.trace(stim.a, stim.w, stim.valid, stim.clear)
    else:
        acc, flags = arith.trace(
            stim.a.ravel(), stim.w.ravel(), stim.valid.ravel(), stim.clear.ravel()
        )
    out = None
    if arith.out is not None:
        out = arith.out_codes(acc, flags).reshape(shape)
    return MacExpected(
        acc=acc.reshape(shape),
        flags=flags.reshape(shape) if arith.has_flags else None,
        out=out,
    )


@dataclass(frozen=True)
class GemmExpected:
    """Expected tile results, shape ``(lanes, tiles, rows, cols)`` (``flags`` may be None)."""

    acc: np.ndarray
    flags: npt.NDArray[np.uint8] | None


def gemm_expected(arith: Arithmetic, stim: GemmStimulus) -> GemmExpected:
    """Golden tile results through the same MAC model as single units.

    Every output ``(lane, tile, i, j)`` is the MAC sequence ``A[i, k] * W[k, j]`` over the
    tile's k-steps starting with a clear; running them through :func:`mac_trace` (rather
    than an exact GEMM) keeps wrap / saturate / L-Mul semantics identical to the MAC.
    """
    beats, lanes, rows = stim.a.shape
    cols = stim.w.shape[2]
    tile = stim.tile_of_beat
    first = np.ones(beats, dtype=bool)
    first[1:] = stim.last[:-1]
    full = (beats, lanes, rows, cols)
    a = np.broadcast_to(stim.a[:, :, :, None], full).ravel()
    w = np.broadcast_to(stim.w[:, :, None, :], full).ravel()
    lane = np.arange(lanes)[None, :, None, None]
    i = np.arange(rows)[None, None, :, None]
    j = np.arange(cols)[None, None, None, :]
    key = ((lane * stim.tiles + tile[:, None, None, None]) * rows + i) * cols + j
    # Stable: within one output the beats keep their k order.
    order = np.argsort(key.ravel(), kind="stable")
    clear = np.broadcast_to(first[:, None, None, None], full).ravel()[order]
    ends = np.broadcast_to(stim.last[:, None, None, None], full).ravel()[order]
    acc, flags = arith.trace(a[order], w[order], np.ones(order.size, dtype=bool), clear)
    shape = (lanes, stim.tiles, rows, cols)
    return GemmExpected(
        acc=acc[ends].reshape(shape),
        flags=flags[ends].reshape(shape) if arith.has_flags else None,
    )
