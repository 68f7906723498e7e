"""Stage ``verify``: simulate the generated design against the golden model.

Runs :func:`hwgen.sim.verify.verify` (cocotb on Verilator by default, or Icarus) on a random
sample of ``vectors`` MAC cycles (MACs for arrays) with a fixed seed, plus the extreme-sum
phase where it applies and, with ``exhaustive = true``, every operand pair of small
formats. A mismatch is a *result* (``status = "fail"``, with the first mismatches), not a
stage error: the point is still priced, but the Pareto fronts leave it out.

The simulator build goes to a scratch directory that is removed afterwards: in a sweep
every design is built once, and hundreds of kept Verilator builds would fill the disk. To
look at a failing design's waveforms, run ``hwgen verify <design dir>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.sweep.stages.base import Column, Stage, StageContext
from hwgen.sweep.stages.generate import design_path

__all__ = ["DEFAULT_SAMPLE", "VerifyStage", "VerifyStageOptions"]

DEFAULT_SAMPLE = 4096
"""Random MAC cycles (arrays: MACs) a sweep checks per design unless told otherwise."""
SIMULATORS = ("verilator", "icarus")


@dataclass(frozen=True)
class VerifyStageOptions:
    """``[stages.verify]``.

    Attributes
    ----------
    sim
        ``verilator`` or ``icarus``.
    vectors
        Random sample size.
    seed
        Stimulus seed.
    exhaustive
        Add every operand pair (MACs with at most 16 operand bits).
    stress
        Arrays: add the backpressure phase.
    lanes
        Design instances per harness (``None``: the simulator's default).
    """

    sim: str = "verilator"
    vectors: int = DEFAULT_SAMPLE
    seed: int = 0
    exhaustive: bool = False
    stress: bool = True
    lanes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "sim": self.sim,
            "vectors": self.vectors,
            "seed": self.seed,
            "exhaustive": self.exhaustive,
            "stress": self.stress,
            "lanes": self.lanes,
        }


class VerifyStage(Stage):
    """Bit-exact simulation against the golden model."""

    name = "verify"
    summary = "cocotb simulation (Verilator or Icarus) against the numpy golden model"
    needs = ("generate",)
    code = ("hwgen.sim", "hwgen.design", "hwgen.golden", "hwgen.formats")
    prefix = "verify_"

    def parse(self, table: Any) -> VerifyStageOptions:
        if table is None:
            return VerifyStageOptions()
        from hwgen.sim.verify import MAX_LANES

        lanes = table.int("lanes", None, lo=1)
        if lanes is not None and lanes > MAX_LANES:
            raise table.error("lanes", f"[stages.verify] lanes must be <= {MAX_LANES}, not {lanes}")
        opts = VerifyStageOptions(
            sim=table.str("sim", "verilator", choices=SIMULATORS),
            vectors=table.int("vectors", DEFAULT_SAMPLE, lo=0),
            seed=table.int("seed", 0, lo=0),
            exhaustive=table.bool("exhaustive", False),
            stress=table.bool("stress", True),
            lanes=lanes,
        )
        table.finish(["sim", "vectors", "seed", "exhaustive", "stress", "lanes"])
        return opts

    def tools(self, options: VerifyStageOptions) -> tuple[str, ...]:
        return ("cocotb", "numpy", options.sim)

    def columns(self, options: Any) -> tuple[Column, ...]:
        return (
            Column("status", "verification (pass / fail)"),
            Column("checks", "MAC checks"),
            Column("mismatches", "mismatches", better="lower"),
            Column("source", "simulator and stimulus"),
        )

    def run(
        self,
        point: Any,
        options: VerifyStageOptions,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.sim.runner import Simulator
        from hwgen.sim.verify import VerifyOptions, Waves, verify
        from hwgen.sweep.versions import tool_version
        from hwgen.tools.scratch import scratch_dir

        ddir = design_path(inputs["generate"], ctx)
        verify_options = VerifyOptions(
            sim=Simulator(options.sim),
            vectors=options.vectors,
            seed=options.seed,
            waves=Waves.NEVER,
            lanes=options.lanes,
            exhaustive=options.exhaustive,
            stress=options.stress,
        )
        with scratch_dir("sweep-verify") as build_root:
            report = verify(ddir, verify_options, build_root=build_root)
        phases = ", ".join(f"{n} {c}" for n, c in report.phases)
        return {
            "status": "pass" if report.passed else "fail",
            "checks": report.checks,
            "mismatches": report.mismatches,
            "phases": [[n, c] for n, c in report.phases],
            "first_mismatches": list(report.first_mismatches),
            "source": f"cocotb {tool_version('cocotb')} on {report.sim} "
            f"{tool_version(str(report.sim))}, {report.lanes} lanes, seed {report.seed}"
            f" ({phases})",
        }
