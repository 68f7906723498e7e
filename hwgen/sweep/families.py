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
    adapt
        Sweep items -> (config items, operand formats) for a family whose config does not
        take ``a_format`` / ``w_format`` itself (the BitMoD PE: its activation format is
        ``act_format``, its weights a per-group mixture the PE serves). ``None``: the
        items are the config's, the formats its own ``a_format`` / ``w_format``.
    """

    name: str
    summary: str
    keys: Callable[[], tuple[str, ...]]
    build: Callable[[Mapping[str, Any]], Any]
    design_class: str | None = None
    adapt: Callable[[Mapping[str, Any]], tuple[dict[str, Any], tuple[str, str]]] | None = None

    def sweep_keys(self) -> tuple[str, ...]:
        """Sweep items the family takes (its config keys, plus the formats it adapts)."""
        keys = self.keys()
        if self.adapt is not None:
            keys = (*keys, "a_format", "w_format")
        return keys

    def config_items(self, items: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, str]]:
        """(config items, (activation format, weight format)) of a point's sweep items.

        Raises
        ------
        HwgenError
            Formats the family cannot serve (unbuildable).
        """
        if self.adapt is not None:
            return self.adapt(items)
        return dict(items), (str(items["a_format"]), str(items["w_format"]))


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


def _sweep_family(
    kind: str,
    summary: str,
    design_class: str | None = None,
    adapt: Callable[[Mapping[str, Any]], tuple[dict[str, Any], tuple[str, str]]] | None = None,
) -> SweepFamily:
    """A sweep family backed by the design family table entry ``kind``."""
    return SweepFamily(kind, summary, _keys(kind), _build(kind), design_class, adapt)


BITMOD_WEIGHTS = ("bitmod_fp4", "bitmod_fp3", "int8", "int6", "int4", "int3")
"""Weight formats a BitMoD PE serves: its FP4/FP3 mixtures and its integer datatypes."""


def _adapt_bitmod(items: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, str]]:
    """BitMoD PE: ``a_format`` is its ``act_format``; ``w_format`` one datatype it serves.

    The PE's ``weight_types`` are left at the config's default (every type, selected per
    group at run time), so one PE serves each weight format; the point's weight format
    says which one the accuracy stages quantize to.
    """
    from hwgen.golden.bitmod.config import ACT_FORMATS

    cfg = {k: v for k, v in items.items() if k not in ("a_format", "w_format")}
    a, w = str(items["a_format"]), str(items["w_format"])
    if a not in ACT_FORMATS:
        raise HwgenError(
            f"bitmod_pe activations must be one of {', '.join(ACT_FORMATS)}, not {a!r}"
        )
    if w not in BITMOD_WEIGHTS:
        raise HwgenError(f"bitmod_pe weights must be one of {', '.join(BITMOD_WEIGHTS)}, not {w!r}")
    cfg["act_format"] = a
    return cfg, (a, w)


FAMILIES: Mapping[str, SweepFamily] = {
    f.name: f
    for f in (
        _sweep_family("mac", "a bit-parallel MAC unit (fixed-point or float accumulator)"),
        _sweep_family("array", "an R x C output-stationary PE array of MACs"),
        _sweep_family(
            "bitmod_pe",
            "a BitMoD bit-serial mixture-of-datatypes PE (dot lanes, per-group datatypes)",
            design_class="bitmod",
            adapt=_adapt_bitmod,
        ),
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
