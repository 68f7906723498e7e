"""A small reader and writer for the Liberty (``.lib``) text format.

Liberty is a tree of *groups* (``cell ("NAND2") { ... }``) holding *simple attributes*
(``area : 3.75 ;``), *complex attributes* (``index_1 ("0.01, 0.02") ;``) and nested groups.
:func:`parse` turns the text (plain or gzip-compressed bytes) into :class:`Group` objects
that keep every item in file order, so :func:`write` can print a (filtered) tree back with
the same numbers. Interpreting the tree (units, cells, tables) is
:mod:`costmodel.liberty.library`'s job.

The grammar handled is the one used by real libraries (SkyWater sky130, OpenSTA's
examples, commercial exports): ``/* */`` and ``//`` comments, ``\\`` line continuations,
quoted strings, optional ``;`` after attributes, empty argument lists.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from hwgen.errors import HwgenError

__all__ = ["Attribute", "ComplexAttribute", "Group", "LibertySyntaxError", "parse", "write"]


class LibertySyntaxError(HwgenError):
    """The text is not Liberty; the message names the line."""


@dataclass(slots=True)
class Attribute:
    """A simple attribute ``name : value ;`` (``value`` as written, quotes included)."""

    name: str
    value: str

    @property
    def text(self) -> str:
        """The value without surrounding quotes."""
        return unquote(self.value)


@dataclass(slots=True)
class ComplexAttribute:
    """A complex attribute ``name (arg, ...) ;`` (arguments as written)."""

    name: str
    args: tuple[str, ...]


@dataclass(slots=True)
class Group:
    """A group ``kind (args) { items }``; ``items`` keeps the file order."""

    kind: str
    args: tuple[str, ...]
    items: list[Attribute | ComplexAttribute | Group] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The first argument without quotes ("" for an anonymous group)."""
        return unquote(self.args[0]) if self.args else ""

    def groups(self, kind: str | None = None) -> Iterator[Group]:
        """Sub-groups (of one kind), in order."""
        for item in self.items:
            if isinstance(item, Group) and (kind is None or item.kind == kind):
                yield item

    def attr(self, name: str) -> str | None:
        """The unquoted value of the last simple attribute ``name`` (``None`` if absent)."""
        found = None
        for item in self.items:
            if isinstance(item, Attribute) and item.name == name:
                found = item.text
        return found

    def complex(self, name: str) -> tuple[str, ...] | None:
        """The unquoted arguments of the last complex attribute ``name``."""
        found = None
        for item in self.items:
            if isinstance(item, ComplexAttribute) and item.name == name:
                found = tuple(unquote(a) for a in item.args)
        return found


