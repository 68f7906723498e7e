"""Bench of the BitMoD PE array (:class:`~hwgen.design.bitmod_array.BitmodArrayConfig`).

One array per harness (it already checks ``R x C x dot / cycles`` MACs per clock). The
stimulus (:mod:`hwgen.sim.stimulus_bitmod_array`) streams array groups under the metadata
and data handshakes with ``out_ready`` back-pressure and input gaps; the golden model is
:func:`hwgen.golden.bitmod.array.array_group_results` (the PE model over the grid); every
drained row is compared bit-exactly (``out_row``, and per column ``out_man``, ``out_exp``,
``out_flags``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from hwgen.design.base import Role
from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.errors import HwgenError
from hwgen.golden.bitmod import GroupResults
from hwgen.golden.bitmod.array import array_group_results
from hwgen.sim.bench import Bench
from hwgen.sim.bitmod_common import OUT_ROLES, job_arrays, score_results, type_text, unpack_results
from hwgen.sim.packing import unpack_lanes
from hwgen.sim.scoreboard import Score
from hwgen.sim.stimulus_bitmod_array import BitmodArrayStimulus, bitmod_array_stimulus

if TYPE_CHECKING:
    from hwgen.sim.runner import Simulator
    from hwgen.sim.verify import VerifyOptions

__all__ = ["BitmodArrayBench"]


def _array(config: object) -> BitmodArrayConfig:
    if not isinstance(config, BitmodArrayConfig):
        raise HwgenError(
            f"the BitMoD array bench needs a BitmodArrayConfig, not {type(config).__name__}"
        )
    return config


class BitmodArrayBench(Bench):
    """Array groups streamed under the metadata and data handshakes, scored per row."""

    test_module = "hwgen.sim.tb_bitmod_array"
    lane_roles = (Role.A, Role.W, Role.DTYPE, Role.SELECTOR, Role.SCALE, *OUT_ROLES)
    shared_roles = (
        Role.META_VALID,
        Role.VALID,
        Role.OUT_READY,
        Role.SV_WE,
        Role.SV_ADDR,
        Role.SV_DATA,
    )
    lane0_roles = (Role.META_READY, Role.READY, Role.OUT_VALID, Role.OUT_ROW)
    stimulus_type = BitmodArrayStimulus

    def default_lanes(self, sim: Simulator) -> int:
        return 1

    @staticmethod
    def lanes_of(stim: Any) -> int:
        return 1

    def stimulus(
        self, config: Any, options: VerifyOptions, lanes: int
    ) -> tuple[BitmodArrayStimulus, list[tuple[str, int]]]:
        cfg = _array(config)
        if lanes != 1:
            raise HwgenError(
                f"a bitmod_array design is verified one array at a time (lanes 1), not {lanes}"
            )
        per_group = cfg.rows * cfg.cols * cfg.pe.group_size
        groups = -(-options.vectors // per_group) if options.vectors > 0 else 0
        return bitmod_array_stimulus(
            cfg,
            gemm_groups=groups,
            rng=np.random.default_rng(options.seed),
            stress=options.stress,
        )

    def expected(self, config: Any, stim: BitmodArrayStimulus) -> GroupResults:
        cfg = _array(config)
        stim.check_against(cfg)
        return array_group_results(cfg.pe, stim.groups, specials=stim.specials)

    def job_arrays(self, stim: BitmodArrayStimulus) -> dict[str, np.ndarray]:
        g = stim.groups
        return job_arrays(
            dtype=g.dtype,
            sel=g.sel,
            scale=g.scale,
            w=g.w,
            a=g.a,
            specials=stim.specials,
            out_ready=stim.out_ready,
            valid=stim.valid,
        )

    def timeout_cycles(self, config: Any, stim: BitmodArrayStimulus) -> int:
        # Every group at its cadence, at the pattern rates, every row drained, the latency,
        # doubled: a hung handshake ends the run instead of the test.
        cfg = _array(config)
        o_rate = max(float(np.mean(stim.out_ready)), 0.05)
        v_rate = max(float(np.mean(stim.valid)), 0.05)
        cycles = sum(cfg.group_cycles([int(x) for x in d]) for d in stim.groups.dtype)
        rows = stim.count * cfg.rows
        return int(2 * (cycles / v_rate + rows / o_rate + cfg.latency + 8) + 64)

    def collect(
        self, config: Any, capture: Mapping[str, np.ndarray], stim: BitmodArrayStimulus
    ) -> dict[str, np.ndarray]:
        cfg = _array(config)
        got = unpack_results(cfg.ports(), capture, units=cfg.cols)
        if "out_row" in capture:
            got[Role.OUT_ROW] = unpack_lanes(
                capture["out_row"], lanes=1, width=cfg.row_bits, signed=False
            )[:, 0]
        return got

    def score(
        self, config: Any, stim: BitmodArrayStimulus, expected: Any, got: Any, *, max_report: int
    ) -> Score:
        cfg = _array(config)
        r, c = cfg.rows, cfg.cols
        exp: GroupResults = expected
        n_rows = stim.count * r
        g = stim.groups

        def describe(row: int, col: int) -> tuple[int, str, str]:
            t, i = divmod(row, r)
            operands = (
                f"dtype {type_text(int(g.dtype[t, col]))}, sel {int(g.sel[t, col])}, "
                f"scale {int(g.scale[t, col])}, lsb_exp {cfg.pe.out_lsb_exp}"
            )
            return 0, f"group {t} row {i} col {col}", operands

        return score_results(
            {
                Role.OUT_MAN: np.asarray(exp.man).reshape(n_rows, c),
                Role.OUT_EXP: np.asarray(exp.exp).reshape(n_rows, c),
                Role.OUT_FLAGS: np.asarray(exp.flags).reshape(n_rows, c),
                Role.OUT_ROW: np.tile(np.arange(r), stim.count),
            },
            got,
            checks=stim.macs,
            rows_per_group=r,
            describe=describe,
            max_report=max_report,
        )

    def prefix(self, stim: BitmodArrayStimulus, position: int) -> BitmodArrayStimulus:
        """The array groups up to and including group ``position``."""
        return stim.take(position + 1)
