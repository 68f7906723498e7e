"""The design-family protocol: what every design config owns (pure Python, no Amaranth).

A design family (MAC unit, PE array, ...) is one frozen, validated config class deriving
from :class:`DesignConfig`. The config is the single source of truth of its design:

* identity: :attr:`DesignConfig.kind` (the family-table key), :attr:`~DesignConfig.name`
  (the Verilog module name), :meth:`~DesignConfig.to_dict` / :meth:`~DesignConfig.from_dict`
  (unknown keys rejected) and :attr:`~DesignConfig.config_hash`;
* timing: :attr:`~DesignConfig.latency`, :attr:`~DesignConfig.out_latency`, the reset
  behaviour (:meth:`~DesignConfig.reset`);
* interface: :meth:`~DesignConfig.ports` (every port with its :class:`Role`), from which the
  Amaranth component builds its signature and the manifest lists its ports;
* the manifest's family sections (:meth:`~DesignConfig.facts`);
* the golden model (:meth:`~DesignConfig.golden`), which the verification bench of the
  family (registered in :mod:`hwgen.design.families`) drives;
* :meth:`~DesignConfig.create`, the Amaranth component (its module imported lazily, through
  the family table).

The manifest's interface records (:class:`Port`, :class:`ResetInfo`,
:class:`AccumulatorInfo`, :class:`OutputInfo`, :class:`ArrayInfo`) live here, below the
emitter, because configs produce them and the manifest (:mod:`hwgen.emit.manifest`)
serialises them.
"""

from __future__ import annotations

import enum
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from hwgen._validate import check_enum, check_int
from hwgen.errors import HwgenError

if TYPE_CHECKING:
    from amaranth.lib import wiring

__all__ = [
    "AccumulatorInfo",
    "ArrayInfo",
    "DesignConfig",
    "DesignFacts",
    "OptionSpec",
    "OutputInfo",
    "Port",
    "PortDir",
    "ResetInfo",
    "Role",
    "canonical_json",
    "config_hash",
]


def canonical_json(obj: Any) -> str:
    """The canonical JSON text of ``obj``: sorted keys, no whitespace, ASCII only."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a design config dict."""
    return hashlib.sha256(canonical_json(dict(config)).encode("ascii")).hexdigest()


class PortDir(enum.StrEnum):
    """Direction of a top-level port."""

    IN = "in"
    OUT = "out"


class Role(enum.StrEnum):
    """What a port means (``docs/hardware.md`` defines each), shared by every family.

    A family reuses a role whose meaning it shares and adds a member here for a new one:
    the roles are the vocabulary external testbenches read from the manifest.
    """

    CLK = "clk"
    RST = "rst"
    A = "a"
    W = "w"
    VALID = "valid"
    CLEAR = "clear"
    ACC = "acc"
    FLAGS = "flags"
    OUT = "out"
    READY = "ready"
    LAST = "last"
    OUT_DATA = "out_data"
    OUT_ROW = "out_row"
    OUT_VALID = "out_valid"
    OUT_READY = "out_ready"
    OUT_FLAGS = "out_flags"
    META_VALID = "meta_valid"
    META_READY = "meta_ready"
    DTYPE = "dtype"
    SELECTOR = "selector"
    SCALE = "scale"
    SV_WE = "sv_we"
    SV_ADDR = "sv_addr"
    SV_DATA = "sv_data"
    OUT_MAN = "out_man"
    OUT_EXP = "out_exp"


