# amaranth: UnusedElaboratable=no
"""BitMoD PE hardware (Amaranth simulator) against the golden model, lint and synthesis."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from bitmod_sim import Group, run_pe
from helpers import comb_eval

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden.bitmod import (
    PEMode,
    WeightType,
    encode_terms,
    group_results,
)
from hwgen.rtl.bitmod import BitmodPE, TermEncoder, special_to_field

#: Area regression bounds (measured figure + margin, see ``docs/bitmod.md`` "Area").
NARROW_PE_MAX_TRANSISTORS = 23_100
NARROW_PE_MAX_MAC_RATIO = 1.03


def _gold(cfg: BitmodPEConfig, groups: list[Group], specials=None) -> list[tuple[int, int, int]]:
    r = group_results(
        cfg,
        np.stack([g.a for g in groups]),
        np.stack([g.w for g in groups]),
        [g.dtype for g in groups],
        [g.sel for g in groups],
        [g.scale for g in groups],
        specials=specials,
    )
    return [(int(m), int(e), int(f)) for m, e, f in zip(r.man, r.exp, r.flags, strict=True)]


def _act_codes(fmt_name: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """Random activation codes, a quarter of them specials / subnormals / extremes."""
    fmt = get(fmt_name)
    codes = rng.integers(0, 1 << fmt.bits, n)
    vals = np.where(fmt.finite_mask, fmt.values(), 0)
    pool = [*fmt.nan_codes, *fmt.inf_codes, int(np.argmax(vals)), int(np.argmin(vals)), 1, 0]
    pick = rng.random(n) < 0.25
    return np.where(pick, rng.choice(pool, n), codes)


def _random_groups(cfg, rng, n, *, specials_rate=True, scales=None) -> list[Group]:
    groups = []
    wts = list(cfg.weight_types)
    for i in range(n):
        wt = wts[i % len(wts)]
        a = _act_codes(cfg.act_format, rng, cfg.group_size)
        if not specials_rate:
            a = np.where(get(cfg.act_format).finite_mask[a], a, 0)
        w = rng.integers(0, 1 << wt.bits, cfg.group_size)
        scale = int(rng.integers(0, 256)) if scales is None else scales[i % len(scales)]
        groups.append(Group(a, w, wt.code, int(rng.integers(0, 4)), scale))
    return groups


@pytest.mark.parametrize("mode", list(PEMode))
def test_every_datatype_and_selector(mode: PEMode) -> None:
    cfg = BitmodPEConfig(mode=mode, group_size=16)
    rng = np.random.default_rng(11)
    groups = []
    for wt in WeightType:
        for sel in range(4):
            a = _act_codes("fp16", rng, 16)
            # Every -0 code of FP types appears so that every selector is exercised.
            w = rng.integers(0, 1 << wt.bits, 16)
            w[:2] = 1 << (wt.bits - 1)
            groups.append(Group(a, w, wt.code, sel, int(rng.integers(0, 256))))
    run = run_pe(cfg, groups)
    assert run.results == _gold(cfg, groups)


def test_nearest_rounding_accumulator() -> None:
    cfg = BitmodPEConfig(mode="narrow", group_size=16, acc_rounding="nearest")
    groups = _random_groups(cfg, np.random.default_rng(21), 12, specials_rate=False)
    assert run_pe(cfg, groups).results == _gold(cfg, groups)


@pytest.mark.parametrize(
    ("act", "mode"),
    [
        ("bf16", "narrow"),
        ("bf16", "exact"),
        ("fp8_e4m3", "narrow"),
        ("int8", "exact"),
        ("int8", "narrow"),
        ("fp8_e4m3", "exact"),
    ],
)
def test_activation_formats_mixed_types(act: str, mode: str) -> None:
    cfg = BitmodPEConfig(act_format=act, mode=mode, group_size=16)
    groups = _random_groups(cfg, np.random.default_rng(5), 8)
    assert run_pe(cfg, groups).results == _gold(cfg, groups)


def test_capped_narrow_accumulator_of_the_narrowest_datapath() -> None:
    # fp8_e4m3 at dot 1: the default accumulator is capped at 14 bits (config docstring).
    cfg = BitmodPEConfig(act_format="fp8_e4m3", mode="narrow", dot=1, group_size=8)
    assert cfg.acc_man_bits == 14
    groups = _random_groups(cfg, np.random.default_rng(9), 12)
    assert run_pe(cfg, groups).results == _gold(cfg, groups)


def test_integer_only_pe_ignores_the_selector() -> None:
    # No FP type: no selector register; meta_sel and the special-value port are unread.
    cfg = BitmodPEConfig(mode="narrow", group_size=16, weight_types=("int4", "int3"))
    groups = _random_groups(cfg, np.random.default_rng(11), 6)
    assert run_pe(cfg, groups).results == _gold(cfg, groups)


@pytest.mark.slow
@pytest.mark.parametrize(
    "types", [("int8",), ("fp4", "fp3"), ("int4", "int3")], ids=["int8", "fp", "int4_int3"]
)
def test_datatype_subsets_lint_clean(tmp_path, types: tuple[str, ...]) -> None:
    # Unread inputs of a subset (selector, special-value port, upper code bits) must not
    # make the Verilog lint-dirty: the ports stay as documented.
    from hwgen.emit import to_verilog
    from hwgen.tools.lint import verilator_lint

    cfg = BitmodPEConfig(group_size=32, weight_types=types)
    path = tmp_path / f"{cfg.name}.v"
    path.write_text(to_verilog(cfg.create(), top=cfg.name))
    assert verilator_lint([path], cfg.name).warnings == []


@pytest.mark.parametrize("mode", list(PEMode))
def test_scale_extremes_and_activation_specials(mode: PEMode) -> None:
    cfg = BitmodPEConfig(mode=mode, group_size=16)
    fp16 = get("fp16")
    g = 16
    sub, big, one = 0x0001, 0x7BFF, int(fp16.encode(np.array(1.0)))
    inf, ninf, nan = 0x7C00, 0xFC00, 0x7E00
    acts = [
        np.array([sub, 0x03FF] * (g // 2)),  # smallest and largest subnormal
        np.full(g, big),  # largest exponent
        np.array([big, sub] * (g // 2)),  # widest exponent spread in one beat
        np.array([inf] + [one] * (g - 1)),
        np.array([inf, ninf] + [big] * (g - 2)),
        np.array([nan] + [one] * (g - 1)),
    ]
    groups = []
    for a in acts:
        # The extreme weights (INT8 -128 / 127, the FP4 special, zero) at scale 0, 1, 255.
        for wt, w, scale in (
            (WeightType.INT8, 0x80, 0),
            (WeightType.INT8, 0x7F, 255),
            (WeightType.FP4, 8, 1),
            (WeightType.INT6, 0, 255),
            (WeightType.INT8, 0x80, 255),
            (WeightType.FP4, 8, 0),
        ):
            groups.append(Group(a, np.full(g, w), wt.code, 2, scale))
    assert run_pe(cfg, groups).results == _gold(cfg, groups)


def test_unserved_dtype_and_register_writes() -> None:
    cfg = BitmodPEConfig(mode="narrow", group_size=16, weight_types=("fp4", "fp3", "int8"))
    rng = np.random.default_rng(2)
    fp3 = (3, -3, 6, -6)
    groups = _random_groups(cfg, rng, 6)
    groups.append(Group(groups[0].a, groups[0].w % 8, WeightType.INT4.code, 0, 7))
    groups.append(Group(groups[0].a, groups[0].w % 8, 7, 0, 7))
    writes = [(k, v) for k, v in enumerate(fp3)]
    assert run_pe(cfg, groups, sv_writes=writes).results == _gold(cfg, groups, specials=fp3)


def test_back_pressure_keeps_results() -> None:
    cfg = BitmodPEConfig(mode="narrow", group_size=16)
    groups = _random_groups(cfg, np.random.default_rng(9), 12)
    pattern = [int(b) for b in np.random.default_rng(1).random(37) < 0.2]
    run = run_pe(cfg, groups, out_ready=pattern)
    assert run.results == _gold(cfg, groups)
    free = run_pe(cfg, groups)
    assert run.cycles > free.cycles  # the slow consumer did stall the stream


@pytest.mark.parametrize("wt", [WeightType.FP4, WeightType.INT8])
def test_minimum_group_size_never_stalls(wt: WeightType) -> None:
    """At the smallest group size, back-to-back groups stream at the datatype's cadence."""
    cfg = BitmodPEConfig(mode="exact", group_size=16)
    assert cfg.min_group_size == 16
    rng = np.random.default_rng(4)
    groups = [
        Group(rng.integers(0, 0x7C00, 16), rng.integers(0, 1 << wt.bits, 16), wt.code, 0, 3)
        for _ in range(6)
    ]
    run = run_pe(cfg, groups)
    assert run.results == _gold(cfg, groups)
    # Metadata in cycle 0, the first beat's term steps from cycle 1, each beat taken in
    # its last step (cycle `cycles`, then one per `cycles` cycles); the last result shows
    # `latency` edges after the last beat (+1: that cycle counts).
    beats = 6 * cfg.beats_per_group
    assert run.cycles == beats * wt.cycles + cfg.group_latency(wt) + 1


