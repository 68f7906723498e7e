"""Exhaustive BitMoD PE stimulus: every weight code x selector against every activation code.

For a datatype ``wt`` the products are every pair (weight code, selector, activation code):
``2**bits`` codes x 1 selector (INT types; the selector only picks special values of FP
types) or x 4 selectors (FP types) x ``2**act_bits`` activation codes -- for FP16
activations 65,536 per weight code, so 256 x 65,536 for INT8. The pairs of one selector
are shuffled (seeded) and cut into groups of ``group_size``, so each group mixes weight
codes and activation exponents (the exponent-matching tree sees real spreads) and every
pair occurs exactly once. Scales are random in 1..255 (0 would hide the products).

Used by the slow suite twice: the golden model against an exact integer reference of
every product, and the RTL against the golden model through :func:`hwgen.sim.verify.check`
on a harness of :data:`EXHAUSTIVE_LANES` PEs (:func:`exhaustive_parts` cuts the stream into
parts that bound memory). The harness, the bench and the in-simulator test read every
design fact from the manifest and drive the documented stream protocol only, so the runs
hold for any PE internals behind the same ports.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import SEL_BITS, WeightType
from hwgen.sim.stimulus_bitmod import BitmodStimulus

__all__ = ["EXHAUSTIVE_LANES", "EXHAUSTIVE_PART_GROUPS", "exhaustive_pairs", "exhaustive_parts"]

EXHAUSTIVE_LANES = 16
"""PEs per harness for the exhaustive runs. The clock loop's Python work (a few bus writes
and handshake reads) is shared by the lanes, but Verilator 5 emits the model's code per
instance, so the C++ to compile grows with the lane count (16 lanes: 5 MB, 256 lanes:
83 MB, over 20 minutes of compiling on a busy machine). Measured (CPU seconds of the
simulator process, INT8 stream): 16 lanes check 283k products per CPU second, so INT8's
16.7M take about a minute of clock loop; more lanes would save less than their build
costs. Every exhaustive count (a multiple of 2**15 groups of 16) divides evenly."""

EXHAUSTIVE_PART_GROUPS = 1 << 18
"""Groups per simulator run: 4.2M products at group size 16, a few hundred MB for the
stimulus and the golden model's intermediates; INT8's 16.7M products take four runs."""


def exhaustive_pairs(
    cfg: BitmodPEConfig, wt: WeightType | str, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(w, a, sel)`` per group: ``(groups, group_size)`` codes and ``(groups,)`` selectors.

    Every (weight code, selector, activation code) pair of ``wt`` exactly once (module
    docstring); groups ordered by selector.
    """
    w_t = cfg.check_weight_type(wt)
    g = cfg.group_size
    n_act = 1 << cfg.act_bits
    n_w = 1 << w_t.bits
    if (n_w * n_act) % g:
        raise HwgenError(f"group_size {g} does not divide the {n_w * n_act} products of {w_t}")
    rng = np.random.default_rng(seed)
    ws, as_, sels = [], [], []
    for sel in range(1 << SEL_BITS) if w_t.is_float else (0,):
        order = rng.permutation(n_w * n_act)
        ws.append((order // n_act).reshape(-1, g))
        as_.append((order % n_act).reshape(-1, g))
        sels.append(np.full(ws[-1].shape[0], sel, dtype=np.int64))
    return np.concatenate(ws), np.concatenate(as_), np.concatenate(sels)


def exhaustive_parts(
    cfg: BitmodPEConfig,
    wt: WeightType | str,
    *,
    lanes: int,
    max_groups: int = EXHAUSTIVE_PART_GROUPS,
    seed: int = 0,
) -> Iterator[BitmodStimulus]:
    """The exhaustive stream of ``wt`` as :class:`BitmodStimulus` parts for ``lanes`` PEs.

    Each part holds at most ``max_groups`` groups (``max_groups / lanes`` group steps);
    together the parts hold every pair once. The special-value register keeps its reset
    contents (``cfg.special_values``).
    """
    w_t = cfg.check_weight_type(wt)
    w, a, sel = exhaustive_pairs(cfg, w_t, seed=seed)
    rng = np.random.default_rng(seed + 1)
    scale: np.ndarray = np.asarray(rng.integers(1, 256, size=int(sel.shape[0])))
    n = int(sel.shape[0])
    if n % lanes:
        raise HwgenError(f"lanes must divide the {n} exhaustive groups of {w_t}, not {lanes}")
    step = max(lanes, max_groups // lanes * lanes)
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        steps = (hi - lo) // lanes
        yield BitmodStimulus(
            dtype=np.full(steps, w_t.code, dtype=np.int64),
            sel=sel[lo:hi].reshape(steps, lanes),
            scale=scale[lo:hi].reshape(steps, lanes),
            w=w[lo:hi].reshape(steps, lanes, -1),
            a=a[lo:hi].reshape(steps, lanes, -1),
            specials=cfg.special_values,
            out_ready=np.ones(1, dtype=np.int64),
        )
