"""Bit-exact, vectorised model of the BitMoD PE datapath (both modes) and its GEMM.

One group of ``group_size`` weights runs as ``group_size / dot`` beats of ``cycles`` term
steps each. Per cycle (lane ``i`` = one weight term times one activation):

1. **Exponent match.** ``x_i = act_exp_i + term_exp_i`` for lanes with a non-zero product
   (``0`` otherwise: zero lanes, NaN/inf activations and zero terms take no part in the
   max); ``x_max = max_i x_i``; ``delta_i = x_max - x_i``.
2. **Term multiply and shift.** ``P_i = |act sig_i| * man_i``;
   ``Q_i = (P_i << F) >> delta_i`` with ``F`` = :attr:`BitmodPEParams.lane_frac_bits`
   (*lane truncation*: the bits shifted out are dropped, i.e. the magnitude rounds toward
   zero; exact mode has ``F = x_max`` so nothing is dropped); then the sign
   ``act sign ^ term sign`` (two's complement).
3. **Adder tree.** ``S = sum_i +-Q_i`` (exact, ``tree_bits``).
4. **Group accumulation.**

   * exact: ``acc += (S >> (x_max_cfg - x_max)) << sigma`` (the right shift only drops
     zero bits: every product is a multiple of the activation LSB), a fixed-point
     accumulator in units of ``2**act.lsb_exp``.
   * narrow: a floating accumulator ``A * 2**ea`` (``A`` signed, ``acc_man_bits``). The
     significance goes into the exponent: the cycle sum is ``T = S`` at exponent ``et =
     x_max + sigma`` (no shift). With ``L = cycle_sum_bits - acc_man_bits`` (the guard
     bits, :data:`~hwgen.golden.bitmod.config.ACC_GUARD_BITS`: 2 with floor, so the window
     is the adder tree's 17 bits, 8 with nearest) the sum window has its LSB at ``ew =
     max(et, ea - L)``; ``A_w = (A << L) >> (ew + L - ea)`` and ``T_w = T >> (ew - et)``
     (*alignment truncation*: arithmetic shifts, floor); ``R = A_w + T_w``; ``k = max(0,
     signed_bits(R) - acc_man_bits)``; ``A = R >> k``, ``ea = ew + k`` (*normalisation
     truncation*, floor). An empty accumulator (a group's first cycle, or ``A == 0``) never
     dominates: ``ew = et``. With ``acc_rounding = nearest`` the normalisation rounds to
     nearest, ties to even; a result of ``2**(acc-1)`` is halved and ``ea`` incremented
     (exact).
5. **Dequantization** by the unsigned INT8 group scale ``s`` (bit-serial, 8 cycles):
   exact ``out = acc * s``; narrow ``out = (A * s) >> drop`` with
   ``drop = acc_man_bits + 8 - dequant_man_bits`` (*dequantization truncation*, floor; the
   LSB-first shift-add drops one bit per cycle, which composes to this single floor) and
   ``out_exp = ea`` (the dropped bits' weight is in ``cfg.out_lsb_exp``).

Group value = ``out_man * 2**(out_exp + cfg.out_lsb_exp)`` in code units (weight code
units times activation value units); the per-output-channel float scale is applied
outside the PE.

Special activations (NaN, +-inf) contribute 0 and set the group's flags
(:class:`~hwgen.golden.bitmod.config.GroupFlag`); subnormals are exact (their exponent
offset is that of the smallest normal).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import (
    SCALE_BITS,
    AccRounding,
    BitmodPEParams,
    GroupFlag,
    PEMode,
    WeightType,
)
from hwgen.golden.bitmod.terms import Terms, check_specials, encode_terms
from hwgen.golden.rounding import _bit_length_u64

__all__ = ["GroupResults", "act_fields", "bitmod_gemm", "group_results"]

# Shift amounts are clamped here: any arithmetic shift of a value of < 62 bits by >= 62
# gives its sign, which is what a hardware shifter clamped at the value's width gives too.
_SHIFT_CAP = 62


@dataclass(frozen=True)
class GroupResults:
    """PE outputs, one per group.

    Attributes
    ----------
    man
        ``out_man`` (``int64``, or ``object`` Python ints when wider than 62 bits).
    exp
        ``out_exp`` (``int64``; all 0 in exact mode).
    flags
        :class:`GroupFlag` bits (``uint8``).
    lsb_exp
        ``cfg.out_lsb_exp``: value = ``man * 2**(exp + lsb_exp)``.
    """

    man: np.ndarray
    exp: np.ndarray
    flags: np.ndarray
    lsb_exp: int

    def to_float(self) -> np.ndarray:
        """float64 value of each result (NaN / +-inf by the flags).

        Exact for narrow results (21-bit mantissas); wide exact-mode integers are rounded
        to nearest once (Python's int-to-float conversion) before the exact power-of-two
        scaling.
        """
        vals = np.ldexp(self.man.astype(np.float64), (self.exp + self.lsb_exp).astype(np.int32))
        f = self.flags
        vals = np.where(f & GroupFlag.PINF, np.inf, vals)
        vals = np.where(f & GroupFlag.NINF, -np.inf, vals)
        return np.where(f & GroupFlag.NAN, np.nan, vals)


@cache
def _act_tables(fmt_name: str) -> tuple[np.ndarray, ...]:
    from hwgen.formats import get_format

    fmt = get_format(fmt_name)
    se = fmt.sig_exp
    v = fmt.values()
    mag = np.abs(se.sig).astype(np.int64)
    exp = se.exp.astype(np.int64)
    neg = np.signbit(v) & ~np.isnan(v)
    out = (mag, exp, neg, np.isnan(v), np.isinf(v))
    for t in out:
        t.setflags(write=False)
    return out


def act_fields(cfg: BitmodPEParams, codes: npt.ArrayLike) -> tuple[np.ndarray, ...]:
    """(|significand|, exponent offset, negative, is NaN, is inf) of activation codes.

    Finite codes: value = ``sig * 2**(exp + act.lsb_exp)``; special codes have sig 0.
    """
    c = np.asarray(codes)
    if not np.issubdtype(c.dtype, np.integer):
        raise HwgenError(f"activation codes must be integers, not dtype {c.dtype}")
    c = c.astype(np.int64)
    if c.size and (c.min() < 0 or c.max() >= 1 << cfg.act_bits):
        raise HwgenError(
            f"activation codes of {cfg.act_format} must be in 0..{(1 << cfg.act_bits) - 1}"
        )
    return tuple(t[c] for t in _act_tables(cfg.act_format))


def _signed_bits(r: np.ndarray) -> np.ndarray:
    """Two's complement width of each int64 (at least 1)."""
    mag = np.where(r < 0, ~r, r)
    return _bit_length_u64(mag.astype(np.uint64)) + 1


def _check_scales(scales: npt.ArrayLike) -> np.ndarray:
    s = np.asarray(scales)
    if not np.issubdtype(s.dtype, np.integer):
        raise HwgenError(f"scales must be integers (unsigned INT8 codes), not dtype {s.dtype}")
    s = s.astype(np.int64)
    if s.size and (s.min() < 0 or s.max() > (1 << SCALE_BITS) - 1):
        bad = int(s.min()) if s.min() < 0 else int(s.max())
        raise HwgenError(f"scale {bad} is out of range (allowed 0..255)")
    return s


def _check_dtype_codes(codes: npt.ArrayLike) -> np.ndarray:
    d = np.asarray(codes)
    if d.dtype.kind in "US":
        d = np.vectorize(lambda n: WeightType(n).code, otypes=[np.int64])(d)
    if not np.issubdtype(d.dtype, np.integer):
        raise HwgenError(f"datatypes must be WeightType names or codes, not dtype {d.dtype}")
    d = d.astype(np.int64)
    if d.size and (d.min() < 0 or d.max() > 7):
        raise HwgenError("datatype codes must be in 0..7 (the 3-bit field)")
    return d


def _cycle_sums(
    cfg: BitmodPEParams,
    mag: np.ndarray,
    aexp: np.ndarray,
    aneg: np.ndarray,
    terms_sign: np.ndarray,
    terms_exp: np.ndarray,
    terms_man: np.ndarray,
    wide: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Cycle sums ``S`` and ``x_max`` per cycle: inputs ``(n, beats, dot[, steps])``.

    Returns arrays ``(n, beats, steps)`` (computed lane-major by :func:`_lane_sums`).
    """

    def lay(v: np.ndarray) -> np.ndarray:
        return np.moveaxis(v, (0, 1, 2, 3), (3, 1, 0, 2))

    s, xmax = _lane_sums(
        cfg, lay(mag[..., None]), lay(aexp[..., None]), lay(aneg[..., None]),
        lay(terms_sign), lay(terms_exp), lay(terms_man), wide,
    )  # fmt: skip
    return np.moveaxis(s, 2, 0), np.moveaxis(xmax, 2, 0)


def _lane_sums(
    cfg: BitmodPEParams,
    mag: np.ndarray,
    aexp: np.ndarray,
    aneg: np.ndarray,
    terms_sign: np.ndarray,
    terms_exp: np.ndarray,
    terms_man: np.ndarray,
    wide: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Cycle sums and ``x_max`` of lane-major inputs: every array broadcasts to
    ``(dot, beats, steps, *groups)``; returns ``(beats, steps, *groups)`` arrays.

    Lanes first: every operation is then a long loop over the groups and the reductions
    over ``dot`` combine whole planes (``dot`` and ``steps`` are 1..16 wide; as the
    innermost axes they would cost numpy an inner-loop call each).
    """
    # int32 where every lane, sum and exponent fits (narrow mode), halving the traffic.
    small = not wide and cfg.tree_bits + cfg.lane_frac_bits < 31 and cfg.x_max < (1 << 15)
    dtype = np.int32 if small else np.int64
    mag, aexp = mag.astype(dtype, copy=False), aexp.astype(dtype, copy=False)
    p = np.where(terms_man != 0, mag, dtype(0))  # man is 0 or 1
    x = np.where(p != 0, aexp + terms_exp.astype(dtype, copy=False), dtype(0))
    xmax = x.max(axis=0)  # over dot
    delta = xmax[None] - x
    f = cfg.lane_frac_bits
    if wide:
        p = p.astype(object)
        q = (p << f) >> delta.astype(object)
    else:
        q = (p << dtype(f)) >> np.minimum(delta, dtype(_SHIFT_CAP))
    neg = (aneg ^ (terms_sign != 0)) & (q != 0)
    lanes = np.where(neg, -q, q)
    return lanes.sum(axis=0, dtype=dtype if not wide else None), xmax


def _accumulate_exact(
    cfg: BitmodPEParams, s: np.ndarray, xmax: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    right = cfg.x_max - xmax
    if s.dtype == object:
        aligned = (s >> right.astype(object)) << sigma.astype(object)
    else:
        aligned = (s >> right) << sigma
    return aligned.sum(axis=-1)


def _accumulate_narrow(
    cfg: BitmodPEParams, s: np.ndarray, xmax: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sequential floating accumulation over the cycle axis (last), vectorised over groups."""
    accb = cfg.acc_bits
    lshift = cfg.cycle_sum_bits - accb
    nearest = cfg.acc_rounding is AccRounding.NEAREST
    n, cycles = s.shape
    a = np.zeros(n, dtype=np.int64)
    ea = np.zeros(n, dtype=np.int64)
    for c in range(cycles):
        t = s[:, c]
        et = xmax[:, c] + sigma[c]
        empty = (a == 0) if c else np.ones(n, dtype=bool)
        d = et + lshift - ea
        d_a = np.where(empty, 0, np.maximum(d, 0))
        d_t = np.where(empty, 0, np.maximum(-d, 0))
        a_w = np.where(empty, 0, (a << lshift) >> np.minimum(d_a, _SHIFT_CAP))
        t_w = t >> np.minimum(d_t, _SHIFT_CAP)
        ew = et + d_t
        r = a_w + t_w
        k = np.maximum(0, _signed_bits(r) - accb)
        a = r >> k
        if nearest:
            km1 = np.maximum(k - 1, 0)
            rbit = (r >> km1) & 1
            sticky = (r & ((np.int64(1) << km1) - 1)) != 0
            a = a + np.where((k > 0) & (rbit == 1) & (sticky | (a & 1 == 1)), 1, 0)
            over = a >= 1 << (accb - 1)  # only 2**(accb-1) itself: even, exact >> 1
            a = np.where(over, a >> 1, a)
            k = k + over
        ea = ew + k
    if ea.size and ea.max() > cfg.acc_exp_max:  # a sizing bug, never a user error
        raise AssertionError(f"accumulator exponent {ea.max()} exceeds {cfg.acc_exp_max}")
    return a, ea


def _flags(
    cfg: BitmodPEParams,
    anan: np.ndarray,
    ainf: np.ndarray,
    aneg: np.ndarray,
    wzero: np.ndarray,
    wneg: np.ndarray,
) -> np.ndarray:
    """Group flag word from per-element classes ``(n, G)``."""
    nan = (anan | (ainf & wzero)).any(axis=-1)
    inf = ainf & ~wzero
    pos = (inf & ~(aneg ^ wneg)).any(axis=-1)
    neg = (inf & (aneg ^ wneg)).any(axis=-1)
    nan = nan | (pos & neg)
    out = nan * int(GroupFlag.NAN) + pos * int(GroupFlag.PINF) + neg * int(GroupFlag.NINF)
    return out.astype(np.uint8)


def _is_wide(cfg: BitmodPEParams) -> bool:
    """Whether lanes or the accumulator need Python ints (bf16 exact mode)."""
    return cfg.tree_bits + cfg.sigma_max > 62 or cfg.acc_bits > 62


def _group_sums(
    cfg: BitmodPEParams,
    wt: WeightType,
    t: Terms,
    mag: np.ndarray,
    aexp: np.ndarray,
    aneg: np.ndarray,
    wide: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Accumulator ``(A, ea)`` of groups of one datatype: activation fields ``(n, G)`` and
    their weights' terms ``(n, G, steps)`` (``ea`` all 0 in exact mode)."""
    n = mag.shape[0]
    beats, steps = cfg.beats_per_group, wt.cycles
    shp = (n, beats, cfg.dot, steps)
    s, xmax = _cycle_sums(
        cfg,
        mag.reshape(shp[:3]),
        aexp.reshape(shp[:3]),
        aneg.reshape(shp[:3]),
        t.sign.reshape(shp),
        t.exp.astype(np.int64).reshape(shp),
        t.man.astype(np.int64).reshape(shp),
        wide,
    )
    return _accumulate(cfg, wt, s.reshape(n, beats * steps), xmax.reshape(n, beats * steps))


def _accumulate(
    cfg: BitmodPEParams, wt: WeightType, s: np.ndarray, xmax: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(A, ea)`` of cycle sums and exponents ``(n, cycles)`` (any memory layout)."""
    n = s.shape[0]
    sigma = np.tile(np.asarray(wt.sigmas, dtype=np.int64), cfg.beats_per_group)
    if cfg.mode is PEMode.EXACT:
        if s.dtype != object:
            s = s.astype(np.int64, copy=False)
        return _accumulate_exact(cfg, s, xmax.astype(np.int64), sigma), np.zeros(n, np.int64)
    # Column order: the narrow accumulation reads one cycle of every group per step.
    return _accumulate_narrow(
        cfg, np.asfortranarray(s, dtype=np.int64), np.asfortranarray(xmax, dtype=np.int64), sigma
    )


def _dequantize(
    cfg: BitmodPEParams, acc: np.ndarray, ea: np.ndarray, sc: np.ndarray, flags: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(out_man, out_exp, flags)`` of accumulated groups and their INT8 scales."""
    inf = (flags & (GroupFlag.PINF | GroupFlag.NINF)) != 0
    flags = flags | ((sc == 0) & inf).astype(np.uint8) * np.uint8(GroupFlag.NAN)
    if cfg.mode is PEMode.EXACT:
        out_wide = cfg.out_man_bits > 62
        man = acc.astype(object) * sc.astype(object) if out_wide else acc * sc
        return man, np.zeros(acc.shape, dtype=np.int64), flags
    drop = cfg.dequant_drop_bits
    return (acc * sc) >> drop, ea, flags


def group_results(
    cfg: BitmodPEParams,
    a_codes: npt.ArrayLike,
    w_codes: npt.ArrayLike,
    wtypes: npt.ArrayLike,
    selectors: npt.ArrayLike,
    scales: npt.ArrayLike,
    *,
    specials: tuple[int, int, int, int] | None = None,
) -> GroupResults:
    """What the PE delivers for each group (see the module docstring).

    Parameters
    ----------
    cfg
        The PE configuration (mode, widths).
    a_codes, w_codes
        Activation and weight codes ``(..., group_size)``, broadcast against each other;
        the last axis is one group in stream order (beat ``b`` holds elements
        ``b*dot .. b*dot + dot - 1``).
    wtypes
        Datatype per group (``(...)``): :class:`WeightType` names or their 3-bit codes. A
        code of no served type is processed as zero weights with ``GroupFlag.DTYPE``.
    selectors
        Special-value register entry per group, 0..3.
    scales
        Unsigned INT8 scale code per group, 0..255.
    specials
        Special-value register content (default ``cfg.special_values``).

    Returns
    -------
    GroupResults
        Arrays of the broadcast group shape.
    """
    sv = cfg.special_values if specials is None else check_specials(specials)
    g = cfg.group_size
    a = np.asarray(a_codes)
    w = np.asarray(w_codes)
    if a.ndim == 0 or w.ndim == 0 or a.shape[-1] != g or w.shape[-1] != g:
        raise HwgenError(
            f"activation and weight arrays must end in an axis of group_size={g},"
            f" not {a.shape} and {w.shape}"
        )
    dt = _check_dtype_codes(wtypes)
    sel = np.asarray(selectors)
    sc = _check_scales(scales)
    shape = np.broadcast_shapes(a.shape[:-1], w.shape[:-1], dt.shape, sel.shape, sc.shape)
    a = np.broadcast_to(a, (*shape, g)).reshape(-1, g)
    w = np.broadcast_to(w, (*shape, g)).reshape(-1, g)
    dt = np.broadcast_to(dt, shape).reshape(-1)
    sel = np.broadcast_to(sel, shape).reshape(-1)
    sc = np.broadcast_to(sc, shape).reshape(-1)
    n = a.shape[0]
    mag, aexp, aneg, anan, ainf = act_fields(cfg, a)
    # int64 wherever the value bounds allow (fp16 exact: lanes and accumulator fit, only
    # the scaled output needs Python ints); bf16 exact needs Python ints throughout.
    wide = _is_wide(cfg)
    acc = np.zeros(n, dtype=object if wide else np.int64)
    ea = np.zeros(n, dtype=np.int64)
    wzero = np.ones((n, g), dtype=bool)
    wneg = np.zeros((n, g), dtype=bool)
    served = {wt.code: wt for wt in cfg.weight_types}
    flags = np.zeros(n, dtype=np.uint8)
    for code in np.unique(dt):
        rows = np.flatnonzero(dt == code)
        wt = served.get(int(code))
        if wt is None:
            flags[rows] |= np.uint8(GroupFlag.DTYPE)
            continue
        t = encode_terms(w[rows], wt, selector=sel[rows][:, None], specials=sv)
        wzero[rows] = t.zero
        wneg[rows] = t.neg
        acc[rows], ea[rows] = _group_sums(cfg, wt, t, mag[rows], aexp[rows], aneg[rows], wide)
    flags |= _flags(cfg, anan, ainf, aneg, wzero, wneg)
    man, exp, flags = _dequantize(cfg, acc, ea, sc, flags)
    return GroupResults(
        man=man.reshape(shape),
        exp=exp.reshape(shape),
        flags=flags.reshape(shape),
        lsb_exp=cfg.out_lsb_exp,
    )


def bitmod_gemm(
    cfg: BitmodPEParams,
    a_codes: npt.ArrayLike,
    w_codes: npt.ArrayLike,
    wtypes: npt.ArrayLike,
    selectors: npt.ArrayLike,
    scales: npt.ArrayLike,
    *,
    specials: tuple[int, int, int, int] | None = None,
    max_chunk: int = 1 << 20,
) -> GroupResults:
    """Per-group results of ``Y = A @ W.T`` on an output-stationary array of these PEs.

    Each output ``Y[m, n]`` is one PE's job (output stationary): the dot product of
    activation row ``A[m]`` with weight row (output channel) ``W[n]``, cut into
    ``K / group_size`` groups along K, each with its own datatype, selector and scale. The
    R x C tiling does not change any value, so this is the model of any array shape.

    Parameters
    ----------
    a_codes
        ``(M, K)`` activation codes.
    w_codes
        ``(N, K)`` weight codes (each group in its datatype's code layout).
    wtypes, selectors, scales
        ``(N, K / group_size)`` group metadata.
    max_chunk
        Elements per vectorised chunk (bounds memory).

    Returns
    -------
    GroupResults
        Shape ``(M, N, K / group_size)``; sum over the last axis (times each output
        channel's float scale) for ``Y``.
    """
    a = np.asarray(a_codes)
    w = np.asarray(w_codes)
    if a.ndim != 2 or w.ndim != 2 or a.shape[1] != w.shape[1]:
        raise HwgenError(f"need A (M, K) and W (N, K) with equal K, not {a.shape} and {w.shape}")
    m, k = a.shape
    n = w.shape[0]
    g = cfg.group_size
    if k % g:
        raise HwgenError(f"K={k} is not a multiple of group_size={g}")
    ng = k // g
    sv = cfg.special_values if specials is None else check_specials(specials)
    dt = np.broadcast_to(_check_dtype_codes(wtypes), (n, ng)).reshape(-1)
    sel = np.broadcast_to(np.asarray(selectors), (n, ng)).reshape(-1)
    sc = np.broadcast_to(_check_scales(scales), (n, ng))
    # Activation fields once per (m, k), weight terms once per (n, k): each group of the
    # GEMM pairs row m's group gi with weight group (n, gi).
    fields = [f.reshape(m, ng, g) for f in act_fields(cfg, a)]
    wg = w.reshape(n * ng, g)
    wide = _is_wide(cfg)
    acc = np.zeros((m, n * ng), dtype=object if wide else np.int64)
    ea = np.zeros((m, n * ng), dtype=np.int64)
    flags = np.zeros((m, n * ng), dtype=np.uint8)
    wzero = np.ones((n * ng, g), dtype=bool)
    wneg = np.zeros((n * ng, g), dtype=bool)
    served = {wt.code: wt for wt in cfg.weight_types}
    for code in np.unique(dt):
        pos = np.flatnonzero(dt == code)  # weight groups n * ng + gi of this datatype
        wt = served.get(int(code))
        if wt is None:
            flags[:, pos] |= np.uint8(GroupFlag.DTYPE)
            continue
        t = encode_terms(wg[pos], wt, selector=sel[pos][:, None], specials=sv)
        wzero[pos], wneg[pos] = t.zero, t.neg
        gi = pos % ng
        beats, steps, dot, p_n = cfg.beats_per_group, wt.cycles, cfg.dot, pos.size

        # (P, G, steps) -> (dot, beats, steps, 1, P): broadcast over the rows of A.
        tsign, texp, tman = (
            np.ascontiguousarray(x.reshape(p_n, beats, dot, steps).transpose(2, 1, 3, 0))[
                :, :, :, None, :
            ]
            for x in (t.sign, t.exp, t.man)
        )
        rows_per = max(1, max_chunk // max(1, p_n * g * steps))
        for lo in range(0, m, rows_per):
            r = min(rows_per, m - lo)
            # (r, P, G) -> (dot, beats, 1, r, P)
            mag, aexp, aneg = (
                np.ascontiguousarray(
                    f[lo : lo + r][:, gi].reshape(r, p_n, beats, dot).transpose(3, 2, 0, 1)
                )[:, :, None]
                for f in fields[:3]
            )
            s_c, x_c = _lane_sums(cfg, mag, aexp, aneg, tsign, texp, tman, wide)
            # (beats, steps, r, P) is (cycles, groups) in C order: its transpose is the
            # (groups, cycles) view the accumulation wants, without a copy.
            cyc = beats * steps
            a_sum, a_exp = _accumulate(
                cfg, wt, s_c.reshape(cyc, r * p_n).T, x_c.reshape(cyc, r * p_n).T
            )
            acc[lo : lo + r, pos] = a_sum.reshape(r, p_n)
            ea[lo : lo + r, pos] = a_exp.reshape(r, p_n)
    anan, ainf, aneg_all = (f.reshape(m, 1, ng, g) for f in (fields[3], fields[4], fields[2]))
    wz, wn = wzero.reshape(1, n, ng, g), wneg.reshape(1, n, ng, g)
    for lo in range(0, m, max(1, max_chunk // max(1, n * k))):
        hi = min(m, lo + max(1, max_chunk // max(1, n * k)))
        if anan[lo:hi].any() or ainf[lo:hi].any() or not wz.all():
            f = _flags(cfg, anan[lo:hi], ainf[lo:hi], aneg_all[lo:hi], wz, wn)
            flags[lo:hi] |= f.reshape(hi - lo, n * ng)
    man, exp, flags = _dequantize(
        cfg, acc, ea, np.broadcast_to(sc.reshape(1, n * ng), acc.shape), flags
    )
    shape = (m, n, ng)
    return GroupResults(
        man=man.reshape(shape),
        exp=exp.reshape(shape),
        flags=flags.reshape(shape),
        lsb_exp=cfg.out_lsb_exp,
    )
