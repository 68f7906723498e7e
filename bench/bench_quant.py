"""Quantization-error throughput and peak memory: streaming engine vs a whole-file reference.

Writes bf16 safetensors files of 7B-model-like layers (q/k/v/o 4096 x 4096, gate/up
11008 x 4096, down 4096 x 11008, Student-t weights; the large file also holds a
32000 x 4096 embedding, the largest tensor of a 7B model) into a temporary directory
(deleted at the end), then runs, each in a fresh child process (so each peak RSS is its
own):

* ``reference``: the original approach -- load the whole file, widen every tensor to
  float64, quantize it with each format with numpy (absmax groups via encode/decode;
  BitMoD by trying every variant on every group, INT8 second-level scales), one format
  and tensor at a time -- on the small file (``--ref-mweights``; it needs ~8 bytes per
  weight, so it cannot run on the large one);
* ``hwgen quant-error --jobs 1`` on the small file (same input as the reference: its
  rel_mse values are compared with it) and ``--jobs 1`` / ``--jobs N`` (N = every core)
  on the large file (``--mweights``);
* with ``--threads``, the same engine on N threads.

Figures: wall seconds, CPU seconds (user + system of the child and its workers), million
weights x formats per wall second and per CPU second, each as a ratio to the reference's,
peak RSS (largest single process), worker processes that got work, and the largest
relative difference of the rel_mse values from the reference on the same file.

    .venv/bin/python bench/bench_quant.py [--mweights 1100] [--ref-mweights 200]
        [--formats int4,...] [--repeat 1] [--threads]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FORMATS = "int4,fp4_e2m1,fp8_e4m3,bitmod_fp4"
LAYER = (
    *[("attn.q", (4096, 4096)), ("attn.k", (4096, 4096)), ("attn.v", (4096, 4096))],
    ("attn.o", (4096, 4096)),
    ("mlp.gate", (11008, 4096)),
    ("mlp.up", (11008, 4096)),
    ("mlp.down", (4096, 11008)),
)  # 202M weights
EMBEDDING = ("embed", (32000, 4096))  # 131M weights: a 7B model's largest tensor
_CHUNK_ROWS = 512


def _student_t(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t(4) x 0.02 in float32: ``z / sqrt(chi2(4) / 4)``, ``chi2(4) = 2 Gamma(2)``."""
    z = rng.standard_normal(shape, dtype=np.float32)
    g = rng.standard_gamma(2.0, shape, dtype=np.float32)
    return z / np.sqrt(g * np.float32(0.5)) * np.float32(0.02)


def write_model(path: Path, mweights: int, *, embedding: bool) -> int:
    """A bf16 safetensors file of whole layers, about ``mweights`` million weights.

    Written row chunk by row chunk (the writer never holds a tensor); bf16 by
    round-to-nearest-even of the float32 draws.
    """
    tensors: list[tuple[str, tuple[int, int]]] = [EMBEDDING] if embedding else []
    total, layer = (EMBEDDING[1][0] * EMBEDDING[1][1] if embedding else 0), 0
    while total < mweights * 1_000_000:
        for name, shape in LAYER:
            tensors.append((f"layers.{layer}.{name}", shape))
            total += shape[0] * shape[1]
        layer += 1
    header, offset = {}, 0
    for name, (r, c) in tensors:
        header[name] = {
            "dtype": "BF16",
            "shape": [r, c],
            "data_offsets": [offset, offset + 2 * r * c],
        }
        offset += 2 * r * c
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _, (r, c) in tensors:
            for lo in range(0, r, _CHUNK_ROWS):
                u = _student_t(rng, (min(_CHUNK_ROWS, r - lo), c)).view(np.uint32)
                # Round to nearest even on the 16 dropped bits (no NaNs among the draws).
                u = (u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) >> 16
                f.write(u.astype("<u2").tobytes())
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


