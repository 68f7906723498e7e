"""Validation of integers and enum choices at hwgen's boundaries, with one message style.

Every config, option object and tool wrapper validates its integer and enum inputs through
these functions, so a bad value always reads the same way:

* ``stages must be an integer, not 1.5`` (bools are refused too: ``True`` is no count);
* ``rows must be in 1..64, not 0`` / ``max_terms must be >= 1, not 0``;
* ``overflow must be one of exact, wrap, saturate, not 'clip'``;
* ``mac must be a MacConfig, not dict`` (:func:`check_type`, for a nested config object).

numpy integers (``np.int64(16)``, as read from arrays or a sweep table) are accepted
wherever a Python ``int`` is and come back as ``int``.
"""

from __future__ import annotations

import enum
import numbers
import re
from pathlib import PurePosixPath
from typing import TypeVar

from hwgen.errors import HwgenError

__all__ = ["check_enum", "check_identifier", "check_int", "check_relative_path", "check_type"]

E = TypeVar("E", bound=enum.Enum)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
"""A Verilog simple identifier without ``$``: safe in a tool script and a command line."""
_PATH_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*\Z")
MAX_NAME_CHARS = 255


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


def check_type(name: str, value: object, cls: type) -> None:
    """Check that ``value`` is an instance of ``cls`` (an abstract class too).

    Raises
    ------
    HwgenError
        ``<name> must be a <cls>, not <type of value>`` ("an" before a vowel).
    """
    if not isinstance(value, cls):
        article = "an" if cls.__name__[:1].lower() in "aeiou" else "a"
        raise HwgenError(f"{name} must be {article} {cls.__name__}, not {type(value).__name__}")


def check_identifier(name: str, value: object) -> str:
    """``value`` if it is a Verilog simple identifier (letters, digits, ``_``; no ``$``).

    Every name that reaches a tool script or command line (a top or module name, a port,
    a parameter) passes here first: ``x; touch PWNED`` or ``!rm`` cannot split a Yosys
    command or run a shell line.

    Raises
    ------
    HwgenError
        Not a string, empty, longer than 255 characters, or any other character.
    """
    if not isinstance(value, str):
        raise HwgenError(f"{name} must be a Verilog identifier (a string), not {value!r}")
    if len(value) > MAX_NAME_CHARS or not _IDENTIFIER.match(value):
        raise HwgenError(f"{name} must be a Verilog identifier (letters, digits, _), not {value!r}")
    return value


def check_relative_path(name: str, value: object) -> str:
    """``value`` if it is a safe relative file path inside a directory.

    Parts of letters, digits and ``_ . + -`` joined by ``/``, none starting with ``.`` or
    ``-`` (no ``..``, no hidden files, nothing a tool reads as an option); not absolute.

    Raises
    ------
    HwgenError
        Not a string, absolute, escaping the directory, or an unsafe character.
    """
    if not isinstance(value, str):
        raise HwgenError(f"{name} must be a relative file path (a string), not {value!r}")
    if value.startswith("/"):
        raise HwgenError(f"{name} must be a path relative to the design directory, not {value!r}")
    parts = PurePosixPath(value).parts
    if not parts or ".." in parts:
        raise HwgenError(f"{name} must stay inside the design directory, not {value!r}")
    if len(value) > 4 * MAX_NAME_CHARS or not all(_PATH_PART.match(p) for p in parts):
        raise HwgenError(
            f"{name} must be a relative path of letters, digits and _ . + - (no part "
            f"starting with . or -), not {value!r}"
        )
    return value
