"""Typed reading of a parsed TOML document, with ``file:line`` in every error.

:class:`Document` is a parsed file plus the line of each key (:mod:`hwgen.sweep.toml_lines`);
:class:`Table` reads one table of it: typed getters that raise
``<file>:<line>: [<table>] <key> must be ..., not ...`` and :meth:`Table.finish`, which
rejects every key nobody asked for (``unknown key 'x' in [stages.verify]; allowed: ...``).
Section parsers (the sweep spec, each stage's options) read their tables only through it,
so every spec error names where it is.
"""

from __future__ import annotations

import builtins
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, TypeVar

from hwgen.errors import HwgenError
from hwgen.sweep.toml_lines import KeyLines, Path, key_lines

__all__ = ["Document", "Table", "format_path"]

T = TypeVar("T")
_MISSING: Any = object()


def format_path(path: Path) -> str:
    """``("stages", "verify")`` -> ``stages.verify``; ``("points", 2)`` -> ``points[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass(frozen=True)
class Document:
    """A parsed TOML file and the lines of its keys.

    Attributes
    ----------
    source
        How errors name the file (its path as given).
    text
        The file's text.
    data
        The parsed document.
    lines
        Where each key was written.
    """

    source: str
    text: str
    data: Mapping[str, Any]
    lines: KeyLines = field(repr=False)

    @classmethod
    def load(cls, path: str | FsPath, *, what: str = "sweep spec") -> Document:
        """Read and parse a TOML file.

        Raises
        ------
        HwgenError
            Missing file, a directory, unreadable bytes, or invalid TOML (with tomllib's
            own line and column).
        """
        p = FsPath(path)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise HwgenError(f"{what} not found: {p}") from None
        except IsADirectoryError:
            raise HwgenError(f"{what} {p} is a directory; give a .toml file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise HwgenError(f"cannot read {what} {p}: {exc}") from None
        return cls.parse(text, source=str(p))

    @classmethod
    def parse(cls, text: str, *, source: str = "<spec>") -> Document:
        """Parse TOML text (``source`` names it in errors)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise HwgenError(f"{source}: not valid TOML: {exc}") from None
        return cls(source=source, text=text, data=data, lines=key_lines(text))

    def where(self, path: Path) -> str:
        """``file:line`` of ``path`` (``file`` alone when no line is known)."""
        line = self.lines.line(path)
        return f"{self.source}:{line}" if line is not None else self.source

    def error(self, path: Path, message: str) -> HwgenError:
        """An error located at ``path``: ``file:line: message``."""
        return HwgenError(f"{self.where(path)}: {message}")

    def root(self) -> Table:
        """The top-level table."""
        return Table(self, (), self.data)


