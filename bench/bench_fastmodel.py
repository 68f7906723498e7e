"""Design points per second of the fitted fast cost model vs synthesis, and its error table.

In one run: (1) the reference, the ASIC flow (Yosys mapping to the embedded library +
OpenSTA) and the generic Yosys flow on designs *outside* the fit sample, timed per design
with a private, empty cost cache; (2) the fast model on the same designs (its error against
those fresh synthesis results), then on a derived-parameter frame of 1,000,000 designs
(``FittedModel.predict``) and end to end from configs (``estimate_many``, derived
parameters included); (3) the held-out error stored in the shipped fit files, per target,
metric and family, next to the cross-validated error on the training designs that chose
each metric's terms (the selection never sees the held-out designs).

Run::

    python bench/bench_fastmodel.py [--designs 4] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from hwgen.costmodel.cost import CostOptions, Target, estimate_cost
from hwgen.costmodel.fast import design_set
from hwgen.costmodel.fast.fit import DEFAULT_POINTS, FIT_METRICS
from hwgen.costmodel.fast.model import estimate_many, fitted_targets, load_fit
from hwgen.costmodel.fast.params import params_frame
from hwgen.design.array import ArrayConfig
from hwgen.design.base import DesignConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import emit

#: Designs not in the fit sample (checked at run time), one per family and kind.
OUTSIDE: tuple[DesignConfig, ...] = (
    MacConfig(a_format="int8", w_format="int3", stages=1),
    MacConfig(a_format="fp8_e4m3", w_format="fp6_e3m2", stages=1),
    MacConfig(a_format="fp6_e2m3", w_format="fp6_e2m3", acc_format="fp16"),
    ArrayConfig(mac=MacConfig(a_format="int8", w_format="int4", max_terms=256), rows=2, cols=2),
    BitmodPEConfig(act_format="fp16", dot=4, mode="exact", group_size=64),
    MacConfig(a_format="int4", w_format="fp8_e5m2", stages=2),
)


def _synth(configs: list[DesignConfig], root: Path) -> tuple[pd.DataFrame, float]:
    rows = []
    t0 = time.perf_counter()
    for c in configs:
        ddir = root / c.name
        emit(c, ddir)
        asic = estimate_cost(ddir, CostOptions(target=Target.ASIC))
        gen = estimate_cost(ddir, CostOptions(target=Target.GENERIC))
        rows.append(
            {
                "design": c.name,
                "area_um2": asic.area_um2,
                "fmax_mhz": asic.fmax_mhz,
                "transistors": gen.transistors,
            }
        )
    return pd.DataFrame(rows), time.perf_counter() - t0


def _pct(pred: np.ndarray, meas: np.ndarray) -> np.ndarray:
    return np.abs(pred - meas) / meas * 100


def main() -> None:
    """Print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=4, help="designs synthesized (<= 6)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the batch case")
    args = ap.parse_args()
    have = set(fitted_targets())
    if not {"asic", "generic"} <= have:
        raise SystemExit("needs the shipped asic and generic fits (hwgen cost fit)")
    sample = {c.name for c in design_set.sample(DEFAULT_POINTS)}
    configs = [c for c in OUTSIDE if c.name not in sample][: args.designs]
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-fast-") as tmp:
        os.environ["HWGEN_CACHE_DIR"] = str(Path(tmp) / "cache")
        synth, synth_s = _synth(configs, Path(tmp))
    t0 = time.perf_counter()
    fast_a = estimate_many(configs, "asic")
    fast_g = estimate_many(configs, "generic")
    fast_s = time.perf_counter() - t0

    print(f"fast model vs synthesis on {len(configs)} designs outside the fit sample")
    print(
        f"{'design':<44} {'area um2':>10} {'fast':>10} {'err %':>6} "
        f"{'fmax MHz':>9} {'fast':>7} {'err %':>6} {'transistors':>11} {'fast':>8} {'err %':>6}"
    )
    for i, c in enumerate(configs):
        s, a, g = synth.iloc[i], fast_a.iloc[i], fast_g.iloc[i]
        print(
            f"{c.name[:44]:<44} {s.area_um2:>10.0f} {a.area_um2:>10.0f}"
            f" {_pct(a.area_um2, s.area_um2):>6.1f} {s.fmax_mhz:>9.1f} {a.fmax_mhz:>7.1f}"
            f" {_pct(a.fmax_mhz, s.fmax_mhz):>6.1f} {s.transistors:>11.0f}"
            f" {g.transistors:>8.0f} {_pct(g.transistors, s.transistors):>6.1f}"
        )
    ea = _pct(fast_a["area_um2"].to_numpy(), synth["area_um2"].to_numpy())
    print(f"area MAPE on these designs {ea.mean():.2f} % (max {ea.max():.2f} %)")

    # Batch evaluation: a derived-parameter frame of args.rows designs.
    base = params_frame(design_set.sample(DEFAULT_POINTS))
    frame = base.iloc[np.arange(args.rows) % len(base)].reset_index(drop=True)
    model = load_fit("asic")
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        model.predict(frame)
        best = min(best, time.perf_counter() - t0)
    batch_rate = args.rows / best
    many = [c for c in design_set.sample(DEFAULT_POINTS)] * 40
    t0 = time.perf_counter()
    estimate_many(many, "asic")
    e2e_rate = len(many) / (time.perf_counter() - t0)
    synth_rate = len(configs) / synth_s
    fast_rate = 2 * len(configs) / fast_s
    print()
    print(f"{'case':<58} {'designs/s':>12} {'x synthesis':>12}")
    print(
        f"{'synthesis: ASIC (Yosys + OpenSTA) + generic, empty cache':<58} "
        f"{synth_rate:>12.4g} {1.0:>12.1f}"
    )
    print(
        f"{'fast model, same designs (load + derive + predict)':<58} "
        f"{fast_rate:>12.4g} {fast_rate / synth_rate:>12.4g}"
    )
    print(
        f"{'fast model, estimate_many from configs (' + str(len(many)) + ')':<58} "
        f"{e2e_rate:>12.4g} {e2e_rate / synth_rate:>12.4g}"
    )
    print(
        f"{'fast model, predict on a frame of ' + f'{args.rows:,}' + ' designs':<58} "
        f"{batch_rate:>12.4g} {batch_rate / synth_rate:>12.4g}"
    )

    _validation_table(have)
    print()
    print("held-out error of the shipped fits (designs not used in the fit or the selection)")
    print(
        f"{'target':<8} {'metric':<26} {'family':<10} {'MAPE %':>7} {'max %':>7} "
        f"{'Spearman':>8} {'points':>6} {'CV %':>6} {'terms':>5} {'fitted':>6}"
    )
    for t, field, m in _shipped_metrics(have):
        cv = m.get("selection", {}).get("cv_mape_pct")
        for fam, e in m["held_out"].items():
            rho = "" if e["spearman"] is None else f"{e['spearman']:.3f}"
            mape = "" if e["mape_pct"] is None else f"{e['mape_pct']:.2f}"
            mx = "" if e["max_error_pct"] is None else f"{e['max_error_pct']:.2f}"
            extra = (
                f" {cv:>6.2f} {len(m['coefficients']):>5} {m['train_points']:>6}"
                if fam == "all" and cv is not None
                else ""
            )
            print(
                f"{t.value:<8} {field:<26} {fam:<10} {mape:>7} {mx:>7} {rho:>8} "
                f"{e['points']:>6}{extra}"
            )
    for t in FIT_METRICS:
        skipped = load_fit(t.value).data.get("skipped", []) if t.value in have else []
        if skipped:
            print(
                f"{t.value:<8} {len(skipped)} of the sample left out or without energy"
                f" (over the fit's per-design timeout; listed in the fit file): "
                + ", ".join(sk["design"] for sk in skipped[:3])
                + (" ..." if len(skipped) > 3 else "")
            )