@dataclass(frozen=True, kw_only=True)
class Port:
    """One top-level port.

    Attributes
    ----------
    name
        Verilog name.
    dir
        Direction.
    width
        Bits.
    role
        Meaning (:class:`Role`).
    signed
        Two's complement (the accumulator); Verilog declares it ``signed``.
    elements
        Number of equal fields packed in the port: element ``i`` occupies bits
        ``[i*width/elements, (i+1)*width/elements)`` (array rows / columns).
    """

    name: str
    dir: PortDir
    width: int
    role: Role
    signed: bool = False
    elements: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "dir", PortDir(self.dir))
        object.__setattr__(self, "role", Role(self.role))
        if self.elements < 1 or self.width % self.elements:
            raise HwgenError(
                f"port {self.name}: {self.width} bits do not split into {self.elements} elements"
            )

    @property
    def element_width(self) -> int:
        """Bits of one packed element."""
        return self.width // self.elements

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (enums as their string values)."""
        return {
            "name": self.name,
            "dir": str(self.dir),
            "width": self.width,
            "role": str(self.role),
            "signed": self.signed,
            "elements": self.elements,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Port:
        """Inverse of :meth:`to_dict` (``signed`` / ``elements`` optional: older manifests)."""
        name = d["name"]
        return cls(
            name=name,
            dir=check_enum(f"port {name!r} dir", PortDir, d["dir"]),
            # Strict: a width given as "4" or 4.0 is a hand edit, refused (not coerced).
            width=check_int(f"port {name!r} width", d["width"], 1),
            role=check_enum(f"port {name!r} role", Role, d["role"]),
            signed=_check_bool(f"port {name!r} signed", d.get("signed", False)),
            elements=check_int(f"port {name!r} elements", d.get("elements", 1), 1),
        )


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise HwgenError(f"{name} must be true or false, not {value!r}")
    return value


def clock_and_reset() -> tuple[Port, Port]:
    """The ``clk`` and ``rst`` ports Amaranth adds to every converted component."""
    return (
        Port(name="clk", dir=PortDir.IN, width=1, role=Role.CLK),
        Port(name="rst", dir=PortDir.IN, width=1, role=Role.RST),
    )


@dataclass(frozen=True, kw_only=True)
class ResetInfo:
    """The reset port and what it does.

    Attributes
    ----------
    port, polarity, synchronous
        ``rst``, active ``high``, synchronous to ``clk``.
    clears
        ``"all"``: the first rising edge that samples ``rst`` high sets every register
        (accumulator, flags, pipeline stages, delay lines, output buffers) to its reset
        value; inputs sampled while ``rst`` is high are ignored.
    drops_in_flight
        ``True``: a product accepted before that edge but not yet in ``acc`` (a pipelined
        MAC, an array's delay lines) is lost; it never shows up after the reset.
    """

    port: str = "rst"
    polarity: str = "high"
    synchronous: bool = True
    clears: str = "all"
    drops_in_flight: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "port": self.port,
            "polarity": self.polarity,
            "synchronous": self.synchronous,
            "clears": self.clears,
            "drops_in_flight": self.drops_in_flight,
        }


@dataclass(frozen=True, kw_only=True)
class AccumulatorInfo:
    """The accumulator actually built.

    Fixed point (``format`` is ``None``): value = signed ``bits``-bit integer x
    2**``lsb_exp``. Float (``format`` a registry name): ``acc`` is a ``bits``-bit code of
    that format, ``rounding`` (``fused`` / ``unfused``) and ``subnormals`` (``keep`` /
    ``flush``) say how it adds, ``lsb_exp`` is the format's smallest step and
    ``overflow`` what an overflowing sum becomes (``inf``, ``nan`` or ``saturate``).
    """

    bits: int
    lsb_exp: int
    overflow: str
    max_terms: int
    format: str | None = None
    rounding: str | None = None
    subnormals: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``format`` is ``null`` for a fixed-point accumulator)."""
        return {
            "bits": self.bits,
            "lsb_exp": self.lsb_exp,
            "overflow": self.overflow,
            "max_terms": self.max_terms,
            "format": self.format,
            "rounding": self.rounding,
            "subnormals": self.subnormals,
        }


@dataclass(frozen=True, kw_only=True)
class OutputInfo:
    """The optional float conversion of the accumulator (``out``)."""

    format: str
    rounding: str
    latency: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"format": self.format, "rounding": self.rounding, "latency": self.latency}


@dataclass(frozen=True, kw_only=True)
class ArrayInfo:
    """Shape of a PE array and the latency of its inner MAC units.

    ``pe_latency`` is ``latency`` of one PE (``1 + stages``); ``None`` only in manifests
    written before the field existed.
    """

    rows: int
    cols: int
    pe_latency: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"rows": self.rows, "cols": self.cols, "pe_latency": self.pe_latency}


