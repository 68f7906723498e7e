"""Design points: the spec's axes, explicit points and constraints expanded into configs.

:func:`expand` walks the cross product of ``[axes]`` (in spec order, the last axis
fastest), then the ``[[points]]``, completes each with ``[fixed]`` (and the default family
``mac``), drops the parameters its family does not take (a MAC has no rows), applies the
``[[constraints.exclude]]`` rules and builds the family's config. A config that raises
:class:`~hwgen.errors.HwgenError` is *unbuildable*: skipped with its reason when
``[constraints] unbuildable = "skip"``, a one-line error naming the point otherwise.
Points whose configs are equal are merged (the first one's origin is kept).

A :class:`DesignPoint` is plain data (family name + config dict), so it pickles cheaply to
worker processes and Dask workers, which rebuild the config with :meth:`DesignPoint.config`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hwgen.errors import HwgenError
from hwgen.sweep.families import SweepFamily, design_class, family
from hwgen.sweep.params import config_items
from hwgen.sweep.spec import DEFAULT_FAMILY, SweepSpec, Unbuildable

__all__ = [
    "DesignPoint",
    "SkippedPoint",
    "canonical_json",
    "combination_point",
    "expand",
    "no_points",
]


def canonical_json(obj: Any) -> str:
    """Canonical JSON text: sorted keys, no whitespace, ASCII (the input of every hash)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class DesignPoint:
    """One buildable design of a sweep.

    Attributes
    ----------
    family
        Family name (:mod:`hwgen.sweep.families`).
    config
        The config's ``to_dict()`` (JSON values).
    name
        The config's module name (``mac_int4_x_int4_acc14_s0``).
    design_class
        ``int``, ``minifloat``, ``mixed``, ``table`` or ``bitmod`` (plot colours).
    origin
        Where it came from: ``axes`` or ``points[<i>]``.
    formats
        ``(activation, weight)`` formats the point is evaluated with; for families whose
        config names them (MAC, array) they are the config's ``a_format`` / ``w_format``,
        for the BitMoD PE the weight format is the mixture (or datatype) it serves.
    in_subset
        Whether the point runs the stages of the spec's ``[subset]``
        (:mod:`hwgen.sweep.subset`; ``True`` without one). Not part of its identity.
    """

    family: str
    config: Mapping[str, Any]
    name: str
    design_class: str
    origin: str
    formats: tuple[str, str] | None = None
    in_subset: bool = True
    config_hash: str = field(init=False)

    def __post_init__(self) -> None:
        if self.formats is None:
            fmts = (str(self.config["a_format"]), str(self.config["w_format"]))
            object.__setattr__(self, "formats", fmts)
        identity: dict[str, Any] = {"family": self.family, "config": dict(self.config)}
        if "a_format" not in self.config:
            # Formats outside the config are part of the point (one BitMoD PE, two mixtures).
            identity["formats"] = list(self.operands)
        digest = hashlib.sha256(canonical_json(identity).encode("ascii")).hexdigest()
        object.__setattr__(self, "config_hash", digest)

    @property
    def point_id(self) -> str:
        """Short stable id: the first 12 hex digits of :attr:`config_hash`."""
        return self.config_hash[:12]

    @property
    def dir_name(self) -> str:
        """Folder name of the point's design: ``<name>-<point_id[:8]>``."""
        return f"{self.name}-{self.point_id[:8]}"

    def build(self) -> Any:
        """The family's config object (validated again)."""
        return family(self.family).build(self.config)

    @property
    def operands(self) -> tuple[str, str]:
        """``(activation format, weight format)``."""
        assert self.formats is not None
        return self.formats

    def value(self, key: str) -> Any:
        """A config value, ``None`` when the family has no such key.

        ``a_format`` / ``w_format`` are the point's :attr:`operands` for every family.
        """
        if key == "a_format" and key not in self.config:
            return self.operands[0]
        if key == "w_format" and key not in self.config:
            return self.operands[1]
        return self.config.get(key)


@dataclass(frozen=True)
class SkippedPoint:
    """A combination that was not built, and why."""

    family: str
    items: Mapping[str, Any]
    reason: str
    origin: str

    def label(self) -> str:
        """``family a_format x w_format key=value ...`` for tables and messages."""
        rest = " ".join(
            f"{k}={'exact' if v is None and k == 'acc_bits' else v}"
            for k, v in self.items.items()
            if k not in ("a_format", "w_format", "family")
        )
        a, w = self.items.get("a_format", "?"), self.items.get("w_format", "?")
        return f"{self.family} {a} x {w}" + (f" {rest}" if rest else "")


