"""What the BitMoD PE bench and the BitMoD array bench share, on both sides of the simulator.

The PE (``bitmod_pe``) and the array (``bitmod_array``) speak the same protocol
(``docs/bitmod.md``, "Stream protocol for an external testbench"; ``docs/hardware.md``,
"BitMoD PE array"): reset, write the special-value register, then a metadata stream (one
beat per group) and a data stream (``bitmod.beats_per_group`` beats per group) as two
independent valid/ready streams, results taken on ``out_valid & out_ready``. They differ
only in how many units sit side by side on a bus (PE harness lanes, or array rows for
``a`` / columns for ``w`` and the metadata) and in how a result row maps to a group.

In the simulator (imported by :mod:`hwgen.sim.tb_bitmod` and :mod:`hwgen.sim.tb_bitmod_array`;
cocotb is imported inside the coroutines, so the controller can import this module):

- :func:`beat_rows` / :func:`group_rows` pack the job's arrays into one bus integer per
  data beat / metadata beat, with the widths read from the manifest;
- :func:`drive_groups` runs reset, the special-value writes and the two streams, and
  returns the capture (sampled result buses and run statistics).

In the controller (:mod:`hwgen.sim.bench_bitmod`, :mod:`hwgen.sim.bench_bitmod_array`):

- :func:`job_arrays` -- the arrays handed to the in-simulator test;
- :func:`unpack_results` -- sampled result buses split into per-unit fields;
- :func:`score_results` -- every mismatch counted, the first ones decoded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hwgen.design.base import Port, Role
from hwgen.errors import HwgenError
from hwgen.golden.bitmod import GroupFlag, WeightType
from hwgen.sim.packing import pack_lanes, unpack_lanes
from hwgen.sim.scoreboard import Mismatch, Score

__all__ = [
    "OUT_ROLES",
    "StreamCapture",
    "beat_rows",
    "drive_groups",
    "flags_text",
    "group_rows",
    "job_arrays",
    "score_results",
    "sv_field",
    "type_text",
    "unpack_results",
]

OUT_ROLES = (Role.OUT_MAN, Role.OUT_EXP, Role.OUT_FLAGS)
"""Per-unit result roles (``out_exp`` only in narrow mode)."""

_RESET_CYCLES = 2
_META_ROLES = ("dtype", "selector", "scale")
_DATA_ROLES = ("w", "a")
_CONTROL_IN = ("meta_valid", "valid", "out_ready", "sv_we", "sv_addr", "sv_data")


# --- controller side ---------------------------------------------------------------------


def flags_text(word: int) -> str:
    """``out_flags`` as names (``nan|pinf``), ``none`` when clear."""
    names = [str(f.name).lower() for f in GroupFlag if int(word) & int(f)]
    return "|".join(names) if names else "none"


def type_text(code: int) -> str:
    """A ``meta_dtype`` code as its type name (``code 7`` for an unserved code)."""
    try:
        return WeightType.from_code(int(code)).value
    except (HwgenError, ValueError):
        return f"code {int(code)}"


def job_arrays(
    *,
    dtype: np.ndarray,
    sel: np.ndarray,
    scale: np.ndarray,
    w: np.ndarray,
    a: np.ndarray,
    specials: Sequence[int],
    out_ready: np.ndarray,
    valid: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The arrays :func:`drive_groups` reads (``valid``: input-gap pattern, default none).

    Codes are stored in the smallest unsigned type that holds them (they were range-checked
    by the stimulus), which keeps the job file of a long exhaustive part small.
    """
    out: dict[str, np.ndarray] = {
        "dtype": np.asarray(dtype, dtype=np.uint8),
        "sel": np.asarray(sel, dtype=np.uint8),
        "scale": np.asarray(scale, dtype=np.uint8),
        "w": np.asarray(w, dtype=np.uint8),
        "a": np.asarray(a, dtype=np.uint16),
        "specials": np.asarray(specials, dtype=np.int64),
        "out_ready": np.asarray(out_ready, dtype=np.uint8),
        "valid": np.asarray([1] if valid is None else valid, dtype=np.uint8),
    }
    return out


def unpack_results(
    ports: Sequence[Port], capture: Mapping[str, np.ndarray], *, units: int
) -> dict[str, np.ndarray]:
    """``(results, units)`` fields of every result role present in ``capture``.

    ``ports`` are the design's ports; a result bus holds ``units`` fields of the port's
    element width (a PE harness: one per lane of a one-element port; an array: one per
    column).
    """
    by_role = {str(p.role): p for p in ports}
    got: dict[str, np.ndarray] = {}
    for role in OUT_ROLES:
        if role not in by_role or role not in capture:
            continue
        p = by_role[role]
        got[role] = unpack_lanes(capture[role], lanes=units, width=p.element_width, signed=p.signed)
    return got


