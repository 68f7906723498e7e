"""The manifest of a generated design directory (schema ``hwgen.manifest/1``).

``manifest.json`` is the one contract that testbenches, the cost model and external tools
read: which Verilog files to compile, the top module, its ports and what each port means,
the latency, the reset behaviour, the accumulator's fixed-point frame and the full design
config, from which :meth:`Manifest.design` rebuilds the config through the family table
(hwgen's own benches read everything else from that config, not from restated fields).
The schema is documented in ``docs/hardware.md``; :class:`Manifest` mirrors it field by
field. Fields added since the first release (``reset.clears``, ``reset.drops_in_flight``,
``array.pe_latency``, ``ports[].signed``, ``ports[].elements``, ``bitmod``) are optional on
load, so
older manifests still load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwgen._validate import check_identifier, check_int, check_relative_path
from hwgen.design.base import (
    AccumulatorInfo,
    ArrayInfo,
    DesignConfig,
    OutputInfo,
    Port,
    PortDir,
    ResetInfo,
    Role,
    canonical_json,
    config_hash,
)
from hwgen.errors import HwgenError, os_error_line

__all__ = [
    "SCHEMA",
    "AccumulatorInfo",
    "ArrayInfo",
    "Manifest",
    "OutputInfo",
    "Port",
    "PortDir",
    "ResetInfo",
    "Role",
    "canonical_json",
    "config_hash",
]

MAX_PORT_BITS = 1 << 16
"""Widest port a manifest may declare (a 64 x 64 array's flattened buses fit many times)."""
MAX_LATENCY = 1 << 12
"""Largest latency a manifest may declare (a bound for the simulator's wait loops)."""

SCHEMA = "hwgen.manifest/1"
"""The schema identifier written into (and required from) every manifest."""


_KEYS = (
    "schema",
    "hwgen_version",
    "kind",
    "name",
    "top",
    "verilog",
    "filelist",
    "waivers",
    "a_format",
    "w_format",
    "config",
    "config_hash",
    "latency",
    "clock",
    "reset",
    "accumulator",
    "output",
    "array",
    "flags",
    "ports",
    "bitmod",
    "pipeline",
)
#: Keys a manifest may omit (added after the first release; ``None`` when absent).
_OPTIONAL_KEYS = ("bitmod", "pipeline")


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """Everything a consumer needs to drive a generated design (schema ``hwgen.manifest/1``).

    Parameters
    ----------
    kind
        ``mac`` or ``array``.
    name
        Design (and directory) name; equals ``top``.
    top
        Verilog top module name.
    verilog, filelist, waivers
        Files in the design directory, relative to it.
    a_format, w_format
        Registry names of the operand formats.
    config
        The design config as ``to_dict()`` gives it; ``config_hash`` is its SHA-256.
    latency
        Rising edges from the edge that samples an input until the result shows (MAC: ``acc``
        includes the product; array: ``out_valid`` rises after the tile's last beat when
        the output buffer is free).
    accumulator, output, array, flags, ports
        See ``docs/hardware.md``.
    bitmod
        BitMoD PE facts (``docs/bitmod.md``, "Manifest"); ``None`` for other kinds.
    pipeline
        Where the ``stages`` registers sit and how many shorten the critical path
        (``docs/hardware.md``, "Pipelining"); MACs and arrays only.
    """

    kind: str
    name: str
    top: str
    verilog: tuple[str, ...]
    filelist: str
    waivers: tuple[str, ...]
    a_format: str
    w_format: str
    config: Mapping[str, Any]
    latency: int
    accumulator: AccumulatorInfo
    output: OutputInfo | None
    array: ArrayInfo | None
    flags: Mapping[str, int] | None
    ports: tuple[Port, ...]
    bitmod: Mapping[str, Any] | None = None
    pipeline: Mapping[str, Any] | None = None
    clock: str = "clk"
    reset: ResetInfo = field(default_factory=ResetInfo)
    hwgen_version: str = ""
    schema: str = SCHEMA

    def __post_init__(self) -> None:
        if self.schema != SCHEMA:
            raise HwgenError(f"manifest schema must be {SCHEMA!r}, not {self.schema!r}")
        if not self.hwgen_version:
            from hwgen import __version__

            object.__setattr__(self, "hwgen_version", __version__)
        from hwgen.design.families import family

        family(self.kind)  # a kind of the family table
        self._check_names()
        # Freeze the containers so a manifest cannot drift from its config hash.
        object.__setattr__(self, "kind", str(self.kind))
        object.__setattr__(self, "verilog", tuple(self.verilog))
        object.__setattr__(self, "waivers", tuple(self.waivers))
        object.__setattr__(self, "ports", tuple(self.ports))
        object.__setattr__(self, "config", json.loads(canonical_json(dict(self.config))))
        if self.flags is not None:
            object.__setattr__(self, "flags", dict(self.flags))
        if self.bitmod is not None:
            object.__setattr__(self, "bitmod", json.loads(canonical_json(dict(self.bitmod))))

    def _check_names(self) -> None:
        """Every name that reaches a tool script or command line is safe (see _validate)."""
        for key in ("name", "top", "clock"):
            check_identifier(key, getattr(self, key))
        check_identifier("reset.port", self.reset.port)
        for i, v in enumerate(self.verilog):
            check_relative_path(f"verilog[{i}]", v)
        if not self.verilog:
            raise HwgenError("verilog must list at least one file")
        check_relative_path("filelist", self.filelist)
        for i, v in enumerate(self.waivers):
            check_relative_path(f"waivers[{i}]", v)
        for i, p in enumerate(self.ports):
            check_identifier(f"ports[{i}].name", p.name)
            check_int(f"ports[{i}].width ({p.name})", p.width, 1, MAX_PORT_BITS)
            check_int(f"ports[{i}].elements ({p.name})", p.elements, 1, MAX_PORT_BITS)
        check_int("latency", self.latency, 0, MAX_LATENCY)

    @property
    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of :attr:`config`."""
        return config_hash(self.config)

    def design(self) -> DesignConfig:
        """The design config, rebuilt from :attr:`config` through the family table."""
        from hwgen.design.families import config_from_dict

        return config_from_dict(self.kind, self.config)

    def has_role(self, role: Role | str) -> bool:
        """Whether the design has a port with ``role``."""
        return any(p.role == role for p in self.ports)

    def port(self, role: Role | str) -> Port:
        """The port with ``role``; HwgenError when the design has none."""
        for p in self.ports:
            if p.role == role:
                return p
        roles = ", ".join(p.role for p in self.ports)
        raise HwgenError(f"design {self.name} has no port with role {role!r}; roles: {roles}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with exactly the schema's keys."""
        out = {
            "schema": self.schema,
            "hwgen_version": self.hwgen_version,
            "kind": str(self.kind),
            "name": self.name,
            "top": self.top,
            "verilog": list(self.verilog),
            "filelist": self.filelist,
            "waivers": list(self.waivers),
            "a_format": self.a_format,
            "w_format": self.w_format,
            "config": dict(self.config),
            "config_hash": self.config_hash,
            "latency": self.latency,
            "clock": self.clock,
            "reset": self.reset.to_dict(),
            "accumulator": self.accumulator.to_dict(),
            "output": None if self.output is None else self.output.to_dict(),
            "array": None if self.array is None else self.array.to_dict(),
            "flags": None if self.flags is None else dict(self.flags),
            "ports": [p.to_dict() for p in self.ports],
        }
        if self.bitmod is not None:  # only BitMoD designs: other manifests stay unchanged
            out["bitmod"] = dict(self.bitmod)
        if self.pipeline is not None:
            out["pipeline"] = dict(self.pipeline)
        return out

    def to_json(self) -> str:
        """The manifest as JSON text: sorted keys, 2-space indent, trailing newline."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "manifest") -> Manifest:
        """Validate a parsed manifest and build it.

        Raises
        ------
        HwgenError
            Unknown schema, missing or unknown keys, a ``config_hash`` that does not match
            ``config``, or malformed sub-objects; ``source`` names the file in the message.
        """
        if not isinstance(d, Mapping):
            raise HwgenError(f"{source}: a manifest must be a JSON object, not {type(d).__name__}")
        schema = d.get("schema")
        if schema != SCHEMA:
            raise HwgenError(
                f"{source}: unsupported manifest schema {schema!r}; expected {SCHEMA!r}"
            )
        missing = [k for k in _KEYS if k not in d and k not in _OPTIONAL_KEYS]
        if missing:
            raise HwgenError(f"{source}: manifest is missing keys: {', '.join(missing)}")
        unknown = sorted(set(d) - set(_KEYS))
        if unknown:
            raise HwgenError(
                f"{source}: unknown manifest keys: {', '.join(unknown)}; "
                f"allowed: {', '.join(_KEYS)}"
            )
        try:
            m = cls(
                schema=d["schema"],
                hwgen_version=str(d["hwgen_version"]),
                kind=str(d["kind"]),
                name=d["name"],
                top=d["top"],
                verilog=tuple(d["verilog"]),
                filelist=d["filelist"],
                waivers=tuple(d["waivers"]),
                a_format=d["a_format"],
                w_format=d["w_format"],
                config=d["config"],
                latency=check_int("latency", d["latency"], 0, MAX_LATENCY),
                clock=d["clock"],
                reset=ResetInfo(**d["reset"]),
                accumulator=AccumulatorInfo(**d["accumulator"]),
                output=None if d["output"] is None else OutputInfo(**d["output"]),
                array=None if d["array"] is None else ArrayInfo(**d["array"]),
                flags=d["flags"],
                ports=tuple(Port.from_dict(p) for p in d["ports"]),
                bitmod=d.get("bitmod"),
                pipeline=d.get("pipeline"),
            )
        except (TypeError, ValueError, KeyError) as e:
            if isinstance(e, HwgenError):
                raise HwgenError(f"{source}: {e}") from None
            raise HwgenError(f"{source}: malformed manifest: {e}") from None
        if d["config_hash"] != m.config_hash:
            raise HwgenError(
                f"{source}: config_hash {d['config_hash']!r} does not match the config "
                f"(sha256 {m.config_hash!r})"
            )
        return m

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        """Read and validate ``manifest.json`` (or a design directory containing one)."""
        p = Path(path)
        if p.is_dir():
            p = p / "manifest.json"
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise HwgenError(f"manifest not found: {p}") from None
        except UnicodeDecodeError as e:
            raise HwgenError(
                f"{p}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start})"
            ) from None
        except OSError as e:
            raise HwgenError(os_error_line(e, "read the manifest", p)) from None
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise HwgenError(f"{p}: not valid JSON: {e.msg} at line {e.lineno}") from None
        return cls.from_dict(d, source=str(p))
