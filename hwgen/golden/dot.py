"""Exact dot products and GEMM of two formats.

Sums are exact integers in units of ``2**(a.lsb_exp + w.lsb_exp)`` (the accumulator's
view), with the special-value flag word of the sum (:mod:`hwgen.golden.specials`).

``dot`` sums ``sig << shift`` product terms chunk-wise (:mod:`hwgen.golden._terms`).
``gemm`` with the exact multiplier splits each *operand* by exponent range instead,
``A = sum_i A_i 2**(i*ga)``, so that every partial product ``A_i @ W_j`` is an int64
matrix product that cannot overflow; the few partial products are combined exactly. When
the whole GEMM fits in int64 (all integer formats, ``fp8_e4m3`` with ``K`` up to ~2**26)
this is one plain ``A_int @ W_int``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats import Format
from hwgen.golden._operands import as_codes, broadcast, resolve_format
from hwgen.golden._terms import INT64_MAX, INT64_SAFE, sum_terms
from hwgen.golden.products import Multiplier, as_multiplier, product_terms
from hwgen.golden.result import ExactResult
from hwgen.golden.specials import flags_of_products, reduce_flags

# Rows of the (M, K, N) broadcast processed at once where per-product work is needed.
_BLOCK_ELEMENTS = 1 << 22


def dot(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
    *,
    axis: int = -1,
    multiplier: Multiplier = Multiplier.EXACT,
) -> ExactResult:
    """Exact dot products of ``a`` and ``w`` codes (broadcast) along ``axis``.

    Parameters
    ----------
    a_format, w_format
        Registry names or format objects.
    a_codes, w_codes
        Raw codes; broadcast against each other, then reduced along ``axis``.
    axis
        The summation axis of the broadcast shape.
    multiplier
        :class:`~hwgen.golden.products.Multiplier` producing each product.

    Returns
    -------
    ExactResult
        Sums of the finite products (int64 when any sum of that length fits 62 bits, else
        Python ints) and the flag word of each sum.
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    a_idx, w_idx = broadcast(
        as_codes(a_fmt, a_codes, role="a_codes"), as_codes(w_fmt, w_codes, role="w_codes")
    )
    if a_idx.ndim == 0:
        raise HwgenError("dot needs codes with at least one dimension, not scalars")
    if not -a_idx.ndim <= axis < a_idx.ndim:
        raise HwgenError(f"axis must be in [{-a_idx.ndim}, {a_idx.ndim - 1}], not {axis}")
    t = product_terms(a_fmt, a_idx, w_fmt, w_idx, multiplier)
    return ExactResult(
        ints=sum_terms(t, axis=axis), flags=reduce_flags(t.flags, axis=axis), lsb_exp=t.lsb_exp
    )


