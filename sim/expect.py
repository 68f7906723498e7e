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
    """Expected tile results, shape ``(lanes, tiles, rows, cols)``.

    ``acc`` holds the accumulators (fixed-point integers or float accumulator codes),
    ``flags`` the flag words (``None`` without ``out_flags``), ``out`` the ``out_format``
    codes the array delivers instead of ``acc`` (``None`` without ``out_format``).
    """

    acc: np.ndarray
    flags: npt.NDArray[np.uint8] | None
    out: np.ndarray | None = None

    @property
    def data(self) -> np.ndarray:
        """What ``out_data`` carries: ``out`` with an ``out_format``, else ``acc``."""
        return self.acc if self.out is None else self.out


def gemm_expected(arith: Arithmetic, stim: GemmStimulus) -> GemmExpected:
    """Golden tile results through the same MAC model as single units.

    Every output ``(lane, tile, i, j)`` is the MAC sequence ``A[i, k] * W[k, j]`` over the
    tile's k-steps starting with a clear (:meth:`MacArithmetic.tiles`, rather than an
    exact GEMM), so wrap / saturate / L-Mul and float rounding are identical to the MAC's.
    """
    acc, flags = arith.tiles(stim.a, stim.w, stim.last)
    out = arith.out_codes(acc, flags) if arith.out is not None else None
    return GemmExpected(acc=acc, flags=flags if arith.has_flags else None, out=out)
