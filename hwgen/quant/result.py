"""The result of a scaled quantization and the scheme names."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class Scheme(enum.StrEnum):
    """How a tensor is scaled before its elements are rounded."""

    ABSMAX = "absmax"
    MX = "mx"
    BITMOD = "bitmod"


@dataclass(frozen=True)
class QuantResult:
    """A quantized tensor.

    Attributes
    ----------
    codes
        Element codes (the element format's raw bit patterns), same shape as the input.
    scales
        float64 scale of every group: the input shape with the grouped axis divided by the
        group size. ``dequant = decode(codes) * scale`` (times ``2**-6`` for MXINT8).
    dequant
        float64 dequantized tensor, input shape.
    selector
        BitMoD only: ``uint8`` index into ``MixtureFormat.variants`` per group (shape of
        ``scales``); ``None`` otherwise.
    scale_codes
        Stored scale codes when the scheme stores them as integers: E8M0 codes
        (``exponent + 127``) for MX, unsigned INT8 codes for BitMoD second-level scales;
        ``None`` otherwise.
    row_scales
        The first-level scale of every row (the input shape without the grouped axis) when
        the scheme has one: BitMoD with INT8 second-level scales (``scales = scale_codes x
        row_scales``), MX (``scales = 2**(scale_codes - 127) x row_scales``, a power of two
        that is 1 unless the row's block exponents leave E8M0's range); ``None`` otherwise.
    """

    codes: np.ndarray
    scales: np.ndarray
    dequant: np.ndarray
    selector: np.ndarray | None = None
    scale_codes: np.ndarray | None = None
    row_scales: np.ndarray | None = None

    def __post_init__(self) -> None:
        # Results are values: freeze the arrays as well as the attributes.
        for arr in (
            self.codes,
            self.scales,
            self.dequant,
            self.selector,
            self.scale_codes,
            self.row_scales,
        ):
            if arr is not None:
                arr.setflags(write=False)
