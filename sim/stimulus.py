"""Operand streams for MAC and array benches, generated up front as numpy arrays.

Every generator is deterministic for a given ``numpy.random.Generator`` state, so a run is
reproduced from its seed. MAC streams are lane-major ``(lanes, cycles)``: each lane of the
harness is an independent MAC unit, and every lane starts with ``clear`` so its result never
depends on what ran before it (which also lets streams be concatenated along time and lets
the golden model treat all lanes as one long sequence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen._validate import check_int
from hwgen.errors import HwgenError
from hwgen.formats import Format


@dataclass(frozen=True)
class MacStimulus:
    """Per-lane, per-cycle MAC inputs, all of shape ``(lanes, cycles)``.

    Attributes
    ----------
    a, w
        Operand codes (raw bit patterns, ``int64``).
    valid, clear
        Control bits (``bool``).
    """

    a: npt.NDArray[np.int64]
    w: npt.NDArray[np.int64]
    valid: npt.NDArray[np.bool_]
    clear: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        shapes = {x.shape for x in (self.a, self.w, self.valid, self.clear)}
        if len(shapes) != 1 or self.a.ndim != 2:
            raise HwgenError(f"stimulus arrays must share one 2-D shape, not {sorted(shapes)}")

    @property
    def lanes(self) -> int:
        """Number of parallel MAC lanes."""
        return int(self.a.shape[0])

    @property
    def cycles(self) -> int:
        """Number of clock cycles driven."""
        return int(self.a.shape[1])

    def concat(self, other: MacStimulus) -> MacStimulus:
        """Append ``other`` after this stream (same lane count)."""
        if other.lanes != self.lanes:
            raise HwgenError(f"cannot join streams of {self.lanes} and {other.lanes} lanes")
        return MacStimulus(
            a=np.concatenate([self.a, other.a], axis=1),
            w=np.concatenate([self.w, other.w], axis=1),
            valid=np.concatenate([self.valid, other.valid], axis=1),
            clear=np.concatenate([self.clear, other.clear], axis=1),
        )


def _lanes_check(lanes: int) -> None:
    check_int("lanes", lanes, 1)


def exhaustive_pairs(a_fmt: Format, w_fmt: Format, *, lanes: int) -> MacStimulus:
    """Every (a, w) code pair once, each as a fresh single-product accumulation.

    Pairs are dealt round-robin over the lanes; the tail is padded with ``clear`` only
    cycles (acc := 0), which are checked too.
    """
    _lanes_check(lanes)
    n = 1 << (a_fmt.bits + w_fmt.bits)
    cycles = -(-n // lanes)
    idx = np.arange(lanes * cycles, dtype=np.int64)
    used = idx < n
    a = np.where(used, idx >> w_fmt.bits, 0)
    w = np.where(used, idx & ((1 << w_fmt.bits) - 1), 0)
    # Row-major reshape puts consecutive pairs on consecutive lanes of one clock.
    shape = (cycles, lanes)
    return MacStimulus(
        a=a.reshape(shape).T.copy(),
        w=w.reshape(shape).T.copy(),
        valid=used.reshape(shape).T.copy(),
        clear=np.ones((lanes, cycles), dtype=bool),
    )


def random_accumulation(
    a_fmt: Format,
    w_fmt: Format,
    *,
    lanes: int,
    cycles: int,
    max_terms: int,
    rng: np.random.Generator,
    p_valid: float = 0.9,
) -> MacStimulus:
    """Uniform random codes (specials included) with random valid gaps and clears.

    Clears split each lane into accumulations of at most ``max_terms`` cycles (so an exact
    accumulator never leaves its sized range); half of them run the full ``max_terms``
    cycles so long sums are common. A clear comes with ``valid`` or without it at random.
    """
    _lanes_check(lanes)
    check_int("cycles", cycles, 1)
    check_int("max_terms", max_terms, 1)
    a = rng.integers(0, 1 << a_fmt.bits, size=(lanes, cycles), dtype=np.int64)
    w = rng.integers(0, 1 << w_fmt.bits, size=(lanes, cycles), dtype=np.int64)
    valid = rng.random((lanes, cycles)) < p_valid
    # Segment lengths over the flattened lane-major stream; lane starts are forced below.
    total = lanes * cycles
    draws = max(16, 2 * total // max(1, (max_terms + 1) // 2) + 16)
    seg = rng.integers(1, max_terms + 1, size=draws)
    seg = np.where(rng.random(draws) < 0.5, max_terms, seg)
    starts = np.cumsum(seg) - seg
    starts = starts[starts < total]
    flat = np.zeros(total, dtype=bool)
    flat[starts] = True
    clear = flat.reshape(lanes, cycles)
    clear[:, 0] = True
    return MacStimulus(a=a, w=w, valid=valid, clear=clear)


def _extreme_codes(fmt: Format) -> tuple[int, int]:
    """Codes of the largest and the smallest finite value of ``fmt``."""
    vals = np.where(fmt.finite_mask, fmt.values(), np.nan)
    return int(np.nanargmax(vals)), int(np.nanargmin(vals))


def extreme_accumulation(
    a_fmt: Format, w_fmt: Format, *, lanes: int, max_terms: int
) -> MacStimulus:
    """Drive the accumulator to its sized bounds and back.

    Lane ``i`` uses one of the four extreme products (max/min of ``a`` times max/min of
    ``w``): ``max_terms`` cycles of it after a clear reach the largest magnitude an exact
    accumulator must hold (and overflow a narrow wrap / saturate one); then ``max_terms``
    cycles of the opposite-sign extreme product walk back, which checks that a saturated
    accumulator recovers. The partial sums of that second half stay within the exact range.
    """
    _lanes_check(lanes)
    amax, amin = _extreme_codes(a_fmt)
    wmax, wmin = _extreme_codes(w_fmt)
    combos = np.array([(amax, wmax), (amin, wmin), (amax, wmin), (amin, wmax)], dtype=np.int64)
    # The opposite-sign partner of each combo (max*max <-> max*min, min*min <-> min*max).
    partner = np.array([2, 3, 0, 1])
    pick = np.arange(lanes) % 4
    cycles = 2 * max_terms
    first = combos[pick]
    second = combos[partner[pick]]
    a = np.concatenate(
        [np.repeat(first[:, :1], max_terms, 1), np.repeat(second[:, :1], max_terms, 1)], 1
    )
    w = np.concatenate(
        [np.repeat(first[:, 1:], max_terms, 1), np.repeat(second[:, 1:], max_terms, 1)], 1
    )
    clear = np.zeros((lanes, cycles), dtype=bool)
    clear[:, 0] = True
    return MacStimulus(a=a, w=w, valid=np.ones((lanes, cycles), dtype=bool), clear=clear)


@dataclass(frozen=True)
class GemmStimulus:
    """A stream of array beats: tiles of ``Y = A @ W`` sent one k-step per beat.

    Attributes
    ----------
    a
        ``(beats, lanes, rows)`` activation codes: beat ``b`` carries column k of A.
    w
        ``(beats, lanes, cols)`` weight codes: beat ``b`` carries row k of W.
    last
        ``(beats,)`` marks the final k-step of each tile (shared by all lanes).
    gap
        ``(beats,)`` idle cycles (valid low) to insert before each beat.
    out_ready
        Consumer pattern, cycled once the driver reaches beat ``stress_from`` (before
        that ``out_ready`` is held high).
    stress_from
        First beat of the stressed part of the stream (``beats`` when there is none).
    """

    a: npt.NDArray[np.int64]
    w: npt.NDArray[np.int64]
    last: npt.NDArray[np.bool_]
    gap: npt.NDArray[np.int64]
    out_ready: npt.NDArray[np.bool_]
    stress_from: int

    def __post_init__(self) -> None:
        if self.a.ndim != 3 or self.w.ndim != 3 or self.a.shape[:2] != self.w.shape[:2]:
            raise HwgenError(
                f"a and w must be (beats, lanes, n) arrays, not {self.a.shape} and {self.w.shape}"
            )
        if self.beats and not self.last[-1]:
            raise HwgenError("the last beat of a GEMM stream must end a tile")

    @property
    def beats(self) -> int:
        """Number of beats (k-steps over all tiles)."""
        return int(self.a.shape[0])

    @property
    def lanes(self) -> int:
        """Number of arrays driven in parallel."""
        return int(self.a.shape[1])

    @property
    def tiles(self) -> int:
        """Number of tiles."""
        return int(np.count_nonzero(self.last))

    @property
    def tile_of_beat(self) -> npt.NDArray[np.int64]:
        """Tile index of every beat."""
        return np.cumsum(self.last) - self.last

    @property
    def macs(self) -> int:
        """MAC operations in the stream (every PE of every lane, every beat)."""
        return self.beats * self.lanes * int(self.a.shape[2]) * int(self.w.shape[2])


def random_gemm(
    a_fmt: Format,
    w_fmt: Format,
    *,
    rows: int,
    cols: int,
    lanes: int,
    macs: int,
    max_terms: int,
    rng: np.random.Generator,
    stress_macs: int = 0,
) -> GemmStimulus:
    """Random tiles of random depth ``K`` in ``[1, max_terms]`` covering ``macs`` MACs.

    The first part streams beats back to back with the consumer always ready (full speed);
    a second part of about ``stress_macs`` MACs adds random idle cycles between beats and a
    random ``out_ready`` backpressure pattern. Depths ``K = max_terms`` are frequent so the
    accumulators reach their sized bound.
    """
    _lanes_check(lanes)
    check_int("macs", macs, 1)
    per_beat = rows * cols * lanes

    def depths(n_macs: int) -> npt.NDArray[np.int64]:
        beats = max(1, -(-n_macs // per_beat))
        hi = min(max_terms, beats)
        ks = rng.integers(1, hi + 1, size=beats)
        ks = np.where(rng.random(beats) < 0.3, hi, ks)
        n = int(np.searchsorted(np.cumsum(ks), beats)) + 1
        return ks[:n]

    ks = depths(macs)
    stress_ks = depths(stress_macs) if stress_macs > 0 else np.zeros(0, dtype=np.int64)
    all_ks = np.concatenate([ks, stress_ks]).astype(np.int64)
    beats = int(all_ks.sum())
    stress_from = int(ks.sum())
    last = np.zeros(beats, dtype=bool)
    last[np.cumsum(all_ks) - 1] = True
    a = rng.integers(0, 1 << a_fmt.bits, size=(beats, lanes, rows), dtype=np.int64)
    w = rng.integers(0, 1 << w_fmt.bits, size=(beats, lanes, cols), dtype=np.int64)
    gap = np.zeros(beats, dtype=np.int64)
    out_ready = np.ones(1, dtype=bool)
    if stress_macs > 0:
        n = beats - stress_from
        gap[stress_from:] = np.where(rng.random(n) < 0.2, rng.integers(1, 4, size=n), 0)
        out_ready = rng.random(97) < 0.6
        out_ready[0] = True
    return GemmStimulus(a=a, w=w, last=last, gap=gap, out_ready=out_ready, stress_from=stress_from)
