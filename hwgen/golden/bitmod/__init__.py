"""BitMoD-style bit-serial mixture-of-datatype PE: configuration and bit-exact golden model.

* :mod:`~hwgen.golden.bitmod.config` -- :class:`BitmodPEParams`, :class:`WeightType`,
  :class:`PEMode`, :class:`GroupFlag`.
* :mod:`~hwgen.golden.bitmod.terms` -- the weight term encoder (:func:`encode_terms`).
* :mod:`~hwgen.golden.bitmod.pe` -- the vectorised PE model (:func:`group_results`) and
  its GEMM (:func:`bitmod_gemm`).
* :mod:`~hwgen.golden.bitmod.scalar` -- a slow, independent per-element model.
* :mod:`~hwgen.golden.bitmod.stream` -- the packed weight-SRAM layout and the path from
  float weights to it.

Pure numpy / Python (no HDL import). Arithmetic and layouts: ``docs/bitmod.md``.
"""

from hwgen.golden.bitmod.config import (
    ACT_FORMATS,
    DOT_SIZES,
    MAX_GROUP_SIZE,
    SCALE_BITS,
    AccRounding,
    BitmodPEParams,
    GroupFlag,
    PEMode,
    WeightType,
    check_special_value,
    default_special_values,
)
from hwgen.golden.bitmod.pe import GroupResults, act_fields, bitmod_gemm, group_results
from hwgen.golden.bitmod.stream import (
    PackedWeights,
    gemm_from_floats,
    pack,
    quantize_weights,
    unpack,
)
from hwgen.golden.bitmod.terms import Terms, encode_terms, weight_values

__all__ = [
    "ACT_FORMATS",
    "DOT_SIZES",
    "MAX_GROUP_SIZE",
    "SCALE_BITS",
    "AccRounding",
    "BitmodPEParams",
    "GroupFlag",
    "GroupResults",
    "PEMode",
    "PackedWeights",
    "Terms",
    "WeightType",
    "act_fields",
    "bitmod_gemm",
    "check_special_value",
    "default_special_values",
    "encode_terms",
    "gemm_from_floats",
    "group_results",
    "pack",
    "quantize_weights",
    "unpack",
    "weight_values",
]
