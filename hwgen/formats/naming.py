"""Format names: one canonical spelling per format, and the parser for every accepted spelling.

Grammar (case-insensitive; surrounding blanks are ignored):

* ``intN``, ``uintN``, ``intN_narrow`` with ``N = 2..16``;
* ``fpN_eXmY[_bB | _bmB][_nosub][_ieee | _fn | _none]`` with ``N = 1 + X + Y``; ``_bmB``
  spells the negative bias ``-B``;
* the short names of :data:`SHORT_NAMES` (``fp16``, ``bf16``, ``fp32``).

The canonical spelling leaves out every part that equals the layout default: bias
``2**(X-1) - 1``, subnormals on, and the special policy :func:`unsuffixed_policy` of the
layout (``fn`` for ``e4m3``: the OCP OFP8 name ``fp8_e4m3`` means the "fn" variant; ``none``
below 8 bits; ``ieee`` from 8 bits up). A layout with a short name is spelled by it when
every other part is default. So ``fp8_e4m3_ieee`` is the IEEE-style E4M3 (max 240, +-inf),
``fp8_e4m3`` and ``fp8_e4m3_fn`` are both the OCP format, and ``fp16_e5m10`` is ``fp16``.

Policies are passed as their string values (``"ieee"``, ``"fn"``, ``"none"``) so that this
module depends on nothing else in :mod:`hwgen.formats`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hwgen.errors import UnknownFormatError

#: Short names of IEEE-style layouts with the default bias and subnormals, keyed by
#: ``(exp_bits, man_bits)``.
SHORT_NAMES: dict[tuple[int, int], str] = {(5, 10): "fp16", (8, 7): "bf16", (8, 23): "fp32"}
_SHORT_LAYOUTS = {name: layout for layout, name in SHORT_NAMES.items()}
_IEEE, _FN, _NONE = "ieee", "fn", "none"

_INT_RE = re.compile(r"^(u?)int(\d+)(_narrow)?$")
_FP_RE = re.compile(r"^fp(\d+)_e(\d+)m(\d+)(?:_b(m?)(\d+))?(_nosub)?(?:_(ieee|fn|none))?$")
#: Names of user-defined table formats and mixtures: lowercase identifiers.
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def default_bias(exp_bits: int) -> int:
    """The IEEE-style bias ``2**(exp_bits - 1) - 1``."""
    return (1 << (exp_bits - 1)) - 1


def unsuffixed_policy(exp_bits: int, man_bits: int) -> str:
    """Special policy of an ``fpN_eXmY`` name without a policy suffix.

    ``fn`` for E4M3 (OCP OFP8 1.0 names the "fn" variant E4M3), ``none`` below 8 bits (the
    OCP MX element types), ``ieee`` from 8 bits up (E5M2, fp16, bf16, ml_dtypes' E3M4).
    """
    if (exp_bits, man_bits) == (4, 3):
        return _FN
    return _NONE if 1 + exp_bits + man_bits < 8 else _IEEE


def minifloat_name(exp_bits: int, man_bits: int, bias: int, subnormals: bool, specials: str) -> str:
    """The canonical name of a minifloat layout (see the module docstring)."""
    bits = 1 + exp_bits + man_bits
    suffix = ""
    if bias != default_bias(exp_bits):
        suffix += f"_bm{-bias}" if bias < 0 else f"_b{bias}"
    if not subnormals:
        suffix += "_nosub"
    if specials != unsuffixed_policy(exp_bits, man_bits):
        suffix += f"_{specials}"
    short = SHORT_NAMES.get((exp_bits, man_bits))
    if short is not None and not suffix:
        return short
    return f"fp{bits}_e{exp_bits}m{man_bits}{suffix}"


def int_name(bits: int, signed: bool, narrow: bool) -> str:
    """The canonical name of an integer format: ``int8``, ``uint4``, ``int8_narrow``."""
    return f"{'int' if signed else 'uint'}{bits}" + ("_narrow" if narrow else "")


@dataclass(frozen=True)
class IntSpelling:
    """Fields of an ``intN`` / ``uintN`` / ``intN_narrow`` name."""

    bits: int
    signed: bool
    narrow: bool


@dataclass(frozen=True)
class MinifloatSpelling:
    """Fields of an ``fpN_eXmY...`` name (or a short name); ``bias`` already resolved."""

    exp_bits: int
    man_bits: int
    bias: int
    subnormals: bool
    specials: str


def parse(key: str) -> IntSpelling | MinifloatSpelling | None:
    """Fields of a parametric name, or ``None`` when ``key`` is not one.

    ``key`` must already be stripped and lowercase.

    Raises
    ------
    UnknownFormatError
        For an ``fpN_eXmY`` name whose width does not add up.
    """
    m = _INT_RE.match(key)
    if m:
        return IntSpelling(bits=int(m[2]), signed=not m[1], narrow=bool(m[3]))
    if key in _SHORT_LAYOUTS:
        e, mb = _SHORT_LAYOUTS[key]
        return MinifloatSpelling(e, mb, default_bias(e), True, unsuffixed_policy(e, mb))
    m = _FP_RE.match(key)
    if not m:
        return None
    total, e, mb = int(m[1]), int(m[2]), int(m[3])
    if total != 1 + e + mb:
        raise UnknownFormatError(
            f"format {key!r}: fp{total} must have 1 + exponent + mantissa = {total} bits,"
            f" not 1 + {e} + {mb} = {1 + e + mb}"
        )
    if e < 1:
        # Caught here because default_bias needs exp_bits >= 1; the constructor words it.
        return MinifloatSpelling(e, mb, 0, not m[6], m[7] or _NONE)
    bias = default_bias(e) if m[5] is None else (-1 if m[4] else 1) * int(m[5])
    policy = m[7] or unsuffixed_policy(e, mb)
    return MinifloatSpelling(e, mb, bias, not m[6], policy)
