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
  <hwgen.accuracy.FixedPointAccumulator.from_spec>`, bit for bit over the whole K; a
  float accumulator (``acc_format``) is :class:`~hwgen.accuracy.FloatAccumulator` of the
  config's ``float_acc`` (format, fused / unfused, subnormals), the golden model stepped
  over K in the MAC's order (an array's PEs accumulate in the same order);
* a BitMoD PE: ``exact`` mode is the exact GEMM of its formats; ``narrow`` mode is
  :class:`~hwgen.accuracy.BitmodNarrowGemm`, the bit-exact golden PE with the weights of
  its SRAM image (:func:`hwgen.golden.bitmod.quantize_weights`).

The columns are ``rel_mse`` (mean over the weight matrices of ``||Y - Y_ref||^2 /
||Y_ref||^2`` against the float64 GEMM), ``sqnr_db`` (empty when the GEMM is exact) and
``source`` (the design's arithmetic label and the workload), unprefixed; the Pareto fronts prefer
``rel_mse`` over the operand error (:mod:`hwgen.sweep.pareto`). A MAC with an
``out_format`` (the accumulator rounded to a float output) is not modelled by
:mod:`hwgen.accuracy`: such a point fails this stage with that reason, rather than get a
figure that ignores the rounding; so does a float accumulator that overflows to inf/NaN
on the workload (the message counts the outputs).

Spec table: ``[workload.gemm_accuracy]``::

    group_size = 128                  # weights, along K; or "channel"
    weights = { dist = "student-t", seed = 0, k = 1024, n = 256 }
                                      # or { file = "w.safetensors", match = "proj",
                                      #      layout = "out-in" }
    activations = { dist = "gaussian", seed = 1, tokens = 128, scaling = "per-token" }
                                      # or { file = "acts.npz", name = "x" } (A[M, K])
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hwgen.errors import HwgenError
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

__all__ = ["GemmAccuracyOptions", "GemmAccuracyStage", "gemm_design"]

DEFAULT_GROUP_SIZE = 128
DEFAULT_K = 1024
DEFAULT_N = 256
DEFAULT_TOKENS = 128
DEFAULT_WEIGHTS = WeightSource(k=DEFAULT_K, n=DEFAULT_N, layout="out-in")
DEFAULT_ACTIVATIONS = ActivationSource(tokens=DEFAULT_TOKENS)


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
class GemmAccuracyOptions:
    """``[workload.gemm_accuracy]``."""

    group_size: int | Literal["channel"] = DEFAULT_GROUP_SIZE
    weights: WeightSource = DEFAULT_WEIGHTS
    activations: ActivationSource = DEFAULT_ACTIVATIONS

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "group_size": self.group_size,
            "weights": self.weights.to_dict(),
            "activations": self.activations.to_dict(),
        }


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


def _weight_keys(group_size: int | Literal["channel"]) -> WeightKeys:
    def check(path: Path, match: str | None, layout: str | None) -> None:
        from hwgen.accuracy import WeightLayout, weight_matrices

        mats = weight_matrices(path, match=match, layout=WeightLayout(layout or "out-in"))
        if isinstance(group_size, int):
            for name, w in mats.items():
                if w.shape[0] % group_size:
                    raise HwgenError(
                        f"weight {name!r} has K = {w.shape[0]}, which group_size"
                        f" {group_size} does not divide"
                    )

    return WeightKeys(
        defaults=DEFAULT_WEIGHTS,
        dists=_values("Dist"),
        shape=True,
        layouts=_values("WeightLayout"),
        check=check,
    )


def _activation_keys() -> ActivationKeys:
    def check(path: Path, name: str | None) -> None:
        from hwgen.accuracy import load_activations

        load_activations(path, name=name)

    return ActivationKeys(
        defaults=DEFAULT_ACTIVATIONS,
        dists=_values("ActDist"),
        scalings=_values("ActScaling"),
        group_scalings=("per-group", "mx"),
        check=check,
    )


@functools.lru_cache(maxsize=4)
def _weights(ws: WeightSource) -> dict[str, Any]:
    from hwgen.accuracy import WeightLayout, synthetic_weights, weight_matrices

    if ws.file is not None:
        path = Path(ws.file)
        check_unchanged(path, ws.file_sha256)
        return weight_matrices(path, match=ws.match, layout=WeightLayout(ws.layout or "out-in"))
    assert ws.dist is not None and ws.k is not None and ws.n is not None
    return {f"w_{ws.k}x{ws.n}": synthetic_weights(ws.dist, ws.k, ws.n, seed=ws.seed)}


@functools.lru_cache(maxsize=2)
def _activation_file(src: ActivationSource) -> Any:
    from hwgen.accuracy import load_activations

    assert src.file is not None
    path = Path(src.file)
    check_unchanged(path, src.file_sha256)
    return load_activations(path, name=src.name)


def _activations(src: ActivationSource) -> Any:
    """A loaded ``A[M, K]`` or the :class:`~hwgen.accuracy.SyntheticActivations`."""
    from hwgen.accuracy import ActDist, SyntheticActivations

    if src.file is not None:
        return _activation_file(src)
    return SyntheticActivations(dist=ActDist(str(src.dist)), tokens=src.tokens, seed=src.seed)


def gemm_design(config: Any, options: GemmAccuracyOptions, w_format: str | None = None) -> Any:
    """How a MAC, array or BitMoD PE config computes the workload's GEMM.

    MACs and arrays: a :class:`~hwgen.accuracy.GemmDesign` with the config's formats,
    multiplier and accumulator (fixed point, or :class:`~hwgen.accuracy.FloatAccumulator`).
    A BitMoD PE in ``exact`` mode computes every group's ``sum(a * w) * scale`` exactly
    (``docs/bitmod.md``): its GEMM is the exact GEMM of its activation format and of the
    weight format it serves (``w_format``, a mixture or datatype) in groups of the PE's
    ``group_size``. In ``narrow`` mode it is a :class:`~hwgen.accuracy.BitmodNarrowGemm`
    (the golden PE model, truncations included).

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
        FloatAccumulator,
        GemmDesign,
        WeightQuant,
    )
    from hwgen.golden import Overflow

    if getattr(config, "kind", None) == "bitmod_pe":
        return _bitmod_design(config, options, w_format)
    mac = getattr(config, "mac", config)
    if not hasattr(mac, "out_format"):
        raise HwgenError(
            f"gemm_accuracy models MAC arithmetic (MAC and array designs), not {config.kind}"
        )
    if mac.out_format is not None:
        raise HwgenError(
            f"gemm_accuracy does not model the float output conversion (out_format"
            f" {mac.out_format}); leave gemm_accuracy out of [stages] run for such designs"
        )
    if mac.float_acc is not None:
        acc: Any = FloatAccumulator(mac.float_acc)
    elif mac.overflow is Overflow.EXACT:
        acc = ExactAccumulator()
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
        BitmodNarrowGemm,
        ExactAccumulator,
        GemmDesign,
        WeightQuant,
    )
    from hwgen.golden import Multiplier
    from hwgen.golden.bitmod.config import PEMode

    if w_format is None:
        raise HwgenError("gemm_accuracy of a BitMoD PE needs the weight format it serves")
    act = options.activations
    if config.mode is not PEMode.EXACT:
        return BitmodNarrowGemm(
            pe=config,
            weight_format=w_format,
            activations=ActivationQuant(
                format=config.act_format,
                scaling=ActScaling(act.scaling),
                group_size=act.group_size,
            ),
        )
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
        "acc_lsb",
        "acc_format",
        "acc_rounding",
        "acc_subnormals",
        "act_format",
        "group_size",
        "mode",
        "dot",
        "special_values",
        "lane_extra_bits",
        "acc_man_bits",
        "dequant_man_bits",
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
        weights = parse_weights(table, _weight_keys(group_size))
        k = weights.k
        if weights.file is None and isinstance(group_size, int) and k and k % group_size:
            sub = table.table("weights")
            raise (sub or table).error(
                "k" if sub is not None and "k" in sub else None,
                f"{table.name} group_size {group_size} does not divide the weights' K ="
                f" {weights.k}",
            )
        acts = parse_activations(table, _activation_keys())
        if acts.file is not None:
            _check_activation_k(table, acts, weights)
        table.finish(["group_size", "weights", "activations"])
        return GemmAccuracyOptions(group_size=group_size, weights=weights, activations=acts)

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
        from hwgen.accuracy import evaluate_design

        design = gemm_design(point.build(), options, point.operands[1])
        res = evaluate_design(design, _weights(options.weights), _activations(options.activations))
        sqnr = res.sqnr_db
        return {
            "rel_mse": res.rel_mse,
            "sqnr_db": sqnr if sqnr != float("inf") else None,
            "source": f"hwgen.accuracy: {design.label}; {options.weights.describe()};"
            f" {options.activations.describe()}",
        }


def _check_activation_k(table: Any, acts: ActivationSource, weights: WeightSource) -> None:
    """An activation file's K must be every weight matrix's K (named at the file key)."""
    a = _activation_file(acts)
    ks = (
        {f"weight {name!r}": w.shape[0] for name, w in _weights(weights).items()}
        if weights.file is not None
        else {"the synthetic weights": weights.k}
    )
    for name, k in ks.items():
        if a.shape[1] != k:
            sub = table.table("activations")
            raise sub.error(
                "file",
                f"{sub.name} activations {Path(str(acts.file)).name} have K = {a.shape[1]}"
                f" (shape {a.shape}) but {name} {'have' if name.startswith('the ') else 'has'}"
                f" K = {k}",
            )
