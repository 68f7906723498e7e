"""Stage ``gemm_accuracy``: the error of a GEMM computed the way the design computes it.

Where the ``accuracy`` stage scores the two operand formats alone, this stage runs
:func:`hwgen.accuracy.evaluate_design` on a :class:`~hwgen.accuracy.GemmDesign` built from
the point's MAC configuration (an array's inner MAC for the ``array`` family):

* activations quantized with ``a_format`` (scaling from the workload: per-token absmax by
  default), weights with ``w_format`` in groups of ``group_size`` along K (absmax; BitMoD
  mixtures with their own selection), as the design stores them;
* products from the config's multiplier (exact or L-Mul), i.e. the golden model's;
* the accumulator the design builds: ``overflow = "exact"`` is
  :class:`~hwgen.accuracy.ExactAccumulator` (the hardware holds ``max_terms`` products
  exactly; longer K is tiled and the exact partial sums add exactly), ``wrap`` /
  ``saturate`` is :meth:`FixedPointAccumulator.from_spec(config.accumulator, overflow)
  <hwgen.accuracy.FixedPointAccumulator.from_spec>`, bit for bit over the whole K.

The columns are ``rel_mse`` (mean over the weight matrices of ``||Y - Y_ref||^2 /
||Y_ref||^2`` against the float64 GEMM), ``sqnr_db`` (empty when the GEMM is exact) and
``source`` (the design's arithmetic label and the workload), unprefixed; the Pareto fronts prefer
``rel_mse`` over the operand error (:mod:`hwgen.sweep.pareto`). A MAC with an
``out_format`` (the accumulator rounded to a float output) is not modelled by
:mod:`hwgen.accuracy`: such a point fails this stage with that reason, rather than get a
figure that ignores the rounding.

Spec table: ``[workload.gemm_accuracy]``::

    group_size = 128                  # weights, along K; or "channel"
    weights = { dist = "student-t", seed = 0, k = 1024, n = 256 }
                                      # or { file = "w.safetensors", match = "proj",
                                      #      layout = "out-in" }
    activations = { dist = "gaussian", seed = 1, tokens = 128, scaling = "per-token" }
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hwgen.errors import HwgenError
from hwgen.sweep.stages.base import Column, Stage, StageContext

__all__ = ["GemmAccuracyOptions", "GemmAccuracyStage", "GemmActivations", "GemmWeights"]

DEFAULT_GROUP_SIZE = 128
DEFAULT_K = 1024
DEFAULT_N = 256
DEFAULT_TOKENS = 128


def _values(name: str) -> tuple[str, ...]:
    """The values of an option enum (owned by :mod:`hwgen.accuracy` / :mod:`hwgen.quant`)."""
    from hwgen.accuracy import ActDist, ActScaling, WeightLayout
    from hwgen.quant import Dist

    enums = {
        "ActDist": ActDist,
        "ActScaling": ActScaling,
        "Dist": Dist,
        "WeightLayout": WeightLayout,
    }
    return tuple(m.value for m in enums[name])


@dataclass(frozen=True)
class GemmWeights:
    """Weights: one synthetic ``W[k, n]`` (``dist``, ``seed``) or a file's 2-D matrices.

    ``file_sha256`` keys the cache on the file's content, not its path.
    """

    dist: str | None = "student-t"
    seed: int = 0
    k: int = DEFAULT_K
    n: int = DEFAULT_N
    file: str | None = None
    match: str | None = None
    layout: str = "out-in"
    file_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form used in cache keys (no path: moving a file keeps the cache)."""
        if self.file is not None:
            return {"file_sha256": self.file_sha256, "match": self.match, "layout": self.layout}
        return {"dist": self.dist, "seed": self.seed, "k": self.k, "n": self.n}

    def describe(self) -> str:
        """One line for the ``source`` column."""
        if self.file is not None:
            m = f", names matching {self.match!r}" if self.match else ""
            return f"weights {Path(self.file).name} (sha256 {str(self.file_sha256)[:12]}{m})"
        return f"synthetic {self.dist} W[{self.k}, {self.n}], seed {self.seed}"


@dataclass(frozen=True)
class GemmActivations:
    """Synthetic activations ``A[tokens, K]`` and how the design scales them."""

    dist: str = "gaussian"
    seed: int = 1
    tokens: int = DEFAULT_TOKENS
    scaling: str = "per-token"
    group_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "dist": self.dist,
            "seed": self.seed,
            "tokens": self.tokens,
            "scaling": self.scaling,
            "group_size": self.group_size,
        }