def _engine(path: Path, formats: str, jobs: int, executor: str) -> str:
    """Child body: the streaming engine as ``hwgen quant-error`` runs it."""
    return (
        "from hwgen.quant import open_weights, select_sources, make_entry, measure\n"
        f"src, _ = select_sources(open_weights({str(path)!r}), group_size=128)\n"
        f"ents = [make_entry(f, None, None) for f in {formats!r}.split(',')]\n"
        f"r = measure(src, ents, jobs={jobs}, executor={executor!r})\n"
        "for x in r.formats: print(f'{x.entry.fmt.name},{x.rel_mse!r}')\n"
        "print(f'processes,{r.processes}')"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mweights", type=int, default=1100, help="million weights, large file")
    ap.add_argument("--ref-mweights", type=int, default=200, help="million weights, small file")
    ap.add_argument("--formats", default=FORMATS)
    ap.add_argument("--repeat", type=int, default=1, help="runs per figure (best kept)")
    ap.add_argument("--threads", action="store_true", help="also run the engine on threads")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    nfmt = len(args.formats.split(","))
    py = sys.executable
    here = str(Path(__file__).parent)
    with tempfile.TemporaryDirectory(prefix="hwgen_bench_quant_") as tmp:
        files: dict[str, tuple[Path, int]] = {}
        for label, mw, emb in (("small", args.ref_mweights, False), ("large", args.mweights, True)):
            path = Path(tmp) / f"{label}.safetensors"
            # Written by a child, so no measured child starts from this process's memory.
            n = int(
                subprocess.run(
                    [py, "-c", f"import sys, pathlib; sys.path.insert(0, {here!r});"
                     " import bench_quant;"
                     f" print(bench_quant.write_model(pathlib.Path({str(path)!r}), {mw},"
                     f" embedding={emb}))"],
                    check=True, capture_output=True, text=True,
                ).stdout
            )  # fmt: skip
            files[label] = (path, n)
        small, large = files["small"][0], files["large"][0]
        ref_body = (
            f"sys.path.insert(0, {here!r})\n"
            "import bench_quant\n"
            f"for f, r in bench_quant.reference({str(small)!r}, {args.formats!r}):"
            " print(f'{f},{r!r}')"
        )
        runs = [
            ("reference (whole file, float64)", "small", ref_body),
            ("hwgen --jobs 1", "small", _engine(small, args.formats, 1, "process")),
            ("hwgen --jobs 1", "large", _engine(large, args.formats, 1, "process")),
        ]
        if cores > 1:
            runs.append(
                (f"hwgen --jobs {cores}", "large", _engine(large, args.formats, cores, "process"))
            )
            if args.threads:
                runs.append(
                    (f"{cores} threads", "large", _engine(large, args.formats, cores, "thread"))
                )
        sizes = {k: (p.stat().st_size / 2**20, n) for k, (p, n) in files.items()}
        results = []
        for label, which, body in runs:
            best = None
            for _ in range(args.repeat):
                m = run_child([py, "-c", CHILD.format(body=body)])
                best = m if best is None or m[0] < best[0] else best
            wall, cpu, rss, text = best  # type: ignore[misc]
            rows = {row[0]: row[1] for row in csv.reader(io.StringIO(text))}
            procs = int(rows.pop("processes", "1"))
            rel = {k: float(v) for k, v in rows.items()}
            results.append((label, which, wall, cpu, rss, procs, rel))
    print(
        f"formats {args.formats} (x{nfmt}); {cores} cores, load average"
        f" {os.getloadavg()[0]:.1f} at the end; best of {args.repeat}"
    )
    for k, (mb, n) in sizes.items():
        print(f"  {k} file: {n / 1e6:.0f}M bf16 weights, {mb:.0f} MB")
    head = (
        f"{'path':<32} {'file':<6} {'wall s':>8} {'cpu s':>8} {'Mw*f/s':>7} {'x ref':>6}"
        f" {'Mw*f/cpu-s':>10} {'x ref':>6} {'peak RSS MB':>11} {'procs':>5} {'max rel diff':>12}"
    )
    print(head)
    print("-" * len(head))
    _, _, rwall, rcpu, _, _, rrel = results[0]
    nref = sizes["small"][1]
    for label, which, wall, cpu, rss, procs, rel in results:
        n = sizes[which][1]
        rate, crate = n * nfmt / wall / 1e6, n * nfmt / cpu / 1e6
        diff = (
            f"{max(abs(rel[k] - rrel[k]) / rrel[k] for k in rrel):12.1e}"
            if which == "small"
            else " " * 12
        )
        print(
            f"{label:<32} {which:<6} {wall:8.1f} {cpu:8.1f} {rate:7.1f}"
            f" {rate / (nref * nfmt / rwall / 1e6):5.2f}x {crate:10.1f}"
            f" {crate / (nref * nfmt / rcpu / 1e6):5.2f}x {rss:11.0f} {procs:5d} {diff}"
        )


if __name__ == "__main__":
    main()
