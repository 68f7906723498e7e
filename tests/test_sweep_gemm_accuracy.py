"""Stage gemm_accuracy: the design's GEMM error, from its MAC config, on the Pareto fronts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hwgen.accuracy import (
    ActivationQuant,
    BitmodNarrowGemm,
    ExactAccumulator,
    FixedPointAccumulator,
    FloatAccumulator,
    GemmDesign,
    SyntheticActivations,
    WeightQuant,
    evaluate_design,
    synthetic_weights,
)
from hwgen.design.array import ArrayConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.golden import Overflow
from hwgen.sweep.pareto import choose_fronts
from hwgen.sweep.points import expand
from hwgen.sweep.spec import load_spec
from hwgen.sweep.stages import STAGES
from hwgen.sweep.stages.base import StageContext
from hwgen.sweep.stages.gemm_accuracy import GemmAccuracyOptions, gemm_design
from hwgen.sweep.stages.sources import WeightSource

SPEC = """[sweep]
name = "g"

[axes]
formats = ["int4:int4", "fp4_e2m1:fp4_e2m1"]

[fixed]
family = "mac"
max_terms = 64

[stages]
run = ["generate", "cost", "accuracy", "gemm_accuracy"]

[workload.gemm_accuracy]
group_size = 64
weights = { dist = "student-t", seed = 3, k = 128, n = 32 }
activations = { dist = "gaussian", seed = 1, tokens = 16 }
"""

SMALL = GemmAccuracyOptions(group_size=64, weights=WeightSource(k=128, n=32, layout="out-in"))


def _load(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return load_spec(p)


def _run(point, options=SMALL):
    return STAGES["gemm_accuracy"].run(point, options, {}, StageContext(out_dir=None))


def test_spec_options_and_fronts_use_the_gemm_error(tmp_path):
    spec = _load(tmp_path, SPEC)
    (inst,) = [i for i in spec.stages if i.name == "gemm_accuracy"]
    assert inst.options.group_size == 64
    assert inst.options.weights == WeightSource(
        dist="student-t", seed=3, k=128, n=32, layout="out-in"
    )
    assert inst.options.activations.tokens == 16
    assert {"rel_mse", "sqnr_db", "source"} <= set(spec.columns())
    fronts = choose_fronts(spec)
    assert fronts and all(f.error == "rel_mse" for f in fronts)


def test_result_is_evaluate_design_of_the_mac(tmp_path):
    spec = _load(tmp_path, SPEC)
    points = expand(spec)[0]
    (inst,) = [i for i in spec.stages if i.name == "gemm_accuracy"]
    for point in points:
        got = _run(point, inst.options)
        cfg = point.build()
        design = GemmDesign(
            activations=ActivationQuant(format=cfg.a_format),
            weights=WeightQuant(format=cfg.w_format, group_size=64),
            accumulator=ExactAccumulator(),
        )
        w = {"w": synthetic_weights("student-t", 128, 32, seed=3)}
        want = evaluate_design(design, w, SyntheticActivations(dist="gaussian", tokens=16, seed=1))
        assert got["rel_mse"] == want.rel_mse > 0
        assert math.isclose(got["sqnr_db"], -10 * math.log10(want.rel_mse))
        assert cfg.a_format in got["source"] and "exact" in got["source"]


def test_accumulator_follows_the_config():
    exact = MacConfig(a_format="int8", w_format="int8", max_terms=128)
    assert isinstance(gemm_design(exact, SMALL).accumulator, ExactAccumulator)
    wrap = MacConfig(a_format="int8", w_format="int8", acc_bits=12, overflow="wrap")
    acc = gemm_design(wrap, SMALL).accumulator
    assert acc == FixedPointAccumulator.from_spec(wrap.accumulator, Overflow.WRAP)
    assert acc.bits == 12
    lmul = MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", multiplier="lmul")
    assert str(gemm_design(lmul, SMALL).multiplier) == "lmul"
    arr = ArrayConfig.from_dict({"rows": 2, "cols": 2, **wrap.to_dict()})
    assert gemm_design(arr, SMALL) == gemm_design(wrap, SMALL)


def test_a_narrow_wrapping_accumulator_costs_accuracy(tmp_path):
    """Same formats: a 16-bit wrapping accumulator (one product fits, sums wrap) loses to the
    exact one, a wide one ties."""
    points = {}
    for name, extra in (("exact", ""), ("wide", "acc_bits = 40\noverflow = 'wrap'\n"),
                        ("narrow", "acc_bits = 16\noverflow = 'wrap'\n")):  # fmt: skip
        text = SPEC.replace(
            'formats = ["int4:int4", "fp4_e2m1:fp4_e2m1"]', 'formats = ["int8:int8"]'
        )
        text = text.replace("max_terms = 64\n", "max_terms = 64\n" + extra)
        (point,) = expand(_load(tmp_path, text))[0]
        points[name] = _run(point)["rel_mse"]
    assert points["wide"] == points["exact"]
    assert points["narrow"] > 10 * points["exact"]


def test_out_format_is_refused_not_ignored():
    cfg = MacConfig(a_format="int8", w_format="int8", out_format="fp16")
    with pytest.raises(HwgenError, match="does not model the float output conversion"):
        gemm_design(cfg, SMALL)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("group_size = 100\n",
         "[workload.gemm_accuracy] group_size 100 does not divide the weights' K = 1024"),
        ("group_size = 0\n",
         "[workload.gemm_accuracy] group_size must be an integer >= 1 or \"channel\", not 0"),
        ('weights = { dist = "gaussian", file = "w.npy" }\n',
         "[workload.gemm_accuracy.weights] gives both file and dist; use one"),
        ('weights = { file = "missing.npz" }\n',
         "[workload.gemm_accuracy.weights] weights file 'TMP/missing.npz' does not exist"),
        ('activations = { scaling = "per-token", group_size = 32 }\n',
         "[workload.gemm_accuracy.activations] group_size applies to per-group and mx"
         " scaling only"),
        ("colour = 1\n",
         "unknown key 'colour' in [workload.gemm_accuracy]; allowed: group_size, weights,"
         " activations"),
    ],
)  # fmt: skip
def test_bad_workload(tmp_path, table, message):
    head = SPEC[: SPEC.index("[workload.gemm_accuracy]")]
    with pytest.raises(HwgenError) as exc:
        _load(tmp_path, head + "[workload.gemm_accuracy]\n" + table)
    assert str(exc.value).replace(str(tmp_path), "TMP").endswith(message)


def test_weights_file(tmp_path):
    w = np.random.default_rng(0).normal(0, 0.02, (32, 128)).astype(np.float32)  # (N, K)
    np.savez(tmp_path / "w.npz", proj=w)
    head = SPEC[: SPEC.index("weights =")]
    spec = _load(tmp_path, head + 'weights = { file = "w.npz" }\n')
    (inst,) = [i for i in spec.stages if i.name == "gemm_accuracy"]
    assert inst.options.weights.file_sha256 and "file" not in inst.options.weights.to_dict()
    res = _run(expand(spec)[0][0], inst.options)
    assert 0 < res["rel_mse"] < 1 and "w.npz" in res["source"]


def test_float_accumulators_and_the_narrow_pe_are_modelled(tmp_path):
    """fp32 accumulation is as good as exact, bf16 costs accuracy; an array is its MAC;
    the narrow BitMoD PE runs its golden model."""
    mac = MacConfig(a_format="fp8_e4m3", w_format="int4", acc_format="bf16", max_terms=128)
    design = gemm_design(mac, SMALL)
    assert design.accumulator == FloatAccumulator(mac.float_acc)
    arr = ArrayConfig.from_dict({"rows": 2, "cols": 2, **mac.to_dict()})
    assert gemm_design(arr, SMALL) == design
    text = SPEC.replace(
        '"fp4_e2m1:fp4_e2m1"]', '"fp8_e4m3:int4"]\nacc_format = ["none", "fp32", "bf16"]'
    )
    text = text.replace('formats = ["int4:int4", ', "formats = [")
    points = expand(_load(tmp_path, text))[0]
    err = {p.config.get("acc_format"): _run(p) for p in points}
    assert err["fp32"]["rel_mse"] == pytest.approx(err[None]["rel_mse"], rel=1e-3)
    assert err["bf16"]["rel_mse"] > err["fp32"]["rel_mse"]
    assert "acc-bf16-fused" in err["bf16"]["source"]
    pe = BitmodPEConfig(mode="narrow", group_size=64)
    narrow = gemm_design(pe, SMALL, "bitmod_fp4")
    assert isinstance(narrow, BitmodNarrowGemm) and narrow.pe == pe


def test_activation_file(tmp_path):
    a = np.random.default_rng(2).normal(size=(8, 128))
    np.savez(tmp_path / "acts.npz", x=a)
    head = SPEC[: SPEC.index("activations =")]
    spec = _load(tmp_path, head + 'activations = { file = "acts.npz", name = "x" }\n')
    (inst,) = [i for i in spec.stages if i.name == "gemm_accuracy"]
    assert inst.options.activations.file_sha256 and "acts.npz" not in str(inst.options.to_dict())
    res = _run(expand(spec)[0][0], inst.options)
    assert 0 < res["rel_mse"] < 1 and "acts.npz[x]" in res["source"]
    np.savez(tmp_path / "wide.npz", x=np.ones((8, 64)))
    with pytest.raises(HwgenError) as exc:
        _load(tmp_path, head + 'activations = { file = "wide.npz", tokens = 3 }\n')
    assert str(exc.value).endswith(
        "[workload.gemm_accuracy.activations] tokens applies to synthetic activations only"
    )
    with pytest.raises(HwgenError) as exc:
        _load(tmp_path, head + 'activations = { file = "wide.npz" }\n')
    assert str(exc.value).endswith(
        "[workload.gemm_accuracy.activations] activations wide.npz have K = 64 (shape (8, 64))"
        " but the synthetic weights have K = 128"
    )
