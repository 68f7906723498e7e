"""Derived parameters of a design: the inputs of the fitted cost model.

Every column is computed from a :class:`~hwgen.design.base.DesignConfig`'s own derived facts
(format objects, :func:`~hwgen.golden.product_spec.product_spec`, the accumulator it builds,
BitMoD's width properties); nothing is retyped. :func:`params_frame` turns many configs into
one :class:`pandas.DataFrame` (one row per design) that the vectorised block formulas of
:mod:`hwgen.costmodel.fast.blocks` read.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hwgen.design.array import ArrayConfig
from hwgen.design.base import DesignConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.formats.base import Format, FormatKind

__all__ = [
    "ACTIVITY",
    "ACTIVITY_COLUMNS",
    "PARAM_COLUMNS",
    "design_family",
    "design_params",
    "params_frame",
]

#: Numeric columns of :func:`params_frame` (all present on every row; 0 where a term does
#: not apply). ``kind`` (``mac`` / ``array`` / ``bitmod_pe``), ``family`` (``int`` /
#: ``minifloat`` / ``bitmod``), ``design``, ``a_format`` and ``w_format`` are string columns.
PARAM_COLUMNS: tuple[str, ...] = (
    "is_mac",
    "is_array",
    "is_bitmod",
    "rows",
    "cols",
    "lanes",
    "a_bits",
    "w_bits",
    "a_float",
    "w_float",
    "a_sig",
    "w_sig",
    "a_exp_bits",
    "w_exp_bits",
    "prod_bits",
    "shift_max",
    "shift_bits",
    "lmul",
    "acc_bits",
    "facc",
    "facc_man",
    "facc_exp",
    "facc_unfused",
    "stages",
    "cut_product",
    "cut_aligned",
    "cut_partial",
    "delay_stages",
    "flags",
    "saturate",
    "out_man",
    "bm_dot",
    "bm_narrow",
    "bm_act_sig",
    "bm_act_exp_bits",
    "bm_x_bits",
    "bm_sigma_bits",
    "bm_lane_bits",
    "bm_tree_bits",
    "bm_cycle_sum_bits",
    "bm_acc_bits",
    "bm_acc_exp_bits",
    "bm_out_man_bits",
    "bm_types",
    "bm_group_bits",
)

#: Float columns of :func:`params_frame`: the operand activity of the energy fit's operating
#: point (:data:`ACTIVITY`), bit transitions per MAC of each operand port and the share of
#: MACs whose product is nonzero (0 for BitMoD PEs, whose energy is not modelled).
ACTIVITY_COLUMNS: tuple[str, ...] = ("a_toggles", "w_toggles", "nonzero_products")

ACTIVITY = "gaussian"
"""Operand stream the energy points are simulated with (``hwgen cost --activity``)."""
ACTIVITY_MACS = 2000
"""MACs of that stream (the cost flow's default)."""


def _sig_bits(fmt: Format) -> int:
    """Magnitude width of the format's significands (hidden bit included)."""
    return int(np.abs(fmt.sig_exp.sig).max()).bit_length()


def _exp_bits(fmt: Format) -> int:
    """Width of the format's exponent offset (0 for integers)."""
    return int(fmt.sig_exp.exp_max).bit_length()


def design_family(config: DesignConfig) -> str:
    """``bitmod`` for a BitMoD PE; ``minifloat`` when either operand is a float; else ``int``."""
    if isinstance(config, BitmodPEConfig):
        return "bitmod"
    mac = config.mac if isinstance(config, ArrayConfig) else config
    assert isinstance(mac, MacConfig)
    if FormatKind.FLOAT in (mac.a.kind, mac.w.kind):
        return "minifloat"
    return "int"


def _mac_params(mac: MacConfig) -> dict[str, Any]:
    from hwgen.golden.product_spec import product_spec
    from hwgen.golden.specials import FLAG_WIDTH

    a, w = mac.a, mac.w
    prod = product_spec(a, w, mac.multiplier)
    fa = mac.float_acc
    out = mac.out
    return {
        "a_bits": a.bits,
        "w_bits": w.bits,
        "a_float": int(a.kind is FormatKind.FLOAT),
        "w_float": int(w.kind is FormatKind.FLOAT),
        "a_sig": _sig_bits(a),
        "w_sig": _sig_bits(w),
        "a_exp_bits": _exp_bits(a),
        "w_exp_bits": _exp_bits(w),
        "prod_bits": prod.sig_width,
        "shift_max": prod.shift_max,
        "shift_bits": int(prod.shift_max).bit_length(),
        "lmul": int(mac.multiplier.value == "lmul"),
        "acc_bits": 0 if fa is not None else mac.accumulator.bits,
        "facc": int(fa is not None),
        "facc_man": 0 if fa is None else fa.fmt.man_bits + 1,
        "facc_exp": 0 if fa is None else fa.fmt.exp_bits,
        "facc_unfused": int(fa is not None and fa.rounding.value == "unfused"),
        "stages": mac.stages,
        **_cuts(mac),
        "flags": FLAG_WIDTH if mac.has_flags else 0,
        "saturate": int(mac.overflow.value == "saturate"),
        "out_man": 0 if out is None else out.man_bits + 1,
    }


@functools.lru_cache(maxsize=4096)
def _activity(a_format: str, w_format: str) -> dict[str, float]:
    """Operand activity of the energy operating point for one format pair.

    The same streams the energy flow drives (:func:`hwgen.costmodel.activity.operand_streams`
    with :data:`ACTIVITY`, :data:`ACTIVITY_MACS` MACs, seed 0): mean bit transitions per
    MAC of each operand's code, and the share of nonzero products. A low-entropy format
    (int2 of a Gaussian is mostly 0) switches little, which the area does not show.
    """
    from hwgen.costmodel.activity import operand_streams, parse_activity
    from hwgen.formats import get_format

    a, w = operand_streams(
        parse_activity(ACTIVITY), a_format=a_format, w_format=w_format, n=ACTIVITY_MACS, seed=0
    )

    def toggles(codes: np.ndarray) -> float:
        x = (codes[1:] ^ codes[:-1]).astype(np.uint64)
        return float(np.unpackbits(x.view(np.uint8)).sum() / len(codes))

    nz = (get_format(a_format).sig_exp.sig[a] != 0) & (get_format(w_format).sig_exp.sig[w] != 0)
    return {
        "a_toggles": round(toggles(a), 4),
        "w_toggles": round(toggles(w), 4),
        "nonzero_products": round(float(nz.mean()), 4),
    }


def _cuts(mac: MacConfig) -> dict[str, int]:
    """Which cut points the design's registers fill, and the plain delay stages beyond them."""
    used = mac.cut_points[: mac.stages]
    return {
        "cut_product": int("product" in used),
        "cut_aligned": int("aligned" in used),
        "cut_partial": int("partial" in used),
        "delay_stages": max(0, mac.stages - len(mac.cut_points)),
    }


@functools.lru_cache(maxsize=1024)
def _bitmod_params(pe: BitmodPEConfig) -> dict[str, Any]:
    # Cached: the width properties enumerate the activation format's codes on every call.
    return {
        "bm_dot": pe.dot,
        "bm_narrow": int(pe.mode.value == "narrow"),
        "bm_act_sig": pe.act_sig_bits,
        "bm_act_exp_bits": pe.act_exp_bits,
        "bm_x_bits": pe.x_bits,
        "bm_sigma_bits": pe.sigma_bits,
        "bm_lane_bits": pe.lane_bits,
        "bm_tree_bits": pe.tree_bits,
        "bm_cycle_sum_bits": pe.cycle_sum_bits,
        "bm_acc_bits": pe.acc_bits,
        "bm_acc_exp_bits": pe.acc_exp_bits,
        "bm_out_man_bits": pe.out_man_bits,
        "bm_types": len(pe.weight_types),
        "bm_group_bits": int(pe.group_size - 1).bit_length(),
    }


def design_params(config: DesignConfig) -> dict[str, Any]:
    """The derived parameters of one design (one row of :func:`params_frame`).

    Raises
    ------
    HwgenError
        For a design family the fitted model does not describe.
    """
    row: dict[str, Any] = dict.fromkeys(PARAM_COLUMNS, 0)
    row.update(dict.fromkeys(ACTIVITY_COLUMNS, 0.0))
    row.update(design=config.name, kind=config.kind, family=design_family(config))
    if isinstance(config, BitmodPEConfig):
        row.update(dict(_bitmod_params(config)), is_bitmod=1, rows=1, cols=1, lanes=1)
        row.update(a_format=config.act_format, w_format="bitmod")
        return row
    if isinstance(config, ArrayConfig):
        mac, rows, cols = config.mac, config.rows, config.cols
        row["is_array"] = 1
    elif isinstance(config, MacConfig):
        mac, rows, cols = config, 1, 1
        row["is_mac"] = 1
    else:
        raise HwgenError(
            f"the fitted cost model covers kinds mac, array and bitmod_pe, not {config.kind!r}"
        )
    row.update(_mac_params(mac), rows=rows, cols=cols, lanes=rows * cols)
    row.update(_activity(mac.a_format, mac.w_format))
    row.update(a_format=mac.a_format, w_format=mac.w_format)
    return row


def params_frame(configs: Iterable[DesignConfig]) -> pd.DataFrame:
    """One row of derived parameters per design, in input order (columns as documented)."""
    rows = [design_params(c) for c in configs]
    cols = ["design", "kind", "family", "a_format", "w_format", *PARAM_COLUMNS, *ACTIVITY_COLUMNS]
    frame = pd.DataFrame(rows, columns=cols)
    frame[list(PARAM_COLUMNS)] = frame[list(PARAM_COLUMNS)].astype("int64")
    frame[list(ACTIVITY_COLUMNS)] = frame[list(ACTIVITY_COLUMNS)].astype("float64")
    return frame
