"""``hwgen cost fit``: synthesize a design set, fit the block coefficients, store them.

One fit file per target (``costmodel/fast/fits/<target>.json``, package data) holds, per
metric, the term set, the non-negative coefficients, the fidelity on the held-out designs
(MAPE, max error, Spearman, overall and per family), every design point used (config,
measured values, held-out flag, prediction), the tool versions and the command that made
it, and the validation designs with their measured values and predictions; its
``fit_id`` is the SHA-256 of that content (canonical JSON), so an edited file no
longer matches its id (:func:`hwgen.costmodel.fast.model.load_fit` checks it).

Fitted metrics (FPGA designs are synthesized without DSP blocks, so LUTs count the
multipliers; the fast model answers for that mapping):

- ``asic``: ``area_um2``, ``critical_path_ns`` (reported as ``fmax_mhz``) on the embedded
  library; ``energy_pj_per_mac`` from the activity simulation (``gaussian`` operands,
  2000 MACs, 100 MHz) of the MAC designs of the sample
  (:func:`~hwgen.costmodel.fast.design_set.energy_points`; the energy bench drives MAC
  ports only);
- ``generic``: ``transistors``;
- ``ice40``: ``luts``, ``ffs``, ``preroute_critical_path_ns`` (Yosys ``sta`` before place
  and route, reported as ``preroute_fmax_mhz``);
- ``ecp5`` / ``xilinx``: ``luts``, ``ffs`` (their flows give no timing without place and
  route).

Model selection is honest (``docs/fastmodel.md``): every metric's terms are chosen from its
candidate pool by floating stepwise selection on k-fold cross-validation over the
*training* designs only (:func:`select_terms`); the chosen terms are then fitted on all
training designs, and the held-out designs are predicted once, for the stored fidelity.
Then the finished model predicts the *validation* designs, which lie outside the sample
(:func:`~hwgen.costmodel.fast.design_set.validation`, measured by the same run): no
choice of hwgen's, of the sample, the term pools or the fit, was made with them in view,
so their error (stored per metric as ``validation``) is the blind estimate of how the
model does on a design it has not seen. Coefficients minimise the *relative* squared
error (rows scaled by 1 / measured value), which is what the MAPE goal asks for, with
:func:`hwgen.costmodel.fast.nnls.nnls`.

A design whose synthesis exceeds the per-design timeout is left out and recorded in the
file's ``skipped`` list; ``--reuse FILE`` takes the measured values of an earlier fit file
of the same target and tool versions instead of synthesizing those designs again, and
:func:`refit` (``--refit FILE``) fits a file's own stored measurements again with this
version's formulas, measuring nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwgen.costmodel.cost import CostOptions, Target
from hwgen.costmodel.fast import design_set
from hwgen.costmodel.fast.blocks import term_matrix, weighted_sum
from hwgen.costmodel.fast.nnls import nnls, nnls_gram
from hwgen.costmodel.fast.params import ACTIVITY, params_frame
from hwgen.design.base import DesignConfig
from hwgen.emit.manifest import canonical_json
from hwgen.errors import HwgenError

__all__ = [
    "CV_FOLDS",
    "CV_REPEATS",
    "DEFAULT_POINTS",
    "DEFAULT_TIMEOUT_S",
    "FIT_METRICS",
    "HELD_OUT_FRACTION",
    "FitMetric",
    "cv_mape",
    "fidelity",
    "fit_target",
    "fits_dir",
    "refit",
    "run_fit",
    "select_terms",
]

DEFAULT_POINTS = 66
"""Designs of the shipped fit (``hwgen cost fit`` default)."""
HELD_OUT_FRACTION = 0.25
"""Share of each family held out of the fit to measure its error."""
SCHEMA = 2
ENERGY_ACTIVITY = ACTIVITY
"""Operand stream of the energy points."""
CV_FOLDS = 5
"""Folds of the cross-validation that selects each metric's terms."""
CV_REPEATS = 3
"""Repetitions of the k-fold split (seeds 0, 1, 2: deterministic)."""
CV_MIN_GAIN_PCT = 0.05
"""CV MAPE points each selected term must earn (the selection's size penalty)."""
DEFAULT_TIMEOUT_S = 900.0
"""Per-design synthesis timeout of a fit run; a design exceeding it is left out (recorded)."""