@dataclass(frozen=True)
class GemmAccuracyOptions:
    """``[workload.gemm_accuracy]``."""

    group_size: int | Literal["channel"] = DEFAULT_GROUP_SIZE
    weights: GemmWeights = GemmWeights()
    activations: GemmActivations = GemmActivations()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "group_size": self.group_size,
            "weights": self.weights.to_dict(),
            "activations": self.activations.to_dict(),
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _parse_group_size(table: Any) -> int | Literal["channel"]:
    value = table.raw("group_size", DEFAULT_GROUP_SIZE)
    if value == "channel":
        return "channel"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise table.error(
            "group_size",
            f'{table.name} group_size must be an integer >= 1 or "channel", not {value!r}',
        )
    return value


def _parse_weights(table: Any, group_size: int | Literal["channel"]) -> GemmWeights:
    sub = table.table("weights")
    if sub is None:
        ws = GemmWeights()
    elif "file" in sub and "dist" in sub:
        raise sub.error("file", f"{sub.name} gives both file and dist; use one")
    elif "file" in sub:
        raw = sub.str("file")
        match = sub.str("match", None)
        layout = sub.str("layout", "out-in", choices=_values("WeightLayout"))
        sub.finish(["file", "match", "layout"])
        base = Path(table.doc.source).resolve().parent if table.doc.source else Path.cwd()
        path = Path(raw) if Path(raw).is_absolute() else (base / raw).resolve()
        from hwgen.accuracy import weight_matrices

        try:
            mats = weight_matrices(path, match=match, layout=layout)
            digest = _sha256(path)
        except (HwgenError, OSError) as exc:
            raise sub.error("file", f"{sub.name} {exc}") from None
        if isinstance(group_size, int):
            for name, w in mats.items():
                if w.shape[0] % group_size:
                    raise sub.error(
                        "file",
                        f"{sub.name} weight {name!r} has K = {w.shape[0]}, which group_size"
                        f" {group_size} does not divide",
                    )
        return GemmWeights(dist=None, file=str(path), match=match, layout=layout,
                           file_sha256=digest)  # fmt: skip
    else:
        for key in ("match", "layout"):
            if key in sub:
                raise sub.error(key, f"{sub.name} {key} applies to a weights file only")
        ws = GemmWeights(
            dist=sub.str("dist", "student-t", choices=_values("Dist")),
            seed=sub.int("seed", 0, lo=0),
            k=sub.int("k", DEFAULT_K, lo=1),
            n=sub.int("n", DEFAULT_N, lo=1),
        )
        sub.finish(["dist", "seed", "k", "n", "file", "match", "layout"])
    if isinstance(group_size, int) and ws.k % group_size:
        where = sub if sub is not None else table
        raise where.error(
            "k" if sub is not None and "k" in sub else None,
            f"{table.name} group_size {group_size} does not divide the weights' K = {ws.k}",
        )
    return ws


def _parse_activations(table: Any) -> GemmActivations:
    sub = table.table("activations")
    if sub is None:
        return GemmActivations()
    scaling = sub.str("scaling", "per-token", choices=_values("ActScaling"))
    group = sub.int("group_size", None, lo=1)
    if group is not None and scaling not in ("per-group", "mx"):
        raise sub.error(
            "group_size", f"{sub.name} group_size applies to per-group and mx scaling only"
        )
    src = GemmActivations(
        dist=sub.str("dist", "gaussian", choices=_values("ActDist")),
        seed=sub.int("seed", 1, lo=0),
        tokens=sub.int("tokens", DEFAULT_TOKENS, lo=1),
        scaling=scaling,
        group_size=group,
    )
    sub.finish(["dist", "seed", "tokens", "scaling", "group_size"])
    return src


@functools.lru_cache(maxsize=4)
def _weights(ws: GemmWeights) -> dict[str, Any]:
    from hwgen.accuracy import WeightLayout, synthetic_weights, weight_matrices

    if ws.file is not None:
        path = Path(ws.file)
        if _sha256(path) != ws.file_sha256:
            raise HwgenError(f"weights file {path} changed while the sweep ran")
        return weight_matrices(path, match=ws.match, layout=WeightLayout(ws.layout))
    assert ws.dist is not None
    return {f"w_{ws.k}x{ws.n}": synthetic_weights(ws.dist, ws.k, ws.n, seed=ws.seed)}