class Table:
    """One table of a :class:`Document`, read key by key.

    Every getter records the key as known; :meth:`finish` then rejects the rest.
    """

    def __init__(self, doc: Document, path: Path, data: Mapping[str, Any]) -> None:
        self.doc = doc
        self.path = path
        self.data = data
        self._seen: set[str] = set()

    # ------------------------------------------------------------------ locations
    @property
    def name(self) -> str:
        """``[stages.verify]`` style name (``top level`` for the root)."""
        return f"[{format_path(self.path)}]" if self.path else "the top level"

    def error(self, key: str | None, message: str) -> HwgenError:
        """An error at ``key`` of this table (or at the table itself)."""
        path = (*self.path, key) if key is not None else self.path
        return self.doc.error(path, message)

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def keys(self) -> list[str]:
        """The table's keys, in document order."""
        return list(self.data)

    # ------------------------------------------------------------------ getters
    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value as parsed (no type check); ``default`` when absent (error if none)."""
        self._seen.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            raise self.error(None, f"{self.name} is missing the key {key!r}")
        return default

    def get(
        self,
        key: str,
        kind: str,
        check: Callable[[Any], bool],
        default: Any = _MISSING,
    ) -> Any:
        """A value that passes ``check``; ``kind`` words the expectation in the error."""
        value = self.raw(key, default)
        if key in self.data and not check(value):
            raise self.error(key, f"{self.name} {key} must be {kind}, not {value!r}")
        return value

    def str(
        self, key: builtins.str, default: Any = _MISSING, *, choices: Sequence[builtins.str] = ()
    ) -> Any:
        """A string (one of ``choices`` when given)."""
        value = self.get(key, "a string", lambda v: isinstance(v, str), default)
        if choices and key in self.data and value not in choices:
            raise self.error(
                key, f"{self.name} {key} must be one of {', '.join(choices)}, not {value!r}"
            )
        return value

    def int(
        self, key: builtins.str, default: Any = _MISSING, *, lo: builtins.int | None = None
    ) -> Any:
        """An integer (``>= lo`` when given); bools are refused."""
        kind = "an integer" if lo is None else f"an integer >= {lo}"
        return self.get(
            key,
            kind,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and (lo is None or v >= lo),
            default,
        )

    def number(
        self, key: builtins.str, default: Any = _MISSING, *, positive: builtins.bool = False
    ) -> Any:
        """An int or float (``> 0`` when ``positive``), returned as float."""
        kind = "a number > 0" if positive else "a number"
        value = self.get(
            key,
            kind,
            lambda v: (
                isinstance(v, int | float) and not isinstance(v, bool) and (not positive or v > 0)
            ),
            default,
        )
        return float(value) if isinstance(value, int | float) else value

    def bool(self, key: builtins.str, default: Any = _MISSING) -> Any:
        """``true`` or ``false``."""
        return self.get(key, "true or false", lambda v: isinstance(v, bool), default)

    def list(
        self,
        key: builtins.str,
        default: Any = _MISSING,
        *,
        item: Callable[[Any], builtins.bool] = lambda v: True,
        kind: builtins.str = "a list",
        nonempty: builtins.bool = False,
        unique: builtins.str | None = None,
    ) -> Any:
        """A list whose items pass ``item`` (``kind`` words the whole expectation).

        ``unique`` names an item (``"target"``) when no item may repeat:
        ``[stages.cost] targets lists a target twice``.
        """
        value = self.get(
            key, kind, lambda v: isinstance(v, list) and all(item(x) for x in v), default
        )
        if nonempty and key in self.data and not value:
            raise self.error(key, f"{self.name} {key} is empty; give at least one value")
        if unique is not None and len(set(value)) != len(value):
            raise self.error(key, f"{self.name} {key} lists a {unique} twice")
        return value

    def table(self, key: builtins.str, *, required: builtins.bool = False) -> Table | None:
        """A sub-table (``None`` when absent and not required)."""
        self._seen.add(key)
        if key not in self.data:
            if required:
                raise self.error(None, f"{self.name} is missing the table [{key}]")
            return None
        value = self.data[key]
        if not isinstance(value, Mapping):
            raise self.error(key, f"{self.name} {key} must be a table, not {value!r}")
        return Table(self.doc, (*self.path, key), value)

    def tables(self, key: builtins.str) -> builtins.list[Table]:
        """An array of tables (``[[key]]``); empty when absent."""
        self._seen.add(key)
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.error(key, f"{self.name} {key} must be an array of tables ([[{key}]])")
        return [Table(self.doc, (*self.path, key, i), v) for i, v in enumerate(value)]

    def mark(self, keys: Iterable[builtins.str]) -> None:
        """Record ``keys`` as known without reading them."""
        self._seen.update(keys)

    def finish(self, allowed: Sequence[builtins.str] | None = None) -> None:
        """Reject every key no getter read (the first one in document order).

        Parameters
        ----------
        allowed
            The keys to list in the message (default: the keys read so far).
        """
        unknown = [k for k in self.data if k not in self._seen]
        if not unknown:
            return
        shown = sorted(self._seen) if allowed is None else list(allowed)
        first = min(unknown, key=lambda k: self.doc.lines.line((*self.path, k)) or 0)
        what = f"in {self.name}" if self.path else "at the top level"
        raise self.error(
            first,
            f"unknown key {first!r} {what}; allowed: {', '.join(shown) if shown else 'none'}",
        )


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (for optional sections)."""
    return value if isinstance(value, Mapping) else {}


def typed(value: object, cls: type[T]) -> T:
    """``value`` narrowed to ``cls`` (for type checkers after a checked getter)."""
    assert isinstance(value, cls)
    return value
