"""Verification plug-in of the MAC family (:class:`hwgen.design.mac.MacConfig`).

Three phases, every lane an independent MAC:

* ``exhaustive`` -- every (a, w) code pair as a single-product accumulation, when the pair
  space has at most 2**:data:`EXHAUSTIVE_MAX_BITS` entries;
* ``extreme`` -- ``max_terms`` copies of each extreme product, then ``max_terms`` of the
  opposite sign: reaches the sized bound of an exact accumulator and overflows a narrow
  wrap / saturate one (skipped when ``max_terms`` > :data:`EXTREME_MAX_TERMS`);
* ``corners`` -- float accumulators only: directed corners generated from the formats
  (:mod:`hwgen.sim.corners`: exponent differences, ties to even, cancellation, overflow,
  subnormal sums, NaN / inf);
* ``random`` -- ``vectors`` random cycles (all codes, specials included) with random valid
  gaps and clears, accumulations up to ``max_terms`` long.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hwgen.design.base import Role
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.sim.bench import Bench
from hwgen.sim.corners import Corners, float_corners
from hwgen.sim.expect import MacExpected, mac_expected
from hwgen.sim.packing import unpack_lanes
from hwgen.sim.scoreboard import Score, score_mac
from hwgen.sim.stimulus import (
    MacStimulus,
    exhaustive_pairs,
    extreme_accumulation,
    random_accumulation,
)

if TYPE_CHECKING:
    from hwgen.sim.runner import Simulator
    from hwgen.sim.verify import VerifyOptions

__all__ = ["EXHAUSTIVE_MAX_BITS", "EXTREME_MAX_TERMS", "MAC_LANES", "MacBench"]

MAC_LANES = {"verilator": 256, "icarus": 16}
"""Default MAC instances per harness, per simulator (measured fastest per check): Verilator
does 256 lanes per clock almost as fast as 64, so 2**16 operand pairs take 256 clocks;
Icarus slows down on very wide buses and checks most per second at about 16 lanes."""
EXHAUSTIVE_MAX_BITS = 16
"""Largest ``a.bits + w.bits`` verified exhaustively."""
EXTREME_MAX_TERMS = 8192
"""Largest ``max_terms`` for which the extreme phase runs (it takes 2 x max_terms clocks)."""


def _mac(config: object) -> MacConfig:
    if not isinstance(config, MacConfig):
        raise HwgenError(f"the MAC bench needs a MacConfig, not {type(config).__name__}")
    return config


@functools.lru_cache(maxsize=8)
def corners(config: MacConfig, lanes: int) -> Corners:
    """:func:`hwgen.sim.corners.float_corners`, once per (config, lanes)."""
    return float_corners(config, lanes=lanes)


class MacBench(Bench):
    """Cycle-by-cycle MAC streams, scored per lane and cycle."""

    test_module = "hwgen.sim.tb_mac"
    lane_roles = (Role.A, Role.W, Role.VALID, Role.CLEAR, Role.ACC, Role.FLAGS, Role.OUT)
    stimulus_type = MacStimulus

    def default_lanes(self, sim: Simulator) -> int:
        return MAC_LANES[str(sim)]

    def stimulus(
        self, config: Any, options: VerifyOptions, lanes: int
    ) -> tuple[MacStimulus, list[tuple[str, int]]]:
        cfg = _mac(config)
        a, w, max_terms = cfg.a, cfg.w, cfg.max_terms
        rng = np.random.default_rng(options.seed)
        parts: list[tuple[str, MacStimulus]] = []
        if options.exhaustive and a.bits + w.bits <= EXHAUSTIVE_MAX_BITS:
            parts.append(("exhaustive", exhaustive_pairs(a, w, lanes=lanes)))
        if max_terms <= EXTREME_MAX_TERMS:
            parts.append(("extreme", extreme_accumulation(a, w, lanes=lanes, max_terms=max_terms)))
        if cfg.float_acc is not None:
            parts.append(("corners", corners(cfg, lanes).stimulus))
        if options.vectors > 0:
            cycles = -(-options.vectors // lanes)
            stim = random_accumulation(
                a, w, lanes=lanes, cycles=cycles, max_terms=max_terms, rng=rng
            )
            parts.append(("random", stim))
        if not parts:
            raise HwgenError(
                "nothing to check: vectors=0, and the exhaustive and extreme phases do not "
                f"apply to {a.name} x {w.name} with max_terms={max_terms}"
            )
        out = parts[0][1]
        for _, p in parts[1:]:
            out = out.concat(p)
        return out, [(n, p.lanes * p.cycles) for n, p in parts]

    def skipped_phases(self, config: Any, options: VerifyOptions) -> list[tuple[str, str]]:
        cfg = _mac(config)
        out = []
        bits = cfg.a.bits + cfg.w.bits
        if not options.exhaustive:
            out.append(("exhaustive", "turned off"))
        elif bits > EXHAUSTIVE_MAX_BITS:
            out.append(
                (
                    "exhaustive",
                    f"{cfg.a.name} x {cfg.w.name} has 2^{bits} operand pairs "
                    f"(runs up to 2^{EXHAUSTIVE_MAX_BITS})",
                )
            )
        if cfg.max_terms > EXTREME_MAX_TERMS:
            out.append(
                (
                    "extreme",
                    f"max_terms {cfg.max_terms} > {EXTREME_MAX_TERMS} (the phase takes "
                    "2 x max_terms clocks); overflow handling is checked by the random phase only",
                )
            )
        if cfg.float_acc is not None:
            lanes = options.lanes or self.default_lanes(options.sim)
            out += [(f"corners {c}", why) for c, why in corners(cfg, lanes).unreachable]
        return out

    def expected(self, config: Any, stim: MacStimulus) -> MacExpected:
        return mac_expected(_mac(config).golden(), stim)

    def job_arrays(self, stim: MacStimulus) -> dict[str, np.ndarray]:
        return {"a": stim.a, "w": stim.w, "valid": stim.valid, "clear": stim.clear}

    def collect(
        self, config: Any, capture: Mapping[str, np.ndarray], stim: MacStimulus
    ) -> dict[str, np.ndarray]:
        cfg = _mac(config)
        ports = {p.name: p for p in cfg.ports()}
        got: dict[str, np.ndarray] = {}
        for role, buf in capture.items():
            if role.startswith("loop_"):  # the clock loop's timings
                continue
            p = ports[role]
            start = cfg.latency + (cfg.out_latency if role == Role.OUT else 0)
            vals = unpack_lanes(
                buf[start : start + stim.cycles], lanes=stim.lanes, width=p.width, signed=p.signed
            )
            got[role] = vals.T
        return got

    def score(
        self, config: Any, stim: MacStimulus, expected: Any, got: Any, *, max_report: int
    ) -> Score:
        return score_mac(_mac(config).golden(), stim, expected, got, max_report=max_report)

    def prefix(self, stim: MacStimulus, position: int) -> MacStimulus:
        """The stimulus up to and including cycle ``position`` (each lane starts cleared)."""
        end = position + 1
        return MacStimulus(
            a=stim.a[:, :end],
            w=stim.w[:, :end],
            valid=stim.valid[:, :end],
            clear=stim.clear[:, :end],
        )
