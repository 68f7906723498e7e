"""The one-line statement of a fitted model's held-out error, printed with every estimate set.

``hwgen cost --model fitted``, ``hwgen rank --model fitted`` and the summary of a sweep
whose costs come from the ``fast_cost`` stage all print it, so a reader of any estimate
sees how far to trust it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["fidelity_line"]


def fidelity_line(err: Mapping[str, Any], label: str) -> str:
    """``source: LABEL; held-out area MAPE ... %, energy MAPE ... %, Spearman ... (N ...)``.

    Parameters
    ----------
    err
        :meth:`~hwgen.costmodel.fast.model.FittedModel.model_error` (``area`` is the
        target's size metric).
    label
        The model's label with its fit id (``FittedModel.label``) or the flow of a
        field's provenance.

    A target without an energy fit (the FPGA and generic ones) says ``no energy fit``
    instead of an empty figure. A fit with validation designs adds their blind error:
    ``; validation area MAPE ... % [, energy MAPE ... %] (N designs outside the sample)``.
    """
    energy = err.get("energy_mape_pct")
    energy_text = "no energy fit" if energy is None else f"energy MAPE {energy} %"
    line = (
        f"source: {label}; held-out area MAPE {err.get('area_mape_pct')} %, {energy_text},"
        f" Spearman {err.get('spearman')} ({err.get('held_out_points')} held-out designs)"
    )
    if err.get("validation_points"):
        venergy = err.get("validation_energy_mape_pct")
        line += f"; validation area MAPE {err.get('validation_area_mape_pct')} %"
        if venergy is not None:
            line += f", energy MAPE {venergy} %"
        line += f" ({err['validation_points']} designs outside the sample)"
    return line
