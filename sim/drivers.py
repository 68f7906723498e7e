"""Drivers and monitors for the lane harness (used inside cocotb tests).

Both sides work on whole buses: the driver writes one pre-packed ``int`` per input bus per
clock and the monitor reads one ``int`` per output bus per clock, so the Python work per
clock is a handful of handle accesses regardless of the lane count. Timing (see
``docs/hardware.md``): inputs are written and outputs sampled right after a falling clock
edge; the next rising edge samples the inputs, so a value sampled at falling edge ``t``
reflects every rising edge up to ``t``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.sim.packing import ints_to_bytes, pack_lanes


def read_unsigned(handle: Any, role: str, clock: int) -> int:
    """Value of an output handle as an unsigned int (HwgenError naming it if it holds X/Z)."""
    value = handle.value
    try:
        # 1-bit ports read as a Logic (int() of 0/1), wider ones as a LogicArray.
        return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)
    except ValueError:
        raise HwgenError(
            f"harness output {role!r} holds X/Z bits at clock {clock}: {handle.value}"
        ) from None


class BusDriver:
    """Writes pre-packed rows to input buses, skipping writes that would not change a value.

    Parameters
    ----------
    handles
        Role -> simulator handle of each driven harness input.
    rows
        Role -> packed values, one per clock (all the same length).
    idle
        Role -> value driven outside the stream (after the last row, during reset).
    """

    def __init__(
        self, handles: dict[str, Any], rows: dict[str, list[int]], idle: dict[str, int]
    ) -> None:
        lengths = {len(v) for v in rows.values()}
        if len(lengths) != 1:
            raise HwgenError(f"stimulus rows differ in length: {sorted(lengths)}")
        self._handles = handles
        self._rows = rows
        self._idle = idle
        self._last: dict[str, int | None] = dict.fromkeys(handles)
        self.length = lengths.pop()

    def _write(self, role: str, value: int) -> None:
        if self._last[role] != value:
            self._handles[role].value = value
            self._last[role] = value

    def apply(self, t: int) -> None:
        """Drive row ``t`` (idle values once ``t`` is past the stream)."""
        if t < self.length:
            for role, rows in self._rows.items():
                self._write(role, rows[t])
        else:
            self.idle()

    def idle(self) -> None:
        """Drive the idle values."""
        for role, value in self._idle.items():
            self._write(role, value)


class BusMonitor:
    """Samples output buses once per call and keeps the raw integers.

    Parameters
    ----------
    handles
        Role -> simulator handle of each sampled harness output.
    widths
        Role -> bus width in bits.
    """

    def __init__(self, handles: dict[str, Any], widths: dict[str, int]) -> None:
        self._handles = handles
        self._widths = widths
        self.samples: dict[str, list[int]] = {role: [] for role in handles}

    def sample(self, clock: int) -> None:
        """Append the current value of every bus."""
        for role, h in self._handles.items():
            self.samples[role].append(read_unsigned(h, role, clock))

    def to_arrays(self) -> dict[str, npt.NDArray[np.uint8]]:
        """Sampled values as little-endian byte matrices, one row per sample."""
        return {
            role: ints_to_bytes(vals, bits=self._widths[role])
            for role, vals in self.samples.items()
        }


def mac_rows(stim: dict[str, npt.NDArray], widths: dict[str, int]) -> dict[str, list[int]]:
    """Pack ``(lanes, cycles)`` MAC stimulus into one bus integer per clock and role.

    ``widths`` maps each role to its per-lane port width.
    """
    return {
        role: pack_lanes(np.asarray(stim[role]).T, width=widths[role])
        for role in ("a", "w", "valid", "clear")
    }
