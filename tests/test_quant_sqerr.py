"""The error engine's squared-error evaluators and its worker processes.

The evaluators must give bit for bit the sums of the scheme kernels' dequantized output
(the library functions), and ``jobs`` worker processes must share the work and give the
same report as one process.
"""

from __future__ import annotations

from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hwgen.quant.error as qe
from hwgen.formats import get
from hwgen.quant import make_entry, measure, open_weights, select_sources
from hwgen.quant.absmax import AbsmaxKernel
from hwgen.quant.bitmod import BitmodKernel
from hwgen.quant.sqerr import Buffers, evaluator

FORMATS = ("int4", "int8", "fp4_e2m1", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2", "flint4", "fp16")
MIXTURES = ("bitmod_fp4", "bitmod_fp3")


def _kernel_sum(x: np.ndarray, name: str, g: int) -> float:
    fmt = get(name)
    if name in MIXTURES:
        d = BitmodKernel(fmt, g, True).rows(x)[0]  # type: ignore[arg-type]
    else:
        d = AbsmaxKernel(fmt, g).rows(x)[0]  # type: ignore[arg-type]
    d = d - x
    return float(np.einsum("i,i->", d.reshape(-1), d.reshape(-1)))


def _evaluated(x: np.ndarray, name: str, g: int, buf: Buffers) -> float:
    scheme = "bitmod" if name in MIXTURES else "absmax"
    f = evaluator((scheme, name, g))
    assert f is not None
    am = np.max(np.abs(x.reshape(x.shape[0], -1, g)), axis=-1, keepdims=True)
    return f(x, am, buf)


@pytest.mark.parametrize("name", FORMATS + MIXTURES)
@pytest.mark.parametrize("g", [32, 128])
def test_evaluator_equals_the_kernel_bit_for_bit(name: str, g: int) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_t(3, size=(24, 256)) * 0.05
    x[2, :g] = 0.0  # an all-zero group
    x[5] *= 1e-30  # a row far from unit scale
    buf = Buffers()
    assert _evaluated(x, name, g, buf) == _kernel_sum(x, name, g)
    # The buffers are reused by the next call (another shape and format) without leaking.
    y = rng.normal(size=(3, 128))
    assert _evaluated(y, name, 32, buf) == _kernel_sum(y, name, 32)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 6),
    exp=st.integers(-300, 300),
    name=st.sampled_from(("int4", "fp4_e2m1", "fp8_e4m3", "bitmod_fp4")),
)
def test_evaluator_equals_the_kernel_property(seed: int, rows: int, exp: int, name: str) -> None:
    rng = np.random.default_rng(seed)
    x = np.ldexp(rng.laplace(size=(rows, 256)), exp)
    assert _evaluated(x, name, 128, Buffers()) == _kernel_sum(x, name, 128)


def test_mx_entries_use_the_kernel() -> None:
    assert evaluator(("mx", "fp4_e2m1", 32)) is None


@pytest.fixture
def bf16_file(tmp_path: Path) -> Path:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(3)
    tensors = {
        f"layers.{i}.w": (rng.standard_t(4, size=(512, 1024)) * 0.02).astype(ml_dtypes.bfloat16)
        for i in range(4)
    }
    path = tmp_path / "m.safetensors"
    save_file(tensors, str(path))
    return path


def test_two_worker_processes_share_the_work_and_agree(
    bf16_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 64 items of 32 Ki weights; workers start behind a barrier, so both get items.
    monkeypatch.setattr(qe, "ITEM_ELEMENTS", 1 << 15)
    monkeypatch.setattr(qe, "_PARALLEL_MIN_ELEMENTS", 0)
    sources, _ = select_sources(open_weights(bf16_file), group_size=128)
    entries = [make_entry(f, None, None) for f in ("int4", "fp8_e4m3", "bitmod_fp4")]
    one = measure(sources, entries, jobs=1)
    two = measure(sources, entries, jobs=2)
    assert one.processes == 1
    assert two.processes == 2
    assert two.to_json() == one.to_json()
    assert [r.rel_mse for r in two.tensors] == [r.rel_mse for r in one.tensors]
