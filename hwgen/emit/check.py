"""Check a design directory before anything simulates or prices it.

A manifest is read by the harness (ports, widths, latency) while the benches and the cost
model rebuild the design from its ``config``; the Verilog is what actually runs. A manifest
edited by hand (or a Verilog file swapped) can make the three disagree and still "PASS".
:func:`check_design_dir` refuses that, naming the first field that disagrees:

1. the manifest's own fields are well formed (names are identifiers, files are relative
   paths inside the directory: :mod:`hwgen._validate`), and ``config_hash`` matches
   ``config`` (:meth:`Manifest.from_dict`);
2. every field restated from the config (format names, latency, accumulator, ports, ...)
   equals what the config derives (:func:`hwgen.emit.build_manifest`); a mismatch is an
   *inconsistent manifest*, never reported as a wrong result of the design;
3. the Verilog files exist inside the directory and the top module's port list, with the
   widths and directions of its Verilog-2005 declarations, equals the manifest's ports.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hwgen.design.base import DesignConfig
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError, os_error_line

__all__ = ["check_design_dir", "check_manifest", "verilog_ports"]

_SKIP = ("hwgen_version", "verilog", "waivers", "filelist")
"""Fields a config does not determine: the hwgen release, and the file list (a design dir may
hold other Verilog of the same module, e.g. a gate-level netlist plus its cell models; the
files are checked by :func:`check_design_dir`: inside the dir, present, and defining ``top``
with the manifest's ports)."""

_MODULE = re.compile(r"^\s*module\s+(\w+)\s*\(([^)]*)\)\s*;", re.M)
_DECL = re.compile(
    r"^\s*(input|output|inout)\s+(?:wire\s+|reg\s+)?(signed\s+)?(?:\[(\d+):(\d+)\]\s*)?(\w+)\s*;",
    re.M,
)


def _first_difference(got: Any, want: Any, path: str) -> tuple[str, Any, Any] | None:
    if isinstance(got, dict) and isinstance(want, dict):
        for key in sorted(set(got) | set(want)):
            d = _first_difference(got.get(key), want.get(key), f"{path}.{key}" if path else key)
            if d is not None:
                return d
        return None
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return (f"{path} (length)", len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            d = _first_difference(g, w, f"{path}[{i}]")
            if d is not None:
                return d
        return None
    if type(got) is not type(want) or got != want:
        return (path, got, want)
    return None


def check_manifest(man: Manifest, *, source: str = "manifest") -> DesignConfig:
    """The design config of ``man``, after checking every restated field against it.

    Raises
    ------
    HwgenError
        ``config`` is not a valid config, or a field differs from what the config derives:
        ``<source>: inconsistent manifest: <field> is <value>, but its config gives <value>``.
    """
    from hwgen.emit import build_manifest

    try:
        config = man.design()
    except HwgenError as e:
        raise HwgenError(f"{source}: invalid config: {e}") from None
    want = build_manifest(config, waivers=man.waivers).to_dict()
    got = man.to_dict()
    for key in _SKIP:
        want.pop(key, None)
        got.pop(key, None)
    diff = _first_difference(got, want, "")
    if diff is not None:
        field, g, w = diff
        raise HwgenError(
            f"{source}: inconsistent manifest: {field} is {g!r}, but its config gives {w!r} "
            "(edited by hand? regenerate the design with hwgen generate)"
        )
    return config


def verilog_ports(text: str, top: str) -> list[tuple[str, str, int, bool]]:
    """``(name, dir, width, signed)`` of module ``top``'s ports, in port-list order.

    A small parser of the Verilog-2005 port declarations hwgen emits (non-ANSI header,
    one ``input [h:l] name;`` per port); it is not a general Verilog parser.

    Raises
    ------
    HwgenError
        No module ``top``, or a port of its header without a declaration.
    """
    mods = {m[1]: m for m in _MODULE.finditer(text)}
    m = mods.get(top)
    if m is None:
        raise HwgenError(f"no module {top} in the Verilog (modules: {', '.join(mods) or 'none'})")
    end = text.find("endmodule", m.end())
    body = text[m.end() : end if end >= 0 else len(text)]
    decls = {}
    for d in _DECL.finditer(body):
        hi, lo = d[3], d[4]
        width = abs(int(hi) - int(lo)) + 1 if hi is not None else 1
        decls[d[5]] = (d[5], {"input": "in", "output": "out"}.get(d[1], d[1]), width, bool(d[2]))
    ports = []
    for name in (p.strip() for p in m[2].split(",") if p.strip()):
        if name not in decls:
            raise HwgenError(f"port {name} of module {top} has no declaration in the Verilog")
        ports.append(decls[name])
    return ports


def check_design_dir(ddir: Path, man: Manifest) -> DesignConfig:
    """Check ``man`` (loaded from ``ddir``) against its config and its Verilog.

    Returns
    -------
    DesignConfig
        The design's config.

    Raises
    ------
    HwgenError
        See the module docstring; the message names the manifest field or file.
    """
    source = str(ddir / "manifest.json")
    config = check_manifest(man, source=source)
    root = ddir.resolve()
    texts = []
    for i, rel in enumerate((*man.verilog, *man.waivers)):
        path = (ddir / rel).resolve()
        if not path.is_relative_to(root):
            raise HwgenError(f"{source}: file {rel!r} lies outside the design directory")
        if not path.is_file():
            raise HwgenError(f"{source}: file {rel!r} is missing from {ddir}")
        if i < len(man.verilog):
            try:
                texts.append(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as e:
                if isinstance(e, OSError):
                    raise HwgenError(os_error_line(e, "read the Verilog file", path)) from None
                raise HwgenError(f"{path}: not UTF-8 text") from None
    try:
        found = verilog_ports("\n".join(texts), man.top)
    except HwgenError as e:
        raise HwgenError(f"{ddir}: {e}") from None
    # Signedness is compared one way only: a gate-level netlist (Yosys ``write_verilog``)
    # drops ``signed`` from its ports, and the bits on the wire are the same; a port the
    # Verilog declares signed must be signed in the manifest too.
    have = {f[0]: f for f in found}
    for p in man.ports:
        f = have.get(p.name)
        if f is None:
            raise HwgenError(f"{source}: port {p.name} is not a port of {man.top} in the Verilog")
        if (f[1], f[2]) != (str(p.dir), p.width) or (f[3] and not p.signed):
            raise HwgenError(
                f"{source}: port {p.name} is {p.dir} {p.width} bits (signed={p.signed}) in the "
                f"manifest but {f[1]} {f[2]} bits (signed={f[3]}) in the Verilog"
            )
    extra = sorted(set(have) - {p.name for p in man.ports})
    if extra:
        raise HwgenError(
            f"{source}: the Verilog of {man.top} has ports the manifest lacks: {extra}"
        )
    return config
