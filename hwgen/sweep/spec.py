"""The TOML sweep spec, parsed into frozen, typed objects.

A spec names the design points (a cross product of ``[axes]``, explicit ``[[points]]``,
common ``[fixed]`` settings), what to do with points a family cannot build
(``[constraints]``), the stages to run and their options (``[stages]``, one table per
stage), the workloads (``[workload.accuracy]``, ``[workload.gemm]``) and what the report
ranks by (``[report]``). ``docs/sweep.md`` documents every key; ``examples/sweep_small.toml``
is a complete example.

Every unknown key, wrong type, empty axis or contradictory pair of settings fails here,
before anything is written, with ``file:line`` and one line of explanation.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hwgen.errors import HwgenError
from hwgen.sweep.params import PAIRS, PARAMS
from hwgen.sweep.reader import Document, Table
from hwgen.sweep.stages import STAGES
from hwgen.sweep.stages.base import Column, StageInstance
from hwgen.sweep.stages.workload import WorkloadOptions
from hwgen.sweep.subset import DEFAULT_SUBSET_STAGES, SubsetSpec, merged_columns

__all__ = [
    "Axis",
    "Constraints",
    "Exclusion",
    "ExplicitPoint",
    "ReportSpec",
    "SweepSpec",
    "Unbuildable",
    "load_spec",
    "parse_spec",
]

DEFAULT_FAMILY = "mac"
"""The family of points that name none."""
DEFAULT_BUDGETS_DB = (10.0, 20.0, 30.0)
"""Error budgets (minimum SQNR in dB) of the terminal summary when the spec gives none."""


class Unbuildable(enum.StrEnum):
    """What to do with a combination a family cannot build."""

    ERROR = "error"
    SKIP = "skip"


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its values in spec order, and where it was written."""

    name: str
    values: tuple[Any, ...]
    where: str


@dataclass(frozen=True)
class ExplicitPoint:
    """One ``[[points]]`` table: parameter values (the rest from ``[fixed]``)."""

    values: Mapping[str, Any]
    label: str
    where: str


@dataclass(frozen=True)
class Exclusion:
    """A ``[[constraints.exclude]]`` rule: points matching every key are skipped.

    Attributes
    ----------
    match
        Parameter -> accepted values (a point matches when each of its values is listed).
    reason
        Recorded with every point it skips.
    where
        ``file:line`` of the rule.
    """

    match: Mapping[str, tuple[Any, ...]]
    reason: str
    where: str

    def matches(self, items: Mapping[str, Any]) -> bool:
        """Whether a point's config items (``family`` included) match the rule."""
        for param, accepted in self.match.items():
            keys = PARAMS[param].keys
            value = items.get(keys[0]) if len(keys) == 1 else tuple(items.get(k) for k in keys)
            if value not in accepted:
                return False
        return True


