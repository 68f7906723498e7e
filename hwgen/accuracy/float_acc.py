"""A floating-point accumulator in the GEMM accuracy engine: the golden model, over outputs.

:class:`FloatAccumulator` adds a segment's products the way a float-accumulating MAC
(``MacConfig(acc_format=...)``) does: one product per clock, ``k`` ascending, each sum
rounded into the accumulator format (``fused``: the exact product added and rounded once;
``unfused``: the product rounded first), with the format's subnormal, overflow and special
rules. Every step is :func:`hwgen.golden.float_acc.float_acc_step` -- the bit-exact golden
model the hardware is verified against -- applied to all ``M x N`` outputs at once, so the
only loop is over ``k``.

The products are the golden model's too: :func:`hwgen.golden.products.product_terms` of the
codes (exact or L-Mul), turned into the accumulator's addend by
:func:`~hwgen.golden.float_acc.product_operand` (the unfused product rounding included).
For formats with at most :data:`TABLE_LIMIT_BITS` code bits between them the addend of
every code pair is tabulated once, so a step gathers from the table instead of
recomputing products.

Two steppers compute the same values (:class:`Stepper`):

* ``golden``: :func:`~hwgen.golden.float_acc.float_acc_step` on accumulator codes, the
  model the hardware is verified against (about 60 int64 operations per step);
* ``values`` (default, ~4x faster): the accumulator's *value* in float64. The sum
  ``acc + p`` of two float64-exact numbers is formed with its exact error (TwoSum) and
  rounded to odd in float64 (the neighbour with an odd last bit when inexact); one
  round-to-nearest-even of that onto the accumulator format's grid (its precision,
  subnormal range or flush, overflow policy) equals one rounding of the exact sum,
  because float64 keeps at least two more bits than any accumulator format
  (``man_bits <= 30``; Boldo and Melquiond, "Emulation of FMA and correctly rounded sums:
  proved algorithms using rounding to odd", IEEE TC 2008). Signed zeros differ from the
  codes only in the sign of a zero, which no later sum sees. Tests check both steppers bit
  for bit against each other and :func:`hwgen.golden.float_mac_trace`.

Output-stationary arrays feed column ``k`` of ``A`` and row ``k`` of ``W`` as beat ``k``
(``docs/hardware.md``), so each PE accumulates its output in the same ascending order as
the MAC: an array's GEMM is its MAC's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hwgen.accuracy.accumulators import Accumulator, Segment
from hwgen.errors import AccumulatorOverflowError, HwgenError
from hwgen.formats import Format, SpecialPolicy, get_format
from hwgen.golden import Multiplier
from hwgen.golden.float_acc import (
    AccRounding,
    FloatAccSpec,
    Subnormals,
    _Operand,
    float_acc_step,
    product_operand,
)
from hwgen.golden.products import product_terms

__all__ = ["TABLE_LIMIT_BITS", "FloatAccumulator", "Stepper"]

#: Largest ``a.bits + w.bits`` whose addends are tabulated (2**20 pairs, ~30 MB).
TABLE_LIMIT_BITS = 20

_FIELDS = ("nan", "inf", "neg", "mag", "exp")


#: Accumulator formats numpy converts to natively (IEEE binary32 / binary16).
_NATIVE = {"fp32": np.float32, "fp16": np.float16}


class Stepper(enum.StrEnum):
    """How :class:`FloatAccumulator` steps (module docstring): same values either way."""

    VALUES = "values"
    GOLDEN = "golden"


def _operand_values(op: _Operand) -> np.ndarray:
    """float64 values of addends (exact: significands of <= 53 bits)."""
    mag = np.ldexp(op.mag.astype(np.float64), op.exp.astype(np.int32))
    val = np.where(op.neg, -mag, mag)
    val = np.where(op.inf, np.where(op.neg, -np.inf, np.inf), val)
    return np.where(op.nan, np.nan, val)


def round_values(spec: FloatAccSpec, y: np.ndarray) -> np.ndarray:
    """float64 ``y`` rounded once (to nearest, ties to even) onto the accumulator's values.

    The grid, the subnormals (kept, flushed, or a ``_nosub`` format's) and the overflow
    policy (IEEE: inf, fn: NaN, none: saturate) are those of
    :func:`hwgen.golden._float_arith.round_to_code`; NaN and inf pass through.
    """
    fmt = spec.fmt
    native = _NATIVE.get(fmt.name)
    if native is not None and not spec.flush:
        # numpy's float64 -> binary32 / binary16 casts are IEEE conversions: one rounding to
        # nearest even with the format's subnormals and overflow to inf.
        with np.errstate(over="ignore"):
            return y.astype(native).astype(np.float64)
    m, emin = fmt.man_bits, fmt.emin
    with np.errstate(invalid="ignore"):
        _, e2 = np.frexp(y)
        e = e2.astype(np.int64) - 1  # floor(log2 |y|) for y != 0
        if spec.flush:
            q = e - m
        else:
            q = np.maximum(e, emin) - m if fmt.subnormals else np.where(e >= emin, e - m, emin)
        r = np.ldexp(np.rint(np.ldexp(y, (-q).astype(np.int32))), q.astype(np.int32))
        if spec.flush:
            r = np.where(np.abs(r) < 2.0**emin, 0.0, r)
        over = np.abs(r) > fmt.max_value
    if fmt.specials is SpecialPolicy.IEEE:
        return np.where(over, np.copysign(np.inf, r), r)
    if fmt.specials is SpecialPolicy.FN:
        return np.where(over, np.nan, r)
    return np.where(over, np.copysign(fmt.max_value, r), r)


def _sum_to_odd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` rounded to odd in float64 (exact sums unchanged), for finite or special."""
    with np.errstate(invalid="ignore"):
        s = a + b
        bb = s - a
        err = (a - (s - bb)) + (b - bb)
        even = (s.view(np.int64) & 1) == 0
        fix = (err != 0) & even & np.isfinite(err)
        if fix.any():
            s = np.where(fix, np.nextafter(s, np.copysign(np.inf, err)), s)
    return s


def _signs(fmt: Format, idx: np.ndarray) -> np.ndarray:
    v = fmt.values()
    return np.signbit(v)[idx]


def _addends(
    spec: FloatAccSpec,
    a_fmt: Format,
    a_idx: np.ndarray,
    w_fmt: Format,
    w_idx: np.ndarray,
    multiplier: Multiplier,
) -> _Operand:
    """The accumulator addends of the products ``a_idx x w_idx`` (broadcast), as in the MAC."""
    a_idx, w_idx = np.broadcast_arrays(a_idx, w_idx)
    t = product_terms(a_fmt, a_idx, w_fmt, w_idx, multiplier)
    neg = _signs(a_fmt, a_idx) ^ _signs(w_fmt, w_idx)  # a zero product's sign, as the MAC
    return product_operand(spec, sig=t.sig, exp=t.shift + t.lsb_exp, neg=neg, flags=t.flags)


@lru_cache(maxsize=8)
def _value_table(
    spec: FloatAccSpec, a_name: str, w_name: str, multiplier: Multiplier
) -> np.ndarray:
    """float64 addend of every code pair, flat index ``a * 2**w.bits + w`` (read-only)."""
    out = _operand_values(_table(spec, a_name, w_name, multiplier))
    out.setflags(write=False)
    return out


@lru_cache(maxsize=8)
def _table(spec: FloatAccSpec, a_name: str, w_name: str, multiplier: Multiplier) -> _Operand:
    """Addends of every code pair, flat index ``a * 2**w.bits + w`` (read-only)."""
    a_fmt, w_fmt = get_format(a_name), get_format(w_name)
    a_idx = np.arange(1 << a_fmt.bits, dtype=np.intp)[:, None]
    w_idx = np.arange(1 << w_fmt.bits, dtype=np.intp)[None, :]
    op = _addends(spec, a_fmt, a_idx, w_fmt, w_idx, multiplier)
    flat = {}
    for name in _FIELDS:
        arr = np.ascontiguousarray(getattr(op, name).reshape(-1))
        arr.setflags(write=False)
        flat[name] = arr
    return _Operand(**flat)


@dataclass(frozen=True)
class FloatAccumulator(Accumulator):
    """A float accumulator of a MAC (semantics of :func:`hwgen.golden.float_mac_trace`).

    Parameters
    ----------
    spec
        The :class:`~hwgen.golden.float_acc.FloatAccSpec` (format, rounding, subnormals),
        e.g. ``MacConfig.float_acc``.
    stepper
        :class:`Stepper`: ``values`` (default) or ``golden``; both give the same values.

    Raises
    ------
    HwgenError
        From :meth:`accumulate`: a segment without operand codes, mixture operands, products
        the format cannot hold (:meth:`FloatAccSpec.check_products`), and outputs that end
        as inf or NaN (the accumulator overflowed on this data).
    """

    spec: FloatAccSpec
    stepper: Stepper = Stepper.VALUES

    def __post_init__(self) -> None:
        if not isinstance(self.spec, FloatAccSpec):
            raise HwgenError(f"spec must be a FloatAccSpec, not {type(self.spec).__name__}")
        try:
            object.__setattr__(self, "stepper", Stepper(self.stepper))
        except ValueError:
            allowed = ", ".join(s.value for s in Stepper)
            raise HwgenError(f"stepper must be one of {allowed}, not {self.stepper!r}") from None

    @classmethod
    def of(
        cls,
        format: str,
        rounding: AccRounding | str = AccRounding.FUSED,
        subnormals: Subnormals | str = Subnormals.KEEP,
        stepper: Stepper | str = Stepper.VALUES,
    ) -> FloatAccumulator:
        """Shorthand: ``FloatAccumulator.of("bf16", "unfused")``."""
        spec = FloatAccSpec(
            format=format, rounding=AccRounding(rounding), subnormals=Subnormals(subnormals)
        )
        return cls(spec, Stepper(stepper))

    @property
    def label(self) -> str:
        s = self.spec
        flush = "-ftz" if s.flush else ""
        return f"acc-{s.format}-{s.rounding.value}{flush}"

    def accumulate(self, segment: Segment) -> np.ndarray:
        codes = segment.codes
        if codes is None:
            raise HwgenError("a float accumulator needs the segment's operand codes")
        a_fmt, w_fmt = codes.a_format, codes.w_format
        if not isinstance(a_fmt, Format) or not isinstance(w_fmt, Format):
            raise HwgenError(
                f"a float accumulator takes plain operand formats, not {a_fmt.name} x {w_fmt.name}"
            )
        spec = self.spec
        spec.check_products(a_fmt, w_fmt)
        tabulate = a_fmt.bits + w_fmt.bits <= TABLE_LIMIT_BITS
        if self.stepper is Stepper.VALUES:
            values = self._values(segment, a_fmt, w_fmt, tabulate)
        else:
            values = self._golden(segment, a_fmt, w_fmt, tabulate)
        bad = ~np.isfinite(values)
        if bad.any():
            raise AccumulatorOverflowError(
                f"float accumulator {spec.format} overflows: {int(bad.sum())} of {bad.size}"
                f" outputs end as inf/NaN after k = {segment.k_start}..."
                f"{segment.k_start + segment.length - 1} (largest finite"
                f" {spec.fmt.max_value:g} in code units); use a wider accumulator format"
            )
        return values

    def _values(self, segment: Segment, a_fmt: Format, w_fmt: Format, tabulate: bool) -> np.ndarray:
        codes = segment.codes
        assert codes is not None
        spec = self.spec
        table = _value_table(spec, a_fmt.name, w_fmt.name, codes.multiplier) if tabulate else None
        acc = np.zeros(segment.shape)
        for k in range(segment.length):
            a_k = codes.a_index[:, k, None]
            w_k = codes.w_index[None, k, :]
            if table is not None:
                p = table[a_k * (1 << w_fmt.bits) + w_k]
            else:
                p = _operand_values(_addends(spec, a_fmt, a_k, w_fmt, w_k, codes.multiplier))
            # Beat 0 of a segment is valid & clear: round(0 + p) = round(p) = P (unfused).
            acc = round_values(spec, _sum_to_odd(acc, p)) if k else round_values(spec, p)
        return acc

    def _golden(self, segment: Segment, a_fmt: Format, w_fmt: Format, tabulate: bool) -> np.ndarray:
        codes = segment.codes
        assert codes is not None
        spec = self.spec
        table = _table(spec, a_fmt.name, w_fmt.name, codes.multiplier) if tabulate else None
        state = np.zeros(segment.shape, dtype=np.int64)
        ones = np.ones(segment.shape, dtype=bool)
        for k in range(segment.length):
            a_k = codes.a_index[:, k, None]
            w_k = codes.w_index[None, k, :]
            if table is not None:
                flat = a_k * (1 << w_fmt.bits) + w_k
                y = _Operand(*(getattr(table, name)[flat] for name in _FIELDS))
            else:
                y = _addends(spec, a_fmt, a_k, w_fmt, w_k, codes.multiplier)
            # Beat 0 of a segment is valid & clear (the accumulator restarts), then valid.
            state = float_acc_step(spec, state, y, valid=ones, clear=ones if k == 0 else ~ones)
        return spec.fmt.decode(state.astype(spec.fmt.code_dtype))
