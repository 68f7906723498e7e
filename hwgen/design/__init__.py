"""Design configs behind one protocol (pure Python: importing this never loads Amaranth).

* :mod:`~hwgen.design.base` -- :class:`DesignConfig` (the family protocol), :class:`Role`,
  :class:`Port` and the manifest's interface records;
* :mod:`~hwgen.design.mac` -- :class:`MacConfig` and its golden model :class:`MacArithmetic`;
* :mod:`~hwgen.design.array` -- :class:`ArrayConfig`;
* :mod:`~hwgen.design.families` -- the family table (kind -> config, rtl, bench);
* :mod:`~hwgen.design.spec` -- TOML design specs.
"""

from hwgen.design.array import ArrayConfig
from hwgen.design.base import DesignConfig, Port, PortDir, Role
from hwgen.design.families import Family, config_from_dict, families, family, kinds
from hwgen.design.mac import MacArithmetic, MacConfig

__all__ = [
    "ArrayConfig",
    "DesignConfig",
    "Family",
    "MacArithmetic",
    "MacConfig",
    "Port",
    "PortDir",
    "Role",
    "config_from_dict",
    "families",
    "family",
    "kinds",
]