def gemm_design(config: Any, options: GemmAccuracyOptions, w_format: str | None = None) -> Any:
    """The :class:`~hwgen.accuracy.GemmDesign` of a MAC, array or BitMoD PE config.

    A BitMoD PE in ``exact`` mode computes every group's ``sum(a * w) * scale`` exactly
    (``docs/bitmod.md``): its GEMM is the exact GEMM of its activation format and of the
    weight format it serves (``w_format``, a mixture or datatype) in groups of the PE's
    ``group_size``. Its ``narrow`` mode truncates and is not modelled (refused).

    Raises
    ------
    HwgenError
        The config has an ``out_format`` (not modelled), or the workload does not fit the
        formats (e.g. MX scaling of a non-MX format).
    """
    from hwgen.accuracy import (
        ActivationQuant,
        ActScaling,
        ExactAccumulator,
        FixedPointAccumulator,
        GemmDesign,
        WeightQuant,
    )
    from hwgen.golden import Overflow

    if getattr(config, "kind", None) == "bitmod_pe":
        return _bitmod_design(config, options, w_format)
    mac = getattr(config, "mac", config)
    if getattr(mac, "acc_format", None) is not None:
        raise HwgenError(
            f"gemm_accuracy does not model a float accumulator (acc_format {mac.acc_format});"
            " leave gemm_accuracy out of [stages] run for such designs"
        )
    if not hasattr(mac, "out_format"):
        raise HwgenError(
            f"gemm_accuracy models MAC arithmetic (MAC and array designs), not {config.kind}"
        )
    if mac.out_format is not None:
        raise HwgenError(
            f"gemm_accuracy does not model the float output conversion (out_format"
            f" {mac.out_format}); leave gemm_accuracy out of [stages] run for such designs"
        )
    if mac.overflow is Overflow.EXACT:
        acc: Any = ExactAccumulator()
    else:
        acc = FixedPointAccumulator.from_spec(mac.accumulator, mac.overflow)
    act = options.activations
    return GemmDesign(
        activations=ActivationQuant(
            format=mac.a_format, scaling=ActScaling(act.scaling), group_size=act.group_size
        ),
        weights=WeightQuant(format=mac.w_format, group_size=options.group_size),
        multiplier=mac.multiplier,
        accumulator=acc,
    )


def _bitmod_design(config: Any, options: GemmAccuracyOptions, w_format: str | None) -> Any:
    from hwgen.accuracy import (
        ActivationQuant,
        ActScaling,
        ExactAccumulator,
        GemmDesign,
        WeightQuant,
    )
    from hwgen.golden import Multiplier
    from hwgen.golden.bitmod.config import PEMode

    if config.mode is not PEMode.EXACT:
        raise HwgenError(
            f"gemm_accuracy models the BitMoD PE's exact mode only, not mode {config.mode}"
            " (its truncation steps are not modelled)"
        )
    if w_format is None:
        raise HwgenError("gemm_accuracy of a BitMoD PE needs the weight format it serves")
    act = options.activations
    return GemmDesign(
        activations=ActivationQuant(
            format=config.act_format, scaling=ActScaling(act.scaling), group_size=act.group_size
        ),
        weights=WeightQuant(format=w_format, group_size=config.group_size),
        multiplier=Multiplier.EXACT,
        accumulator=ExactAccumulator(),
    )


class GemmAccuracyStage(Stage):
    """Error of the design's GEMM against the float64 reference."""

    name = "gemm_accuracy"
    summary = "GEMM error of the design's arithmetic (quantized operands, multiplier, accumulator)"
    config_keys = (
        "a_format",
        "w_format",
        "max_terms",
        "acc_bits",
        "overflow",
        "multiplier",
        "out_format",
        "acc_format",
        "act_format",
        "group_size",
        "mode",
    )
    code = ("hwgen.accuracy", "hwgen.quant", "hwgen.formats", "hwgen.golden", "hwgen.design")
    prefix = ""

    @property
    def table(self) -> tuple[str, ...]:
        return ("workload", "gemm_accuracy")

    def parse(self, table: Any) -> GemmAccuracyOptions:
        if table is None:
            return GemmAccuracyOptions()
        group_size = _parse_group_size(table)
        opts = GemmAccuracyOptions(
            group_size=group_size,
            weights=_parse_weights(table, group_size),
            activations=_parse_activations(table),
        )
        table.finish(["group_size", "weights", "activations"])
        return opts

    def tools(self, options: Any) -> tuple[str, ...]:
        return ("numpy",)

    def columns(self, options: Any) -> tuple[Column, ...]:
        return (
            Column("rel_mse", "GEMM error (rel. MSE vs float64)", better="lower", role="error"),
            Column("sqnr_db", "GEMM SQNR (dB)", better="higher"),
            Column("source", "GEMM accuracy: arithmetic and workload"),
        )

    def run(
        self,
        point: Any,
        options: GemmAccuracyOptions,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.accuracy import ActDist, SyntheticActivations, evaluate_design

        design = gemm_design(point.build(), options, point.operands[1])
        act = options.activations
        acts = SyntheticActivations(dist=ActDist(act.dist), tokens=act.tokens, seed=act.seed)
        res = evaluate_design(design, _weights(options.weights), acts)
        sqnr = res.sqnr_db
        return {
            "rel_mse": res.rel_mse,
            "sqnr_db": sqnr if sqnr != float("inf") else None,
            "source": f"hwgen.accuracy: {design.label}; {options.weights.describe()};"
            f" {act.dist} activations, {act.tokens} tokens, seed {act.seed}",
        }
