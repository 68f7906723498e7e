"""Golden values for a stimulus, computed once for the whole run with :mod:`hwgen.golden`.

Everything about the arithmetic comes from the manifest: operand formats by registry name,
the accumulator actually built (bits, LSB exponent, overflow policy), the multiplier from
the config dict and the optional output format.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.formats import Format, get_format
from hwgen.golden import AccumulatorSpec, Multiplier, Overflow, acc_to_format, mac_trace
from hwgen.manifest import Manifest
from hwgen.sim.stimulus import GemmStimulus, MacStimulus


@dataclass(frozen=True)
class Arithmetic:
    """The arithmetic a design implements, read from its manifest."""

    a: Format
    w: Format
    spec: AccumulatorSpec
    overflow: Overflow
    multiplier: Multiplier
    out: Format | None
    has_flags: bool

    @classmethod
    def of(cls, man: Manifest) -> Arithmetic:
        """Read formats, accumulator, overflow, multiplier and output format from ``man``."""
        acc = man.accumulator
        return cls(
            a=get_format(man.a_format),
            w=get_format(man.w_format),
            spec=AccumulatorSpec(bits=acc.bits, lsb_exp=acc.lsb_exp),
            overflow=Overflow(acc.overflow),
            multiplier=Multiplier(man.config.get("multiplier", str(Multiplier.EXACT))),
            out=None if man.output is None else get_format(man.output.format),
            has_flags=man.flags is not None,
        )

    def trace(
        self,
        a: npt.NDArray[np.int64],
        w: npt.NDArray[np.int64],
        valid: npt.NDArray[np.bool_],
        clear: npt.NDArray[np.bool_],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Accumulator and flags after every cycle of one flat sequence."""
        t = mac_trace(
            self.a, a, self.w, w, valid, clear,
            acc=self.spec, overflow=self.overflow, multiplier=self.multiplier,
        )  # fmt: skip
        return t.acc, t.flags


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
    acc, flags = arith.trace(stim.a.ravel(), stim.w.ravel(), stim.valid.ravel(), stim.clear.ravel())
    out = None
    if arith.out is not None:
        f = flags if arith.has_flags else None
        out = acc_to_format(acc, arith.spec.lsb_exp, arith.out, flags=f).reshape(shape)
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
