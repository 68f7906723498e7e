"""The design families a sweep can build: family name -> config keys and config builder.

A sweep point names a family (the ``family`` axis, a kind of the design family table
:mod:`hwgen.design.families`) and a flat dict of config keys; this table turns it into the
family's frozen, validated config through ``family(kind).config.from_dict`` and takes the
keys a family accepts from ``.keys()``. It is the sweep's only contact with the design
layer, so a new family (a float-accumulating MAC, the BitMoD PE) is one line in the design
table plus one :class:`SweepFamily` line here, and nothing else in the sweep changes.

Every config is a :class:`~hwgen.design.base.DesignConfig`; the stages rely on its
``name``, ``to_dict()``, ``config_hash`` and ``create()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.errors import HwgenError

__all__ = ["FAMILIES", "SweepFamily", "design_class", "family"]


@dataclass(frozen=True)
class SweepFamily:
    """One buildable design family.

    Attributes
    ----------
    name
        The value of the ``family`` axis.
    summary
        One line for help texts and the report.
    keys
        Config keys the family's config accepts (a point's keys outside this set do not
        apply to the family and are dropped).
    build
        ``config_dict -> config``; raises :class:`~hwgen.errors.HwgenError` for a
        combination the family cannot build.
    design_class
        Fixed design class for the plots (``"bitmod"`` for a BitMoD PE); ``None`` derives
        it from the operand formats (:func:`design_class`).
    """

    name: str
    summary: str
    keys: Callable[[], tuple[str, ...]]
    build: Callable[[Mapping[str, Any]], Any]
    design_class: str | None = None


def _keys(kind: str) -> Callable[[], tuple[str, ...]]:
    def keys() -> tuple[str, ...]:
        from hwgen.design.families import family as design_family

        return design_family(kind).config.keys()

    return keys


def _build(kind: str) -> Callable[[Mapping[str, Any]], Any]:
    def build(d: Mapping[str, Any]) -> Any:
        from hwgen.design.families import family as design_family

        return design_family(kind).config.from_dict(dict(d))

    return build


def _sweep_family(kind: str, summary: str, design_class: str | None = None) -> SweepFamily:
    """A sweep family backed by the design family table entry ``kind``."""
    return SweepFamily(kind, summary, _keys(kind), _build(kind), design_class)


FAMILIES: Mapping[str, SweepFamily] = {
    f.name: f
    for f in (
        _sweep_family("mac", "a bit-parallel MAC unit"),
        _sweep_family("array", "an R x C output-stationary PE array of MACs"),
    )
}
"""Every family a sweep can build, by name."""


def family(name: object) -> SweepFamily:
    """The family called ``name``.

    Raises
    ------
    HwgenError
        Unknown family (the message lists the known ones).
    """
    try:
        return FAMILIES[str(name)]
    except KeyError:
        raise HwgenError(f"family must be one of {', '.join(FAMILIES)}, not {name!r}") from None


def design_class(a_format: str, w_format: str, fam: SweepFamily | None = None) -> str:
    """The design class a plot colours a design by.

    ``int`` (both operands integers), ``minifloat`` (both floats), ``mixed`` (one of
    each), ``table`` (a lookup-table format such as flint or a BitMoD variant) or the
    family's own class (``bitmod`` for a BitMoD PE).
    """
    if fam is not None and fam.design_class is not None:
        return fam.design_class
    from hwgen.formats import FormatKind, get

    kinds = set()
    for name in (a_format, w_format):
        fmt = get(name)
        kind = getattr(fmt, "kind", None)
        if name.startswith("bitmod"):
            return "bitmod"
        kinds.add(kind)
    if kinds == {FormatKind.INT}:
        return "int"
    if kinds == {FormatKind.FLOAT}:
        return "minifloat"
    if FormatKind.TABLE in kinds or None in kinds:
        return "table"
    return "mixed"
