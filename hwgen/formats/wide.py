"""Arithmetic (table-free) decoding and facts for minifloats wider than 16 bits.

A format of up to 16 bits keeps a value table (``Format.values()``, at most 65536 float64);
a wider one (``fp32`` has 2**32 codes, a 32 GiB table) cannot. For those, every conversion
is computed from the bit fields, vectorised:

* :func:`decode_fields` -- value of each code from its sign, exponent and mantissa fields;
* :func:`magcode_value` -- value of one magnitude code (exponent and mantissa fields read
  as one integer), used for ``max_value`` / ``min_positive``;
* :func:`refuse_table` -- the one-line error every code-enumerating API raises.

The encoder (:meth:`MinifloatFormat.encode_exact`) was arithmetic already: it is exact for
any mantissa width up to 52 bits because ``frexp``, ``ldexp`` and ``rint`` are exact on
float64.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError

if TYPE_CHECKING:
    from hwgen.formats.minifloat import MinifloatFormat

#: Widest format that keeps a value table (2**16 float64 = 512 KiB).
MAX_TABLE_BITS = 16


def refuse_table(fmt: MinifloatFormat, what: str) -> HwgenError:
    """The error for ``what`` (an API that enumerates every code) on a wide format."""
    return HwgenError(
        f"{what} of {fmt.name} would enumerate 2**{fmt.bits} codes; value tables exist only"
        f" for formats of at most {MAX_TABLE_BITS} bits (use encode/decode)"
    )


def decode_fields(fmt: MinifloatFormat, codes: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
    """Value of each (range-checked) code of ``fmt`` as float64, from its fields.

    NaN codes give a NaN with the code's sign (payload bits are not carried); inf codes
    give +-inf. Finite values are exact (the format fits float64, checked at construction).
    """
    e, m = fmt.exp_bits, fmt.man_bits
    c = np.asarray(codes).astype(np.int64)
    neg = (c >> (e + m)) & 1 == 1
    ef = (c >> m) & ((1 << e) - 1)
    mf = c & ((1 << m) - 1)
    magcode = c & ((1 << (e + m)) - 1)
    implicit = (ef > 0).astype(np.int64)
    sig = implicit << m | mf
    if not fmt.subnormals:
        sig = np.where(ef == 0, 0, sig)
    mag = np.ldexp(sig.astype(np.float64), (np.maximum(ef, 1) - 1 + fmt.lsb_exp).astype(np.int32))
    from hwgen.formats.minifloat import SpecialPolicy

    if fmt.specials is SpecialPolicy.IEEE:
        top = ef == (1 << e) - 1
        mag = np.where(top & (mf == 0), np.inf, mag)
        mag = np.where(top & (mf != 0), np.nan, mag)
    elif fmt.specials is SpecialPolicy.FN:
        mag = np.where(magcode == (1 << (e + m)) - 1, np.nan, mag)
    return np.copysign(mag, np.where(neg, -1.0, 1.0))


def magcode_value(fmt: MinifloatFormat, magcode: int) -> float:
    """Value of a finite magnitude code (sign bit clear)."""
    return float(decode_fields(fmt, np.array([magcode], dtype=np.int64))[0])


def float32_exact(fmt: MinifloatFormat) -> bool:
    """Whether every finite value of ``fmt`` is exactly a float32."""
    lo = fmt.lsb_exp if fmt.subnormals else fmt.emin
    return fmt.man_bits <= 23 and fmt.emax <= 127 and lo >= -149


def is_binary32(fmt: MinifloatFormat) -> bool:
    """Whether ``fmt`` has exactly the IEEE binary32 layout and semantics (float32 codes)."""
    from hwgen.formats.minifloat import SpecialPolicy

    return (
        fmt.exp_bits == 8
        and fmt.man_bits == 23
        and fmt.bias == 127
        and fmt.subnormals
        and fmt.specials is SpecialPolicy.IEEE
    )
