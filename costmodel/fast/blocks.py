"""Per-block formulas of the fitted cost model, vectorised over a frame of designs.

Each *term* is a structural count of one hardware block computed from the derived
parameters of :mod:`hwgen.costmodel.fast.params` (bit widths, lane counts, pipeline
cut points); a metric is predicted as ``sum(coefficient[t] * term[t])`` with non-negative
coefficients fitted per target and metric (:mod:`hwgen.costmodel.fast.fit`). A term set
is a *candidate pool*: the fit keeps the terms that k-fold cross-validation on the
training designs selects (:func:`hwgen.costmodel.fast.fit.select_terms`); the others get
no coefficient. Terms of a MAC are multiplied by the number of PEs (``lanes``) so an
array reuses them; array and BitMoD terms are zero for the other families.

MAC blocks (``W`` = a width, ``clog2`` = ceil(log2)):

- decoder: float operands' exponent and significand fields (``exp_bits + sig``);
- multiplier: partial-product array ``a_sig * w_sig`` and its final carry-propagate adder
  ``a_sig + w_sig`` (L-Mul: one adder ``a_sig + w_sig``); split at the ``partial`` cut
  point it is two half multipliers and one more adder after their registers;
- exponent adder ``a_exp_bits + w_exp_bits``; aligner (barrel shifter of the product into
  the fixed-point accumulator): ``(prod_bits + shift_max) * shift_bits``, width times
  log2 of the shift range;
- adder / accumulator register: ``acc_bits``; saturation logic ``acc_bits``;
- float accumulator: aligner and leading-zero normaliser ``W * clog2(W)`` with
  ``W = facc_man + prod_bits + 3``, exponent path, rounding incrementer (twice when the
  product is rounded first, unfused);
- output float conversion: ``acc_bits * clog2(acc_bits)`` when ``out_format`` is set;
- pipeline registers per filled cut point: after the multiplier (product, its shift and
  flags), after the aligner (the aligned product), inside the multiplier (two partial
  products), plain delay stages (the aligned width);
- operand and special-value flag bits;
- array: operand forwarding registers, output buffer, per-array control.

BitMoD PE blocks (``docs/bitmod.md``): activation decoders ``dot * (exp + sig)``, term
encoders ``dot * types``, term multiply (AND, exact mode; narrow mode kills a zero lane in
its shifter) ``dot * act_sig``, lane shifters (exact: ``P << x``, binary,
``dot * lane_bits * x_bits``; narrow: ``P >> delta``, radix 4, one 4-input AND-OR per bit
and 2-bit digit of the saturated delta, ``dot * lane_bits * ceil(bit_length(lane_bits) /
2)``), product exponents ``dot * x_bits`` and, narrow, the MSB-first max scan and deltas
``dot * x_bits`` (AND-OR gates, no comparator tree), one carry-save sum of the lanes and
their +1s ``(dot - 1) * tree_bits``, the cycle-sum register, the exact significance shift
``acc_bits * sigma_bits`` (narrow: the significance is an exponent add), the accumulator
adder (exact ``acc_bits``, narrow ``cycle_sum_bits + 1``) and exponent, the narrow radix-4
alignment shifter ``W * ceil(bit_length(W) / 2)`` and normaliser ``(W + 1) * clog2(W + 3 -
acc_bits)`` (``W = cycle_sum_bits``), the bit-serial dequantizer ``out_man_bits +
acc_bits`` (one shift-add for load and steps), group / datatype control.

The timing terms (critical path in ns) are logic depths of the same blocks: with no
pipeline register the multiplier, the aligner and the accumulator sit on one path; with
one or more the segment after the first register and the multiplier are separate paths.
Carry chains appear both linear (ripple, ``W``) and logarithmic (``clog2(W)``); selection
keeps what the measured paths show.

Energy per MAC is switched capacitance: each block's area term again (its coefficient is
that block's capacitance times its activity on the fitted operand stream), plus the
clocked register bits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = ["TERMS", "term_matrix", "weighted_sum"]

Cols = Mapping[str, np.ndarray]
Term = Callable[[Cols], np.ndarray]


def _clog2(x: np.ndarray) -> np.ndarray:
    return np.ceil(np.log2(np.maximum(x, 1).astype(np.float64)))


def _fw(c: Cols) -> np.ndarray:
    """Width of the float accumulator's aligned sum."""
    return c["facc"] * (c["facc_man"] + c["prod_bits"] + 3)


