"""``hwgen cost fit``: synthesize a design set, fit the block coefficients, store them.

One fit file per target (``costmodel/fast/fits/<target>.json``, package data) holds, per
metric, the term set, the non-negative coefficients, the fidelity on the held-out designs
(MAPE, max error, Spearman, overall and per family), every design point used (config,
measured values, held-out flag, prediction), the tool versions and the command that made
it; its ``fit_id`` is the SHA-256 of that content (canonical JSON), so an edited file no
longer matches its id (:func:`hwgen.costmodel.fast.model.load_fit` checks it).

Fitted metrics (FPGA designs are synthesized without DSP blocks, so LUTs count the
multipliers; the fast model answers for that mapping):

- ``asic``: ``area_um2``, ``critical_path_ns`` (reported as ``fmax_mhz``) on the embedded
  library; ``energy_pj_per_mac`` from the activity simulation (``gaussian`` operands,
  2000 MACs, 100 MHz) of the MAC designs of the sample
  (:func:`~hwgen.costmodel.fast.design_set.energy_points`; the energy bench drives MAC
  ports only);
- ``generic``: ``transistors``;
- ``ice40`` / ``xilinx``: ``luts``, ``ffs``.

Coefficients minimise the *relative* squared error (rows scaled by 1 / measured value),
which is what the MAPE goal asks for, with :func:`hwgen.costmodel.fast.nnls.nnls`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwgen.costmodel.cost import CostOptions, Target
from hwgen.costmodel.fast import design_set
from hwgen.costmodel.fast.blocks import term_matrix
from hwgen.costmodel.fast.nnls import nnls
from hwgen.costmodel.fast.params import params_frame
from hwgen.design.base import DesignConfig
from hwgen.emit.manifest import canonical_json
from hwgen.errors import HwgenError

__all__ = [
    "DEFAULT_POINTS",
    "FIT_METRICS",
    "HELD_OUT_FRACTION",
    "FitMetric",
    "fidelity",
    "fit_target",
    "fits_dir",
    "run_fit",
]

DEFAULT_POINTS = 46
"""Designs of the shipped fit (``hwgen cost fit`` default)."""
HELD_OUT_FRACTION = 0.25
"""Share of each family held out of the fit to measure its error."""
SCHEMA = 1
ENERGY_ACTIVITY = "gaussian"
"""Operand stream of the energy points."""


@dataclass(frozen=True, slots=True)
class FitMetric:
    """One fitted quantity: the report field it predicts and the term set it uses."""

    field: str
    terms: str
    kinds: tuple[str, ...] = ("mac", "array", "bitmod_pe")


FIT_METRICS: dict[Target, tuple[FitMetric, ...]] = {
    Target.ASIC: (
        FitMetric("area_um2", "area"),
        FitMetric("critical_path_ns", "delay"),
        FitMetric("energy_pj_per_mac", "energy", kinds=("mac",)),
    ),
    Target.GENERIC: (FitMetric("transistors", "area"),),
    Target.ICE40: (FitMetric("luts", "area"), FitMetric("ffs", "ff")),
    Target.XILINX: (FitMetric("luts", "area"), FitMetric("ffs", "ff")),
}
"""What is fitted per target."""


def fits_dir() -> Path:
    """The package folder of the shipped fit files."""
    return Path(__file__).with_name("fits")


def _options(target: Target, energy: bool) -> CostOptions:
    if target is Target.ASIC:
        return CostOptions(target=target, activity=ENERGY_ACTIVITY if energy else None)
    if target is Target.GENERIC:
        return CostOptions(target=target)
    return CostOptions(target=target, dsp=False)


def _measure(job: tuple[dict[str, Any], str, str, str, bool]) -> dict[str, float]:
    """Generate one design and synthesize it (a worker process; results cached)."""
    from hwgen.costmodel.cost import estimate_cost
    from hwgen.design.families import config_from_dict
    from hwgen.emit import emit

    cfg_dict, kind, target_name, work, energy = job
    config = config_from_dict(kind, cfg_dict)
    target = Target(target_name)
    ddir = Path(work) / config.name
    emit(config, ddir, force=True)
    metrics = FIT_METRICS[target]
    energy = energy and any(m.field == "energy_pj_per_mac" for m in metrics)
    report = estimate_cost(ddir, _options(target, energy))
    out: dict[str, float] = {}
    for m in metrics:
        if kind not in m.kinds or (m.field == "energy_pj_per_mac" and not energy):
            continue
        v = getattr(report, m.field)
        if v is None:
            raise HwgenError(f"synthesis of {config.name} on {target} gave no {m.field}")
        out[m.field] = float(v)
    return out


def _spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3:
        return None
    rx = pd.Series(x).rank().to_numpy()
    ry = pd.Series(y).rank().to_numpy()
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def fidelity(measured: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """MAPE (%), max absolute error (%), Spearman rank correlation and the point count."""
    err = np.abs(predicted - measured) / np.abs(measured) * 100.0
    rho = _spearman(measured, predicted)
    return {
        "mape_pct": round(float(err.mean()), 3) if len(err) else None,
        "max_error_pct": round(float(err.max()), 3) if len(err) else None,
        "spearman": None if rho is None else round(rho, 4),
        "points": len(err),
    }


def _fit_metric(
    frame: pd.DataFrame, values: np.ndarray, held: np.ndarray, metric: FitMetric
) -> tuple[dict[str, Any], np.ndarray]:
    x, names = term_matrix(frame, metric.terms)
    train = ~held
    if train.sum() < 2:
        raise HwgenError(f"too few training points for {metric.field}: {int(train.sum())}")
    used = np.abs(x[train]).sum(axis=0) > 0
    scale = np.where(used, np.abs(x[train]).max(axis=0, initial=0.0), 1.0)
    scale[scale == 0] = 1.0
    w = 1.0 / values[train]
    coef_scaled = np.zeros(len(names))
    coef_scaled[used] = nnls((x[train][:, used] / scale[used]) * w[:, None], np.ones(train.sum()))
    coef = coef_scaled / scale
    pred = x @ coef
    fams: dict[str, Any] = {}
    for fam in sorted(frame["family"].unique()):
        sel = held & (frame["family"] == fam).to_numpy()
        fams[fam] = fidelity(values[sel], pred[sel])
    return {
        "terms": metric.terms,
        "kinds": list(metric.kinds),
        "coefficients": {n: float(f"{c:.6g}") for n, c in zip(names, coef, strict=True)},
        "held_out": {"all": fidelity(values[held], pred[held]), **fams},
        "train": fidelity(values[train], pred[train]),
        "train_points": int(train.sum()),
        "held_out_points": int(held.sum()),
    }, pred


def _tool_versions(target: Target) -> dict[str, str]:
    from hwgen.costmodel.cost import _versions

    energy = any(m.field == "energy_pj_per_mac" for m in FIT_METRICS[target])
    return _versions(target, energy)


def fit_target(
    target: Target | str,
    configs: Sequence[DesignConfig],
    measured: Sequence[dict[str, float]],
    *,
    fraction: float = HELD_OUT_FRACTION,
    command: str = "",
    tool_versions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Fit every metric of ``target`` to measured points; the fit file's content.

    Parameters
    ----------
    target:
        A key of :data:`FIT_METRICS`.
    configs:
        The designs, in sample order.
    measured:
        Per design, the synthesized value of each metric of the target that applies to it.
    fraction:
        Share of each family held out of the fit.
    command:
        The command line that produced the points (stored for reproduction).
    tool_versions:
        Versions of the tools that measured the points (default: the installed ones).
    """
    tgt = Target(target)
    if tgt not in FIT_METRICS:
        raise HwgenError(f"no fitted model for target {tgt}: fit targets are {_names()}")
    frame = params_frame(configs)
    held_all = np.array(design_set.held_out(configs, list(frame["family"]), fraction))
    metrics: dict[str, Any] = {}
    predictions: dict[str, np.ndarray] = {}
    for m in FIT_METRICS[tgt]:
        sel = np.array([m.field in v for v in measured])
        sub = frame[sel].reset_index(drop=True)
        vals = np.array([measured[int(i)][m.field] for i in np.flatnonzero(sel)], dtype=np.float64)
        if (vals <= 0).any():
            raise HwgenError(f"a measured {m.field} is not positive; cannot fit relative error")
        metrics[m.field], pred = _fit_metric(sub, vals, held_all[sel], m)
        full = np.full(len(frame), np.nan)
        full[sel] = pred
        predictions[m.field] = full
    points = []
    for i, c in enumerate(configs):
        points.append(
            {
                "design": c.name,
                "kind": c.kind,
                "family": frame["family"][i],
                "config": c.to_dict(),
                "held_out": bool(held_all[i]),
                "measured": dict(sorted(measured[i].items())),
                "predicted": {
                    k: float(f"{v[i]:.6g}") for k, v in predictions.items() if not np.isnan(v[i])
                },
            }
        )
    body: dict[str, Any] = {
        "schema": SCHEMA,
        "target": tgt.value,
        "library": _library_label(tgt),
        "tool_versions": tool_versions if tool_versions is not None else _tool_versions(tgt),
        "command": command,
        "held_out_fraction": fraction,
        "metrics": metrics,
        "points": points,
    }
    return {"fit_id": fit_id_of(body), **body}