@dataclass(frozen=True)
class Constraints:
    """``[constraints]``: unbuildable points and explicit exclusions."""

    unbuildable: Unbuildable = Unbuildable.ERROR
    exclude: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class ReportSpec:
    """``[report]``: which columns the Pareto fronts use, and the summary's error budgets.

    ``None`` for a column picks the best one the enabled stages produce
    (:mod:`hwgen.sweep.pareto`).
    """

    error: str | None = None
    area: str | None = None
    energy: str | None = None
    throughput_per_area: str | None = None
    sqnr_budgets_db: tuple[float, ...] = DEFAULT_BUDGETS_DB


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep spec.

    Attributes
    ----------
    name
        ``[sweep] name`` (default: the file's stem); an output directory holds one sweep.
    description
        Free text for the report.
    source
        The file as given (errors and the report name it).
    text
        The file's text (embedded in the report).
    base_dir
        Directory relative workload paths are resolved against (the spec's own).
    axes, fixed, points
        The design points: cross product of ``axes`` plus ``points``, both completed with
        ``fixed``.
    constraints
        Unbuildable points and exclusions.
    stages
        Stage instances to run, in dependency order.
    gemm
        The GEMM workload, if given.
    report
        Pareto columns and error budgets.
    """

    name: str
    description: str
    source: str
    text: str
    base_dir: Path
    axes: tuple[Axis, ...]
    fixed: Mapping[str, Any]
    points: tuple[ExplicitPoint, ...]
    constraints: Constraints
    stages: tuple[StageInstance, ...]
    gemm: WorkloadOptions | None
    report: ReportSpec
    subset: SubsetSpec | None = None

    @property
    def text_sha256(self) -> str:
        """SHA-256 of the spec text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def instance(self, name: str) -> StageInstance:
        """The stage instance called ``name``."""
        for inst in self.stages:
            if inst.name == name:
                return inst
        raise HwgenError(f"the sweep runs no stage instance {name!r}")

    def columns(self) -> dict[str, Column]:
        """Every stage column the sweep produces: table column name -> :class:`Column`."""
        out: dict[str, Column] = {}
        for inst in self.stages:
            for col in inst.columns():
                out[inst.column(col.key)] = col
        out.update(merged_columns(self.stages))
        return out


# ---------------------------------------------------------------------- parsing
_TOP = (
    "sweep", "axes", "fixed", "points", "constraints", "stages", "workload", "subset", "report",
)  # fmt: skip


def load_spec(path: str | os.PathLike[str]) -> SweepSpec:
    """Read and validate a sweep spec file.

    Raises
    ------
    HwgenError
        Anything wrong with the file, with ``file:line``.
    """
    p = Path(path)
    doc = Document.load(p)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", p.stem).lstrip("_.-") or "sweep"
    return parse_spec(doc, base_dir=p.resolve().parent, default_name=stem)


def parse_spec(doc: Document, *, base_dir: Path, default_name: str = "sweep") -> SweepSpec:
    """Validate a parsed spec document (see :func:`load_spec`)."""
    root = doc.root()
    sweep = root.table("sweep")
    name, description = default_name, ""
    if sweep is not None:
        name = sweep.str("name", default_name)
        description = sweep.str("description", "")
        sweep.finish(["name", "description"])
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise sweep.error(
                "name",
                f"[sweep] name must be letters, digits, '_', '.' or '-' (it names files),"
                f" not {name!r}",
            )
    axes = _axes(root.table("axes"))
    fixed = _fixed(root.table("fixed"), axes)
    points = _points(root.tables("points"), axes)
    if not axes and not points:
        raise doc.error((), "the spec defines no design points: give [axes] or [[points]]")
    families = _families(axes, fixed, points)
    _check_applicability(doc, axes, fixed, points, families)
    constraints = _constraints(root.table("constraints"))
    stage_tables, workload_tables = root.table("stages"), root.table("workload")
    stages = _stages(doc, stage_tables, workload_tables)
    gemm = next((i.options for i in stages if i.stage.name == "workload"), None)
    if workload_tables is not None:
        workload_tables.finish(
            [STAGES[n].table[1] for n in STAGES if STAGES[n].table[0] == "workload"]
        )
    subset = _subset(root.table("subset"), stages)
    if subset is not None:
        stages = tuple(
            replace(i, subset_only=True) if i.stage.name in subset.stages else i for i in stages
        )
    report = _report(root.table("report"), stages)
    root.finish(_TOP)
    return SweepSpec(
        name=name,
        description=description,
        source=doc.source,
        text=doc.text,
        base_dir=base_dir,
        axes=axes,
        fixed=fixed,
        points=points,
        constraints=constraints,
        stages=stages,
        gemm=gemm,
        report=report,
        subset=subset,
    )


def _parse_value(table: Table, key: str, value: Any) -> Any:
    try:
        return PARAMS[key].parse(value)
    except HwgenError as exc:
        text = str(exc)
        sep = " " if text.startswith("must ") else ": "
        raise table.error(key, f"{table.name} {key}{sep}{text}") from None


def _check_pairs(table: Table, keys: list[str]) -> None:
    for pair, halves in PAIRS.items():
        clash = [h for h in halves if h in keys]
        if pair in keys and clash:
            raise table.error(
                clash[0],
                f"{table.name} gives both {pair} and {clash[0]}: {pair} already sets "
                f"{' and '.join(halves)}; use one or the other",
            )


def _check_keys(table: Table) -> None:
    unknown = [k for k in table.keys() if k not in PARAMS]
    if unknown:
        first = min(unknown, key=lambda k: table.doc.lines.line((*table.path, k)) or 0)
        raise table.error(
            first,
            f"unknown key {first!r} in {table.name}; allowed: {', '.join(PARAMS)}",
        )


def _axes(table: Table | None) -> tuple[Axis, ...]:
    if table is None:
        return ()
    _check_keys(table)
    _check_pairs(table, table.keys())
    axes = []
    for key in table.keys():
        raw = table.raw(key)
        if not isinstance(raw, list):
            raise table.error(key, f"[axes] {key} must be a list of values, not {raw!r}")
        if not raw:
            raise table.error(key, f"[axes] {key} is empty; give at least one value")
        values = tuple(_parse_value(table, key, v) for v in raw)
        if len(set(map(repr, values))) != len(values):
            dup = next(v for i, v in enumerate(raw) if raw.index(v) != i)
            raise table.error(key, f"[axes] {key} lists {dup!r} twice")
        axes.append(Axis(key, values, table.doc.where((*table.path, key))))
    return tuple(axes)


def _fixed(table: Table | None, axes: tuple[Axis, ...]) -> dict[str, Any]:
    if table is None:
        return {}
    _check_keys(table)
    _check_pairs(table, table.keys())
    out: dict[str, Any] = {}
    for key in table.keys():
        sets = set(PARAMS[key].keys)
        clash = next((a for a in axes if sets & set(PARAMS[a.name].keys)), None)
        if clash is not None:
            raise table.error(
                key,
                f"[fixed] {key} contradicts the axis [axes] {clash.name} ({clash.where}): "
                "a parameter is either swept or fixed",
            )
        out[key] = _parse_value(table, key, table.raw(key))
    return out


def _points(tables: list[Table], axes: tuple[Axis, ...]) -> tuple[ExplicitPoint, ...]:
    out = []
    for t in tables:
        _check_keys(t)
        _check_pairs(t, t.keys())
        if not t.keys():
            raise t.error(None, f"{t.name} is empty; give the point's parameters")
        values = {k: _parse_value(t, k, t.raw(k)) for k in t.keys()}
        index = t.path[-1]
        out.append(ExplicitPoint(values, f"points[{index}]", t.doc.where(t.path)))
    return tuple(out)


def _families(
    axes: tuple[Axis, ...], fixed: Mapping[str, Any], points: tuple[ExplicitPoint, ...]
) -> set[str]:
    fams: set[str] = set()
    axis = next((a for a in axes if a.name == "family"), None)
    if axes:
        fams.update(axis.values if axis is not None else [fixed.get("family", DEFAULT_FAMILY)])
    for p in points:
        fams.add(p.values.get("family", fixed.get("family", DEFAULT_FAMILY)))
    return fams


def _check_applicability(
    doc: Document,
    axes: tuple[Axis, ...],
    fixed: Mapping[str, Any],
    points: tuple[ExplicitPoint, ...],
    families: set[str],
) -> None:
    """A parameter no family of the sweep takes is a contradiction, not a silent no-op."""
    from hwgen.sweep.families import family

    accepted: set[str] = {"family"}
    for name in families:
        accepted.update(family(name).sweep_keys())
    for axis in axes:
        if not set(PARAMS[axis.name].keys) <= accepted:
            raise HwgenError(
                f"{axis.where}: [axes] {axis.name} applies to no family of the sweep "
                f"({', '.join(sorted(families))})"
            )
    for key in fixed:
        if not set(PARAMS[key].keys) <= accepted:
            raise doc.error(
                ("fixed", key),
                f"[fixed] {key} applies to no family of the sweep ({', '.join(sorted(families))})",
            )
    for p in points:
        fam = p.values.get("family", fixed.get("family", DEFAULT_FAMILY))
        keys = set(family(fam).sweep_keys()) | {"family"}
        for key in p.values:
            if not set(PARAMS[key].keys) <= keys:
                raise HwgenError(f"{p.where}: [[points]] {key} does not apply to family {fam!r}")


def _constraints(table: Table | None) -> Constraints:
    if table is None:
        return Constraints()
    unbuildable = Unbuildable(
        table.str("unbuildable", Unbuildable.ERROR.value, choices=[u.value for u in Unbuildable])
    )
    rules = []
    for rule in table.tables("exclude"):
        reason = rule.str("reason")
        if not reason.strip():
            raise rule.error("reason", f"{rule.name} reason must not be empty")
        keys = [k for k in rule.keys() if k != "reason"]
        _check_keys_except(rule, keys)
        if not keys:
            raise rule.error(None, f"{rule.name} matches nothing: name at least one parameter")
        match: dict[str, tuple[Any, ...]] = {}
        for key in keys:
            raw = rule.raw(key)
            values = raw if _is_value_list(key, raw) else [raw]
            match[key] = tuple(_parse_value(rule, key, v) for v in values)
        rules.append(Exclusion(match, reason, table.doc.where(rule.path)))
    table.finish(["unbuildable", "exclude"])
    return Constraints(unbuildable, tuple(rules))


def _is_value_list(key: str, raw: object) -> bool:
    """A list is a set of accepted values, except a pair written as ``[A, W]``."""
    if not isinstance(raw, list):
        return False
    if key not in PAIRS:
        return True
    return all(
        isinstance(v, list) or (isinstance(v, str) and any(c in v for c in ":xX")) for v in raw
    )


def _check_keys_except(table: Table, keys: list[str]) -> None:
    unknown = [k for k in keys if k not in PARAMS]
    if unknown:
        raise table.error(
            unknown[0],
            f"unknown key {unknown[0]!r} in {table.name}; allowed: reason, {', '.join(PARAMS)}",
        )


def _stages(
    doc: Document, stage_tables: Table | None, workload_tables: Table | None
) -> tuple[StageInstance, ...]:
    registered = list(STAGES)
    run: list[str] = [n for n in registered if STAGES[n].default]
    if stage_tables is not None:
        run = stage_tables.list(
            "run",
            registered,
            item=lambda v: isinstance(v, str),
            kind="a list of stage names",
            nonempty=True,
        )
        for name in run:
            if name not in STAGES:
                raise stage_tables.error(
                    "run",
                    f"[stages] run names an unknown stage {name!r}; known: {', '.join(registered)}",
                )
        if len(set(run)) != len(run):
            raise stage_tables.error("run", "[stages] run lists a stage twice")
    order = [n for n in registered if n in run]
    instances: list[StageInstance] = []
    names: set[str] = set()
    for name in order:
        stage = STAGES[name]
        table = _options_table(stage.table, stage_tables, workload_tables)
        options = stage.parse(table)
        for inst in stage.instances(options):
            missing = [n for n in inst.needs if n not in names]
            if missing:
                raise doc.error(
                    ("stages", "run"),
                    f"[stages] run: stage {name!r} needs {', '.join(repr(m) for m in missing)};"
                    " add it to the list",
                )
            instances.append(inst)
            names.add(inst.name)
    if stage_tables is not None:
        for key in stage_tables.keys():
            if key in STAGES and key not in run and STAGES[key].table == ("stages", key):
                raise stage_tables.error(
                    key, f"[stages.{key}] is given but {key!r} is not in [stages] run"
                )
        stage_tables.finish(["run", *(n for n in registered if STAGES[n].table == ("stages", n))])
    if workload_tables is not None:
        for name in registered:
            st = STAGES[name]
            if st.table[:1] == ("workload",) and st.table[1] in workload_tables and name not in run:
                raise workload_tables.error(
                    st.table[1],
                    f"[workload.{st.table[1]}] is given but {name!r} is not in [stages] run",
                )
    return tuple(instances)


def _options_table(
    where: tuple[str, ...], stage_tables: Table | None, workload_tables: Table | None
) -> Table | None:
    parent = {"stages": stage_tables, "workload": workload_tables}.get(where[0])
    if parent is None or len(where) != 2:
        return None
    return parent.table(where[1])


def _subset(table: Table | None, stages: tuple[StageInstance, ...]) -> SubsetSpec | None:
    """``[subset]`` (:mod:`hwgen.sweep.subset`); ``None`` when absent."""
    if table is None:
        return None
    run = list(dict.fromkeys(i.stage.name for i in stages))
    default = [n for n in DEFAULT_SUBSET_STAGES if n in run]
    names = table.list(
        "stages",
        default,
        item=lambda v: isinstance(v, str),
        kind="a list of stage names",
        nonempty=True,
    )
    for name in names:
        if name not in run:
            raise table.error(
                "stages",
                f"[subset] stages names {name!r}, which [stages] run does not run;"
                f" run: {', '.join(run)}",
            )
    if not names:
        raise table.error(
            None,
            "[subset] restricts no stage: the sweep runs none of"
            f" {', '.join(DEFAULT_SUBSET_STAGES)}; name them in stages",
        )
    if len(set(names)) != len(names):
        raise table.error("stages", "[subset] stages lists a stage twice")
    every = table.int("every", 1, lo=1)
    offset = table.int("offset", 0, lo=0)
    if offset and offset >= every:
        raise table.error("offset", f"[subset] offset must be below every ({every}), not {offset}")
    match: dict[str, tuple[Any, ...]] = {}
    sub = table.table("match")
    if sub is not None:
        _check_keys(sub)
        if not sub.keys():
            raise sub.error(None, "[subset.match] is empty: name at least one parameter")
        for key in sub.keys():
            raw = sub.raw(key)
            values = raw if _is_value_list(key, raw) else [raw]
            if not values:
                raise sub.error(key, f"[subset.match] {key} is empty; give at least one value")
            match[key] = tuple(_parse_value(sub, key, v) for v in values)
    table.finish(["stages", "every", "offset", "match"])
    return SubsetSpec(
        stages=tuple(names),
        every=every,
        offset=offset,
        match=match or None,
        where=table.doc.where(table.path),
    )


def _report(table: Table | None, stages: tuple[StageInstance, ...]) -> ReportSpec:
    if table is None:
        return ReportSpec()
    produced: dict[str, Column] = {}
    for inst in stages:
        for col in inst.columns():
            produced[inst.column(col.key)] = col
    produced.update(merged_columns(stages))
    picked: dict[str, str | None] = {}
    for role in ("error", "area", "energy", "throughput_per_area"):
        value = table.str(role, None)
        if value is not None:
            named = produced.get(value)
            if named is None:
                candidates = [c for c, v in produced.items() if v.role == role]
                raise table.error(
                    role,
                    f"[report] {role} names {value!r}, which no stage of this sweep produces;"
                    f" {role} columns: {', '.join(candidates) if candidates else 'none'}",
                )
            if named.role != role:
                raise table.error(role, f"[report] {role}: {value!r} is not a {role} column")
        picked[role] = value
    budgets = table.list(
        "sqnr_budgets_db",
        list(DEFAULT_BUDGETS_DB),
        item=lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        kind="a list of numbers (dB)",
        nonempty=True,
    )
    table.finish(["error", "area", "energy", "throughput_per_area", "sqnr_budgets_db"])
    return ReportSpec(
        error=picked["error"],
        area=picked["area"],
        energy=picked["energy"],
        throughput_per_area=picked["throughput_per_area"],
        sqnr_budgets_db=tuple(sorted(float(b) for b in budgets)),
    )
