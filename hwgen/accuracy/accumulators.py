"""Accumulators: how a MAC adds up the products of one segment of a dot product.

A GEMM is computed segment by segment along K: a *segment* is a run of K over which
neither operand's scale changes (a weight group, an MX block, or all of K for per-channel
and per-token scales). Within a segment the MAC accumulates the integer products of the
codes, one ``k`` after another in increasing order, starting from 0 (the accumulator is
cleared at every segment start). The segment result is then dequantized with the two
scales and the segments are combined (:meth:`Accumulator.combine`, float64 by default).

:class:`Accumulator` is the protocol every accumulator kind implements:
:meth:`~Accumulator.accumulate` takes a :class:`Segment` and returns the float64 value of
each output's segment sum. A :class:`Segment` offers the products both ways an
implementation may want them: the exact integer sums (:meth:`Segment.exact_sum`, a few
BLAS products) and the products of one step ``k`` for a subset of outputs
(:meth:`Segment.products_at`, for accumulators whose result depends on the order, such as
saturating or floating-point ones). A floating-point accumulator that rounds after every
addition is one more subclass: it loops over :meth:`Segment.products_at` and may override
:meth:`~Accumulator.combine` to add the dequantized segments in its own format too.

Implemented here:

* :class:`ExactAccumulator` -- unbounded fixed point: the exact sum.
* :class:`FixedPointAccumulator` -- a two's complement accumulator of ``bits`` bits with
  LSB ``2**lsb_exp`` and a :class:`~hwgen.golden.Overflow` policy, the semantics of
  :func:`hwgen.golden.mac_trace`: ``wrap`` keeps the sum modulo ``2**bits``, ``saturate``
  clamps after every addition, ``exact`` raises if any running sum leaves the range.
  Outputs whose running sums provably stay in range (:attr:`Segment.abs_bound`, then
  :meth:`Segment.stays_within`) take the exact sum; only the others are stepped through.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hwgen.accuracy.exact_matmul import exact_matmul
from hwgen.errors import HwgenError
from hwgen.formats import Format
from hwgen.formats.table import MixtureFormat
from hwgen.golden import AccumulatorSpec, Multiplier, Overflow, to_float

__all__ = ["Accumulator", "ExactAccumulator", "FixedPointAccumulator", "Segment", "SegmentCodes"]

# Margin on float64 upper bounds of sums of |products| (their rounding error is far below).
_BOUND_MARGIN = 1.0 + 2.0**-20
# Largest accumulator the int64 step-by-step scan handles (room for one more product).
_SCAN_INT64_BITS = 61
# Steps per block of the running-sum proof of Segment.stays_within.
_PROOF_BLOCK = 64
# Bound of the float64 rounding error of a running sum relative to its sum of |terms|.
_ROUNDING_SLACK = 2.0**-40


@dataclass(frozen=True, eq=False)
class SegmentCodes:
    """The operand codes of a segment, for accumulators that redo the products themselves.

    Attributes
    ----------
    a_format, w_format
        The operand formats (a weight mixture indexes ``variant * 2**bits + code``).
    multiplier
        The design's :class:`~hwgen.golden.Multiplier`.
    a_index
        ``(M, L)`` activation codes.
    w_index
        ``(L, N)`` weight codes.
    """

    a_format: Format | MixtureFormat
    w_format: Format | MixtureFormat
    multiplier: Multiplier
    a_index: np.ndarray
    w_index: np.ndarray


@dataclass(frozen=True, eq=False)
class Segment:
    """The products one segment of a GEMM feeds into the accumulators of all outputs.

    Products are ``2**unit_exp * sum_(i, j, c) c * a_terms[i][m, k] * w_terms[j][k, n]``
    (the multiplier's bilinear form, :mod:`hwgen.accuracy.products`), integers in units
    of ``2**unit_exp``.

    Attributes
    ----------
    a_terms
        int64 ``(M, L)`` activation term matrices of the segment.
    w_terms
        int64 ``(L, N)`` weight term matrices.
    a_bounds, w_bounds
        Bounds of ``|term|`` per term (Python ints).
    pairs
        ``(i, j, c)`` term pairs and coefficients.
    unit_exp
        Weight of one product unit.
    format_lsb_exp
        ``a.lsb_exp + w.lsb_exp`` of the formats: the LSB of the design's accumulator when
        it does not set its own.
    index, k_start
        Position of the segment (for messages): its number and its first ``k``.
    codes
        The segment's operand codes (:class:`SegmentCodes`), for accumulators that form
        the products from the codes (:class:`~hwgen.accuracy.float_acc.FloatAccumulator`).
    """

    a_terms: tuple[np.ndarray, ...]
    w_terms: tuple[np.ndarray, ...]
    a_bounds: tuple[int, ...]
    w_bounds: tuple[int, ...]
    pairs: tuple[tuple[int, int, int], ...]
    unit_exp: int
    format_lsb_exp: int
    index: int = 0
    k_start: int = 0
    codes: SegmentCodes | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(M, N)``: the outputs."""
        return self.a_terms[0].shape[0], self.w_terms[0].shape[1]

    @property
    def length(self) -> int:
        """Products per output, ``L``."""
        return self.a_terms[0].shape[1]

    @property
    def product_bound(self) -> int:
        """Bound of any single ``|product|`` in units."""
        return sum(abs(c) * self.a_bounds[i] * self.w_bounds[j] for i, j, c in self.pairs)

    @cached_property
    def exact_sum(self) -> np.ndarray:
        """Exact sum of the segment's products per output (int64 or Python ints), in units."""
        out: np.ndarray | None = None
        for i, j, c in self.pairs:
            part = exact_matmul(
                self.a_terms[i],
                self.w_terms[j],
                x_bound=self.a_bounds[i],
                y_bound=self.w_bounds[j],
            )
            if c != 1:
                wide = part.dtype == object or abs(c) * self.a_bounds[i] * self.w_bounds[j] * max(
                    self.length, 1
                ) >= (1 << 62)
                part = part.astype(object) * c if wide else part * np.int64(c)
            if out is None:
                out = part
            elif out.dtype == object or part.dtype == object:
                out = out.astype(object) + part.astype(object)
            else:
                out = out + part
        assert out is not None
        total = self.product_bound * max(self.length, 1)
        if out.dtype == object and total < (1 << 62):
            out = out.astype(np.int64)
        return out

    @cached_property
    def abs_bound(self) -> np.ndarray:
        """float64 upper bound of ``sum_k |product|`` per output (in units)."""
        out = np.zeros(self.shape)
        for i, j, c in self.pairs:
            x = np.abs(self.a_terms[i]).astype(np.float64)
            y = np.abs(self.w_terms[j]).astype(np.float64)
            out += abs(c) * (x @ y)
        return out * _BOUND_MARGIN

    def stays_within(self, limit: float, *, block: int = _PROOF_BLOCK) -> np.ndarray:
        """``True`` where every running sum provably stays inside ``(-limit, limit)``.

        Per block of ``block`` steps: the running sum before the block plus the block's sum
        of ``|products|`` bounds every partial sum inside it (float64 with a margin far
        above its rounding error). Cheaper than stepping: two matrix products per block.
        """
        run = np.zeros(self.shape)
        seen = np.zeros(self.shape)  # sum of |products| so far: bounds float64 errors of run
        ok = np.ones(self.shape, dtype=bool)
        for k0 in range(0, self.length, block):
            ks = slice(k0, k0 + block)
            bound = np.zeros(self.shape)
            total = np.zeros(self.shape)
            for i, j, c in self.pairs:
                x = self.a_terms[i][:, ks].astype(np.float64)
                y = self.w_terms[j][ks].astype(np.float64)
                bound += abs(c) * (np.abs(x) @ np.abs(y))
                total += c * (x @ y)
            ok &= (np.abs(run) + bound) * _BOUND_MARGIN + seen * _ROUNDING_SLACK < limit
            run += total
            seen += bound
        return ok

    def restrict(self, rows: np.ndarray, cols: np.ndarray) -> Segment:
        """The same segment for the outputs ``rows x cols`` only (index arrays)."""
        return Segment(
            a_terms=tuple(np.ascontiguousarray(t[rows]) for t in self.a_terms),
            w_terms=tuple(np.ascontiguousarray(t[:, cols]) for t in self.w_terms),
            a_bounds=self.a_bounds,
            w_bounds=self.w_bounds,
            pairs=self.pairs,
            unit_exp=self.unit_exp,
            format_lsb_exp=self.format_lsb_exp,
            index=self.index,
            k_start=self.k_start,
            codes=None
            if self.codes is None
            else SegmentCodes(
                a_format=self.codes.a_format,
                w_format=self.codes.w_format,
                multiplier=self.codes.multiplier,
                a_index=np.ascontiguousarray(self.codes.a_index[rows]),
                w_index=np.ascontiguousarray(self.codes.w_index[:, cols]),
            ),
        )

    def products_at(self, k: int) -> np.ndarray:
        """``(M, N)`` products of step ``k`` (the ``k``-th product of every output).

        int64 when :attr:`product_bound` < 2**62, else Python ints.
        """
        wide = self.product_bound >= (1 << 62)
        out: np.ndarray | None = None
        for i, j, c in self.pairs:
            x = self.a_terms[i][:, k, None]
            y = self.w_terms[j][None, k, :]
            if wide:
                x, y = x.astype(object), y.astype(object)
            elif c != 1:
                x = x * np.int64(c)
            term = x * y if not wide or c == 1 else x * y * c
            out = term if out is None else out + term
        assert out is not None
        return out


def _as_float(ints: np.ndarray, lsb_exp: int) -> np.ndarray:
    """``ints * 2**lsb_exp`` in float64, rounded to nearest even (:func:`hwgen.golden.to_float`).

    int64 values below ``2**53`` convert exactly, so they skip the general rounding.
    """
    if ints.dtype != object and ints.size and -(1 << 53) <= ints.min() and ints.max() <= 1 << 53:
        lo = -1022 - 52  # the result stays normal or exact subnormal
        if lsb_exp >= lo:
            return np.ldexp(ints.astype(np.float64), lsb_exp)
    return to_float(ints, lsb_exp)


class Accumulator(ABC):
    """How a MAC adds up a segment's products (see the module docstring)."""

    @property
    @abstractmethod
    def label(self) -> str:
        """Short name for tables, e.g. ``exact`` or ``acc24-wrap``."""

    @abstractmethod
    def accumulate(self, segment: Segment) -> np.ndarray:
        """float64 ``(M, N)`` value of each output's accumulated segment (real units).

        Raises
        ------
        HwgenError
            When the segment breaks the accumulator's contract (e.g. ``overflow='exact'``).
        """

    def combine(self, parts: Iterable[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
        """Add the dequantized segment results, in segment order (float64 by default).

        Parameters
        ----------
        parts
            float64 ``(M, N)`` arrays: each segment's :meth:`accumulate` result times its
            activation and weight scales.
        shape
            ``(M, N)``.
        """
        out = np.zeros(shape)
        for p in parts:
            out += p
        return out


@dataclass(frozen=True)
class ExactAccumulator(Accumulator):
    """Unbounded fixed point: every segment sum is exact (then rounded once to float64)."""

    @property
    def label(self) -> str:
        return "exact"

    def accumulate(self, segment: Segment) -> np.ndarray:
        return _as_float(segment.exact_sum, segment.unit_exp)


def _wrap(ints: np.ndarray, up: int, bits: int) -> np.ndarray:
    """``(ints << up)`` reduced to signed ``bits``-bit two's complement."""
    if ints.dtype != object and bits <= 64:
        u = ints.view(np.uint64) << np.uint64(up) if up < 64 else np.zeros_like(ints, np.uint64)
        if bits < 64:
            mask, sign = np.uint64((1 << bits) - 1), np.uint64(1 << (bits - 1))
            return ((u & mask) ^ sign).astype(np.int64) - np.int64(1 << (bits - 1))
        return u.view(np.int64)
    half, mod = 1 << (bits - 1), 1 << bits
    wide = (ints.astype(object) * (1 << up) + half) % mod - half
    return wide.astype(np.int64) if bits <= 64 else np.asarray(wide, dtype=object)


def _shift_up(ints: np.ndarray, up: int, limit: int) -> np.ndarray:
    """``ints << up`` where ``|ints << up| <= limit``: int64 when it fits, else Python ints."""
    if ints.dtype != object and limit < (1 << 62):
        return ints << np.int64(up)
    return np.asarray(ints.astype(object) * (1 << up), dtype=object)


@dataclass(frozen=True)
class FixedPointAccumulator(Accumulator):
    """A ``bits``-bit two's complement accumulator (semantics of :func:`hwgen.golden.mac_trace`).

    Parameters
    ----------
    bits
        Width, >= 2.
    overflow
        :class:`~hwgen.golden.Overflow`: ``exact`` (raise when a running sum leaves the
        range), ``wrap`` or ``saturate``.
    lsb_exp
        Weight of the LSB; ``None`` is the formats' product LSB ``a.lsb_exp + w.lsb_exp``
        (what :class:`hwgen.design.mac.MacConfig` builds). Must not exceed it: a coarser
        LSB would drop product bits.
    """

    bits: int
    overflow: Overflow = Overflow.WRAP
    lsb_exp: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.bits, bool) or not isinstance(self.bits, int | np.integer):
            raise HwgenError(f"accumulator bits must be an integer, not {self.bits!r}")
        if self.bits < 2:
            raise HwgenError(f"accumulator bits must be >= 2, not {self.bits}")
        object.__setattr__(self, "bits", int(self.bits))
        try:
            object.__setattr__(self, "overflow", Overflow(self.overflow))
        except ValueError:
            allowed = ", ".join(o.value for o in Overflow)
            raise HwgenError(f"overflow must be one of {allowed}, not {self.overflow!r}") from None
        if self.lsb_exp is not None and (
            isinstance(self.lsb_exp, bool) or not isinstance(self.lsb_exp, int | np.integer)
        ):
            raise HwgenError(
                f"accumulator lsb_exp must be an integer or None, not {self.lsb_exp!r}"
            )

    @classmethod
    def from_spec(cls, spec: AccumulatorSpec, overflow: Overflow) -> FixedPointAccumulator:
        """The accumulator a golden :class:`~hwgen.golden.AccumulatorSpec` describes."""
        return cls(bits=spec.bits, overflow=overflow, lsb_exp=spec.lsb_exp)

    @property
    def label(self) -> str:
        lsb = "" if self.lsb_exp is None else f"-lsb{self.lsb_exp}"
        return f"acc{self.bits}{lsb}-{self.overflow.value}"

    def spec(self, format_lsb_exp: int) -> AccumulatorSpec:
        """The :class:`~hwgen.golden.AccumulatorSpec` for formats of this product LSB."""
        lsb = format_lsb_exp if self.lsb_exp is None else int(self.lsb_exp)
        if lsb > format_lsb_exp:
            raise HwgenError(
                f"accumulator lsb_exp must be <= {format_lsb_exp} (a.lsb_exp + w.lsb_exp),"
                f" not {lsb}: a window above the products' LSB truncates every product,"
                " which the GEMM accuracy engine (exact segment sums) does not model;"
                f" set acc_lsb = {format_lsb_exp}"
            )
        return AccumulatorSpec(bits=self.bits, lsb_exp=lsb)

    def accumulate(self, segment: Segment) -> np.ndarray:
        spec = self.spec(segment.format_lsb_exp)
        # unit_exp >= the formats' product LSB >= spec.lsb_exp, so up >= 0.
        up = segment.unit_exp - spec.lsb_exp
        exact = segment.exact_sum
        if self.overflow is Overflow.WRAP:
            return _as_float(_wrap(exact, up, spec.bits), spec.lsb_exp)
        limit = min(spec.hi, -spec.lo)
        safe = segment.abs_bound * 2.0**up < limit
        if not safe.all():
            safe |= segment.stays_within(limit / 2.0**up)
        acc = _shift_up(exact, up, spec.hi)
        if not safe.all():
            rows, cols = np.nonzero(~safe)
            if acc.dtype != object and spec.bits > 62:
                acc = acc.astype(object)
            acc = acc.copy()
            acc[rows, cols] = self._scan(segment, rows, cols, up, spec)
        return _as_float(acc, spec.lsb_exp)

    def _scan(
        self, segment: Segment, rows: np.ndarray, cols: np.ndarray, up: int, spec: AccumulatorSpec
    ) -> np.ndarray:
        """Step-by-step accumulation of the outputs ``(rows, cols)`` (saturate / exact)."""
        lo, hi = spec.lo, spec.hi
        narrow = spec.bits <= _SCAN_INT64_BITS and segment.product_bound < (1 << 62)
        # A step of magnitude > hi - lo leaves the range from every state (and saturates),
        # so steps are clamped to +-(hi - lo + 1) before the shift: they stay in int64.
        span = hi - lo + 1
        cap = (span >> up) + 1 if up < 62 else 1
        clamp = (segment.product_bound << up) > span
        # Step through the smallest grid of rows x columns holding every risky output.
        urows, r_at = np.unique(rows, return_inverse=True)
        ucols, c_at = np.unique(cols, return_inverse=True)
        sub = segment.restrict(urows, ucols)
        state: np.ndarray = np.zeros(sub.shape, dtype=np.int64 if narrow else object)
        watch = np.zeros(sub.shape, dtype=bool)
        watch[r_at, c_at] = True
        for k in range(sub.length):
            p = sub.products_at(k)
            if not narrow:
                step = np.asarray(p, dtype=object) * (1 << up)
            elif not clamp:
                step = p << np.int64(up) if up else p
            elif up >= 62:
                step = np.sign(p) * np.int64(span)
            else:
                step = np.minimum(np.maximum(p, -cap), cap) << np.int64(up)
                step = np.minimum(np.maximum(step, -span), span)
            total = state + step
            if self.overflow is Overflow.SATURATE:
                state = np.minimum(np.maximum(total, lo, out=total), hi, out=total)
                continue
            bad = ((total < lo) | (total > hi)) & watch
            if bad.any():
                r, c = (int(v[0]) for v in np.nonzero(bad))
                raise HwgenError(
                    f"accumulator overflow: output ({int(urows[r])}, {int(ucols[c])}) leaves"
                    f" [{lo}, {hi}] of a {spec.bits}-bit accumulator at k ="
                    f" {segment.k_start + k} (overflow='exact'; widen it or choose 'wrap' /"
                    " 'saturate')"
                )
            state = total
        return state[r_at, c_at]
