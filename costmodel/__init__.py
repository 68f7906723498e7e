"""Cost model: Yosys synthesis flows, report parsing and area/energy estimates.

:mod:`hwgen.costmodel.synth` runs fixed Yosys flows (generic gates with a CMOS transistor
estimate, Xilinx 7-series, iCE40, ECP5) and returns resource counts;
:mod:`hwgen.costmodel.reference` holds the behavioural reference designs hwgen is priced
against and proves a generated MAC equivalent to its reference;
:mod:`hwgen.costmodel.workload` gives cycles, time, energy and area of a GEMM workload on a
PE array (presets in :mod:`hwgen.costmodel.workload_presets`).
"""

from hwgen.costmodel.reference import (
    EquivalenceError,
    ReferenceDesign,
    ReferenceKind,
    prove_equivalent,
    reference_mac,
    reference_mac_for,
    reference_rtl_dir,
)
from hwgen.costmodel.synth import (
    SynthesisError,
    SynthResult,
    SynthTarget,
    YosysRun,
    run_yosys,
    synthesize,
    yosys_command,
)
from hwgen.costmodel.workload import (
    ArraySpec,
    BOperand,
    Cited,
    GemmMetrics,
    GemmShape,
    MemorySpec,
    PeKind,
    PeSpec,
    Precision,
    Workload,
    WorkloadMetrics,
    workload_metrics,
)
from hwgen.costmodel.workload_presets import PRESETS, workload_preset

__all__ = [
    "PRESETS",
    "ArraySpec",
    "BOperand",
    "Cited",
    "EquivalenceError",
    "GemmMetrics",
    "GemmShape",
    "MemorySpec",
    "PeKind",
    "PeSpec",
    "Precision",
    "ReferenceDesign",
    "ReferenceKind",
    "SynthResult",
    "SynthTarget",
    "SynthesisError",
    "Workload",
    "WorkloadMetrics",
    "YosysRun",
    "prove_equivalent",
    "reference_mac",
    "reference_mac_for",
    "reference_rtl_dir",
    "run_yosys",
    "synthesize",
    "workload_metrics",
    "workload_preset",
    "yosys_command",
]
