"""The PE-array family's hardware: :class:`PEArray`."""

from hwgen.rtl.array.pe_array import PEArray

__all__ = ["PEArray"]
