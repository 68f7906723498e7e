"""The hand-over between the controlling process and the cocotb test running inside the simulator.

The simulator is a separate process. The controller writes the stimulus (numpy arrays) and a
small JSON job description into the run directory and points ``HWGEN_SIM_JOB`` at it; the
cocotb test drives the harness and writes what it sampled (bus values as byte matrices)
next to it. Golden values and the scoreboard stay in the controller.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError

JOB_ENV = "HWGEN_SIM_JOB"
"""Environment variable holding the path of ``job.json``."""


@dataclass(frozen=True, kw_only=True)
class Job:
    """What the in-simulator test needs besides the manifest.

    Attributes
    ----------
    design_dir
        Directory holding ``manifest.json``.
    lanes
        Lanes in the harness.
    stimulus
        ``.npz`` with the stimulus arrays.
    capture
        ``.npz`` the test writes: one byte matrix per sampled harness output, plus
        ``loop_seconds`` (wall time of the clock loop alone).
    timeout_cycles
        Array runs: clocks to wait for missing output rows after the last beat.
    """

    design_dir: str
    lanes: int
    stimulus: str
    capture: str
    timeout_cycles: int = 0

    def write(self, run_dir: Path, arrays: dict[str, npt.NDArray]) -> Path:
        """Save the stimulus arrays and the job description; return the job path."""
        np.savez(self.stimulus, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as bool
        path = run_dir / "job.json"
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return path

    def load_stimulus(self) -> dict[str, npt.NDArray]:
        """The stimulus arrays by name."""
        with np.load(self.stimulus) as z:
            return {k: z[k] for k in z.files}

    def load_capture(self) -> dict[str, npt.NDArray]:
        """The sampled outputs by name (after the simulation)."""
        try:
            with np.load(self.capture) as z:
                return {k: z[k] for k in z.files}
        except FileNotFoundError:
            raise HwgenError(f"the simulation wrote no results ({self.capture} missing)") from None

    @classmethod
    def from_env(cls) -> Job:
        """The job named by ``HWGEN_SIM_JOB``."""
        path = os.environ.get(JOB_ENV)
        if not path:
            raise HwgenError(f"{JOB_ENV} is not set: run benches through hwgen.sim.runner")
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))
