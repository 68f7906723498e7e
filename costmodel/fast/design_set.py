"""The design set the fast cost model is fitted on: a documented, deterministic sample.

:func:`candidates` lists every design the fit may use, in a fixed order:

- MACs over every pair of :data:`MAC_FORMATS` (INT x INT pairs and pairs with a float as
  two groups) (INT2/4/6/8, FP4 E2M1, FP6 E2M3/E3M2,
  FP8 E4M3/E5M2/E3M4), fixed-point exact accumulators, pipeline stages cycling 0, 1, 2 over
  the pairs; then float-accumulator MACs (float x float pairs into fp16 / bf16 / fp32, fused
  and unfused); then wrap / saturate accumulators of a few pairs;
- arrays of a few pairs at 2 x 2, 2 x 4 and 4 x 2 PEs;
- BitMoD PEs over the activation formats, dot sizes 2 / 4 / 8, exact and narrow mode.

:func:`sample` takes ``n`` of them, spread evenly over each group in the proportions of
:data:`SHARES` (at least :data:`GROUP_MIN` per group), so a small ``n`` still covers
every block; the same ``n`` always gives the same designs. :func:`held_out` marks every
``k``-th design of each family (``k = round(1 / fraction)``, ordered by config hash) as
held out of the fit.
:func:`energy_points` picks the MACs of a sample for the energy simulation.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hwgen.design.array import ArrayConfig
from hwgen.design.base import DesignConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.golden import Overflow
from hwgen.golden.bitmod.config import PEMode
from hwgen.golden.float_acc import AccRounding

__all__ = [
    "MAC_FORMATS",
    "MIN_POINTS",
    "VALIDATION_EXTRA",
    "candidates",
    "energy_points",
    "held_out",
    "sample",
    "validation",
]

MAC_FORMATS: tuple[str, ...] = (
    "int2",
    "int4",
    "int6",
    "int8",
    "fp4_e2m1",
    "fp6_e2m3",
    "fp6_e3m2",
    "fp8_e4m3",
    "fp8_e5m2",
    "fp8_e3m4",
)
"""Operand formats of the MAC and array samples."""

GROUP_MIN = 3
"""Fewest designs of each group in a sample."""
MIN_POINTS = 6 * GROUP_MIN
"""Fewest designs a fit accepts (:data:`GROUP_MIN` of each of the six groups)."""

SHARES: dict[str, float] = {
    "mac_int": 16 / 66,
    "mac_float": 13 / 66,
    "mac_float_acc": 11 / 66,
    "mac_narrow_acc": 8 / 66,
    "array": 5 / 66,
    "bitmod_pe": 13 / 66,
}
"""Share of a sample per group (each at least :data:`GROUP_MIN`).

