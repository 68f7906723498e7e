"""Validation of scalar parameters and of array inputs, shared by formats and quantizers.

Integers may be Python ints or numpy integers (``np.int64(16)``) and come out as Python
ints, so frozen configs compare, hash and serialise the same whichever was passed. Bools
are not integers here, even though Python treats them as such.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError

# Float types of ml_dtypes (bfloat16, float8_*, ...) are numpy "void" kinds; these names
# widen exactly to float64.
_ML_DTYPES_PREFIXES = ("bfloat16", "float8_", "float6_", "float4_")


def as_int(value: object, what: str, *, minimum: int | None = None) -> int:
    """``value`` as a Python int.

    Raises
    ------
    HwgenError
        ``"<what> must be an integer, not <value>"`` for anything but an int or numpy
        integer (bools included); ``"<what> must be >= <minimum>, not <value>"`` below the
        minimum.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise HwgenError(f"{what} must be an integer, not {value!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise HwgenError(f"{what} must be >= {minimum}, not {out}")
    return out


def as_bool(value: object, what: str) -> bool:
    """``value`` as a Python bool (``True``/``False`` or a numpy bool only)."""
    if not isinstance(value, bool | np.bool_):
        raise HwgenError(f"{what} must be True or False, not {value!r}")
    return bool(value)


def real_array(x: npt.ArrayLike, what: str) -> np.ndarray:
    """``x`` as a numpy array of real numbers, without copying when it already is one.

    Accepted: integer and floating arrays up to float64, and ml_dtypes' narrow floats
    (widened exactly to float64). Rejected: complex numbers, strings, objects (including
    Python ints too large for int64), bools and ``longdouble`` (which float64 would round
    first).

    Parameters
    ----------
    x
        Anything numpy can turn into an array.
    what
        Who needs the values, for the message, e.g. ``"int4.encode"``.

    Raises
    ------
    HwgenError
        ``"<what> needs real numbers (integer or floating), not <description>"``.
    """
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged sequences and the like
        raise HwgenError(f"{what} needs real numbers (integer or floating), not {exc}") from None
    kind = arr.dtype.kind
    if kind in "iu" or (kind == "f" and arr.dtype.itemsize <= 8):
        return arr
    if kind == "V" and arr.dtype.name.startswith(_ML_DTYPES_PREFIXES):
        return arr.astype(np.float64)
    described = {
        "c": f"complex values ({arr.dtype})",
        "U": "strings",
        "S": "byte strings",
        "O": "Python objects",
        "b": "bools",
        "f": f"{arr.dtype} (convert to float64 first: it would be rounded twice)",
        "M": "datetimes",
        "m": "timedeltas",
    }.get(kind, f"dtype {arr.dtype}")
    raise HwgenError(f"{what} needs real numbers (integer or floating), not {described}")
