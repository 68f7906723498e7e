"""Amaranth hardware generators, one package per design family plus shared parts.

* :mod:`hwgen.rtl.common` -- operand decoders, the interchangeable multipliers (one shared
  signature), aligner, accumulator, special-value flags, float conversion;
* :mod:`hwgen.rtl.mac` -- :class:`~hwgen.rtl.mac.MacUnit`;
* :mod:`hwgen.rtl.array` -- :class:`~hwgen.rtl.array.PEArray`.

Components are built from the frozen configs of :mod:`hwgen.design`
(``config.create()``) and derive their signatures from ``config.ports()``.
"""
