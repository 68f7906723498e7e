"""Compare sampled outputs with golden values, vectorised, and explain the first mismatches.

Every mismatch is counted; only the first ``max_report`` are spelled out, each with the
decoded operands (code and format value) and expected vs got (integer and real value).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hwgen.formats import Format
from hwgen.golden import Flag
from hwgen.golden.float_error import AccError, acc_error, float_acc_error
from hwgen.golden.rounding import to_float
from hwgen.sim.expect import Arithmetic, GemmExpected, MacExpected
from hwgen.sim.stimulus import GemmStimulus, MacStimulus

_SHOW_TERMS = 6
"""Operand pairs shown for an array result (a tile can be thousands of beats deep)."""


@dataclass(frozen=True)
class Mismatch:
    """One wrong output.

    Attributes
    ----------
    signal
        Output role (``acc``, ``flags``, ``out``, ``out_data``, ``out_row``, ...).
    lane
        Harness lane.
    where
        Position in the stimulus (``cycle 17`` or ``tile 3 row 1 col 2``).
    expected, got
        Decoded values.
    operands
        Decoded inputs that produced it.
    """

    signal: str
    lane: int
    where: str
    expected: str
    got: str
    operands: str

    def __str__(self) -> str:
        return (
            f"{self.signal} lane {self.lane} {self.where}: expected {self.expected}, "
            f"got {self.got}; {self.operands}"
        )


@dataclass(frozen=True)
class Score:
    """Outcome of one comparison.

    Attributes
    ----------
    checks
        MAC operations verified (MAC: lane-cycles; array: beats x PEs x lanes).
    mismatches
        Wrong values over all signals (every one counted).
    by_signal
        Mismatch count per output role.
    first
        The first mismatches, decoded.
    first_position
        Earliest failing stimulus position (MAC: cycle; array: tile), ``None`` if clean.
    """

    checks: int
    mismatches: int
    by_signal: dict[str, int] = field(default_factory=dict)
    first: tuple[Mismatch, ...] = ()
    first_position: int | None = None
    acc_error: AccError | None = None
    """A float accumulator's error against the exact sums over the stimulus (else None)."""

    @property
    def passed(self) -> bool:
        """No mismatch."""
        return self.mismatches == 0


def code_text(fmt: Format, code: int) -> str:
    """``0x3c (1.5)``: a raw code with its value in ``fmt``."""
    digits = (fmt.bits + 3) // 4
    # decode, not a value table: formats wider than 16 bits (fp32 accumulators) have none.
    value = float(np.asarray(fmt.decode(np.array([int(code)]))).ravel()[0])
    return f"0x{int(code):0{digits}x} ({value!r})"


def acc_text(value: int, lsb_exp: int) -> str:
    """``96 (= 1.5)``: an accumulator integer with the real value it stands for."""
    return f"{int(value)} (= {float(int(value)) * 2.0**lsb_exp!r})"


def flags_text(word: int) -> str:
    """``nan|pinf`` or ``none``."""
    names = [str(f.name).lower() for f in Flag if int(word) & int(f)]
    return "|".join(names) if names else "none"


def _bad(expected: np.ndarray, got: np.ndarray) -> npt.NDArray[np.bool_]:
    return np.asarray(np.not_equal(expected, got), dtype=bool)


def _mac_operands(arith: Arithmetic, stim: MacStimulus, lane: int, t: int) -> str:
    cl = np.flatnonzero(stim.clear[lane, : t + 1])
    start = int(cl[-1]) if cl.size else 0
    since = int(np.count_nonzero(stim.valid[lane, start : t + 1]))
    return (
        f"a={code_text(arith.a, stim.a[lane, t])} w={code_text(arith.w, stim.w[lane, t])} "
        f"valid={int(stim.valid[lane, t])} clear={int(stim.clear[lane, t])}, "
        f"{since} valid cycles since the clear at cycle {start}"
    )