@dataclass(frozen=True, slots=True)
class FitMetric:
    """One fitted quantity: the report field it predicts and the term set it uses."""

    field: str
    terms: str
    kinds: tuple[str, ...] = ("mac", "array", "bitmod_pe")


FIT_METRICS: dict[Target, tuple[FitMetric, ...]] = {
    Target.ASIC: (
        FitMetric("area_um2", "logic"),
        FitMetric("critical_path_ns", "delay"),
        FitMetric("energy_pj_per_mac", "energy", kinds=("mac",)),
    ),
    Target.GENERIC: (FitMetric("transistors", "logic"),),
    Target.ICE40: (
        FitMetric("luts", "lut4"),
        FitMetric("ffs", "ff"),
        FitMetric("preroute_critical_path_ns", "delay"),
    ),
    Target.ECP5: (FitMetric("luts", "lut4"), FitMetric("ffs", "ff")),
    Target.XILINX: (FitMetric("luts", "logic"), FitMetric("ffs", "ff")),
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


def _nnls_relative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative coefficients minimising the relative squared error of ``x @ c ~ y``."""
    used = np.abs(x).sum(axis=0) > 0
    scale = np.where(used, np.abs(x).max(axis=0, initial=0.0), 1.0)
    scale[scale == 0] = 1.0
    coef = np.zeros(x.shape[1])
    if used.any():
        coef[used] = nnls((x[:, used] / scale[used]) / y[:, None], np.ones(len(y)))
    return coef / scale


def _folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    idx = np.random.default_rng(seed).permutation(n)
    return [idx[i::k] for i in range(k)]


def _relative(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows scaled by 1 / measured and columns by their largest value: ``a @ c ~ 1``."""
    scale = np.abs(x).max(axis=0, initial=0.0)
    scale[scale == 0] = 1.0
    return x / scale / y[:, None]


class _CrossValidation:
    """The k-fold splits of one metric's training rows, with each split's normal equations.

    A fit on a split's training rows only needs ``a_tr.T @ a_tr`` and ``a_tr.T @ 1``
    restricted to the chosen columns (:func:`~hwgen.costmodel.fast.nnls.nnls_gram`), so
    they are formed once per split for the whole pool.
    """

    def __init__(self, a: np.ndarray, folds: int, repeats: int) -> None:
        n = len(a)
        self.a = a
        self.splits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for r in range(repeats):
            for f in _folds(n, min(folds, n), r):
                train = np.ones(n, dtype=bool)
                train[f] = False
                at = a[train]
                self.splits.append((f, at.T @ at, at.sum(axis=0)))
        self.repeats = repeats

    def mape(self, cols: Sequence[int]) -> float:
        """Cross-validated MAPE (%) of the model with these columns."""
        idx = np.asarray(cols, dtype=np.intp)
        total = 0.0
        for f, gram, rhs in self.splits:
            c = nnls_gram(gram[np.ix_(idx, idx)], rhs[idx])
            total += float(np.abs(self.a[np.ix_(f, idx)] @ c - 1.0).sum())
        return total / (len(self.a) * self.repeats) * 100.0


def cv_mape(
    x: np.ndarray, y: np.ndarray, *, folds: int = CV_FOLDS, repeats: int = CV_REPEATS
) -> float:
    """Mean absolute % error of ``k``-fold cross-validated predictions (mean of repeats).

    Each repeat splits the rows into ``folds`` random folds (seed = repeat index), fits
    every column of ``x`` on all but one fold (relative NNLS) and predicts that fold.
    """
    return _CrossValidation(_relative(x, y), folds, repeats).mape(range(x.shape[1]))


def select_terms(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> tuple[list[str], float]:
    """Floating stepwise selection of terms by cross-validated MAPE (training rows only).

    Sequential floating forward selection with swaps: add the term whose inclusion gives
    the lowest cross-validated MAPE (:data:`CV_FOLDS` folds, :data:`CV_REPEATS` repeats);
    then, while either beats the best subset of its size found so far, drop one term or
    swap one chosen term for one left out. Adding goes on (also through additions that do
    not help) up to half as many terms as rows, so a set that only pays off two or three
    terms later is still found, which one-at-a-time forward selection cannot do. Of the
    best subset of each size, the one with the lowest ``CV MAPE + CV_MIN_GAIN_PCT x
    size`` is returned: a term has to earn :data:`CV_MIN_GAIN_PCT` points of CV MAPE.
    Terms that are zero on every row are never chosen. Deterministic (ties go to the
    lower columns). Returns the chosen names (sorted by column) and their CV MAPE.
    """
    cv = _CrossValidation(_relative(x, y), CV_FOLDS, CV_REPEATS)
    live = [j for j in range(len(names)) if np.abs(x[:, j]).sum() > 0]
    limit = max(1, len(y) // 2)
    seen: dict[tuple[int, ...], float] = {}

    def score(cols: Sequence[int]) -> float:
        key = tuple(sorted(cols))
        if key not in seen:
            seen[key] = cv.mape(key)
        return seen[key]

    best: dict[int, tuple[float, tuple[int, ...]]] = {}

    def keep(cols: Sequence[int], mape: float) -> tuple[int, ...]:
        key = tuple(sorted(cols))
        best[len(key)] = (mape, key)
        return key

    current: tuple[int, ...] = ()
    while len(current) < min(limit, len(live)):
        mape, j = min((score((*current, j)), j) for j in live if j not in current)
        size = len(current) + 1
        if size in best and best[size][0] <= mape:
            current = best[size][1]  # an earlier, better subset of this size goes on
        else:
            current = keep((*current, j), mape)
        while True:
            if len(current) > 1:
                mape, r = min((score([c for c in current if c != r]), r) for r in current)
                if mape < best[len(current) - 1][0]:
                    current = keep([c for c in current if c != r], mape)
                    continue
            swaps = [
                (score([*(c for c in current if c != r), a]), r, a)
                for r in current
                for a in live
                if a not in current
            ]
            if not swaps:
                break
            mape, r, a = min(swaps)
            if mape >= best[len(current)][0]:
                break
            current = keep([*(c for c in current if c != r), a], mape)
    if not best:
        return [], float("inf")
    size = min(best, key=lambda k: (best[k][0] + CV_MIN_GAIN_PCT * k, k))
    mape, cols = best[size]
    return [names[j] for j in cols], round(float(mape), 3)


def _fit_metric(
    frame: pd.DataFrame, values: np.ndarray, held: np.ndarray, metric: FitMetric
) -> tuple[dict[str, Any], np.ndarray]:
    x, names = term_matrix(frame, metric.terms)
    train = ~held
    if train.sum() < 2 * CV_FOLDS:
        raise HwgenError(
            f"too few training points for {metric.field}: {int(train.sum())}, at least"
            f" {2 * CV_FOLDS} are needed for the {CV_FOLDS}-fold term selection"
        )
    # Model selection sees the training rows only; the held-out rows are predicted once.
    selected, cv = select_terms(x[train], values[train], names)
    cols = [names.index(n) for n in selected]
    coef = np.zeros(len(names))
    coef[cols] = _nnls_relative(x[train][:, cols], values[train])
    pred = x @ coef
    fams: dict[str, Any] = {}
    for fam in sorted(frame["family"].unique()):
        sel = held & (frame["family"] == fam).to_numpy()
        fams[fam] = fidelity(values[sel], pred[sel])
    return {
        "terms": metric.terms,
        "kinds": list(metric.kinds),
        "coefficients": {n: float(f"{coef[names.index(n)]:.6g}") for n in selected},
        "selection": {
            "method": "floating stepwise (add, then drop or swap while better), relative"
            " NNLS, k-fold cross-validation on the training designs",
            "folds": CV_FOLDS,
            "repeats": CV_REPEATS,
            "pool": list(names),
            "cv_mape_pct": cv,
        },
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
    skipped: Sequence[dict[str, Any]] = (),
    validation: Sequence[DesignConfig] = (),
    validation_measured: Sequence[dict[str, float]] = (),
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
    skipped:
        Designs of the sample left out (``{"design", "kind", "reason"}``), stored as such.
    validation, validation_measured:
        Designs outside the sample (:func:`~hwgen.costmodel.fast.design_set.validation`)
        and their measured values: predicted by the finished fit, never used to choose or
        fit anything; their error is stored per metric as ``validation`` (overall and
        per family) and the points as the file's ``validation`` list.
    """
    if len(validation) != len(validation_measured):
        raise HwgenError(
            f"{len(validation)} validation designs but {len(validation_measured)} measurements"
        )
    tgt = Target(target)
    if tgt not in FIT_METRICS:
        raise HwgenError(f"no fitted model for target {tgt}: fit targets are {_names()}")
    frame = params_frame(configs)
    held_all = np.array(design_set.held_out(configs, list(frame["family"]), fraction))
    vframe = params_frame(validation) if len(validation) else frame.iloc[:0]
    metrics: dict[str, Any] = {}
    predictions: dict[str, np.ndarray] = {}
    vpredictions: dict[str, np.ndarray] = {}
    for m in FIT_METRICS[tgt]:
        sel = np.array([m.field in v for v in measured])
        sub = frame[sel].reset_index(drop=True)
        vals = np.array([measured[int(i)][m.field] for i in np.flatnonzero(sel)], dtype=np.float64)
        if (vals <= 0).any():
            raise HwgenError(f"a measured {m.field} is not positive; cannot fit relative error")
        # A kind with no measured point (all left out) is not covered: NaN, not a guess.
        kinds = tuple(k for k in m.kinds if (sub["kind"] == k).any())
        metrics[m.field], pred = _fit_metric(
            sub, vals, held_all[sel], FitMetric(m.field, m.terms, kinds)
        )
        full = np.full(len(frame), np.nan)
        full[sel] = pred
        predictions[m.field] = full
        if len(validation):
            checked, vpred = _validate(metrics[m.field], m.field, vframe, validation_measured)
            metrics[m.field]["validation"] = checked
            vpredictions[m.field] = vpred
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
        "skipped": [dict(x) for x in skipped],
    }
    if len(validation):
        body["validation"] = [
            {
                "design": c.name,
                "kind": c.kind,
                "family": vframe["family"][i],
                "config": c.to_dict(),
                "measured": dict(sorted(validation_measured[i].items())),
                "predicted": {
                    k: float(f"{v[i]:.6g}") for k, v in vpredictions.items() if not np.isnan(v[i])
                },
            }
            for i, c in enumerate(validation)
        ]
    return {"fit_id": fit_id_of(body), **body}


def _validate(
    metric: dict[str, Any], field: str, frame: pd.DataFrame, measured: Sequence[dict[str, float]]
) -> tuple[dict[str, Any], np.ndarray]:
    """Blind error of one finished metric fit on the validation designs, and its predictions.

    A design counts when it has the field measured and its kind is one the metric covers
    (a prediction exists); the error is given overall and per family, like ``held_out``.
    """
    names = tuple(metric["coefficients"])
    x, _ = term_matrix(frame, metric["terms"], only=names)
    pred = weighted_sum(x, np.array([metric["coefficients"][n] for n in names]))
    covered = frame["kind"].isin(metric["kinds"]).to_numpy()
    has = np.array([field in v for v in measured], dtype=bool) & covered
    pred = np.where(covered, pred, np.nan)
    vals = np.array([measured[i][field] if has[i] else np.nan for i in range(len(frame))])
    out: dict[str, Any] = {"all": fidelity(vals[has], pred[has])}
    for fam in sorted(frame["family"].unique()):
        sel = has & (frame["family"] == fam).to_numpy()
        out[fam] = fidelity(vals[sel], pred[sel])
    return out, pred


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


def _reusable(path: Path, target: Target) -> dict[str, dict[str, float]]:
    """Measured values of an earlier fit file of ``target``, by config key.

    Raises
    ------
    HwgenError
        Not a fit file of this target, or measured with other tool versions.
    """
    from hwgen.costmodel.fast.model import load_fit

    data = load_fit(target, path).data
    have, now = data["tool_versions"], _tool_versions(target)
    if have != now:
        diff = ", ".join(
            f"{k} {have.get(k, 'absent')} != {now.get(k, 'absent')}"
            for k in sorted(set(have) | set(now))
            if have.get(k) != now.get(k)
        )
        raise HwgenError(f"--reuse {path}: measured with other tool versions ({diff})")
    points = [*data["points"], *data.get("validation", [])]
    return {_config_key(p["kind"], p["config"]): p["measured"] for p in points}


def _config_key(kind: str, config: dict[str, Any]) -> str:
    return canonical_json({"kind": kind, "config": config})


def _needed(target: Target, kind: str, energy: bool) -> set[str]:
    return {
        m.field
        for m in FIT_METRICS[target]
        if kind in m.kinds and (m.field != "energy_pj_per_mac" or energy)
    }


def _run_worker(job: tuple[Any, ...], conn: Any) -> None:
    """Worker process body: measure one design, send the result or the error line."""
    import signal

    # A timeout arrives as SIGTERM: raising here unwinds through hwgen.tools.process.run,
    # which kills the tool's process group (no orphaned Yosys).
    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(3)

    signal.signal(signal.SIGTERM, _stop)
    try:
        conn.send(("ok", _measure(job)))
    except HwgenError as e:
        conn.send(("error", str(e)))
    finally:
        conn.close()


def _measure_all(
    jobs_in: Sequence[tuple[Any, ...]],
    *,
    jobs: int,
    timeout_s: float,
    done: Callable[[int, dict[str, float] | None, str], None],
) -> None:
    """Measure every job on up to ``jobs`` worker processes, each under ``timeout_s``.

    ``done(index, result, status)`` is called per job: ``status`` ``ok``, or ``timeout``
    with ``result`` None. A failing synthesis raises (after stopping the other workers).
    """
    import multiprocessing
    import time

    ctx = multiprocessing.get_context("fork")
    pending = list(range(len(jobs_in)))
    running: dict[int, tuple[Any, Any, float]] = {}

    def stop(proc: Any) -> None:
        if proc.is_alive():
            proc.terminate()
            proc.join(30)
        if proc.is_alive():
            proc.kill()
        proc.join()

    try:
        while pending or running:
            while pending and len(running) < jobs:
                i = pending.pop(0)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_run_worker, args=(jobs_in[i], send))
                proc.start()
                send.close()
                running[i] = (proc, recv, time.monotonic())
            for i, (proc, recv, t0) in list(running.items()):
                if recv.poll():
                    try:
                        status, value = recv.recv()
                    except EOFError:
                        status, value = "error", "the worker process died"
                    stop(proc)
                    del running[i]
                    if status == "error":
                        raise HwgenError(value)
                    done(i, value, "ok")
                elif not proc.is_alive():
                    del running[i]
                    raise HwgenError(f"the synthesis worker of design {i} exited")
                elif time.monotonic() - t0 > timeout_s:
                    stop(proc)
                    del running[i]
                    done(i, None, "timeout")
            time.sleep(0.05)
    finally:
        for proc, _, _ in running.values():
            stop(proc)


def _measure_target(
    tgt: Target,
    configs: Sequence[DesignConfig],
    known: dict[str, dict[str, float]],
    work: Path,
    *,
    jobs: int,
    timeout_s: float,
    progress: Callable[[str], None] | None,
) -> tuple[list[dict[str, float] | None], list[str]]:
    """Measured values per design (``None``: left out) and each design's status."""
    has_energy = any(m.field == "energy_pj_per_mac" for m in FIT_METRICS[tgt])
    energy = [e and has_energy for e in design_set.energy_points(configs)]
    measured: list[dict[str, float] | None] = [None] * len(configs)
    status = ["ok"] * len(configs)
    todo: list[int] = []
    for i, (c, e) in enumerate(zip(configs, energy, strict=True)):
        old = known.get(_config_key(c.kind, c.to_dict()))
        need = _needed(tgt, c.kind, e)
        if old is not None and need <= set(old):
            measured[i] = {k: float(old[k]) for k in sorted(need)}
        else:
            todo.append(i)
    count = [len(configs) - len(todo)]

    def run(idx: list[int], with_energy: bool) -> list[int]:
        """Measure ``idx``; return those over the timeout."""
        jobs_in = [
            (
                configs[i].to_dict(),
                configs[i].kind,
                tgt.value,
                str(work / tgt.value),
                energy[i] and with_energy,
            )
            for i in idx
        ]
        late: list[int] = []

        def done(j: int, res: dict[str, float] | None, st: str) -> None:
            i = idx[j]
            if st == "timeout":
                late.append(i)
            else:
                measured[i] = res
                if not with_energy:
                    status[i] = "no_energy"
            if st == "ok" or not (with_energy and energy[i]):
                count[0] += 1
            if progress:
                note = "" if st == "ok" else f" (over {timeout_s:g} s)"
                progress(f"{tgt.value} {count[0]}/{len(configs)} {configs[i].name}{note}")

        _measure_all(jobs_in, jobs=jobs, timeout_s=timeout_s, done=done)
        return late

    late = run(todo, True)
    # An energy simulation over the timeout: keep the design's area and timing.
    retry = [i for i in late if energy[i]]
    for i in [*[i for i in late if not energy[i]], *run(retry, False)]:
        status[i] = "timeout"
    return measured, status


def _fit_target(name: Target | str) -> Target:
    """The target ``name`` names, if the fast model fits it (else a one-line error)."""
    try:
        tgt = Target(name)
    except ValueError:
        raise HwgenError(f"fit target must be one of {_names()}, not {name!r}") from None
    if tgt not in FIT_METRICS:
        raise HwgenError(f"fit target must be one of {_names()}, not {tgt.value!r}")
    return tgt


def run_fit(
    targets: Sequence[Target | str],
    *,
    points: int = DEFAULT_POINTS,
    out: Path | None = None,
    jobs: int = 1,
    work_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    reuse: Path | None = None,
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
    timeout_s:
        Per-design limit of one measurement; a design exceeding it is left out of the fit
        and listed in the file's ``skipped``.
    reuse:
        A fit file of the (one) target whose measured values are taken for the designs it
        holds with every field this fit needs (same tool versions required); the others
        are measured.

    Raises
    ------
    HwgenError
        Unknown target, too few / too many points, ``out`` or ``reuse`` with several
        targets, a failing synthesis run, a reuse file of other tool versions.
    """
    from hwgen.tools.scratch import scratch_dir

    tgts = [_fit_target(t) for t in targets]
    if out is not None and len(tgts) != 1:
        raise HwgenError(f"--out FILE needs exactly one --target, not {len(tgts)}")
    if reuse is not None and len(tgts) != 1:
        raise HwgenError(f"--reuse FILE needs exactly one --target, not {len(tgts)}")
    if not timeout_s > 0:
        raise HwgenError(f"timeout must be > 0 s, not {timeout_s:g}")
    configs = design_set.sample(points)
    checks = design_set.validation(points)
    written: list[Path] = []
    with scratch_dir("costfit") as scratch:
        work = Path(work_dir) if work_dir is not None else Path(scratch)
        for tgt in tgts:
            known = _reusable(reuse, tgt) if reuse is not None else {}
            # The validation designs are measured with the sample, in one pool of workers.
            every, every_status = _measure_target(
                tgt,
                [*configs, *checks],
                known,
                work,
                jobs=jobs,
                timeout_s=timeout_s,
                progress=progress,
            )
            measured, status = every[: len(configs)], every_status[: len(configs)]
            vmeasured, vstatus = every[len(configs) :], every_status[len(configs) :]
            vkeep = [j for j in range(len(checks)) if vmeasured[j] is not None]
            keep = [i for i in range(len(configs)) if measured[i] is not None]
            reasons = {
                "timeout": f"measurement exceeded the {timeout_s:g} s timeout; left out",
                "no_energy": f"energy simulation exceeded the {timeout_s:g} s timeout;"
                " area and timing kept, no energy point",
            }
            skipped = [
                {"design": configs[i].name, "kind": configs[i].kind, "reason": reasons[status[i]]}
                for i in range(len(configs))
                if status[i] in reasons
            ]
            cmd = f"hwgen cost fit --target {tgt.value} --points {points}"
            if timeout_s != DEFAULT_TIMEOUT_S:
                cmd += f" --timeout {timeout_s:g}"
            skipped += [
                {
                    "design": checks[j].name,
                    "kind": checks[j].kind,
                    "reason": f"validation design: {reasons[vstatus[j]]}",
                }
                for j in range(len(checks))
                if vstatus[j] in reasons
            ]
            data = fit_target(
                tgt,
                [configs[i] for i in keep],
                [m for m in measured if m is not None],
                command=cmd,
                skipped=skipped,
                validation=[checks[j] for j in vkeep],
                validation_measured=[vmeasured[j] or {} for j in vkeep],
            )
            path = out if out is not None else fits_dir() / f"{tgt.value}.json"
            _write_json(path, data)
            written.append(path)
    return written


def refit(target: Target | str, source: Path, *, out: Path | None = None) -> Path:
    """Fit a fit file's own stored measurements again with this version's formulas.

    Nothing is measured: the designs, their measured values, the held-out split (the same
    designs give the same split), the left-out list, the tool versions and the measuring
    command are the file's; the term selection, coefficients and fidelity are recomputed.
    So a file measured with an earlier flow version (which ``reuse`` refuses to mix with
    new measurements) can follow a change of the block formulas. The result is what the
    stored command computes from the stored measurements with this version.

    Parameters
    ----------
    target:
        The file's target.
    source:
        The fit file to refit (its ``fit_id`` is checked).
    out:
        Output file; default ``fits_dir() / "<target>.json"``.

    Raises
    ------
    HwgenError
        Not a fit file of ``target``, an edited file, or too few training points.
    """
    from hwgen.costmodel.fast.model import load_fit
    from hwgen.design.families import config_from_dict

    tgt = _fit_target(target)
    data = load_fit(tgt, source).data
    configs = [config_from_dict(p["kind"], p["config"]) for p in data["points"]]
    again = fit_target(
        tgt,
        configs,
        [p["measured"] for p in data["points"]],
        fraction=data["held_out_fraction"],
        command=data["command"],
        tool_versions=data["tool_versions"],
        skipped=data["skipped"],
        validation=[config_from_dict(p["kind"], p["config"]) for p in data.get("validation", [])],
        validation_measured=[p["measured"] for p in data.get("validation", [])],
    )
    path = out if out is not None else fits_dir() / f"{tgt.value}.json"
    _write_json(path, again)
    return path


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
