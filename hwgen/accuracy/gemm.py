"""A GEMM computed the way a design computes it, and its error against float64.

``Y = A @ W`` with ``A[M, K]`` activations and ``W[K, N]`` weights:

1. both operands are quantized (:mod:`hwgen.accuracy.operands`): weights with their format
   and scheme along K, activations with their named scaling;
2. K is cut into segments over which neither scale changes (the finer of the two group
   sizes; they must nest);
3. per segment the design's accumulator adds the exact integer products of the codes
   (the multiplier's bilinear form, :mod:`hwgen.accuracy.products`), as the hardware
   does between two clears (:mod:`hwgen.accuracy.accumulators`);
4. each segment's result is multiplied by its activation and weight scales (the
   dequantizer) and the segments are combined by the accumulator's ``combine`` (float64).

The error is that of ``Y`` against the float64 GEMM of the unquantized operands:
``rel_mse = ||Y - Y_ref||^2 / ||Y_ref||^2`` and ``sqnr_db = -10 log10(rel_mse)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.accuracy.accumulators import Segment, SegmentCodes
from hwgen.accuracy.bitmod import BitmodNarrowGemm
from hwgen.accuracy.config import GemmDesign
from hwgen.accuracy.operands import (
    FixedOperand,
    QuantizedOperand,
    fixed_operand,
    quantize_activations,
    quantize_weights,
)
from hwgen.accuracy.products import bilinear, format_lsb_exp
from hwgen.errors import HwgenError

__all__ = ["AccuracyResult", "design_gemm", "error_metrics", "gemm_error", "sqnr_db"]


@dataclass(frozen=True)
class AccuracyResult:
    """Error of a GEMM output against its float64 reference.

    Attributes
    ----------
    rel_mse
        ``||Y - Y_ref||^2 / ||Y_ref||^2``. 0 when ``Y == Y_ref`` (also for an all-zero
        reference); ``inf`` when the reference is all zero but ``Y`` is not.
    sqnr_db
        ``-10 log10(rel_mse)``: ``inf`` for an exact result, ``-inf`` for ``rel_mse = inf``.
    mse
        Mean squared error per output.
    ref_mean_square
        Mean square of the reference outputs.
    max_abs_error
        Largest ``|Y - Y_ref|``.
    outputs
        Number of outputs ``M * N``.
    """

    rel_mse: float
    sqnr_db: float
    mse: float
    ref_mean_square: float
    max_abs_error: float
    outputs: int


def sqnr_db(rel_mse: float) -> float:
    """``-10 log10(rel_mse)``: ``inf`` for 0, ``-inf`` for ``inf``."""
    if rel_mse == 0.0:
        return math.inf
    if math.isinf(rel_mse):
        return -math.inf
    return -10.0 * math.log10(rel_mse)


def error_metrics(output: npt.ArrayLike, reference: npt.ArrayLike) -> AccuracyResult:
    """The :class:`AccuracyResult` of ``output`` against ``reference`` (same shape, >= 1 entry).

    Raises
    ------
    HwgenError
        Different shapes, no entries, or non-finite values.
    """
    y = np.asarray(output, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if y.shape != ref.shape:
        raise HwgenError(f"output shape {y.shape} does not match reference shape {ref.shape}")
    if y.size == 0:
        raise HwgenError("cannot measure the error of an empty output")
    if not (np.isfinite(y).all() and np.isfinite(ref).all()):
        raise HwgenError("output and reference must be finite to measure an error")
    diff = y - ref
    err = float(np.dot(diff.ravel(), diff.ravel()))
    sig = float(np.dot(ref.ravel(), ref.ravel()))
    if err == 0.0:
        rel = 0.0
    elif sig == 0.0:
        rel = math.inf
    else:
        rel = err / sig
    return AccuracyResult(
        rel_mse=rel,
        sqnr_db=sqnr_db(rel),
        mse=err / y.size,
        ref_mean_square=sig / y.size,
        max_abs_error=float(np.max(np.abs(diff))),
        outputs=int(y.size),
    )


def _matrix(x: npt.ArrayLike, role: str, dims: str) -> np.ndarray:
    arr = np.asarray(x)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise HwgenError(f"{role} must hold real numbers, not dtype {arr.dtype}")
    if arr.ndim != 2:
        raise HwgenError(f"{role} must be a 2-D matrix {dims}, not shape {arr.shape}")
    a64 = arr.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(a64)))
    if bad:
        raise HwgenError(f"{role} hold {bad} NaN/inf value(s); only finite values are allowed")
    return a64


def _operands(a: npt.ArrayLike, w: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a64 = _matrix(a, "activations", "A[M, K]")
    w64 = _matrix(w, "weights", "W[K, N]")
    if a64.shape[1] != w64.shape[0]:
        raise HwgenError(
            f"activations have K = {a64.shape[1]} (A is {a64.shape}) but weights have"
            f" K = {w64.shape[0]} (W is {w64.shape}, K x N)"
        )
    if 0 in a64.shape or 0 in w64.shape:
        raise HwgenError(f"empty GEMM: A is {a64.shape}, W is {w64.shape}; M, K and N must be >= 1")
    return a64, w64


def _segment_length(qa: QuantizedOperand, qw: QuantizedOperand) -> int:
    small, big = sorted((qa.group, qw.group))
    if big % small:
        raise HwgenError(
            f"activation groups of {qa.group} and weight groups of {qw.group} along K do not"
            " nest: one must divide the other"
        )
    return small


def _segments(
    xa: FixedOperand,
    yw: FixedOperand,
    pairs: tuple[tuple[int, int, int], ...],
    *,
    length: int,
    unit_exp: int,
    format_lsb: int,
    codes: SegmentCodes,
) -> Iterator[tuple[int, Segment]]:
    k = xa.terms[0].shape[1]
    for s, k0 in enumerate(range(0, k, length)):
        ks = slice(k0, k0 + length)
        seg_codes = SegmentCodes(
            a_format=codes.a_format,
            w_format=codes.w_format,
            multiplier=codes.multiplier,
            a_index=codes.a_index[:, ks],
            w_index=codes.w_index[ks, :],
        )
        yield (
            k0,
            Segment(
                a_terms=tuple(t[:, ks] for t in xa.terms),
                w_terms=tuple(t[ks, :] for t in yw.terms),
                a_bounds=xa.bounds,
                w_bounds=yw.bounds,
                pairs=pairs,
                unit_exp=unit_exp,
                format_lsb_exp=format_lsb,
                index=s,
                k_start=k0,
                codes=seg_codes,
            ),
        )


def _design_output(
    a64: np.ndarray, w64: np.ndarray, design: GemmDesign | BitmodNarrowGemm
) -> np.ndarray:
    if isinstance(design, BitmodNarrowGemm):
        return design.output(a64, w64)
    if not isinstance(design, GemmDesign):
        raise HwgenError(
            f"design must be a GemmDesign or a BitmodNarrowGemm, not {type(design).__name__}"
        )
    qa = quantize_activations(a64, design.activations)
    qw = quantize_weights(w64, design.weights)
    length = _segment_length(qa, qw)
    a_fmt, w_fmt = design.activations.fmt, design.weights.fmt
    form = bilinear(design.multiplier, a_fmt, w_fmt)
    xa = fixed_operand(form.a, qa.index, role="activation")
    yw = fixed_operand(form.w, qw.index, role="weight")
    acc = design.accumulator
    segments = _segments(
        xa,
        yw,
        form.pairs,
        length=length,
        unit_exp=xa.unit_exp + yw.unit_exp + form.shift,
        format_lsb=a_fmt.lsb_exp + format_lsb_exp(w_fmt),
        codes=SegmentCodes(
            a_format=a_fmt,
            w_format=w_fmt,
            multiplier=design.multiplier,
            a_index=qa.index,
            w_index=qw.index,
        ),
    )

    def parts() -> Iterator[np.ndarray]:
        for k0, seg in segments:
            value = acc.accumulate(seg)
            da = qa.scales[:, k0 // qa.group]
            dw = qw.scales[k0 // qw.group, :]
            value *= da[:, None]
            value *= dw[None, :]
            yield value

    return acc.combine(parts(), (a64.shape[0], w64.shape[1]))


def design_gemm(
    a: npt.ArrayLike, w: npt.ArrayLike, design: GemmDesign | BitmodNarrowGemm
) -> np.ndarray:
    """``Y = A @ W`` as ``design`` computes it (module docstring), float64 ``(M, N)``.

    Parameters
    ----------
    a
        Activations ``A[M, K]``, real and finite.
    w
        Weights ``W[K, N]`` (K = input channels), real and finite.
    design
        The :class:`~hwgen.accuracy.config.GemmDesign`, or a
        :class:`~hwgen.accuracy.bitmod.BitmodNarrowGemm` (a narrow-mode BitMoD PE).

    Raises
    ------
    HwgenError
        Shapes that are not 2-D or whose K differ, an empty GEMM, NaN/inf values, group
        sizes that do not divide K or do not nest, an accumulator contract broken by the
        data (``overflow='exact'``), and the quantizers' errors.
    """
    a64, w64 = _operands(a, w)
    return _design_output(a64, w64, design)


def gemm_error(
    a: npt.ArrayLike, w: npt.ArrayLike, design: GemmDesign | BitmodNarrowGemm
) -> AccuracyResult:
    """Error of :func:`design_gemm` against the float64 GEMM ``A @ W``.

    Same parameters and errors as :func:`design_gemm`.
    """
    a64, w64 = _operands(a, w)
    return error_metrics(_design_output(a64, w64, design), a64 @ w64)
