"""The sweep's parameter vocabulary: every key ``[axes]``, ``[fixed]`` and ``[[points]]`` take.

A parameter has a value type (checked when the spec is read, so a typo fails at its line)
and maps to one or two config keys. Ranges and combinations are the configs' business:
a value of the right type that a family cannot build is *unbuildable* and handled by the
spec's ``[constraints]`` (skip with the reason, or stop).

Pair parameters set two config keys at once: ``formats = "fp8_e4m3:int4"`` (activation
and weight format) and ``array = "8x8"`` (rows x cols); their halves (``a_format``,
``w_format``, ``rows``, ``cols``) may be swept separately instead, never both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.errors import HwgenError

__all__ = ["PARAMS", "Param", "config_items"]

EXACT = "exact"
"""``acc_bits = "exact"``: the exact accumulator width (the config's ``None``)."""
NONE = "none"
"""``out_format = "none"``: no rounded float output (the config's ``None``)."""


def _format_name(value: object) -> str:
    from hwgen.formats import get

    if not isinstance(value, str):
        raise HwgenError(f"must be a format name (a string), not {value!r}")
    get(value)  # raises UnknownFormatError with the close matches
    return value


def _int(lo: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise HwgenError(f"must be an integer, not {value!r}")
        if value < lo:
            raise HwgenError(f"must be >= {lo}, not {value}")
        return value

    return parse


def _choice(choices: Callable[[], tuple[str, ...]]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        allowed = choices()
        if value not in allowed:
            raise HwgenError(f"must be one of {', '.join(allowed)}, not {value!r}")
        return str(value)

    return parse


def _acc_bits(value: object) -> int | None:
    if value == EXACT:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f'must be an integer or "{EXACT}", not {value!r}')
    return value


def _out_format(value: object) -> str | None:
    if value == NONE:
        return None
    return _format_name(value)


def _pair(text_sep: str, item: Callable[[object], Any], what: str) -> Callable[[object], tuple]:
    def parse(value: object) -> tuple[Any, Any]:
        if isinstance(value, str):
            parts = [p.strip() for p in re.split(text_sep, value)]
            if len(parts) == 2 and all(parts):
                raw: list[object] = [int(p) if p.isdigit() else p for p in parts]
            else:
                raise HwgenError(f"must be {what}, not {value!r}")
        elif isinstance(value, list) and len(value) == 2:
            raw = list(value)
        else:
            raise HwgenError(f"must be {what}, not {value!r}")
        return item(raw[0]), item(raw[1])

    return parse


def _families() -> tuple[str, ...]:
    from hwgen.sweep.families import FAMILIES

    return tuple(FAMILIES)


def _overflows() -> tuple[str, ...]:
    from hwgen.golden import Overflow

    return tuple(o.value for o in Overflow)


def _multipliers() -> tuple[str, ...]:
    from hwgen.golden import Multiplier

    return tuple(m.value for m in Multiplier)


def _acc_format(value: object) -> str | None:
    if value == NONE:
        return None
    return _format_name(value)


def _acc_roundings() -> tuple[str, ...]:
    # The float-accumulating MAC's (fused, unfused) and the BitMoD PE's narrow-mode
    # normalisation (floor, nearest): each config accepts its own and refuses the other.
    from hwgen.golden.bitmod.config import AccRounding as PeRounding
    from hwgen.golden.float_acc import AccRounding

    return (*(r.value for r in AccRounding), *(r.value for r in PeRounding))


def _subnormals() -> tuple[str, ...]:
    from hwgen.golden.float_acc import Subnormals

    return tuple(s.value for s in Subnormals)


def _pe_modes() -> tuple[str, ...]:
    from hwgen.golden.bitmod.config import PEMode

    return tuple(m.value for m in PEMode)


@dataclass(frozen=True)
class Param:
    """One sweep parameter.

    Attributes
    ----------
    name
        The key in ``[axes]`` / ``[fixed]`` / ``[[points]]``.
    parse
        Checks one value and returns it in config form (raises ``HwgenError`` with the
        "must be ..." part of the message).
    keys
        The config key(s) it sets (two for a pair parameter).
    help
        What it is, for the docs.
    """

    name: str
    parse: Callable[[object], Any]
    keys: tuple[str, ...]
    help: str

    def items(self, value: Any) -> dict[str, Any]:
        """The config items a parsed value sets."""
        if len(self.keys) == 1:
            return {self.keys[0]: value}
        return dict(zip(self.keys, value, strict=True))


PARAMS: Mapping[str, Param] = {
    p.name: p
    for p in (
        Param("family", _choice(_families), ("family",), "design family (mac, array, bitmod_pe)"),
        Param(
            "formats",
            _pair(r":", _format_name, '"ACT:WEIGHT" or [ACT, WEIGHT] (format names)'),
            ("a_format", "w_format"),
            "activation:weight format pair",
        ),
        Param("a_format", _format_name, ("a_format",), "activation format"),
        Param("w_format", _format_name, ("w_format",), "weight format"),
        Param("acc_bits", _acc_bits, ("acc_bits",), 'accumulator bits, or "exact"'),
        Param("overflow", _choice(_overflows), ("overflow",), "accumulator overflow policy"),
        Param("max_terms", _int(1), ("max_terms",), "longest exact dot product"),
        Param("multiplier", _choice(_multipliers), ("multiplier",), "multiplier (exact, lmul)"),
        Param("stages", _int(0), ("stages",), "pipeline registers"),
        Param("out_format", _out_format, ("out_format",), 'rounded float output, or "none"'),
        Param(
            "array",
            _pair(r"[xX]", _int(1), '"RxC" or [R, C] (integers >= 1)'),
            ("rows", "cols"),
            "array rows x cols",
        ),
        Param("rows", _int(1), ("rows",), "array rows"),
        Param("cols", _int(1), ("cols",), "array columns"),
        Param(
            "acc_format",
            _acc_format,
            ("acc_format",),
            'float accumulator format of a MAC (e.g. fp32), or "none" (fixed point)',
        ),
        Param(
            "acc_rounding",
            _choice(_acc_roundings),
            ("acc_rounding",),
            "MAC float accumulator: fused, unfused; BitMoD PE narrow mode: floor, nearest",
        ),
        Param(
            "acc_subnormals",
            _choice(_subnormals),
            ("acc_subnormals",),
            "MAC float accumulator subnormals (keep, flush)",
        ),
        Param("dot", _int(1), ("dot",), "BitMoD PE lanes (products per cycle)"),
        Param("group_size", _int(1), ("group_size",), "BitMoD PE weights per group"),
        Param("pe_mode", _choice(_pe_modes), ("mode",), "BitMoD PE datapath (exact, narrow)"),
    )
}
"""Every sweep parameter, in documentation order."""

PAIRS: Mapping[str, tuple[str, str]] = {
    "formats": ("a_format", "w_format"),
    "array": ("rows", "cols"),
}
"""Pair parameters and the halves that may not be given with them."""


def config_items(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parsed parameter values -> config items (``family`` included), pairs expanded."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        out.update(PARAMS[name].items(value))
    return out
