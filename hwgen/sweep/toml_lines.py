"""Line numbers of the keys and tables of a TOML document.

:mod:`tomllib` parses a document but forgets where each key was written, and a sweep spec
must name ``file:line`` in its error messages. :func:`key_lines` recovers the lines with a
small scan of the text, which is enough because it runs only on documents that
:mod:`tomllib` has already accepted (so the syntax is known to be valid):

* ``[a.b]`` gives the path ``("a", "b")``; the n-th ``[[a]]`` gives ``("a", n)``;
* ``key = ...`` and dotted ``x.y = ...`` give the key's full path under the current table;
* keys inside an inline table or a multi-line value are not listed; :meth:`KeyLines.line`
  then falls back to the nearest listed ancestor (the line of ``key = { ... }``).

Strings (basic, literal, multi-line) and comments are skipped, so a ``=`` or ``[`` inside
them is never taken for syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["KeyLines", "Path", "key_lines"]

Path = tuple[str | int, ...]
"""A key path: table and key names, and array-of-tables indices."""

_BARE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class KeyLines:
    """Where each table header and key of a document was written (1-based lines)."""

    lines: Mapping[Path, int]

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest listed ancestor; ``None`` for none."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


def _parse_key(text: str, i: int) -> tuple[list[str], int]:
    """A (dotted) key starting at ``text[i]``: its parts and the index after it."""
    parts: list[str] = []
    n = len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "\"'":
            quote = text[i]
            j = i + 1
            buf = []
            while j < n and text[j] != quote:
                if quote == '"' and text[j] == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        else:
            m = _BARE.match(text, i)
            if m is None:
                return parts, i
            parts.append(m.group(0))
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == ".":
            i += 1
            continue
        return parts, i


class _Scanner:
    """Tracks strings, brackets and multi-line values across the lines of a document."""

    def __init__(self) -> None:
        self.depth = 0  # open [ and { of a value
        self.ml: str | None = None  # open multi-line string delimiter

    @property
    def in_value(self) -> bool:
        return self.depth > 0 or self.ml is not None

    def consume(self, text: str, i: int) -> None:
        """Advance over the value text ``text[i:]``, updating the open-construct state."""
        n = len(text)
        while i < n:
            if self.ml is not None:
                end = text.find(self.ml, i)
                if end < 0:
                    return
                i = end + 3
                self.ml = None
                continue
            c = text[i]
            if c == "#":
                return
            if text.startswith('"""', i) or text.startswith("'''", i):
                self.ml = text[i : i + 3]
                i += 3
                continue
            if c in "\"'":
                j = i + 1
                while j < n and text[j] != c:
                    j += 2 if c == '"' and text[j] == "\\" else 1
                i = j + 1
                continue
            if c in "[{":
                self.depth += 1
            elif c in "]}":
                self.depth -= 1
            i += 1


def key_lines(text: str) -> KeyLines:
    """Scan a (valid) TOML document for the line of every header and top-level-of-table key.

    Parameters
    ----------
    text
        The document; it must already parse with :mod:`tomllib`.

    Returns
    -------
    KeyLines
    """
    lines: dict[Path, int] = {}
    table: Path = ()
    aot_count: dict[Path, int] = {}
    scan = _Scanner()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if scan.in_value:
            scan.consume(raw, 0)
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            parts, _ = _parse_key(stripped, 2)
            base = tuple(parts)
            index = aot_count.get(base, 0)
            aot_count[base] = index + 1
            table = (*_resolve(base, aot_count), index)
            lines.setdefault(base, lineno)
            lines[table] = lineno
            continue
        if stripped.startswith("["):
            parts, _ = _parse_key(stripped, 1)
            table = _resolve(tuple(parts), aot_count)
            lines.setdefault(table, lineno)
            continue
        parts, i = _parse_key(raw, 0)
        if not parts:
            continue
        path = (*table, *parts)
        lines.setdefault(path, lineno)
        eq = raw.find("=", i)
        scan.consume(raw, eq + 1 if eq >= 0 else i)
    return KeyLines(lines)


def _resolve(parts: tuple[str, ...], aot_count: Mapping[Path, int]) -> Path:
    """Insert the current array-of-tables index after each prefix that is one.

    ``[points.extra]`` after two ``[[points]]`` headers belongs to ``points[1]``.
    """
    out: list[str | int] = []
    for k in range(1, len(parts) + 1):
        out.append(parts[k - 1])
        prefix = parts[:k]
        if k < len(parts) and prefix in aot_count:
            out.append(aot_count[prefix] - 1)
    return tuple(out)
