"""One entry point over the three scaling schemes."""

from __future__ import annotations

import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats.base import Format
from hwgen.formats.table import MixtureFormat
from hwgen.formats.validate import as_bool
from hwgen.quant.absmax import quantize_groups
from hwgen.quant.bitmod import mixture, quantize_bitmod
from hwgen.quant.grouping import plain, resolve
from hwgen.quant.mx import quantize_mx
from hwgen.quant.result import QuantResult, Scheme


def default_scheme(fmt: Format | MixtureFormat) -> Scheme:
    """The scheme :func:`quantize` uses when none is given: BITMOD for mixtures, else ABSMAX."""
    return Scheme.BITMOD if isinstance(fmt, MixtureFormat) else Scheme.ABSMAX


def parse_scheme(scheme: Scheme | str) -> Scheme:
    """A :class:`Scheme` from itself or its value."""
    try:
        return Scheme(scheme)
    except ValueError:
        allowed = ", ".join(s.value for s in Scheme)
        raise HwgenError(f"scheme must be one of {allowed}, not {scheme!r}") from None


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
        Real, finite, non-empty array with >= 1 dimension.
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
    fmt = resolve(name_or_format)
    sch = default_scheme(fmt) if scheme is None else parse_scheme(scheme)
    if as_bool(second_level_int8, "second_level_int8") and sch is not Scheme.BITMOD:
        raise HwgenError(f"second_level_int8 applies to the bitmod scheme only, not {sch.value}")
    if sch is Scheme.BITMOD:
        return quantize_bitmod(
            x, mixture(fmt), group_size=group_size, axis=axis, second_level_int8=second_level_int8
        )
    if sch is Scheme.MX:
        return quantize_mx(x, plain(fmt, "quantize_mx"), block_size=group_size, axis=axis)
    return quantize_groups(x, plain(fmt, "quantize_groups"), group_size=group_size, axis=axis)
