"""The stage contract: what every sweep stage declares and returns.

A stage turns (design point, its options, the results of the stages it needs) into one
JSON-able result dict. The runner owns everything else (ordering, caching, parallelism,
failures, the results table), so a new stage (ASIC area, energy, a fast model,
accuracy, workload metrics) is one module that subclasses :class:`Stage` and one line in
:mod:`hwgen.sweep.stages`.

Contract
--------
* :meth:`Stage.parse` reads the stage's options table of the spec (``[stages.<name>]`` by
  default, :attr:`Stage.table` to move it) into a frozen options object with a
  ``to_dict()`` of JSON values. Unknown keys are rejected (``Table.finish``).
* :meth:`Stage.instances` may split one stage into several cache units (``cost`` gives
  one per target: ``cost.generic``, ``cost.ice40``), each with its own options and column
  prefix. Default: one instance named like the stage.
* :meth:`Stage.run` returns a flat dict: units in the keys (``area_um2``, ``luts``,
  ``rel_mse``), JSON scalars as values (``None`` for "this target has no such thing";
  nested lists/dicts are kept in the cache but get no column) and a ``source`` string
  saying which flow/tool/version/model produced the numbers. It must be deterministic
  (same inputs, same dict): timings belong in the cache record, never in the result. It
  raises on failure (any exception); the runner records the error and the stage.
* The cache key of an instance is the hash of: the stage name, its options, the config
  keys it reads (:attr:`Stage.config_keys`; ``None`` = the whole config and family), the
  versions of the tools it names (:meth:`Stage.tools`), a fingerprint of the source of the
  modules it names (:attr:`Stage.code`, plus the stage's own module) and the result hashes
  of the instances it needs (:attr:`Stage.needs`). Nothing else may change its result.
* :meth:`Stage.columns` names the result keys that become table columns, with a label
  (units) and which direction is better, before anything runs; the report and the plots
  read labels and directions from there.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from hwgen.sweep.points import DesignPoint
    from hwgen.sweep.reader import Table

__all__ = ["Column", "NoOptions", "Stage", "StageContext", "StageInstance"]

Better = Literal["lower", "higher"] | None


@dataclass(frozen=True)
class Column:
    """A result key that becomes a table column.

    Attributes
    ----------
    key
        Key in the stage's result dict (the column is ``<prefix><key>``).
    label
        Human label with its unit (``"transistors (Yosys CMOS estimate)"``).
    better
        ``"lower"`` / ``"higher"`` for a figure of merit, ``None`` otherwise.
    role
        What the Pareto fronts may use it as: ``"error"``, ``"area"``, ``"energy"``,
        ``"throughput_per_area"`` or ``None``.
    """

    key: str
    label: str
    better: Better = None
    role: str | None = None


@dataclass(frozen=True)
class NoOptions:
    """Options of a stage that takes none (its table must be empty or absent)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: empty."""
        return {}


@dataclass(frozen=True)
class StageContext:
    """Where a stage run may read and write.

    Attributes
    ----------
    out_dir
        The sweep's output directory (absolute).
    """

    out_dir: Path

    def design_dir(self, point: DesignPoint) -> Path:
        """The directory holding the point's generated design."""
        return self.out_dir / "designs" / point.dir_name


@dataclass(frozen=True)
class StageInstance:
    """One cache unit of a stage: a stage with one set of options.

    Attributes
    ----------
    stage
        The stage.
    name
        Unique name (``cost.ice40``); names the cache folder and failure records.
    options
        The instance's frozen options.
    prefix
        Column prefix (``ice40_``).
    needs
        Instances whose results it reads.
    subset_only
        Run only on the points of the spec's ``[subset]`` (:mod:`hwgen.sweep.subset`).
    """

    stage: Stage
    name: str
    options: Any
    prefix: str
    needs: tuple[str, ...] = field(default=())
    subset_only: bool = False

    def columns(self) -> tuple[Column, ...]:
        """The instance's columns (keys without the prefix)."""
        return self.stage.columns(self.options)

    def column(self, key: str) -> str:
        """The table column of result key ``key``."""
        return f"{self.prefix}{key}"


class Stage(ABC):
    """A sweep stage (see the module docstring for the contract)."""

    name: ClassVar[str]
    """Registry key and default options table ``[stages.<name>]``."""
    summary: ClassVar[str]
    """One line for the docs and the report."""
    needs: ClassVar[tuple[str, ...]] = ()
    """Instances whose results :meth:`run` reads (by instance name)."""
    config_keys: ClassVar[tuple[str, ...] | None] = None
    """Config keys the result depends on; ``None``: all of them and the family."""
    code: ClassVar[tuple[str, ...]] = ()
    """Modules (or packages) whose source the result depends on."""
    prefix: ClassVar[str] = ""
    """Column prefix of the default instance."""

    @property
    def table(self) -> tuple[str, ...]:
        """Where the options live in the spec."""
        return ("stages", self.name)

    @abstractmethod
    def parse(self, table: Table | None) -> Any:
        """Read the options table (``None``: absent) into a frozen options object."""

    def instances(self, options: Any) -> tuple[StageInstance, ...]:
        """The cache units of this stage (default: one)."""
        return (StageInstance(self, self.name, options, self.prefix, self.needs),)

    def tools(self, options: Any) -> tuple[str, ...]:
        """Tools whose versions key the cache (names known to :mod:`hwgen.sweep.versions`)."""
        return ()

    @abstractmethod
    def columns(self, options: Any) -> tuple[Column, ...]:
        """The result keys that become columns."""

    @abstractmethod
    def run(
        self,
        point: DesignPoint,
        options: Any,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        """Compute the result (see the contract); raise on failure."""

    default: ClassVar[bool] = True
    """Whether a spec without ``[stages] run`` runs this stage (slow or workload-bound
    stages are opt-in)."""

    def applies(self, point: DesignPoint, options: Any) -> str | None:
        """``None`` when the stage applies to ``point``, else why not (e.g. the energy
        bench drives MAC-style ports only). A stage that does not apply is neither run nor
        a failure: its columns stay empty and ``not_run`` says why."""
        return None

    def still_valid(self, point: DesignPoint, result: Mapping[str, Any], ctx: StageContext) -> bool:
        """Whether a cached result can be used as is (e.g. its files still exist)."""
        return True


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (results never hold absolute paths)."""
    return Path(os.path.relpath(path, root)).as_posix()
