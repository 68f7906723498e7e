"""``MacConfig``: the frozen, validated description of one MAC unit.

A config names its operand formats by registry name and resolves them once; everything
the hardware, the golden model and the manifest need (accumulator width and LSB, latency,
module name) is derived from it, never restated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

from hwgen.errors import HwgenError
from hwgen.formats import Format, FormatKind, MinifloatFormat, get, get_format
from hwgen.formats.table import MixtureFormat
from hwgen.golden import AccumulatorSpec, Multiplier, Overflow, accumulator_spec

if TYPE_CHECKING:
    from hwgen.rtl.mac import MacUnit

MAX_STAGES = 4
"""Most pipeline registers between multiplier and accumulator."""

MAX_ACC_BITS = 256
"""Widest accumulator the generator builds (``bf16 x bf16`` exact would need ~540 bits)."""

MAX_OPERAND_BITS = 16
"""Widest operand format."""

DEFAULT_MAX_TERMS = 4096


def _check_int(name: str, value: object, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f"{name} must be an integer, not {value!r}")
    if value < lo:
        raise HwgenError(f"{name} must be >= {lo}, not {value}")
    if hi is not None and value > hi:
        raise HwgenError(f"{name} must be <= {hi}, not {value}")
    return value


def _enum(name: str, cls: type[Overflow] | type[Multiplier], value: object) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(v.value) for v in cls)
        raise HwgenError(f"{name} must be one of {allowed}, not {value!r}") from None


def _operand(role: str, name: object) -> Format:
    if not isinstance(name, str):
        raise HwgenError(f"{role} must be a format name (str), not {name!r}")
    fmt = get(name)
    if isinstance(fmt, MixtureFormat):
        variants = ", ".join(v.name for v in fmt.variants)
        raise HwgenError(
            f"{role}={name!r} is a per-group mixture; a MAC needs one format: one of {variants}"
        )
    fmt = get_format(name)
    if fmt.bits > MAX_OPERAND_BITS:
        raise HwgenError(
            f"{role}={name!r} has {fmt.bits} bits; at most {MAX_OPERAND_BITS} are supported"
        )
    return fmt


@dataclass(frozen=True, kw_only=True)
class MacConfig:
    """One multiply-accumulate unit (ports and semantics in ``docs/hardware.md``).

    Parameters
    ----------
    a_format, w_format
        Registry names of the activation and weight formats (at most 16 bits; per-group
        mixtures are rejected). Stored in canonical (registry) spelling.
    max_terms
        Longest dot product the accumulator must hold exactly, >= 1.
    acc_bits
        Accumulator width; ``None`` builds the exact width of
        :func:`hwgen.golden.accumulator_spec`. With ``overflow='exact'`` it must be at least
        that width.
    overflow
        :class:`hwgen.golden.Overflow`: ``exact``, ``wrap`` or ``saturate`` (strings accepted).
    stages
        Pipeline registers between the multiplier and the accumulator, 0..4.
    multiplier
        :class:`hwgen.golden.Multiplier`: ``exact``, or ``lmul`` (float x float only).
    out_format
        Optional float format (with subnormals) the accumulator is also rounded to (RNE),
        on the ``out`` port.

    Raises
    ------
    HwgenError
        For any invalid value or unsupported combination, with a one-line message.
    """

    a_format: str
    w_format: str
    max_terms: int = DEFAULT_MAX_TERMS
    acc_bits: int | None = None
    overflow: Overflow = Overflow.EXACT
    stages: int = 0
    multiplier: Multiplier = Multiplier.EXACT
    out_format: str | None = None

    def __post_init__(self) -> None:
        a = _operand("a_format", self.a_format)
        w = _operand("w_format", self.w_format)
        object.__setattr__(self, "a_format", a.name)
        object.__setattr__(self, "w_format", w.name)
        _check_int("max_terms", self.max_terms, 1)
        overflow = _enum("overflow", Overflow, self.overflow)
        multiplier = _enum("multiplier", Multiplier, self.multiplier)
        object.__setattr__(self, "overflow", overflow)
        object.__setattr__(self, "multiplier", multiplier)
        _check_int("stages", self.stages, 0, MAX_STAGES)
        if multiplier is Multiplier.LMUL:
            for role, fmt in (("a_format", a), ("w_format", w)):
                if fmt.kind is not FormatKind.FLOAT:
                    raise HwgenError(
                        f"multiplier='lmul' needs float formats: {role} {fmt.name} is"
                        f" {fmt.kind.value}"
                    )
        exact = self.exact_accumulator.bits
        if self.acc_bits is None:
            if exact > MAX_ACC_BITS:
                raise HwgenError(
                    f"exact accumulation of max_terms={self.max_terms} {a.name} x {w.name}"
                    f" products needs {exact} bits; at most {MAX_ACC_BITS} are supported:"
                    " set acc_bits with overflow='wrap' or 'saturate'"
                )
        else:
            _check_int("acc_bits", self.acc_bits, 2, MAX_ACC_BITS)
            if overflow is Overflow.EXACT and self.acc_bits < exact:
                raise HwgenError(
                    f"acc_bits={self.acc_bits} is too narrow for exact accumulation of"
                    f" max_terms={self.max_terms} {a.name} x {w.name} products: needs >="
                    f" {exact}; use overflow='wrap' or 'saturate'"
                )
        if self.out_format is not None:
            if not isinstance(self.out_format, str):
                raise HwgenError(
                    f"out_format must be a format name (str) or None, not {self.out_format!r}"
                )
            out = get_format(self.out_format)
            if not isinstance(out, MinifloatFormat):
                raise HwgenError(
                    f"out_format must be a float format, not {out.kind.value} ({out.name})"
                )
            if not out.subnormals:
                raise HwgenError(
                    f"out_format {out.name} has no subnormals; choose a float format with them"
                )
            object.__setattr__(self, "out_format", out.name)

    # ------------------------------------------------------------------ derived facts
    @cached_property
    def a(self) -> Format:
        """The activation format object."""
        return get_format(self.a_format)

    @cached_property
    def w(self) -> Format:
        """The weight format object."""
        return get_format(self.w_format)

    @cached_property
    def out(self) -> MinifloatFormat | None:
        """The output format object, or ``None``."""
        if self.out_format is None:
            return None
        fmt = get_format(self.out_format)
        assert isinstance(fmt, MinifloatFormat)
        return fmt

    @cached_property
    def exact_accumulator(self) -> AccumulatorSpec:
        """The exact accumulator for ``max_terms`` products of this multiplier."""
        return accumulator_spec(
            self.a, self.w, self.max_terms, multiplier=Multiplier(self.multiplier)
        )

    @cached_property
    def accumulator(self) -> AccumulatorSpec:
        """The accumulator actually built: ``acc_bits`` (or the exact width) and its LSB."""
        exact = self.exact_accumulator
        bits = exact.bits if self.acc_bits is None else self.acc_bits
        return AccumulatorSpec(bits=bits, lsb_exp=exact.lsb_exp)

    @property
    def has_flags(self) -> bool:
        """Whether the unit has the ``flags`` port (a format has NaN or inf codes)."""
        return any(bool(f.nan_codes or f.inf_codes) for f in (self.a, self.w))

    @property
    def latency(self) -> int:
        """Rising edges from the edge sampling ``valid`` until ``acc`` includes the product."""
        return 1 + self.stages

    @property
    def out_latency(self) -> int:
        """Cycles from ``acc`` to ``out``: 0, the conversion is combinational."""
        return 0

    @property
    def name(self) -> str:
        """Stable module name, ``[a-z0-9_]`` only.

        ``mac_<a>_x_<w>_acc<bits>_s<stages>`` plus ``_n<max_terms>`` (when not 4096),
        ``_wrap`` / ``_sat``, ``_lmul`` and ``_out_<format>`` for non-default options.
        """
        parts = [f"mac_{self.a_format}_x_{self.w_format}_acc{self.accumulator.bits}"]
        parts.append(f"s{self.stages}")
        if self.max_terms != DEFAULT_MAX_TERMS:
            parts.append(f"n{self.max_terms}")
        if self.overflow is Overflow.WRAP:
            parts.append("wrap")
        elif self.overflow is Overflow.SATURATE:
            parts.append("sat")
        if self.multiplier is Multiplier.LMUL:
            parts.append("lmul")
        if self.out_format is not None:
            parts.append(f"out_{self.out_format}")
        return re.sub(r"[^a-z0-9_]", "_", "_".join(parts).lower())

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field (enums as their string values)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.value if isinstance(v, Overflow | Multiplier) else v
        return out

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The field names :meth:`from_dict` accepts."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MacConfig:
        """Build a config from :meth:`to_dict` output (or any subset with the required keys).

        Raises
        ------
        HwgenError
            Unknown keys (the message lists the allowed ones), missing required keys, or an
            invalid value.
        """
        if not isinstance(d, Mapping):
            raise HwgenError(f"a MAC config must be a mapping, not {type(d).__name__}")
        allowed = cls.keys()
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise HwgenError(
                f"unknown MAC config keys: {', '.join(map(str, unknown))};"
                f" allowed: {', '.join(allowed)}"
            )
        missing = [k for k in ("a_format", "w_format") if k not in d]
        if missing:
            raise HwgenError(f"MAC config is missing required keys: {', '.join(missing)}")
        return cls(**dict(d))

    def create(self) -> MacUnit:
        """Build the Amaranth :class:`~hwgen.rtl.mac.MacUnit` for this config."""
        from hwgen.rtl.mac import MacUnit

        return MacUnit(config=self)
