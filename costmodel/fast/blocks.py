"""Per-block formulas of the fitted cost model, vectorised over a frame of designs.

Each *term* is a structural count of one hardware block computed from the derived
parameters of :mod:`hwgen.costmodel.fast.params` (bit widths, lane counts, pipeline
stages); a metric is predicted as ``sum(coefficient[t] * term[t])`` with non-negative
coefficients fitted per target and metric (:mod:`hwgen.costmodel.fast.fit`). Terms of a
MAC are multiplied by the number of PEs (``lanes``) so an array reuses them; array and
BitMoD terms are zero for the other families.

Blocks and their terms (``W`` = a width, ``clog2`` = ceil(log2)):

- decoder: float operands' exponent and significand fields (``exp_bits + sig``);
- multiplier: significand product ``a_sig * w_sig`` (L-Mul: an adder ``a_sig + w_sig``);
- exponent adder and aligner: ``shift_bits``; shifting the product into the fixed-point
  accumulator ``(prod_bits + shift_max) * shift_bits``;
- adder / accumulator: ``acc_bits`` (fixed point), saturation logic;
- float accumulator (aligner + normaliser/rounder): ``W * clog2(W)`` with
  ``W = facc_man + prod_bits + 3`` (alignment shift and leading-zero normalisation), the
  exponent path ``facc_exp``, the rounding increment, the unfused product rounder;
- output float conversion: ``acc_bits * clog2(acc_bits)`` when ``out_format`` is set;
- registers: accumulator bits, pipeline stages x (product + shift + flags + control);
- special-value flags;
- array: operand forwarding registers, output buffer, per-array control;
- BitMoD PE: activation decoder, term lanes (``dot * lane_bits``), lane alignment
  (``dot * lane_bits * x_bits``), max-exponent tree, adder tree, significance shift,
  accumulator (narrow: its normaliser), bit-serial dequantizer, datatype / special-value
  logic, group counter.

The timing terms (critical path in ns) are logic depths of the same blocks: with no
pipeline register the multiplier and the accumulator sit on one path, with one or more
stages the longer of the two segments is what counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = ["TERMS", "term_matrix"]

Cols = Mapping[str, np.ndarray]
Term = Callable[[Cols], np.ndarray]


def _clog2(x: np.ndarray) -> np.ndarray:
    return np.ceil(np.log2(np.maximum(x, 1).astype(np.float64)))


def _fw(c: Cols) -> np.ndarray:
    """Width of the float accumulator's aligned sum."""
    return c["facc"] * (c["facc_man"] + c["prod_bits"] + 3)


def _mac(f: Term) -> Term:
    """A per-PE MAC term, times the number of PEs (zero for BitMoD PEs)."""
    return lambda c: (c["is_mac"] + c["is_array"]) * c["lanes"] * f(c)


def _bm(f: Term) -> Term:
    return lambda c: c["is_bitmod"] * f(c)


_AREA: dict[str, Term] = {
    "mac_const": _mac(lambda c: np.ones_like(c["lanes"])),
    "decoder": _mac(
        lambda c: (
            c["a_float"] * (c["a_exp_bits"] + c["a_sig"])
            + c["w_float"] * (c["w_exp_bits"] + c["w_sig"])
        )
    ),
    "multiplier": _mac(lambda c: (1 - c["lmul"]) * c["a_sig"] * c["w_sig"]),
    "lmul_adder": _mac(lambda c: c["lmul"] * (c["a_sig"] + c["w_sig"])),
    "exp_adder": _mac(lambda c: c["shift_bits"]),
    "aligner": _mac(
        lambda c: (1 - c["facc"]) * (c["prod_bits"] + c["shift_max"]) * c["shift_bits"]
    ),
    "accumulator": _mac(lambda c: c["acc_bits"]),
    "saturate": _mac(lambda c: c["saturate"] * c["acc_bits"]),
    "facc_align_norm": _mac(lambda c: _fw(c) * _clog2(_fw(c))),
    "facc_exp": _mac(lambda c: c["facc"] * c["facc_exp"] * (1 + _clog2(_fw(c)))),
    "facc_round": _mac(lambda c: c["facc_man"] * (1 + c["facc_unfused"])),
    "out_convert": _mac(lambda c: (c["out_man"] > 0) * c["acc_bits"] * _clog2(c["acc_bits"])),
    "flags": _mac(lambda c: c["flags"]),
    "pipeline_regs": _mac(
        lambda c: c["stages"] * (c["prod_bits"] + c["shift_bits"] + c["flags"] + 2)
    ),
    "operand_bits": _mac(lambda c: c["a_bits"] + c["w_bits"]),
    "array_forward": lambda c: c["is_array"] * c["lanes"] * (c["a_bits"] + c["w_bits"]),
    "array_outbuf": lambda c: c["is_array"] * c["lanes"] * (c["acc_bits"] + c["flags"]),
    "array_ctrl": lambda c: c["is_array"] * (c["rows"] + c["cols"] + 8),
    "bm_const": _bm(lambda c: np.ones_like(c["lanes"])),
    "bm_lanes": _bm(lambda c: c["bm_dot"] * c["bm_lane_bits"] * _clog2(c["bm_lane_bits"])),
    "bm_accumulator": _bm(
        lambda c: c["bm_cycle_sum_bits"] + c["bm_acc_bits"] + c["bm_out_man_bits"]
    ),
    "bm_normaliser": _bm(lambda c: c["bm_narrow"] * c["bm_acc_bits"] * _clog2(c["bm_acc_bits"])),
}
"""Area-like terms (area, transistors, LUTs, energy per MAC): block -> structural count."""