@dataclass(frozen=True, kw_only=True)
class OptionSpec:
    """One config key as a command-line option (``hwgen generate <kind> --<key>``).

    Attributes
    ----------
    key
        The config key (``a_format`` -> ``--a-format``).
    type
        ``int`` or ``str`` (the config validates the value).
    help
        One line; the config's default is appended in brackets.
    required
        The option must be given.
    choices
        Allowed values (an enum's values), empty for free values.
    """

    key: str
    type: type
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DesignFacts:
    """The family-specific sections of a manifest (``docs/hardware.md``)."""

    a_format: str
    w_format: str
    accumulator: AccumulatorInfo
    output: OutputInfo | None = None
    array: ArrayInfo | None = None
    flags: Mapping[str, int] | None = None
    reset: ResetInfo = field(default_factory=ResetInfo)
    bitmod: Mapping[str, Any] | None = None
    pipeline: Mapping[str, Any] | None = None


class DesignConfig(ABC):
    """Base of every design family's frozen, validated config (see the module docstring).

    Subclasses are frozen ``kw_only`` dataclasses that validate in ``__post_init__`` with
    :mod:`hwgen._validate`, set :attr:`kind`, and implement the abstract members. The base
    supplies :meth:`from_dict` (unknown and missing keys rejected, then the constructor
    validates), :attr:`config_hash` and :meth:`create`.
    """

    kind: ClassVar[str]
    """Family-table key, e.g. ``"mac"`` (written as the manifest's ``kind``)."""

    # ----------------------------------------------------------------- identity
    @property
    @abstractmethod
    def name(self) -> str:
        """Stable Verilog module name, ``[a-z0-9_]`` only."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field (enums as their values); :meth:`from_dict` inverts it."""

    @classmethod
    @abstractmethod
    def keys(cls) -> tuple[str, ...]:
        """The keys :meth:`from_dict` accepts (those of :meth:`to_dict`)."""

    @classmethod
    def required_keys(cls) -> tuple[str, ...]:
        """Keys :meth:`from_dict` needs (the others have defaults)."""
        return ()

    @classmethod
    @abstractmethod
    def options(cls) -> tuple[OptionSpec, ...]:
        """The keys offered as ``hwgen generate <kind>`` options, in help order."""

    @classmethod
    def _build(cls, d: Mapping[str, Any]) -> Self:
        """Construct from a checked dict (override when the dict is not the field list)."""
        return cls(**dict(d))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Build a config from :meth:`to_dict` output (or any subset with the required keys).

        Raises
        ------
        HwgenError
            Not a mapping, unknown keys (the message lists the allowed ones), missing
            required keys, or an invalid value.
        """
        if not isinstance(d, Mapping):
            raise HwgenError(f"a {cls.kind} config must be a mapping, not {type(d).__name__}")
        allowed = cls.keys()
        unknown = sorted(set(map(str, d)) - set(allowed))
        if unknown:
            raise HwgenError(
                f"unknown {cls.kind} config keys: {', '.join(unknown)}; "
                f"allowed: {', '.join(allowed)}"
            )
        missing = [k for k in cls.required_keys() if k not in d]
        if missing:
            raise HwgenError(f"{cls.kind} config is missing required keys: {', '.join(missing)}")
        return cls._build(d)

    @property
    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (the manifest's ``config_hash``)."""
        return config_hash(self.to_dict())

    # ----------------------------------------------------------------- timing
    @property
    @abstractmethod
    def latency(self) -> int:
        """Rising edges from the edge sampling an input until the result shows it."""

    @property
    def out_latency(self) -> int:
        """Extra cycles of the optional output conversion (0: combinational)."""
        return 0

    def reset(self) -> ResetInfo:
        """The reset port and its behaviour (every hwgen design: synchronous, clears all)."""
        return ResetInfo()

    # ----------------------------------------------------------------- interface
    @abstractmethod
    def ports(self) -> tuple[Port, ...]:
        """Every top-level port in declaration order, ``clk`` and ``rst`` first."""

    @abstractmethod
    def facts(self) -> DesignFacts:
        """The family sections of the manifest."""

    @abstractmethod
    def golden(self) -> Any:
        """The golden model of this design (the family's bench knows its type)."""

    # ----------------------------------------------------------------- hardware
    def create(self) -> wiring.Component:
        """Build the Amaranth component (its module is imported now, not at import time)."""
        from hwgen.design.families import family

        return family(self.kind).rtl()(config=self)