The default 66-design sample takes every INT x INT MAC (16), 11 float-accumulator MACs
and all eight narrow-accumulator MACs. The INT family's LUT and transistor counts are the
smallest of the set and change fastest with width, so a thin INT sample left its smallest
designs to extrapolation; six float-accumulator MACs could leave one accumulator format
(bf16), and three narrow-accumulator MACs the saturating mode, with no training design
once a quarter of each family is held out (the 62-design sample had one saturating MAC
with a float operand, and the split held it out), so four of the eight saturate, three
of them with a float operand. The other groups keep the designs of the earlier 46-design
sample, and the enlarged groups contain its designs.
"""

_FLOAT = ("fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2")


def _macs(ints: bool) -> list[DesignConfig]:
    out: list[DesignConfig] = []
    for i, (a, w) in enumerate(itertools.product(MAC_FORMATS, MAC_FORMATS)):
        if (a.startswith("int") and w.startswith("int")) is ints:
            out.append(MacConfig(a_format=a, w_format=w, stages=i % 3))
    return out


def _float_acc_macs() -> list[DesignConfig]:
    out: list[DesignConfig] = []
    accs = ("fp16", "bf16", "fp32")
    for i, (a, w) in enumerate(itertools.product(_FLOAT, _FLOAT)):
        acc = accs[i % 3]
        rounding = AccRounding.UNFUSED if i % 2 else AccRounding.FUSED
        try:
            out.append(
                MacConfig(a_format=a, w_format=w, acc_format=acc, acc_rounding=rounding, stages=0)
            )
        except HwgenError:
            continue  # a pair this accumulator cannot take (the config says why)
    return out


def _narrow_acc_macs() -> list[DesignConfig]:
    pairs = (
        ("int8", "int8"),
        ("int8", "int4"),
        ("fp8_e4m3", "int4"),
        ("fp8_e4m3", "fp8_e4m3"),
        ("fp6_e2m3", "fp4_e2m1"),
        ("int8", "fp8_e4m3"),
        ("fp8_e5m2", "fp6_e3m2"),
        ("fp6_e3m2", "fp6_e2m3"),
    )
    out: list[DesignConfig] = []
    for i, (a, w) in enumerate(pairs):
        exact = MacConfig(a_format=a, w_format=w).accumulator.bits
        overflow = Overflow.SATURATE if i % 2 else Overflow.WRAP
        out.append(MacConfig(a_format=a, w_format=w, acc_bits=max(8, exact - 8), overflow=overflow))
    return out


def _arrays() -> list[DesignConfig]:
    pairs = (("int8", "int8"), ("int4", "int4"), ("fp8_e4m3", "int4"), ("fp4_e2m1", "fp4_e2m1"))
    shapes = ((2, 2), (1, 4), (2, 3))
    out: list[DesignConfig] = []
    for i, ((a, w), (r, c)) in enumerate(itertools.product(pairs, shapes)):
        mac = MacConfig(a_format=a, w_format=w, max_terms=256, stages=i % 2)
        out.append(ArrayConfig(mac=mac, rows=r, cols=c))
    return out


def _bitmods() -> list[DesignConfig]:
    out: list[DesignConfig] = []
    for act, dot, mode in itertools.product(
        ("fp16", "bf16", "fp8_e4m3", "int8"), (2, 4, 8), (PEMode.NARROW, PEMode.EXACT)
    ):
        out.append(BitmodPEConfig(act_format=act, dot=dot, mode=mode, group_size=64))
    return out


def candidates() -> dict[str, list[DesignConfig]]:
    """Every design the fit may use, by group, in a fixed order."""
    return {
        "mac_int": _macs(ints=True),
        "mac_float": _macs(ints=False),
        "mac_float_acc": _float_acc_macs(),
        "mac_narrow_acc": _narrow_acc_macs(),
        "array": _arrays(),
        "bitmod_pe": _bitmods(),
    }


def _spread(items: Sequence[DesignConfig], k: int) -> list[DesignConfig]:
    """``k`` items spread evenly over ``items`` (first and last included when k >= 2)."""
    n = len(items)
    if k >= n:
        return list(items)
    if k == 1:
        return [items[0]]
    return [items[round(i * (n - 1) / (k - 1))] for i in range(k)]


def sample(n: int) -> list[DesignConfig]:
    """``n`` designs of :func:`candidates`, each group in proportion, at least two each.

    Raises
    ------
    HwgenError
        ``n`` below :data:`MIN_POINTS` or above the number of candidates.
    """
    groups = candidates()
    total = sum(len(g) for g in groups.values())
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_POINTS <= n <= total:
        raise HwgenError(f"a fit needs between {MIN_POINTS} and {total} design points, not {n!r}")
    counts = {k: min(len(groups[k]), max(GROUP_MIN, round(n * SHARES[k]))) for k in groups}
    # Pad or trim the groups, largest share first, so the total is exactly n.
    order = sorted(groups, key=lambda k: -SHARES[k])
    while sum(counts.values()) != n:
        step = 1 if sum(counts.values()) < n else -1
        for k in order:
            if GROUP_MIN <= counts[k] + step <= len(groups[k]):
                counts[k] += step
                break
    out: list[DesignConfig] = []
    for k, g in groups.items():
        out.extend(_spread(g, counts[k]))
    return out


VALIDATION_EXTRA = 20
"""How many more designs the sample that defines the validation set has (see :func:`validation`)."""


def validation(n: int) -> list[DesignConfig]:
    """Designs outside ``sample(n)`` that a fit on it is checked on blind.

    They are the designs of the larger sample ``sample(n + VALIDATION_EXTRA)`` (capped at
    the number of candidates) that ``sample(n)`` does not hold: the same share rule picks
    them, so every group is represented, and no choice of the fit (terms, coefficients,
    sample) ever sees them. Samples of different sizes are not nested, so there are more
    of them than :data:`VALIDATION_EXTRA` (38 for the default 66). Empty when ``sample(n)``
    already takes every candidate.

    Raises
    ------
    HwgenError
        ``n`` outside the range :func:`sample` accepts.
    """
    inside = {c.name for c in sample(n)}
    total = sum(len(g) for g in candidates().values())
    return [c for c in sample(min(n + VALIDATION_EXTRA, total)) if c.name not in inside]


def held_out(
    configs: Sequence[DesignConfig], families: Sequence[str], fraction: float
) -> list[bool]:
    """Which designs are held out: every ``round(1/fraction)``-th of each family by hash.

    Raises
    ------
    HwgenError
        ``fraction`` outside ``(0, 0.5]``.
    """
    if not 0 < fraction <= 0.5:
        raise HwgenError(f"held-out fraction must be in (0, 0.5], not {fraction:g}")
    step = max(2, round(1 / fraction))
    out = [False] * len(configs)
    for fam in sorted(set(families)):
        idx = sorted(
            (i for i, f in enumerate(families) if f == fam), key=lambda i: configs[i].config_hash
        )
        for j, i in enumerate(idx):
            if j % step == step // 2:
                out[i] = True
    return out


def energy_points(configs: Sequence[DesignConfig]) -> list[bool]:
    """Which designs get an energy simulation: every MAC (``mac`` kind) of the sample.

    Arrays and BitMoD PEs are not driven by the energy bench (it drives MAC ports only).
    """
    return [isinstance(c, MacConfig) for c in configs]
