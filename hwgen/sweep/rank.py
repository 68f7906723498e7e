"""``hwgen rank``: one row per design with its cost, workload metrics and GEMM accuracy.

:func:`rank_designs` prices every design (synthesis through :func:`hwgen.costmodel.cost.
estimate_cost`, or the fitted fast model of :mod:`hwgen.costmodel.fast`), runs a GEMM
workload on it (:func:`hwgen.costmodel.workload.workload_metrics`), scores its arithmetic
(:func:`hwgen.accuracy.evaluate_design`), marks the Pareto fronts (error vs area, error vs
energy; :func:`hwgen.sweep.pareto.pareto_mask`) and sorts the rows best first.

Ordering (best first): designs on both fronts, then on one front, then dominated ones;
within each class by ``rel_mse`` (lower first), then by the target's size metric, then by
name. Missing values sort last.

Conventions (also in ``docs/fastmodel.md``, "`hwgen rank`"):

- a single MAC or BitMoD PE runs the workload as an ``R x C`` array of copies
  (``RankOptions.array``, default 32 x 32); an array design uses its own shape;
- ``energy_pj_per_mac`` of an array is its PE's (the inner MAC's: the energy bench drives
  MAC ports only); a BitMoD PE has no energy figure (workload energy left empty);
- the clock is the design's ``fmax_mhz`` (ASIC static timing or the fitted model), or
  ``RankOptions.clock_mhz`` when given; FPGA targets without it have no time figures;
- ``throughput_per_area`` = peak MACs per cycle x clock / area, in MAC/s per um2 (ASIC)
  or per LUT / transistor for the other targets (column ``throughput_per_area_unit``);
- workload columns: time, utilisation, cycles, MACs per cycle, the energy per inference
  and its compute / SRAM / DRAM parts (storage traffic with weight scales, stated even
  without a PE energy figure), the array shape and, on ASIC, the array's area;
- stored bits per element: weights ``w_bits + 16 / group_size`` (FP16 group scales; BitMoD
  ``+ (8 + 2) / group_size``), activations and K/V cache ``a_bits``, outputs 16;
- accuracy: activations scaled as ``RankOptions.act_scaling`` names (per-token absmax by
  default), weights per group of ``group_size``; a design whose float accumulator
  overflows on the operands is ranked without an error figure (a warning, the reason in
  ``accuracy_source``) instead of stopping the ranking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwgen.design.array import ArrayConfig
from hwgen.design.base import DesignConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import AccumulatorOverflowError, HwgenError, warn

__all__ = ["ORDERING", "RANK_COLUMNS", "RankOptions", "parse_workload", "rank_designs"]

ORDERING = (
    "designs on both Pareto fronts (rel_mse vs size, rel_mse vs energy per MAC) first, then"
    " on one front, then dominated ones; within each class by rel_mse, then size, then name;"
    " missing values last"
)
"""The ranking's order, as stated in outputs."""

RANK_COLUMNS: tuple[str, ...] = (
    "rank",
    "design",
    "kind",
    "family",
    "a_format",
    "w_format",
    "area_um2",
    "transistors",
    "luts",
    "ffs",
    "energy_pj_per_mac",
    "fmax_mhz",
    "clock_mhz",
    "throughput_per_area",
    "throughput_per_area_unit",
    "workload",
    "workload_energy_uj",
    "workload_time_ms",
    "workload_utilisation",
    "workload_cycles",
    "workload_macs_per_cycle",
    "workload_compute_energy_uj",
    "workload_sram_energy_uj",
    "workload_dram_energy_uj",
    "array",
    "array_area_um2",
    "rel_mse",
    "sqnr_db",
    "pareto_area",
    "pareto_energy",
    "area_source",
    "energy_source",
    "fmax_source",
    "accuracy_source",
    "workload_source",
)
"""Columns of the ranking, in order (cost columns a target cannot give stay empty)."""

_SIZE = {"asic": "area_um2", "generic": "transistors", "ice40": "luts", "xilinx": "luts",
         "ecp5": "luts"}  # fmt: skip
_UNIT = {"asic": "MAC/s/um2", "generic": "MAC/s/transistor", "ice40": "MAC/s/LUT",
         "xilinx": "MAC/s/LUT", "ecp5": "MAC/s/LUT"}  # fmt: skip
