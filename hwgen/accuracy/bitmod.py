"""The GEMM of a BitMoD PE in ``narrow`` mode: the bit-exact golden PE model, end to end.

A narrow-mode PE truncates in four places (lanes, alignment, normalisation,
dequantization; ``docs/bitmod.md``), in an order that depends on the per-group datatype's
term steps, so no bilinear shortcut exists: :class:`BitmodNarrowGemm` runs the golden
model itself (:func:`hwgen.golden.bitmod.gemm_from_floats`, vectorised over every output
and group):

* weights ``W[K, N]`` are quantized for the PE's weight SRAM by
  :func:`hwgen.golden.bitmod.quantize_weights` (``bitmod_fp4`` / ``bitmod_fp3``:
  :func:`hwgen.quant.quantize_bitmod` with its per-group variant as the special-value
  selector; integer datatypes: absmax groups), unsigned INT8 group scales against a
  per-output-channel float scale, groups of the PE's ``group_size`` along K;
* activations are quantized to the PE's ``act_format`` with a scale that is constant along
  K (``none``, ``per-tensor`` or ``per-token``; a per-group activation scale would have to
  enter the PE's group result and is refused);
* ``Y[m, n] = act_scale[m] * row_scale[n] * sum_g group_result[m, n, g]`` with the group
  sum exact and rounded once (what the PE's consumer computes).

The exact mode needs none of this: its group results are exact, so its GEMM is the
exact GEMM of the formats (:class:`~hwgen.accuracy.GemmDesign`, on BLAS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.accuracy.config import ActivationQuant, ActScaling
from hwgen.accuracy.operands import quantize_activations
from hwgen.errors import HwgenError
from hwgen.golden.bitmod import BitmodPEParams, PEMode, gemm_from_floats, quantize_weights

__all__ = ["NARROW_WEIGHT_FORMATS", "BitmodNarrowGemm"]

#: Weight formats the PE's weight path quantizes (:func:`hwgen.golden.bitmod.quantize_weights`).
NARROW_WEIGHT_FORMATS = ("bitmod_fp4", "bitmod_fp3", "int8", "int6", "int4", "int3")

_K_CONSTANT = (ActScaling.NONE, ActScaling.PER_TENSOR, ActScaling.PER_TOKEN)


@dataclass(frozen=True, kw_only=True)
class BitmodNarrowGemm:
    """How a narrow-mode BitMoD PE computes ``Y = A @ W`` (module docstring).

    Parameters
    ----------
    pe
        The PE's parameters (``BitmodPEConfig`` is one), ``mode = narrow``.
    weight_format
        One of :data:`NARROW_WEIGHT_FORMATS`: the datatype (or mixture) the PE serves.
    activations
        :class:`~hwgen.accuracy.ActivationQuant` in the PE's ``act_format`` with a scaling
        constant along K.

    Raises
    ------
    HwgenError
        Exact mode (use a :class:`~hwgen.accuracy.GemmDesign`), another weight format,
        an activation format other than the PE's, or a scaling that varies along K.
    """

    pe: BitmodPEParams
    weight_format: str
    activations: ActivationQuant

    def __post_init__(self) -> None:
        if not isinstance(self.pe, BitmodPEParams):
            raise HwgenError(f"pe must be BitMoD PE parameters, not {type(self.pe).__name__}")
        if self.pe.mode is not PEMode.NARROW:
            raise HwgenError(
                "BitmodNarrowGemm models the narrow mode; the exact mode's GEMM is the exact"
                " GEMM of its formats (a GemmDesign)"
            )
        if self.weight_format not in NARROW_WEIGHT_FORMATS:
            raise HwgenError(
                f"BitMoD PE weight format must be one of {', '.join(NARROW_WEIGHT_FORMATS)},"
                f" not {self.weight_format!r}"
            )
        if not isinstance(self.activations, ActivationQuant):
            raise HwgenError(
                f"activations must be an ActivationQuant, not {type(self.activations).__name__}"
            )
        if self.activations.format != self.pe.act_format:
            raise HwgenError(
                f"activation format {self.activations.format} is not the PE's act_format"
                f" {self.pe.act_format}"
            )
        if self.activations.scaling not in _K_CONSTANT:
            allowed = ", ".join(s.value for s in _K_CONSTANT)
            raise HwgenError(
                f"a BitMoD PE's activation scale must be constant along K ({allowed}), not"
                f" {self.activations.scaling.value}: the PE has no per-group activation scale"
            )

    @property
    def label(self) -> str:
        """E.g. ``fp16/per-token x bitmod_fp4/pe-g128, bitmod narrow (acc15 floor)``."""
        a, pe = self.activations, self.pe
        rounding = pe.acc_rounding.value if pe.acc_rounding is not None else "floor"
        return (
            f"{a.format}/{a.scaling.value} x {self.weight_format}/pe-g{pe.group_size},"
            f" bitmod narrow (acc{pe.acc_bits} {rounding})"
        )

    def output(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``Y[M, N]`` (float64) of float64 ``A[M, K]`` and ``W[K, N]`` as the PE computes it.

        Raises
        ------
        HwgenError
            K not a multiple of the PE's ``group_size``; the quantizers' errors.
        """
        g = self.pe.group_size
        if a.shape[1] % g:
            raise HwgenError(f"K = {a.shape[1]} is not a multiple of the PE's group_size {g}")
        qa = quantize_activations(a, self.activations)
        pw = quantize_weights(w.T, self.weight_format, group_size=g)
        _, y = gemm_from_floats(self.pe, qa.index, pw)
        return y * qa.scales[:, :1]
