"""Stage ``accuracy``: operand quantization error of a design's two formats.

This is the *operand* error, not the error of a GEMM computed by the hardware (that is a
later stage with the columns ``rel_mse`` / ``sqnr_db``):

* weights (a distribution or a tensor file) are quantized with the weight format in groups
  of ``group_size`` along the last axis (absmax scales; BitMoD mixtures with their own
  per-group selection), as ``hwgen quant-error`` does (:func:`hwgen.quant.rank_formats`);
* activations (a named distribution, ``tokens x channels``) are quantized with the
  activation format with absmax scaling ``per-token`` (one scale per row) or
  ``per-tensor``;
* ``operand_rel_mse = a_rel_mse + w_rel_mse``: the first-order relative error of a
  product ``a * w`` when both errors are small and independent
  (``(a + da)(w + dw) - a w ~ a dw + w da``), and ``operand_sqnr_db = -10 log10`` of it.

Columns are prefixed ``quant_`` (``quant_operand_rel_mse``) so they are never mistaken for
a GEMM's error. The result depends only on the two format names and the workload, so
designs that differ in anything else share one cache entry.

Spec table: ``[workload.accuracy]``::

    group_size = 128
    weights = { dist = "student-t", seed = 0 }    # or { file = "w.npz", match = "proj" }
    activations = { dist = "gaussian", seed = 1, tokens = 256, channels = 1024,
                    scaling = "per-token" }
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwgen.sweep.stages.base import Column, Stage, StageContext
from hwgen.sweep.stages.sources import (
    ActivationKeys,
    ActivationSource,
    WeightKeys,
    WeightSource,
    check_unchanged,
    parse_activations,
    parse_weights,
)

__all__ = ["AccuracyOptions", "AccuracyStage"]

SCALINGS = ("per-token", "per-tensor")
DEFAULT_GROUP_SIZE = 128
DEFAULT_WEIGHTS = WeightSource()
DEFAULT_ACTIVATIONS = ActivationSource(tokens=256, channels=1024)


@dataclass(frozen=True)
class AccuracyOptions:
    """``[workload.accuracy]``."""

    group_size: int = DEFAULT_GROUP_SIZE
    weights: WeightSource = DEFAULT_WEIGHTS
    activations: ActivationSource = DEFAULT_ACTIVATIONS

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "group_size": self.group_size,
            "weights": self.weights.to_dict(),
            "activations": self.activations.to_dict(),
        }


def _dists() -> tuple[str, ...]:
    from hwgen.quant import Dist

    return tuple(d.value for d in Dist)


def _weight_keys(group_size: int) -> WeightKeys:
    def check(path: Path, match: str | None, layout: str | None) -> None:
        from hwgen.quant import load_tensors, select_tensors

        select_tensors(load_tensors(path), group_size=group_size, match=match)

    return WeightKeys(defaults=DEFAULT_WEIGHTS, dists=_dists(), check=check)


def _activation_keys() -> ActivationKeys:
    return ActivationKeys(
        defaults=DEFAULT_ACTIVATIONS, dists=_dists(), scalings=SCALINGS, channels=True
    )


@functools.lru_cache(maxsize=4)
def _weights(ws: WeightSource, group_size: int) -> dict[str, Any]:
    from hwgen.quant import load_tensors, select_tensors, synthetic_tensors

    if ws.file is not None:
        path = Path(ws.file)
        check_unchanged(path, ws.file_sha256)
        return select_tensors(load_tensors(path), group_size=group_size, match=ws.match)
    return synthetic_tensors(ws.dist or "student-t", seed=ws.seed)


@functools.lru_cache(maxsize=4)
def _activations(src: ActivationSource) -> Any:
    from hwgen.quant import synthetic_tensors

    assert src.dist is not None and src.channels is not None
    (x,) = synthetic_tensors(src.dist, seed=src.seed, shapes=[(src.tokens, src.channels)]).values()
    if src.scaling == "per-tensor":
        return x.reshape(1, -1)
    return x


def _sqnr_db(rel: float) -> float | None:
    return -10.0 * math.log10(rel) if rel > 0 else None


class AccuracyStage(Stage):
    """Weight and activation quantization error of the design's formats."""

    name = "accuracy"
    summary = "operand quantization error: weights and activations quantized with the formats"
    config_keys = ("a_format", "w_format")
    code = ("hwgen.formats", "hwgen.quant")
    prefix = "quant_"

    @property
    def table(self) -> tuple[str, ...]:
        return ("workload", "accuracy")

    def parse(self, table: Any) -> AccuracyOptions:
        if table is None:
            return AccuracyOptions()
        group_size = table.int("group_size", DEFAULT_GROUP_SIZE, lo=1)
        opts = AccuracyOptions(
            group_size=group_size,
            weights=parse_weights(table, _weight_keys(group_size)),
            activations=parse_activations(table, _activation_keys()),
        )
        table.finish(["group_size", "weights", "activations"])
        if opts.weights.file is None:
            from hwgen.quant import DEFAULT_SHAPES

            bad = [s for s in DEFAULT_SHAPES if s[-1] % group_size]
            if bad:
                raise table.error(
                    "group_size",
                    f"[workload.accuracy] group_size {group_size} does not divide the synthetic"
                    f" weights' last dimension {bad[0][-1]}",
                )
        return opts

    def tools(self, options: Any) -> tuple[str, ...]:
        return ("numpy",)

    def columns(self, options: Any) -> tuple[Column, ...]:
        return (
            Column(
                "operand_rel_mse",
                "operand quantization error (rel. MSE, a + w)",
                better="lower",
                role="error",
            ),
            Column("operand_sqnr_db", "operand quantization SQNR (dB)", better="higher"),
            Column("w_rel_mse", "weight quantization rel. MSE", better="lower"),
            Column("w_sqnr_db", "weight quantization SQNR (dB)", better="higher"),
            Column("a_rel_mse", "activation quantization rel. MSE", better="lower"),
            Column("a_sqnr_db", "activation quantization SQNR (dB)", better="higher"),
            Column("w_bits_per_weight", "stored bits per weight (with scales)"),
            Column("source", "quantization workload"),
        )

    def run(
        self,
        point: Any,
        options: AccuracyOptions,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.quant import rank_formats

        a_fmt, w_fmt = point.operands
        w_table = rank_formats(_weights(options.weights, options.group_size), [w_fmt],
                               group_size=options.group_size)  # fmt: skip
        acts = _activations(options.activations)
        a_table = rank_formats({"activations": acts}, [a_fmt], group_size=acts.shape[-1])
        w_rel = float(w_table["rel_mse"].iloc[0])
        a_rel = float(a_table["rel_mse"].iloc[0])
        op_rel = w_rel + a_rel
        act = options.activations
        return {
            "operand_rel_mse": op_rel,
            "operand_sqnr_db": _sqnr_db(op_rel),
            "w_rel_mse": w_rel,
            "w_sqnr_db": _sqnr_db(w_rel),
            "a_rel_mse": a_rel,
            "a_sqnr_db": _sqnr_db(a_rel),
            "w_bits_per_weight": float(w_table["bits_per_weight"].iloc[0]),
            "source": f"hwgen quant-error: {options.weights.describe()}, groups of"
            f" {options.group_size} ({w_table['scheme'].iloc[0]}); {act.describe()} (absmax);"
            " operand error = a + w (first order)",
        }
