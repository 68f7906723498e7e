"""Directed corner cases of a float-accumulating MAC, generated from the design's formats.

Every corner is a short accumulation (first cycle ``clear`` with ``valid``) of products
chosen from the operand formats' codes, so that the accumulator meets:

* ``expdiff`` -- every exponent difference ``0 ..`` the adder's alignment window + 2
  between the accumulator and the incoming product, both orders (the swap) and both
  signs (effective addition and subtraction);
* ``tie_even`` / ``tie_odd`` -- a sum exactly halfway between two accumulator values,
  whose lower neighbour has an even / odd significand (round to nearest *even* goes down
  / up), in addition and subtraction, normal and subnormal;
* ``cancel`` -- exact cancellation (``x + -x = +0``), ``-0 + -0 = -0``, ``+0 + -0 = +0``,
  near cancellation (a long normalisation shift), results that underflow to a signed 0;
* ``overflow`` -- a sum beyond the largest finite value (inf, NaN or saturation, as the
  format says), when reachable within ``max_terms`` products (and 4096 cycles);
* ``subnormal`` -- sums in and across the accumulator's subnormal range;
* ``special`` -- NaN and inf operands, ``inf x 0``, ``inf + -inf``, a NaN / inf followed
  by finite products (sticky until a clear) and a clear alone.

Products are those of the design's multiplier (:func:`hwgen.golden.products.product_terms`),
the operand codes are all codes of <= 8-bit formats and, for wider ones, the powers of
two, the significands 3 and the longest significand of every binade, zeros and special
codes. The categories are decided by an exact model of one round-to-nearest-even step
(Python integers); the expected outputs always come from the golden model. A category
(or an exponent difference) that no product of the formats can reach is absent and listed
by :func:`float_corners` as unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.formats import Format, MinifloatFormat
from hwgen.golden.products import product_terms
from hwgen.sim.stimulus import MacStimulus

__all__ = ["CATEGORIES", "Corners", "float_corners"]

CATEGORIES = ("expdiff", "tie_even", "tie_odd", "cancel", "overflow", "subnormal", "special")
#: Longest overflow ramp (cycles of the largest product).
OVERFLOW_MAX_CYCLES = 4096
#: Sequences kept per (category, variant).
_CAP = 4
#: Widest aligned sum the tie classifier takes on int64 arrays: float64 holds it exactly
#: (its binade is read with ``frexp``); wider sums go through the Python integer model.
_VEC_BITS = 52


@dataclass(frozen=True)
class Corners:
    """The corner stimulus and what it covers.

    Attributes
    ----------
    stimulus
        Lane-major MAC inputs; every lane starts with a clear.
    counts
        Sequences per category (:data:`CATEGORIES`).
    unreachable
        ``(category, reason)`` of what the formats cannot produce.
    """

    stimulus: MacStimulus
    counts: dict[str, int]
    unreachable: tuple[tuple[str, str], ...]
    ends: dict[str, tuple[tuple[int, int], ...]]
    """``(lane, cycle)`` of the last cycle of every sequence, per category."""


# ---------------------------------------------------------------------- exact values
# A finite value is (num, exp): num * 2**exp, num a signed Python int; zero keeps a sign.
@dataclass(frozen=True)
class _Val:
    num: int
    exp: int
    neg: bool  # sign (for zeros: the zero's sign)

    @property
    def top(self) -> int:
        """floor(log2 |value|) (only for non-zero values)."""
        return abs(self.num).bit_length() - 1 + self.exp


def _add(x: _Val, y: _Val) -> _Val:
    e = min(x.exp, y.exp)
    s = (x.num << (x.exp - e)) + (y.num << (y.exp - e))
    if s == 0:
        return _Val(0, 0, x.neg and y.neg if x.num == 0 and y.num == 0 else False)
    return _Val(s, e, s < 0)


class _Acc:
    """One round-to-nearest-even step into the accumulator format (the classifier)."""

    def __init__(self, fmt: MinifloatFormat) -> None:
        self.fmt = fmt
        self.m = fmt.man_bits
        self.emin = fmt.emin
        self.emax = fmt.emax
        self.max_mag = _Val(int((1 << (self.m + 1)) - 1), self.emax - self.m, False)

    def quantum(self, top: int) -> int:
        return max(top, self.emin) - self.m

    def round(self, v: _Val) -> tuple[_Val | None, str]:
        """``(rounded value or None on overflow, kind)``: kind is ``exact``, ``tie_even``,
        ``tie_odd``, ``inexact``; ``None`` means beyond the largest finite value."""
        if v.num == 0:
            return v, "exact"
        q = self.quantum(v.top)
        mag = abs(v.num)
        kind = "exact"
        if v.exp < q:
            sh = q - v.exp
            hi, rest = mag >> sh, mag & ((1 << sh) - 1)
            half = 1 << (sh - 1)
            if rest == half:
                kind = "tie_odd" if hi & 1 else "tie_even"
            elif rest:
                kind = "inexact"
            up = rest > half or (rest == half and hi & 1)
            mag, exp = hi + up, q
        else:
            exp = v.exp
        if mag == 0:
            return _Val(0, 0, v.neg), kind
        r = _Val(-mag if v.neg else mag, exp, v.neg)
        if r.top > self.emax or (r.top == self.emax and _gt(mag, exp, self.max_mag)):
            return None, kind
        return r, kind


def _gt(mag: int, exp: int, ref: _Val) -> bool:
    """``mag * 2**exp > ref`` (both positive)."""
    e = min(exp, ref.exp)
    return (mag << (exp - e)) > (ref.num << (ref.exp - e))


# ---------------------------------------------------------------------- operands
def _candidate_codes(fmt: Format) -> np.ndarray:
    """Every code of a <= 8-bit format; for wider ones the structured subset."""
    n = 1 << fmt.bits
    if fmt.bits <= 8:
        return np.arange(n, dtype=np.int64)
    se = fmt.sig_exp
    sig = np.abs(se.sig)
    finite = np.asarray(fmt.finite_mask)
    low = np.where(sig > 0, sig & -sig, 1)
    odd = np.where(sig > 0, sig // low, 0)
    longest = int(odd[finite].max()) if finite.any() else 0
    keep = finite & ((sig == 0) | (odd == 1) | (odd == longest))
    return np.concatenate([np.flatnonzero(keep), _special_codes(fmt)]).astype(np.int64)


def _special_codes(fmt: Format) -> np.ndarray:
    """The inf codes and the first and last NaN code of each sign (not every payload)."""
    nan = np.asarray(fmt.nan_codes, dtype=np.int64)
    sign = 1 << (fmt.bits - 1)
    picked = [np.asarray(fmt.inf_codes, dtype=np.int64)]
    for side in (nan[nan < sign], nan[nan >= sign]):
        if side.size:
            picked.append(np.unique(side[[0, -1]]))
    return np.concatenate(picked)


@dataclass(frozen=True)
class _Prod:
    a: int
    w: int
    val: _Val | None  # None: a special product (NaN / inf flags)
    flags: int


class _Products:
    """The candidate products (numpy arrays), indexed by binade and sign."""

    def __init__(self, cfg: MacConfig, fmt: MinifloatFormat) -> None:
        a, w = cfg.a, cfg.w
        aa, ww = np.meshgrid(_candidate_codes(a), _candidate_codes(w), indexing="ij")
        self.a, self.w = aa.reshape(-1), ww.reshape(-1)
        t = product_terms(
            a, self.a.astype(np.intp), w, self.w.astype(np.intp), cfg.golden().multiplier
        )
        self.sig = np.asarray(t.sig, dtype=np.int64)
        self.exp = np.asarray(t.shift, dtype=np.int64) + t.lsb_exp
        self.flags = np.asarray(t.flags, dtype=np.int64)
        with np.errstate(invalid="ignore"):
            zneg = np.signbit(a.values()[self.a]) ^ np.signbit(w.values()[self.w])
        self.neg = np.where(self.sig != 0, self.sig < 0, zneg)
        mag = np.abs(self.sig)
        self.nz = (self.flags == 0) & (mag > 0)
        safe = np.where(self.nz, mag, 1)
        tz = np.log2(safe & -safe).astype(np.int64)  # exact: powers of two below 2**53
        self.odd = safe >> tz
        self.vexp = self.exp + tz  # value = +-odd * 2**vexp
        self.top = (np.frexp(safe.astype(np.float64))[1] - 1).astype(np.int64) + self.exp
        self.bits = int(np.frexp(float(mag.max()))[1]) if mag.size else 1
        nzi = np.flatnonzero(self.nz)
        self.pow2 = self._first(nzi[self.odd[nzi] == 1])
        # The longest significand of each binade: sort by odd part, descending, keep first.
        self.rich = self._first(nzi[np.argsort(-self.odd[nzi], kind="stable")])
        self.tops = sorted({k[0] for k in self.rich})
        self.zeros: dict[bool, _Prod | None] = {}
        zero = np.flatnonzero((self.flags == 0) & (mag == 0))
        for neg in (False, True):
            hit = zero[self.neg[zero] == neg]
            self.zeros[neg] = self.prod(int(hit[0])) if hit.size else None
        self.specials: dict[int, list[_Prod]] = {}
        sp = np.flatnonzero(self.flags != 0)
        for f in np.unique(self.flags[sp]):
            self.specials[int(f)] = [self.prod(int(i)) for i in sp[self.flags[sp] == f][:2]]
        self.fmt = fmt

    def _first(self, idx: np.ndarray) -> dict[tuple[int, bool], _Prod]:
        """``{(binade, negative): product}`` of the first index of each key in ``idx``."""
        out: dict[tuple[int, bool], _Prod] = {}
        keys = self.top[idx] * 2 + self.neg[idx]
        _, first = np.unique(keys, return_index=True)
        for i in idx[first]:
            out[(int(self.top[i]), bool(self.neg[i]))] = self.prod(int(i))
        return out

    def prod(self, i: int) -> _Prod:
        if self.flags[i]:
            return _Prod(int(self.a[i]), int(self.w[i]), None, int(self.flags[i]))
        v = _Val(int(self.sig[i]), int(self.exp[i]), bool(self.neg[i]))
        return _Prod(int(self.a[i]), int(self.w[i]), v, 0)

    def negated(self, p: _Prod) -> _Prod | None:
        v = p.val
        assert v is not None
        mag = abs(v.num)
        tz = (mag & -mag).bit_length() - 1
        hit = np.flatnonzero(
            self.nz & (self.odd == mag >> tz) & (self.vexp == v.exp + tz) & (self.neg != v.neg)
        )
        return self.prod(int(hit[0])) if hit.size else None

    def tiny(self, below: int, limit: int) -> list[_Prod]:
        """Up to ``limit`` products (distinct binade and sign) with binade < ``below``."""
        idx = np.flatnonzero(self.nz & (self.top < below))
        return list(self._first(idx).values())[:limit]

    def largest(self, neg: bool) -> _Prod | None:
        idx = np.flatnonzero(self.nz & (self.neg == neg))
        if not idx.size:
            return None
        best = idx[np.lexsort((-self.odd[idx], -self.top[idx]))[0]]
        return self.prod(int(best))

    def some_finite(self) -> _Prod | None:
        idx = np.flatnonzero(self.nz)
        return self.prod(int(idx[idx.size // 2])) if idx.size else None


def _odd(p: _Prod) -> int:
    assert p.val is not None
    mag = abs(p.val.num)
    return mag // (mag & -mag)


# ---------------------------------------------------------------------- sequences
Seq = list[tuple[int, int, bool, bool]]  # (a, w, valid, clear) per cycle


def _seq(prods: list[_Prod], *, clear_after: bool = False) -> Seq:
    out: Seq = [(p.a, p.w, True, i == 0) for i, p in enumerate(prods)]
    if clear_after:
        out.append((0, 0, False, True))
    return out


class _Builder:
    def __init__(self, cfg: MacConfig) -> None:
        spec = cfg.float_acc
        if spec is None:
            raise HwgenError(f"{cfg.name} has a fixed-point accumulator: no float corners")
        self.cfg = cfg
        self.spec = spec
        self.fmt = spec.fmt
        self.acc = _Acc(self.fmt)
        self.p = _Products(cfg, self.fmt)
        self.seqs: dict[str, list[Seq]] = {c: [] for c in CATEGORIES}
        self.unreachable: list[tuple[str, str]] = []

    # One exact run of a sequence: the kind of each rounding step and each result.
    def trace(self, prods: list[_Prod]) -> list[tuple[str, _Val | None]]:
        out: list[tuple[str, _Val | None]] = []
        acc: _Val | None = None
        for i, p in enumerate(prods):
            if p.val is None or (acc is None and i > 0):
                return out  # specials: not classified
            x = p.val
            if not self.spec.fused:
                x2, _ = self.acc.round(x)
                if x2 is None:
                    out.append(("overflow", None))
                    return out
                x = x2
            s = x if i == 0 else _add(acc, x)  # type: ignore[arg-type]
            r, kind = self.acc.round(s)
            if r is None:
                out.append(("overflow", None))
                return out
            out.append((kind, r))
            acc = r
        return out

    def window(self) -> int:
        return max(self.fmt.man_bits + 5, self.p.bits + 3)

    def expdiff(self) -> None:
        tops = self.p.tops
        if not tops:
            self.unreachable.append(("expdiff", "no finite non-zero product"))
            return
        missing = []
        for d in range(self.window() + 3):
            found = 0
            # A high and a middle anchor binade, both orders, both signs.
            anchors = [t for t in (tops[-1], tops[len(tops) // 2]) if t - d in tops]
            for hi in dict.fromkeys(anchors):
                big = self.p.rich.get((hi, False))
                for neg in (False, True):
                    small = self.p.rich.get((hi - d, neg)) or self.p.pow2.get((hi - d, neg))
                    if big is None or small is None:
                        continue
                    self.seqs["expdiff"].append(_seq([big, small]))
                    self.seqs["expdiff"].append(_seq([small, big]))
                    found += 1
            if not found:
                missing.append(d)
        if missing:
            self.unreachable.append(
                (
                    "expdiff",
                    f"differences {_ranges(missing)} need more range than two products have",
                )
            )

    def ties(self) -> None:
        """Sequences ``first [, middle], last`` whose last step is a tie, up to
        :data:`_CAP` per (kind, effective subtraction, result sign, subnormal result).

        The candidates are enumerated in a fixed order (binade, signs, first product, the
        last product's binade ``hi - j``, the optional middle one) and the first ones of
        each key are kept. A prefix (``first`` or ``first, middle``) is traced once (most
        candidates share one); the last steps of all candidates are then classified at
        once (:meth:`_last_steps`, the same exact rounding step as :meth:`trace`).
        """
        m = self.fmt.man_bits
        pow2 = self.p.pow2
        added: dict[tuple[int, bool], _Val | None] = {}  # a pow2 product as it is added
        # Per candidate, in enumeration order: (prefix, accumulator, last, value added).
        cands: list[tuple[list[_Prod], _Val, _Prod, _Val]] = []
        for hi in self.p.tops:
            for neg1 in (False, True):
                middle = pow2.get((hi - m, neg1))
                for f in (pow2.get((hi, neg1)), self.p.rich.get((hi, neg1))):
                    if f is None:
                        continue
                    prefixes = {
                        None: self._exact_prefix([f]),
                        m: None if middle is None else self._exact_prefix([f, middle]),
                    }
                    for j in range(max(m - 2, 0), m + 4):
                        for neg2 in (False, True):
                            last = pow2.get((hi - j, neg2))
                            if last is None:
                                continue
                            if (hi - j, neg2) not in added:
                                added[(hi - j, neg2)] = self._as_added(last)
                            x = added[(hi - j, neg2)]
                            for mid in (None, m):
                                pre = prefixes[mid]
                                if pre is not None and x is not None:
                                    cands.append((pre[0], pre[1], last, x))
        got: dict[tuple[str, bool, bool, bool], int] = {}
        for (prefix, _, last, _), (kind, neg, sub) in zip(
            cands, self._last_steps(cands), strict=True
        ):
            if kind is None:
                continue
            assert prefix[0].val is not None and last.val is not None
            key = (kind, prefix[0].val.neg != last.val.neg, neg, sub)
            if got.get(key, 0) < _CAP:
                got[key] = got.get(key, 0) + 1
                self.seqs[kind].append(_seq([*prefix, last]))
        for kind in ("tie_even", "tie_odd"):
            if not self.seqs[kind]:
                self.unreachable.append(
                    (kind, f"no sequence of up to three products is a {self.fmt.name} tie")
                )

    def _exact_prefix(self, prods: list[_Prod]) -> tuple[list[_Prod], _Val] | None:
        """``(prods, accumulator)`` when every step of ``prods`` rounds exactly, else None."""
        tr = self.trace(prods)
        if len(tr) != len(prods) or any(k != "exact" for k, _ in tr):
            return None
        r = tr[-1][1]
        assert r is not None
        return prods, r

    def _as_added(self, p: _Prod) -> _Val | None:
        """The value ``p`` adds to the accumulator (unfused: rounded first; None on
        overflow), as :meth:`trace` computes it."""
        assert p.val is not None
        if self.spec.fused:
            return p.val
        return self.acc.round(p.val)[0]

    def _last_steps(
        self, cands: list[tuple[list[_Prod], _Val, _Prod, _Val]]
    ) -> list[tuple[str | None, bool, bool]]:
        """``(tie kind or None, result negative, result subnormal)`` of ``acc + x`` rounded
        once, per candidate: :meth:`_Acc.round` on int64 arrays where the aligned sum
        has at most :data:`_VEC_BITS` bits (exact, and exact in float64 for the binade),
        the Python integer model for the rest."""
        if not cands:
            return []
        m, emin, emax = self.fmt.man_bits, self.fmt.emin, self.fmt.emax
        rn = np.array([c[1].num for c in cands], dtype=object)
        xn = np.array([c[3].num for c in cands], dtype=object)
        re = np.array([c[1].exp for c in cands], dtype=np.int64)
        xe = np.array([c[3].exp for c in cands], dtype=np.int64)
        rb = np.array([abs(c[1].num).bit_length() for c in cands], dtype=np.int64)
        xb = np.array([abs(c[3].num).bit_length() for c in cands], dtype=np.int64)
        e = np.minimum(re, xe)
        vec = np.maximum(rb + re - e, xb + xe - e) + 1 <= _VEC_BITS
        # Aligned sum (only where it fits; elsewhere 0 and replaced below).
        r64 = np.where(vec, rn, 0).astype(np.int64)
        x64 = np.where(vec, xn, 0).astype(np.int64)
        sr = np.where(vec, re - e, 0)
        sx = np.where(vec, xe - e, 0)
        total = (r64 << sr) + (x64 << sx)
        mag = np.abs(total)
        top = np.frexp(np.maximum(mag, 1).astype(np.float64))[1] - 1 + e
        q = np.maximum(top, emin) - m
        sh = np.clip(q - e, 1, 60)  # mag < 2**_VEC_BITS: a wider shift rounds the same
        hi = mag >> sh
        rest = mag & ((np.int64(1) << sh) - 1)
        tie = (q > e) & (mag > 0) & (rest == (np.int64(1) << (sh - 1)))
        odd = (hi & 1) == 1
        rmag = hi + odd
        rtop = np.frexp(np.maximum(rmag, 1).astype(np.float64))[1] - 1 + q
        # Beyond the largest finite value (2**(m+1) - 1) * 2**(emax - m): no result.
        # At rtop == emax both exponents lie within 2 of emax - m: small shifts.
        low = np.minimum(q, emax - m)
        big = (rmag << np.clip(q - low, 0, 2)) > (
            ((1 << (m + 1)) - 1) << np.clip(emax - m - low, 0, 2)
        )
        over = (rtop > emax) | ((rtop == emax) & big)
        keep = tie & ~over
        out: list[tuple[str | None, bool, bool]] = []
        for i, c in enumerate(cands):
            if not vec[i]:
                r, kind = self.acc.round(_add(c[1], c[3]))
                if r is None or kind not in ("tie_even", "tie_odd"):
                    out.append((None, False, False))
                else:
                    out.append((kind, r.neg, r.num != 0 and r.top < emin))
            elif keep[i]:
                kind = "tie_odd" if odd[i] else "tie_even"
                out.append((kind, bool(total[i] < 0), bool(rmag[i] != 0 and rtop[i] < emin)))
            else:
                out.append((None, False, False))
        return out

    def cancel(self) -> None:
        nz, pz = self.p.zeros[True], self.p.zeros[False]
        s = self.seqs["cancel"]
        if nz is not None:
            s.append(_seq([nz]))
            s.append(_seq([nz, nz]))
            if pz is not None:
                s.append(_seq([nz, pz]))
                s.append(_seq([pz, nz]))
        tops = self.p.tops
        for hi in dict.fromkeys([tops[0], tops[len(tops) // 2], tops[-1]] if tops else []):
            for neg in (False, True):
                for p in (self.p.rich.get((hi, neg)), self.p.pow2.get((hi, neg))):
                    if p is None:
                        continue
                    q = self.p.negated(p)
                    if q is not None:
                        s.append(_seq([p, q]))  # exact cancellation: +0
                        if nz is not None:
                            s.append(_seq([p, q, nz]))  # +0 + -0 = +0
                    # Near cancellation: a long significand minus a power of two.
                    r = self.p.pow2.get((hi, not neg))
                    if r is not None and r is not p:
                        s.append(_seq([p, r]))
        # Products too small for the accumulator: round to a zero of their sign.
        for p in self.p.tiny(self.fmt.emin - self.fmt.man_bits, 4 * _CAP):
            s.append(_seq([p]))

    def overflow(self) -> None:
        s = self.seqs["overflow"]
        limit = min(self.cfg.max_terms, OVERFLOW_MAX_CYCLES)
        for neg in (False, True):
            big = self.p.largest(neg)
            if big is None:
                continue
            # Cycles of the largest product until the sum leaves the finite range.
            for n in range(1, limit + 1):
                if self._ramp(big, n) == "overflow":
                    break
            else:
                continue
            opp = self.p.negated(big)
            s.append(_seq([big] * (n + 1) + ([opp] if opp is not None else [])))
        if not s:
            self.unreachable.append(
                ("overflow", f"the largest product x {limit} stays below {self.fmt.name}'s"
                 " largest value")
            )  # fmt: skip

    def _ramp(self, p: _Prod, n: int) -> str:
        """``overflow`` when ``n`` additions of ``p`` overflow (rounded every step)."""
        tr = self.trace([p] * n)
        return "overflow" if tr and tr[-1][0] == "overflow" else "finite"

    def subnormal(self) -> None:
        emin, m = self.fmt.emin, self.fmt.man_bits
        got: dict[tuple[bool, bool], int] = {}
        for e1 in range(emin - m - 1, emin + 2):
            for e2 in range(emin - m - 1, emin + 2):
                for neg2 in (False, True):
                    for tab1 in (self.p.pow2, self.p.rich):
                        a = tab1.get((e1, False))
                        b = self.p.rich.get((e2, neg2)) or self.p.pow2.get((e2, neg2))
                        if a is None or b is None:
                            continue
                        tr = self.trace([a, b])
                        if len(tr) != 2 or tr[-1][1] is None:
                            continue
                        r0, r1 = tr[0][1], tr[1][1]
                        assert r0 is not None and r1 is not None
                        sub0 = r0.num != 0 and r0.top < emin
                        sub1 = r1.num != 0 and r1.top < emin
                        if not (sub0 or sub1):
                            continue
                        key = (sub0, sub1)
                        if got.get(key, 0) < 3 * _CAP:
                            got[key] = got.get(key, 0) + 1
                            self.seqs["subnormal"].append(_seq([a, b]))
        if not self.seqs["subnormal"]:
            self.unreachable.append(
                ("subnormal", f"no product reaches {self.fmt.name}'s subnormal range")
            )

    def special(self) -> None:
        s = self.seqs["special"]
        by_flags = self.p.specials
        one = self.p.some_finite()
        for _flags, ps in sorted(by_flags.items()):
            for p in ps:
                s.append(_seq([p], clear_after=True))
                if one is not None:
                    s.append(_seq([p, one, one], clear_after=True))  # sticky / held
                    s.append(_seq([one, p, one], clear_after=True))
        kinds = sorted(by_flags)
        for f1 in kinds:
            for f2 in kinds:
                if f1 != f2:
                    s.append(_seq([by_flags[f1][0], by_flags[f2][0]], clear_after=True))

    def build(self) -> None:
        self.expdiff()
        self.ties()
        self.cancel()
        self.overflow()
        if self.fmt.subnormals:
            self.subnormal()
        else:
            self.unreachable.append(("subnormal", f"{self.fmt.name} has no subnormals"))
        self.special()


def _ranges(values: list[int]) -> str:
    out, start = [], values[0]
    for prev, cur in zip(values, [*values[1:], None], strict=True):
        if cur != prev + 1:
            out.append(f"{start}" if start == prev else f"{start}..{prev}")
            if cur is not None:
                start = cur
    return ",".join(out)


def _pack(
    seqs: list[tuple[str, Seq]], lanes: int
) -> tuple[MacStimulus, dict[str, tuple[tuple[int, int], ...]]]:
    """Sequences dealt to lanes (longest first, to the emptiest lane), hold-padded; and
    the ``(lane, cycle)`` where each sequence ends, per category."""
    loads: list[list[tuple[str, Seq]]] = [[] for _ in range(lanes)]
    length = [0] * lanes
    for cat, sq in sorted(seqs, key=lambda cs: len(cs[1]), reverse=True):
        i = min(range(lanes), key=lambda k: (length[k], k))
        loads[i].append((cat, sq))
        length[i] += len(sq)
    cycles = max(1, max(length))
    a = np.zeros((lanes, cycles), np.int64)
    w = np.zeros((lanes, cycles), np.int64)
    valid = np.zeros((lanes, cycles), bool)
    clear = np.zeros((lanes, cycles), bool)
    clear[:, 0] = True  # lanes without work start cleared too
    ends: dict[str, list[tuple[int, int]]] = {c: [] for c in CATEGORIES}
    for i, lane in enumerate(loads):
        t = 0
        for cat, sq in lane:
            for ca, cw, v, c in sq:
                a[i, t], w[i, t], valid[i, t], clear[i, t] = ca, cw, v, c
                t += 1
            ends[cat].append((i, t - 1))
    stim = MacStimulus(a=a, w=w, valid=valid, clear=clear)
    return stim, {c: tuple(v) for c, v in ends.items()}


def float_corners(config: MacConfig, *, lanes: int) -> Corners:
    """The directed corners of a float-accumulating MAC (see the module docstring).

    Parameters
    ----------
    config
        A MAC with ``acc_format`` set (rebuilt from the manifest by the bench).
    lanes
        Harness lanes; the sequences are dealt over them.

    Raises
    ------
    HwgenError
        A fixed-point MAC.
    """
    b = _Builder(config)
    b.build()
    stim, ends = _pack([(c, sq) for c in CATEGORIES for sq in b.seqs[c]], lanes)
    return Corners(
        stimulus=stim,
        counts={c: len(b.seqs[c]) for c in CATEGORIES},
        unreachable=tuple(b.unreachable),
        ends=ends,
    )