OUT_BITS = 16
"""Bits per output element written back (FP16 / BF16 activations)."""
SCALE_BITS = 16
"""Bits of a weight group scale of a MAC design (FP16)."""


@dataclass(frozen=True, kw_only=True)
class RankOptions:
    """Options of a ranking (see ``hwgen rank --help``).

    Attributes
    ----------
    target:
        Cost target (``asic``, ``generic``, ``ice40``, ``xilinx``, ``ecp5``).
    model:
        ``synth`` (real flows, cached) or ``fitted`` (the fast model).
    workload:
        A preset name (``bert-base``, ``llama2-7b-decode:2048`` ...) or shapes
        ``MxKxN[,MxKxN...]``.
    weights:
        Weight file (``.npy``/``.npz``/``.safetensors``, a :class:`~pathlib.Path`), a
        distribution name of synthetic weights (``gaussian``, ``laplace``, ``student-t``;
        ``W[512, 128]``, seed 0) or ``None`` for synthetic Student-t.
    activations:
        Activation file (``.npy``/``.npz``, ``A[M, K]``; ``FILE.npz:NAME`` names one array
        of an ``.npz``) or a distribution name (:class:`hwgen.accuracy.ActDist`).
    act_scaling:
        How the activations are scaled before rounding to the activation format
        (:class:`hwgen.accuracy.ActScaling` value: ``per-token`` absmax by default,
        ``per-tensor``, ``per-group``, ``mx``, ``none``).
    group_size:
        Weight group size along K (MAC designs; BitMoD PEs use their own).
    array:
        ``(rows, cols)`` a single MAC / PE is replicated to for the workload.
    clock_mhz:
        Clock for time and throughput; ``None``: the design's fmax.
    """

    target: str = "asic"
    model: str = "synth"
    workload: str = "bert-base"
    weights: Path | str | None = None
    activations: str = "gaussian"
    act_scaling: str = "per-token"
    group_size: int = 128
    array: tuple[int, int] = (32, 32)
    clock_mhz: float | None = None
    tokens: int = 64
    work_dir: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model not in ("synth", "fitted"):
            raise HwgenError(f"model must be synth or fitted, not {self.model!r}")
        if self.target not in _SIZE:
            raise HwgenError(f"target must be one of {', '.join(_SIZE)}, not {self.target!r}")
        from hwgen.accuracy import ActScaling

        scalings = [v.value for v in ActScaling]
        if self.act_scaling not in scalings:
            raise HwgenError(
                f"activation scaling must be one of {', '.join(scalings)}, not {self.act_scaling!r}"
            )
        from hwgen.quant.synthetic import Dist

        dists = [d.value for d in Dist]
        if isinstance(self.weights, str) and self.weights not in dists:
            raise HwgenError(
                f"weight distribution must be one of {', '.join(dists)} (or give a weight"
                f" file), not {self.weights!r}"
            )
        if self.clock_mhz is not None and not self.clock_mhz > 0:
            raise HwgenError(f"clock must be > 0 MHz, not {self.clock_mhz:g}")
        r, c = self.array
        if r < 1 or c < 1:
            raise HwgenError(f"array must be at least 1x1, not {r}x{c}")


_SHAPE = re.compile(r"(\d+)x(\d+)x(\d+)")


def parse_workload(text: str) -> Any:
    """A preset (``NAME[:LENGTH]``) or explicit shapes ``MxKxN[,MxKxN...]``.

    Raises
    ------
    HwgenError
        Unknown preset (the known ones listed), a shape with a zero, a malformed shape.
    """
    from hwgen.costmodel.workload import GemmShape, Workload
    from hwgen.costmodel.workload_presets import workload_preset

    parts = [p.strip() for p in text.split(",")]
    if all(re.fullmatch(r"[0-9x]+", p) for p in parts):
        gemms = []
        for i, p in enumerate(parts):
            m = _SHAPE.fullmatch(p)
            if m is None:
                raise HwgenError(
                    f"workload shape {p!r} must be MxKxN (three integers), e.g. 128x768x768"
                )
            mm, kk, nn = (int(g) for g in m.groups())
            if 0 in (mm, kk, nn):
                raise HwgenError(
                    f"workload shape {p} has a zero dimension; M, K and N must be >= 1"
                )
            gemms.append(GemmShape(name=f"gemm{i}", m=mm, k=kk, n=nn))
        return Workload(name=text, gemms=tuple(gemms), source="command line")
    return workload_preset(text)


