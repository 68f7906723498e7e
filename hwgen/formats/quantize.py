"""Scaled tensor quantization: per-group absmax, OCP MX blocks and BitMoD per-group selection.

All three schemes cut one axis of a tensor into consecutive groups (blocks) and give every
group one scale; the elements are then rounded by the element format's own ``encode``
(round to nearest, ties to even). Pure numpy and vectorised over all groups.

Sources
-------
* OCP Microscaling (MX) Formats Specification 1.0: E8M0 shared scale per block of 32,
  ``shared_exp = floor(log2(amax)) - emax_elem``, elements rounded with saturation; the
  element ``emax`` values are listed in ``shared/reference/formats.md``.
* BitMoD (HPCA 2025) and its authors' code: per-group choice among four variants by the
  lowest group MSE, ``scale = absmax / max|variant|`` clamped to ``[1e-5, 1e4]``, group
  scales optionally stored as unsigned INT8 against a per-row floating-point scale.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats.base import Format, FormatKind
from hwgen.formats.table import MixtureFormat

__all__ = [
    "BITMOD_SCALE_RANGE",
    "MX_ELEMENT_FORMATS",
    "MX_SCALE_EXP_RANGE",
    "QuantResult",
    "Scheme",
    "default_scheme",
    "mx_emax",
    "quantize",
    "quantize_bitmod",
    "quantize_groups",
    "quantize_mx",
]

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
#: BitMoD clamps every group scale to this range (authors' code).
BITMOD_SCALE_RANGE: tuple[float, float] = (1e-5, 1e4)
# Second-level BitMoD scales: unsigned INT8 codes; code 0 is never used so that no group
# scale collapses to zero.
_SCALE_CODE_MIN, _SCALE_CODE_MAX = 1, 255


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
    """

    codes: np.ndarray
    scales: np.ndarray
    dequant: np.ndarray
    selector: np.ndarray | None = None
    scale_codes: np.ndarray | None = None

    def __post_init__(self) -> None:
        # Results are values: freeze the arrays as well as the attributes.
        for arr in (self.codes, self.scales, self.dequant, self.selector, self.scale_codes):
            if arr is not None:
                arr.setflags(write=False)


# ---------------------------------------------------------------------- grouping helpers
def _resolve(fmt: Format | MixtureFormat | str) -> Format | MixtureFormat:
    if isinstance(fmt, str):
        from hwgen.formats.registry import get

        return get(fmt)
    if not isinstance(fmt, Format | MixtureFormat):
        raise HwgenError(f"format must be a Format, MixtureFormat or registry name, not {fmt!r}")
    return fmt


def _check_size(size: int, what: str) -> None:
    if not isinstance(size, int | np.integer) or isinstance(size, bool):
        raise HwgenError(f"{what} must be an integer, not {size!r}")
    if size < 1:
        raise HwgenError(f"{what} must be >= 1, not {size}")


