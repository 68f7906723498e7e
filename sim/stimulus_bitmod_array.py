"""Stimulus for the BitMoD PE array: array groups, the special-value set and handshake patterns.

A :class:`BitmodArrayStimulus` is a stream of array groups
(:class:`hwgen.golden.bitmod.array.ArrayGroups`: ``R`` activation rows and ``C`` weight
rows of one group along K, ``C`` metadata entries), the special-value register content
written before the stream, and the ``out_ready`` / ``valid`` patterns. Its constructor
validates every field against the PE's ranges, so a user-supplied stream with a selector
or scale out of range is one clear line (``HwgenError``), never a simulator run.

:func:`bitmod_array_stimulus` builds the phases of ``hwgen verify``: ``datatypes`` (every
served type x every selector, every weight code, scale extremes), ``mixed`` (a different
datatype per column in one group, so the slowest column sets the cadence), ``activations``
(subnormal, max-exponent, inf, NaN) and ``gemm`` (random GEMMs whose weights are real
:func:`~hwgen.quant.quantize_bitmod` / INT absmax output of synthetic heavy-tailed
tensors, datatypes mixed per group by :func:`~hwgen.golden.bitmod.array.mix_weights`,
tiled by :func:`~hwgen.golden.bitmod.array.tile_gemm`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.errors import HwgenError
from hwgen.formats.base import FormatKind
from hwgen.golden.bitmod.array import ArrayGroups, mix_weights, tile_gemm
from hwgen.golden.bitmod.config import (
    DTYPE_BITS,
    SCALE_BITS,
    SEL_BITS,
    WEIGHT_CODE_BITS,
    WeightType,
    default_special_values,
)
from hwgen.golden.bitmod.stream import quantize_weights
from hwgen.golden.bitmod.terms import check_specials
from hwgen.sim.stimulus_bitmod import act_code_classes, check_field

__all__ = ["BitmodArrayStimulus", "bitmod_array_stimulus"]


@dataclass(frozen=True)
class BitmodArrayStimulus:
    """Array groups for one array (shapes: ``T`` groups, ``R`` rows, ``C`` columns).

    Attributes
    ----------
    groups
        The array groups in stream order.
    specials
        Special-value register content written before the stream (code units).
    out_ready
        Pattern driving ``out_ready`` (cycle ``t`` uses ``out_ready[t % len]``).
    valid
        Pattern gating the data stream's ``valid`` (cycle ``t`` offers a beat only when
        ``valid[t % len]``); all ones: a beat is offered every cycle.
    """

    groups: ArrayGroups
    specials: tuple[int, int, int, int]
    out_ready: np.ndarray
    valid: np.ndarray

    def __post_init__(self) -> None:
        g = self.groups
        object.__setattr__(self, "specials", check_specials(tuple(self.specials)))
        checked = ArrayGroups(
            a=check_field("activation code", g.a, 16),
            w=check_field("weight code", g.w, WEIGHT_CODE_BITS),
            dtype=check_field("datatype code", g.dtype, DTYPE_BITS),
            sel=check_field("selector", g.sel, SEL_BITS),
            scale=check_field("scale", g.scale, SCALE_BITS),
        )
        object.__setattr__(self, "groups", checked)
        for name in ("out_ready", "valid"):
            p = check_field(name, np.asarray(getattr(self, name)).reshape(-1), 1)
            if p.size == 0 or not p.any():
                raise HwgenError(f"the {name} pattern must contain a 1")
            object.__setattr__(self, name, p)

    @property
    def count(self) -> int:
        """Array groups in the stream."""
        return int(self.groups.dtype.shape[0])

    @property
    def rows(self) -> int:
        """Activation rows R."""
        return int(self.groups.a.shape[1])

    @property
    def cols(self) -> int:
        """Output channels C."""
        return int(self.groups.w.shape[1])

    @property
    def macs(self) -> int:
        """Weight x activation products checked: ``T * R * C * G``."""
        return self.count * self.rows * int(self.groups.w[0].size if self.count else 0)

    def take(self, count: int) -> BitmodArrayStimulus:
        """The first ``count`` array groups."""
        g = self.groups
        return BitmodArrayStimulus(
            groups=ArrayGroups(
                a=g.a[:count],
                w=g.w[:count],
                dtype=g.dtype[:count],
                sel=g.sel[:count],
                scale=g.scale[:count],
            ),
            specials=self.specials,
            out_ready=self.out_ready,
            valid=self.valid,
        )

    def check_against(self, cfg: BitmodArrayConfig) -> None:
        """Shapes and activation codes against the array (one-line ``HwgenError``)."""
        g = self.groups
        want = (cfg.rows, cfg.cols, cfg.pe.group_size)
        got = (int(g.a.shape[1]), int(g.w.shape[1]), int(g.a.shape[2]))
        if got != want:
            raise HwgenError(
                f"the stream has (rows, cols, group size) = {got}, the array needs {want}"
            )
        check_field("activation code", g.a, cfg.pe.act_bits)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> BitmodArrayStimulus:
        """From a user's ``.npz`` arrays (``a``, ``w``, ``dtype``, ``sel``, ``scale``;
        optional ``specials``, ``out_ready``, ``valid``)."""
        need = ("a", "w", "dtype", "sel", "scale")
        missing = [k for k in need if k not in arrays]
        if missing:
            raise HwgenError(f"the stream file lacks arrays: {', '.join(missing)}")
        unknown = sorted(set(arrays) - {*need, "specials", "out_ready", "valid"})
        if unknown:
            raise HwgenError(f"unknown arrays in the stream file: {', '.join(unknown)}")
        specials = (
            tuple(int(v) for v in np.asarray(arrays["specials"]).reshape(-1))
            if "specials" in arrays
            else default_special_values()
        )
        return cls(
            groups=ArrayGroups(**{k: np.asarray(arrays[k]) for k in need}),
            specials=specials,  # type: ignore[arg-type]
            out_ready=np.asarray(arrays.get("out_ready", np.ones(1, dtype=np.int64))),
            valid=np.asarray(arrays.get("valid", np.ones(1, dtype=np.int64))),
        )


def _gemm_groups(
    cfg: BitmodArrayConfig, rng: np.random.Generator, count: int, mixture: str
) -> tuple[ArrayGroups, tuple[int, int, int, int]]:
    """``count``-ish array groups of random GEMMs from real quantizer output (module doc)."""
    pe = cfg.pe
    g = pe.group_size
    ng = max(1, min(4, count))
    tiles = -(-count // ng)
    nt = max(1, int(np.ceil(np.sqrt(tiles))))
    mt = -(-tiles // nt)
    n = nt * cfg.cols - (1 if cfg.cols > 1 and nt > 1 else 0)  # a partial tile: padding
    m = mt * cfg.rows
    k = ng * g
    # Student-t (3 dof) weights: heavy tails, the case per-group datatypes are for.
    wf = rng.standard_t(3, size=(n, k)) * 0.02
    names = [t.value for t in pe.weight_types if not t.is_float]
    if mixture:
        names.insert(0, mixture)
    packs = {name: quantize_weights(wf, name, group_size=g) for name in names}
    mixed = mix_weights(packs, rng.integers(0, len(names), size=(n, ng)))
    act = pe.act
    if act.kind is FormatKind.INT:
        a = rng.integers(0, 1 << act.bits, size=(m, k))
    else:
        a = act.encode(rng.standard_normal((m, k)), saturate=True)
    return tile_gemm(a, mixed, rows=cfg.rows, cols=cfg.cols), mixed.specials


def bitmod_array_stimulus(
    cfg: BitmodArrayConfig,
    *,
    gemm_groups: int,
    rng: np.random.Generator,
    stress: bool = False,
) -> tuple[BitmodArrayStimulus, list[tuple[str, int]]]:
    """The phases of ``hwgen verify`` on a BitMoD array (module docstring).

    ``gemm_groups`` array groups of random GEMMs (rounded to whole tiles); ``stress``
    adds ``out_ready`` back-pressure (1 in 3 low) and input gaps (1 in 5 cycles no beat).
    Returns the stimulus and ``(phase, MACs)`` per phase.
    """
    pe = cfg.pe
    r, c, gs = cfg.rows, cfg.cols, pe.group_size
    classes = act_code_classes(pe)
    finite = classes["finite"]
    types = pe.weight_types
    parts: list[ArrayGroups] = []
    phases: list[tuple[str, int]] = []

    def add(name: str, dtype: np.ndarray, sel: np.ndarray, scale: np.ndarray, w: np.ndarray,
            a: np.ndarray) -> None:  # fmt: skip
        parts.append(ArrayGroups(a=a, w=w, dtype=dtype, sel=sel, scale=scale))
        phases.append((name, int(a.shape[0]) * r * c * gs))

    # datatypes: one type per group on every column, every selector, every code.
    extremes = np.array([0, 1, (1 << SCALE_BITS) - 1], dtype=np.int64)
    d_list, s_list, sc_list, w_list = [], [], [], []
    for wt in types:
        every = np.arange(gs, dtype=np.int64) % (1 << wt.bits)
        for s in range(1 << SEL_BITS):
            d_list.append(np.full(c, wt.code))
            s_list.append(np.full(c, s))
            sc = rng.integers(0, 1 << SCALE_BITS, size=c)
            sc[: min(c, 3)] = extremes[: min(c, 3)] if s % 2 == 0 else extremes[::-1][: min(c, 3)]
            sc_list.append(sc)
            w_list.append(np.stack([np.roll(every, j + s) for j in range(c)]))
    t = len(d_list)
    add(
        "datatypes",
        np.stack(d_list),
        np.stack(s_list),
        np.stack(sc_list),
        np.stack(w_list),
        rng.choice(finite, size=(t, r, gs)),
    )
    # mixed: every column its own type (and an unserved code, if there is a free one).
    codes = [wt.code for wt in types]
    free = [x for x in range(1 << DTYPE_BITS) if x not in codes]
    pool = codes + free[:1]
    t = max(4, 2 * len(types))
    dt = rng.choice(pool, size=(t, c))
    w = np.stack(
        [
            np.stack([rng.integers(0, 1 << WeightType.from_code(int(x)).bits, size=gs)
                      if int(x) in codes else rng.integers(0, 256, size=gs) for x in row])
            for row in dt
        ]
    )  # fmt: skip
    add(
        "mixed",
        dt,
        rng.integers(0, 1 << SEL_BITS, size=(t, c)),
        rng.integers(0, 1 << SCALE_BITS, size=(t, c)),
        w,
        rng.choice(finite, size=(t, r, gs)),
    )
    # activations: subnormal, max exponent, inf, NaN against random types per column.
    for kind in ("subnormal", "max_exp", "inf", "nan"):
        special = classes[kind]
        if special.size == 0:
            continue
        a = rng.choice(finite, size=(2, r, gs))
        mask = rng.random(a.shape) < (0.5 if kind in ("subnormal", "max_exp") else 1 / gs)
        a[mask] = rng.choice(special, size=int(mask.sum()))
        dt = rng.choice(codes, size=(2, c))
        w = np.stack(
            [np.stack([rng.integers(0, 1 << WeightType.from_code(int(x)).bits, size=gs)
                       for x in row]) for row in dt]
        )  # fmt: skip
        add(
            "activations",
            dt,
            rng.integers(0, 1 << SEL_BITS, size=(2, c)),
            rng.integers(0, 1 << SCALE_BITS, size=(2, c)),
            w,
            a,
        )
    # The register set written before the stream: not the reset one (the write port is
    # exercised), and the one of the FP mixture used by the gemm phase.
    fp3 = default_special_values("bitmod_fp3")
    served_fp = [f"bitmod_{t.value}" for t in types if t.is_float]
    mixture = "bitmod_fp3" if tuple(pe.special_values) != fp3 else "bitmod_fp4"
    if mixture not in served_fp:
        mixture = served_fp[0] if served_fp else ""
    specials = default_special_values(mixture or "bitmod_fp4")
    if specials == tuple(pe.special_values):
        other = "bitmod_fp3" if specials != fp3 else "bitmod_fp4"
        if not mixture:
            specials = default_special_values(other)
    if gemm_groups > 0:
        gg, _ = _gemm_groups(cfg, rng, gemm_groups, mixture)
        add("gemm", gg.dtype, gg.sel, gg.scale, gg.w, gg.a)
    groups = ArrayGroups(
        **{k: np.concatenate([getattr(p, k) for p in parts]) for k in ("a", "w", "dtype", "sel",
                                                                        "scale")}
    )  # fmt: skip
    if stress:
        out_ready = (rng.random(97) >= 1 / 3).astype(np.int64)
        valid = (rng.random(89) >= 1 / 5).astype(np.int64)
        valid[0] = 1
    else:
        out_ready = np.ones(1, dtype=np.int64)
        valid = np.ones(1, dtype=np.int64)
    merged: dict[str, int] = {}
    for name, n in phases:
        merged[name] = merged.get(name, 0) + n
    stim = BitmodArrayStimulus(groups=groups, specials=specials, out_ready=out_ready, valid=valid)
    return stim, list(merged.items())
