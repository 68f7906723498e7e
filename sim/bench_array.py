"""Verification plug-in of the PE-array family (:class:`hwgen.design.array.ArrayConfig`).

Random tiles of random depth (``vectors`` MACs at full speed), followed by a stressed part
(idle beats, random ``out_ready`` backpressure) unless ``stress`` is off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hwgen.design.array import ArrayConfig
from hwgen.design.base import Role
from hwgen.errors import HwgenError
from hwgen.sim.bench import Bench
from hwgen.sim.expect import GemmExpected, gemm_expected
from hwgen.sim.packing import unpack_lanes
from hwgen.sim.scoreboard import Score, score_gemm
from hwgen.sim.stimulus import GemmStimulus, random_gemm

if TYPE_CHECKING:
    from hwgen.sim.runner import Simulator
    from hwgen.sim.verify import VerifyOptions

__all__ = ["ARRAY_LANES", "ArrayBench"]

ARRAY_LANES = 1
"""Default arrays per harness (one array already checks R x C MACs per clock)."""


def _array(config: object) -> ArrayConfig:
    if not isinstance(config, ArrayConfig):
        raise HwgenError(f"the array bench needs an ArrayConfig, not {type(config).__name__}")
    return config


class ArrayBench(Bench):
    """Streams GEMM tiles under valid/ready and scores the delivered rows."""

    test_module = "hwgen.sim.tb_array"
    lane_roles = (Role.A, Role.W, Role.OUT_DATA, Role.OUT_FLAGS)
    shared_roles = (Role.VALID, Role.LAST, Role.OUT_READY)
    lane0_roles = (Role.READY, Role.OUT_VALID, Role.OUT_ROW)
    stimulus_type = GemmStimulus

    def default_lanes(self, sim: Simulator) -> int:
        return ARRAY_LANES

    def stimulus(
        self, config: Any, options: VerifyOptions, lanes: int
    ) -> tuple[GemmStimulus, list[tuple[str, int]]]:
        cfg = _array(config)
        stim = random_gemm(
            cfg.mac.a, cfg.mac.w, rows=cfg.rows, cols=cfg.cols, lanes=lanes,
            macs=max(options.vectors, 1), max_terms=cfg.mac.max_terms,
            rng=np.random.default_rng(options.seed),
            stress_macs=max(options.vectors // 8, 1) if options.stress else 0,
        )  # fmt: skip
        return stim, [("gemm", stim.macs)]

    def expected(self, config: Any, stim: GemmStimulus) -> GemmExpected:
        return gemm_expected(_array(config).golden(), stim)

    def job_arrays(self, stim: GemmStimulus) -> dict[str, np.ndarray]:
        return {
            "a": stim.a,
            "w": stim.w,
            "last": stim.last,
            "gap": stim.gap,
            "out_ready": stim.out_ready,
            "stress_from": np.asarray(stim.stress_from),
        }

    def timeout_cycles(self, config: Any, stim: GemmStimulus) -> int:
        # Generous: every beat, every idle beat, every row at the pattern's ready rate, the
        # pipeline latency, all doubled; a hung handshake then ends the run, not the test.
        cfg = _array(config)
        ready_rate = max(float(np.mean(stim.out_ready)), 0.05)
        rows = stim.tiles * cfg.rows
        return int(2 * (stim.beats + int(stim.gap.sum()) + rows / ready_rate + cfg.latency) + 64)

    def collect(
        self, config: Any, capture: Mapping[str, np.ndarray], stim: GemmStimulus
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        cfg = _array(config)
        lanes, cols = stim.lanes, cfg.cols
        data = unpack_lanes(
            capture["out_data"], lanes=lanes * cols, width=cfg.out_element_bits,
            signed=cfg.out_signed,
        ).reshape(-1, lanes, cols)  # fmt: skip
        flags = None
        if "out_flags" in capture:
            port = next(p for p in cfg.ports() if p.role == Role.OUT_FLAGS)
            flags = unpack_lanes(
                capture["out_flags"], lanes=lanes * cols, width=port.element_width, signed=False
            ).reshape(-1, lanes, cols)
        return capture["out_row"], data, flags

    def score(
        self, config: Any, stim: GemmStimulus, expected: Any, got: Any, *, max_report: int
    ) -> Score:
        row, data, flags = got
        arith = _array(config).golden()
        return score_gemm(arith, stim, expected, row, data, flags, max_report=max_report)

    def prefix(self, stim: GemmStimulus, position: int) -> GemmStimulus:
        """The beats up to the end of tile ``position``."""
        end = int(np.flatnonzero(stim.last)[min(position, stim.tiles - 1)]) + 1
        return GemmStimulus(
            a=stim.a[:end],
            w=stim.w[:end],
            last=stim.last[:end],
            gap=stim.gap[:end],
            out_ready=stim.out_ready,
            stress_from=min(stim.stress_from, end),
        )
