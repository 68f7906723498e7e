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
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwgen.errors import HwgenError
from hwgen.sweep.stages.base import Column, Stage, StageContext

__all__ = ["AccuracyOptions", "AccuracyStage", "ActivationSource", "WeightSource"]

SCALINGS = ("per-token", "per-tensor")
DEFAULT_GROUP_SIZE = 128


@dataclass(frozen=True)
class WeightSource:
    """Where the weights come from: a distribution (``dist``, ``seed``) or a file.

    ``file_sha256`` keys the cache on the file's content, not its path.
    """

    dist: str | None = "student-t"
    seed: int = 0
    file: str | None = None
    match: str | None = None
    file_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form used in cache keys (no path: moving a file keeps the cache)."""
        if self.file is not None:
            return {"file_sha256": self.file_sha256, "match": self.match}
        return {"dist": self.dist, "seed": self.seed}

    def describe(self) -> str:
        """One line for the ``source`` column."""
        if self.file is not None:
            m = f", names matching {self.match!r}" if self.match else ""
            return f"weights {Path(self.file).name} (sha256 {str(self.file_sha256)[:12]}{m})"
        return f"synthetic {self.dist} weights, seed {self.seed}"


@dataclass(frozen=True)
class ActivationSource:
    """Synthetic activations: ``tokens x channels`` from a named distribution."""

    dist: str = "gaussian"
    seed: int = 1
    tokens: int = 256
    channels: int = 1024
    scaling: str = "per-token"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "dist": self.dist,
            "seed": self.seed,
            "tokens": self.tokens,
            "channels": self.channels,
            "scaling": self.scaling,
        }


@dataclass(frozen=True)
class AccuracyOptions:
    """``[workload.accuracy]``."""

    group_size: int = DEFAULT_GROUP_SIZE
    weights: WeightSource = WeightSource()
    activations: ActivationSource = ActivationSource()

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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _parse_weights(table: Any, group_size: int) -> WeightSource:
    sub = table.table("weights")
    if sub is None:
        return WeightSource()
    has_file, has_dist = "file" in sub, "dist" in sub
    if has_file and has_dist:
        raise sub.error("file", "[workload.accuracy.weights] gives both file and dist; use one")
    if has_file:
        raw = sub.str("file")
        match = sub.str("match", None)
        sub.finish(["file", "match"])
        base = Path(table.doc.source).resolve().parent if table.doc.source else Path.cwd()
        path = (base / raw).resolve() if not Path(raw).is_absolute() else Path(raw)
        from hwgen.quant import load_tensors, select_tensors

        try:
            select_tensors(load_tensors(path), group_size=group_size, match=match)
            digest = _sha256(path)
        except (HwgenError, OSError) as exc:
            raise sub.error("file", f"[workload.accuracy.weights] {exc}") from None
        return WeightSource(dist=None, file=str(path), match=match, file_sha256=digest)
    if "match" in sub:
        raise sub.error("match", "[workload.accuracy.weights] match applies to a weights file only")
    ws = WeightSource(
        dist=sub.str("dist", "student-t", choices=_dists()), seed=sub.int("seed", 0, lo=0)
    )
    sub.finish(["dist", "seed", "file", "match"])
    return ws


def _parse_activations(table: Any) -> ActivationSource:
    sub = table.table("activations")
    if sub is None:
        return ActivationSource()
    src = ActivationSource(
        dist=sub.str("dist", "gaussian", choices=_dists()),
        seed=sub.int("seed", 1, lo=0),
        tokens=sub.int("tokens", 256, lo=1),
        channels=sub.int("channels", 1024, lo=1),
        scaling=sub.str("scaling", "per-token", choices=SCALINGS),
    )
    sub.finish(["dist", "seed", "tokens", "channels", "scaling"])
    return src


@functools.lru_cache(maxsize=4)
def _weights(ws: WeightSource, group_size: int) -> dict[str, Any]:
    from hwgen.quant import load_tensors, select_tensors, synthetic_tensors

    if ws.file is not None:
        path = Path(ws.file)
        if _sha256(path) != ws.file_sha256:
            raise HwgenError(f"weights file {path} changed while the sweep ran")
        return select_tensors(load_tensors(path), group_size=group_size, match=ws.match)
    return synthetic_tensors(ws.dist or "student-t", seed=ws.seed)


@functools.lru_cache(maxsize=4)
def _activations(src: ActivationSource) -> Any:
    from hwgen.quant import synthetic_tensors

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
            weights=_parse_weights(table, group_size),
            activations=_parse_activations(table),
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
            f" {options.group_size} ({w_table['scheme'].iloc[0]}); {act.dist} activations"
            f" {act.tokens}x{act.channels}, seed {act.seed}, {act.scaling} absmax;"
            " operand error = a + w (first order)",
        }
