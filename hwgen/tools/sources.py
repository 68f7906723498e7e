"""The files of a design: a design directory (``files.f`` + waivers) or explicit files.

Every tool that reads a design (lint, the simulators, Yosys) resolves it here, so the
filelist rules live in one place: ``files.f`` lists one path per line relative to the
directory (``#`` and ``//`` comment lines allowed); Verilator waivers (``*.vlt``) next to the
Verilog are applied even when the filelist lists only the sources.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen.errors import HwgenError

__all__ = ["DesignSources", "design_sources"]

#: Extensions of HDL sources and include headers (anything else in a filelist is rejected).
_SOURCE_SUFFIXES = (".v", ".sv")
_HEADER_SUFFIXES = (".vh", ".svh")
#: Verilator configuration (waiver) files.
WAIVER_SUFFIX = ".vlt"


@dataclass(frozen=True, slots=True)
class DesignSources:
    """The files of a design as absolute paths.

    Attributes
    ----------
    verilog:
        Sources to compile (``.v``, ``.sv``), in order.
    headers:
        Include files (``.vh``, ``.svh``): not compiled on their own; their directories
        are added to the include path.
    waivers:
        Verilator configuration files (``.vlt``).
    """

    verilog: tuple[Path, ...]
    headers: tuple[Path, ...]
    waivers: tuple[Path, ...]

    @property
    def include_dirs(self) -> tuple[Path, ...]:
        """Directories of all sources and headers, first occurrence first."""
        return tuple(dict.fromkeys(p.parent for p in (*self.verilog, *self.headers)))


def design_sources(
    design_dir_or_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> DesignSources:
    """Resolve a design directory or a list of files into HDL sources and waivers.

    Parameters
    ----------
    design_dir_or_files:
        Either a generated design directory, whose ``files.f`` (one path per line, relative
        to the directory) lists the sources, plus any ``*.vlt`` waiver file in the
        directory; or one file / a sequence of files (``.v``, ``.sv``, ``.vh``, ``.svh``
        sources and ``.vlt`` waivers).

    Returns
    -------
    DesignSources
        Absolute paths, in the given order, waivers separated from sources.

    Raises
    ------
    HwgenError
        A path that does not exist, a directory without ``files.f``, a file with an
        unsupported extension, or no HDL source at all.
    """
    if isinstance(design_dir_or_files, (str, os.PathLike)):
        root = Path(design_dir_or_files)
        if root.is_dir():
            return _directory_sources(root)
        entries: list[Path] = [root]
    else:
        entries = [Path(p) for p in design_dir_or_files]
    return _split_sources(entries)


def _directory_sources(root: Path) -> DesignSources:
    filelist = root / "files.f"
    if not filelist.is_file():
        raise HwgenError(f"design directory {root} has no files.f; pass the Verilog files instead")
    listed = [
        root / line.strip()
        for line in filelist.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "//"))
    ]
    # Waivers live next to the Verilog (docs/hardware.md); apply them even when files.f
    # lists only the sources.
    extra = [p for p in sorted(root.glob(f"*{WAIVER_SUFFIX}")) if p not in listed]
    return _split_sources(listed + extra)


def _split_sources(entries: Iterable[Path]) -> DesignSources:
    verilog: list[Path] = []
    headers: list[Path] = []
    waivers: list[Path] = []
    for entry in entries:
        if not entry.is_file():
            raise HwgenError(f"design file {entry} does not exist")
        suffix = entry.suffix.lower()
        if suffix == WAIVER_SUFFIX:
            waivers.append(entry.resolve())
        elif suffix in _SOURCE_SUFFIXES:
            verilog.append(entry.resolve())
        elif suffix in _HEADER_SUFFIXES:
            headers.append(entry.resolve())
        else:
            allowed = ", ".join((*_SOURCE_SUFFIXES, *_HEADER_SUFFIXES, WAIVER_SUFFIX))
            raise HwgenError(f"design file {entry} has extension {suffix!r}; allowed: {allowed}")
    if not verilog:
        raise HwgenError("no Verilog source given; pass a design directory or .v/.sv files")
    return DesignSources(verilog=tuple(verilog), headers=tuple(headers), waivers=tuple(waivers))
