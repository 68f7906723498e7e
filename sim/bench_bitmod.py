"""Verification plug-in of the BitMoD PE family (:class:`hwgen.design.bitmod.BitmodPEConfig`).

``lanes`` PEs run in lockstep behind the harness: the group datatype, the stream controls
and the special-value write port are shared (they fix the handshake timing), weight and
activation codes, selector and scale are per lane, and ``meta_ready`` / ``ready`` /
``out_valid`` come from lane 0 (the harness checks every lane agrees). The stimulus
(:mod:`hwgen.sim.stimulus_bitmod`) covers every datatype and selector, scale extremes,
activation subnormals / max exponents / inf / NaN and random mixed-datatype groups; the
golden model is :func:`hwgen.golden.bitmod.group_results`; every group result (``out_man``,
``out_exp``, ``out_flags``) is compared bit-exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hwgen.design.base import Role
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.golden.bitmod import GroupResults, WeightType, group_results
from hwgen.sim.bench import Bench
from hwgen.sim.bitmod_common import (
    OUT_ROLES,
    job_arrays,
    score_results,
    type_text,
    unpack_results,
)
from hwgen.sim.scoreboard import Score
from hwgen.sim.stimulus_bitmod import BitmodStimulus, bitmod_stimulus

if TYPE_CHECKING:
    from hwgen.sim.runner import Simulator
    from hwgen.sim.verify import VerifyOptions

__all__ = ["BITMOD_LANES", "BitmodBench"]

BITMOD_LANES = {"verilator": 8, "icarus": 2}
"""Default PE instances per harness, per simulator."""


def _pe(config: object) -> BitmodPEConfig:
    if not isinstance(config, BitmodPEConfig):
        raise HwgenError(f"the BitMoD bench needs a BitmodPEConfig, not {type(config).__name__}")
    return config


class BitmodBench(Bench):
    """Groups streamed under the metadata and data handshakes, scored per group and lane."""

    test_module = "hwgen.sim.tb_bitmod"
    lane_roles = (Role.W, Role.A, Role.SELECTOR, Role.SCALE, *OUT_ROLES)
    shared_roles = (
        Role.META_VALID,
        Role.DTYPE,
        Role.VALID,
        Role.OUT_READY,
        Role.SV_WE,
        Role.SV_ADDR,
        Role.SV_DATA,
    )
    lane0_roles = (Role.META_READY, Role.READY, Role.OUT_VALID)
    stimulus_type = BitmodStimulus

    def default_lanes(self, sim: Simulator) -> int:
        return BITMOD_LANES[str(sim)]

    def stimulus(
        self, config: Any, options: VerifyOptions, lanes: int
    ) -> tuple[BitmodStimulus, list[tuple[str, int]]]:
        cfg = _pe(config)
        groups = -(-options.vectors // (lanes * cfg.group_size)) if options.vectors > 0 else 0
        return bitmod_stimulus(
            cfg,
            lanes=lanes,
            random_groups=groups,
            rng=np.random.default_rng(options.seed),
            stress=options.stress,
        )

    def expected(self, config: Any, stim: BitmodStimulus) -> GroupResults:
        cfg = _pe(config)
        stim.check_against(cfg)
        return group_results(
            cfg,
            stim.a,
            stim.w,
            stim.dtype[:, None],
            stim.sel,
            stim.scale,
            specials=stim.specials,
        )

    def job_arrays(self, stim: BitmodStimulus) -> dict[str, np.ndarray]:
        return job_arrays(
            dtype=stim.dtype,
            sel=stim.sel,
            scale=stim.scale,
            w=stim.w,
            a=stim.a,
            specials=stim.specials,
            out_ready=stim.out_ready,
        )

    def timeout_cycles(self, config: Any, stim: BitmodStimulus) -> int:
        # Every group at its datatype's rate, at the out_ready pattern's rate, plus the
        # latency, doubled: a hung handshake ends the run instead of the test.
        cfg = _pe(config)
        rate = max(float(np.mean(stim.out_ready)), 0.05)
        cycles = sum(cfg.group_cycles(WeightType.from_code(int(d))) for d in stim.dtype)
        return int(2 * (cycles / rate + cfg.latency + 4) + 64)

    def collect(
        self, config: Any, capture: Mapping[str, np.ndarray], stim: BitmodStimulus
    ) -> dict[str, np.ndarray]:
        return unpack_results(_pe(config).ports(), capture, units=stim.lanes)

    def score(
        self, config: Any, stim: BitmodStimulus, expected: Any, got: Any, *, max_report: int
    ) -> Score:
        cfg = _pe(config)
        exp: GroupResults = expected

        def describe(group: int, lane: int) -> tuple[int, str, str]:
            operands = (
                f"dtype {type_text(int(stim.dtype[group]))}, sel {int(stim.sel[group, lane])}, "
                f"scale {int(stim.scale[group, lane])}, lsb_exp {cfg.out_lsb_exp}"
            )
            return lane, f"group {group}", operands

        return score_results(
            {Role.OUT_MAN: exp.man, Role.OUT_EXP: exp.exp, Role.OUT_FLAGS: exp.flags},
            got,
            checks=stim.macs,
            rows_per_group=1,
            describe=describe,
            max_report=max_report,
        )

    def prefix(self, stim: BitmodStimulus, position: int) -> BitmodStimulus:
        """The groups up to and including group ``position``."""
        return stim.take(position + 1)
