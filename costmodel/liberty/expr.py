"""Liberty boolean expressions (``function``, ``when``, ``next_state``).

Operators, loosest first: ``|`` / ``+`` (or), ``&`` / ``*`` / juxtaposition (and), ``^``
(xor), prefix ``!`` and postfix ``'`` (not); ``0`` / ``1`` constants; parentheses.
:func:`parse_expr` gives an :class:`Expr` that evaluates on Python booleans or on numpy
boolean arrays (one entry per simulated cycle), so a cell's ``when`` condition can be
checked against a whole activity trace at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.errors import HwgenError

__all__ = ["Expr", "parse_expr"]

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_\[\]\.]*)|([01])|(.))")


@dataclass(frozen=True, slots=True)
class Expr:
    """A parsed boolean expression.

    Attributes
    ----------
    op:
        ``"var"``, ``"const"``, ``"not"``, ``"and"``, ``"or"`` or ``"xor"``.
    name:
        Variable name (``op == "var"``).
    value:
        Constant (``op == "const"``).
    args:
        Operands.
    """

    op: str
    name: str = ""
    value: bool = False
    args: tuple[Expr, ...] = ()

    def variables(self) -> frozenset[str]:
        """Every variable the expression reads."""
        if self.op == "var":
            return frozenset((self.name,))
        out: frozenset[str] = frozenset()
        for a in self.args:
            out |= a.variables()
        return out

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """The value with ``env[name]`` for each variable (bools or numpy bool arrays)."""
        op = self.op
        if op == "var":
            try:
                return env[self.name]
            except KeyError:
                raise HwgenError(f"expression variable {self.name!r} has no value") from None
        if op == "const":
            return self.value
        vals = [a.evaluate(env) for a in self.args]
        if op == "not":
            v = vals[0]
            return (not v) if isinstance(v, bool) else ~v
        result = vals[0]
        for v in vals[1:]:
            if op == "and":
                result = result & v
            elif op == "or":
                result = result | v
            else:
                result = result ^ v
        return result


def parse_expr(text: str) -> Expr:
    """Parse a Liberty boolean expression.

    Raises
    ------
    HwgenError
        Not a valid expression (the message quotes it).
    """
    tokens: list[str] = []
    pos = 0
    stripped = text.strip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None or m.end() == pos:
            break
        tok = m.group(1) or m.group(2) or m.group(3)
        if tok.strip():
            tokens.append(tok)
        pos = m.end()
    parser = _ExprParser(tokens, text)
    expr = parser.or_expr()
    if parser.pos != len(tokens):
        raise HwgenError(f"invalid boolean expression {text!r}: unexpected {tokens[parser.pos]!r}")
    return expr


class _ExprParser:
    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.text = text

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        tok = self._peek()
        if tok is None:
            raise HwgenError(f"invalid boolean expression {self.text!r}: ends too early")
        self.pos += 1
        return tok

    def or_expr(self) -> Expr:
        args = [self.and_expr()]
        while self._peek() in ("|", "+"):
            self._take()
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else Expr("or", args=tuple(args))

    def and_expr(self) -> Expr:
        args = [self.xor_expr()]
        while True:
            tok = self._peek()
            if tok in ("&", "*"):
                self._take()
            elif tok is None or tok in ("|", "+", ")", "^", "'"):
                break
            # Juxtaposition: "A B" is A & B.
            args.append(self.xor_expr())
        return args[0] if len(args) == 1 else Expr("and", args=tuple(args))

    def xor_expr(self) -> Expr:
        args = [self.unary()]
        while self._peek() == "^":
            self._take()
            args.append(self.unary())
        return args[0] if len(args) == 1 else Expr("xor", args=tuple(args))

    def unary(self) -> Expr:
        if self._peek() == "!":
            self._take()
            return Expr("not", args=(self.unary(),))
        expr = self.primary()
        while self._peek() == "'":
            self._take()
            expr = Expr("not", args=(expr,))
        return expr

    def primary(self) -> Expr:
        tok = self._take()
        if tok == "(":
            expr = self.or_expr()
            if self._take() != ")":
                raise HwgenError(f"invalid boolean expression {self.text!r}: missing ')'")
            return expr
        if tok in ("0", "1"):
            return Expr("const", value=tok == "1")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\[\]\.]*", tok):
            return Expr("var", name=tok)
        raise HwgenError(f"invalid boolean expression {self.text!r}: unexpected {tok!r}")