@pytest.mark.parametrize("wt", list(WeightType))
def test_encoder_every_code_step_selector(wt: WeightType) -> None:
    cfg = (
        BitmodPEConfig(dot=1, group_size=8, weight_types=(wt,))
        if wt.cycles == 4
        else (BitmodPEConfig(dot=1, group_size=8 if wt.cycles == 3 else 4, weight_types=(wt,)))
    )
    sv = (24, -10, 0, 5)
    enc = TermEncoder(config=cfg)
    codes = np.arange(1 << wt.bits)
    rows = [(c, s, t) for c in codes for s in range(4) for t in range(wt.cycles)]
    packed = sum(special_to_field(v) << (6 * k) for k, v in enumerate(sv))
    got = comb_eval(
        enc,
        {
            "codes": [r[0] for r in rows],
            "sel": [r[1] for r in rows],
            "step": [r[2] for r in rows],
            "wtype": [wt.code] * len(rows),
            "specials": [packed] * len(rows),
        },
        ["t_sign", "t_man", "t_exp", "w_zero", "w_neg", "sigma", "last_step", "type_ok"],
    )
    for i, (c, s, t) in enumerate(rows):
        ref = encode_terms(np.array([c]), wt, selector=s, specials=sv)
        want = (
            int(ref.sign[0, t]),
            int(ref.man[0, t]),
            int(ref.exp[0, t]),
            int(ref.zero[0]),
            int(ref.neg[0]),
            wt.sigmas[t],
            int(t == wt.cycles - 1),
            1,
        )
        names = ("t_sign", "t_man", "t_exp", "w_zero", "w_neg", "sigma", "last_step", "type_ok")
        assert tuple(got[n][i] for n in names) == want, (c, s, t)