def score_mac(
    arith: Arithmetic,
    stim: MacStimulus,
    expected: MacExpected,
    got: dict[str, np.ndarray],
    *,
    max_report: int = 10,
) -> Score:
    """Score sampled MAC outputs (each ``(lanes, cycles)``, aligned to the stimulus).

    Parameters
    ----------
    arith, stim, expected
        The design's arithmetic, the stimulus and its golden outputs.
    got
        Role -> sampled values, aligned so that ``got[r][lane, t]`` is the output for
        stimulus cycle ``t``.
    max_report
        How many mismatches to decode.
    """
    exp = {"acc": expected.acc, "flags": expected.flags, "out": expected.out}
    rows: list[tuple[int, int, str]] = []
    by_signal: dict[str, int] = {}
    total = 0
    for role, e in exp.items():
        if e is None:
            continue
        bad = _bad(e, got[role])
        n = int(np.count_nonzero(bad))
        by_signal[role] = n
        total += n
        lanes, cycles = np.nonzero(bad)
        for lane, t in zip(lanes[:max_report], cycles[:max_report], strict=True):
            rows.append((int(t), int(lane), role))
    rows.sort()
    first: list[Mismatch] = []
    for t, lane, role in rows[:max_report]:
        want = exp[role]
        assert want is not None  # only roles with expectations produce mismatch rows
        e, g = want[lane, t], got[role][lane, t]
        if role == "acc" and arith.float_acc is not None:
            es, gs = code_text(arith.float_acc.fmt, e), code_text(arith.float_acc.fmt, g)
        elif role == "acc":
            es, gs = acc_text(e, arith.spec.lsb_exp), acc_text(g, arith.spec.lsb_exp)
        elif role == "flags":
            es, gs = flags_text(e), flags_text(g)
        else:
            assert arith.out is not None
            es, gs = code_text(arith.out, e), code_text(arith.out, g)
        first.append(
            Mismatch(role, lane, f"cycle {t}", es, gs, _mac_operands(arith, stim, lane, t))
        )
    error = None
    if arith.float_acc is not None:
        error = float_acc_error(
            arith.a, stim.a, arith.w, stim.w, stim.valid, stim.clear,
            spec=arith.float_acc, multiplier=arith.multiplier,
        )  # fmt: skip
    return Score(
        checks=stim.lanes * stim.cycles,
        mismatches=total,
        by_signal=by_signal,
        first=tuple(first),
        first_position=rows[0][0] if rows else None,
        acc_error=error,
    )


def _gemm_operands(
    arith: Arithmetic, stim: GemmStimulus, lane: int, tile: int, i: int, j: int
) -> str:
    beats = np.flatnonzero(stim.tile_of_beat == tile)
    pairs = [
        f"{code_text(arith.a, stim.a[b, lane, i])}*{code_text(arith.w, stim.w[b, lane, j])}"
        for b in beats[:_SHOW_TERMS]
    ]
    more = f" + {beats.size - _SHOW_TERMS} more" if beats.size > _SHOW_TERMS else ""
    return f"K={beats.size}: " + " + ".join(pairs) + more


