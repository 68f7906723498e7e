"""A table-based second opinion: MAC energy and area from published per-operation numbers.

Energies are Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm, 0.9 V); areas are
the Dally tutorial's numbers for the same operations (weaker provenance), both as collected
in ``shared/reference/cost-anchors.md``. This is a *labelled estimate*, not a flow:

- integer multiplier of ``n x m`` bits: the 8x8 entry (0.2 pJ, 282 um2) scaled by
  ``n*m/64`` (multipliers grow with the product of the widths, as the 32-bit entry
  confirms: 3.1 pJ vs 0.2 * 16 = 3.2 pJ);
- minifloat multiplier: the significand product (``(m_a+1) x (m_b+1)`` bits, same scaling)
  plus an exponent adder of ``e_a + e_b`` bits;
- accumulator adder of ``k`` bits: the 32-bit entry (0.1 pJ, 137 um2) scaled by ``k/32``;
- no register, alignment or normalisation cost (the table has none): for minifloat MACs
  the estimate is a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwgen.emit.manifest import Manifest
from hwgen.formats import get_format
from hwgen.formats.base import FormatKind

__all__ = ["CITATION", "TableEstimate", "table_estimate"]

CITATION = (
    "table estimate (second opinion): Horowitz ISSCC 2014 energies, 45 nm 0.9 V; areas from "
    "the Dally tutorial; scaled by operand width; no registers, alignment or normalisation"
)
_MULT8_PJ, _MULT8_UM2 = 0.2, 282.0
_ADD32_PJ, _ADD32_UM2 = 0.1, 137.0


@dataclass(frozen=True, slots=True)
class TableEstimate:
    """Energy (pJ) and area (um2) of one MAC from the table."""

    energy_pj_per_mac: float
    area_um2: float


def _mult_bits(name: str) -> tuple[int, int] | None:
    """(significand bits, exponent bits) of a format, or None when the table cannot say."""
    fmt = get_format(name)
    if fmt.kind is FormatKind.INT:
        return fmt.bits, 0
    exp = getattr(fmt, "exp_bits", None)
    man = getattr(fmt, "man_bits", None)
    if exp is None or man is None:
        return None
    return man + 1, exp


def table_estimate(manifest: Manifest) -> TableEstimate | None:
    """The table estimate of a MAC design (``None`` for kinds or formats it cannot price)."""
    if str(manifest.kind) != "mac":
        return None
    a, w = _mult_bits(manifest.a_format), _mult_bits(manifest.w_format)
    if a is None or w is None:
        return None
    prod = a[0] * w[0] / 64.0
    exp_add = (a[1] + w[1]) / 32.0
    acc = manifest.accumulator.bits / 32.0
    energy = _MULT8_PJ * prod + _ADD32_PJ * (exp_add + acc)
    area = _MULT8_UM2 * prod + _ADD32_UM2 * (exp_add + acc)
    return TableEstimate(energy_pj_per_mac=round(energy, 4), area_um2=round(area, 1))