def _combinations(spec: SweepSpec) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(parameter values, origin, where) of every combination, in spec order."""
    if spec.axes:
        names = [a.name for a in spec.axes]
        for combo in itertools.product(*(a.values for a in spec.axes)):
            values = {**spec.fixed, **dict(zip(names, combo, strict=True))}
            yield values, "axes", spec.axes[0].where
    for p in spec.points:
        yield {**spec.fixed, **p.values}, p.label, p.where


def _match_items(values: Mapping[str, Any]) -> dict[str, Any]:
    """A combination's config items with its ``family``, as constraints and subsets see them."""
    items = config_items(values)
    fam_name = items.pop("family", DEFAULT_FAMILY)
    return {**_items_for(family(fam_name), items), "family": fam_name}


def _items_for(fam: SweepFamily, items: Mapping[str, Any]) -> dict[str, Any]:
    keys = set(fam.sweep_keys())
    return {k: v for k, v in items.items() if k in keys}


def expand(spec: SweepSpec) -> tuple[tuple[DesignPoint, ...], tuple[SkippedPoint, ...]]:
    """Every design point of ``spec`` and every skipped combination.

    Raises
    ------
    HwgenError
        A point without formats; an unbuildable combination when the spec does not say
        ``unbuildable = "skip"`` (the message names the point and the config's reason);
        no buildable point at all.
    """
    points: dict[str, DesignPoint] = {}
    items_of: dict[str, dict[str, Any]] = {}
    skipped: list[SkippedPoint] = []
    seen_skips: set[str] = set()
    total = 0
    for values, origin, where in _combinations(spec):
        total += 1
        got = combination_point(spec, values, origin, where)
        if isinstance(got, SkippedPoint):
            _skip(skipped, seen_skips, got)
        else:
            points.setdefault(got.config_hash, got)
            items_of.setdefault(got.config_hash, _match_items(values))
    if spec.subset is not None:
        rank = 0
        for key, point in points.items():
            chosen = False
            if spec.subset.matches(items_of[key]):
                chosen = spec.subset.chosen(rank)
                rank += 1
            points[key] = dataclasses.replace(point, in_subset=chosen)
    if not points:
        no_points(spec, total, skipped)
    return tuple(points.values()), tuple(skipped)


def no_points(spec: SweepSpec, total: int, skipped: list[SkippedPoint]) -> None:
    """Raise the error of a spec without a buildable design point."""
    first = f" (first reason: {skipped[0].reason})" if skipped else ""
    raise HwgenError(
        f"{spec.source}: no buildable design point: all {total} combination(s) were skipped{first}"
    )


def combination_point(
    spec: SweepSpec, values: Mapping[str, Any], origin: str, where: str
) -> DesignPoint | SkippedPoint:
    """The design point of one combination of parameter values, or why it is skipped.

    Raises
    ------
    HwgenError
        No formats; an unbuildable combination when the spec does not skip those.
    """
    items = config_items(values)
    fam_name = items.pop("family", DEFAULT_FAMILY)
    fam = family(fam_name)
    missing = [k for k in ("a_format", "w_format") if k not in items]
    if missing:
        raise HwgenError(
            f'{where}: {origin} has no {" or ".join(missing)}: give formats = "ACT:WEIGHT"'
            " in [axes], [fixed] or the point"
        )
    cfg_items = _items_for(fam, items)
    rule = next(
        (r for r in spec.constraints.exclude if r.matches({**cfg_items, "family": fam_name})),
        None,
    )
    if rule is not None:
        return SkippedPoint(fam_name, cfg_items, f"excluded: {rule.reason}", origin)
    try:
        built_items, formats = fam.config_items(cfg_items)
        config = fam.build(built_items)
    except HwgenError as exc:
        reason = " ".join(str(exc).split())
        if spec.constraints.unbuildable is Unbuildable.SKIP:
            return SkippedPoint(fam_name, cfg_items, reason, origin)
        label = SkippedPoint(fam_name, cfg_items, reason, origin).label()
        raise HwgenError(
            f"{where}: cannot build {label} ({origin}): {reason}; set [constraints]"
            ' unbuildable = "skip" to skip such points'
        ) from None
    return DesignPoint(
        family=fam_name,
        config=config.to_dict(),
        name=config.name,
        design_class=design_class(formats[0], formats[1], fam),
        origin=origin,
        formats=formats,
    )


def _skip(out: list[SkippedPoint], seen: set[str], point: SkippedPoint) -> None:
    key = canonical_json({"family": point.family, "items": dict(point.items)})
    if key not in seen:
        seen.add(key)
        out.append(point)
