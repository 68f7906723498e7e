"""The family table: every design family hwgen can build, verify and price.

One line per family; emit, the manifest loader, verification, the TOML spec parser and the
CLI all read this table and nothing else, so adding a family is: a config module in
``hwgen/design/`` (a :class:`~hwgen.design.base.DesignConfig`), an rtl package, a bench
module in ``sim/`` (:class:`hwgen.sim.bench.Bench`) and one :class:`Family` line below
(``docs/architecture.md``, "How to add a design family").

The rtl factory and the bench are named by import path and imported only when used, so the
design layer (and with it ``hwgen generate --help``) never imports Amaranth or cocotb.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwgen.design.array import ArrayConfig
from hwgen.design.base import DesignConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError

if TYPE_CHECKING:
    from hwgen.sim.bench import Bench

__all__ = ["FAMILIES", "Family", "config_from_dict", "families", "family", "kinds"]


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Family:
    """One design family.

    Attributes
    ----------
    config
        The config class (owns ``kind``, validation, ports, golden model).
    rtl_path
        ``"package.module:Class"`` of the Amaranth component, built as ``Class(config=c)``.
    bench_path
        ``"package.module:Class"`` of the verification bench plug-in.
    summary
        One line for ``--help`` texts.
    """

    config: type[DesignConfig]
    rtl_path: str
    bench_path: str
    summary: str

    @property
    def kind(self) -> str:
        """The family's key (owned by the config class)."""
        return self.config.kind

    def rtl(self) -> Any:
        """The component class (imports the rtl package)."""
        return _load(self.rtl_path)

    def bench(self) -> Bench:
        """A bench instance (imports the simulation package)."""
        bench_cls = _load(self.bench_path)
        return bench_cls()


FAMILIES: Mapping[str, Family] = {
    f.kind: f
    for f in (
        Family(
            MacConfig, "hwgen.rtl.mac:MacUnit", "hwgen.sim.bench_mac:MacBench", "A single MAC unit."
        ),
        Family(
            ArrayConfig,
            "hwgen.rtl.array:PEArray",
            "hwgen.sim.bench_array:ArrayBench",
            "An R x C output-stationary systolic PE array.",
        ),
        Family(
            BitmodPEConfig,
            "hwgen.rtl.bitmod:BitmodPE",
            "hwgen.sim.bench_bitmod:BitmodBench",
            "A BitMoD bit-serial mixture-of-datatype PE (INT8/6/4/3, FP4/3 weights).",
        ),
        Family(
            BitmodArrayConfig,
            "hwgen.rtl.bitmod.array:BitmodArray",
            "hwgen.sim.bench_bitmod_array:BitmodArrayBench",
            "An R x C output-stationary systolic array of BitMoD PEs.",
        ),
    )
}
"""Every design family, by kind."""


def kinds() -> tuple[str, ...]:
    """The known design kinds, in table order."""
    return tuple(FAMILIES)


def families() -> tuple[Family, ...]:
    """Every family, in table order."""
    return tuple(FAMILIES.values())


def family(kind: object) -> Family:
    """The family of ``kind``.

    Raises
    ------
    HwgenError
        Unknown kind (the message lists the known ones).
    """
    try:
        return FAMILIES[str(kind)]
    except KeyError:
        raise HwgenError(f"kind must be one of {', '.join(FAMILIES)}, not {kind!r}") from None


def config_from_dict(kind: object, d: Mapping[str, Any]) -> DesignConfig:
    """Rebuild the config of a ``kind`` from its dict (a manifest's ``config``)."""
    return family(kind).config.from_dict(d)
