"""Cost model: Yosys synthesis flows, report parsing and area/energy estimates.

:mod:`hwgen.costmodel.synth` runs fixed Yosys flows (generic gates with a CMOS transistor
estimate, Xilinx 7-series, iCE40, ECP5) and returns resource counts;
:mod:`hwgen.costmodel.reference` holds the behavioural reference designs hwgen is priced against
and proves a generated MAC equivalent to its reference.
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

__all__ = [
    "EquivalenceError",
    "ReferenceDesign",
    "ReferenceKind",
    "SynthResult",
    "SynthTarget",
    "SynthesisError",
    "YosysRun",
    "prove_equivalent",
    "reference_mac",
    "reference_mac_for",
    "reference_rtl_dir",
    "run_yosys",
    "synthesize",
    "yosys_command",
]
