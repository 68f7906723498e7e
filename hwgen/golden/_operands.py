"""Argument checking shared by the golden model: format resolution and code arrays."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats import Format, get_format


def resolve_format(fmt: str | Format, *, role: str) -> Format:
    """Return the :class:`~hwgen.formats.Format` for a registry name or a format object.

    Parameters
    ----------
    fmt
        A registry name (resolved with :func:`hwgen.formats.get_format`, which rejects
        per-group mixtures) or a format object.
    role
        Argument name used in the error message (``"a_format"``...).

    Raises
    ------
    HwgenError
        For anything else, or an unknown name.
    """
    if isinstance(fmt, Format):
        return fmt
    if isinstance(fmt, str):
        return get_format(fmt)
    raise HwgenError(f"{role} must be a format name or a Format, not {type(fmt).__name__}")


def as_codes(fmt: Format, codes: npt.ArrayLike, *, role: str) -> npt.NDArray[np.intp]:
    """Validate raw codes of ``fmt`` and return them as an ``intp`` array (for table lookups).

    Raises
    ------
    HwgenError
        If the codes are not integers or lie outside ``[0, 2**bits)``.
    """
    arr = np.asarray(codes)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.bool_)
    ):
        if arr.size == 0:
            return np.zeros(arr.shape, dtype=np.intp)
        raise HwgenError(f"{role} must be integer codes, not {arr.dtype} values")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= 1 << fmt.bits):
        bad = int(arr.min()) if int(arr.min()) < 0 else int(arr.max())
        raise HwgenError(
            f"{role} must be codes of {fmt.name} in [0, {(1 << fmt.bits) - 1}], not {bad}"
        )
    return arr.astype(np.intp, copy=False)


def as_flags(x: npt.ArrayLike, *, role: str) -> npt.NDArray[np.bool_]:
    """Validate a control signal (booleans or 0/1 integers) and return it as ``bool``."""
    arr = np.asarray(x)
    if arr.dtype == np.bool_:
        return arr
    if arr.size == 0:
        return np.zeros(arr.shape, dtype=bool)
    if not np.issubdtype(arr.dtype, np.integer):
        raise HwgenError(f"{role} must be booleans or 0/1 integers, not {arr.dtype} values")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > 1):
        bad = int(arr.min()) if int(arr.min()) < 0 else int(arr.max())
        raise HwgenError(f"{role} must hold 0 or 1, not {bad}")
    return arr.astype(bool)


def broadcast(
    a: npt.NDArray[np.intp], w: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Broadcast activation and weight codes against each other (one-line error if impossible)."""
    try:
        a_b, w_b = np.broadcast_arrays(a, w)
        return a_b, w_b
    except ValueError:
        raise HwgenError(
            f"a_codes shape {a.shape} and w_codes shape {w.shape} do not broadcast"
        ) from None


def check_int(value: object, *, role: str, minimum: int) -> int:
    """Return ``value`` if it is an ``int`` (not ``bool``) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise HwgenError(f"{role} must be an integer, not {value!r}")
    if value < minimum:
        raise HwgenError(f"{role} must be >= {minimum}, not {value}")
    return int(value)
