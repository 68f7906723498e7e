"""Amaranth hardware generators: operand decoders, multipliers, aligner, accumulator,
float conversion, the MAC unit and the PE array.

Everything is built from frozen configs (:class:`MacConfig`, :class:`ArrayConfig`) and the
format objects of :mod:`hwgen.formats`; ``MacConfig(...).create()`` gives the
:class:`MacUnit` component.
"""

from hwgen.rtl.accumulator import Accumulator
from hwgen.rtl.aligner import Aligner
from hwgen.rtl.array import ArrayConfig, PEArray
from hwgen.rtl.config import MacConfig
from hwgen.rtl.decoder import Decoder
from hwgen.rtl.flags import FLAG_BITS, FlagRegister, ProductFlags
from hwgen.rtl.fpconvert import FloatConverter
from hwgen.rtl.mac import MacUnit
from hwgen.rtl.multiplier import ExactMultiplier, LMulMultiplier

__all__ = [
    "FLAG_BITS",
    "Accumulator",
    "Aligner",
    "ArrayConfig",
    "Decoder",
    "ExactMultiplier",
    "FlagRegister",
    "FloatConverter",
    "LMulMultiplier",
    "MacConfig",
    "MacUnit",
    "PEArray",
    "ProductFlags",
]
