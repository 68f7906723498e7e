"""Read the structural Verilog netlist Yosys writes after mapping to a cell library.

Only what ``write_verilog -noattr`` prints after ``splitnets`` is accepted: one module,
port and wire declarations, single-bit ``assign`` aliases and cell instances with named
port connections to single bits (``.A(_012_)``, ``.B(a[3])``). Anything else raises, so a
netlist that is not understood is never priced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hwgen.errors import HwgenError

__all__ = ["Instance", "Netlist", "parse_netlist"]

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_DECL = re.compile(
    r"^\s*(input|output|inout|wire)\s+(?:signed\s+)?(?:\[(\d+):(\d+)\]\s*)?([^;]+);", re.M
)
_INST = re.compile(r"^\s*([A-Za-z_][\w$]*)\s+([^\s(]+)\s*\((.*?)\);", re.M | re.S)
_CONN = re.compile(r"\.([A-Za-z_][\w$]*)\s*\(\s*([^()]*?)\s*\)")
_ASSIGN = re.compile(r"^\s*assign\s+([^=]+?)\s*=\s*([^;]+?)\s*;", re.M)
# A plain identifier with an optional bit select, or an escaped identifier (``\a.b[0] ``,
# what ``splitnets`` makes of a bus bit), whose backslash is dropped (as simulators do).
_BIT = re.compile(r"^(\\\S+|[A-Za-z_][\w$]*)(?:\s*\[(\d+)\])?$")


@dataclass(frozen=True, slots=True)
class Instance:
    """One cell instance: instance name, cell type, pin -> net."""

    name: str
    cell: str
    pins: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Netlist:
    """A flat gate-level netlist.

    Attributes
    ----------
    top:
        Module name.
    ports:
        Port name -> (direction, width).
    instances:
        Cell instances in file order.
    aliases:
        Net -> the net it is assigned from (``assign lhs = rhs``), resolved transitively.
    """

    top: str
    ports: Mapping[str, tuple[str, int]]
    instances: tuple[Instance, ...]
    aliases: Mapping[str, str]

    def net(self, name: str) -> str:
        """The canonical name of a net (following aliases)."""
        seen = 0
        while name in self.aliases and seen < 64:
            name = self.aliases[name]
            seen += 1
        return name


def _bit(text: str, widths: Mapping[str, int], where: str) -> str:
    text = text.strip()
    if re.fullmatch(r"1'[hb][01]", text):
        return text  # a constant (tie cells normally remove these)
    m = _BIT.match(text)
    if m is None:
        raise HwgenError(f"netlist: cannot read connection {text!r} in {where}")
    name, index = m.group(1).removeprefix("\\"), m.group(2)
    if index is None and widths.get(name, 1) != 1:
        raise HwgenError(f"netlist: connection {text!r} in {where} is wider than one bit")
    return name if index is None else f"{name}[{index}]"


def parse_netlist(text: str) -> Netlist:
    """Parse a Yosys gate-level netlist (see the module docstring).

    Raises
    ------
    HwgenError
        More than one module, or a construct this reader does not accept.
    """
    text = _COMMENT.sub("", text)
    modules = re.findall(r"^\s*module\s+([A-Za-z_][\w$]*)", text, re.M)
    if len(modules) != 1:
        raise HwgenError(f"netlist must hold exactly one module, found {len(modules)}")
    top = modules[0]
    body = text[text.index(";", text.index("module")) + 1 : text.rindex("endmodule")]
    widths: dict[str, int] = {}
    ports: dict[str, tuple[str, int]] = {}
    for kind, hi, lo, names in _DECL.findall(body):
        width = abs(int(hi) - int(lo)) + 1 if hi else 1
        for name in (n.strip().removeprefix("\\") for n in names.split(",")):
            widths[name] = width
            if kind != "wire":
                ports[name] = (kind, width)
    aliases: dict[str, str] = {}
    for lhs, rhs in _ASSIGN.findall(body):
        aliases[_bit(lhs, widths, "assign")] = _bit(rhs, widths, "assign")
    rest = _DECL.sub("", _ASSIGN.sub("", body))
    instances = []
    for cell, name, conns in _INST.findall(rest):
        pins = {pin: _bit(net, widths, f"{name}.{pin}") for pin, net in _CONN.findall(conns)}
        instances.append(Instance(name=name, cell=cell, pins=pins))
    leftover = _INST.sub("", rest).strip()
    if leftover:
        raise HwgenError(f"netlist: cannot read {leftover[:60]!r}")
    return Netlist(top=top, ports=ports, instances=tuple(instances), aliases=aliases)
