"""Quantize the two GEMM operands and turn their codes into exact fixed-point integers.

Weights ``W[K, N]`` are quantized along K (one scale per group of K per output channel)
with :func:`hwgen.quant.quantize`; activations ``A[M, K]`` with the named
:class:`~hwgen.accuracy.config.ActScaling`. Each operand becomes an index into its
multiplier tables (:mod:`hwgen.accuracy.products`) plus the float64 scale of every group:
``value = table value [index] * scale``, checked against the quantizer's own ``dequant``.

:func:`fixed_operand` then builds the integer matrices of the bilinear form, in units of
``2**unit_exp`` with ``unit_exp`` the smallest exponent present in the data (at least the
format's LSB), so wide formats such as ``bf16`` fit int64 as long as the data spans fewer
than 62 binades.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.accuracy.config import ActivationQuant, ActScaling, WeightQuant
from hwgen.accuracy.exact_matmul import magnitude_bound
from hwgen.accuracy.products import CodeTables
from hwgen.errors import HwgenError
from hwgen.formats import Format
from hwgen.formats.fast import gather
from hwgen.formats.table import MixtureFormat
from hwgen.quant import (
    QuantResult,
    Scheme,
    mx_emax,
    quantize,
    quantize_groups,
    quantize_mx,
)

__all__ = [
    "FixedOperand",
    "QuantizedOperand",
    "fixed_operand",
    "quantize_activations",
    "quantize_weights",
]

# Operand integers stay below this so that products and sums have int64 headroom.
_INT_LIMIT_BITS = 62


@dataclass(frozen=True, eq=False)
class QuantizedOperand:
    """One quantized GEMM operand.

    Attributes
    ----------
    index
        ``intp`` index of every element into the operand's code tables (the code; for
        mixtures ``variant * 2**bits + code``), the operand's shape.
    scales
        float64 scale of every group: ``(M, K // group)`` for activations, ``(K // group,
        N)`` for weights. ``value = values[index] * scale``.
    group
        Elements per scale along K.
    dequant
        float64 dequantized operand (the quantizer's own).
    """

    index: np.ndarray
    scales: np.ndarray
    group: int
    dequant: np.ndarray


def _values_table(fmt: Format | MixtureFormat) -> np.ndarray:
    vs = fmt.variants if isinstance(fmt, MixtureFormat) else (fmt,)
    return np.concatenate([v.values() for v in vs])


def _mx_scale_shift(fmt: Format) -> int:
    """Power of two MX applies on top of the E8M0 scale (-6 for MXINT8's 1.6 fixed point)."""
    return mx_emax(fmt) - (int(np.frexp(fmt.max_value)[1]) - 1)


def _checked(
    fmt: Format | MixtureFormat,
    index: np.ndarray,
    scales: np.ndarray,
    group: int,
    dequant: np.ndarray,
    *,
    k_axis: int,
) -> QuantizedOperand:
    """Build the operand after checking ``values[index] * scale`` reproduces ``dequant``."""
    per_elem = np.repeat(scales, group, axis=k_axis)
    recon = gather(_values_table(fmt), index) * per_elem
    if not np.array_equal(recon, dequant):  # the quantizer and this model disagree
        raise RuntimeError(f"internal error: {fmt.name} codes x scales do not give the dequant")
    return QuantizedOperand(index=index, scales=scales, group=group, dequant=dequant)


def quantize_weights(w: np.ndarray, wq: WeightQuant) -> QuantizedOperand:
    """Quantize ``W[K, N]`` (float64) along K as ``wq`` says.

    Raises
    ------
    HwgenError
        The group size does not divide K, and the quantizers' own errors.
    """
    k = w.shape[0]
    group = wq.group_along(k)
    if k % group:
        raise HwgenError(f"weight group size {group} does not divide K = {k}")
    fmt = wq.fmt
    q: QuantResult = quantize(
        w,
        fmt,
        group_size=group,
        axis=0,
        scheme=wq.scheme,
        second_level_int8=bool(wq.second_level_int8),
    )
    index = q.codes.astype(np.intp)
    scales = np.asarray(q.scales, dtype=np.float64)
    if isinstance(fmt, MixtureFormat):
        assert q.selector is not None
        index = index + np.repeat(q.selector.astype(np.intp), group, axis=0) * (1 << fmt.bits)
    elif wq.scheme is Scheme.MX:
        scales = np.ldexp(scales, _mx_scale_shift(fmt))
    return _checked(fmt, index, scales, group, q.dequant, k_axis=0)


def quantize_activations(a: np.ndarray, aq: ActivationQuant) -> QuantizedOperand:
    """Quantize ``A[M, K]`` (float64) with the scaling of ``aq``.

    Conversion always saturates: out-of-range values clamp to the largest finite value
    (what the converter feeding an array does), never become inf or NaN.

    Raises
    ------
    HwgenError
        The group size does not divide K, and the quantizers' own errors.
    """
    m, k = a.shape
    fmt = aq.fmt
    sc = aq.scaling
    group = aq.group_along(k)
    if k % group:
        raise HwgenError(f"activation group size {group} does not divide K = {k}")
    if sc is ActScaling.NONE:
        codes = fmt.encode(a, saturate=True)
        scales = np.ones((m, 1))
        dequant = fmt.decode(codes)
    elif sc is ActScaling.PER_TENSOR:
        q = quantize_groups(a.reshape(1, -1), fmt, group_size=a.size)
        codes = q.codes.reshape(m, k)
        scales = np.full((m, 1), float(q.scales[0, 0]))
        dequant = q.dequant.reshape(m, k)
    elif sc is ActScaling.MX:
        q = quantize_mx(a, fmt, block_size=group, axis=1)
        codes, dequant = q.codes, q.dequant
        scales = np.ldexp(np.asarray(q.scales, dtype=np.float64), _mx_scale_shift(fmt))
    else:  # per-token is one group of K per row
        q = quantize_groups(a, fmt, group_size=group, axis=1)
        codes, scales, dequant = q.codes, np.asarray(q.scales, dtype=np.float64), q.dequant
    return _checked(fmt, codes.astype(np.intp), scales, group, dequant, k_axis=1)


@dataclass(frozen=True, eq=False)
class FixedOperand:
    """The integer matrices of one operand of a bilinear product.

    Attributes
    ----------
    terms
        int64 arrays (operand shape), one per term of the :class:`CodeTables`; each is
        ``table[index] << (exp[index] - unit_exp)``.
    bounds
        ``max |term|`` of each term (Python ints).
    unit_exp
        Weight of one integer unit.
    """

    terms: tuple[np.ndarray, ...]
    bounds: tuple[int, ...]
    unit_exp: int


def fixed_operand(tables: CodeTables, index: np.ndarray, *, role: str) -> FixedOperand:
    """Integer matrices of an operand: its tables gathered at ``index``, in a common unit.

    Raises
    ------
    HwgenError
        When the values present span more than 2**62 (wide formats with extreme data).
    """
    size = tables.exp.size
    present = np.bincount(index.reshape(-1), minlength=size)[:size] > 0
    used = present & np.any(np.stack(tables.terms) != 0, axis=0)
    if not used.any():
        zero = np.zeros(index.shape, dtype=np.int64)
        return FixedOperand(
            terms=tuple(zero for _ in tables.terms), bounds=(0,) * len(tables.terms), unit_exp=0
        )
    unit = int(tables.exp[used].min())
    local = np.where(used, tables.exp - unit, 0)
    top = max(magnitude_bound(np.where(used, t, 0)).bit_length() for t in tables.terms)
    span = top + int(local.max())
    if span > _INT_LIMIT_BITS:
        raise HwgenError(
            f"{role} values span {span} bits in fixed point (2**{unit} to 2**{unit + span});"
            f" at most {_INT_LIMIT_BITS} are supported"
        )
    terms, bounds = [], []
    for t in tables.terms:
        lut = np.where(used, t << local, 0).astype(np.int64)
        terms.append(gather(lut, index))
        bounds.append(magnitude_bound(lut))
    return FixedOperand(terms=tuple(terms), bounds=tuple(bounds), unit_exp=unit)
