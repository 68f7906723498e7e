"""Sweep specs: parsing into typed objects, points, and every bad input with its message."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SWEEP_SMALL

from hwgen.errors import HwgenError
from hwgen.sweep.points import expand
from hwgen.sweep.spec import Unbuildable, load_spec
from hwgen.sweep.toml_lines import key_lines

BASE = """[sweep]
name = "t"

[axes]
formats = ["int4:int4", "fp4_e2m1:int4"]
stages = [0, 1]

[fixed]
max_terms = 64
"""


def _load(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return load_spec(p)


def _error(tmp_path, text) -> str:
    with pytest.raises(HwgenError) as exc:
        spec = _load(tmp_path, text)
        expand(spec)
    return str(exc.value).replace(str(tmp_path / "s.toml"), "s.toml")


def test_small_example_parses():
    spec = load_spec(SWEEP_SMALL)
    assert spec.name == "small"
    assert [i.name for i in spec.stages] == [
        "generate", "lint", "verify", "cost.generic", "cost.ecp5", "accuracy", "gemm_accuracy",
    ]  # fmt: skip
    assert spec.instance("verify").options.sim == "icarus"
    points, skipped = expand(spec)
    assert len(points) == 4 and not skipped


def test_cross_product_in_spec_order(tmp_path):
    points, _ = expand(_load(tmp_path, BASE))
    assert [(p.config["a_format"], p.config["stages"]) for p in points] == [
        ("int4", 0), ("int4", 1), ("fp4_e2m1", 0), ("fp4_e2m1", 1),
    ]  # fmt: skip
    assert all(p.config["max_terms"] == 64 for p in points)
    assert len({p.point_id for p in points}) == 4


def test_family_axis_drops_keys_a_family_lacks_and_merges_duplicates(tmp_path):
    text = BASE.replace("stages = [0, 1]", 'family = ["mac", "array"]\narray = ["2x2", "4x4"]')
    points, _ = expand(_load(tmp_path, text))
    fams = [p.family for p in points]
    assert fams.count("mac") == 2 and fams.count("array") == 4
    arrays = [p for p in points if p.family == "array"]
    assert {(p.config["rows"], p.config["cols"]) for p in arrays} == {(2, 2), (4, 4)}


def test_explicit_points_and_exclusions(tmp_path):
    text = (
        BASE
        + """
[[points]]
formats = ["fp8_e4m3", "int8"]
stages = 2