def test_rejects_bad_config() -> None:
    with pytest.raises(HwgenError, match="config must be a BitmodPEConfig, not dict"):
        BitmodPE(config={})  # type: ignore[arg-type]


def test_emits_lint_clean_and_synthesizes(tmp_path) -> None:
    from hwgen.costmodel.synth import SynthTarget, synthesize
    from hwgen.emit import to_verilog
    from hwgen.tools.lint import verilator_lint

    for cfg in (
        BitmodPEConfig(mode="narrow"),
        BitmodPEConfig(mode="narrow", acc_rounding="nearest", act_format="bf16"),
        BitmodPEConfig(mode="exact", group_size=16),
    ):
        path = tmp_path / f"{cfg.name}.v"
        text = to_verilog(cfg.create(), top=cfg.name)
        assert text == to_verilog(cfg.create(), top=cfg.name)  # deterministic
        path.write_text(text)
        assert verilator_lint([path], cfg.name).warnings == []
    res = synthesize(
        [tmp_path / f"{BitmodPEConfig(mode='narrow').name}.v"],
        BitmodPEConfig(mode="narrow").name,
        SynthTarget.GENERIC,
    )
    assert res.transistors and res.ffs > 100
    # Area regression: the narrow PE measured 22,026 transistors, 0.977x the unfused FP16
    # MAC (generic flow, Yosys 0.70; `bench/bench_bitmod_area.py`); 5 % margin.
    assert res.transistors < NARROW_PE_MAX_TRANSISTORS


@pytest.mark.slow
def test_narrow_pe_against_the_unfused_fp16_mac(tmp_path) -> None:
    """Area ratio to hwgen's FP16 x FP16 MAC with an unfused FP16 accumulator."""
    from hwgen.costmodel.synth import SynthTarget, synthesize
    from hwgen.design.mac import MacConfig
    from hwgen.emit import to_verilog

    tr = {}
    for cfg in (
        BitmodPEConfig(mode="narrow"),
        MacConfig(a_format="fp16", w_format="fp16", acc_format="fp16", acc_rounding="unfused"),
    ):
        path = tmp_path / f"{cfg.name}.v"
        path.write_text(to_verilog(cfg.create(), top=cfg.name))
        tr[type(cfg)] = synthesize([path], cfg.name, SynthTarget.GENERIC).transistors
    assert tr[BitmodPEConfig] / tr[MacConfig] < NARROW_PE_MAX_MAC_RATIO


@pytest.mark.slow
@pytest.mark.parametrize("act", ["fp16", "bf16", "fp8_e4m3", "int8"])
@pytest.mark.parametrize("mode", list(PEMode))
def test_long_random(act: str, mode: PEMode) -> None:
    cfg = BitmodPEConfig(act_format=act, mode=mode, group_size=32)
    rng = np.random.default_rng(zlib.crc32(f"{act}-{mode.value}".encode()))
    groups = _random_groups(cfg, rng, 120)
    pattern = [int(b) for b in rng.random(53) < 0.7]
    assert run_pe(cfg, groups, out_ready=pattern).results == _gold(cfg, groups)
