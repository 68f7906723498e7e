"""The accuracy of one design over a set of weight matrices (what a ranking needs per design).

Every weight matrix ``W[K, N]`` is multiplied by activations with its K: a given
activation matrix (whose K must fit every weight) or a sample of a
:class:`~hwgen.accuracy.sources.SyntheticActivations` (stream ``i`` for the ``i``-th
weight, so every design sees the same activations). The design's figure is the mean
``rel_mse`` over the matrices (as :func:`hwgen.quant.rank_formats` averages over
tensors) and its ``sqnr_db``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hwgen.accuracy.bitmod import BitmodNarrowGemm
from hwgen.accuracy.config import GemmDesign
from hwgen.accuracy.gemm import AccuracyResult, gemm_error, sqnr_db
from hwgen.accuracy.sources import SyntheticActivations
from hwgen.errors import AccumulatorOverflowError, HwgenError

__all__ = ["DesignAccuracy", "TensorAccuracy", "evaluate_design"]


@dataclass(frozen=True)
class TensorAccuracy:
    """The error of one weight matrix's GEMM.

    Attributes
    ----------
    tensor
        Weight name.
    m, k, n
        GEMM shape.
    result
        Its :class:`~hwgen.accuracy.gemm.AccuracyResult`.
    """

    tensor: str
    m: int
    k: int
    n: int
    result: AccuracyResult


@dataclass(frozen=True)
class DesignAccuracy:
    """The accuracy of one design over several weight matrices.

    Attributes
    ----------
    design
        The design's label.
    rel_mse
        Mean of the per-matrix ``rel_mse``.
    sqnr_db
        ``-10 log10(rel_mse)`` (``inf`` when exact).
    tensors
        Per-matrix results, in input order.
    """

    design: str
    rel_mse: float
    sqnr_db: float
    tensors: tuple[TensorAccuracy, ...]


def evaluate_design(
    design: GemmDesign | BitmodNarrowGemm,
    weights: Mapping[str, np.ndarray],
    activations: np.ndarray | SyntheticActivations,
) -> DesignAccuracy:
    """Error of ``design`` on every weight matrix of ``weights``.

    Parameters
    ----------
    design
        The :class:`~hwgen.accuracy.config.GemmDesign` (or a
        :class:`~hwgen.accuracy.bitmod.BitmodNarrowGemm`).
    weights
        Name -> ``W[K, N]`` (e.g. :func:`~hwgen.accuracy.sources.weight_matrices`), >= 1.
    activations
        ``A[M, K]`` (e.g. :func:`~hwgen.accuracy.sources.load_activations`) whose K fits
        every weight, or a :class:`~hwgen.accuracy.sources.SyntheticActivations`.

    Raises
    ------
    HwgenError
        No weights, an activation matrix whose K does not fit a weight (named, with both
        shapes), and every error of :func:`~hwgen.accuracy.gemm.gemm_error` (prefixed
        with the weight's name).
    """
    if not weights:
        raise HwgenError("at least one weight matrix is needed, not none")
    fixed = None if isinstance(activations, SyntheticActivations) else np.asarray(activations)
    if fixed is not None and fixed.ndim != 2:
        raise HwgenError(f"activations must be a 2-D matrix A[M, K], not shape {fixed.shape}")
    rows = []
    for i, (name, w) in enumerate(weights.items()):
        w = np.asarray(w)
        if w.ndim != 2:
            raise HwgenError(f"weight {name!r} must be a 2-D matrix W[K, N], not shape {w.shape}")
        if fixed is None:
            assert isinstance(activations, SyntheticActivations)
            a = activations.sample(w.shape[0], stream=i)
        else:
            if fixed.shape[1] != w.shape[0]:
                raise HwgenError(
                    f"activations have K = {fixed.shape[1]} (shape {fixed.shape}) but weight"
                    f" {name!r} has K = {w.shape[0]} (W is {w.shape}, K x N)"
                )
            a = fixed
        try:
            res = gemm_error(a, w, design)
        except AccumulatorOverflowError as exc:  # a finding about the design, kept apart
            raise AccumulatorOverflowError(f"weight {name!r}: {exc}") from None
        except HwgenError as exc:
            raise HwgenError(f"weight {name!r}: {exc}") from None
        rows.append(TensorAccuracy(name, a.shape[0], w.shape[0], w.shape[1], res))
    rel = float(np.mean([r.result.rel_mse for r in rows]))
    return DesignAccuracy(
        design=design.label, rel_mse=rel, sqnr_db=sqnr_db(rel), tensors=tuple(rows)
    )