def unquote(text: str) -> str:
    """``"abc"`` -> ``abc``; anything else unchanged."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


# Comments and line continuations go first (they may sit anywhere between tokens).
_NOISE = re.compile(r"/\*.*?\*/|//[^\n]*|\\[ \t]*\r?\n", re.S)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}();:,]|[^\s{}();:,"]+|\n')
_PUNCT = frozenset("{}();:,")


def parse(data: str | bytes, *, source: str = "liberty") -> Group:
    """Parse Liberty text (``bytes`` may be gzip-compressed) into its top ``library`` group.

    Raises
    ------
    LibertySyntaxError
        Not valid Liberty, or no ``library`` group; the message names ``source`` and the line.
    """
    if isinstance(data, bytes):
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise LibertySyntaxError(f"{source}: not a valid gzip file ({exc})") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    else:
        text = data
    # Keep newlines out of comments/continuations countable: replace them by as many
    # newlines as they spanned, so error lines stay right.
    text = _NOISE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    tokens = _TOKEN.findall(text)
    return _Parser(tokens, source).library()


class _Parser:
    def __init__(self, tokens: list[str], source: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.line = 1
        self.source = source

    def _error(self, what: str) -> LibertySyntaxError:
        return LibertySyntaxError(f"{self.source}: line {self.line}: {what}")

    def _next(self) -> str | None:
        """The next token that is not a newline (counting lines), or None at the end."""
        tokens = self.tokens
        while self.pos < len(tokens):
            tok = tokens[self.pos]
            self.pos += 1
            if tok == "\n":
                self.line += 1
                continue
            return tok
        return None

    def _peek(self) -> str | None:
        save_pos, save_line = self.pos, self.line
        tok = self._next()
        self.pos, self.line = save_pos, save_line
        return tok

    def library(self) -> Group:
        tok = self._next()
        if tok is None:
            raise LibertySyntaxError(f"{self.source}: empty file, expected a library group")
        if tok != "library":
            raise self._error(f"expected 'library', found {tok!r}")
        group = self._group_rest("library")
        if self._next() is not None:
            raise self._error("text after the end of the library group")
        return group

    def _args(self) -> tuple[str, ...]:
        """Arguments after '(' up to ')' (consumed); a value may span several tokens."""
        args: list[str] = []
        current: list[str] = []
        while True:
            tok = self._next()
            if tok is None:
                raise self._error("unexpected end of file in an argument list")
            if tok == ")":
                if current:
                    args.append(" ".join(current))
                return tuple(args)
            if tok == ",":
                args.append(" ".join(current))
                current = []
            elif tok in "{};:" and len(tok) == 1:
                raise self._error(f"unexpected {tok!r} in an argument list")
            else:
                current.append(tok)

    def _group_rest(self, kind: str) -> Group:
        if self._next() != "(":
            raise self._error(f"expected '(' after {kind!r}")
        args = self._args()
        if self._next() != "{":
            raise self._error(f"expected '{{' to open group {kind!r}")
        return Group(kind, args, self._group_body(kind))

    def _group_body(self, kind: str) -> list[Attribute | ComplexAttribute | Group]:
        items: list[Attribute | ComplexAttribute | Group] = []
        while True:
            tok = self._next()
            if tok is None:
                raise self._error(f"unexpected end of file inside group {kind!r}")
            if tok == "}":
                return items
            if tok == ";":
                continue
            if tok in _PUNCT:
                raise self._error(f"unexpected {tok!r} inside group {kind!r}")
            nxt = self._next()
            if nxt == ":":
                items.append(Attribute(tok, self._value()))
            elif nxt == "(":
                args = self._args()
                if self._peek() == "{":
                    self._next()
                    items.append(Group(tok, args, self._group_body(tok)))
                else:
                    if self._peek() == ";":
                        self._next()
                    items.append(ComplexAttribute(tok, args))
            else:
                raise self._error(f"expected ':' or '(' after {tok!r}, found {nxt!r}")

    def _value(self) -> str:
        """A simple attribute's value: tokens up to ';' or the end of the line."""
        parts: list[str] = []
        tokens = self.tokens
        while self.pos < len(tokens):
            tok = tokens[self.pos]
            if tok == ";":
                self.pos += 1
                break
            if tok == "\n":
                if parts:
                    break  # a missing ';' at the end of the line
                self.pos += 1
                self.line += 1
                continue
            if tok in ("{", "}"):
                break
            parts.append(tok)
            self.pos += 1
        if not parts:
            raise self._error("attribute without a value")
        return " ".join(parts)


def write(group: Group, *, header: str = "", indent: str = "    ") -> str:
    """Liberty text of a group tree (``header`` goes first, as a ``/* */`` comment)."""
    out: list[str] = []
    if header:
        body = header.replace("*/", "* /")
        out.append("/*\n" + "\n".join(f" * {ln}".rstrip() for ln in body.splitlines()) + "\n */")
    _write_group(group, out, 0, indent)
    return "\n".join(out) + "\n"


def _write_group(group: Group, out: list[str], depth: int, indent: str) -> None:
    pad = indent * depth
    out.append(f"{pad}{group.kind} ({', '.join(group.args)}) {{")
    inner = indent * (depth + 1)
    for item in group.items:
        if isinstance(item, Group):
            _write_group(item, out, depth + 1, indent)
        elif isinstance(item, Attribute):
            out.append(f"{inner}{item.name} : {item.value} ;")
        elif len(item.args) > 1 and all(a.startswith('"') for a in item.args):
            # Table rows: one per line, as libraries print them.
            cont = ", \\\n" + inner + indent
            out.append(f"{inner}{item.name} ( \\\n{inner}{indent}{cont.join(item.args)} ) ;")
        else:
            out.append(f"{inner}{item.name} ({', '.join(item.args)}) ;")
    out.append(f"{pad}}}")