def _aligned(c: Cols) -> np.ndarray:
    """Width of the product after the fixed-point aligner."""
    return c["prod_bits"] + c["shift_max"]


def _mac(f: Term) -> Term:
    """A per-PE MAC term, times the number of PEs (zero for BitMoD PEs)."""
    return lambda c: (c["is_mac"] + c["is_array"]) * c["lanes"] * f(c)


def _bm(f: Term) -> Term:
    return lambda c: c["is_bitmod"] * f(c)


def _pipe_bits(c: Cols) -> np.ndarray:
    """Register bits of the filled cut points and delay stages."""
    return (
        c["cut_product"] * (c["prod_bits"] + c["shift_bits"] + c["flags"] + 2)
        + c["cut_aligned"] * (_aligned(c) + c["flags"] + 1)
        + c["cut_partial"] * (c["prod_bits"] + c["a_sig"] + c["shift_bits"] + c["flags"] + 2)
        + c["delay_stages"] * (_aligned(c) + c["flags"] + 1)
    )


def _bm_exact(c: Cols) -> np.ndarray:
    return 1 - c["bm_narrow"]


def _digits(bits: np.ndarray) -> np.ndarray:
    """Radix-4 stages of a shifter by a ``bits``-bit amount: one per 2-bit digit."""
    return np.ceil(np.asarray(bits, dtype=np.float64) / 2)


