"""What a float accumulator costs in accuracy: its error against the exact sum.

The exact sums come from the fixed-point MAC model (:func:`hwgen.golden.mac_trace` with an
exact accumulator wide enough for the sequence), so both models see the same products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.formats import Format
from hwgen.golden._operands import as_flags, resolve_format
from hwgen.golden.accumulate import mac_trace
from hwgen.golden.float_acc import FloatAccSpec, float_mac_trace
from hwgen.golden.products import Multiplier
from hwgen.golden.rounding import to_float
from hwgen.golden.sizing import accumulator_spec


@dataclass(frozen=True)
class AccError:
    """Relative error ``|float - exact| / |exact|`` over the cycles where both are finite.

    Attributes
    ----------
    count
        Cycles compared (exact sum finite and non-zero, float result finite).
    max_rel, mean_rel
        Largest and mean relative error over them (0.0 when ``count`` is 0).
    exact_zero
        Cycles whose exact sum is 0 (left out of the relative error).
    exact_zero_missed
        Of those, how many the float accumulator does not hold as +-0.
    nonfinite
        Cycles with a finite exact sum but an inf / NaN float result (overflow).
    special
        Cycles whose exact result is NaN / inf (special operands; left out).
    """

    count: int
    max_rel: float
    mean_rel: float
    exact_zero: int
    exact_zero_missed: int
    nonfinite: int
    special: int


def acc_error(
    float_values: npt.ArrayLike, exact_values: npt.ArrayLike, exact_special: npt.ArrayLike
) -> AccError:
    """:class:`AccError` of float results against exact ones (float64, same shape)."""
    f = np.asarray(float_values, dtype=np.float64).ravel()
    x = np.asarray(exact_values, dtype=np.float64).ravel()
    sp = np.asarray(exact_special, dtype=bool).ravel()
    finite = ~sp
    zero = finite & (x == 0)
    bad = finite & ~np.isfinite(f)
    use = finite & ~zero & np.isfinite(f)
    rel = np.abs(f[use] - x[use]) / np.abs(x[use])
    return AccError(
        count=int(use.sum()),
        max_rel=float(rel.max()) if rel.size else 0.0,
        mean_rel=float(rel.mean()) if rel.size else 0.0,
        exact_zero=int(zero.sum()),
        exact_zero_missed=int((zero & np.isfinite(f) & (f != 0)).sum() + (zero & bad).sum()),
        nonfinite=int((bad & ~zero).sum()),
        special=int(sp.sum()),
    )


def float_acc_error(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
    valid: npt.ArrayLike,
    clear: npt.ArrayLike,
    *,
    spec: FloatAccSpec,
    multiplier: Multiplier = Multiplier.EXACT,
) -> AccError:
    """Error of the float accumulator after every cycle against the exact running sum.

    Arguments as :func:`~hwgen.golden.float_acc.float_mac_trace` (shape ``(..., cycles)``).
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    tr = float_mac_trace(
        a_fmt, a_codes, w_fmt, w_codes, valid, clear, spec=spec, multiplier=multiplier
    )
    shape = tr.acc.shape
    cycles = shape[-1]
    c = as_flags(clear, role="clear").reshape(-1, cycles).copy()
    # Every lane starts from 0, like the float model; a clear on its first cycle changes
    # no exact sum, and lets all lanes run as one sequence.
    c[:, 0] = True
    exact = mac_trace(
        a_fmt,
        np.asarray(a_codes).reshape(-1),
        w_fmt,
        np.asarray(w_codes).reshape(-1),
        np.asarray(valid).reshape(-1),
        c.reshape(-1),
        acc=accumulator_spec(a_fmt, w_fmt, max(cycles, 1), multiplier=multiplier),
        multiplier=multiplier,
    )
    return acc_error(tr.values(), to_float(exact.acc, exact.spec.lsb_exp), exact.flags != 0)
