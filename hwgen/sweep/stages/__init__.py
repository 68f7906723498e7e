"""The stage registry: every stage a sweep can run, in dependency order.

A stage is one module in this package holding one :class:`~hwgen.sweep.stages.base.Stage`
subclass (the contract is in :mod:`hwgen.sweep.stages.base`); adding one is its module plus
one entry in :data:`STAGES` below, after the stages it needs. A new cost flow (the fast
model) is one :class:`~hwgen.sweep.stages.cost.CostFlow` member and one ``FLOWS`` entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from hwgen.sweep.stages.accuracy import AccuracyStage
from hwgen.sweep.stages.base import Column, Stage, StageContext, StageInstance
from hwgen.sweep.stages.cost import CostStage
from hwgen.sweep.stages.energy import EnergyStage
from hwgen.sweep.stages.fast_cost import FastCostStage
from hwgen.sweep.stages.gemm_accuracy import GemmAccuracyStage
from hwgen.sweep.stages.generate import GenerateStage
from hwgen.sweep.stages.lint import LintStage
from hwgen.sweep.stages.verify import VerifyStage
from hwgen.sweep.stages.workload import WorkloadStage

__all__ = ["STAGES", "Column", "Stage", "StageContext", "StageInstance"]

STAGES: Mapping[str, Stage] = {
    s.name: s
    for s in (
        GenerateStage(),
        LintStage(),
        VerifyStage(),
        CostStage(),
        FastCostStage(),
        EnergyStage(),
        AccuracyStage(),
        GemmAccuracyStage(),
        WorkloadStage(),
    )
}
"""Stage name -> stage, in the order they run (a stage only needs earlier ones)."""
