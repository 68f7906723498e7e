"""fmax against ``stages``: where the MAC's pipeline registers pay, measured with nextpnr.

For each design and stage count the MAC is generated (``hwgen.emit.emit``) and priced with
the existing FPGA flow, ``hwgen cost DIR --target ice40 --pnr --no-dsp --json --no-cache``: Yosys
``synth_ice40``, nextpnr-ice40 on the HX8K inside the serial-in / XOR-out wrapper, the
median routed fmax of three seeds (1, 2, 3), the flip-flop count of the design alone, and
Yosys' pre-route estimate (``sta`` on the iCE40 cell timing) as the fast figure. Every
fmax is also given as a ratio to the same design at ``stages=0`` measured in the same run.
``useful`` is the manifest's ``pipeline.useful_stages``: beyond it the stages are plain
delay registers and the accumulator loop is the critical path.

Run::

    python bench/bench_pipeline.py                 # all designs (~15 min on 2 cores)
    python bench/bench_pipeline.py --designs int8  # one design
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hwgen.design.mac import MacConfig
from hwgen.emit import emit

DESIGNS: dict[str, tuple[dict[str, object], int]] = {
    "int8": ({"a_format": "int8", "w_format": "int8"}, 3),
    "e4m3": ({"a_format": "fp8_e4m3", "w_format": "fp8_e4m3"}, 3),
    "e4m3_fp32": ({"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "fp32"}, 2),
    "fp4": ({"a_format": "fp4_e2m1", "w_format": "fp4_e2m1"}, 2),
}
"""Design name -> (MacConfig keywords, largest stage count measured)."""


def measure(cfg: MacConfig, root: Path) -> dict[str, float]:
    """Routed fmax (median of 3 seeds), per-seed fmax, FFs, pre-route fmax of one design."""
    ddir = root / cfg.name
    emit(cfg, ddir)
    # The HX8K has no DSP blocks: every multiplier is LUT logic (--no-dsp).
    cmd = [sys.executable, "-m", "hwgen", "cost", str(ddir), "--target", "ice40", "--pnr"]
    cmd.append("--no-dsp")
    out = subprocess.run(
        [*cmd, "--json", "--no-cache"], capture_output=True, text=True, check=True
    ).stdout
    r = json.loads(out)
    return {
        "fmax": r["fmax_mhz"],
        "seeds": r["pnr_fmax_mhz_seeds"],
        "ffs": r["ffs"],
        "pre": r["preroute_fmax_mhz"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", default=",".join(DESIGNS), help="comma-separated names")
    args = ap.parse_args()
    print("| design | stages | cut points used | fmax MHz (median of 3) | x stages=0 |"
          " seeds | FFs | pre-route MHz | x stages=0 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-pipeline-") as tmp:
        for name in args.designs.split(","):
            kw, top = DESIGNS[name]
            base: dict[str, float] | None = None
            for stages in range(top + 1):
                cfg = MacConfig(stages=stages, **kw)  # type: ignore[arg-type]
                r = measure(cfg, Path(tmp))
                base = base or r
                info = cfg.pipeline_info()
                used = ", ".join(info["used"]) or "-"
                if info["delay_stages"]:
                    used += f" + {info['delay_stages']} delay"
                seeds = "/".join(f"{s:.0f}" for s in r["seeds"])
                print(
                    f"| {name} (useful {cfg.useful_stages}) | {stages} | {used} |"
                    f" {r['fmax']:.1f} | {r['fmax'] / base['fmax']:.2f}x | {seeds} |"
                    f" {r['ffs']:.0f} | {r['pre']:.1f} | {r['pre'] / base['pre']:.2f}x |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
