"""The BitMoD quantization-error bench: its asymmetric INT reference and an example run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

_PATH = Path(__file__).resolve().parents[1] / "bench" / "bench_bitmod_quant.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_bitmod_quant", _PATH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_asymmetric_int_matches_a_scalar_reference() -> None:
    b = _bench()
    rng = np.random.default_rng(0)
    w = rng.standard_t(3, size=(2, 8))
    num = den = 0.0
    for g in w:  # group size 8 = one row
        lo, hi = float(g.min()), float(g.max())
        s = (hi - lo) / 15
        z = round(-lo / s)
        for x in g:
            q = min(max(round(x / s) + z, 0), 15)
            num += ((q - z) * s - x) ** 2
            den += x * x
    assert np.isclose(b.asym_rel_mse(w, 4, 8), num / den, rtol=1e-12)


def test_error_table_orders_heavy_tails_like_bitmod() -> None:
    b = _bench()
    t = b.outlier_tensors(1, ((32, 256),))
    table = b.error_table(t)
    assert set(table) == {*b.SYMMETRIC, "int4 asym", "int3 asym"}
    # BitMoD's published ordering at 4 and 3 bits: the mixture beats asymmetric INT,
    # which beats symmetric INT.
    assert table["bitmod_fp4"] < table["int4 asym"] < table["int4"]
    assert table["bitmod_fp3"] < table["int3 asym"] < table["int3"]
