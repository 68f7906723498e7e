"""``MacConfig``: the frozen, validated description of one MAC unit (pure Python).

A config names its operand formats by registry name and resolves them once; everything
the hardware, the golden model and the manifest need (accumulator width and LSB, latency,
ports, module name) is derived from it, never restated. :class:`MacArithmetic` is its
golden model: the one bundle of formats, accumulator, overflow, multiplier and output
format that benches and tests run traces through.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from hwgen._validate import check_enum, check_int
from hwgen.design.base import (
    AccumulatorInfo,
    DesignConfig,
    DesignFacts,
    OptionSpec,
    OutputInfo,
    Port,
    PortDir,
    Role,
    clock_and_reset,
)
from hwgen.design.stage_delay import (
    DELAY_TOLERANCE,
    DELAY_UNIT,
    StageDelays,
    fixed_point_delays,
    float_delays,
)
from hwgen.errors import HwgenError, warn
from hwgen.formats import (
    Format,
    FormatKind,
    MinifloatFormat,
    SpecialPolicy,
    get,
    get_format,
    signed_width,
)
from hwgen.formats.table import MixtureFormat
from hwgen.golden import (
    FLAG_BITS,
    FLAG_WIDTH,
    WINDOW_ROUNDING,
    AccumulatorSpec,
    Multiplier,
    Overflow,
    acc_to_format,
    accumulator_spec,
    extreme_products,
    mac_trace,
)
from hwgen.golden.float_acc import AccRounding, FloatAccSpec, Subnormals, float_mac_trace
from hwgen.golden.product_spec import product_spec
from hwgen.golden.sizing import smallest_product

MAX_STAGES = 4
"""Most pipeline registers of a MAC (beyond :attr:`MacConfig.cut_points`: delay only)."""

PARTIAL_MIN_SIG_BITS = 6
"""Smallest significand width (of the narrower operand) whose multiplier is split in two
registered partial products (the ``partial`` cut point): below it the multiplier is a few
LUT levels and a register there buys nothing."""

MAX_ACC_BITS = 256
"""Widest accumulator the generator builds (``bf16 x bf16`` exact would need ~540 bits)."""

MAX_OPERAND_BITS = 16
"""Widest operand format (the decoders' limit too: they read it from here)."""

DEFAULT_MAX_TERMS = 4096

_FLOAT_TILE_CHUNK = 1 << 21
"""Padded MAC steps the float tile model runs at once (a few arrays of this many int64)."""

_FLOAT_ACC_KEYS = frozenset({"acc_format", "acc_rounding", "acc_subnormals"})
"""Keys :meth:`MacConfig.to_dict` writes only for a float accumulator."""

_OPTIONAL_KEYS = frozenset({"acc_lsb"})
"""Keys :meth:`MacConfig.to_dict` writes only when set (not ``None``)."""

_FLOAT_OVERFLOW = {
    SpecialPolicy.IEEE: "inf",
    SpecialPolicy.FN: "nan",
    SpecialPolicy.NONE: "saturate",
}
"""The manifest's ``overflow`` of a float accumulator: what an overflowing sum becomes."""


def _operand(role: str, name: object) -> Format:
    if not isinstance(name, str):
        raise HwgenError(f"{role} must be a format name (str), not {name!r}")
    fmt = get(name)
    if isinstance(fmt, MixtureFormat):
        variants = ", ".join(v.name for v in fmt.variants)
        raise HwgenError(
            f"{role}={name!r} is a per-group mixture; a MAC needs one format: one of {variants}"
        )
    fmt = get_format(name)
    if fmt.bits > MAX_OPERAND_BITS:
        raise HwgenError(
            f"{role}={name!r} has {fmt.bits} bits; at most {MAX_OPERAND_BITS} are supported"
        )
    return fmt


@dataclass(frozen=True)
class MacArithmetic:
    """The arithmetic of a MAC: the golden model every bench and test runs through.

    Attributes
    ----------
    a, w
        Operand formats.
    spec
        The accumulator actually built (bits, LSB exponent).
    overflow, multiplier
        Overflow policy and multiplier.
    out
        The optional output format of ``out``.
    has_flags
        Whether the design has special-value flags.
    """

    a: Format
    w: Format
    spec: AccumulatorSpec
    overflow: Overflow
    multiplier: Multiplier
    out: Format | None
    has_flags: bool
    float_acc: FloatAccSpec | None = None

    def trace(
        self,
        a: npt.NDArray[np.int64],
        w: npt.NDArray[np.int64],
        valid: npt.NDArray[np.bool_],
        clear: npt.NDArray[np.bool_],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Accumulator and flags after every cycle of one flat sequence (``mac_trace``).

        With a float accumulator the accumulator is its code (``float_mac_trace``; special
        values live in the code) and the flags are all zero (the unit has no ``flags``).
        """
        if self.float_acc is not None:
            ft = float_mac_trace(
                self.a, a, self.w, w, valid, clear,
                spec=self.float_acc, multiplier=self.multiplier,
            )  # fmt: skip
            codes = ft.acc.astype(np.int64)
            return codes, np.zeros(codes.shape, dtype=np.uint8)
        t = mac_trace(
            self.a, a, self.w, w, valid, clear,
            acc=self.spec, overflow=self.overflow, multiplier=self.multiplier,
        )  # fmt: skip
        return t.acc, t.flags

    def tiles(
        self,
        a: npt.NDArray[np.int64],
        w: npt.NDArray[np.int64],
        last: npt.NDArray[np.bool_],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Output-stationary tile results: every ``Y[i, j]`` as this MAC's trace over k.

        Parameters
        ----------
        a, w
            ``(beats, ..., rows)`` activation and ``(beats, ..., cols)`` weight codes: beat
            ``b`` carries column k of A and row k of W; the middle axes (lanes) are
            independent arrays.
        last
            ``(beats,)``: the beat ends a tile (``last[-1]`` must be set).

        Returns
        -------
        tuple of numpy.ndarray
            Accumulators (fixed-point integers, or float codes) and flag words at the end
            of every tile, each ``(..., tiles, rows, cols)``. Output ``(i, j)`` of a tile is
            the MAC sequence ``A[i, k] * W[k, j]`` over the tile's beats, the first with
            ``valid & clear`` (as the array's PEs see it), so wrap / saturate / L-Mul and
            float rounding order are the MAC's. A float accumulator runs every output of
            every tile and lane as one vector, one step per k of the deepest tile
            (:func:`float_mac_trace`); fixed point runs all outputs as one flat sequence
            sorted by output (:func:`mac_trace`).
        """
        a = np.asarray(a)
        w = np.asarray(w)
        last = np.asarray(last, dtype=bool)
        beats, rows, cols = a.shape[0], a.shape[-1], w.shape[-1]
        mid = a.shape[1:-1]
        if w.shape[:-1] != a.shape[:-1] or last.shape != (beats,) or a.ndim < 2:
            raise HwgenError(
                "a, w and last must be (beats, ..., rows), (beats, ..., cols) and (beats,),"
                f" not {a.shape}, {w.shape} and {last.shape}"
            )
        if beats == 0 or not last[-1]:
            raise HwgenError("the last beat must end a tile")
        lanes = int(np.prod(mid, dtype=np.int64))
        a3 = a.reshape(beats, lanes, rows)
        w3 = w.reshape(beats, lanes, cols)
        first = np.ones(beats, dtype=bool)
        first[1:] = last[:-1]
        tiles = int(np.count_nonzero(last))
        out_shape = (*mid, tiles, rows, cols)
        if self.float_acc is not None:
            ends = np.flatnonzero(last) + 1
            starts = np.concatenate([[0], ends[:-1]])
            # Whole tiles in chunks of about _FLOAT_TILE_CHUNK MAC steps (bounded memory).
            steps = np.concatenate([[0], np.cumsum(lanes * rows * cols * (ends - starts))])
            parts: list[npt.NDArray[np.int64]] = []
            t0 = 0
            while t0 < tiles:
                fit = int(np.searchsorted(steps, steps[t0] + _FLOAT_TILE_CHUNK, side="right")) - 1
                t1 = min(max(t0 + 1, fit), tiles)
                b0, b1 = int(starts[t0]), int(ends[t1 - 1])
                parts.append(self._float_tiles(a3[b0:b1], w3[b0:b1], last[b0:b1]))
                t0 = t1
            codes = np.concatenate(parts, axis=1)
            return codes.reshape(out_shape), np.zeros(out_shape, dtype=np.uint8)
        tile: npt.NDArray[np.int64] = np.cumsum(last) - last
        full = (beats, lanes, rows, cols)
        af = np.broadcast_to(a3[:, :, :, None], full).ravel()
        wf = np.broadcast_to(w3[:, :, None, :], full).ravel()
        lane = np.arange(lanes)[None, :, None, None]
        i = np.arange(rows)[None, None, :, None]
        j = np.arange(cols)[None, None, None, :]
        key = ((lane * tiles + tile[:, None, None, None]) * rows + i) * cols + j
        # Stable: within one output the beats keep their k order.
        order = np.argsort(key.ravel(), kind="stable")
        clear = np.broadcast_to(first[:, None, None, None], full).ravel()[order]
        at_end = np.broadcast_to(last[:, None, None, None], full).ravel()[order]
        acc, flags = self.trace(af[order], wf[order], np.ones(order.size, dtype=bool), clear)
        return acc[at_end].reshape(out_shape), flags[at_end].reshape(out_shape)

    def _float_tiles(
        self, a3: np.ndarray, w3: np.ndarray, last: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int64]:
        """Float accumulator codes ``(lanes, tiles, rows, cols)`` of whole tiles.

        Every output of every tile and lane is one lane of the float model, its tile's
        beats left-aligned and padded with idle steps (valid = clear = 0 holds the state):
        one model step per k-step of the deepest tile, not one per beat.
        """
        assert self.float_acc is not None
        beats, lanes, rows = a3.shape
        cols = w3.shape[2]
        tiles = int(np.count_nonzero(last))
        tile: npt.NDArray[np.int64] = np.cumsum(last) - last
        starts = np.flatnonzero(np.concatenate([[True], last[:-1]]))
        k_of_beat = np.arange(beats) - starts[tile]
        depth = int(k_of_beat.max()) + 1
        a_pad = np.zeros((lanes, tiles, rows, depth), dtype=np.int64)
        w_pad = np.zeros((lanes, tiles, cols, depth), dtype=np.int64)
        a_pad[:, tile, :, k_of_beat] = a3  # advanced indices first: (beats, lanes, rows)
        w_pad[:, tile, :, k_of_beat] = w3
        valid = np.zeros((tiles, depth), dtype=bool)
        valid[tile, k_of_beat] = True
        padded = (lanes, tiles, rows, cols, depth)
        ft = float_mac_trace(
            self.a, np.broadcast_to(a_pad[:, :, :, None, :], padded),
            self.w, np.broadcast_to(w_pad[:, :, None, :, :], padded),
            np.broadcast_to(valid[None, :, None, None, :], padded),
            np.broadcast_to((np.arange(depth) == 0)[None, None, None, None, :], padded),
            spec=self.float_acc, multiplier=self.multiplier,
        )  # fmt: skip
        return ft.acc[..., -1].astype(np.int64)

    def exact(self, max_terms: int) -> MacArithmetic:
        """The same products into an exact fixed-point accumulator of ``max_terms`` terms.

        The reference a float accumulator's error is measured against.
        """
        spec = accumulator_spec(self.a, self.w, max_terms, multiplier=self.multiplier)
        return MacArithmetic(
            a=self.a,
            w=self.w,
            spec=spec,
            overflow=Overflow.EXACT,
            multiplier=self.multiplier,
            out=None,
            has_flags=True,
        )

    def out_codes(self, acc: np.ndarray, flags: np.ndarray | None) -> np.ndarray:
        """``out`` for accumulator values (and their flags): ``acc_to_format``, RNE."""
        if self.out is None:
            raise HwgenError("this MAC has no out_format")
        return acc_to_format(
            acc, self.spec.lsb_exp, self.out, flags=flags if self.has_flags else None
        )


@dataclass(frozen=True, kw_only=True)
class MacConfig(DesignConfig):
    """One multiply-accumulate unit (ports and semantics in ``docs/hardware.md``).

    Parameters
    ----------
    a_format, w_format
        Registry names of the activation and weight formats (at most 16 bits; per-group
        mixtures are rejected). Stored in canonical (registry) spelling.
    max_terms
        Longest dot product the accumulator must hold exactly, >= 1.
    acc_bits
        Accumulator width; ``None`` builds the exact width of
        :func:`hwgen.golden.accumulator_spec`. With ``overflow='exact'`` it must be at least
        that width.
    acc_lsb
        Binary weight of the accumulator's LSB, ``E``: the accumulator's value is its signed
        code times ``2**E`` (the manifest's ``accumulator.lsb_exp``). Must lie in
        ``L..T``: ``L`` (the exact LSB, ``a.lsb_exp + w.lsb_exp``) is the finest bit any
        product has, ``T`` the sign bit of the exact accumulator of ``max_terms``
        products. Above ``L`` every product loses its bits below ``2**E`` before it is
        added, by truncation (``floor``, towards -inf,
        :func:`hwgen.golden.window_truncate`); that needs ``overflow='wrap'`` or
        ``'saturate'``. ``None`` (default) picks :attr:`default_acc_lsb`: ``L`` when one
        product fits ``acc_bits`` there, else the LSB that puts the largest product's top
        bit at the accumulator's top. A value equal to the default is stored as ``None``
        (one design, one config). A window that no product can reach (every product
        below ``2**E``, or the smallest nonzero one above the largest accumulator value)
        is accepted with a :class:`~hwgen.errors.HwgenWarning`.
    overflow
        :class:`hwgen.golden.Overflow`: ``exact``, ``wrap`` or ``saturate`` (strings accepted).
    stages
        Pipeline registers, 0..4, placed at :attr:`cut_points` in order (the first
        ``len(cut_points)`` shorten the critical path; further ones are plain delay
        registers before the accumulator). Latency is ``1 + stages`` either way.
    multiplier
        :class:`hwgen.golden.Multiplier`: ``exact``, or ``lmul`` (float x float only).
    out_format
        Optional float format (with subnormals) the accumulator is also rounded to (RNE),
        on the ``out`` port.
    acc_format
        ``None`` (default): a fixed-point accumulator. Else the registry name of a float
        format (``fp32``, ``fp16``, ``bf16``, any minifloat of
        :class:`~hwgen.golden.float_acc.FloatAccSpec`): the accumulator holds a code of it
        (:func:`hwgen.golden.float_acc.float_mac_trace`); ``acc_bits``, ``overflow`` and
        ``out_format`` then do not apply, and the unit has no ``flags`` port (NaN and inf
        are codes of ``acc``).
    acc_rounding
        :class:`~hwgen.golden.float_acc.AccRounding` of a float accumulator: ``fused`` (one
        rounding per step) or ``unfused`` (the product is rounded first).
    acc_subnormals
        :class:`~hwgen.golden.float_acc.Subnormals` of a float accumulator: ``keep`` or
        ``flush``.

    Raises
    ------
    HwgenError
        For any invalid value or unsupported combination, with a one-line message.
    """

    a_format: str
    w_format: str
    max_terms: int = DEFAULT_MAX_TERMS
    acc_bits: int | None = None
    acc_lsb: int | None = None
    overflow: Overflow = Overflow.EXACT
    stages: int = 0
    multiplier: Multiplier = Multiplier.EXACT
    out_format: str | None = None
    acc_format: str | None = None
    acc_rounding: AccRounding = AccRounding.FUSED
    acc_subnormals: Subnormals = Subnormals.KEEP

    kind: ClassVar[str] = "mac"

    def __post_init__(self) -> None:
        a = _operand("a_format", self.a_format)
        w = _operand("w_format", self.w_format)
        object.__setattr__(self, "a_format", a.name)
        object.__setattr__(self, "w_format", w.name)
        object.__setattr__(self, "max_terms", check_int("max_terms", self.max_terms, 1))
        overflow = check_enum("overflow", Overflow, self.overflow)
        multiplier = check_enum("multiplier", Multiplier, self.multiplier)
        object.__setattr__(self, "overflow", overflow)
        object.__setattr__(self, "multiplier", multiplier)
        object.__setattr__(self, "stages", check_int("stages", self.stages, 0, MAX_STAGES))
        if multiplier is Multiplier.LMUL:
            for role, fmt in (("a_format", a), ("w_format", w)):
                if fmt.kind is not FormatKind.FLOAT:
                    raise HwgenError(
                        f"multiplier='lmul' needs float formats: {role} {fmt.name} is"
                        f" {fmt.kind.value}"
                    )
        object.__setattr__(
            self, "acc_rounding", check_enum("acc_rounding", AccRounding, self.acc_rounding)
        )
        object.__setattr__(
            self, "acc_subnormals", check_enum("acc_subnormals", Subnormals, self.acc_subnormals)
        )
        if self.acc_format is not None:
            self._check_float_acc(a, w, multiplier)
            return
        for key, default in (
            ("acc_rounding", AccRounding.FUSED),
            ("acc_subnormals", Subnormals.KEEP),
        ):
            if getattr(self, key) is not default:
                raise HwgenError(
                    f"{key}={str(getattr(self, key))!r} needs a float accumulator: set acc_format"
                )
        exact = self.exact_accumulator.bits
        if self.acc_bits is None:
            if exact > MAX_ACC_BITS:
                raise HwgenError(
                    f"exact accumulation of max_terms={self.max_terms} {a.name} x {w.name}"
                    f" products needs {exact} bits; at most {MAX_ACC_BITS} are supported:"
                    " set acc_bits with overflow='wrap' or 'saturate'"
                )
        else:
            object.__setattr__(
                self, "acc_bits", check_int("acc_bits", self.acc_bits, 2, MAX_ACC_BITS)
            )
            if overflow is Overflow.EXACT and self.acc_bits < exact:
                raise HwgenError(
                    f"acc_bits={self.acc_bits} is too narrow for exact accumulation of"
                    f" max_terms={self.max_terms} {a.name} x {w.name} products: needs >="
                    f" {exact}; use overflow='wrap' or 'saturate'"
                )
        self._check_window(a, w, overflow)
        if self.out_format is not None:
            if not isinstance(self.out_format, str):
                raise HwgenError(
                    f"out_format must be a format name (str) or None, not {self.out_format!r}"
                )
            out = get_format(self.out_format)
            if not isinstance(out, MinifloatFormat):
                raise HwgenError(
                    f"out_format must be a float format, not {out.kind.value} ({out.name})"
                )
            if not out.subnormals:
                raise HwgenError(
                    f"out_format {out.name} has no subnormals; choose a float format with them"
                )
            object.__setattr__(self, "out_format", out.name)

    def _check_float_acc(self, a: Format, w: Format, multiplier: Multiplier) -> None:
        """Validate a float accumulator and the options it excludes (one-line errors)."""
        if not isinstance(self.acc_format, str):
            raise HwgenError(
                f"acc_format must be a format name (str) or None, not {self.acc_format!r}"
            )
        if self.acc_lsb is not None:
            raise HwgenError(
                f"acc_lsb={self.acc_lsb} does not apply to a float accumulator"
                f" (acc_format={self.acc_format!r}: its exponent places every sum); leave it unset"
            )
        if self.acc_bits is not None:
            raise HwgenError(
                f"acc_bits={self.acc_bits} does not apply to a float accumulator"
                f" (acc_format={self.acc_format!r}: its width is the format's); leave it unset"
            )
        if self.overflow is not Overflow.EXACT:
            raise HwgenError(
                f"overflow={str(self.overflow)!r} does not apply to a float accumulator"
                " (overflow follows the format: inf, NaN or saturation); leave it unset"
            )
        if self.out_format is not None:
            raise HwgenError(
                f"out_format={self.out_format!r} does not apply to a float accumulator: acc"
                " already is a float code; leave it unset"
            )
        spec = FloatAccSpec(
            format=self.acc_format, rounding=self.acc_rounding, subnormals=self.acc_subnormals
        )
        try:
            spec.check_products(a, w)
            prod = product_spec(a, w, multiplier)
        except HwgenError as e:
            raise HwgenError(f"acc_format={spec.format!r} with {a.name} x {w.name}: {e}") from None
        if prod.mag_bits > 33:
            raise HwgenError(
                f"acc_format={spec.format!r}: {a.name} x {w.name} products have"
                f" {prod.mag_bits}-bit significands; a float accumulator takes at most 33"
            )
        cuts = spec.cut_points
        if self.stages > len(cuts):
            raise HwgenError(
                f"stages={self.stages} is too many for a float accumulator with acc_rounding="
                f"{str(spec.rounding)!r}:"
                f" at most {len(cuts)} ({', '.join(cuts)})"
            )
        object.__setattr__(self, "acc_format", spec.format)

    def _check_window(self, a: Format, w: Format, overflow: Overflow) -> None:
        """Validate ``acc_lsb`` (store ``None`` for the default), warn about a dead window."""
        exact = self.exact_accumulator
        lo, hi = exact.lsb_exp, exact.lsb_exp + exact.bits - 1
        if self.acc_lsb is not None:
            lsb = check_int("acc_lsb", self.acc_lsb)
            if not lo <= lsb <= hi:
                raise HwgenError(
                    f"acc_lsb={lsb} is outside what max_terms={self.max_terms} {a.name} x"
                    f" {w.name} products produce: must be in {lo}..{hi} (2^{lo} is their"
                    f" finest bit, 2^{hi} the sign bit of their largest sum)"
                )
            if overflow is Overflow.EXACT and lsb != lo:
                raise HwgenError(
                    f"acc_lsb={lsb} drops the product bits below 2^{lsb} (the finest is"
                    f" 2^{lo}); overflow='exact' keeps every bit: use overflow='wrap' or"
                    " 'saturate'"
                )
            object.__setattr__(self, "acc_lsb", None if lsb == self.default_acc_lsb else lsb)
        acc = self.accumulator
        k = acc.lsb_exp - lo
        if k == 0:
            return
        p_min, p_max = extreme_products(a, w, multiplier=Multiplier(self.multiplier))
        biggest = max(-p_min, p_max)
        smallest = smallest_product(a, w, multiplier=Multiplier(self.multiplier))
        pair = f"{a.name} x {w.name}"
        if biggest >> k == 0:
            warn(
                f"accumulator window 2^{acc.lsb_exp}.. holds no {pair} product: every product"
                f" is below its LSB (the largest is < 2^{lo + biggest.bit_length()}) and adds"
                f" 0, or -2^{acc.lsb_exp} when negative (acc_lsb, floor truncation)"
            )
        elif smallest and (smallest >> k) > acc.hi:
            warn(
                f"accumulator window of {acc.bits} bits x 2^{acc.lsb_exp} holds no {pair}"
                f" product: the smallest nonzero one (>= 2^{lo + smallest.bit_length() - 1})"
                f" is above its largest value (< 2^{acc.lsb_exp + acc.bits - 1}): every"
                f" nonzero product overflows ({overflow.value})"
            )

    # ------------------------------------------------------------------ derived facts
    @property
    def cut_points(self) -> tuple[str, ...]:
        """Where registers shorten the critical path, in the order ``stages`` fills them.

        Fixed point: ``product`` (between multiplier and aligner), ``aligned`` (between
        aligner and accumulator; only when products have exponents, i.e. the aligner
        shifts), ``partial`` (inside the multiplier: two registered partial products of
        the low and high half of ``w``'s significand, added after the register; exact
        multiplier with significands of at least :data:`PARTIAL_MIN_SIG_BITS` bits). The
        accumulator loop (add and register) cannot be cut without changing the
        arithmetic, so ``len(cut_points)`` stages make it the critical path. A float
        accumulator has its own (:attr:`FloatAccSpec.cut_points`).
        """
        if self.float_acc is not None:
            return self.float_acc.cut_points
        cuts = ["product"]
        if self.a.sig_exp.exp_max or self.w.sig_exp.exp_max:
            cuts.append("aligned")
        sig_bits = min(self.a.sig_exp.sig_width, self.w.sig_exp.sig_width)
        if self.multiplier is Multiplier.EXACT and sig_bits >= PARTIAL_MIN_SIG_BITS:
            cuts.append("partial")
        return tuple(cuts)

    @cached_property
    def stage_delays(self) -> StageDelays:
        """The estimated delay of every datapath segment (:mod:`hwgen.design.stage_delay`)."""
        cuts = self.cut_points
        exact = self.multiplier is Multiplier.EXACT
        fa = self.float_acc
        if fa is not None:
            return float_delays(
                a=self.a, w=self.w, exact_multiplier=exact, fmt=fa.fmt,
                product=product_spec(self.a, self.w, self.multiplier), fused=fa.fused,
                cut_points=cuts,
            )  # fmt: skip
        return fixed_point_delays(
            a=self.a, w=self.w,
            shift_max=self.a.sig_exp.exp_max + self.w.sig_exp.exp_max,
            acc_bits=self.accumulator.bits, exact_multiplier=exact, cut_points=cuts,
        )  # fmt: skip

    @property
    def useful_stages(self) -> int:
        """Stage count at which the accumulator loop becomes the critical path.

        The smallest number of registers (filled in :attr:`cut_points` order) whose
        estimated critical path (:attr:`stage_delays`) is within
        :data:`~hwgen.design.stage_delay.DELAY_TOLERANCE` of the shortest one any stage
        count reaches: the loop, or the longest segment left when every cut point holds a
        register. Further stages shorten the path by less than that tolerance.
        """
        return self.stage_delays.useful_stages(self.cut_points)

    def pipeline_info(self) -> dict[str, Any]:
        """The manifest's ``pipeline`` section (``docs/hardware.md``)."""
        cuts = self.cut_points
        delays = self.stage_delays
        useful = delays.useful_stages(cuts)
        paths = delays.critical_paths(cuts)
        return {
            "stages": self.stages,
            "cut_points": list(cuts),
            "used": list(cuts[: self.stages]),
            "useful_stages": useful,
            "delay_stages": max(0, self.stages - len(cuts)),
            "estimate": {
                "unit": DELAY_UNIT,
                "tolerance": DELAY_TOLERANCE,
                "segments": [seg.to_dict() for seg in delays.chain(cuts[: self.stages])],
                "critical_path": [round(p, 2) for p in paths],
                "loop_bound": paths[useful] <= delays.loop * (1 + DELAY_TOLERANCE),
            },
        }

    @property
    def default_acc_lsb(self) -> int:
        """The LSB exponent ``acc_lsb=None`` builds (fixed point only).

        The exact LSB ``L`` when one product of the widest magnitude fits ``acc_bits`` at
        ``L`` (then a narrow accumulator loses nothing per product, only range over many
        of them: the classic wrapping / saturating accumulator). Otherwise the top bits of
        the single-product range are kept: ``L + (w1 - acc_bits)`` with ``w1`` the width
        of the exact accumulator of one product, so the largest product just fits and
        each product loses at most its ``w1 - acc_bits`` lowest bits.
        """
        exact = self.exact_accumulator
        bits = exact.bits if self.acc_bits is None else self.acc_bits
        p_min, p_max = extreme_products(self.a, self.w, multiplier=Multiplier(self.multiplier))
        single = signed_width(min(0, p_min), max(0, p_max))
        return exact.lsb_exp + max(0, single - bits)

    @cached_property
    def float_acc(self) -> FloatAccSpec | None:
        """The float accumulator, or ``None`` for a fixed-point one."""
        if self.acc_format is None:
            return None
        return FloatAccSpec(
            format=self.acc_format, rounding=self.acc_rounding, subnormals=self.acc_subnormals
        )

    @cached_property
    def a(self) -> Format:
        """The activation format object."""
        return get_format(self.a_format)

    @cached_property
    def w(self) -> Format:
        """The weight format object."""
        return get_format(self.w_format)

    @cached_property
    def out(self) -> MinifloatFormat | None:
        """The output format object, or ``None``."""
        if self.out_format is None:
            return None
        fmt = get_format(self.out_format)
        assert isinstance(fmt, MinifloatFormat)
        return fmt

    @cached_property
    def exact_accumulator(self) -> AccumulatorSpec:
        """The exact accumulator for ``max_terms`` products of this multiplier."""
        return accumulator_spec(
            self.a, self.w, self.max_terms, multiplier=Multiplier(self.multiplier)
        )

    @cached_property
    def accumulator(self) -> AccumulatorSpec:
        """The accumulator actually built: ``acc_bits`` (or the exact width) and its LSB."""
        fa = self.float_acc
        if fa is not None:
            # The code's width; lsb_exp is the format's smallest step (its subnormal LSB).
            return AccumulatorSpec(bits=fa.fmt.bits, lsb_exp=fa.fmt.lsb_exp)
        exact = self.exact_accumulator
        bits = exact.bits if self.acc_bits is None else self.acc_bits
        lsb = self.default_acc_lsb if self.acc_lsb is None else self.acc_lsb
        return AccumulatorSpec(bits=bits, lsb_exp=lsb)

    @property
    def windowed(self) -> bool:
        """Whether the accumulator's LSB lies above the exact one (products are truncated)."""
        return (
            self.acc_format is None and self.accumulator.lsb_exp != self.exact_accumulator.lsb_exp
        )

    @property
    def has_flags(self) -> bool:
        """Whether the unit has the ``flags`` port (a format has NaN or inf codes and the
        accumulator is fixed point: a float accumulator holds NaN / inf as codes)."""
        if self.acc_format is not None:
            return False
        return self.a.has_specials or self.w.has_specials

    @property
    def latency(self) -> int:
        """Rising edges from the edge sampling ``valid`` until ``acc`` includes the product."""
        return 1 + self.stages

    @property
    def out_latency(self) -> int:
        """Cycles from ``acc`` to ``out``: 0, the conversion is combinational."""
        return 0

    @property
    def name(self) -> str:
        """Stable module name, ``[a-z0-9_]`` only.

        ``mac_<a>_x_<w>_acc<bits>_s<stages>`` plus ``_n<max_terms>`` (when not 4096),
        ``_lsb<E>`` (a windowed accumulator, ``m`` for a minus sign: ``_lsbm70``),
        ``_wrap`` / ``_sat``, ``_lmul`` and ``_out_<format>`` for non-default options. A
        float accumulator ends the name with ``_acc<format>_fused`` / ``_unf`` and ``_ftz``
        (flushed subnormals).
        """
        parts = [f"mac_{self.a_format}_x_{self.w_format}_acc{self.accumulator.bits}"]
        parts.append(f"s{self.stages}")
        if self.max_terms != DEFAULT_MAX_TERMS:
            parts.append(f"n{self.max_terms}")
        if self.windowed:
            lsb = self.accumulator.lsb_exp
            parts.append(f"lsb{'m' if lsb < 0 else ''}{abs(lsb)}")
        if self.overflow is Overflow.WRAP:
            parts.append("wrap")
        elif self.overflow is Overflow.SATURATE:
            parts.append("sat")
        if self.multiplier is Multiplier.LMUL:
            parts.append("lmul")
        if self.out_format is not None:
            parts.append(f"out_{self.out_format}")
        if self.acc_format is not None:
            parts.append(f"acc{self.acc_format}")
            parts.append("fused" if self.acc_rounding is AccRounding.FUSED else "unf")
            if self.acc_subnormals is Subnormals.FLUSH:
                parts.append("ftz")
        return re.sub(r"[^a-z0-9_]", "_", "_".join(parts).lower())

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field (enums as their string values).

        The float-accumulator keys (``acc_format``, ``acc_rounding``, ``acc_subnormals``)
        appear only with a float accumulator and ``acc_lsb`` only when set, so that every
        config keeps the dict, and hence the :func:`~hwgen.design.base.config_hash`, it had
        before they existed.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in _FLOAT_ACC_KEYS and self.acc_format is None:
                continue
            v = getattr(self, f.name)
            if f.name in _OPTIONAL_KEYS and v is None:
                continue
            out[f.name] = v.value if isinstance(v, enum.Enum) else v
        return out

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The field names :meth:`from_dict` accepts."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def required_keys(cls) -> tuple[str, ...]:
        """``a_format`` and ``w_format``; every other field has a default."""
        return ("a_format", "w_format")

    @classmethod
    def options(cls) -> tuple[OptionSpec, ...]:
        """Every field as an option of ``hwgen generate mac``."""
        return (
            OptionSpec(key="a_format", type=str, help="Activation format name.", required=True),
            OptionSpec(key="w_format", type=str, help="Weight format name.", required=True),
            OptionSpec(key="acc_bits", type=int, help="Accumulator width [exact]."),
            OptionSpec(
                key="acc_lsb",
                type=int,
                help=(
                    "Accumulator LSB weight E (value = code x 2^E); products lose their bits"
                    " below it (floor) [exact LSB, or the top bits of a product when"
                    " --acc-bits is narrower than one]."
                ),
            ),
            OptionSpec(
                key="max_terms", type=int, help=f"Longest dot product [{DEFAULT_MAX_TERMS}]."
            ),
            OptionSpec(key="stages", type=int, help="Pipeline registers [0]."),
            OptionSpec(
                key="overflow",
                type=str,
                help="Accumulator overflow policy [exact].",
                choices=tuple(str(o) for o in Overflow),
            ),
            OptionSpec(
                key="multiplier",
                type=str,
                help="Exact or L-Mul products [exact].",
                choices=tuple(str(x) for x in Multiplier),
            ),
            OptionSpec(key="out_format", type=str, help="Float format of the rounded `out` port."),
            OptionSpec(
                key="acc_format",
                type=str,
                help="Float accumulator format (fp32, fp16, bf16, ...) [fixed point].",
            ),
            OptionSpec(
                key="acc_rounding",
                type=str,
                help="Float accumulator: fused or unfused product [fused].",
                choices=tuple(str(x) for x in AccRounding),
            ),
            OptionSpec(
                key="acc_subnormals",
                type=str,
                help="Float accumulator: keep or flush subnormals [keep].",
                choices=tuple(str(x) for x in Subnormals),
            ),
        )

    # ------------------------------------------------------------------ protocol
    def ports(self) -> tuple[Port, ...]:
        """``clk``, ``rst``, ``a``, ``w``, ``valid``, ``clear``, ``acc``, ``flags``?, ``out``?."""
        ports = [
            *clock_and_reset(),
            Port(name="a", dir=PortDir.IN, width=self.a.bits, role=Role.A),
            Port(name="w", dir=PortDir.IN, width=self.w.bits, role=Role.W),
            Port(name="valid", dir=PortDir.IN, width=1, role=Role.VALID),
            Port(name="clear", dir=PortDir.IN, width=1, role=Role.CLEAR),
            Port(
                name="acc",
                dir=PortDir.OUT,
                width=self.accumulator.bits,
                role=Role.ACC,
                signed=self.acc_format is None,
            ),
        ]
        if self.has_flags:
            ports.append(Port(name="flags", dir=PortDir.OUT, width=FLAG_WIDTH, role=Role.FLAGS))
        if self.out is not None:
            ports.append(Port(name="out", dir=PortDir.OUT, width=self.out.bits, role=Role.OUT))
        return tuple(ports)

    def accumulator_info(self) -> AccumulatorInfo:
        """The manifest's ``accumulator`` section."""
        acc = self.accumulator
        fa = self.float_acc
        if fa is None:
            return AccumulatorInfo(
                bits=acc.bits,
                lsb_exp=acc.lsb_exp,
                overflow=str(self.overflow),
                max_terms=self.max_terms,
                rounding=WINDOW_ROUNDING if self.windowed else None,
            )
        return AccumulatorInfo(
            bits=acc.bits,
            lsb_exp=acc.lsb_exp,
            overflow=_FLOAT_OVERFLOW[fa.fmt.specials],
            max_terms=self.max_terms,
            format=fa.format,
            rounding=str(fa.rounding),
            subnormals=str(fa.subnormals),
        )

    def facts(self) -> DesignFacts:
        """Formats, accumulator, output conversion and flag layout for the manifest."""
        output = None
        if self.out_format is not None:
            output = OutputInfo(format=self.out_format, rounding="rne", latency=self.out_latency)
        return DesignFacts(
            a_format=self.a_format,
            w_format=self.w_format,
            accumulator=self.accumulator_info(),
            output=output,
            flags=dict(FLAG_BITS) if self.has_flags else None,
            reset=self.reset(),
            pipeline=self.pipeline_info(),
        )

    def golden(self) -> MacArithmetic:
        """The golden model of this unit."""
        return MacArithmetic(
            a=self.a,
            w=self.w,
            spec=self.accumulator,
            overflow=Overflow(self.overflow),
            multiplier=Multiplier(self.multiplier),
            out=self.out,
            has_flags=self.has_flags,
            float_acc=self.float_acc,
        )