# ---------------------------------------------------------------------------- designs
def _family(config: DesignConfig) -> str:
    from hwgen.costmodel.fast.params import design_family

    return design_family(config)


def _formats(config: DesignConfig, w_format: str | None = None) -> tuple[str, str]:
    if isinstance(config, BitmodPEConfig):
        return config.act_format, w_format or _bitmod_weights(config)
    mac = config.mac if isinstance(config, ArrayConfig) else config
    assert isinstance(mac, MacConfig)
    return mac.a_format, mac.w_format


def _bitmod_weights(pe: BitmodPEConfig) -> str:
    """The weight format a PE is ranked on: the FP4 mixture, else FP3, else its widest INT."""
    from hwgen.golden.bitmod.config import WeightType

    if WeightType.FP4 in pe.weight_types:
        return "bitmod_fp4"
    if WeightType.FP3 in pe.weight_types:
        return "bitmod_fp3"
    return max(pe.weight_types, key=lambda w: w.bits).value


# ---------------------------------------------------------------------------- accuracy
def _gemm_design(config: DesignConfig, opts: RankOptions, w_format: str | None = None) -> Any:
    """The arithmetic of the sweep's gemm_accuracy stage (a BitMoD PE: both modes)."""
    from hwgen.sweep.stages.gemm_accuracy import GemmAccuracyOptions, gemm_design
    from hwgen.sweep.stages.sources import ActivationSource

    if isinstance(config, BitmodPEConfig):
        w_format = w_format or _bitmod_weights(config)
    gopts = GemmAccuracyOptions(
        group_size=opts.group_size,
        activations=ActivationSource(tokens=opts.tokens, scaling=opts.act_scaling),
    )
    return gemm_design(config, gopts, w_format)


def _accuracy_inputs(opts: RankOptions) -> tuple[dict[str, np.ndarray], Any, str]:
    from hwgen.accuracy import (
        ActDist,
        SyntheticActivations,
        load_activations,
        synthetic_weights,
        weight_matrices,
    )

    if isinstance(opts.weights, Path):
        weights = weight_matrices(opts.weights)
        wdesc = f"weights {opts.weights.name}"
    else:
        dist = opts.weights or "student-t"
        weights = {"w_512x128": synthetic_weights(dist, 512, 128, seed=0)}
        wdesc = f"synthetic {dist} W[512, 128] seed 0"
    act_values = [d.value for d in ActDist]
    if opts.activations in act_values:
        acts: Any = SyntheticActivations(dist=ActDist(opts.activations), tokens=opts.tokens, seed=1)
        adesc = f"{opts.activations} activations, {opts.tokens} tokens, seed 1"
    else:
        text, member = opts.activations, None
        head, sep, tail = text.rpartition(":")
        if sep and head.lower().endswith(".npz") and tail:
            text, member = head, tail
        path = Path(text)
        if path.suffix.lower() not in (".npy", ".npz"):
            raise HwgenError(
                f"activations must be a .npy/.npz file (FILE.npz:NAME for one of its arrays)"
                f" or one of {', '.join(act_values)}, not {opts.activations!r}"
            )
        acts = load_activations(path, name=member)
        k_need = sorted({w.shape[0] for w in weights.values()})
        if acts.ndim != 2 or acts.shape[1] not in k_need or len(k_need) != 1:
            raise HwgenError(
                f"activation file {path.name} has shape {acts.shape}; it must be A[M, K] with"
                f" K = {', '.join(map(str, k_need))} (the weights' K)"
            )
        adesc = f"activations {path.name}{f'[{member}]' if member else ''} {acts.shape}"
    return weights, acts, f"{wdesc}; {adesc}, {opts.act_scaling} scaling"


# ---------------------------------------------------------------------------- costs
@dataclass
class _Cost:
    values: dict[str, Any]
    sources: dict[str, str]


