"""Accuracy of a design: the error of a GEMM computed the way its hardware computes it.

Both operands are quantized as the design stores them (weights per group / MX block /
BitMoD mixture, activations with a named scaling), the products are the golden model's
exact integer products of the codes (or L-Mul's), the accumulator's width and overflow
policy are applied, and the result is dequantized with the scales and compared with the
float64 GEMM (``rel_mse``, ``sqnr_db``). Pure numpy; see ``docs/accuracy.md``.

>>> import numpy as np
>>> from hwgen.accuracy import ActivationQuant, GemmDesign, WeightQuant, gemm_error
>>> rng = np.random.default_rng(0)
>>> a, w = rng.normal(size=(16, 256)), rng.normal(size=(256, 32))
>>> d = GemmDesign(activations=ActivationQuant(format="int8"),
...                weights=WeightQuant(format="int8", group_size="channel"))
>>> round(gemm_error(a, w, d).sqnr_db)
40
"""

from hwgen.accuracy.accumulators import (
    Accumulator,
    ExactAccumulator,
    FixedPointAccumulator,
    Segment,
    SegmentCodes,
)
from hwgen.accuracy.bitmod import NARROW_WEIGHT_FORMATS, BitmodNarrowGemm
from hwgen.accuracy.config import (
    DEFAULT_ACT_GROUP,
    DEFAULT_MX_BLOCK,
    DEFAULT_WEIGHT_GROUP,
    PER_CHANNEL,
    ActivationQuant,
    ActScaling,
    GemmDesign,
    WeightQuant,
)
from hwgen.accuracy.evaluate import DesignAccuracy, TensorAccuracy, evaluate_design
from hwgen.accuracy.float_acc import FloatAccumulator
from hwgen.accuracy.gemm import AccuracyResult, design_gemm, error_metrics, gemm_error, sqnr_db
from hwgen.accuracy.sources import (
    ACT_STD,
    OUTLIER_CHANNEL_FRACTION,
    OUTLIER_SCALE,
    STUDENT_T_DF,
    ActDist,
    SyntheticActivations,
    WeightLayout,
    load_activations,
    synthetic_weights,
    weight_matrices,
)

__all__ = [
    "ACT_STD",
    "DEFAULT_ACT_GROUP",
    "DEFAULT_MX_BLOCK",
    "DEFAULT_WEIGHT_GROUP",
    "NARROW_WEIGHT_FORMATS",
    "OUTLIER_CHANNEL_FRACTION",
    "OUTLIER_SCALE",
    "PER_CHANNEL",
    "STUDENT_T_DF",
    "Accumulator",
    "AccuracyResult",
    "ActDist",
    "ActScaling",
    "ActivationQuant",
    "BitmodNarrowGemm",
    "DesignAccuracy",
    "ExactAccumulator",
    "FixedPointAccumulator",
    "FloatAccumulator",
    "GemmDesign",
    "Segment",
    "SegmentCodes",
    "SyntheticActivations",
    "TensorAccuracy",
    "WeightLayout",
    "WeightQuant",
    "design_gemm",
    "error_metrics",
    "evaluate_design",
    "gemm_error",
    "load_activations",
    "sqnr_db",
    "synthetic_weights",
    "weight_matrices",
]
