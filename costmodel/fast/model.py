"""The fitted fast cost model: load a fit file, predict many designs at once.

:func:`load_fit` reads a fit file (:mod:`hwgen.costmodel.fast.fit`) and checks its
``fit_id`` against its content; :meth:`FittedModel.predict` evaluates the block formulas
on a frame of derived parameters in a handful of numpy operations (no per-design Python);
:func:`estimate_many` does it for configs (the sweep runner's fast-model-only path);
:func:`estimate_fitted` answers ``hwgen cost DIR --model fitted`` as a
:class:`~hwgen.costmodel.result.CostReport` with the model's held-out error attached.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hwgen import __version__
from hwgen.costmodel.cost import Target
from hwgen.costmodel.fast.blocks import term_matrix, weighted_sum
from hwgen.costmodel.fast.fit import ENERGY_ACTIVITY, FIT_METRICS, fit_id_of, fits_dir
from hwgen.costmodel.fast.params import params_frame
from hwgen.costmodel.result import CostReport, Provenance
from hwgen.design.base import DesignConfig
from hwgen.errors import HwgenError

__all__ = [
    "AREA_FIELD",
    "FittedModel",
    "estimate_fitted",
    "estimate_many",
    "fitted_targets",
    "load_fit",
]

AREA_FIELD: dict[Target, str] = {
    Target.ASIC: "area_um2",
    Target.GENERIC: "transistors",
    Target.ICE40: "luts",
    Target.ECP5: "luts",
    Target.XILINX: "luts",
}
"""The size metric of each target (``model_error.area_mape_pct`` refers to it)."""

_INT_FIELDS = ("transistors", "luts", "ffs")
_FMAX_OF = {"critical_path_ns": "fmax_mhz", "preroute_critical_path_ns": "preroute_fmax_mhz"}
"""Fitted critical-path fields and the frequency field each also gives (1000 / ns)."""


@dataclass(frozen=True, slots=True)
class FittedModel:
    """One target's fitted coefficients and their held-out fidelity (a loaded fit file)."""

    target: Target
    fit_id: str
    data: Mapping[str, Any]

    @property
    def label(self) -> str:
        """``fitted block model <fit_id>`` (the ``source`` of its numbers)."""
        return f"hwgen fitted block model {self.fit_id}"

    @property
    def fields(self) -> tuple[str, ...]:
        """Report fields it predicts (a critical path also gives its ``*fmax_mhz``)."""
        out = list(self.data["metrics"])
        out += [f for p, f in _FMAX_OF.items() if p in out]
        return tuple(out)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Predicted metrics for every row of a derived-parameter frame.

        Parameters
        ----------
        frame:
            :func:`hwgen.costmodel.fast.params.params_frame` output (or any frame with its
            numeric columns, e.g. built directly from arrays).

        Returns
        -------
        pandas.DataFrame
            One column per fitted field (NaN where a metric does not cover the row's kind,
            e.g. energy of a BitMoD PE); same index as ``frame``.
        """
        out: dict[str, np.ndarray] = {}
        cache: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
        kind_cols = {"mac": "is_mac", "array": "is_array", "bitmod_pe": "is_bitmod"}
        for field, m in self.data["metrics"].items():
            # Only the selected terms are evaluated (the rest of the pool has no coefficient).
            key = m["terms"] + "\0" + "\0".join(m["coefficients"])
            if key not in cache:
                x, names = term_matrix(frame, m["terms"], only=tuple(m["coefficients"]))
                # Column-major, so that the term-by-term sum below reads contiguous columns.
                cache[key] = (np.asfortranarray(x), names)
            x, names = cache[key]
            coef = np.array([m["coefficients"][n] for n in names])
            pred = weighted_sum(x, coef)
            covered = sum(frame[kind_cols[k]].to_numpy() for k in m["kinds"])
            pred = np.where(covered > 0, pred, np.nan)
            out[field] = pred
        for path, fmax in _FMAX_OF.items():
            if path in out:
                out[fmax] = 1000.0 / out[path]
        return pd.DataFrame(out, index=frame.index)

    def error(self, field: str, family: str | None = None) -> Mapping[str, Any] | None:
        """Held-out fidelity of one field (overall, or of one family when it has points)."""
        return self._fidelity("held_out", field, family)

    def validation(self, field: str, family: str | None = None) -> Mapping[str, Any] | None:
        """Blind error of one field on the validation designs (``None``: the file has none).

        Overall, or of one family when it has validation points; see
        :func:`hwgen.costmodel.fast.design_set.validation`.
        """
        return self._fidelity("validation", field, family)

    def _fidelity(self, kind: str, field: str, family: str | None) -> Mapping[str, Any] | None:
        """One of a metric's fidelity records (``held_out`` / ``validation``), if present.

        A ``*fmax_mhz`` field reads its critical-path metric; a family without points of
        its own falls back to the overall figure.
        """
        path_of = {f: p for p, f in _FMAX_OF.items()}
        m = self.data["metrics"].get(path_of.get(field, field))
        if m is None or kind not in m:
            return None
        if family is not None and m[kind].get(family, {}).get("points"):
            return m[kind][family]
        return m[kind]["all"]

    def model_error(self) -> dict[str, Any]:
        """``{area_mape_pct, energy_mape_pct, spearman, held_out_points}`` of this fit.

        With validation designs in the file (:meth:`validation`) also
        ``validation_area_mape_pct``, ``validation_energy_mape_pct`` and
        ``validation_points``: the same figures on designs outside the fit sample.
        """
        area = self.error(AREA_FIELD[self.target]) or {}
        energy = self.error("energy_pj_per_mac") or {}
        out: dict[str, Any] = {
            "area_mape_pct": area.get("mape_pct"),
            "energy_mape_pct": energy.get("mape_pct"),
            "spearman": area.get("spearman"),
            "held_out_points": area.get("points", 0),
        }
        varea = self.validation(AREA_FIELD[self.target])
        if varea is not None and varea.get("points"):
            venergy = self.validation("energy_pj_per_mac") or {}
            out["validation_area_mape_pct"] = varea.get("mape_pct")
            out["validation_energy_mape_pct"] = venergy.get("mape_pct")
            out["validation_points"] = varea.get("points")
        return out

    def provenance(self, field: str) -> Provenance:
        """Provenance of one predicted field."""
        err = self.error(field)
        if err is None:  # a condition of the fit (activity, clock), not a prediction
            return Provenance(
                flow=f"fitted block model (hwgen.costmodel.fast), fit {self.fit_id}",
                tool=f"hwgen {__version__} fast model",
                library=self.data.get("library"),
                note=f"the energy fit's operating point: {ENERGY_ACTIVITY} operands, 100 MHz",
            )
        note = (
            f"fit {self.fit_id} ({self.data['command']}); held-out MAPE "
            f"{err.get('mape_pct')} %, max {err.get('max_error_pct')} %, Spearman "
            f"{err.get('spearman')} on {err.get('points')} designs"
        )
        check = self.validation(field)
        if check is not None and check.get("points"):
            note += (
                f"; validation MAPE {check.get('mape_pct')} %, max {check.get('max_error_pct')} %"
                f" on {check.get('points')} designs outside the fit sample"
            )
        if field == "energy_pj_per_mac":
            note += f"; energy of a {ENERGY_ACTIVITY} operand stream at 100 MHz"
        if self.target in (Target.ICE40, Target.ECP5, Target.XILINX):
            note += "; LUT mapping without DSP blocks"
        return Provenance(
            flow=f"fitted block model (hwgen.costmodel.fast), fit {self.fit_id}",
            tool=f"hwgen {__version__} fast model; points from "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.data["tool_versions"].items())),
            library=self.data.get("library"),
            note=note,
        )


def fitted_targets() -> tuple[str, ...]:
    """Targets with a shipped fit file."""
    return tuple(t.value for t in FIT_METRICS if (fits_dir() / f"{t.value}.json").is_file())


@functools.lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int, size: int) -> FittedModel:
    # Keyed on the file's mtime and size too: a rewritten fit file is read again.
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HwgenError(f"cannot read fit file {p}: {e}") from None
    if not isinstance(data, dict) or "fit_id" not in data or "metrics" not in data:
        raise HwgenError(f"{p} is not a hwgen fit file (no fit_id / metrics)")
    if fit_id_of(data) != data["fit_id"]:
        raise HwgenError(
            f"fit file {p}: content does not match its fit_id {data['fit_id']} (edited by hand?"
            " regenerate it with hwgen cost fit)"
        )
    return FittedModel(target=Target(data["target"]), fit_id=data["fit_id"], data=data)


def load_fit(target: Target | str, path: str | Path | None = None) -> FittedModel:
    """The fitted model of ``target`` (the shipped file, or ``path``).

    Raises
    ------
    HwgenError
        No fit for the target, an unreadable file, or one whose content does not match
        its ``fit_id``.
    """
    try:
        tgt = Target(target)
    except ValueError:
        allowed = ", ".join(t.value for t in Target)
        raise HwgenError(f"target must be one of {allowed}, not {target!r}") from None
    if path is None:
        p = fits_dir() / f"{tgt.value}.json"
        if tgt not in FIT_METRICS:
            fit_names = ", ".join(t.value for t in FIT_METRICS)
            raise HwgenError(
                f"no fitted cost model for target {tgt.value}: the fast model is fitted for"
                f" {fit_names}; use --model synth"
            )
        if not p.is_file():
            have = ", ".join(fitted_targets()) or "none"
            raise HwgenError(
                f"no fitted cost model for target {tgt.value} (fitted targets: {have}); run"
                f" hwgen cost fit --target {tgt.value} or use --model synth"
            )
        path = p
    resolved = Path(path).resolve()
    try:
        st = resolved.stat()
    except OSError as e:
        raise HwgenError(f"cannot read fit file {resolved}: {e}") from None
    model = _load(str(resolved), st.st_mtime_ns, st.st_size)
    if model.target is not tgt:
        raise HwgenError(f"fit file {path} is for target {model.target}, not {tgt}")
    return model


def estimate_many(
    configs: Iterable[DesignConfig] | pd.DataFrame,
    target: Target | str,
    *,
    fit_file: str | Path | None = None,
) -> pd.DataFrame:
    """Fast-model costs of many designs: one row per design, in input order.

    Parameters
    ----------
    configs:
        Design configs (``mac``, ``array``, ``bitmod_pe``), or a derived-parameter frame
        (:func:`hwgen.costmodel.fast.params.params_frame`) already built.
    target:
        A fitted target (:func:`fitted_targets`).
    fit_file:
        Use this fit file instead of the shipped one.

    Returns
    -------
    pandas.DataFrame
        ``design``, ``kind``, ``family``, ``a_format``, ``w_format``, one column per
        predicted field (``area_um2`` / ``fmax_mhz`` / ``energy_pj_per_mac`` ...), and
        ``source`` (the model label with its fit id). ``frame.attrs["model_error"]`` holds
        :meth:`FittedModel.model_error`.
    """
    model = load_fit(target, fit_file)
    frame = configs if isinstance(configs, pd.DataFrame) else params_frame(configs)
    pred = model.predict(frame)
    keep = [c for c in ("design", "kind", "family", "a_format", "w_format") if c in frame]
    out = pd.concat([frame[keep], pred], axis=1)
    out["source"] = model.label
    out.attrs["model_error"] = model.model_error()
    out.attrs["fit_id"] = model.fit_id
    return out


def estimate_fitted(
    design_dir: str | Path, target: Target | str, *, fit_file: str | Path | None = None
) -> CostReport:
    """``hwgen cost DIR --model fitted``: the fast model's answer for a design directory.

    The report has the fields a synthesized answer of the target has that the model
    predicts, each with the fitted model as its source, and ``model_error``.

    Raises
    ------
    HwgenError
        No manifest, a design family the model does not cover, no fit for the target.
    """
    from hwgen.costmodel.cost import _load_manifest, _rtl_hash

    ddir = Path(design_dir).resolve()
    man = _load_manifest(ddir)
    model = load_fit(target, fit_file)
    config = man.design()
    frame = params_frame([config])
    row = model.predict(frame).iloc[0]
    fields: dict[str, Any] = {}
    family = str(frame["family"].iloc[0])
    for name, v in row.items():
        if np.isnan(v):
            continue
        fields[str(name)] = round(float(v)) if name in _INT_FIELDS else round(float(v), 4)
    if not fields:
        raise HwgenError(
            f"the {model.target.value} fit {model.fit_id} covers no {config.kind} design (all"
            " were left out of it); use --model synth"
        )
    if "energy_pj_per_mac" in fields:
        fields.update(activity=ENERGY_ACTIVITY, clock_mhz=100.0)
    sources = {k: model.provenance(k) for k in fields}
    err = model.model_error()
    err["family"] = family
    err["family_area"] = model.error(AREA_FIELD[model.target], family)
    if model.validation(AREA_FIELD[model.target]) is not None:
        err["family_validation_area"] = model.validation(AREA_FIELD[model.target], family)
    return CostReport(
        top=man.top,
        target=model.target.value,
        design_dir=str(ddir),
        rtl_sha256=_rtl_hash(ddir, man),
        sources=sources,
        model_error=err,
        **fields,
    )
