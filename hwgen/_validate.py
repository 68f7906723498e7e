"""Validation of integers and enum choices at hwgen's boundaries, with one message style.

Every config, option object and tool wrapper validates its integer and enum inputs through
these two functions, so a bad value always reads the same way:

* ``stages must be an integer, not 1.5`` (bools are refused too: ``True`` is no count);
* ``rows must be in 1..64, not 0`` / ``max_terms must be >= 1, not 0``;
* ``overflow must be one of exact, wrap, saturate, not 'clip'``.

numpy integers (``np.int64(16)``, as read from arrays or a sweep table) are accepted
wherever a Python ``int`` is and come back as ``int``.
"""

from __future__ import annotations

import enum
import numbers
from typing import TypeVar

from hwgen.errors import HwgenError

__all__ = ["check_enum", "check_int"]

E = TypeVar("E", bound=enum.Enum)


def check_int(name: str, value: object, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer in ``[lo, hi]`` (bounds optional).

    Raises
    ------
    HwgenError
        Not an integer (bools and floats included), or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise HwgenError(f"{name} must be an integer, not {value!r}")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        if lo is not None and hi is not None:
            raise HwgenError(f"{name} must be in {lo}..{hi}, not {v}")
        if lo is not None:
            raise HwgenError(f"{name} must be >= {lo}, not {v}")
        raise HwgenError(f"{name} must be <= {hi}, not {v}")
    return v


def check_enum(name: str, cls: type[E], value: object) -> E:
    """``value`` as a member of ``cls`` (a member or its value).

    Raises
    ------
    HwgenError
        Not one of the members; the message lists the allowed values.
    """
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(m.value) for m in cls)
        raise HwgenError(f"{name} must be one of {allowed}, not {value!r}") from None
