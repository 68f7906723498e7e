"""Quantization-error throughput and peak memory: streaming engine vs a whole-file reference.

Writes a bf16 safetensors file of transformer-like layers into a temporary directory, then
runs, each in a fresh child process (so each peak RSS is its own):

* ``reference``: the straightforward path -- load the whole file, widen every tensor to
  float64, quantize it with each format (absmax groups via encode/decode; BitMoD by trying
  every variant on every group, INT8 second-level scales), one format and tensor at a time;
* ``hwgen --jobs N``: ``hwgen quant-error --weights FILE --csv`` (streaming, worker
  processes), for N = 1 and every core;
* ``threads N``: the same engine on N threads instead of processes.

Figures: wall seconds, CPU seconds (user + system of the child and its workers),
weights x formats per wall second, ratio against the reference, peak RSS (largest single
process), and the largest relative difference of the rel_mse values from the reference.

    .venv/bin/python bench/bench_quant.py [--mweights 64] [--formats int4,...] [--repeat 1]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FORMATS = "int4,fp4_e2m1,fp8_e4m3,bitmod_fp4"
SHAPES = ((1024, 4096), (4096, 4096), (4096, 1024))  # one "layer": 24M weights


def write_model(path: Path, mweights: int) -> int:
    """A bf16 safetensors file of about ``mweights`` million Student-t weights."""
    import ml_dtypes
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    tensors, total, layer = {}, 0, 0
    while total < mweights * 1_000_000:
        for k, shape in enumerate(SHAPES):
            w = (rng.standard_t(4, size=shape) * 0.02).astype(np.float32)
            tensors[f"layers.{layer}.w{k}"] = w.astype(ml_dtypes.bfloat16)
            total += w.size
        layer += 1
    save_file(tensors, str(path))
    return total


# ---------------------------------------------------------------------- the reference
def reference(path: str, formats: str) -> list[tuple[str, float]]:
    """Whole-file load, float64, one format and tensor at a time (the simple approach)."""
    import ml_dtypes  # noqa: F401  (lets safetensors.numpy return bfloat16 arrays)
    from safetensors.numpy import load_file

    from hwgen.formats import MixtureFormat, get

    tensors = {k: v.astype(np.float32) for k, v in load_file(path).items()}
    out = []
    for name in formats.split(","):
        fmt = get(name)
        rels = []
        for w in tensors.values():
            x = w.astype(np.float64).reshape(-1, 128)
            am = np.abs(x).max(axis=1, keepdims=True)
            if isinstance(fmt, MixtureFormat):
                best, sel, scale = np.full(len(x), np.inf), np.zeros(len(x), int), None
                scales = []
                for i, v in enumerate(fmt.variants):
                    s = np.where(am > 0, am / v.max_magnitude, 1.0)
                    q = v.decode(v.encode(x / s)) * s
                    err = ((q - x) ** 2).sum(axis=1)
                    better = err < best
                    best, sel = np.where(better, err, best), np.where(better, i, sel)
                    scales.append(s[:, 0])
                scale = np.choose(sel, scales).reshape(w.shape[0], -1)
                row = np.max(scale, axis=1, keepdims=True) / 255
                stored = (np.clip(np.rint(scale / row), 1, 255) * row).reshape(-1, 1)
                q = np.zeros_like(x)
                for i, v in enumerate(fmt.variants):
                    m = sel == i
                    q[m] = v.decode(v.encode(x[m] / stored[m])) * stored[m]
            else:
                s = np.where(am > 0, am / fmt.max_abs, 1.0)
                q = fmt.decode(fmt.encode(x / s, saturate=True)) * s
            rels.append(float(((q - x) ** 2).sum() / (x**2).sum()))
        out.append((name, float(np.mean(rels))))
    return out


# ---------------------------------------------------------------------- measuring
def run_child(cmd: list[str]) -> tuple[float, float, float, str]:
    """Wall s, CPU s and peak RSS MB of a child (and its workers), plus its stdout."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode:
            raise SystemExit(f"{cmd} failed ({proc.returncode}): {err}")
        out.seek(0)
        text = out.read().decode()
    # ru_maxrss of wait4 covers the child; its workers report through RUSAGE_CHILDREN
    # inside it, which the child prints as its last line.
    lines = text.strip().splitlines()
    stats = json.loads(lines[-1])
    peak_mb = max(ru.ru_maxrss, stats["children_maxrss_kb"]) / 1024
    return wall, stats["cpu_s"], peak_mb, "\n".join(lines[:-1])


