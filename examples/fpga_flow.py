"""Generate a MAC unit and a PE array, then synthesize both for two FPGA families.

Run::

    python examples/fpga_flow.py [--out DIR]

It writes two design directories (Verilog, filelist, manifest.json) into DIR (default: a
fresh temporary directory):

* a pipelined INT8 x INT8 MAC (one register stage between multiplier and accumulator);
* a 4 x 4 output-stationary array of FP8 E4M3 x INT8 MACs;

and runs Yosys ``synth_ice40`` (iCE40 LUT4) and ``synth_xilinx`` (7-series LUT6) on the MAC
and ``synth_ice40`` on the array (add ``--full`` for ``synth_xilinx`` on the array too, ~35 s
more), printing LUT, carry, DSP and flip-flop counts. The same designs come from the command line
with ``hwgen generate mac ...`` / ``hwgen generate array ...``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.emit import emit
from hwgen.rtl.array import ArrayConfig
from hwgen.rtl.config import MacConfig

MAC = MacConfig(a_format="int8", w_format="int8", stages=1)
ARRAY = ArrayConfig(mac=MacConfig(a_format="fp8_e4m3", w_format="int8"), rows=4, cols=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output directory [temp dir]")
    parser.add_argument("--full", action="store_true", help="also synth_xilinx the array")
    args = parser.parse_args()
    root = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="hwgen-fpga-"))

    header = f"{'design':44} {'target':7} {'LUTs':>6} {'carry':>6} {'DSP':>4} {'FFs':>6}"
    rows = []
    both = (SynthTarget.ICE40, SynthTarget.XILINX)
    for config, targets in ((MAC, both), (ARRAY, both if args.full else both[:1])):
        out = root / config.name
        manifest = emit(config, out)
        print(
            f"generated {out}/ (top {manifest.top}, latency {manifest.latency}, "
            f"accumulator {manifest.accumulator.bits} bits)"
        )
        for target in targets:
            # LUT logic only, so the two designs compare on the same footing.
            res = synthesize(out, manifest.top, target, dsp=False)
            rows.append(
                f"{manifest.top:44} {target!s:7} {res.luts or 0:6d} {res.carries or 0:6d} "
                f"{res.dsps or 0:4d} {res.ffs:6d}"
            )
    print()
    print(header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