def _library_label(target: Target) -> str | None:
    if target is not Target.ASIC:
        return None
    from hwgen.costmodel.liberty import embedded_library

    return embedded_library().label


def fit_id_of(body: dict[str, Any]) -> str:
    """The fit id: first 16 hex digits of SHA-256 over the canonical JSON (without the id)."""
    content = {k: v for k, v in body.items() if k != "fit_id"}
    return hashlib.sha256(canonical_json(content).encode("ascii")).hexdigest()[:16]


def _names() -> str:
    return ", ".join(t.value for t in FIT_METRICS)


def run_fit(
    targets: Sequence[Target | str],
    *,
    points: int = DEFAULT_POINTS,
    out: Path | None = None,
    jobs: int = 1,
    work_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Synthesize ``points`` designs per target, fit, write the fit files; return their paths.

    Parameters
    ----------
    targets:
        Targets to fit (keys of :data:`FIT_METRICS`).
    points:
        Size of the :func:`hwgen.costmodel.fast.design_set.sample`.
    out:
        Output file (one target only); default ``fits_dir() / "<target>.json"``.
    jobs:
        Worker processes for the synthesis runs.
    work_dir:
        Where the design directories are generated (default: a scratch directory).
    progress:
        Called with one line per finished design.

    Raises
    ------
    HwgenError
        Unknown target, too few / too many points, ``out`` with several targets, a failing
        synthesis run.
    """
    from hwgen.tools.scratch import scratch_dir

    tgts: list[Target] = []
    for t in targets:
        try:
            tt = Target(t)
        except ValueError:
            raise HwgenError(f"fit target must be one of {_names()}, not {t!r}") from None
        if tt not in FIT_METRICS:
            raise HwgenError(f"fit target must be one of {_names()}, not {tt.value!r}")
        tgts.append(tt)
    if out is not None and len(tgts) != 1:
        raise HwgenError(f"--out FILE needs exactly one --target, not {len(tgts)}")
    configs = design_set.sample(points)
    written: list[Path] = []
    with scratch_dir("costfit") as scratch:
        work = Path(work_dir) if work_dir is not None else Path(scratch)
        for tgt in tgts:
            energy = design_set.energy_points(configs)
            jobs_in = [
                (c.to_dict(), c.kind, tgt.value, str(work / tgt.value), e)
                for c, e in zip(configs, energy, strict=True)
            ]
            measured: list[dict[str, float]] = []
            if jobs > 1:
                with ProcessPoolExecutor(max_workers=jobs) as pool:
                    for i, res in enumerate(pool.map(_measure, jobs_in)):
                        measured.append(res)
                        if progress:
                            progress(f"{tgt.value} {i + 1}/{len(configs)} {configs[i].name}")
            else:
                for i, job in enumerate(jobs_in):
                    measured.append(_measure(job))
                    if progress:
                        progress(f"{tgt.value} {i + 1}/{len(configs)} {configs[i].name}")
            cmd = f"hwgen cost fit --target {tgt.value} --points {points}"
            data = fit_target(tgt, configs, measured, command=cmd)
            path = out if out is not None else fits_dir() / f"{tgt.value}.json"
            _write_json(path, data)
            written.append(path)
    return written


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from hwgen.errors import os_errors

    with os_errors("write", path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def _ver(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
