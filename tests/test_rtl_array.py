"""The PE array against the golden GEMM: random tiles, gaps, backpressure, overflow modes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from amaranth.hdl import Fragment
from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.design.array import MAX_DIM, ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden import Overflow, gemm, mac_trace
from hwgen.golden.specials import Flag
from hwgen.rtl.array import PEArray

CLOCK = 1e-6


@dataclass
class Run:
    """What the simulated array delivered."""

    acc: list[np.ndarray]  # one (R, C) int array per tile
    flags: list[np.ndarray]  # one (R, C) flag-word array per tile (zeros without flags)
    accept_cycle: list[int]  # cycle each tile's last beat was accepted
    first_valid_cycle: list[int]  # cycle row 0 of each tile was first offered
    last_refused: int  # how many cycles a last beat waited for ready


def _pack(codes: np.ndarray, bits: int) -> int:
    return sum(int(c) << (bits * i) for i, c in enumerate(codes))


def _unpack_signed(word: int, bits: int, n: int) -> np.ndarray:
    mask = (1 << bits) - 1
    out = [(word >> (bits * j)) & mask for j in range(n)]
    return np.array([x - (1 << bits) if x >> (bits - 1) else x for x in out], dtype=object)


def _unpack(word: int, bits: int, n: int) -> np.ndarray:
    return np.array([(word >> (bits * j)) & ((1 << bits) - 1) for j in range(n)], dtype=np.int64)


def simulate(
    cfg: ArrayConfig,
    tiles: list[tuple[np.ndarray, np.ndarray]],
    *,
    seed: int,
    p_valid: float = 1.0,
    p_ready: float = 1.0,
    max_cycles: int = 5_000,
) -> Run:
    """Stream ``tiles`` (A codes R x K, W codes K x C) through the array and collect results."""
    rows, cols = cfg.rows, cfg.cols
    ab, wb = cfg.mac.a.bits, cfg.mac.w.bits
    accb = cfg.out_element_bits
    unpack = _unpack_signed if cfg.out_signed else _unpack
    dut = cfg.create()
    has_flags = "out_flags" in dut.signature.members
    rng = np.random.default_rng(seed)
    run = Run([], [], [], [], 0)

    async def drive(ctx):
        cycle = 0  # every loop step below waits exactly one clock edge
        for a_codes, w_codes in tiles:
            k_len = a_codes.shape[1]
            for k in range(k_len):
                while rng.random() >= p_valid:
                    ctx.set(dut.valid, 0)
                    await ctx.tick()
                    cycle += 1
                ctx.set(dut.a, _pack(a_codes[:, k], ab))
                ctx.set(dut.w, _pack(w_codes[k, :], wb))
                ctx.set(dut.last, int(k == k_len - 1))
                ctx.set(dut.valid, 1)
                while True:
                    await ctx.delay(CLOCK / 100)
                    ready = ctx.get(dut.ready)
                    if k < k_len - 1:
                        # Only a last beat may ever be refused.
                        assert ready == 1
                    if ready and k == k_len - 1:
                        run.accept_cycle.append(cycle)
                    run.last_refused += not ready
                    await ctx.tick()
                    cycle += 1
                    if ready:
                        break
        ctx.set(dut.valid, 0)

    async def collect(ctx):
        acc = np.zeros((rows, cols), dtype=object)
        flg = np.zeros((rows, cols), dtype=np.int64)
        row = 0
        offered = False
        cycle = 0
        while len(run.acc) < len(tiles):
            assert cycle < max_cycles, f"only {len(run.acc)} of {len(tiles)} tiles came out"
            ctx.set(dut.out_ready, int(rng.random() < p_ready))
            await ctx.delay(CLOCK / 100)
            if ctx.get(dut.out_valid):
                if row == 0 and not offered:
                    run.first_valid_cycle.append(cycle)
                    offered = True
                if ctx.get(dut.out_ready):
                    assert ctx.get(dut.out_row) == row
                    acc[row] = unpack(ctx.get(dut.out_data), accb, cols)
                    if has_flags:
                        flg[row] = _unpack(ctx.get(dut.out_flags), 3, cols)
                    row += 1
                    if row == rows:
                        run.acc.append(acc.copy())
                        run.flags.append(flg.copy())
                        row = 0
                        offered = False
            await ctx.tick()
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(CLOCK)
    sim.add_testbench(drive)
    sim.add_testbench(collect)
    sim.run()
    return run


def random_tiles(cfg: ArrayConfig, ks: list[int], rng: np.random.Generator, *, finite: bool):
    """Random operand codes; ``finite`` avoids NaN/inf codes."""
    a_fmt, w_fmt = cfg.mac.a, cfg.mac.w

    def codes(fmt, shape):
        pool = np.flatnonzero(fmt.finite_mask) if finite else np.arange(1 << fmt.bits)
        return rng.choice(pool, size=shape)

    return [(codes(a_fmt, (cfg.rows, k)), codes(w_fmt, (k, cfg.cols))) for k in ks]


def expected_exact(cfg: ArrayConfig, tiles) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``hwgen.golden.gemm`` per tile, in the accumulator's LSB frame."""
    accs, flags = [], []
    lsb = cfg.accumulator.lsb_exp
    for a_codes, w_codes in tiles:
        res = gemm(cfg.mac.a, a_codes, cfg.mac.w, w_codes, multiplier=cfg.mac.multiplier)
        shift = res.lsb_exp - lsb
        assert shift >= 0
        accs.append(np.array([[int(x) << shift for x in r] for r in res.ints], dtype=object))
        flags.append(np.asarray(res.flags, dtype=np.int64))
    return accs, flags


