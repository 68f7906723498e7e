"""Quantization of tensors to number formats, and the quantization error of weight files.

* :mod:`hwgen.quant.absmax`, :mod:`~hwgen.quant.mx`, :mod:`~hwgen.quant.bitmod`: the
  scaling schemes (per-group absmax, OCP MX blocks, BitMoD datatype selection), behind
  :func:`quantize`;
* :mod:`hwgen.quant.tensors`: weight files read one tensor and one row chunk at a time;
* :mod:`hwgen.quant.synthetic`: random weight tensors;
* :mod:`hwgen.quant.error`: relative MSE / SQNR of formats over tensors, on all cores.
"""

from hwgen.quant.absmax import quantize_groups
from hwgen.quant.bitmod import quantize_bitmod
from hwgen.quant.error import (
    ABSMAX_SCALE_BITS,
    BITMOD_SCALE_BITS,
    MX_SCALE_BITS,
    Entry,
    QuantErrorReport,
    bits_per_weight,
    make_entry,
    measure,
    rank_formats,
    select_sources,
    select_tensors,
)
from hwgen.quant.mx import MX_ELEMENT_FORMATS, MX_SCALE_EXP_RANGE, mx_emax, quantize_mx
from hwgen.quant.result import QuantResult, Scheme
from hwgen.quant.schemes import default_scheme, quantize
from hwgen.quant.synthetic import DEFAULT_SHAPES, Dist, synthetic_tensors
from hwgen.quant.tensors import TensorSource, load_tensors, open_weights

__all__ = [
    "ABSMAX_SCALE_BITS",
    "BITMOD_SCALE_BITS",
    "DEFAULT_SHAPES",
    "MX_ELEMENT_FORMATS",
    "MX_SCALE_BITS",
    "MX_SCALE_EXP_RANGE",
    "Dist",
    "Entry",
    "QuantErrorReport",
    "QuantResult",
    "Scheme",
    "TensorSource",
    "bits_per_weight",
    "default_scheme",
    "load_tensors",
    "make_entry",
    "measure",
    "mx_emax",
    "open_weights",
    "quantize",
    "quantize_bitmod",
    "quantize_groups",
    "quantize_mx",
    "rank_formats",
    "select_sources",
    "select_tensors",
    "synthetic_tensors",
]
