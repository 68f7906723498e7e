"""Area of hwgen's MAC units against a behavioural ``acc <= acc + a*w`` reference.

Generates each MAC with :func:`hwgen.emit.emit`, synthesizes it and the behavioural integer
reference (:mod:`hwgen.costmodel.reference`, same operand and accumulator widths, same
valid/clear semantics) with the same Yosys scripts, and prints one table:

- generic gates (``synth; abc -g cmos2``): cells and Yosys' CMOS transistor estimate;
- Xilinx 7-series: LUTs + DSP48E1 with DSP inference, LUTs + CARRY4 without;
- iCE40: LUT4, SB_CARRY and flip-flops.

Each hwgen row is followed by its ratio to its baseline reference. The INT x INT rows
compare like with like (and are first proven equivalent to their reference with Yosys'
SAT solver, :func:`hwgen.costmodel.reference.prove_equivalent`) and should be <= 1.0x; the
minifloat rows are context (their baseline is the integer reference of the same operand
width: the "FP premium").

Run (with hwgen installed, e.g. ``pip install -e .``)::

    python bench/bench_area.py              # all flows, ~1-2 min
    python bench/bench_area.py --quick      # generic + iCE40 only
    python bench/bench_area.py --check      # exit 1 if an INT row's generic area exceeds 1.0x
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen.costmodel.reference import (
    EquivalenceError,
    ReferenceKind,
    prove_equivalent,
    reference_mac_for,
)
from hwgen.costmodel.synth import SynthResult, SynthTarget, synthesize
from hwgen.emit import emit
from hwgen.rtl.config import MacConfig


@dataclass(frozen=True, slots=True)
class Row:
    """One hwgen MAC and the integer configuration whose reference is its baseline."""

    a_format: str
    w_format: str
    baseline_a: str
    baseline_w: str
    baseline_kind: ReferenceKind = ReferenceKind.VALID_CLEAR


ROWS = (
    # The literal baseline: a plain `acc <= acc + a*w` (no valid/clear, so it does less).
    Row("int8", "int8", "int8", "int8", ReferenceKind.PLAIN),
    Row("int8", "int8", "int8", "int8"),
    Row("int4", "int4", "int4", "int4"),
    Row("fp8_e4m3", "fp8_e4m3", "int8", "int8"),
    Row("fp4_e2m1", "fp4_e2m1", "int4", "int4"),
)


@dataclass(frozen=True, slots=True)
class Flow:
    """One synthesis run and the columns it contributes."""

    target: SynthTarget
    dsp: bool
    columns: tuple[tuple[str, Callable[[SynthResult], int | None]], ...]


FLOWS = (
    Flow(
        SynthTarget.GENERIC,
        False,
        (("cells", lambda r: r.num_cells), ("transistors", lambda r: r.transistors)),
    ),
    Flow(SynthTarget.XILINX, True, (("x7 LUT", lambda r: r.luts), ("x7 DSP", lambda r: r.dsps))),
    Flow(
        SynthTarget.XILINX,
        False,
        (("x7 LUT nodsp", lambda r: r.luts), ("CARRY4", lambda r: r.carries)),
    ),
    Flow(
        SynthTarget.ICE40,
        False,
        (
            ("ice40 LUT4", lambda r: r.luts),
            ("CARRY", lambda r: r.carries),
            ("DFF", lambda r: r.ffs),
        ),
    ),
)
QUICK_TARGETS = (SynthTarget.GENERIC, SynthTarget.ICE40)


def measure(
    sources: Path | Sequence[Path],
    top: str,
    flows: Sequence[Flow],
    params: dict[str, int] | None = None,
) -> dict[str, int | None]:
    """Run every flow on one design and return ``{column: count}``."""
    values: dict[str, int | None] = {}
    for flow in flows:
        result = synthesize(sources, top, flow.target, dsp=flow.dsp, params=params)
        for name, pick in flow.columns:
            values[name] = pick(result)
    return values


def _ratio(value: int | None, base: int | None) -> float | None:
    # Undefined where a flow has no such resource or the reference uses none of it.
    if value is None or not base:
        return None
    return round(value / base, 4)


def _format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def run(*, flows: Sequence[Flow], max_terms: int | None, out_dir: Path) -> list[dict[str, object]]:
    """Measure every row and its baseline; returns one record per table line."""
    extra = {} if max_terms is None else {"max_terms": max_terms}
    baselines: dict[tuple[str, str, ReferenceKind], dict[str, int | None]] = {}
    measured: dict[str, dict[str, int | None]] = {}
    records: list[dict[str, object]] = []
    for row in ROWS:
        key = (row.baseline_a, row.baseline_w, row.baseline_kind)
        label = f"reference {row.baseline_a} x {row.baseline_w} ({row.baseline_kind.value})"
        if key not in baselines:
            base_cfg = MacConfig(a_format=row.baseline_a, w_format=row.baseline_w, **extra)
            ref = reference_mac_for(base_cfg, kind=row.baseline_kind)
            baselines[key] = measure([ref.path], ref.top, flows, ref.params)
            records.append(
                {"design": label, "acc_bits": ref.params["ACC_BITS"], "values": baselines[key]}
            )
        config = MacConfig(a_format=row.a_format, w_format=row.w_format, **extra)
        if config.name not in measured:
            manifest = emit(config, out_dir / config.name)
            measured[config.name] = measure(out_dir / config.name, manifest.top, flows)
        values = measured[config.name]
        base = baselines[key]
        like_for_like = (row.a_format, row.w_format) == key[:2] and (
            row.baseline_kind is ReferenceKind.VALID_CLEAR
        )
        equivalent: bool | None = None
        if like_for_like:
            try:
                prove_equivalent(out_dir / config.name, config.name, reference_mac_for(config))
                equivalent = True
            except EquivalenceError:
                equivalent = False
        records.append(
            {
                "design": f"hwgen {row.a_format} x {row.w_format}",
                "acc_bits": config.accumulator.bits,
                "values": values,
                "baseline": label,
                "ratio": {name: _ratio(values[name], base[name]) for name in values},
                "like_for_like": like_for_like,
                "equivalent": equivalent,
            }
        )
    return records


def format_table(records: Sequence[dict[str, object]]) -> str:
    """Plain-text table: one line per design, ratio lines under hwgen designs."""
    columns = list(records[0]["values"])
    header = ["design", "acc", *columns]
    lines = [header]
    for rec in records:
        values = rec["values"]
        lines.append(
            [str(rec["design"]), str(rec["acc_bits"])]
            + ["-" if values[c] is None else str(values[c]) for c in columns]
        )
        if "ratio" in rec:
            lines.append(
                [f"  / {rec['baseline']}", ""] + [_format_ratio(rec["ratio"][c]) for c in columns]
            )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    for rec in records:
        if rec.get("equivalent") is not None:
            verdict = "proven equivalent to" if rec["equivalent"] else "NOT equivalent to"
            out.append(f"{rec['design']}: {verdict} {rec['baseline']} (Yosys SAT induction)")
    return "\n".join(out)


def over_budget(records: Sequence[dict[str, object]]) -> list[str]:
    """Like-for-like rows that differ from the reference or exceed its generic area."""
    bad = []
    for rec in records:
        if not rec.get("like_for_like"):
            continue
        if rec.get("equivalent") is False:
            bad.append(f"{rec['design']}: not equivalent to {rec['baseline']}")
        for column in ("cells", "transistors"):
            ratio = rec["ratio"].get(column)
            if ratio is not None and ratio > 1.0:
                bad.append(f"{rec['design']}: {column} {ratio:.2f}x of {rec['baseline']}")
    return bad


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="generic and iCE40 flows only")
    parser.add_argument(
        "--max-terms",
        type=int,
        default=None,
        help="dot-product length the accumulators are sized for (default: MacConfig's)",
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the generated designs here")
    parser.add_argument("--json", type=Path, default=None, help="also write the records as JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if an INT row's generic area exceeds the reference",
    )
    args = parser.parse_args(argv)
    flows = [f for f in FLOWS if f.target in QUICK_TARGETS] if args.quick else list(FLOWS)
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-") as tmp:
        out_dir = args.out if args.out is not None else Path(tmp)
        records = run(flows=flows, max_terms=args.max_terms, out_dir=out_dir)
    print(format_table(records))
    if args.json is not None:
        args.json.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    bad = over_budget(records)
    for line in bad:
        print(f"over budget: {line}", file=sys.stderr)
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