def _synth_cost(config: DesignConfig, ddir: Path | None, opts: RankOptions, work: Path) -> _Cost:
    from hwgen.costmodel.cost import CostOptions, Target, estimate_cost
    from hwgen.emit import emit

    if ddir is None:
        ddir = work / config.name
        emit(config, ddir, force=True)
    tgt = Target(opts.target)
    energy = tgt is Target.ASIC and isinstance(config, MacConfig)
    kw: dict[str, Any] = {"target": tgt}
    if energy:
        kw["activity"] = "gaussian"
    if tgt not in (Target.ASIC, Target.GENERIC):
        kw["dsp"] = False
    rep = estimate_cost(ddir, CostOptions(**kw))
    vals: dict[str, Any] = {}
    srcs: dict[str, str] = {}
    for k in ("area_um2", "transistors", "luts", "ffs", "energy_pj_per_mac", "fmax_mhz"):
        v = getattr(rep, k)
        if v is not None:
            vals[k] = v
            p = rep.sources.get(k)
            srcs[k] = f"synthesis: {p.tool}" if p is not None else "synthesis"
    if tgt is Target.ASIC and isinstance(config, ArrayConfig):
        inner = _synth_cost(config.mac, None, opts, work)
        if "energy_pj_per_mac" in inner.values:
            vals["energy_pj_per_mac"] = inner.values["energy_pj_per_mac"]
            srcs["energy_pj_per_mac"] = inner.sources["energy_pj_per_mac"] + " (its PE)"
    return _Cost(vals, srcs)


def _fitted_costs(configs: Sequence[DesignConfig], opts: RankOptions) -> tuple[list[_Cost], Any]:
    from hwgen.costmodel.fast.model import estimate_many, load_fit

    model = load_fit(opts.target)
    frame = estimate_many(configs, opts.target)
    inner = [c.mac if isinstance(c, ArrayConfig) else None for c in configs]
    inner_idx = [i for i, m in enumerate(inner) if m is not None]
    inner_frame = estimate_many([inner[i] for i in inner_idx], opts.target) if inner_idx else None
    out: list[_Cost] = []
    label = model.label
    for i in range(len(configs)):
        vals: dict[str, Any] = {}
        srcs: dict[str, str] = {}
        for k in ("area_um2", "transistors", "luts", "ffs", "energy_pj_per_mac", "fmax_mhz"):
            if k in frame and not pd.isna(frame[k].iloc[i]):
                vals[k] = float(frame[k].iloc[i])
                srcs[k] = label
        if inner_frame is not None and i in inner_idx and "energy_pj_per_mac" in inner_frame:
            v = inner_frame["energy_pj_per_mac"].iloc[inner_idx.index(i)]
            if not pd.isna(v):
                vals["energy_pj_per_mac"] = float(v)
                srcs["energy_pj_per_mac"] = label + " (its PE)"
        out.append(_Cost(vals, srcs))
    uncovered = sorted({c.kind for c, cost in zip(configs, out, strict=True) if not cost.values})
    for kind in uncovered:
        warn(
            f"the {opts.target} fit {model.fit_id} covers no {kind} design; their cost"
            " columns stay empty (use --model synth)"
        )
    return out, model


