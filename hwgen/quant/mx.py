"""OCP MX block quantization: a shared E8M0 scale per block of 32.

Source: OCP Microscaling (MX) Formats Specification 1.0 (``shared/reference/formats.md``):
``shared_exp = floor(log2(amax)) - emax_elem``, elements rounded to nearest even with
saturation, E8M0 exponents ``-127..127``.

E8M0 cannot hold every exponent a float tensor needs (float32 alone spans 2**-149 ..
2**128). hwgen gives every row (the blocks sharing all other indices: one output channel)
a power-of-two first-level scale ``2**t``: ``t = 0`` whenever the row's block exponents fit
E8M0 (then the result is exactly the specification's), otherwise the smallest shift that
makes them fit (or, when they span more than E8M0's 255 exponents, fits the largest). The
result is then invariant to scaling the tensor by any power of two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats.base import Format, FormatKind
from hwgen.quant.grouping import Rounder, as_rows, from_rows, group_absmax, plain, row_blocks
from hwgen.quant.result import QuantResult

#: Element formats defined by OCP MX 1.0 (MXFP8 E4M3/E5M2, MXFP6 E3M2/E2M3, MXFP4, MXINT8).
MX_ELEMENT_FORMATS: tuple[str, ...] = (
    "fp8_e4m3",
    "fp8_e5m2",
    "fp6_e3m2",
    "fp6_e2m3",
    "fp4_e2m1",
    "int8",
)
#: Exponents an E8M0 scale can hold (code 0xFF is NaN and never produced).
MX_SCALE_EXP_RANGE: tuple[int, int] = (-127, 127)
#: The block size OCP MX 1.0 fixes.
MX_BLOCK_SIZE = 32


def mx_element(fmt: Format | str) -> tuple[Format, int]:
    """The element format and its value shift (MXINT8 reads int8 as 1.6 fixed point)."""
    f = plain(fmt, "quantize_mx")
    if f.name not in MX_ELEMENT_FORMATS:
        raise HwgenError(
            f"MX element format must be one of {', '.join(MX_ELEMENT_FORMATS)}, not {f.name}"
        )
    shift = -(f.bits - 2) if f.kind is FormatKind.INT else 0
    return f, shift


def _floor_log2(v: np.ndarray) -> np.ndarray:
    """Exact ``floor(log2(v))`` for positive finite ``v`` (frexp: no log rounding)."""
    return np.frexp(v)[1].astype(np.int64) - 1


def mx_emax(fmt: Format | str) -> int:
    """``emax_elem`` of an MX element format: exponent of its largest normal value.

    8 for ``fp8_e4m3``, 15 for ``fp8_e5m2``, 4 for ``fp6_e3m2``, 2 for ``fp6_e2m3`` and
    ``fp4_e2m1``, 0 for ``int8`` (MXINT8, values up to 1.984375).
    """
    f, shift = mx_element(fmt)
    return int(_floor_log2(np.array(np.ldexp(f.max_value, shift))))


def row_shift(shared: np.ndarray, nonzero: np.ndarray) -> np.ndarray:
    """First-level exponent ``t`` per row of block exponents ``shared (k, nblocks)``."""
    lo, hi = MX_SCALE_EXP_RANGE
    big = np.iinfo(np.int64).max
    smax = np.max(np.where(nonzero, shared, -big), axis=1)
    smin = np.min(np.where(nonzero, shared, big), axis=1)
    any_nonzero = nonzero.any(axis=1)
    t = np.zeros(shared.shape[0], dtype=np.int64)
    too_big = any_nonzero & (smax > hi)
    too_small = any_nonzero & (smin < lo) & ~too_big
    t = np.where(too_big, smax - hi, t)
    # Shift up as far as needed for the smallest block, but never push the largest out.
    t = np.where(too_small, np.maximum(smin - lo, smax - hi), t)
    return t


@dataclass(frozen=True)
class MxKernel:
    """MX quantization of blocks of rows (see :func:`quantize_mx`)."""

    fmt: Format
    block_size: int

    def __post_init__(self) -> None:
        f, shift = mx_element(self.fmt)
        object.__setattr__(self, "_shift", shift)
        object.__setattr__(self, "_emax", mx_emax(f))
        object.__setattr__(self, "_rounder", Rounder((f,)))

    def rows(
        self,
        x: np.ndarray,
        *,
        codes: bool = False,
        exp_offset: int = 0,
        am: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
        """Dequantized rows, block scales, codes, E8M0 codes and row scales of ``x (k, n)``.

        ``exp_offset`` says ``x`` was scaled by ``2**-exp_offset`` beforehand (the returned
        scales are in the scaled units; the E8M0 rule is applied to the true exponents);
        ``am`` may pass the block absmax ``(k, n / block_size, 1)``.
        """
        k, n = x.shape
        lo, hi = MX_SCALE_EXP_RANGE
        shift: int = self._shift  # type: ignore[attr-defined]
        grp = x.reshape(k, n // self.block_size, self.block_size)
        amax = (group_absmax(grp) if am is None else am)[..., 0]
        nonzero = amax > 0
        true_exp = _floor_log2(np.where(nonzero, amax, 1.0)) + exp_offset
        shared = true_exp - self._emax  # type: ignore[attr-defined]
        t = row_shift(shared, nonzero)
        # An all-zero block gets the E8M0 minimum, as the OCP reference code does.
        e8 = np.where(nonzero, np.clip(shared - t[:, None], lo, hi), lo)
        exp = e8 + t[:, None] - exp_offset  # in the units of x
        factor = np.ldexp(1.0, (-(exp + shift)).astype(np.int32))[..., None]
        limit = self.fmt.max_abs
        y = np.clip(grp * factor, -limit, limit)  # power-of-two products are exact
        rounder: Rounder = self._rounder  # type: ignore[attr-defined]
        deq = rounder.values(y) / factor
        c = rounder.codes(y).reshape(k, n) if codes else None
        scales = np.ldexp(1.0, exp.astype(np.int32))
        return deq.reshape(k, n), scales, c, (e8 - lo).astype(np.uint8), np.ldexp(1.0, t)


def quantize_mx(
    x: npt.ArrayLike,
    elem_fmt: Format | str,
    *,
    block_size: int = MX_BLOCK_SIZE,
    axis: int = -1,
) -> QuantResult:
    """OCP MX 1.0 block quantization with a shared E8M0 scale per block.

    ``shared_exp = floor(log2(amax)) - emax_elem`` (computed exactly); elements are
    ``encode(x / 2**shared_exp)`` with saturation to the element's largest magnitude. An
    all-zero block gets exponent -127, the value the OCP reference code reaches. A row whose
    block exponents leave E8M0's range ``-127..127`` gets a power-of-two first-level scale
    (see the module docstring); every other row is quantized exactly as the specification
    says.

    MXINT8 (``int8``) reads the int8 code as 1.6 fixed point (value = code x 2**-6, emax 0)
    and clamps symmetrically to +-127/64 like the reference code.

    Parameters
    ----------
    x
        Real, finite, non-empty array with >= 1 dimension.
    elem_fmt
        One of :data:`MX_ELEMENT_FORMATS` (object or name).
    block_size
        Elements per block (the specification fixes 32), must divide ``x.shape[axis]``.
    axis
        The axis cut into blocks.

    Returns
    -------
    QuantResult
        ``scales`` the power of two each block uses, ``scale_codes`` the E8M0 codes
        (``uint8``), ``row_scales`` the first-level ``2**t`` per row, ``selector`` ``None``.
    """
    f, _ = mx_element(elem_fmt)
    rows, moved, ax = as_rows(x, block_size, axis, "block_size")
    kernel = MxKernel(f, int(block_size))
    nb = rows.shape[1] // int(block_size)
    codes = np.empty(rows.shape, dtype=f.code_dtype)
    deq = np.empty(rows.shape)
    scales = np.empty((rows.shape[0], nb))
    e8 = np.empty((rows.shape[0], nb), dtype=np.uint8)
    row_sc = np.empty(rows.shape[0])
    for sl in row_blocks(*rows.shape):
        deq[sl], scales[sl], codes[sl], e8[sl], row_sc[sl] = kernel.rows(rows[sl], codes=True)
    return QuantResult(
        codes=from_rows(codes, moved, ax),
        scales=from_rows(scales, moved, ax),
        dequant=from_rows(deq, moved, ax),
        scale_codes=from_rows(e8, moved, ax),
        row_scales=np.ascontiguousarray(row_sc.reshape(moved[:-1])),
    )