_FF: dict[str, Term] = {
    "mac_const": _AREA["mac_const"],
    "operand_regs": _mac(lambda c: c["a_bits"] + c["w_bits"]),
    "accumulator": _mac(lambda c: c["acc_bits"] + c["facc"] * (1 + c["facc_exp"] + c["facc_man"])),
    "flags": _AREA["flags"],
    "pipeline_regs": _AREA["pipeline_regs"],
    "array_forward": _AREA["array_forward"],
    "array_outbuf": _AREA["array_outbuf"],
    "array_ctrl": _AREA["array_ctrl"],
    "bm_const": _AREA["bm_const"],
    "bm_lanes": _AREA["bm_lanes"],
    "bm_inputs": _bm(lambda c: c["bm_dot"] * (c["bm_act_exp_bits"] + c["bm_act_sig"] + 8)),
    "bm_accumulator": _bm(
        lambda c: c["bm_acc_bits"] + c["bm_acc_exp_bits"] + c["bm_cycle_sum_bits"]
    ),
    "bm_dequantizer": _bm(lambda c: c["bm_out_man_bits"] + c["bm_acc_bits"]),
    "bm_types": _bm(lambda c: c["bm_types"] + c["bm_group_bits"]),
}
"""Flip-flop terms: register bits of each block."""


def _seg_mul(c: Cols) -> np.ndarray:
    """Multiplier depth: the partial-product adder chain grows with both widths."""
    return c["a_sig"] + c["w_sig"] + (c["a_float"] | c["w_float"]) * c["shift_bits"]


def _seg_acc(c: Cols) -> np.ndarray:
    """Fixed-point accumulator depth: the carry chain plus the alignment shifter."""
    return (1 - c["facc"]) * (c["acc_bits"] + c["shift_bits"])


def _seg_facc(c: Cols) -> np.ndarray:
    """Float accumulator depth: align, add, count leading zeros, normalise, round."""
    return _fw(c) * (1 + c["facc_unfused"])


_DELAY: dict[str, Term] = {
    "mac_const": lambda c: c["is_mac"] + c["is_array"],
    "path_comb_mul": lambda c: (c["stages"] == 0) * _seg_mul(c),
    "path_comb_acc": lambda c: (c["stages"] == 0) * _seg_acc(c) * (1 - c["is_bitmod"]),
    "path_comb_facc": lambda c: (c["stages"] == 0) * _seg_facc(c),
    "path_piped_mul": lambda c: (c["stages"] > 0) * _seg_mul(c),
    "path_piped_acc": lambda c: (c["stages"] > 0) * (_seg_acc(c) + _seg_facc(c)),
    "path_array": lambda c: c["is_array"] * _clog2(c["rows"] + c["cols"]),
    "bm_const": _AREA["bm_const"],
    "bm_path": _bm(lambda c: c["bm_tree_bits"] + _clog2(c["bm_dot"])),
    "bm_path_narrow": _bm(lambda c: c["bm_narrow"] * c["bm_acc_bits"]),
}
"""Critical-path terms (ns): logic depths of the blocks on the longest register path."""

_ENERGY: dict[str, Term] = {
    **{k: v for k, v in _AREA.items() if not k.startswith(("array_", "bm_"))},
    "register_bits": _mac(
        lambda c: (
            c["a_bits"]
            + c["w_bits"]
            + c["acc_bits"]
            + c["facc"] * (1 + c["facc_exp"] + c["facc_man"])
        )
    ),
}
"""Energy-per-MAC terms (MAC designs): the logic blocks plus the clocked register bits."""

TERMS: dict[str, dict[str, Term]] = {
    "area": _AREA,
    "ff": _FF,
    "delay": _DELAY,
    "energy": _ENERGY,
}
"""Term sets by name; each fitted metric names the set it uses."""


def term_matrix(frame: pd.DataFrame, terms: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """The ``(designs x terms)`` matrix of one term set, and the term names in order.

    Parameters
    ----------
    frame:
        Derived parameters (:func:`hwgen.costmodel.fast.params.params_frame`).
    terms:
        A key of :data:`TERMS`.
    """
    from hwgen.costmodel.fast.params import PARAM_COLUMNS

    cols = {k: np.asarray(frame[k].to_numpy(), dtype=np.int64) for k in PARAM_COLUMNS}
    table = TERMS[terms]
    names = tuple(table)
    # Column-major: each term is written as one contiguous column.
    out = np.empty((len(frame), len(names)), dtype=np.float64, order="F")
    for j, name in enumerate(names):
        out[:, j] = table[name](cols)
    return out, names
