"""The demo job: the embedded default sweep spec and what it covers."""

from __future__ import annotations

from collections import Counter

from hwgen.sweep.demo import DEFAULT_OUT, DEMO_SPEC
from hwgen.sweep.points import expand
from hwgen.sweep.spec import load_spec


def test_demo_spec_is_installed_with_the_package_and_parses():
    assert DEMO_SPEC.is_file() and DEMO_SPEC.parent.name == "sweep"
    spec = load_spec(DEMO_SPEC)
    assert spec.name == "demo"
    assert DEFAULT_OUT.as_posix() == "rtl_out/demo"


def test_demo_covers_the_formats_accumulators_families_and_array_sizes():
    points, skipped = expand(load_spec(DEMO_SPEC))
    macs = [p for p in points if p.family == "mac"]
    fmts = {p.operands for p in macs}
    assert fmts == {(f, f) for f in ("int4", "int8", "fp4_e2m1", "fp6_e2m3", "fp8_e4m3")}
    # Every minifloat MAC with both the exact and the FP32 accumulator; integers exact only.
    accs = Counter((p.operands[0], p.config.get("acc_format")) for p in macs)
    for f in ("fp4_e2m1", "fp6_e2m3", "fp8_e4m3"):
        assert accs[(f, None)] == 1 and accs[(f, "fp32")] == 1
    assert accs[("int4", None)] == accs[("int8", None)] == 1
    assert len(skipped) == 2 and all("exact accumulator" in s.reason for s in skipped)
    bitmod = [p for p in points if p.family == "bitmod_pe"]
    assert [p.operands for p in bitmod] == [("fp16", "bitmod_fp4")]
    assert bitmod[0].design_class == "bitmod"
    sizes = sorted((p.config["rows"], p.config["cols"]) for p in points if p.family == "array")
    assert sizes == [(2, 2), (2, 2), (4, 4)]
    assert {p.design_class for p in points} == {"int", "minifloat", "bitmod"}


def test_demo_prices_on_the_asic_library_and_ice40_and_runs_the_workload():
    spec = load_spec(DEMO_SPEC)
    names = [i.name for i in spec.stages]
    assert names == [
        "generate", "lint", "verify", "cost.asic", "cost.ice40", "accuracy", "gemm_accuracy",
        "workload",
    ]  # fmt: skip
    assert spec.instance("verify").options.vectors > 0
    assert spec.gemm is not None and spec.gemm.preset == "bert-base"