def _split_widths(per: int, span_a: int, span_w: int) -> tuple[int, int]:
    """Exponent window sizes ``(ga, gw)`` with ``per * 2**(ga-1) * 2**(gw-1) <= int64 max``."""
    total = (INT64_MAX // per).bit_length() - 1  # shift bits the two windows may use
    if (span_a - 1) + (span_w - 1) <= total:
        return span_a, span_w
    ta = min(span_a - 1, total // 2)
    tw = min(span_w - 1, total - ta)
    ta = min(span_a - 1, total - tw)
    return ta + 1, tw + 1


def _operand_chunks(fmt: Format, g: int) -> list[tuple[np.ndarray, int]]:
    """Per-code int64 tables ``sig << (exp - i*g)`` restricted to window ``i``, with ``i*g``."""
    se = fmt.sig_exp
    out = []
    for i in range(-(-(se.exp_max + 1) // g)):
        inside = (se.exp // g) == i
        local = np.clip(se.exp - i * g, 0, g - 1)
        out.append((np.where(inside, se.sig << local, 0).astype(np.int64), i * g))
    return out


def _exact_gemm_ints(
    a_fmt: Format, a_idx: np.ndarray, w_fmt: Format, w_idx: np.ndarray
) -> np.ndarray:
    k = a_idx.shape[1]
    sa = int(np.max(np.abs(a_fmt.sig_exp.sig)))
    sw = int(np.max(np.abs(w_fmt.sig_exp.sig)))
    per = max(k, 1) * sa * sw
    shape = (a_idx.shape[0], w_idx.shape[1])
    if per == 0:
        return np.zeros(shape, dtype=np.int64)
    if per > INT64_MAX:
        raise HwgenError(f"K = {k} is too long for an exact GEMM of {a_fmt.name} x {w_fmt.name}")
    span_a, span_w = a_fmt.sig_exp.exp_max + 1, w_fmt.sig_exp.exp_max + 1
    ga, gw = _split_widths(per, span_a, span_w)
    a_chunks, w_chunks = _operand_chunks(a_fmt, ga), _operand_chunks(w_fmt, gw)
    if len(a_chunks) == 1 and len(w_chunks) == 1:
        total = a_chunks[0][0][a_idx] @ w_chunks[0][0][w_idx]
        if (per << (span_a + span_w - 2)) < INT64_SAFE:
            return total
        return total.astype(object)
    out = np.zeros(shape, dtype=object)
    for a_tab, a_off in a_chunks:
        a_part = a_tab[a_idx]
        for w_tab, w_off in w_chunks:
            out = out + ((a_part @ w_tab[w_idx]).astype(object) << (a_off + w_off))
    return out


def gemm(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
    *,
    multiplier: Multiplier = Multiplier.EXACT,
) -> ExactResult:
    """Exact ``Y = A @ W`` for codes ``A[M, K]`` and ``W[K, N]``.

    Parameters
    ----------
    a_format, w_format
        Registry names or format objects.
    a_codes
        Activation codes, shape ``(M, K)``.
    w_codes
        Weight codes, shape ``(K, N)``.
    multiplier
        :class:`~hwgen.golden.products.Multiplier` producing each product.

    Returns
    -------
    ExactResult
        ``(M, N)`` sums (same dtype rule as :func:`dot`) and flag words.
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    a_idx = as_codes(a_fmt, a_codes, role="a_codes")
    w_idx = as_codes(w_fmt, w_codes, role="w_codes")
    if a_idx.ndim != 2 or w_idx.ndim != 2:
        raise HwgenError(
            f"gemm needs 2-D codes A[M, K] and W[K, N], not shapes {a_idx.shape} and {w_idx.shape}"
        )
    if a_idx.shape[1] != w_idx.shape[0]:
        raise HwgenError(f"inner dimensions must match: A is {a_idx.shape}, W is {w_idx.shape}")
    mult = as_multiplier(multiplier)
    lsb_exp = a_fmt.lsb_exp + w_fmt.lsb_exp
    if mult is Multiplier.EXACT:
        ints = _exact_gemm_ints(a_fmt, a_idx, w_fmt, w_idx)
        return ExactResult(
            ints=ints, flags=_gemm_flags(a_fmt, a_idx, w_fmt, w_idx), lsb_exp=lsb_exp
        )
    # Other multipliers are not bilinear: form the products, a block of rows at a time.
    ints_parts, flag_parts = [], []
    for rows in _row_blocks(a_idx, w_idx):
        t = product_terms(a_fmt, a_idx[rows, :, None], w_fmt, w_idx[None, :, :], mult)
        ints_parts.append(sum_terms(t, axis=1))
        flag_parts.append(reduce_flags(t.flags, axis=1))
    if not ints_parts:  # M == 0
        return dot(a_fmt, a_idx[:, :, None], w_fmt, w_idx[None, :, :], axis=1, multiplier=mult)
    # Every block has the same dtype: it depends on the formats and K only.
    return ExactResult(
        ints=np.concatenate(ints_parts), flags=np.concatenate(flag_parts), lsb_exp=lsb_exp
    )


def _row_blocks(a_idx: np.ndarray, w_idx: np.ndarray) -> list[slice]:
    """Row slices of ``A`` whose ``(rows, K, N)`` broadcast stays near ``_BLOCK_ELEMENTS``."""
    m, k = a_idx.shape
    step = max(1, _BLOCK_ELEMENTS // max(1, k * w_idx.shape[1]))
    return [slice(r0, r0 + step) for r0 in range(0, m, step)]


def _gemm_flags(
    a_fmt: Format, a_idx: np.ndarray, w_fmt: Format, w_idx: np.ndarray
) -> npt.NDArray[np.uint8]:
    """Flag word of every output (all zero without special codes, at no cost)."""
    shape = (a_idx.shape[0], w_idx.shape[1])
    if not (a_fmt.has_specials or w_fmt.has_specials) or 0 in shape:
        return np.zeros(shape, dtype=np.uint8)
    parts = [
        reduce_flags(
            flags_of_products(a_fmt, a_idx[rows, :, None], w_fmt, w_idx[None, :, :]), axis=1
        )
        for rows in _row_blocks(a_idx, w_idx)
    ]
    return np.concatenate(parts)
