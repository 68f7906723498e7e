"""Number formats: the single source of truth for bit layouts, values and conversions.

>>> from hwgen import formats
>>> f = formats.get("fp4_e2m1")
>>> f.bits, f.max_value
(4, 6.0)
"""

from hwgen.formats.base import Format, FormatKind, SigExp, signed_width
from hwgen.formats.integer import IntFormat
from hwgen.formats.minifloat import MinifloatFormat, SpecialPolicy
from hwgen.formats.registry import get, get_format, names
from hwgen.formats.table import MixtureFormat, TableFormat

__all__ = [
    "Format",
    "FormatKind",
    "IntFormat",
    "MinifloatFormat",
    "MixtureFormat",
    "SigExp",
    "SpecialPolicy",
    "TableFormat",
    "get",
    "get_format",
    "names",
    "signed_width",
]
