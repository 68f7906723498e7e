"""The golden model: bit-exact numpy arithmetic that every hardware block is checked against.

Pure numpy (no HDL import). Values are exact fixed-point integers in units of
``2**(a.lsb_exp + w.lsb_exp)``; NaN / infinity travel as a separate flag word.

* :mod:`~hwgen.golden.sizing` -- :func:`accumulator_spec` (tight exact width),
  :func:`published_accumulator_bits` (Aggarwal et al., FPL 2024).
* :mod:`~hwgen.golden.products` -- :func:`product_ints`, :class:`Multiplier`.
* :mod:`~hwgen.golden.dot` -- :func:`dot`, :func:`gemm`.
* :mod:`~hwgen.golden.accumulate` -- :func:`mac_trace`, :class:`Overflow`, :class:`MacTrace`,
  :func:`window_truncate` (the floor rounding of an accumulator window).
* :mod:`~hwgen.golden.rounding` -- :func:`to_float`, :func:`acc_to_format`.
* :mod:`~hwgen.golden.lmul` -- :func:`lmul_product_ints` (L-Mul, arXiv 2410.00907).
* :mod:`~hwgen.golden.specials` -- :class:`Flag`, :func:`product_flags`, :func:`reduce_flags`.
* :mod:`~hwgen.golden.float_acc` -- :class:`FloatAccSpec`, :func:`float_mac_trace` (a
  minifloat accumulator), :mod:`~hwgen.golden.float_error` -- :func:`float_acc_error`;
  :mod:`~hwgen.golden.product_spec` -- :func:`product_spec` (the product interface).
"""

from hwgen.golden.accumulate import WINDOW_ROUNDING, MacTrace, Overflow, mac_trace, window_truncate
from hwgen.golden.dot import dot, gemm
from hwgen.golden.float_acc import (
    AccRounding,
    FloatAccSpec,
    FloatMacTrace,
    Subnormals,
    float_acc_trace,
    float_mac_trace,
)
from hwgen.golden.float_error import AccError, acc_error, float_acc_error
from hwgen.golden.lmul import lmul_offset_exponent, lmul_product_ints
from hwgen.golden.product_spec import ProductSpec, product_spec
from hwgen.golden.products import Multiplier, product_ints
from hwgen.golden.result import ExactResult
from hwgen.golden.rounding import acc_to_format, to_float
from hwgen.golden.sizing import (
    AccumulatorSpec,
    accumulator_spec,
    extreme_products,
    published_accumulator_bits,
)
from hwgen.golden.specials import FLAG_BITS, FLAG_WIDTH, Flag, product_flags, reduce_flags

__all__ = [
    "FLAG_BITS",
    "FLAG_WIDTH",
    "WINDOW_ROUNDING",
    "AccError",
    "AccRounding",
    "AccumulatorSpec",
    "ExactResult",
    "Flag",
    "FloatAccSpec",
    "FloatMacTrace",
    "MacTrace",
    "Multiplier",
    "Overflow",
    "ProductSpec",
    "Subnormals",
    "acc_error",
    "acc_to_format",
    "accumulator_spec",
    "dot",
    "extreme_products",
    "float_acc_error",
    "float_acc_trace",
    "float_mac_trace",
    "gemm",
    "lmul_offset_exponent",
    "lmul_product_ints",
    "mac_trace",
    "product_flags",
    "product_ints",
    "product_spec",
    "published_accumulator_bits",
    "reduce_flags",
    "to_float",
    "window_truncate",
]
