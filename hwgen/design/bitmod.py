"""``BitmodPEConfig``: the BitMoD-style bit-serial PE as a design family (kind ``bitmod_pe``).

The arithmetic parameters and every width derived from them live in
:class:`hwgen.golden.bitmod.config.BitmodPEParams` (the golden model reads them there); this
config derives from it and adds the family protocol of :class:`~hwgen.design.base.DesignConfig`:
the ports with their roles, the timing facts, the manifest sections (including the
``bitmod`` section: cycles per weight, group size, MACs per cycle, metadata ports) and
``create()`` through the family table. Pure Python, no Amaranth import.

Ports, the stream protocol and its timing are documented in ``docs/bitmod.md``; the facts
relied on are those of ``shared/reference/bitmod.md`` (BitMoD, HPCA 2025), restated in
:mod:`hwgen.golden.bitmod.config`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from hwgen.design.base import (
    AccumulatorInfo,
    DesignConfig,
    DesignFacts,
    OptionSpec,
    Port,
    PortDir,
    Role,
    clock_and_reset,
)
from hwgen.golden.bitmod.config import (
    ACT_FORMATS,
    DTYPE_BITS,
    GROUP_FLAG_BITS,
    SCALE_BITS,
    SEL_BITS,
    SV_FIELD_BITS,
    WEIGHT_CODE_BITS,
    BitmodPEParams,
    GroupFlag,
    PEMode,
)

__all__ = ["META_ROLES", "W_FORMAT", "BitmodPEConfig", "group_flag_bits", "metadata_ports"]

#: The manifest's ``w_format`` of a BitMoD design: weights are per-group datatypes (the
#: ``bitmod`` section lists them), not one registry format.
W_FORMAT = "bitmod_mixture"

#: Roles of the group-metadata and control ports (the manifest's ``bitmod.metadata_ports``).
META_ROLES = (
    Role.META_VALID,
    Role.META_READY,
    Role.DTYPE,
    Role.SELECTOR,
    Role.SCALE,
    Role.SV_WE,
    Role.SV_ADDR,
    Role.SV_DATA,
)


def metadata_ports(ports: Iterable[Port]) -> dict[str, str]:
    """Name -> role of the group-metadata and control ports among ``ports`` (in order)."""
    return {p.name: str(p.role) for p in ports if p.role in META_ROLES}


def group_flag_bits() -> dict[str, int]:
    """The manifest's ``flags``: bit index of each :class:`GroupFlag` in ``out_flags``."""
    return {str(f.name).lower(): int(f).bit_length() - 1 for f in GroupFlag}


