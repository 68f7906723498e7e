"""The demo job: hwgen's embedded default sweep (``demo.toml`` next to this module).

``hwgen demo`` and ``make demo`` run it end to end with :func:`run_demo`: INT4/INT8 and
FP4/FP6/FP8 MAC units with exact and FP32 accumulators, the BitMoD PE and 2x2 / 4x4 PE
arrays are generated to Verilog under ``rtl_out/demo/designs/``, linted, verified on a
random sample, priced on the embedded ASIC library and on iCE40, scored by quantization
error and a BERT-base inference, ranked on the three Pareto fronts, plotted and reported.
It is an ordinary sweep: ``hwgen sweep`` on :data:`DEMO_SPEC` does the same.
"""

from __future__ import annotations

from pathlib import Path

from hwgen.sweep.runner import RunOptions, SweepResult, run_sweep

__all__ = ["DEFAULT_OUT", "DEMO_SPEC", "run_demo"]

DEMO_SPEC = Path(__file__).with_name("demo.toml")
"""The embedded default sweep spec (installed with the package)."""
DEFAULT_OUT = Path("rtl_out") / "demo"
"""Where ``hwgen demo`` writes by default."""


def run_demo(out_dir: str | Path = DEFAULT_OUT, options: RunOptions | None = None) -> SweepResult:
    """Run the embedded default sweep into ``out_dir``.

    Raises
    ------
    HwgenError
        An output directory holding another sweep's results (or other files), an
        unreachable Dask scheduler: before anything is written.
    """
    return run_sweep(DEMO_SPEC, out_dir, options)