def score_gemm(
    arith: Arithmetic,
    stim: GemmStimulus,
    expected: GemmExpected,
    out_row: npt.NDArray[np.int64],
    out_data: np.ndarray,
    out_flags: npt.NDArray[np.int64] | None,
    *,
    max_report: int = 10,
) -> Score:
    """Score the rows an array delivered, in delivery order.

    Parameters
    ----------
    arith, stim, expected
        The design's arithmetic, the stimulus and its golden tile results.
    out_row
        ``(n,)`` row index of every delivered row.
    out_data, out_flags
        ``(n, lanes, cols)`` delivered results (accumulators, float accumulator codes or
        ``out_format`` codes, as :attr:`GemmExpected.data`) / flag words.
    max_report
        How many mismatches to decode.

    With a float accumulator the score carries its error against the exact tile results
    (:attr:`Score.acc_error`, over every delivered-or-not output of the stimulus).
    """
    lanes, tiles, rows, cols = expected.acc.shape
    want = tiles * rows
    n = min(len(out_row), want)
    by_signal: dict[str, int] = {}
    found: list[tuple[int, int, int, int, str]] = []  # (tile, row, lane, col, role)
    missing = want - n
    extra = max(0, len(out_row) - want)
    if missing or extra:
        by_signal["rows"] = missing + extra
    seq = np.arange(n)
    bad_row = out_row[:n] != seq % rows
    by_signal["out_row"] = int(np.count_nonzero(bad_row))
    for k in np.flatnonzero(bad_row)[:max_report]:
        found.append((int(k) // rows, int(k) % rows, 0, -1, "out_row"))
    # (tiles*rows, lanes, cols) in delivery order.
    exp_acc = expected.data.transpose(1, 2, 0, 3).reshape(want, lanes, cols)[:n]
    checks = [("out_data", exp_acc, out_data[:n])]
    if expected.flags is not None and out_flags is not None:
        exp_f = expected.flags.transpose(1, 2, 0, 3).reshape(want, lanes, cols)[:n]
        checks.append(("out_flags", exp_f, out_flags[:n]))
    for role, e, g in checks:
        bad = _bad(e, g)
        by_signal[role] = int(np.count_nonzero(bad))
        ks, ls, js = np.nonzero(bad)
        for k, lane, j in zip(ks[:max_report], ls[:max_report], js[:max_report], strict=True):
            found.append((int(k) // rows, int(k) % rows, int(lane), int(j), role))
    found.sort()
    first: list[Mismatch] = []
    if missing or extra:
        what = f"{missing} rows never delivered" if missing else f"{extra} unexpected rows"
        first.append(Mismatch("rows", 0, f"after row {n}", f"{want} rows", f"{len(out_row)}", what))
    for tile, i, lane, j, role in found[: max(0, max_report - len(first))]:
        k = tile * rows + i
        if role == "out_row":
            first.append(Mismatch(role, lane, f"tile {tile}", str(i), str(out_row[k]), ""))
            continue
        if role == "out_data":
            es, gs = _data_text(arith, exp_acc[k, lane, j]), _data_text(arith, out_data[k, lane, j])
        else:
            assert out_flags is not None  # out_flags mismatches exist only when it was read
            es, gs = flags_text(exp_f[k, lane, j]), flags_text(out_flags[k, lane, j])
        first.append(
            Mismatch(
                role, lane, f"tile {tile} row {i} col {j}", es, gs,
                _gemm_operands(arith, stim, lane, tile, i, j),
            )
        )  # fmt: skip
    total = sum(by_signal.values())
    first_tile = found[0][0] if found else (n // rows if missing or extra else None)
    return Score(
        checks=stim.macs,
        mismatches=total,
        by_signal=by_signal,
        first=tuple(first),
        first_position=first_tile,
        acc_error=gemm_acc_error(arith, stim, expected),
    )


def _data_text(arith: Arithmetic, value: int) -> str:
    """One ``out_data`` element decoded: an ``out_format`` / float accumulator code, or an
    accumulator integer."""
    if arith.out is not None:
        return code_text(arith.out, value)
    if arith.float_acc is not None:
        return code_text(arith.float_acc.fmt, value)
    return acc_text(value, arith.spec.lsb_exp)


def gemm_acc_error(
    arith: Arithmetic, stim: GemmStimulus, expected: GemmExpected
) -> AccError | None:
    """A float accumulator's error on the tile results against the exact GEMM (else None).

    The exact results are the same products summed in an exact fixed-point accumulator
    sized for the deepest tile (:meth:`MacArithmetic.exact`); special results (NaN / inf
    operands) are left out, as for a MAC.
    """
    fa = arith.float_acc
    if fa is None:
        return None
    depth = int(np.diff(np.flatnonzero(np.concatenate([[True], stim.last]))).max())
    exact = arith.exact(depth)
    acc, flags = exact.tiles(stim.a, stim.w, stim.last)
    return acc_error(fa.fmt.decode(expected.acc), to_float(acc, exact.spec.lsb_exp), flags != 0)
