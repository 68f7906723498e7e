"""Per-segment delay estimate of a MAC's datapath: where its pipeline registers pay.

A MAC's combinational path from the operand inputs to the accumulator register is a chain
of segments separated by the cut points of :attr:`hwgen.design.mac.MacConfig.cut_points`;
the last segment is the accumulator loop (accumulator register -> add -> register), which
no register can shorten without changing the arithmetic. Each segment's delay is
estimated from the config's widths in *logic levels* (one LUT4 level or a few gates, the
unit of :data:`CARRY_PER_BIT`), and the critical path of a stage count is the longest
chain of segments between two registers.

The formulas (``docs/decisions.md``, "Pipeline cut points"):

* carry-propagate add of ``n`` bits: ``1 + n * CARRY_PER_BIT`` (dedicated carry logic
  ripples about ten bits per logic level);
* multiplier ``x`` by ``y`` bits: one level of partial products, ``0.75`` level per
  halving of the ``min(x, y)`` rows (carry-save compression), then the ``x + y``-bit add;
  a ``partial`` cut registers the two halves over ``w``'s significand and leaves the
  final add;
* aligner (left shift of the product by ``0..R``): ``0.75`` level per shift bit beyond
  the first :data:`ALIGN_FREE_SHIFT_BITS` (a narrow shift merges into the logic that feeds
  the adder: FP4's ``0..4`` shift was measured free, E4M3's ``0..28`` was not);
* fixed-point loop: the ``acc_bits`` add plus one level of clear / valid selection;
* float product normalisation: magnitude, leading-zero count and left shift of the
  product significand; unfused rounding: the subnormal shift, the increment and packing;
* float loop (``hwgen.rtl.common.fpacc``): unpack, exponent difference, swap, sticky
  alignment over the adder window, add, magnitude, leading-zero count, normalising shift,
  rounding increment and the specials / packing selection.

The coefficients were chosen against the routed iCE40 HX8K measurements of
``bench/bench_pipeline.py`` (README, "Pipelining"); the estimate ranks segments, it does
not predict a frequency.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from hwgen.formats import Format, MinifloatFormat
from hwgen.golden.product_spec import ProductSpec

__all__ = [
    "ALIGN_FREE_SHIFT_BITS",
    "CARRY_PER_BIT",
    "DELAY_TOLERANCE",
    "DELAY_UNIT",
    "Segment",
    "StageDelays",
    "fixed_point_delays",
    "float_delays",
]

CARRY_PER_BIT = 0.1
"""Logic levels per bit of a carry-propagate adder."""

ALIGN_FREE_SHIFT_BITS = 3
"""Shift-amount bits of the aligner that cost no level of their own."""

DELAY_TOLERANCE = 0.10
"""A stage pays when it shortens the estimated critical path by more than this fraction:
``useful_stages`` is the smallest stage count whose critical path is within it of the
shortest one reachable (the loop's, or the longest segment left with every cut used)."""

DELAY_UNIT = "logic levels"
"""The unit of every estimated delay (one LUT4 level, or a few gates)."""

_COMPRESS_PER_HALVING = 0.75
_SHIFT_LEVEL = 0.75


def _log2(n: int) -> int:
    return max(0, math.ceil(math.log2(max(n, 1))))


def _add(n: int) -> float:
    return 1 + CARRY_PER_BIT * n


def _multiply(x: int, y: int) -> float:
    """``x``-bit by ``y``-bit multiplier: partial products, compression, final add."""
    if min(x, y) <= 1:
        return 1.0
    return 1 + _COMPRESS_PER_HALVING * _log2(min(x, y)) + _add(x + y)


def _shift(n: int) -> float:
    """A barrel shifter over ``n`` positions: one level per shift bit."""
    return float(_log2(n))


def _lzc(n: int) -> float:
    return _log2(n) + 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of the chain: its name, estimated delay and the cut point after it
    (``None`` for the loop, the last segment)."""

    name: str
    delay: float
    cut_after: str | None

    def to_dict(self) -> dict[str, object]:
        """``{"segment", "delay", "cut_after"}`` (the manifest's form)."""
        return {"segment": self.name, "delay": round(self.delay, 2), "cut_after": self.cut_after}


@dataclass(frozen=True, slots=True)
class StageDelays:
    """The segments of one MAC, input to loop, and the critical path per stage count.

    ``split`` is the chain with the multiplier built as two registered partial products
    (the ``partial`` cut point), which the hardware builds only when that cut is used.
    """

    segments: tuple[Segment, ...]
    split: tuple[Segment, ...] | None = None

    @property
    def loop(self) -> float:
        """The accumulator loop's delay (the last segment)."""
        return self.segments[-1].delay

    def chain(self, used: Collection[str]) -> tuple[Segment, ...]:
        """The segments built with registers at the ``used`` cut points."""
        return self.split if self.split is not None and "partial" in used else self.segments

    def critical_path(self, used: Collection[str]) -> float:
        """Longest register-to-register chain with registers at the ``used`` cut points."""
        worst = run = 0.0
        for seg in self.chain(used):
            run += seg.delay
            worst = max(worst, run)
            if seg.cut_after is not None and seg.cut_after in used:
                run = 0.0
        # The loop starts at the accumulator register: it is a path of its own too.
        return max(worst, self.loop)

    def critical_paths(self, cut_points: tuple[str, ...]) -> tuple[float, ...]:
        """Critical path at ``0 .. len(cut_points)`` stages (cuts filled in order)."""
        return tuple(self.critical_path(cut_points[:s]) for s in range(len(cut_points) + 1))

    def useful_stages(self, cut_points: tuple[str, ...]) -> int:
        """Smallest stage count within :data:`DELAY_TOLERANCE` of the shortest critical
        path (further stages shorten it by less than that)."""
        paths = self.critical_paths(cut_points)
        floor = min(paths)
        return next(s for s, p in enumerate(paths) if p <= floor * (1 + DELAY_TOLERANCE))


def _check_segments(
    segments: list[Segment], cut_points: tuple[str, ...], split: list[Segment] | None = None
) -> StageDelays:
    cuts = {s.cut_after for s in (*segments, *(split or ()))} - {None}
    assert set(cut_points) <= cuts, (cut_points, cuts)
    return StageDelays(tuple(segments), None if split is None else tuple(split))


def fixed_point_delays(
    *,
    a: Format,
    w: Format,
    shift_max: int,
    acc_bits: int,
    exact_multiplier: bool,
    cut_points: tuple[str, ...],
) -> StageDelays:
    """Segments of a fixed-point MAC: multiplier (two halves when ``partial`` is a cut
    point), aligner (``0..shift_max``), accumulator loop of ``acc_bits``."""
    x, y = a.sig_exp.sig_width, w.sig_exp.sig_width
    # L-Mul: the significands are added, not multiplied.
    mult = _multiply(x, y) if exact_multiplier else _add(max(x, y))
    align = _SHIFT_LEVEL * max(0, _log2(shift_max + 1) - ALIGN_FREE_SHIFT_BITS)
    tail = [Segment("aligner", align, "aligned"), Segment("loop", 1 + _add(acc_bits), None)]
    split = None
    if "partial" in cut_points:
        half = math.ceil(y / 2)
        split = [
            Segment("partial products", _multiply(x, half), "partial"),
            Segment("product add", _add(x + y), "product"),
            *tail,
        ]
    return _check_segments([Segment("multiplier", mult, "product"), *tail], cut_points, split)


def float_delays(
    *,
    a: Format,
    w: Format,
    exact_multiplier: bool,
    fmt: MinifloatFormat,
    product: ProductSpec,
    fused: bool,
    cut_points: tuple[str, ...],
) -> StageDelays:
    """Segments of a float-accumulating MAC: multiplier, product normalisation,
    (unfused) product rounding, and the float accumulation loop."""
    x, y = a.sig_exp.sig_width, w.sig_exp.sig_width
    mult = _multiply(x, y) if exact_multiplier else _add(max(x, y))
    p = product.mag_bits
    segs = [Segment("multiplier", mult, "input")]
    segs.append(Segment("normalise", _add(p) + _lzc(p) + _shift(p), "normalised"))
    m = fmt.man_bits
    if not fused:
        k = max(p, m + 2)
        segs.append(Segment("round", _shift(k) + _add(m + 2) + 2, "rounded"))
    py = p if fused else m + 1
    n = max(m + 5, py + 3)  # the adder window of hwgen.rtl.common.fpacc
    loop = (
        1  # unpack
        + _add(fmt.exp_bits + 2)  # exponent difference
        + 1  # swap
        + _shift(n)
        + 1  # alignment with sticky
        + _add(n)  # add / subtract
        + _add(n)  # magnitude
        + _lzc(n)
        + _shift(n)  # normalise
        + _add(m + 2)  # round to nearest even
        + 2  # overflow / subnormal / specials, pack
    )
    segs.append(Segment("loop", loop, None))
    return _check_segments(segs, cut_points)
