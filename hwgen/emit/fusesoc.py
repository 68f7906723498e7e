"""FuseSoC CAPI2 ``.core`` file of a generated design directory.

:func:`write_core` writes ``<name>.core`` next to ``manifest.json`` so FuseSoC / edalize
users can pull a generated design into their builds (``fusesoc library add``)::

    CAPI=2:
    name: hwgen:designs:<name>:<hwgen version>
    filesets:   rtl (the files of files.f, verilogSource), waivers (vlt, if any)
    targets:    default (toplevel), lint (Verilator -Wall), ice40 (icestorm + nextpnr, HX8K)

It reads only the family-independent manifest fields (``name``, ``top``, ``filelist``,
``waivers``, ``hwgen_version``), so every design family gets one. Strings are written as
JSON strings (valid YAML), so the file is deterministic and needs no YAML library.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError

__all__ = ["core_text", "write_core"]

_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _q(text: str) -> str:
    return json.dumps(text)


def core_text(design_dir: str | Path) -> str:
    """The ``.core`` text of a design directory (see the module docstring)."""
    ddir = Path(design_dir)
    man = Manifest.load(ddir)
    files = [
        ln.strip()
        for ln in (ddir / man.filelist).read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.lstrip().startswith(("#", "//"))
    ]
    return manifest_core_text(man, files)


def manifest_core_text(man: Manifest, files: list[str]) -> str:
    """The ``.core`` text for a manifest and its filelist entries (no file is read)."""
    if not _NAME.fullmatch(man.name):
        raise HwgenError(f"design name must use letters, digits, '_', '.', '-', not {man.name!r}")
    version = man.hwgen_version or "0.0.0"
    lines = [
        "CAPI=2:",
        f"name: {_q(f'hwgen:designs:{man.name}:{version}')}",
        f"description: {_q(f'hwgen-generated {man.kind} {man.top} (see manifest.json)')}",
        "",
        "filesets:",
        "  rtl:",
        "    file_type: verilogSource",
        "    files:",
        *(f"      - {_q(f)}" for f in files),
    ]
    if man.waivers:
        lines += [
            "  waivers:",
            "    file_type: vlt",
            "    files:",
            *(f"      - {_q(w)}" for w in man.waivers),
        ]
    lint_sets = ["rtl", "waivers"] if man.waivers else ["rtl"]
    lines += [
        "",
        "targets:",
        "  default:",
        "    filesets: [rtl]",
        f"    toplevel: {_q(man.top)}",
        "  lint:",
        "    default_tool: verilator",
        f"    filesets: [{', '.join(lint_sets)}]",
        f"    toplevel: {_q(man.top)}",
        "    tools:",
        "      verilator:",
        "        mode: lint-only",
        '        verilator_options: ["-Wall"]',
        "  ice40:",
        "    default_tool: icestorm",
        "    filesets: [rtl]",
        f"    toplevel: {_q(man.top)}",
        "    tools:",
        "      icestorm:",
        "        pnr: next",
        '        nextpnr_options: ["--hx8k", "--package", "ct256", "--freq", "100"]',
    ]
    return "\n".join(lines) + "\n"


def write_core(design_dir: str | Path) -> Path:
    """Write ``<name>.core`` into the design directory and return its path."""
    ddir = Path(design_dir)
    man = Manifest.load(ddir)
    path = ddir / f"{man.name}.core"
    path.write_text(core_text(ddir), encoding="utf-8")
    return path