def score_results(
    want: Mapping[str, np.ndarray],
    got: Mapping[str, np.ndarray],
    *,
    checks: int,
    rows_per_group: int,
    describe: Callable[[int, int], tuple[int, str, str]],
    max_report: int,
) -> Score:
    """Compare result rows, count every mismatch, decode the first ``max_report``.

    Parameters
    ----------
    want, got
        Role -> ``(rows, units)`` (or ``(rows,)``) expected and sampled values; a sampled
        array shorter than the expected one counts every missing entry as a mismatch.
    checks
        MACs the stimulus checks (reported as is).
    rows_per_group
        Result rows per group (1 for a PE, R for an R x C array), for the first failing
        group (:attr:`Score.first_position`).
    describe
        ``(row, unit) -> (lane, where, operands)`` of a mismatch.
    max_report
        Mismatches to decode.
    """
    mismatches = 0
    by_signal: dict[str, int] = {}
    first: list[Mismatch] = []
    first_group: int | None = None

    def note(role: str, n: int, row: int) -> None:
        nonlocal mismatches, first_group
        mismatches += n
        by_signal[role] = by_signal.get(role, 0) + n
        grp = row // rows_per_group
        first_group = grp if first_group is None else min(first_group, grp)

    for role, got_vals in got.items():
        w = np.asarray(want[role])
        v = np.asarray(got_vals)
        if w.ndim == 1:
            w, v = w[:, None], v.reshape(v.shape[0], -1)
        k = min(v.shape[0], w.shape[0])
        if v.shape[0] < w.shape[0]:  # results missing: every missing entry is a mismatch
            note(str(role), (w.shape[0] - k) * w.shape[1], k)
        bad = np.argwhere(np.asarray(w[:k] != v[:k], dtype=bool))
        if bad.size:
            note(str(role), len(bad), int(bad[0][0]))
        text = flags_text if role == Role.OUT_FLAGS else str
        for row, unit in bad[: max(0, max_report - len(first))]:
            row, unit = int(row), int(unit)
            lane, where, operands = describe(row, unit)
            first.append(
                Mismatch(
                    signal=str(role),
                    lane=lane,
                    where=where,
                    expected=text(w[row, unit]),
                    got=text(v[row, unit]),
                    operands=operands,
                )
            )
    return Score(
        checks=checks,
        mismatches=mismatches,
        by_signal=by_signal,
        first=tuple(first),
        first_position=first_group,
    )


# --- simulator side ----------------------------------------------------------------------


def sv_field(value: int, mag_bits: int) -> int:
    """A special value as its sign-magnitude ``sv_data`` field."""
    return (int(value < 0) << mag_bits) | abs(int(value))


def beat_rows(
    x: npt.NDArray[Any], *, units: int, beats_per_group: int, dot: int, width: int
) -> list[int]:
    """Data-bus integers, one per beat, of ``(groups, units, group_size)`` codes.

    Beat ``b`` of a group carries elements ``b*dot .. b*dot + dot - 1`` of each unit, unit
    ``u`` in elements ``u*dot ..`` of the bus (``docs/bitmod.md``, "Ports and timing").
    """
    groups = x.shape[0]
    beats = x.reshape(groups, units, beats_per_group, dot).transpose(0, 2, 1, 3)
    return pack_lanes(beats.reshape(groups * beats_per_group, units * dot), width=width)


def group_rows(x: npt.NDArray[Any], *, width: int) -> list[int]:
    """Metadata-bus integers, one per group, of ``(groups,)`` or ``(groups, units)`` fields."""
    return pack_lanes(x.reshape(x.shape[0], -1), width=width)


@dataclass(frozen=True, kw_only=True)
class StreamCapture:
    """What :func:`drive_groups` saw (saved by the test as the job's capture)."""

    samples: dict[str, npt.NDArray[np.uint8]]
    results: int
    clocks: int
    stream_clocks: int
    loop_seconds: float
    loop_cpu_seconds: float
    disagree_at: int

    def arrays(self) -> dict[str, np.ndarray]:
        """The capture file's arrays."""
        return {
            **self.samples,
            "results": np.asarray(self.results),
            "clocks": np.asarray(self.clocks),
            "stream_clocks": np.asarray(self.stream_clocks),
            "loop_seconds": np.asarray(self.loop_seconds),
            "loop_cpu_seconds": np.asarray(self.loop_cpu_seconds),
        }


