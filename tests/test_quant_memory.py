"""Peak memory of ``hwgen quant-error`` on a large weight file is bounded by a work item.

The file (~400 MB of bf16, 200M weights) is written chunk by chunk so the test itself
stays small; the command runs in a child process whose peak resident set (and its
workers') is read with ``resource.getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO_ROOT

ROWS, COLS, TENSORS = 8192, 4096, 6  # 6 x 33.5M bf16 weights = 403 MB
# Interpreter, numpy and hwgen (~45 MB) plus one work item per process (4 Mi weights:
# 8 MB raw, 16 MB widened, block temporaries); far below the file, let alone a float64
# copy of it (1.6 GB).
RSS_LIMIT_MB = 200


def _write_bf16_safetensors(path: Path) -> int:
    names = [f"layers.{i}.weight" for i in range(TENSORS)]
    nbytes = ROWS * COLS * 2
    header = {
        n: {"dtype": "BF16", "shape": [ROWS, COLS], "data_offsets": [i * nbytes, (i + 1) * nbytes]}
        for i, n in enumerate(names)
    }
    text = json.dumps(header).encode()
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for _ in names:
            for _ in range(0, ROWS, 1024):
                w = (rng.standard_normal((1024, COLS), np.float32) * 0.02).view(np.uint32)
                f.write((w >> 16).astype("<u2").tobytes())
    return TENSORS * ROWS * COLS


@pytest.mark.slow
def test_peak_memory_is_bounded_by_a_work_item(tmp_path: Path) -> None:
    path = tmp_path / "big.safetensors"
    n = _write_bf16_safetensors(path)
    # ru_maxrss of children covers every child the test process ever waited for (simulator
    # builds, Yosys...), so the command runs under a fresh wrapper process that reports the
    # peak of its own descendants only: the CLI and its workers.
    wrapper = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stdout.buffer.write(p.stdout)\n"
        "sys.stderr.buffer.write(p.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(p.returncode)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "hwgen", "quant-error",
         "--weights", str(path), "--formats", "int4,bitmod_fp4", "--json", "--jobs", "2"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=1800, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    peak_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
    doc = json.loads(proc.stdout)
    assert doc["weights"] == n
    assert [f["format"] for f in doc["formats"]] == ["bitmod_fp4", "int4"]
    assert peak_mb < RSS_LIMIT_MB, (
        f"peak RSS {peak_mb:.0f} MB for a {path.stat().st_size >> 20} MB file"
    )