@dataclass(frozen=True, kw_only=True)
class BitmodPEConfig(BitmodPEParams, DesignConfig):
    """One BitMoD PE design (fields and validation: :class:`BitmodPEParams`).

    Examples
    --------
    >>> BitmodPEConfig(dot=4, group_size=32).name
    'bitmod_pe_fp16_d4_g32_exact'
    """

    kind: ClassVar[str] = "bitmod_pe"

    # ----------------------------------------------------------------- identity
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Rebuild from :meth:`to_dict` output (unknown keys rejected, lists as tuples)."""
        return DesignConfig.from_dict.__func__(cls, d)  # type: ignore[attr-defined]

    @classmethod
    def _build(cls, d: Mapping[str, Any]) -> Self:
        kw = dict(d)
        for k in ("weight_types", "special_values"):
            if isinstance(kw.get(k), list):
                kw[k] = tuple(kw[k])
        return cls(**kw)

    @classmethod
    def options(cls) -> tuple[OptionSpec, ...]:
        """The options of ``hwgen generate bitmod-pe``."""
        return (
            OptionSpec(key="dot", type=int, help="Lanes (products) per cycle [4]."),
            OptionSpec(
                key="act_format",
                type=str,
                help="Activation format [fp16].",
                choices=ACT_FORMATS,
            ),
            OptionSpec(
                key="mode",
                type=str,
                help="Exact widths or BitMoD-like narrow widths [exact].",
                choices=tuple(str(m) for m in PEMode),
            ),
            OptionSpec(key="group_size", type=int, help="Weights per group [128]."),
        )

    # ----------------------------------------------------------------- timing
    @property
    def latency(self) -> int:
        """Worst case over the served datatypes of :meth:`group_latency` (last beat -> result)."""
        return max(self.group_latency(w) for w in self.weight_types)

    # ----------------------------------------------------------------- interface
    def ports(self) -> tuple[Port, ...]:
        """Every port in declaration order (``docs/bitmod.md``, "Ports")."""
        d = self.dot
        ports = [
            *clock_and_reset(),
            Port(name="meta_valid", dir=PortDir.IN, width=1, role=Role.META_VALID),
            Port(name="meta_ready", dir=PortDir.OUT, width=1, role=Role.META_READY),
            Port(name="meta_dtype", dir=PortDir.IN, width=DTYPE_BITS, role=Role.DTYPE),
            Port(name="meta_sel", dir=PortDir.IN, width=SEL_BITS, role=Role.SELECTOR),
            Port(name="meta_scale", dir=PortDir.IN, width=SCALE_BITS, role=Role.SCALE),
            Port(name="valid", dir=PortDir.IN, width=1, role=Role.VALID),
            Port(name="ready", dir=PortDir.OUT, width=1, role=Role.READY),
            Port(name="w", dir=PortDir.IN, width=d * WEIGHT_CODE_BITS, role=Role.W, elements=d),
            Port(name="a", dir=PortDir.IN, width=d * self.act_bits, role=Role.A, elements=d),
            Port(name="sv_we", dir=PortDir.IN, width=1, role=Role.SV_WE),
            Port(name="sv_addr", dir=PortDir.IN, width=SEL_BITS, role=Role.SV_ADDR),
            Port(name="sv_data", dir=PortDir.IN, width=SV_FIELD_BITS, role=Role.SV_DATA),
            Port(name="out_valid", dir=PortDir.OUT, width=1, role=Role.OUT_VALID),
            Port(name="out_ready", dir=PortDir.IN, width=1, role=Role.OUT_READY),
            Port(
                name="out_man",
                dir=PortDir.OUT,
                width=self.out_man_bits,
                role=Role.OUT_MAN,
                signed=True,
            ),
        ]
        if self.mode is PEMode.NARROW:
            ports.append(
                Port(name="out_exp", dir=PortDir.OUT, width=self.out_exp_bits, role=Role.OUT_EXP)
            )
        ports.append(
            Port(name="out_flags", dir=PortDir.OUT, width=GROUP_FLAG_BITS, role=Role.OUT_FLAGS)
        )
        return tuple(ports)

    def bitmod_facts(self) -> dict[str, Any]:
        """The manifest's ``bitmod`` section (``docs/bitmod.md``, "Manifest")."""
        return {
            "group_size": self.group_size,
            "min_group_size": self.min_group_size,
            "beats_per_group": self.beats_per_group,
            "dot": self.dot,
            "mode": str(self.mode),
            "weight_types": {w.value: w.code for w in self.weight_types},
            "cycles_per_weight": self.cycles_per_weight,
            "macs_per_cycle": self.macs_per_cycle,
            "group_latency": {w.value: self.group_latency(w) for w in self.weight_types},
            "special_values": list(self.special_values),
            "weight_code_bits": WEIGHT_CODE_BITS,
            "scale_bits": SCALE_BITS,
            "out_lsb_exp": self.out_lsb_exp,
            "out_man_bits": self.out_man_bits,
            "out_exp_bits": self.out_exp_bits,
            "metadata_ports": metadata_ports(self.ports()),
        }

    def facts(self) -> DesignFacts:
        """Formats, the output frame as ``accumulator``, flag layout and the ``bitmod`` section.

        ``accumulator`` describes ``out_man``: value ``out_man * 2**(out_exp + lsb_exp)``
        (``out_exp`` is 0 in exact mode), ``max_terms`` = group size.
        """
        return DesignFacts(
            a_format=self.act_format,
            w_format=W_FORMAT,
            accumulator=self.accumulator_info(),
            flags=group_flag_bits(),
            reset=self.reset(),
            bitmod=self.bitmod_facts(),
        )

    def accumulator_info(self) -> AccumulatorInfo:
        """The manifest's ``accumulator``: the ``out_man`` frame, ``max_terms`` = group size."""
        return AccumulatorInfo(
            bits=self.out_man_bits,
            lsb_exp=self.out_lsb_exp,
            overflow="exact" if self.mode is PEMode.EXACT else "narrow",
            max_terms=self.group_size,
        )

    def golden(self) -> BitmodPEConfig:
        """The golden model's parameters: the config itself (:mod:`hwgen.golden.bitmod`)."""
        return self
