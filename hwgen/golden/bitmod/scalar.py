"""A slow, independent, per-element model of the BitMoD PE (pure Python integers).

Written from the specification in ``docs/bitmod.md`` separately from the vectorised
:mod:`hwgen.golden.bitmod.pe`: activations are decoded from their bit fields (not from the
format's tables), Booth digits come from a carry recurrence (not from bit triples), FP
terms from a loop over bit positions, and every shift is a Python integer shift. The test
suite checks the two models against each other; this one is the independent reference for
narrow mode (exact mode is checked against :class:`fractions.Fraction` dot products).
"""

from __future__ import annotations

from collections.abc import Sequence

from hwgen.formats import IntFormat, MinifloatFormat, SpecialPolicy
from hwgen.golden.bitmod.config import (
    FP_MAGNITUDES,
    SCALE_BITS,
    AccRounding,
    BitmodPEParams,
    GroupFlag,
    PEMode,
    WeightType,
)

__all__ = ["scalar_group"]

Term = tuple[int, int, int]  # (sign, exp, man)


def _decode_act(cfg: BitmodPEParams, code: int) -> tuple[int, int, int, bool, bool]:
    """(negative, |significand|, exponent offset, is NaN, is inf) from the bit fields."""
    fmt = cfg.act
    if isinstance(fmt, IntFormat):
        v = code - (1 << fmt.bits) if code >> (fmt.bits - 1) else code
        return v < 0, abs(v), 0, False, False
    assert isinstance(fmt, MinifloatFormat)
    e_bits, m_bits = fmt.exp_bits, fmt.man_bits
    neg = bool(code >> (e_bits + m_bits))
    e = (code >> m_bits) & ((1 << e_bits) - 1)
    f = code & ((1 << m_bits) - 1)
    if fmt.specials is SpecialPolicy.IEEE and e == (1 << e_bits) - 1:
        return neg, 0, 0, f != 0, f == 0
    if fmt.specials is SpecialPolicy.FN and e == (1 << e_bits) - 1 and f == (1 << m_bits) - 1:
        return neg, 0, 0, True, False
    if e == 0:
        return neg, f, 0, False, False
    return neg, (1 << m_bits) | f, e - 1, False, False


def _booth_terms(code: int, wt: WeightType) -> tuple[list[Term], int]:
    value = code - (1 << wt.bits) if code >> (wt.bits - 1) else code
    width = 2 * wt.cycles
    pattern = value % (1 << width)
    terms: list[Term] = []
    carry = 0
    for t in range(wt.cycles):
        pair = (pattern >> (2 * t)) & 3
        digit = pair + carry - 4 * (pair >> 1)
        carry = pair >> 1
        terms.append((int(digit < 0), int(abs(digit) == 2), int(digit != 0)))
    return terms, value


def _fp_terms(
    code: int, wt: WeightType, selector: int, specials: Sequence[int]
) -> tuple[list[Term], int]:
    sign_bit = code >> (wt.bits - 1)
    index = code & ((1 << (wt.bits - 1)) - 1)
    if sign_bit and index == 0:
        value = specials[selector]
    else:
        mag = FP_MAGNITUDES[wt][index]
        value = -mag if sign_bit else mag
    neg = int(value < 0)
    mag = abs(value)
    high = low = None
    for pos in (4, 3, 2, 1):
        if mag >> pos & 1:
            high = pos
            break
    rest = mag - (1 << high) if high is not None else mag
    for pos in (3, 2, 1, 0):
        if rest >> pos & 1:
            low = pos
            break
    terms = [
        (neg, high - 1, 1) if high is not None else (0, 0, 0),
        (neg, low, 1) if low is not None else (0, 0, 0),
    ]
    return terms, value


def _sbits(v: int) -> int:
    return (v if v >= 0 else -v - 1).bit_length() + 1


def scalar_group(
    cfg: BitmodPEParams,
    a_codes: Sequence[int],
    w_codes: Sequence[int],
    wtype: int | str,
    selector: int,
    scale: int,
    specials: Sequence[int] | None = None,
) -> tuple[int, int, int]:
    """One group's ``(out_man, out_exp, flags)``, computed element by element."""
    sv = tuple(cfg.special_values if specials is None else specials)
    code = WeightType(wtype).code if isinstance(wtype, str) else int(wtype)
    served = {w.code: w for w in cfg.weight_types}
    wt = served.get(code)
    g = cfg.group_size
    acts = [_decode_act(cfg, int(c)) for c in a_codes]
    nan = pinf = ninf = False
    wterms: list[list[Term]] = []
    terms: list[Term]
    for j in range(g):
        if wt is None:
            terms, value = [], 0
        elif wt.is_float:
            terms, value = _fp_terms(int(w_codes[j]), wt, selector, sv)
        else:
            terms, value = _booth_terms(int(w_codes[j]), wt)
        wterms.append(terms)
        aneg, _, _, anan, ainf = acts[j]
        if anan or (ainf and value == 0):
            nan = True
        elif ainf:
            if aneg != (value < 0):
                ninf = True
            else:
                pinf = True
    flags = 0
    if wt is None:
        flags |= GroupFlag.DTYPE
    f = cfg.lane_frac_bits
    acc = 0
    a_man, a_exp, empty = 0, 0, True
    if wt is not None:
        lshift = cfg.cycle_sum_bits - cfg.acc_bits
        for b in range(cfg.beats_per_group):
            for step, sigma in enumerate(wt.sigmas):
                lanes = []
                for i in range(cfg.dot):
                    j = b * cfg.dot + i
                    aneg, amag, aexp, _, _ = acts[j]
                    tsign, texp, tman = wterms[j][step]
                    p = amag if tman else 0
                    lanes.append((aneg ^ bool(tsign), p, aexp + texp if p else 0))
                x_top = max(x for _, _, x in lanes)
                s = 0
                for neg, p, x in lanes:
                    q = (p << f) >> (x_top - x)
                    s += -q if neg else q
                if cfg.mode is PEMode.EXACT:
                    acc += (s >> (cfg.x_max - x_top)) << sigma
                    continue
                t, et = s, x_top + sigma
                if empty or a_man == 0:
                    ew, a_w, t_w = et, 0, t
                else:
                    ew = max(et, a_exp - lshift)
                    a_w = (a_man << lshift) >> (ew + lshift - a_exp)
                    t_w = t >> (ew - et)
                r = a_w + t_w
                k = max(0, _sbits(r) - cfg.acc_bits)
                a_man = r >> k
                if cfg.acc_rounding is AccRounding.NEAREST and k:
                    dropped = r - (a_man << k)  # 0 <= dropped < 2**k
                    half = 1 << (k - 1)
                    if dropped > half or (dropped == half and a_man % 2):
                        a_man += 1
                    if a_man == 1 << (cfg.acc_bits - 1):
                        a_man, k = a_man // 2, k + 1
                a_exp, empty = ew + k, False
    if pinf and ninf:
        nan = True
    if scale == 0 and (pinf or ninf):
        nan = True
    flags |= (GroupFlag.NAN if nan else 0) | (GroupFlag.PINF if pinf else 0)
    flags |= GroupFlag.NINF if ninf else 0
    if cfg.mode is PEMode.EXACT:
        return acc * scale, 0, int(flags)
    drop = cfg.acc_bits + SCALE_BITS - cfg.out_man_bits
    # out_exp is the accumulator exponent; the drop is in cfg.out_lsb_exp.
    return (a_man * scale) >> drop, a_exp, int(flags)
