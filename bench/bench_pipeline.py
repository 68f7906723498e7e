"""fmax against ``stages``: where the MAC's pipeline registers pay, measured with nextpnr.

For each design and stage count the MAC is generated (``hwgen.emit.emit``) and priced with
the existing FPGA flow, ``hwgen cost DIR --target ice40 --pnr --no-dsp --json --no-cache``: Yosys
``synth_ice40``, nextpnr-ice40 on the HX8K inside the serial-in / XOR-out wrapper, the
median routed fmax of three seeds (1, 2, 3), the flip-flop count of the design alone, and
Yosys' pre-route estimate (``sta`` on the iCE40 cell timing) as the fast figure. Every
fmax is also given as a ratio to the same design at ``stages=0`` measured in the same run.
``useful`` is the manifest's ``pipeline.useful_stages``: from there on the accumulator
loop is the critical path by the per-segment delay estimate
(:mod:`hwgen.design.stage_delay`), whose critical path in logic levels and its ratio to
``stages=0`` are the last two columns. Each design is measured at ``0 .. useful + 1``
stages (float accumulators: at most ``len(cut_points)``).

Run::

    python bench/bench_pipeline.py                 # the four designs of the README table
    python bench/bench_pipeline.py --designs all   # all eight (~1 h on 2 idle cores)
    python bench/bench_pipeline.py --designs int8  # one design
    python bench/bench_pipeline.py --no-pnr        # pre-route and estimate only (minutes)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hwgen.design.mac import MAX_STAGES, MacConfig
from hwgen.emit import emit

DESIGNS: dict[str, dict[str, object]] = {
    "int8": {"a_format": "int8", "w_format": "int8"},
    "e4m3": {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3"},
    "e4m3_fp32": {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "fp32"},
    "fp4": {"a_format": "fp4_e2m1", "w_format": "fp4_e2m1"},
    "int4": {"a_format": "int4", "w_format": "int4"},
    "fp6": {"a_format": "fp6_e3m2", "w_format": "fp6_e3m2"},
    "fp16_unfused": {
        "a_format": "fp16",
        "w_format": "fp16",
        "acc_format": "fp16",
        "acc_rounding": "unfused",
    },
    "e4m3_bf16": {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "bf16"},
}
"""Design name -> MacConfig keywords (the slow test's set)."""
DEFAULT = ("int8", "e4m3", "e4m3_fp32", "fp4")


def top_stages(cfg: MacConfig) -> int:
    """``useful_stages + 1``, as far as the design takes stages."""
    top = MAX_STAGES if cfg.float_acc is None else len(cfg.cut_points)
    return min(cfg.useful_stages + 1, top)


def measure(cfg: MacConfig, root: Path, *, pnr: bool) -> dict[str, object]:
    """Routed fmax (median of 3 seeds), per-seed fmax, FFs, pre-route fmax of one design."""
    ddir = root / cfg.name
    emit(cfg, ddir)
    # The HX8K has no DSP blocks: every multiplier is LUT logic (--no-dsp).
    cmd = [sys.executable, "-m", "hwgen", "cost", str(ddir), "--target", "ice40"]
    cmd += ["--pnr", "--no-dsp"] if pnr else ["--no-dsp"]
    out = subprocess.run(
        [*cmd, "--json", "--no-cache"], capture_output=True, text=True, check=True
    ).stdout
    r = json.loads(out)
    return {
        "fmax": r["fmax_mhz"] if pnr else None,
        "seeds": r["pnr_fmax_mhz_seeds"] if pnr else [],
        "ffs": r["ffs"],
        "pre": r["preroute_fmax_mhz"],
    }


def _ratio(value: object, base: object) -> str:
    if not isinstance(value, float) or not isinstance(base, float):
        return "-"
    return f"{value / base:.2f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--designs",
        default=",".join(DEFAULT),
        help=f"comma-separated names of {', '.join(DESIGNS)}, or all",
    )
    ap.add_argument("--no-pnr", action="store_true", help="pre-route estimate only")
    args = ap.parse_args()
    names = list(DESIGNS) if args.designs == "all" else args.designs.split(",")
    print("| design | stages | cut points used | fmax MHz (median of 3) | x stages=0 |"
          " seeds | FFs | pre-route MHz | x stages=0 | est. levels | est. x stages=0 |"
          )  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-pipeline-") as tmp:
        for name in names:
            kw = DESIGNS[name]
            first = MacConfig(**kw)  # type: ignore[arg-type]
            paths = first.stage_delays.critical_paths(first.cut_points)
            base: dict[str, object] | None = None
            for stages in range(top_stages(first) + 1):
                cfg = MacConfig(stages=stages, **kw)  # type: ignore[arg-type]
                r = measure(cfg, Path(tmp), pnr=not args.no_pnr)
                base = base or r
                info = cfg.pipeline_info()
                used = ", ".join(info["used"]) or "-"
                if info["delay_stages"]:
                    used += f" + {info['delay_stages']} delay"
                seeds = "/".join(f"{s:.0f}" for s in r["seeds"]) or "-"  # type: ignore[attr-defined]
                fmax = f"{r['fmax']:.1f}" if r["fmax"] is not None else "-"
                est = paths[min(stages, len(paths) - 1)]
                print(
                    f"| {name} (useful {cfg.useful_stages}) | {stages} | {used} |"
                    f" {fmax} | {_ratio(r['fmax'], base['fmax'])} | {seeds} |"
                    f" {r['ffs']:.0f} | {r['pre']:.1f} | {_ratio(r['pre'], base['pre'])} |"
                    f" {est:.2f} | {paths[0] / est:.2f}x |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