# ---------------------------------------------------------------------------- workload
def _workload_row(
    config: DesignConfig, cost: _Cost, opts: RankOptions, wl: Any, w_format: str | None
) -> dict[str, Any]:
    from hwgen.costmodel.workload import (
        ArraySpec,
        Cited,
        PeKind,
        PeSpec,
        Precision,
        workload_metrics,
    )
    from hwgen.costmodel.workload_presets import horowitz_memory

    size_field = _SIZE[opts.target]
    size = cost.values.get(size_field)
    clock = opts.clock_mhz if opts.clock_mhz is not None else cost.values.get("fmax_mhz")
    a_fmt, w_fmt = _formats(config, w_format)
    from hwgen.formats import get_format

    a_bits = get_format(a_fmt).bits
    if isinstance(config, BitmodPEConfig):
        code_bits = {"bitmod_fp4": 4, "bitmod_fp3": 3}.get(w_fmt) or get_format(w_fmt).bits
        w_bits = code_bits + (8 + 2) / config.group_size
        kind, dot, rows, cols, lanes = PeKind.BITMOD, config.dot, *opts.array, 1
        peak = config.dot / max(1, math.ceil(math.floor(w_bits) / 2))
    else:
        w_bits = get_format(w_fmt).bits + SCALE_BITS / opts.group_size
        kind, dot = PeKind.BIT_PARALLEL, 1
        if isinstance(config, ArrayConfig):
            rows, cols, lanes = config.rows, config.cols, config.rows * config.cols
        else:
            (rows, cols), lanes = opts.array, 1
        peak = float(lanes)
    row: dict[str, Any] = {"clock_mhz": clock, "workload": wl.name}
    if size is not None and clock is not None:
        row["throughput_per_area"] = peak * clock * 1e6 / size
        row["throughput_per_area_unit"] = _UNIT[opts.target]
    energy = cost.values.get("energy_pj_per_mac")
    if size is None or clock is None:
        return row
    pe_area = size / lanes
    pe = PeSpec(
        kind=kind,
        dot=dot,
        area_um2=Cited(pe_area, "um2", cost.sources.get(size_field, size_field)),
        # Without an energy figure the workload energy is not reported (only its time).
        energy_pj_per_cycle=Cited(
            (energy if energy is not None else 0.0) * dot,
            "pJ",
            cost.sources.get(
                "energy_pj_per_mac", "no energy figure (workload energy not reported)"
            ),
        ),
        name=config.name,
    )
    arr = ArraySpec(rows=rows, cols=cols, pe=pe, clock_hz=Cited(clock * 1e6, "Hz", "design fmax"))
    prec = Precision(weight_bits=w_bits, act_bits=a_bits, out_bits=OUT_BITS, kv_bits=a_bits)
    mem = horowitz_memory()
    m = workload_metrics(wl, arr, prec, mem)
    prov = dict(m.provenance)
    row["workload_source"] = (
        f"hwgen.costmodel.workload (BitMoD tiling, output stationary); workload:"
        f" {prov.get('workload', wl.source)}; SRAM {mem.sram_pj_per_bit.value:g} pJ/bit:"
        f" {prov['sram_pj_per_bit']}; DRAM {mem.dram_pj_per_bit.value:g} pJ/bit:"
        f" {prov['dram_pj_per_bit']}"
    )
    row["workload_time_ms"] = m.time_s * 1e3
    row["workload_utilisation"] = m.utilisation
    row["workload_cycles"] = m.cycles
    row["workload_macs_per_cycle"] = m.macs_per_cycle
    # Storage traffic does not depend on the PE's energy: stated even without it.
    row["workload_sram_energy_uj"] = m.sram_energy_pj * 1e-6
    row["workload_dram_energy_uj"] = m.dram_energy_pj * 1e-6
    row["array"] = m.array
    if opts.target == "asic":
        row["array_area_um2"] = m.area_um2
    if energy is not None:
        row["workload_compute_energy_uj"] = m.compute_energy_pj * 1e-6
        row["workload_energy_uj"] = m.energy_pj * 1e-6
    return row


# ---------------------------------------------------------------------------- ranking
_MIXTURE_TYPE = {"bitmod_fp4": "fp4", "bitmod_fp3": "fp3"}
"""The PE datatype behind each BitMoD mixture format (the integer formats are their own)."""


def _served(config: DesignConfig, w_format: str | None) -> str | None:
    """The weight format a BitMoD PE is ranked on (``None`` for MACs and arrays)."""
    if w_format is None:
        return None
    from hwgen.sweep.families import BITMOD_WEIGHTS

    if not isinstance(config, BitmodPEConfig):
        raise HwgenError(
            f"a weight format is given for BitMoD PEs only, not for {config.kind} {config.name}"
        )
    types = {t.value for t in config.weight_types}
    have = [w for w in BITMOD_WEIGHTS if _MIXTURE_TYPE.get(w, w) in types]
    if w_format not in have:
        raise HwgenError(
            f"{config.name} serves the weight formats {', '.join(have)}, not {w_format!r}"
        )
    return w_format