async def drive_groups(
    dut: Any,
    *,
    meta: Mapping[str, list[int]],
    data: Mapping[str, list[int]],
    specials: Sequence[int],
    sv_mag_bits: int,
    out_ready: Sequence[int],
    valid: Sequence[int],
    out_roles: Sequence[str],
    out_widths: Mapping[str, int],
    want_results: int,
    timeout_cycles: int,
    check_agree: bool,
) -> StreamCapture:
    """Reset, load the special values, run both streams, sample every result taken.

    Parameters
    ----------
    dut
        The harness handle (ports named by role).
    meta, data
        Role -> bus integer per metadata beat (``dtype``, ``selector``, ``scale``) and per
        data beat (``w``, ``a``).
    specials, sv_mag_bits
        Special-value register contents and the magnitude bits of ``sv_data``.
    out_ready, valid
        Patterns: clock ``t`` drives ``out_ready[t % len]`` and offers data only where
        ``valid[t % len]`` is 1.
    out_roles, out_widths
        Result buses sampled on ``out_valid & out_ready``, and their widths.
    want_results
        Results expected; the loop ends when every beat is in and these are out.
    timeout_cycles
        Clock budget (a hung handshake ends the run instead of the test).
    check_agree
        Read the harness's ``lanes_agree`` every clock (several PE lanes).

    Notes
    -----
    Timing follows :mod:`hwgen.sim.drivers`: inputs are written after a falling edge and
    the handshake outputs read once they settled (``ReadOnly``), since ``ready`` depends
    combinationally on ``out_ready``. A bus is written only when its value changes (a beat
    is held for its datatype's term steps, metadata for a whole group): the writes of wide
    buses are the largest per-clock cost of a many-lane harness.
    """
    from cocotb.clock import Clock
    from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

    from hwgen.sim.drivers import BusMonitor, read_unsigned

    groups = len(meta["dtype"])
    nbeats = len(data["w"])
    monitor = BusMonitor({r: getattr(dut, r) for r in out_roles}, dict(out_widths))
    Clock(dut.clk, 10, unit="ns").start()
    for name in (*_CONTROL_IN, *_META_ROLES, *_DATA_ROLES):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    for _ in range(_RESET_CYCLES):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    for addr, value in enumerate(int(v) for v in specials):
        dut.sv_we.value = 1
        dut.sv_addr.value = addr
        dut.sv_data.value = sv_field(value, sv_mag_bits)
        await FallingEdge(dut.clk)
    dut.sv_we.value = 0

    meta_h = [(getattr(dut, r), meta[r]) for r in _META_ROLES]
    data_h = [(getattr(dut, r), data[r]) for r in _DATA_ROLES]
    h_meta_valid, h_valid, h_out_ready = dut.meta_valid, dut.valid, dut.out_ready
    h_meta_ready, h_ready, h_out_valid = dut.meta_ready, dut.ready, dut.out_valid
    h_agree = dut.lanes_agree if check_agree else None
    o_pat, v_pat = [int(x) for x in out_ready], [int(x) for x in valid]
    o_len, v_len = len(o_pat), len(v_pat)
    edge, settle = FallingEdge(dut.clk), ReadOnly()
    mi = bi = got = t = 0
    meta_shown = beat_shown = -1  # the metadata beat / data beat on the buses
    meta_on = valid_on = oready_on = 0
    disagree_at = first_beat_t = last_beat_t = -1
    t0, c0 = time.perf_counter(), time.process_time()
    while t < timeout_cycles:
        if mi < groups:
            if meta_shown != mi:
                for h, rows in meta_h:
                    h.value = rows[mi]
                meta_shown = mi
            if not meta_on:
                h_meta_valid.value = meta_on = 1
        elif meta_on:
            h_meta_valid.value = meta_on = 0
        offer = bi < nbeats and v_pat[t % v_len]
        if offer:
            if beat_shown != bi:
                for h, rows in data_h:
                    h.value = rows[bi]
                beat_shown = bi
            if not valid_on:
                h_valid.value = valid_on = 1
        elif valid_on:
            h_valid.value = valid_on = 0
        oready = o_pat[t % o_len]
        if oready != oready_on:
            h_out_ready.value = oready_on = oready
        await settle
        meta_take = mi < groups and read_unsigned(h_meta_ready, "meta_ready", t)
        data_take = offer and read_unsigned(h_ready, "ready", t)
        if oready and read_unsigned(h_out_valid, "out_valid", t):
            monitor.sample(t)
            got += 1
        if h_agree is not None and disagree_at < 0 and not read_unsigned(h_agree, "agree", t):
            disagree_at = t
        if data_take:
            if first_beat_t < 0:
                first_beat_t = t
            last_beat_t = t
        mi += bool(meta_take)
        bi += bool(data_take)
        t += 1
        if bi >= nbeats and got >= want_results:
            break
        await edge
    return StreamCapture(
        samples=dict(monitor.to_arrays()),
        results=got,
        clocks=t,
        stream_clocks=last_beat_t - first_beat_t + 1,
        loop_seconds=time.perf_counter() - t0,
        loop_cpu_seconds=time.process_time() - c0,
        disagree_at=disagree_at,
    )
