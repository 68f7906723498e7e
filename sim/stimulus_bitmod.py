"""Stimulus for the BitMoD PE: groups of weight codes, activations and group metadata.

A :class:`BitmodStimulus` is a sequence of groups streamed through ``lanes`` PE instances
in lockstep: the datatype of a group is shared by the lanes (it sets the term-step
schedule, so the handshakes stay identical), everything else (weight and activation codes,
selector, scale) is per lane. The special-value register is written once, before the
stream, with :attr:`BitmodStimulus.specials`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import (
    DTYPE_BITS,
    SCALE_BITS,
    SEL_BITS,
    WEIGHT_CODE_BITS,
    WeightType,
    default_special_values,
)
from hwgen.golden.bitmod.terms import check_specials

__all__ = ["BitmodStimulus", "act_code_classes", "bitmod_stimulus", "check_field"]


def check_field(name: str, values: np.ndarray, bits: int) -> np.ndarray:
    """``values`` as ``int64``, each in ``0 .. 2**bits - 1``, else one-line ``HwgenError``.

    The message names the first offending value: ``selector 4 is out of range
    (allowed 0..3)``.
    """
    v = np.asarray(values)
    if not np.issubdtype(v.dtype, np.integer):
        raise HwgenError(f"{name} values must be integers, not dtype {v.dtype}")
    v = v.astype(np.int64)
    hi = (1 << bits) - 1
    bad = np.flatnonzero((v < 0) | (v > hi))
    if bad.size:
        raise HwgenError(f"{name} {int(v.reshape(-1)[bad[0]])} is out of range (allowed 0..{hi})")
    return v


@dataclass(frozen=True)
class BitmodStimulus:
    """Groups for ``lanes`` PEs (shapes: ``G`` groups, ``L`` lanes, ``S`` group size).

    Attributes
    ----------
    dtype
        ``(G,)`` datatype code per group (shared by the lanes).
    sel, scale
        ``(G, L)`` selector (0..3) and unsigned scale (0..255) per group and lane.
    w, a
        ``(G, L, S)`` weight codes (low ``bits`` of the 8-bit field) and activation codes.
    specials
        Special-value register content written before the stream (code units).
    out_ready
        Pattern driving ``out_ready`` (cycle ``t`` uses ``out_ready[t % len]``).
    """

    dtype: np.ndarray
    sel: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    a: np.ndarray
    specials: tuple[int, int, int, int]
    out_ready: np.ndarray

    def __post_init__(self) -> None:
        # A user-supplied stream is checked here, before any simulator runs: one line per
        # problem, naming the first offending value.
        object.__setattr__(self, "specials", check_specials(tuple(self.specials)))
        dtype = check_field("datatype code", self.dtype, DTYPE_BITS)
        sel = check_field("selector", self.sel, SEL_BITS)
        scale = check_field("scale", self.scale, SCALE_BITS)
        w = check_field("weight code", self.w, WEIGHT_CODE_BITS)
        a = check_field("activation code", self.a, 16)
        if dtype.ndim != 1 or sel.ndim != 2 or sel.shape[0] != dtype.shape[0]:
            raise HwgenError(
                f"dtype must be (G,) and sel (G, L), not {dtype.shape} and {sel.shape}"
            )
        if scale.shape != sel.shape or w.shape != a.shape or w.shape[:2] != sel.shape:
            raise HwgenError(
                f"scale must be (G, L) = {sel.shape} and w, a (G, L, S), not {scale.shape},"
                f" {w.shape} and {a.shape}"
            )
        out_ready = check_field("out_ready", np.asarray(self.out_ready).reshape(-1), 1)
        if not out_ready.any():
            raise HwgenError("the out_ready pattern must contain a 1")
        for name, v in (("dtype", dtype), ("sel", sel), ("scale", scale), ("w", w), ("a", a),
                        ("out_ready", out_ready)):  # fmt: skip
            object.__setattr__(self, name, v)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> BitmodStimulus:
        """From a user's ``.npz`` arrays (``dtype`` (G,), ``sel``, ``scale`` (G, L), ``w``,
        ``a`` (G, L, S); optional ``specials``, ``out_ready``)."""
        need = ("dtype", "sel", "scale", "w", "a")
        missing = [k for k in need if k not in arrays]
        if missing:
            raise HwgenError(f"the stream file lacks arrays: {', '.join(missing)}")
        unknown = sorted(set(arrays) - {*need, "specials", "out_ready"})
        if unknown:
            raise HwgenError(f"unknown arrays in the stream file: {', '.join(unknown)}")
        specials = (
            tuple(int(v) for v in np.asarray(arrays["specials"]).reshape(-1))
            if "specials" in arrays
            else default_special_values()
        )
        return cls(
            **{k: np.asarray(arrays[k]) for k in need},
            specials=specials,  # type: ignore[arg-type]
            out_ready=np.asarray(arrays.get("out_ready", np.ones(1, dtype=np.int64))),
        )

    def check_against(self, cfg: BitmodPEConfig) -> None:
        """Group size and activation codes against the PE (one-line ``HwgenError``)."""
        if self.w.shape[2] != cfg.group_size:
            raise HwgenError(
                f"the stream has groups of {self.w.shape[2]}, the PE needs {cfg.group_size}"
            )
        check_field("activation code", self.a, cfg.act_bits)

    @property
    def groups(self) -> int:
        """Groups in the stream."""
        return int(self.dtype.shape[0])

    @property
    def lanes(self) -> int:
        """PE instances driven."""
        return int(self.sel.shape[1])

    @property
    def macs(self) -> int:
        """Weight x activation products checked (every lane)."""
        return int(self.w.size)

    def take(self, groups: int) -> BitmodStimulus:
        """The first ``groups`` groups."""
        return BitmodStimulus(
            dtype=self.dtype[:groups],
            sel=self.sel[:groups],
            scale=self.scale[:groups],
            w=self.w[:groups],
            a=self.a[:groups],
            specials=self.specials,
            out_ready=self.out_ready,
        )


def act_code_classes(cfg: BitmodPEConfig) -> dict[str, np.ndarray]:
    """Activation codes by class: ``finite``, ``subnormal``, ``max_exp``, ``inf``, ``nan``."""
    fmt = cfg.act
    codes = np.arange(1 << fmt.bits)
    special = np.zeros(codes.size, dtype=bool)
    nan = np.asarray(sorted(fmt.nan_codes), dtype=np.int64)
    inf = np.asarray(sorted(fmt.inf_codes), dtype=np.int64)
    special[nan] = True
    special[inf] = True
    sig = np.abs(np.asarray(fmt.sig_exp.sig, dtype=np.int64))
    exp = np.asarray(fmt.sig_exp.exp, dtype=np.int64)
    finite = codes[~special]
    is_float = cfg.act_exp_bits > 0
    sub = (
        codes[~special & (sig > 0) & (sig < (1 << (cfg.act_sig_bits - 1)))]
        if is_float
        else codes[:0]
    )
    max_exp = codes[~special & (exp == cfg.act_exp_max) & (sig > 0)]
    return {"finite": finite, "subnormal": sub, "max_exp": max_exp, "inf": inf, "nan": nan}


def _weights(rng: np.random.Generator, wt: WeightType, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 1 << wt.bits, size=shape, dtype=np.int64)


def bitmod_stimulus(
    cfg: BitmodPEConfig,
    *,
    lanes: int,
    random_groups: int,
    rng: np.random.Generator,
    stress: bool = False,
) -> tuple[BitmodStimulus, list[tuple[str, int]]]:
    """Directed groups, then ``random_groups`` random ones; returns the stimulus and phases.

    Directed phase ``datatypes``: every served datatype with every selector (each lane's
    group cycles through every weight code of the type, the ``-0`` special code included),
    scales 0, 1, 255 and random. Phase ``activations``: subnormal, max-exponent, inf and
    NaN activations against every datatype, and per datatype a group of the largest
    results (largest / most negative activations x the largest-magnitude weight code x
    scale 255). Phase ``random``: random datatypes (mixed from
    group to group), selectors, scales and codes (specials 1 in 64). ``stress`` adds
    ``out_ready`` back-pressure (a random pattern, 1 in 3 low).
    """
    gs = cfg.group_size
    classes = act_code_classes(cfg)
    finite = classes["finite"]
    types = cfg.weight_types
    dtype: list[int] = []
    sel: list[np.ndarray] = []
    scale: list[np.ndarray] = []
    w: list[np.ndarray] = []
    a: list[np.ndarray] = []

    def add(wt: WeightType, s: np.ndarray, sc: np.ndarray, wc: np.ndarray, ac: np.ndarray) -> None:
        dtype.append(wt.code)
        sel.append(s)
        scale.append(sc)
        w.append(wc)
        a.append(ac)

    scales = np.array([0, 1, (1 << SCALE_BITS) - 1], dtype=np.int64)
    for wt in types:
        every = np.arange(gs, dtype=np.int64) % (1 << wt.bits)
        for s in range(1 << SEL_BITS):
            wc = np.stack([np.roll(every, lane) for lane in range(lanes)])
            sc = rng.integers(0, 1 << SCALE_BITS, size=lanes)
            sc[: min(lanes, 3)] = scales[: min(lanes, 3)]
            if s % 2:  # both placements of the extremes across the lanes
                sc = sc[::-1].copy()
            add(wt, np.full(lanes, s), sc, wc, rng.choice(finite, size=(lanes, gs)))
    n_directed = len(dtype)
    for kind in ("subnormal", "max_exp", "inf", "nan"):
        pool = classes[kind]
        if pool.size == 0:
            continue
        for wt in types:
            ac = rng.choice(finite, size=(lanes, gs))
            mask = rng.random((lanes, gs)) < 0.5
            ac[mask] = rng.choice(pool, size=int(mask.sum()))
            if kind in ("inf", "nan"):  # most lanes one special; others none (flag-free)
                ac[lanes // 2 :, :] = np.where(
                    np.arange(gs) == 0, rng.choice(pool), ac[lanes // 2 :, :]
                )
            add(
                wt,
                rng.integers(0, 1 << SEL_BITS, size=lanes),
                rng.integers(0, 1 << SCALE_BITS, size=lanes),
                _weights(rng, wt, (lanes, gs)),
                ac,
            )
    # The largest results: every activation the format's largest (even lanes) or most
    # negative (odd lanes) finite value, every weight the type's largest-magnitude code
    # (INT: the most negative, FP: -12 / -4), scale 255 -- out_man's full width.
    vals = np.where(cfg.act.finite_mask, cfg.act.values(), 0.0)
    big, small = int(np.argmax(vals)), int(np.argmin(vals))
    for wt in types:
        half = 1 << (wt.bits - 1)
        code = (half | (half - 1)) if wt.is_float else half
        ac = np.where((np.arange(lanes) % 2 == 0)[:, None], big, small) * np.ones(gs, np.int64)
        add(wt, np.zeros(lanes, np.int64), np.full(lanes, (1 << SCALE_BITS) - 1),
            np.full((lanes, gs), code), ac)  # fmt: skip
    n_act = len(dtype) - n_directed
    specials_all = np.concatenate([classes["inf"], classes["nan"]])
    for _ in range(random_groups):
        wt = types[int(rng.integers(len(types)))]
        ac = rng.choice(finite, size=(lanes, gs))
        if specials_all.size:
            mask = rng.random((lanes, gs)) < 1 / 64
            ac[mask] = rng.choice(specials_all, size=int(mask.sum()))
        add(
            wt,
            rng.integers(0, 1 << SEL_BITS, size=lanes),
            rng.integers(0, 1 << SCALE_BITS, size=lanes),
            _weights(rng, wt, (lanes, gs)),
            ac,
        )
    # Write a register set other than the reset one, so the write port is exercised.
    fp3 = default_special_values("bitmod_fp3")
    specials = fp3 if tuple(cfg.special_values) != fp3 else default_special_values("bitmod_fp4")
    out_ready = (rng.random(97) >= 1 / 3).astype(np.int64) if stress else np.ones(1, dtype=np.int64)
    stim = BitmodStimulus(
        dtype=np.asarray(dtype, dtype=np.int64),
        sel=np.stack(sel).astype(np.int64),
        scale=np.stack(scale).astype(np.int64),
        w=np.stack(w).astype(np.int64),
        a=np.stack(a).astype(np.int64),
        specials=specials,
        out_ready=out_ready,
    )
    per_group = lanes * gs
    phases = [
        ("datatypes", n_directed * per_group),
        ("activations", n_act * per_group),
        ("random", random_groups * per_group),
    ]
    return stim, [p for p in phases if p[1]]
