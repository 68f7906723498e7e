"""Typed description of how a design computes a GEMM: operand quantization and arithmetic.

A :class:`GemmDesign` says how weights are quantized (:class:`WeightQuant`: format, scheme,
group size along K), how activations are quantized (:class:`ActivationQuant`: format and a
named :class:`ActScaling`), which multiplier forms the products and which accumulator
adds them (:mod:`hwgen.accuracy.accumulators`). Every object is frozen and validated when
built; bad values raise :class:`~hwgen.errors.HwgenError` with one line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final, Literal

from hwgen._validate import check_enum, check_type
from hwgen.accuracy.accumulators import Accumulator, ExactAccumulator
from hwgen.errors import HwgenError
from hwgen.formats import Format, FormatKind, get
from hwgen.formats.table import MixtureFormat
from hwgen.golden import Multiplier
from hwgen.quant import MX_ELEMENT_FORMATS, Scheme, default_scheme

__all__ = [
    "DEFAULT_ACT_GROUP",
    "DEFAULT_MX_BLOCK",
    "DEFAULT_WEIGHT_GROUP",
    "PER_CHANNEL",
    "ActScaling",
    "ActivationQuant",
    "GemmDesign",
    "WeightQuant",
]

#: Weight group size along K for absmax and BitMoD scaling (AWQ / BitMoD use 128).
DEFAULT_WEIGHT_GROUP: Final = 128
#: OCP MX 1.0 block size.
DEFAULT_MX_BLOCK: Final = 32
#: Activation group size along K for :attr:`ActScaling.PER_GROUP`.
DEFAULT_ACT_GROUP: Final = 128
#: ``WeightQuant.group_size`` value meaning one scale per output channel (the whole K).
PER_CHANNEL: Final = "channel"


class ActScaling(enum.StrEnum):
    """How activations are scaled before their elements are rounded to the format.

    ``NONE``: no scale, values converted directly (saturating), e.g. FP16 activations of a
    weight-only quantized design. ``PER_TENSOR``: one absmax scale for the whole
    activation matrix. ``PER_TOKEN``: one absmax scale per row (token). ``PER_GROUP``:
    absmax per token and group of ``group_size`` along K. ``MX``: OCP MX blocks along K
    (E8M0 shared scale per ``group_size`` elements, 32 by default).
    """

    NONE = "none"
    PER_TENSOR = "per-tensor"
    PER_TOKEN = "per-token"
    PER_GROUP = "per-group"
    MX = "mx"


def _format(name: object, role: str) -> Format | MixtureFormat:
    if isinstance(name, Format | MixtureFormat):
        return name
    if not isinstance(name, str):
        raise HwgenError(f"{role} must be a format name (str), not {name!r}")
    return get(name)


def _group(value: object, role: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f"{role} must be an integer, not {value!r}")
    if value < 1:
        raise HwgenError(f"{role} must be >= 1, not {value}")
    return value


@dataclass(frozen=True, kw_only=True)
class WeightQuant:
    """How the weights of a design are quantized (groups run along K, the input channel).

    Parameters
    ----------
    format
        Registry name of a plain format or of a BitMoD mixture (``bitmod_fp4``...).
    scheme
        :class:`~hwgen.quant.Scheme` (``absmax``, ``mx``, ``bitmod``) or its
        value; ``None`` picks BitMoD for mixtures and absmax otherwise.
    group_size
        Elements per scale along K; ``None`` is the scheme's default (128 for absmax and
        BitMoD, 32 for MX); :data:`PER_CHANNEL` (``"channel"``) is one scale per output
        channel (absmax only).
    second_level_int8
        BitMoD only: group scales stored as INT8 codes against a per-row scale, as in
        BitMoD; ``None`` means ``True`` for BitMoD (what its storage figure assumes).
    """

    format: str
    scheme: Scheme | None = None
    group_size: int | Literal["channel"] | None = None
    second_level_int8: bool | None = None

    def __post_init__(self) -> None:
        fmt = _format(self.format, "weight format")
        object.__setattr__(self, "format", fmt.name)
        sch = (
            default_scheme(fmt)
            if self.scheme is None
            else check_enum("scheme", Scheme, self.scheme)
        )
        object.__setattr__(self, "scheme", sch)
        is_mix = isinstance(fmt, MixtureFormat)
        if is_mix != (sch is Scheme.BITMOD):
            need = "the bitmod scheme" if is_mix else "a per-group mixture such as bitmod_fp4"
            raise HwgenError(f"weight format {fmt.name} with scheme {sch.value} needs {need}")
        if sch is Scheme.MX and fmt.name not in MX_ELEMENT_FORMATS:
            raise HwgenError(
                f"MX weights need an MX element format ({', '.join(MX_ELEMENT_FORMATS)}),"
                f" not {fmt.name}"
            )
        if self.group_size is None:
            size: int | str = DEFAULT_MX_BLOCK if sch is Scheme.MX else DEFAULT_WEIGHT_GROUP
        elif self.group_size == PER_CHANNEL:
            if sch is not Scheme.ABSMAX:
                raise HwgenError(
                    f"per-channel weight scales need the absmax scheme, not {sch.value}"
                )
            size = PER_CHANNEL
        else:
            size = _group(self.group_size, "weight group_size")
        object.__setattr__(self, "group_size", size)
        sl = self.second_level_int8
        if sl is None:
            sl = sch is Scheme.BITMOD
        elif not isinstance(sl, bool):
            raise HwgenError(f"second_level_int8 must be True or False, not {sl!r}")
        elif sl and sch is not Scheme.BITMOD:
            raise HwgenError(f"second_level_int8 applies to the bitmod scheme only, not {sch}")
        object.__setattr__(self, "second_level_int8", sl)

    @property
    def fmt(self) -> Format | MixtureFormat:
        """The weight format object."""
        return get(self.format)

    def group_along(self, k: int) -> int:
        """Elements per scale along a K of ``k`` (``k`` itself for per-channel scales)."""
        return k if self.group_size == PER_CHANNEL else int(self.group_size)  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class ActivationQuant:
    """How the activations of a design are quantized.

    Parameters
    ----------
    format
        Registry name of a plain format (mixtures are weight-only).
    scaling
        :class:`ActScaling` or its value (default per-token absmax).
    group_size
        Elements per scale along K for ``per-group`` (default 128) and ``mx`` (default
        32); must be ``None`` for the other scalings.
    """

    format: str
    scaling: ActScaling = ActScaling.PER_TOKEN
    group_size: int | None = None

    def __post_init__(self) -> None:
        fmt = _format(self.format, "activation format")
        if isinstance(fmt, MixtureFormat):
            raise HwgenError(
                f"activation format {fmt.name} is a per-group mixture; mixtures are for"
                " weights only"
            )
        object.__setattr__(self, "format", fmt.name)
        sc = check_enum("activation scaling", ActScaling, self.scaling)
        object.__setattr__(self, "scaling", sc)
        if sc is ActScaling.MX and fmt.name not in MX_ELEMENT_FORMATS:
            raise HwgenError(
                f"MX activations need an MX element format ({', '.join(MX_ELEMENT_FORMATS)}),"
                f" not {fmt.name}"
            )
        if sc in (ActScaling.PER_GROUP, ActScaling.MX):
            default = DEFAULT_MX_BLOCK if sc is ActScaling.MX else DEFAULT_ACT_GROUP
            size = default if self.group_size is None else _group(self.group_size, "group_size")
            object.__setattr__(self, "group_size", size)
        elif self.group_size is not None:
            raise HwgenError(
                f"activation group_size applies to per-group and mx scaling, not {sc.value}"
            )

    @property
    def fmt(self) -> Format:
        """The activation format object."""
        f = get(self.format)
        assert isinstance(f, Format)
        return f

    def group_along(self, k: int) -> int:
        """Elements per scale along a K of ``k``."""
        return int(self.group_size) if self.group_size is not None else k


@dataclass(frozen=True, kw_only=True)
class GemmDesign:
    """The arithmetic of a design's GEMM ``Y = A @ W``.

    Parameters
    ----------
    activations
        :class:`ActivationQuant` of ``A``.
    weights
        :class:`WeightQuant` of ``W``.
    multiplier
        :class:`~hwgen.golden.Multiplier` (``exact`` or ``lmul``; L-Mul needs float
        formats on both operands).
    accumulator
        An :class:`~hwgen.accuracy.accumulators.Accumulator`; exact fixed point by default.
    """

    activations: ActivationQuant
    weights: WeightQuant
    multiplier: Multiplier = Multiplier.EXACT
    accumulator: Accumulator = field(default_factory=ExactAccumulator)

    def __post_init__(self) -> None:
        check_type("activations", self.activations, ActivationQuant)
        check_type("weights", self.weights, WeightQuant)
        check_type("accumulator", self.accumulator, Accumulator)
        mult = check_enum("multiplier", Multiplier, self.multiplier)
        object.__setattr__(self, "multiplier", mult)
        if mult is Multiplier.LMUL:
            for role, f in (("activation", self.activations.fmt), ("weight", self.weights.fmt)):
                if not isinstance(f, Format) or f.kind is not FormatKind.FLOAT:
                    kind = f.kind if isinstance(f, MixtureFormat) else f.kind.value
                    raise HwgenError(
                        f"multiplier='lmul' needs float formats: {role} format {f.name} is {kind}"
                    )

    @property
    def label(self) -> str:
        """Short description, e.g. ``fp8_e4m3/per-token x int4/absmax-g128, exact``."""
        a, w = self.activations, self.weights
        a_part = f"{a.format}/{a.scaling.value}"
        if a.group_size is not None:
            a_part += f"-g{a.group_size}"
        w_part = f"{w.format}/{w.scheme.value}-g{w.group_size}"  # type: ignore[union-attr]
        mult = "" if self.multiplier is Multiplier.EXACT else f", {self.multiplier.value}"
        return f"{a_part} x {w_part}{mult}, {self.accumulator.label}"