def _validation_table(have: set[str]) -> None:
    """Blind error of each shipped fit on its validation designs, as a ratio to held-out."""
    print()
    print(
        "validation error of the shipped fits (designs outside the fit sample, predicted"
        " blind), and its ratio to the held-out error"
    )
    print(
        f"{'target':<8} {'metric':<26} {'MAPE %':>7} {'max %':>7} {'Spearman':>8} "
        f"{'points':>6} {'held-out %':>10} {'ratio':>6}"
    )
    for t, field, m in _shipped_metrics(have):
        v, h = m.get("validation", {}).get("all"), m["held_out"]["all"]
        if not v or not v["points"]:
            continue
        ratio = v["mape_pct"] / h["mape_pct"] if h["mape_pct"] else float("nan")
        print(
            f"{t.value:<8} {field:<26} {v['mape_pct']:>7.2f} {v['max_error_pct']:>7.2f} "
            f"{v['spearman']:>8.3f} {v['points']:>6} {h['mape_pct']:>10.2f} {ratio:>6.2f}"
        )


def _shipped_metrics(have: set[str]) -> Iterator[tuple[Target, str, dict]]:
    """``(target, field, metric record)`` of every shipped fit, in target order."""
    for t in FIT_METRICS:
        if t.value in have:
            for field, m in load_fit(t.value).data["metrics"].items():
                yield t, field, m


if __name__ == "__main__":
    main()
