"""TOML design specs: one file describes one MAC unit or PE array.

A spec holds a single ``[design]`` table. ``kind`` selects the design; every other key is a
config field with the same name as the ``hwgen generate`` option (``a_format`` for
``--a-format``; the dashed spelling ``a-format`` is accepted too)::

    [design]
    kind = "array"          # a kind of the family table: "mac" | "array"
    a_format = "fp8_e4m3"
    w_format = "int8"
    rows = 4                # arrays only
    cols = 4                # arrays only
    stages = 1
    overflow = "wrap"       # "exact" | "wrap" | "saturate"
    acc_bits = 24

Omitted keys take the config's own defaults, so a spec never restates them. Kinds and their
keys come from the family table (:mod:`hwgen.design.families`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwgen.design.base import DesignConfig
from hwgen.design.families import family, kinds
from hwgen.errors import HwgenError, os_error_line

TABLE = "design"
"""The only table a spec may hold."""


def allowed_keys(kind: str) -> tuple[str, ...]:
    """Keys a ``[design]`` table of this kind accepts (``kind`` included)."""
    return ("kind", *family(kind).config.keys())


def parse_design(doc: Mapping[str, Any], *, source: str = "spec") -> DesignConfig:
    """Build the config a parsed spec describes.

    Parameters
    ----------
    doc
        The parsed TOML document.
    source
        Names the spec in error messages.

    Raises
    ------
    HwgenError
        A missing or extra table, a missing or unknown ``kind``, unknown keys (the message
        lists the allowed ones), a key given twice (``a_format`` and ``a-format``), or any
        value the config rejects.
    """
    extra = sorted(set(doc) - {TABLE})
    if extra:
        raise HwgenError(f"{source}: unknown top-level keys: {', '.join(extra)}; allowed: {TABLE}")
    table = doc.get(TABLE)
    if not isinstance(table, Mapping):
        raise HwgenError(f"{source}: missing [{TABLE}] table")
    spec: dict[str, Any] = {}
    for key, value in table.items():
        norm = key.replace("-", "_")
        if norm in spec:
            raise HwgenError(f"{source}: key {norm!r} is given twice")
        spec[norm] = value
    if "kind" not in spec:
        known = " or ".join(repr(k) for k in kinds())
        raise HwgenError(f"{source}: [{TABLE}] is missing kind ({known})")
    kind = spec.pop("kind")
    if kind not in kinds():
        raise HwgenError(
            f"{source}: kind must be one of {', '.join(kinds())}, not {table['kind']!r}"
        )
    allowed = allowed_keys(kind)
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise HwgenError(
            f"{source}: unknown keys for kind {kind!r}: {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
    try:
        return family(kind).config.from_dict(spec)
    except HwgenError as e:
        # The config names the key; the file is named here (one line: "<file>: <key> ...").
        raise HwgenError(f"{source}: [{TABLE}] {e}") from None


def load_design(path: str | Path) -> DesignConfig:
    """Read a TOML spec file and build its config (see :func:`parse_design`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HwgenError(f"design spec not found: {p}") from None
    except IsADirectoryError:
        raise HwgenError(f"design spec {p} is a directory; give a .toml file") from None
    except UnicodeDecodeError as e:
        raise HwgenError(
            f"{p}: not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
            "a design spec is a UTF-8 TOML file"
        ) from None
    except OSError as e:
        raise HwgenError(os_error_line(e, "read the design spec", p)) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise HwgenError(f"{p}: not valid TOML: {e}") from None
    return parse_design(doc, source=str(p))