[constraints]
[[constraints.exclude]]
formats = "fp4_e2m1:int4"
reason = "not interesting"
"""
    )
    points, skipped = expand(_load(tmp_path, text))
    assert [p.name for p in points][-1].startswith("mac_fp8_e4m3_x_int8")
    assert len(points) == 3 and len(skipped) == 2
    assert {s.reason for s in skipped} == {"excluded: not interesting"}


def test_unbuildable_skip_records_the_reason(tmp_path):
    text = BASE.replace("stages = [0, 1]", 'multiplier = ["exact", "lmul"]') + (
        '\n[constraints]\nunbuildable = "skip"\n'
    )
    spec = _load(tmp_path, text)
    assert spec.constraints.unbuildable is Unbuildable.SKIP
    points, skipped = expand(spec)
    assert len(points) == 2 and len(skipped) == 2
    assert skipped[0].reason == "multiplier='lmul' needs float formats: a_format int4 is int"


def test_accuracy_weights_file(tmp_path):
    w = np.random.default_rng(0).normal(size=(4, 128)).astype(np.float32)
    np.save(tmp_path / "w.npy", w)
    spec = _load(tmp_path, BASE + '\n[workload.accuracy]\nweights = { file = "w.npy" }\n')
    opts = spec.instance("accuracy").options
    assert opts.weights.file == str(tmp_path / "w.npy") and len(opts.weights.file_sha256) == 64


WORKLOAD_RUN = (
    '\n[stages]\nrun = ["generate", "cost", "workload"]\n[stages.cost]\ntargets = ["asic"]\n'
)


def test_gemm_workload_is_recorded(tmp_path):
    spec = _load(tmp_path, BASE + WORKLOAD_RUN + "\n[workload.gemm]\nshapes = [[128, 768, 768]]\n")
    assert spec.gemm is not None and spec.gemm.shapes == ((128, 768, 768),)
    inst = spec.instance("workload")
    assert inst.needs == ("generate", "cost.asic")
    assert "workload_throughput_gmacs_per_s_mm2" in spec.columns()


def test_workload_without_asic_cost_names_what_it_needs(tmp_path):
    text = BASE + '\n[stages]\nrun = ["generate", "cost", "workload"]\n'
    assert _error(tmp_path, text) == (
        "s.toml:12: [stages] run: stage 'workload' needs 'cost.asic'; add it to the list"
    )


BAD = [
    ("top-level", BASE + "\n[axis]\nx = 1\n",
     "s.toml:11: unknown key 'axis' at the top level; allowed: sweep, axes, fixed, points,"
     " constraints, stages, workload, subset, report"),
    ("axes key", BASE.replace("stages = [0, 1]", "stagez = [0, 1]"),
     "s.toml:6: unknown key 'stagez' in [axes]; allowed: family, formats, a_format, w_format,"
     " acc_bits, overflow, max_terms, multiplier, stages, out_format, array, rows, cols,"
     " acc_format, acc_rounding, acc_subnormals, dot, group_size, pe_mode"),
    ("stage option", BASE + "\n[stages.verify]\nvectorz = 3\n",
     "s.toml:12: unknown key 'vectorz' in [stages.verify]; allowed: sim, vectors, seed,"
     " exhaustive, stress, lanes"),
    ("inline table", BASE + '\n[workload.accuracy]\nweights = { dist = "gaussian", sed = 1 }\n',
     "s.toml:12: unknown key 'sed' in [workload.accuracy.weights]; allowed: dist, seed, file,"
     " match"),
    ("empty axis", BASE.replace("stages = [0, 1]", "stages = []"),
     "s.toml:6: [axes] stages is empty; give at least one value"),
    ("bad value", BASE.replace("stages = [0, 1]", 'stages = [0, "one"]'),
     "s.toml:6: [axes] stages must be an integer, not 'one'"),
    ("unknown format", BASE.replace('"fp4_e2m1:int4"', '"fp4_e2m1:nosuch4"'),
     "s.toml:5: [axes] formats: unknown format 'nosuch4' (see `hwgen formats list`; also intN,"
     " uintN, fpN_eXmY)"),
    ("axis and fixed", BASE.replace("max_terms = 64", "stages = 1"),
     "s.toml:9: [fixed] stages contradicts the axis [axes] stages (s.toml:6): a parameter is"
     " either swept or fixed"),
    ("pair and half", BASE.replace("stages = [0, 1]", 'a_format = ["int8"]'),
     "s.toml:6: [axes] gives both formats and a_format: formats already sets a_format and"
     " w_format; use one or the other"),
    ("no family takes it", BASE.replace("stages = [0, 1]", 'array = ["2x2"]'),
     "s.toml:6: [axes] array applies to no family of the sweep (mac)"),
    ("stage needs", BASE + '\n[stages]\nrun = ["verify"]\n',
     "s.toml:12: [stages] run: stage 'verify' needs 'generate'; add it to the list"),
    ("unrun stage table", BASE + '\n[stages]\nrun = ["generate"]\n[stages.verify]\nseed = 1\n',
     "s.toml:13: [stages.verify] is given but 'verify' is not in [stages] run"),
    ("cost target twice",
     BASE + '\n[stages]\nrun = ["generate", "cost"]\n[stages.cost]\ntargets = ["asic", "asic"]\n',
     "s.toml:14: [stages.cost] targets lists a target twice"),
    ("fast_cost target twice",
     BASE + '\n[stages]\nrun = ["fast_cost"]\n[stages.fast_cost]\ntargets = ["ice40", "ice40"]\n',
     "s.toml:14: [stages.fast_cost] targets lists a target twice"),
    ("unknown stage", BASE + '\n[stages]\nrun = ["generate", "power"]\n',
     "s.toml:12: [stages] run names an unknown stage 'power'; known: generate, lint, verify,"
     " cost, fast_cost, energy, accuracy, gemm_accuracy, workload"),
    ("weights twice",
     BASE + '\n[workload.accuracy]\nweights = { dist = "gaussian", file = "w.npy" }\n',
     "s.toml:12: [workload.accuracy.weights] gives both file and dist; use one"),
    ("unreadable weights", BASE + '\n[workload.accuracy]\nweights = { file = "missing.npz" }\n',
     "s.toml:12: [workload.accuracy.weights] weights file 'TMP/missing.npz' does not exist"),
    ("report column", BASE + '\n[report]\narea = "asic_area_um2"\n',
     "s.toml:12: [report] area names 'asic_area_um2', which no stage of this sweep produces;"
     " area columns: generic_transistors"),
    ("unbuildable", BASE.replace("stages = [0, 1]", 'multiplier = ["lmul"]'),
     "s.toml:5: cannot build mac int4 x int4 max_terms=64 multiplier=lmul (axes):"
     " multiplier='lmul' needs float formats: a_format int4 is int; set [constraints]"
     ' unbuildable = "skip" to skip such points'),
    ("nothing buildable", BASE.replace("stages = [0, 1]", 'multiplier = ["lmul"]')
     + '\n[constraints]\nunbuildable = "skip"\n',
     "s.toml: no buildable design point: all 2 combination(s) were skipped (first reason:"
     " multiplier='lmul' needs float formats: a_format int4 is int)"),
    ("no points", '[sweep]\nname = "t"\n',
     "s.toml: the spec defines no design points: give [axes] or [[points]]"),
    ("bad toml", BASE + "\nx = = 1\n",
     "s.toml: not valid TOML: Invalid value (at line 11, column 5)"),
    ("cost target", BASE + '\n[stages.cost]\ntargets = ["asci"]\n',
     "s.toml:12: [stages.cost] targets must be a list of cost flows (asic, generic, ice40, ecp5,"
     " xilinx), not ['asci']"),
    ("pnr without fpga", BASE + '\n[stages.cost]\ntargets = ["asic"]\npnr = true\n',
     "s.toml:13: [stages.cost] pnr = true needs an ice40 or ecp5 target, not asic"),
    ("gemm shape", BASE + WORKLOAD_RUN + "\n[workload.gemm]\nshapes = [[0, 1, 1]]\n",
     "s.toml:17: [workload.gemm] shapes must be a list of [M, K, N] shapes (integers >= 1),"
     " not [[0, 1, 1]]"),
    ("gemm preset", BASE + WORKLOAD_RUN + '\n[workload.gemm]\npreset = "gpt9"\n',
     "s.toml:17: [workload.gemm] preset must be one of bert-base, minilm-l6, llama2-7b-prefill,"
     " llama2-7b-decode (optionally NAME:LENGTH), not 'gpt9'"),
    ("gemm unasked", BASE + "\n[workload.gemm]\npreset = \"bert-base\"\n",
     "s.toml:11: [workload.gemm] is given but 'workload' is not in [stages] run"),
    ("energy activity", BASE + '\n[stages]\nrun = ["generate", "energy"]\n'
     '[stages.energy]\nactivity = "pink"\n',
     "s.toml:14: [stages.energy] activity: activity must be a distribution (gaussian,"
     " uniform, laplace) or a tensor file (.npy, .npz, .safetensors), not 'pink'"),
    ("bitmod weights", '[axes]\nformats = ["fp16:fp4_e2m1"]\n[fixed]\nfamily = "bitmod_pe"\n',
     "s.toml:2: cannot build bitmod_pe fp16 x fp4_e2m1 (axes): bitmod_pe weights must be one of"
     " bitmod_fp4, bitmod_fp3, int8, int6, int4, int3, not 'fp4_e2m1'; set [constraints]"
     ' unbuildable = "skip" to skip such points'),
    ("bitmod activations", '[axes]\nformats = ["int4:bitmod_fp4"]\n[fixed]\nfamily = "bitmod_pe"\n',
     "s.toml:2: cannot build bitmod_pe int4 x bitmod_fp4 (axes): bitmod_pe activations must be"
     " one of fp16, bf16, fp8_e4m3, int8, not 'int4'; set [constraints]"
     ' unbuildable = "skip" to skip such points'),
    ("float acc with acc_bits", BASE + 'acc_format = "fp32"\nacc_bits = 20\n',
     "s.toml:5: cannot build mac int4 x int4 max_terms=64 acc_format=fp32 acc_bits=20 stages=0"
     " (axes): acc_bits=20 does not apply to a float accumulator (acc_format='fp32': its width"
     " is the format's); leave it unset; set [constraints] unbuildable = \"skip\" to skip such"
     " points"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_spec_message(tmp_path, case, text, message):
    assert _error(tmp_path, text).replace(str(tmp_path), "TMP") == message


def test_key_lines_follow_tables_and_skip_strings():
    text = """# comment = 1
a = "x = [not a table]"
[t]
b.c = 1
arr = [
  1, 2,
]
s = '''
k = 2
'''
[[p]]
q = 1
[[p]]
q = 2
"""
    lines = key_lines(text).lines
    assert lines[("a",)] == 2
    assert lines[("t",)] == 3 and lines[("t", "b", "c")] == 4 and lines[("t", "arr")] == 5
    assert lines[("t", "s")] == 8 and ("k",) not in lines and ("t", "k") not in lines
    assert lines[("p", 0)] == 11 and lines[("p", 0, "q")] == 12 and lines[("p", 1, "q")] == 14