def _bit_length(x: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of each (positive) value."""
    return np.floor(np.log2(np.maximum(x, 1))) + 1


def _bm_sat_bits(c: Cols) -> np.ndarray:
    """Bits of a narrow lane's saturated delta, ``bit_length(lane_bits)``."""
    return _bit_length(c["bm_lane_bits"])


def _bm_norm_bits(c: Cols) -> np.ndarray:
    """Bits of the narrow accumulator's normalisation amount (``k`` in ``0 .. cw + 1 - acc``)."""
    return _clog2(c["bm_cycle_sum_bits"] + 3 - c["bm_acc_bits"])


_MAC_LOGIC: dict[str, Term] = {
    "mac_const": _mac(lambda c: np.ones_like(c["lanes"])),
    "decoder": _mac(
        lambda c: (
            c["a_float"] * (c["a_exp_bits"] + c["a_sig"])
            + c["w_float"] * (c["w_exp_bits"] + c["w_sig"])
        )
    ),
    "multiplier": _mac(lambda c: (1 - c["lmul"]) * c["a_sig"] * c["w_sig"]),
    "mul_adder": _mac(lambda c: (1 - c["lmul"]) * (c["a_sig"] + c["w_sig"])),
    "lmul_adder": _mac(lambda c: c["lmul"] * (c["a_sig"] + c["w_sig"])),
    "exp_adder": _mac(lambda c: c["a_exp_bits"] + c["w_exp_bits"]),
    "aligner": _mac(lambda c: (1 - c["facc"]) * _aligned(c) * c["shift_bits"]),
    "accumulator": _mac(lambda c: c["acc_bits"]),
    "saturate": _mac(lambda c: c["saturate"] * c["acc_bits"]),
    "facc_align_norm": _mac(lambda c: _fw(c) * _clog2(_fw(c))),
    "facc_exp": _mac(lambda c: c["facc"] * c["facc_exp"] * (1 + _clog2(_fw(c)))),
    "facc_round": _mac(lambda c: c["facc_man"] * (1 + c["facc_unfused"])),
    "out_convert": _mac(lambda c: (c["out_man"] > 0) * c["acc_bits"] * _clog2(c["acc_bits"])),
    "flags": _mac(lambda c: c["flags"]),
    "pipeline_regs": _mac(_pipe_bits),
    "operand_bits": _mac(lambda c: c["a_bits"] + c["w_bits"]),
}
"""The logic (and register) blocks of one MAC."""

_ARRAY: dict[str, Term] = {
    "array_forward": lambda c: c["is_array"] * c["lanes"] * (c["a_bits"] + c["w_bits"]),
    "array_outbuf": lambda c: c["is_array"] * c["lanes"] * (c["acc_bits"] + c["flags"]),
    "array_ctrl": lambda c: c["is_array"] * (c["rows"] + c["cols"] + 8),
}

_BITMOD: dict[str, Term] = {
    "bm_const": _bm(lambda c: np.ones_like(c["lanes"])),
    "bm_narrow_const": _bm(lambda c: c["bm_narrow"]),
    "bm_decoder": _bm(lambda c: c["bm_dot"] * (c["bm_act_exp_bits"] + c["bm_act_sig"])),
    "bm_encoder": _bm(lambda c: c["bm_dot"] * c["bm_types"]),
    # Exact: AND of |sig| with the term bit; narrow: none (the lane shifter's kill input).
    "bm_term_mul": _bm(lambda c: _bm_exact(c) * c["bm_dot"] * c["bm_act_sig"]),
    # Exact: P << x, a binary shifter of x_bits 2:1-mux stages.
    "bm_lane_shift": _bm(lambda c: _bm_exact(c) * c["bm_dot"] * c["bm_lane_bits"] * c["bm_x_bits"]),
    # Narrow: P >> delta, radix 4 (one 4-input AND-OR per bit and digit of the
    # saturated delta).
    "bm_lane_shift_r4": _bm(
        lambda c: c["bm_narrow"] * c["bm_dot"] * c["bm_lane_bits"] * _digits(_bm_sat_bits(c))
    ),
    # Product exponents x = exp + t_exp (both modes); narrow adds the MSB-first max scan
    # (AND-OR per lane and bit) and the deltas x_max - x.
    "bm_exp_add": _bm(lambda c: c["bm_dot"] * c["bm_x_bits"]),
    "bm_max_scan": _bm(lambda c: c["bm_narrow"] * c["bm_dot"] * c["bm_x_bits"]),
    # One carry-save sum of dot lanes (ones' complements) and dot +1s: (dot - 1) rows of
    # full adders ahead of one carry-propagate adder.
    "bm_adder_tree": _bm(lambda c: (c["bm_dot"] - 1) * c["bm_tree_bits"]),
    "bm_cycle_reg": _bm(
        lambda c: c["bm_tree_bits"] + c["bm_sigma_bits"] + c["bm_narrow"] * c["bm_x_bits"]
    ),
    # Exact: the cycle sum shifted by its significance into the accumulator; narrow: the
    # significance is an exponent add, the sum is not shifted.
    "bm_sig_shift": _bm(lambda c: _bm_exact(c) * c["bm_acc_bits"] * c["bm_sigma_bits"]),
    # The accumulator adder (exact: acc_bits; narrow: the cycle_sum_bits + 1 window sum)
    # and the narrow exponent register.
    "bm_accumulator": _bm(
        lambda c: (
            np.where(c["bm_narrow"] > 0, c["bm_cycle_sum_bits"] + 1, c["bm_acc_bits"])
            + c["bm_acc_exp_bits"]
        )
    ),
    # Narrow: one radix-4 alignment shifter of the window by the saturated exponent
    # difference (no negator) ...
    "bm_acc_align": _bm(
        lambda c: (
            c["bm_narrow"] * c["bm_cycle_sum_bits"] * _digits(_bit_length(c["bm_cycle_sum_bits"]))
        )
    ),
    # ... and the leading-one normaliser, a binary right shifter by k.
    "bm_normaliser": _bm(
        lambda c: c["bm_narrow"] * (c["bm_cycle_sum_bits"] + 1) * _bm_norm_bits(c)
    ),
    # Bit-serial dequantizer: one shift-add (load and steps) on out_man_bits, the
    # operand multiplexer on acc_bits.
    "bm_dequantizer": _bm(lambda c: c["bm_out_man_bits"] + c["bm_acc_bits"]),
}
"""The blocks of one BitMoD PE."""

_AREA: dict[str, Term] = {**_MAC_LOGIC, **_ARRAY, **_BITMOD}
"""Cell-area terms (the ASIC area pool): block -> structural count."""


def _sig_widths(c: Cols) -> tuple[np.ndarray, np.ndarray]:
    """Signed significand widths ``(A, W)`` of the multiplier's two operands.

    ``a_sig`` is a magnitude width (hidden bit included); a minifloat's decoder table
    emits its significand in two's complement, one sign bit wider, while an integer's
    ``a_sig`` (``bit_length(2**(n-1))`` = ``n``) already is its signed width.
    """
    return c["a_sig"] + c["a_float"], c["w_sig"] + c["w_float"]


def _rows_adders(n: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Full adders reducing an ``n x m`` signed partial-product array to two rows."""
    return np.maximum(np.minimum(n, m) - 2, 0) * np.maximum(n, m)


def _split(c: Cols) -> np.ndarray:
    """1 where the multiplier is split into two registered partial products."""
    return c["cut_partial"] * (_sig_widths(c)[1] >= 2)


def _reduction_adders(c: Cols) -> np.ndarray:
    """Full adders of the multiplier's partial-product reduction, split or whole."""
    a, w = _sig_widths(c)
    lo = w // 2
    parts = _rows_adders(a, lo + 1) + _rows_adders(a, w - lo)
    return np.where(_split(c) > 0, parts, _rows_adders(a, w))


def _shifter_muxes(c: Cols) -> np.ndarray:
    """2:1 multiplexers of a logarithmic shifter of the product by ``0 .. shift_max``.

    Stage ``s`` (shift by ``2**s`` when bit ``s`` of the shift is set) drives the bits its
    output can hold, ``prod_bits + min(2**(s+1) - 1, shift_max)``; summed over the
    ``shift_bits`` stages. The ``aligner`` term's ``(prod_bits + shift_max) *
    shift_bits`` is the same count with every stage at the full output width, which a
    short-shift stage does not have.
    """
    stages = c["shift_bits"]
    out = np.zeros(len(stages), dtype=np.float64)
    for s in range(int(stages.max(initial=0))):
        reach = np.minimum(2 ** (s + 1) - 1, c["shift_max"])
        out += (stages > s) * (c["prod_bits"] + reach)
    return out


def _acc_window(c: Cols) -> np.ndarray:
    """Accumulator bits the aligned product reaches (full adders), its sign bit included."""
    return (1 - c["facc"]) * np.minimum(c["acc_bits"], _aligned(c) + 1)


_LOGIC_DETAIL: dict[str, Term] = {
    # Partial-product reduction: Yosys maps a signed ``$mul`` (alumacc/maccmap) to one
    # partial-product row per bit of an operand, reduced to two rows by full adders, then
    # one carry-propagate adder (``mul_adder``). The reduction has (rows - 2) x width
    # full adders, none for a 2-bit operand (its two rows go straight to the final adder,
    # why int2 MACs cost far less than ``a_sig * w_sig`` suggests).
    "mul_compress": _mac(lambda c: (1 - c["lmul"]) * _rows_adders(*_sig_widths(c))),
    # A multiplier split at the ``partial`` cut point is two multipliers, ``a * lo`` and
    # ``a * hi`` (``w``'s low half, unsigned so one bit wider as a signed operand, and its
    # high half), each reduced on its own, and one more carry-propagate adder after the
    # register (``mul_split_add``): fewer full adders in the reduction, more in carry
    # chains (ECP5: 332 -> 241 LUT4s, 22 -> 32 CCU2Cs for INT8 x INT8).
    "mul_reduce": _mac(lambda c: (1 - c["lmul"]) * _reduction_adders(c)),
    "mul_split_add": _mac(lambda c: (1 - c["lmul"]) * _split(c) * sum(_sig_widths(c))),
    # The aligner as the muxes its stages really have (a short shift range, e.g. an
    # E2 operand's 0..2, has narrow stages).
    "aligner_mux": _mac(lambda c: (1 - c["facc"]) * _shifter_muxes(c)),
    # The accumulator adder splits into the full-adder window the aligned product reaches
    # and the sign-extended upper bits, which are an incrementer (a half adder per bit,
    # on an FPGA the carry chain alone).
    "acc_add": _mac(_acc_window),
    "acc_ext": _mac(lambda c: (1 - c["facc"]) * c["acc_bits"] - _acc_window(c)),
    # Every clocked bit (operand, accumulator, float accumulator, pipeline registers): a
    # gate-level count pays a flip-flop's transistors per bit, an FPGA its enable/reset
    # logic when it does not pack into the LUT ahead of the flip-flop.
    "register_bits": _mac(
        lambda c: (
            c["a_bits"]
            + c["w_bits"]
            + c["acc_bits"]
            + c["facc"] * (1 + c["facc_exp"] + c["facc_man"])
            + _pipe_bits(c)
        )
    ),
}
"""Gate- and LUT-level refinements of the MAC blocks (``logic`` pool)."""

_LOGIC: dict[str, Term] = {**_AREA, **_LOGIC_DETAIL}
"""Logic-size terms (generic transistors, Xilinx LUT6s): the area pool plus
:data:`_LOGIC_DETAIL`."""


def _table_luts(c: Cols, k: int) -> np.ndarray:
    """LUT-``k`` cells of the minifloat operands' decode tables, without logic sharing.

    Each decoded bit (``exp_bits + sig``) is a function of all ``bits`` code bits; a
    function of ``n > k`` inputs takes ``2**(n - k)`` LUT-``k`` cells by Shannon
    expansion (on the ECP5 the wide multiplexers that join them are PFUMX / L6MUX cells,
    not LUTs).
    """
    out = np.zeros(len(c["a_bits"]), dtype=np.float64)
    for r in ("a", "w"):
        fields = c[f"{r}_exp_bits"] + c[f"{r}_sig"]
        out += c[f"{r}_float"] * fields * 2.0 ** np.maximum(c[f"{r}_bits"] - k, 0)
    return out


_LUT4: dict[str, Term] = {**_LOGIC, "decoder_lut4": _mac(lambda c: _table_luts(c, 4))}
"""LUT4 targets (iCE40, ECP5): the logic pool plus the decode tables in LUT4 cells (an
FP8 operand's table is 16 times wider in LUT4s than its field count)."""

_FF: dict[str, Term] = {
    "mac_const": _MAC_LOGIC["mac_const"],
    "operand_regs": _mac(lambda c: c["a_bits"] + c["w_bits"]),
    "accumulator": _mac(lambda c: c["acc_bits"] + c["facc"] * (1 + c["facc_exp"] + c["facc_man"])),
    "flags": _MAC_LOGIC["flags"],
    "pipeline_regs": _MAC_LOGIC["pipeline_regs"],
    **_ARRAY,
    "bm_const": _BITMOD["bm_const"],
    "bm_cycle_reg": _BITMOD["bm_cycle_reg"],
    "bm_inputs": _bm(lambda c: c["bm_dot"] * (c["bm_act_exp_bits"] + c["bm_act_sig"] + 8)),
    "bm_accumulator": _bm(
        lambda c: c["bm_acc_bits"] + c["bm_acc_exp_bits"] + c["bm_cycle_sum_bits"]
    ),
    "bm_dequantizer": _BITMOD["bm_dequantizer"],
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


def _comb(c: Cols) -> np.ndarray:
    return (c["stages"] == 0).astype(np.int64)


def _piped(c: Cols) -> np.ndarray:
    return (c["stages"] > 0).astype(np.int64)


_DELAY: dict[str, Term] = {
    "mac_const": lambda c: c["is_mac"] + c["is_array"],
    "path_comb_mul": lambda c: _comb(c) * _seg_mul(c),
    "path_comb_mul_log": lambda c: (
        _comb(c) * (1 - c["is_bitmod"]) * _clog2(c["a_sig"] * c["w_sig"])
    ),
    "path_comb_acc": lambda c: _comb(c) * _seg_acc(c) * (1 - c["is_bitmod"]),
    "path_comb_acc_log": lambda c: _comb(c) * (1 - c["facc"]) * _clog2(c["acc_bits"]),
    "path_comb_facc": lambda c: _comb(c) * _seg_facc(c),
    "path_comb_facc_log": lambda c: _comb(c) * c["facc"] * _clog2(_fw(c)) * (1 + c["facc_unfused"]),
    "path_piped_mul": lambda c: _piped(c) * _seg_mul(c),
    "path_piped_acc": lambda c: _piped(c) * (_seg_acc(c) + _seg_facc(c)),
    "path_piped_acc_log": lambda c: _piped(c) * (1 - c["facc"]) * _clog2(c["acc_bits"]),
    "path_array": lambda c: c["is_array"] * _clog2(c["rows"] + c["cols"]),
    "bm_const": _BITMOD["bm_const"],
    "bm_path": _bm(lambda c: c["bm_tree_bits"] + _clog2(c["bm_dot"])),
    "bm_path_log": _bm(lambda c: _clog2(c["bm_tree_bits"]) + _clog2(c["bm_dot"])),
    "bm_path_narrow": _bm(lambda c: c["bm_narrow"] * c["bm_acc_bits"]),
    "bm_path_narrow_norm": _bm(lambda c: c["bm_narrow"] * _clog2(c["bm_cycle_sum_bits"])),
}
"""Critical-path terms (ns): logic depths of the blocks on the longest register path."""


def _act(c: Cols) -> np.ndarray:
    """Mean toggle rate of the operand bits (transitions per bit per MAC)."""
    return (c["a_toggles"] + c["w_toggles"]) / np.maximum(c["a_bits"] + c["w_bits"], 1)


_SWITCHED: dict[str, Term] = {
    "sw_operands": _mac(lambda c: c["a_toggles"] + c["w_toggles"]),
    "sw_decoder": _mac(lambda c: _act(c) * _MAC_LOGIC["decoder"](c) / np.maximum(c["lanes"], 1)),
    "sw_multiplier": _mac(
        lambda c: (1 - c["lmul"]) * (c["a_toggles"] * c["w_sig"] + c["w_toggles"] * c["a_sig"])
    ),
    "sw_multiplier_array": _mac(lambda c: (1 - c["lmul"]) * _act(c) * c["a_sig"] * c["w_sig"]),
    "sw_aligner": _mac(lambda c: (1 - c["facc"]) * _act(c) * _aligned(c) * c["shift_bits"]),
    "sw_accumulator": _mac(lambda c: c["nonzero_products"] * c["acc_bits"]),
    "sw_facc": _mac(lambda c: c["nonzero_products"] * _fw(c) * _clog2(_fw(c))),
    "sw_pipeline": _mac(lambda c: _act(c) * _pipe_bits(c)),
}
"""Switched-capacitance terms: a block's size times the activity that drives it (the
operand toggle rate for the multiplier / decoder / aligner, the nonzero-product share for
the accumulator)."""

_ENERGY: dict[str, Term] = {
    "mac_const": _MAC_LOGIC["mac_const"],
    **_SWITCHED,
    "register_bits": _LOGIC_DETAIL["register_bits"],
}
"""Energy-per-MAC terms (MAC designs): the logic blocks plus the clocked register bits."""

TERMS: dict[str, dict[str, Term]] = {
    "area": _AREA,
    "logic": _LOGIC,
    "lut4": _LUT4,
    "ff": _FF,
    "delay": _DELAY,
    "energy": _ENERGY,
}
"""Candidate pools by name; each fitted metric names the pool it selects from."""


class _Columns(dict[str, np.ndarray]):
    """Frame columns as numpy arrays, converted on first use (a few terms read few)."""

    def __init__(self, frame: pd.DataFrame, ints: tuple[str, ...], floats: tuple[str, ...]) -> None:
        super().__init__()
        self._frame = frame
        self._types = {**dict.fromkeys(ints, np.int64), **dict.fromkeys(floats, np.float64)}

    def __missing__(self, key: str) -> np.ndarray:
        arr = np.asarray(self._frame[key].to_numpy(), dtype=self._types[key])
        self[key] = arr
        return arr


def term_matrix(
    frame: pd.DataFrame, terms: str, *, only: tuple[str, ...] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The ``(designs x terms)`` matrix of one term set, and the term names in order.

    Parameters
    ----------
    frame:
        Derived parameters (:func:`hwgen.costmodel.fast.params.params_frame`).
    terms:
        A key of :data:`TERMS`.
    only:
        Evaluate just these terms of the set (in this order), e.g. a fit's selected ones.

    Raises
    ------
    HwgenError
        A name in ``only`` that the set does not have (a fit file of another version).
    """
    from hwgen.costmodel.fast.params import ACTIVITY_COLUMNS, PARAM_COLUMNS

    cols = _Columns(frame, PARAM_COLUMNS, ACTIVITY_COLUMNS)
    table = TERMS[terms]
    names = tuple(table) if only is None else only
    unknown = [n for n in names if n not in table]
    if unknown:
        from hwgen.errors import HwgenError

        raise HwgenError(
            f"term {unknown[0]!r} is not in the {terms!r} term set of this hwgen version;"
            " regenerate the fit with hwgen cost fit"
        )
    # Column-major: each term is written as one contiguous column.
    out = np.empty((len(frame), len(names)), dtype=np.float64, order="F")
    for j, name in enumerate(names):
        out[:, j] = table[name](cols)
    return out, names


def weighted_sum(x: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``x @ coef`` computed term by term, so a row's value does not depend on the batch.

    A BLAS product's rounding depends on how many rows it is given; a design must cost the
    same alone or in a batch of a million (and in a fit file as in ``predict``).
    """
    out = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        out += x[:, j] * coef[j]
    return out