def _group(x: npt.ArrayLike, size: int, axis: int, what: str) -> tuple[np.ndarray, int]:
    """Validate ``x`` and return it as float64 ``(..., ngroups, size)`` plus the axis used.

    The grouped axis is moved last, so groups are contiguous runs along it.
    """
    arr = np.asarray(x)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise HwgenError(f"can only quantize real numbers, not dtype {arr.dtype}")
    if arr.ndim == 0:
        raise HwgenError("can only quantize arrays with >= 1 dimension, not a scalar")
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool):
        raise HwgenError(f"axis must be an integer, not {axis!r}")
    if not -arr.ndim <= axis < arr.ndim:
        raise HwgenError(
            f"axis {axis} is out of range for a {arr.ndim}-d array"
            f" (allowed {-arr.ndim}..{arr.ndim - 1})"
        )
    ax = int(axis) % arr.ndim
    _check_size(size, what)
    n = arr.shape[ax]
    if n % size:
        raise HwgenError(f"{what} {size} does not divide the length {n} of axis {axis}")
    a64 = arr.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(a64)))
    if bad:
        raise HwgenError(f"input holds {bad} NaN/inf value(s); only finite values can be quantized")
    moved = np.moveaxis(a64, ax, -1)
    return moved.reshape(*moved.shape[:-1], n // size, size), ax


def _ungroup(grouped: np.ndarray, ax: int) -> np.ndarray:
    """Inverse of :func:`_group` for element arrays."""
    flat = grouped.reshape(*grouped.shape[:-2], grouped.shape[-2] * grouped.shape[-1])
    return np.ascontiguousarray(np.moveaxis(flat, -1, ax))


def _group_shape(per_group: np.ndarray, ax: int) -> np.ndarray:
    """Per-group array ``(..., ngroups)`` back to the input's axis order."""
    return np.ascontiguousarray(np.moveaxis(per_group, -1, ax))


def _plain(fmt: Format | MixtureFormat | str, caller: str) -> Format:
    f = _resolve(fmt)
    if isinstance(f, MixtureFormat):
        raise HwgenError(
            f"{caller} needs a format with one value per code, not the mixture {f.name}"
            " (use quantize_bitmod)"
        )
    return f


# ---------------------------------------------------------------------- absmax groups
def quantize_groups(
    x: npt.ArrayLike, fmt: Format | str, *, group_size: int, axis: int = -1
) -> QuantResult:
    """Per-group absmax scaling: ``scale = absmax(group) / fmt.max_abs``.

    Dividing by :attr:`Format.max_abs` (the largest magnitude reachable on both signs: 7 for
    ``int4``, 6 for ``fp4_e2m1``) maps the group's absmax onto a representable value, so no
    element clips (for unsigned formats negative elements do clip to 0). An all-zero group
    gets scale 1 and the codes of +0.

    Parameters
    ----------
    x
        Real, finite array with >= 1 dimension.
    fmt
        Element format (or its registry name); mixtures are rejected.
    group_size
        Elements per group, >= 1, must divide ``x.shape[axis]``.
    axis
        The axis cut into groups.

    Returns
    -------
    QuantResult
        ``selector`` and ``scale_codes`` are ``None``; scales are float64 (not rounded to
        any storage format).

    Raises
    ------
    HwgenError
        Bad ``group_size`` / ``axis``, NaN or inf in ``x``, a mixture format.
    """
    f = _plain(fmt, "quantize_groups")
    grp, ax = _group(x, group_size, axis, "group_size")
    absmax = np.max(np.abs(grp), axis=-1, keepdims=True)
    scale = np.where(absmax > 0, absmax / f.max_abs, 1.0)
    # saturate=True: x / scale can land one rounding error above max_abs; it must not
    # become inf / NaN in formats that have them.
    codes = f.encode(grp / scale, saturate=True)
    dequant = f.decode(codes) * scale
    return QuantResult(
        codes=_ungroup(codes, ax),
        scales=_group_shape(scale[..., 0], ax),
        dequant=_ungroup(dequant, ax),
    )


# ---------------------------------------------------------------------- OCP MX
def _mx_element(fmt: Format | str) -> tuple[Format, int]:
    """The element format and its value shift (MXINT8 reads int8 as 1.6 fixed point)."""
    f = _plain(fmt, "quantize_mx")
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
    f, shift = _mx_element(fmt)
    return int(_floor_log2(np.array(np.ldexp(f.max_value, shift))))


def quantize_mx(
    x: npt.ArrayLike, elem_fmt: Format | str, *, block_size: int = 32, axis: int = -1
) -> QuantResult:
    """OCP MX 1.0 block quantization with a shared E8M0 scale per block.

    ``shared_exp = floor(log2(amax)) - emax_elem`` (computed exactly), clamped to
    ``[-127, 127]``; elements are ``encode(x / 2**shared_exp)`` with saturation to the
    element's largest magnitude. An all-zero block gets exponent -127, the same value the
    OCP reference code reaches (it takes ``log2`` of the smallest normal float32, ``-126``,
    minus ``emax_elem`` and clamps to the E8M0 minimum).

    MXINT8 (``int8``) reads the int8 code as 1.6 fixed point (value = code x 2**-6, emax 0)
    and clamps symmetrically to +-127/64 like the reference code.

    Parameters
    ----------
    x
        Real, finite array with >= 1 dimension.
    elem_fmt
        One of :data:`MX_ELEMENT_FORMATS` (object or name).
    block_size
        Elements per block (the specification fixes 32), must divide ``x.shape[axis]``.
    axis
        The axis cut into blocks.

    Returns
    -------
    QuantResult
        ``scales = 2**shared_exp``, ``scale_codes`` the E8M0 codes ``shared_exp + 127``
        (``uint8``), ``selector`` ``None``.
    """
    f, shift = _mx_element(elem_fmt)
    grp, ax = _group(x, block_size, axis, "block_size")
    emax = mx_emax(f)
    amax = np.max(np.abs(grp), axis=-1, keepdims=True)
    lo, hi = MX_SCALE_EXP_RANGE
    shared = np.where(amax > 0, _floor_log2(np.where(amax > 0, amax, 1.0)) - emax, lo)
    shared = np.clip(shared, lo, hi)
    # Multiplying by a power of two is exact in float64 for any finite float32 input.
    scaled = np.ldexp(grp, (-(shared + shift)).astype(np.int32))
    limit = f.max_abs
    codes = f.encode(np.clip(scaled, -limit, limit), saturate=True)
    dequant = np.ldexp(f.decode(codes), (shared + shift).astype(np.int32))
    shared_g = shared[..., 0]
    return QuantResult(
        codes=_ungroup(codes, ax),
        scales=_group_shape(np.ldexp(1.0, shared_g.astype(np.int32)), ax),
        dequant=_ungroup(dequant, ax),
        scale_codes=_group_shape((shared_g - lo).astype(np.uint8), ax),
    )


# ---------------------------------------------------------------------- BitMoD
def _mixture(fmt: MixtureFormat | str) -> MixtureFormat:
    f = _resolve(fmt)
    if not isinstance(f, MixtureFormat):
        raise HwgenError(f"quantize_bitmod needs a mixture such as bitmod_fp4, not {f.name}")
    return f


def _int8_scales(scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Second-level scales: unsigned INT8 codes against ``row max / 255``.

    ``scales`` is ``(..., ngroups)``; a row is every group sharing the leading indices (one
    output channel for a weight grouped along its input channels). Returns the codes and
    the dequantized scales.
    """
    row = np.max(scales, axis=-1, keepdims=True) / _SCALE_CODE_MAX
    codes = np.clip(np.rint(scales / row), _SCALE_CODE_MIN, _SCALE_CODE_MAX)
    return codes.astype(np.uint8), codes * row


# Groups per block in the BitMoD search: the block's temporaries stay in cache.
_BLOCK_ELEMENTS = 1 << 16


def _bitmod_select(
    rows: np.ndarray, variants: tuple[Format, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variant index, scale and codes per group of ``rows`` (``(ngroups, g)`` float64).

    Group error is the sum of squared errors (the MSE times ``g``: the same order). A
    strictly lower error replaces the running best, so ties keep the lower index.
    """
    n, g = rows.shape
    smin, smax = BITMOD_SCALE_RANGE
    sel = np.zeros(n, dtype=np.uint8)
    scale = np.ones(n)
    codes = np.zeros((n, g), dtype=variants[0].code_dtype)
    values = [v.values() for v in variants]
    step = max(1, _BLOCK_ELEMENTS // g)
    for lo in range(0, n, step):
        xb = rows[lo : lo + step]
        absmax = np.max(np.abs(xb), axis=1, keepdims=True)
        best = np.full(xb.shape[0], np.inf)
        for index, variant in enumerate(variants):
            s = np.clip(absmax / variant.max_magnitude, smin, smax)
            c = variant.encode(xb / s)
            diff = np.take(values[index], c.astype(np.intp), mode="clip")
            diff *= s
            diff -= xb
            err = np.einsum("ij,ij->i", diff, diff)  # one pass for the squared norm
            better = err < best
            best = np.where(better, err, best)
            sel[lo : lo + step][better] = index
            scale[lo : lo + step][better] = s[better, 0]
            codes[lo : lo + step][better] = c[better]
    return sel, scale, codes


def _encode_selected(
    rows: np.ndarray, variants: tuple[Format, ...], sel: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Codes of every group in its selected variant against the given scales."""
    codes = np.zeros(rows.shape, dtype=variants[0].code_dtype)
    for index, variant in enumerate(variants):
        mine = sel == index
        if mine.any():
            codes[mine] = variant.encode(rows[mine] / scale[mine, None])
    return codes


def quantize_bitmod(
    x: npt.ArrayLike,
    mixture: MixtureFormat | str,
    *,
    group_size: int = 128,
    axis: int = -1,
    second_level_int8: bool = False,
) -> QuantResult:
    """BitMoD per-group variant selection (HPCA 2025).

    For every variant ``v`` of ``mixture`` and every group: ``scale = absmax / max|v|``
    (:attr:`Format.max_magnitude`, over both signs) clamped to :data:`BITMOD_SCALE_RANGE`,
    each element rounded to the nearest value of ``v`` (its ``encode``), group MSE. The
    variant with the lowest MSE wins; ties go to the lowest variant index. An "extra
    asymmetry" variant therefore clips the opposite side, as in BitMoD.

    Groups are processed in cache-sized blocks; within a block the variants are tried one
    after another, vectorised over the block's groups, keeping the running best.

    Parameters
    ----------
    x
        Real, finite array with >= 1 dimension.
    mixture
        A :class:`MixtureFormat` (or its registry name, e.g. ``"bitmod_fp3"``).
    group_size
        Elements per group (BitMoD uses 128 along the input channel).
    axis
        The axis cut into groups.
    second_level_int8
        Store group scales as unsigned INT8 codes (1..255) against a per-row float scale
        ``row max scale / 255`` (BitMoD's second level; code 0 is not used so no group
        collapses). The selection is made with the float scales; the elements are then
        rounded again against the stored scale (never worse per element).

    Returns
    -------
    QuantResult
        ``selector`` (``uint8`` variant index per group); ``scale_codes`` the INT8 codes
        when ``second_level_int8`` else ``None``; ``scales`` the scales ``dequant`` uses.
    """
    mix = _mixture(mixture)
    if not isinstance(second_level_int8, bool):
        raise HwgenError(f"second_level_int8 must be True or False, not {second_level_int8!r}")
    grp, ax = _group(x, group_size, axis, "group_size")
    rows = grp.reshape(-1, grp.shape[-1])
    best_sel, best_scale, best_codes = _bitmod_select(rows, mix.variants)
    scale_codes = None
    if second_level_int8:
        codes8, stored = _int8_scales(best_scale.reshape(grp.shape[:-1]))
        best_scale = stored.reshape(-1)
        best_codes = _encode_selected(rows, mix.variants, best_sel, best_scale)
        scale_codes = _group_shape(codes8, ax)
    lut = np.stack([v.values() for v in mix.variants])
    flat_index = best_sel[:, None].astype(np.intp) * lut.shape[1] + best_codes
    best_deq = np.take(lut.ravel(), flat_index, mode="clip")
    best_deq *= best_scale[:, None]
    per_group = grp.shape[:-1]
    return QuantResult(
        codes=_ungroup(best_codes.reshape(grp.shape), ax),
        scales=_group_shape(best_scale.reshape(per_group), ax),
        dequant=_ungroup(best_deq.reshape(grp.shape), ax),
        selector=_group_shape(best_sel.reshape(per_group), ax),
        scale_codes=scale_codes,
    )


# ---------------------------------------------------------------------- entry point
def default_scheme(fmt: Format | MixtureFormat) -> Scheme:
    """The scheme :func:`quantize` uses when none is given: BITMOD for mixtures, else ABSMAX."""
    return Scheme.BITMOD if isinstance(fmt, MixtureFormat) else Scheme.ABSMAX


def quantize(
    x: npt.ArrayLike,
    name_or_format: Format | MixtureFormat | str,
    *,
    group_size: int,
    axis: int = -1,
    scheme: Scheme | str | None = None,
    second_level_int8: bool = False,
) -> QuantResult:
    """Quantize ``x`` with one of the three schemes.

    Parameters
    ----------
    x
        Real, finite array with >= 1 dimension.
    name_or_format
        Registry name or format object.
    group_size
        Group (MX: block) size along ``axis``.
    axis
        The axis cut into groups.
    scheme
        :class:`Scheme` or its value; ``None`` picks :func:`default_scheme` (mixtures use
        BitMoD selection, everything else absmax groups).
    second_level_int8
        BitMoD only: INT8 second-level group scales (see :func:`quantize_bitmod`).

    Raises
    ------
    HwgenError
        Unknown format or scheme, a scheme that does not fit the format, and every error of
        the scheme's own function.
    """
    fmt = _resolve(name_or_format)
    if scheme is None:
        sch = default_scheme(fmt)
    else:
        try:
            sch = Scheme(scheme)
        except ValueError:
            allowed = ", ".join(s.value for s in Scheme)
            raise HwgenError(f"scheme must be one of {allowed}, not {scheme!r}") from None
    if second_level_int8 and sch is not Scheme.BITMOD:
        raise HwgenError(f"second_level_int8 applies to the bitmod scheme only, not {sch.value}")
    if sch is Scheme.BITMOD:
        return quantize_bitmod(
            x, fmt, group_size=group_size, axis=axis, second_level_int8=second_level_int8
        )
    if sch is Scheme.MX:
        return quantize_mx(x, fmt, block_size=group_size, axis=axis)
    return quantize_groups(x, fmt, group_size=group_size, axis=axis)