CHILD = """
import json, resource, sys
{body}
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                   "children_maxrss_kb": kids.ru_maxrss}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mweights", type=int, default=64, help="million weights in the file")
    ap.add_argument("--formats", default=FORMATS)
    ap.add_argument("--repeat", type=int, default=1, help="runs per figure (best kept)")
    ap.add_argument("--no-reference", action="store_true", help="skip the reference run")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    nfmt = len(args.formats.split(","))
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="hwgen_bench_quant_") as tmp:
        path = Path(tmp) / "model.safetensors"
        # Written by a child: a child forked from a parent that held the arrays would start
        # with the parent's resident set and report it as its own peak.
        n = int(
            subprocess.run(
                [py, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
                 f" import bench_quant; print(bench_quant.write_model("
                 f"__import__('pathlib').Path({str(path)!r}), {args.mweights}))"],
                check=True, capture_output=True, text=True,
            ).stdout
        )  # fmt: skip
        size_mb = path.stat().st_size / 2**20
        runs: list[tuple[str, str]] = []
        if not args.no_reference:
            body = (
                f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                "import bench_quant\n"
                f"for f, r in bench_quant.reference({str(path)!r}, {args.formats!r}):"
                " print(f'{f},{r!r}')"
            )
            runs.append(("reference (whole file, float64)", body))
        for jobs in sorted({1, cores}):
            body = (
                "import io, contextlib, csv\n"
                "from hwgen.cli.main import main\n"
                "buf = io.StringIO()\n"
                "with contextlib.redirect_stdout(buf):\n"
                "    try:\n"
                f"        main(['quant-error', '--weights', {str(path)!r}, '--formats',"
                f" {args.formats!r}, '--csv', '--jobs', '{jobs}'], standalone_mode=False)\n"
                "    except SystemExit: pass\n"
                "for r in csv.DictReader(io.StringIO(buf.getvalue())):"
                " print(r['format'] + ',' + r['rel_mse'])"
            )
            runs.append((f"hwgen quant-error --jobs {jobs}", body))
        if cores > 1:
            body = (
                "from hwgen.quant import open_weights, select_sources, make_entry, measure\n"
                f"src, _ = select_sources(open_weights({str(path)!r}), group_size=128)\n"
                f"ents = [make_entry(f, None, None) for f in {args.formats!r}.split(',')]\n"
                f"r = measure(src, ents, jobs={cores}, executor='thread')\n"
                "for x in r.formats: print(f'{x.entry.fmt.name},{x.rel_mse!r}')"
            )
            runs.append((f"threads {cores}", body))
        results = []
        for label, body in runs:
            best = None
            for _ in range(args.repeat):
                m = run_child([py, "-c", CHILD.format(body=body)])
                best = m if best is None or m[0] < best[0] else best
            wall, cpu, rss, text = best  # type: ignore[misc]
            rel = {row[0]: float(row[1]) for row in csv.reader(io.StringIO(text))}
            results.append((label, wall, cpu, rss, rel))
    ref_wall = results[0][1] if not args.no_reference else None
    ref_rel = results[0][4] if not args.no_reference else None
    print(
        f"{n / 1e6:.1f}M bf16 weights ({size_mb:.0f} MB safetensors) x {nfmt} formats"
        f" ({args.formats}), {cores} cores, best of {args.repeat}"
    )
    head = (
        f"{'path':<34} {'wall s':>7} {'cpu s':>7} {'Mw*f/s':>8} {'x ref':>6} "
        f"{'peak RSS MB':>11} {'max rel diff':>12}"
    )
    print(head)
    print("-" * len(head))
    for label, wall, cpu, rss, rel in results:
        ratio = f"{ref_wall / wall:5.2f}x" if ref_wall else "   n/a"
        diff = (
            max(abs(rel[k] - ref_rel[k]) / ref_rel[k] for k in ref_rel) if ref_rel else float("nan")
        )
        print(
            f"{label:<34} {wall:7.2f} {cpu:7.2f} {n * nfmt / wall / 1e6:8.1f} {ratio} "
            f"{rss:11.0f} {diff:12.1e}"
        )


if __name__ == "__main__":
    main()