def rank_designs(
    designs: Sequence[
        tuple[DesignConfig, Path | None] | tuple[DesignConfig, Path | None, str | None]
    ],
    options: RankOptions | None = None,
) -> pd.DataFrame:
    """Rank designs, best first (module docstring: ordering and conventions).

    Parameters
    ----------
    designs:
        ``(config, design directory or None)``, or ``(config, directory, w_format)`` for a
        BitMoD PE ranked on one weight format it serves (``bitmod_fp4``, ``bitmod_fp3``,
        ``int8`` ...; default: its FP4 mixture, else FP3, else its widest INT). A
        directory is priced as generated, a ``None`` one is generated into a scratch
        directory when synthesis needs it.
    options:
        :class:`RankOptions`.

    Returns
    -------
    pandas.DataFrame
        :data:`RANK_COLUMNS`; ``attrs["model_error"]`` holds the fitted model's held-out
        error when ``model="fitted"``; ``attrs["notes"]`` one line per design whose float
        accumulator overflowed on the operands (its ``rel_mse`` / ``sqnr_db`` empty, the
        reason in ``accuracy_source``).

    Raises
    ------
    HwgenError
        No designs, a bad workload or activation file, no fit for the target, or a
        failing flow.
    """
    from hwgen.accuracy import evaluate_design
    from hwgen.sweep.pareto import pareto_mask
    from hwgen.tools.scratch import scratch_dir

    opts = options or RankOptions()
    if not designs:
        raise HwgenError("no designs to rank: give design directories or --spec FILE")
    wl = parse_workload(opts.workload)
    weights, acts, acc_desc = _accuracy_inputs(opts)
    configs = [d[0] for d in designs]
    served = [_served(d[0], d[2] if len(d) > 2 else None) for d in designs]
    model = None
    with scratch_dir("rank") as scratch:
        work = opts.work_dir or Path(scratch)
        if opts.model == "fitted":
            costs, model = _fitted_costs(configs, opts)
        else:
            costs = [_synth_cost(d[0], d[1], opts, work) for d in designs]
    acc_cache: dict[str, Any] = {}
    rows = []
    notes: list[str] = []
    for config, cost, w_served in zip(configs, costs, served, strict=True):
        gd = _gemm_design(config, opts, w_served)
        if gd.label not in acc_cache:
            try:
                acc_cache[gd.label] = evaluate_design(gd, weights, acts)
            except AccumulatorOverflowError as exc:
                # A finding about this design on these operands: it is ranked (last, no
                # error figure) with the reason in accuracy_source, the others still are.
                acc_cache[gd.label] = exc
        res = acc_cache[gd.label]
        if isinstance(res, AccumulatorOverflowError):
            notes.append(f"{config.name}: {res}")
            rel_mse, sqnr, acc_src = None, None, f"hwgen.accuracy: {gd.label}; {res}"
        else:
            rel_mse = res.rel_mse
            sqnr = None if math.isinf(res.sqnr_db) else res.sqnr_db
            acc_src = f"hwgen.accuracy: {gd.label}; {acc_desc}"
        a_fmt, w_fmt = _formats(config, w_served)
        row: dict[str, Any] = {
            "design": config.name,
            "kind": config.kind,
            "family": _family(config),
            "a_format": a_fmt,
            "w_format": w_fmt,
            **cost.values,
            "rel_mse": rel_mse,
            "sqnr_db": sqnr,
            "area_source": cost.sources.get(_SIZE[opts.target]),
            "energy_source": cost.sources.get("energy_pj_per_mac"),
            "fmax_source": cost.sources.get("fmax_mhz"),
            "accuracy_source": acc_src,
        }
        row.update(_workload_row(config, cost, opts, wl, w_served))
        rows.append(row)
    frame = pd.DataFrame(rows).reindex(columns=[c for c in RANK_COLUMNS if c != "rank"])
    err = frame["rel_mse"].to_numpy(dtype=np.float64)
    for flag, col in (("pareto_area", _SIZE[opts.target]), ("pareto_energy", "energy_pj_per_mac")):
        cost_v = frame[col].to_numpy(dtype=np.float64)
        ok = np.isfinite(cost_v) & np.isfinite(err)
        mask = np.zeros(len(frame), dtype=bool)
        if ok.any():
            mask[ok] = pareto_mask(cost_v[ok], err[ok])
        frame[flag] = mask
    fronts = frame["pareto_area"].astype(int) + frame["pareto_energy"].astype(int)
    frame["_fronts"] = -fronts
    frame = frame.sort_values(
        ["_fronts", "rel_mse", _SIZE[opts.target], "design"], na_position="last", kind="stable"
    ).drop(columns="_fronts")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame = frame.reset_index(drop=True)
    frame.attrs["notes"] = notes
    for note in notes:
        warn(f"{note}; ranked without an error figure")
    if model is not None:
        frame.attrs["model_error"] = model.model_error()
        frame.attrs["fit_id"] = model.fit_id
        frame.attrs["model"] = model.label
    return frame