def expected_traced(cfg: ArrayConfig, tiles) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``hwgen.golden.mac_trace`` per PE over all tiles (models wrap and saturate)."""
    ks = [a.shape[1] for a, _ in tiles]
    ends = np.cumsum(ks) - 1
    clear = np.zeros(sum(ks), dtype=bool)
    clear[np.concatenate([[0], ends[:-1] + 1])] = True
    valid = np.ones(sum(ks), dtype=bool)
    accs = [np.zeros((cfg.rows, cfg.cols), dtype=object) for _ in tiles]
    flags = [np.zeros((cfg.rows, cfg.cols), dtype=np.int64) for _ in tiles]
    for i in range(cfg.rows):
        a_seq = np.concatenate([a[i, :] for a, _ in tiles])
        for j in range(cfg.cols):
            w_seq = np.concatenate([w[:, j] for _, w in tiles])
            tr = mac_trace(
                cfg.mac.a,
                a_seq,
                cfg.mac.w,
                w_seq,
                valid,
                clear,
                acc=cfg.accumulator,
                overflow=cfg.mac.overflow,
                multiplier=cfg.mac.multiplier,
            )
            for t, e in enumerate(ends):
                accs[t][i, j] = int(tr.acc[e])
                flags[t][i, j] = int(tr.flags[e])
    return accs, flags


def check(cfg: ArrayConfig, tiles, run: Run) -> None:
    if cfg.mac.overflow is Overflow.EXACT:
        accs, flags = expected_exact(cfg, tiles)
    else:
        accs, flags = expected_traced(cfg, tiles)
    has_flags = cfg.mac.has_flags
    for t, (got, want) in enumerate(zip(run.acc, accs, strict=True)):
        np.testing.assert_array_equal(got, want, err_msg=f"tile {t}")
        if has_flags:
            np.testing.assert_array_equal(run.flags[t], flags[t], err_msg=f"flags of tile {t}")


def _cfg(a: str, w: str, rows: int, cols: int, **mac) -> ArrayConfig:
    return ArrayConfig(mac=MacConfig(a_format=a, w_format=w, **mac), rows=rows, cols=cols)


# ----------------------------------------------------------------------- simulation
CASES = [
    # (a, w, rows, cols, mac options, tile depths, p_valid, p_ready, finite codes only)
    ("int8", "int8", 2, 3, {"max_terms": 64}, [5, 1, 7, 2], 0.7, 0.6, True),
    ("fp8_e4m3", "int8", 3, 2, {"max_terms": 64, "stages": 2}, [4, 9, 1, 3], 0.8, 0.5, True),
    ("fp8_e5m2", "fp8_e5m2", 2, 2, {"max_terms": 16}, [6, 3, 8], 0.8, 0.7, False),
    ("fp4_e2m1", "fp4_e2m1", 1, 4, {"max_terms": 32}, [3, 1, 5], 0.6, 0.5, True),
    ("int8", "fp4_e2m1", 4, 1, {"max_terms": 32, "stages": 1}, [2, 6, 1], 0.9, 0.4, True),
]


@pytest.mark.parametrize(
    ("a", "w", "rows", "cols", "mac", "ks", "p_valid", "p_ready", "finite"),
    CASES,
    ids=[f"{c[0]}x{c[1]}-{c[2]}x{c[3]}" for c in CASES],
)
def test_random_tiles_match_gemm(a, w, rows, cols, mac, ks, p_valid, p_ready, finite):
    cfg = _cfg(a, w, rows, cols, **mac)
    rng = np.random.default_rng(rows * 100 + cols)
    tiles = random_tiles(cfg, ks, rng, finite=finite)
    run = simulate(cfg, tiles, seed=rows + cols, p_valid=p_valid, p_ready=p_ready)
    check(cfg, tiles, run)


@pytest.mark.parametrize("overflow", [Overflow.WRAP, Overflow.SATURATE])
def test_narrow_accumulator_overflow_matches_mac_trace(overflow):
    # 10 bits cannot hold sums of int8 x int8 products: wrap and saturate really act.
    # The window stays at the exact LSB (acc_lsb=0; the default would keep a product's top).
    cfg = _cfg("int8", "int8", 2, 2, max_terms=64, acc_bits=10, overflow=overflow, acc_lsb=0)
    rng = np.random.default_rng(7)
    tiles = random_tiles(cfg, [9, 4, 12], rng, finite=True)
    run = simulate(cfg, tiles, seed=3, p_valid=0.8, p_ready=0.7)
    exact, _ = expected_exact(cfg, tiles)
    assert any(np.any(np.abs(e.astype(np.int64)) >= 1 << 9) for e in exact), "no overflow"
    check(cfg, tiles, run)


@pytest.mark.parametrize(("w", "acc_lsb"), [("int8", None), ("fp8_e4m3", -4)])
def test_windowed_accumulator_matches_mac_trace(w, acc_lsb):
    """PEs inherit the accumulator window: products truncated (floor) below its LSB."""
    cfg = _cfg("fp8_e4m3", w, 2, 2, max_terms=64, acc_bits=12, overflow="saturate",
               acc_lsb=acc_lsb)  # fmt: skip
    assert cfg.mac.windowed and cfg.facts().accumulator.rounding == "floor"
    rng = np.random.default_rng(5)
    tiles = random_tiles(cfg, [7, 3], rng, finite=True)
    run = simulate(cfg, tiles, seed=1, p_valid=0.9, p_ready=0.8)
    check(cfg, tiles, run)


def test_back_to_back_tiles_never_stall_and_latency_matches_config():
    cfg = _cfg("int8", "int8", 3, 3, max_terms=64, stages=1)
    rng = np.random.default_rng(11)
    k = cfg.mac.latency + 2 * cfg.rows + cfg.cols  # long enough to hide the drain
    tiles = random_tiles(cfg, [k, k, k], rng, finite=True)
    run = simulate(cfg, tiles, seed=0)
    check(cfg, tiles, run)
    assert run.last_refused == 0
    for accepted, offered in zip(run.accept_cycle, run.first_valid_cycle, strict=True):
        assert offered - accepted == cfg.latency


def test_last_beat_waits_for_undrained_results():
    # Results are taken rarely, so short tiles pile up behind the output buffer.
    cfg = _cfg("int8", "int8", 2, 2, max_terms=64)
    rng = np.random.default_rng(5)
    tiles = random_tiles(cfg, [2, 1, 2, 1], rng, finite=True)
    run = simulate(cfg, tiles, seed=9, p_ready=0.1)
    check(cfg, tiles, run)
    assert run.last_refused > 0


def test_lmul_array_matches_gemm():
    cfg = _cfg("fp8_e4m3", "fp8_e4m3", 2, 2, max_terms=16, multiplier="lmul")
    rng = np.random.default_rng(13)
    tiles = random_tiles(cfg, [5, 2], rng, finite=True)
    check(cfg, tiles, simulate(cfg, tiles, seed=1, p_valid=0.8, p_ready=0.8))


@settings(max_examples=4, deadline=None)
@given(
    rows=st.integers(1, 3),
    cols=st.integers(1, 3),
    ks=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_property_any_shape_matches_gemm(rows, cols, ks, seed):
    cfg = _cfg("fp6_e2m3", "int4", rows, cols, max_terms=16)
    rng = np.random.default_rng(seed)
    tiles = random_tiles(cfg, ks, rng, finite=True)
    check(cfg, tiles, simulate(cfg, tiles, seed=seed, p_valid=0.8, p_ready=0.6))


# ----------------------------------------------------------------------- config
def test_config_round_trip_and_name():
    cfg = _cfg("fp8_e4m3", "int8", 4, 2, stages=1)
    assert ArrayConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.name.startswith("pe4x2_")
    assert cfg.name == f"pe4x2_{cfg.mac.name.removeprefix('mac_')}"
    assert set(cfg.name) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
    assert cfg.latency == cfg.rows + cfg.cols - 2 + cfg.mac.latency + 1


@given(rows=st.integers(1, MAX_DIM), cols=st.integers(1, MAX_DIM))
def test_ports_follow_the_shape(rows, cols):
    cfg = ArrayConfig(mac=MacConfig(a_format="fp4_e2m1", w_format="int8"), rows=rows, cols=cols)
    assert cfg.row_bits == max(1, (rows - 1).bit_length())
    assert ArrayConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"rows": 0}, r"^rows must be in 1..64, not 0$"),
        ({"cols": 65}, r"^cols must be in 1..64, not 65$"),
        ({"rows": 2.5}, r"^rows must be an integer, not 2.5$"),
        ({"cols": True}, r"^cols must be an integer, not True$"),
        ({"mac": {"a_format": "int8"}}, r"^mac must be a MacConfig, not dict$"),
    ],
)
def test_bad_config_is_one_line_error(over, message):
    kw = {"mac": MacConfig(a_format="int8", w_format="int8"), "rows": 2, "cols": 2, **over}
    with pytest.raises(HwgenError, match=message):
        ArrayConfig(**kw)


def test_from_dict_rejects_unknown_and_missing_keys():
    d = _cfg("int8", "int8", 2, 2).to_dict()
    with pytest.raises(
        HwgenError, match=r"^unknown array config keys: depth; allowed: rows, cols, "
    ):
        ArrayConfig.from_dict({**d, "depth": 3})
    del d["cols"]
    with pytest.raises(HwgenError, match=r"^array config is missing required keys: cols$"):
        ArrayConfig.from_dict(d)


def test_flag_port_only_with_special_formats():
    with_specials = PEArray(config=_cfg("fp8_e5m2", "int8", 2, 3))
    assert len(with_specials.out_flags) == 3 * 3
    without = PEArray(config=_cfg("int8", "fp4_e2m1", 2, 3))
    assert "out_flags" not in without.signature.members
    assert int(Flag.NAN | Flag.PINF | Flag.NINF) == 7  # the 3-bit word the port carries
    assert get("fp8_e5m2").inf_codes  # the reason the first array has flags
    for dut in (with_specials, without):
        Fragment.get(dut, None)  # elaborates: the port set is consistent with the logic


# ----------------------------------------------------------------------- float results
def _golden_tiles(cfg: ArrayConfig, tiles) -> tuple[np.ndarray, np.ndarray]:
    """``cfg.golden().tiles`` for a list of (A, W) tiles: (tiles, R, C) results and flags."""
    a = np.concatenate([at.T for at, _ in tiles])
    w = np.concatenate([wt for _, wt in tiles])
    last = np.concatenate([np.arange(at.shape[1]) == at.shape[1] - 1 for at, _ in tiles])
    arith = cfg.golden()
    acc, flags = arith.tiles(a, w, last)
    if arith.out is not None:
        return arith.out_codes(acc, flags if arith.has_flags else None), flags
    return acc, flags


FLOAT_CASES = [
    # (a, w, rows, cols, mac options, tile depths, finite codes only)
    ("fp8_e4m3", "fp8_e4m3", 2, 2, {"acc_format": "fp16", "max_terms": 32}, [6, 1, 9], False),
    ("fp8_e5m2", "int8", 2, 2,
     {"acc_format": "bf16", "acc_rounding": "unfused", "acc_subnormals": "flush", "stages": 2},
     [4, 7], False),
    ("int8", "int8", 2, 2, {"out_format": "fp8_e5m2", "max_terms": 32}, [5, 3, 8], True),
    ("fp8_e5m2", "fp8_e4m3", 2, 2, {"out_format": "fp16", "max_terms": 16}, [4, 6], False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("a", "w", "rows", "cols", "mac", "ks", "finite"),
    FLOAT_CASES,
    ids=[f"{c[0]}x{c[1]}-{'-'.join(f'{k}={v}' for k, v in c[4].items())}" for c in FLOAT_CASES],
)
def test_float_results_match_golden_tiles(a, w, rows, cols, mac, ks, finite):
    # Float accumulator codes (and out_format codes) out of every PE against the array's
    # golden model; specials included unless the case says finite.
    cfg = _cfg(a, w, rows, cols, **mac)
    rng = np.random.default_rng(len(ks) * 31 + rows)
    tiles = random_tiles(cfg, ks, rng, finite=finite)
    run = simulate(cfg, tiles, seed=5, p_valid=0.8, p_ready=0.6)
    want, want_flags = _golden_tiles(cfg, tiles)
    for t, got in enumerate(run.acc):
        np.testing.assert_array_equal(got.astype(np.int64), want[t], err_msg=f"tile {t}")
        if cfg.has_flags:
            np.testing.assert_array_equal(run.flags[t], want_flags[t], err_msg=f"flags {t}")


def test_float_accumulator_rounds_in_hardware_as_golden():
    # Sums whose float result differs from the exact one: the test above cannot pass by
    # accident of exact arithmetic (fp8 products into an fp8 accumulator round often).
    cfg = _cfg("fp8_e4m3", "fp8_e4m3", 1, 2, acc_format="fp8_e5m2", max_terms=16)
    rng = np.random.default_rng(3)
    tiles = random_tiles(cfg, [8, 8], rng, finite=True)
    run = simulate(cfg, tiles, seed=2)
    want, _ = _golden_tiles(cfg, tiles)
    exact, _ = expected_exact(_cfg("fp8_e4m3", "fp8_e4m3", 1, 2, max_terms=16), tiles)
    lsb = _cfg("fp8_e4m3", "fp8_e4m3", 1, 2, max_terms=16).accumulator.lsb_exp
    got_values = get("fp8_e5m2").decode(np.stack(run.acc).astype(np.int64))
    exact_values = np.stack([e.astype(np.float64) for e in exact]) * 2.0**lsb
    assert np.any(got_values != exact_values)
    np.testing.assert_array_equal(np.stack(run.acc).astype(np.int64), want)


@settings(max_examples=4, deadline=None)
@given(
    acc=st.sampled_from(["fp16", "bf16", "fp8_e5m2"]),
    rounding=st.sampled_from(["fused", "unfused"]),
    ks=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_property_1x1_float_array_is_the_mac_golden_model(acc, rounding, ks, seed):
    # The hardware of a one-PE array against the MAC's own golden trace (not the tile
    # model): tile results are the MAC accumulator on each tile's last beat.
    cfg = _cfg("fp8_e4m3", "fp8_e4m3", 1, 1, acc_format=acc, acc_rounding=rounding, max_terms=8)
    rng = np.random.default_rng(seed)
    tiles = random_tiles(cfg, ks, rng, finite=False)
    run = simulate(cfg, tiles, seed=seed, p_valid=0.8, p_ready=0.7)
    a = np.concatenate([t[0].ravel() for t in tiles])
    w = np.concatenate([t[1].ravel() for t in tiles])
    last = np.concatenate([np.arange(k) == k - 1 for k in ks])
    clear = np.concatenate([[True], last[:-1]])
    want, _ = cfg.mac.golden().trace(a, w, np.ones(a.size, dtype=bool), clear)
    np.testing.assert_array_equal(np.stack(run.acc).astype(np.int64).ravel(), want[last])
