"""cocotb test: stream BitMoD PE groups through a lane harness and record every result.

Runs inside the simulator (started by :mod:`hwgen.sim.runner`). The design facts come from
its ``manifest.json`` (port widths and roles through the harness, ``dot``, group size and
weight-code width from the ``bitmod`` section); the groups come from the job. Protocol
(``docs/bitmod.md``): the special-value register is written first, then the metadata
stream (one beat per group) and the data stream (``beats_per_group`` beats per group) run
as two independent valid/ready streams; a result is taken on ``out_valid & out_ready``
(:func:`hwgen.sim.bitmod_common.drive_groups`). Scoring happens afterwards in the
controller (:mod:`hwgen.sim.bench_bitmod`).
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np

from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.sim.bitmod_common import beat_rows, drive_groups, group_rows
from hwgen.sim.job import Job


@cocotb.test()
async def bitmod_lanes(dut: Any) -> None:
    """Reset, write the special values, stream metadata and data beats, collect results."""
    job = Job.from_env()
    man = Manifest.load(job.design_dir)
    assert man.bitmod is not None, "the BitMoD bench needs a bitmod_pe manifest"
    stim = job.load_stimulus()
    lanes = job.lanes
    facts = man.bitmod
    shape = {"beats_per_group": int(facts["beats_per_group"]), "dot": int(facts["dot"])}
    out_roles = [r for r in ("out_man", "out_exp", "out_flags") if man.has_role(r)]
    cap = await drive_groups(
        dut,
        meta={
            # The datatype is shared by the lanes (it fixes the handshake timing).
            "dtype": group_rows(stim["dtype"], width=man.port("dtype").width),
            "selector": group_rows(stim["sel"], width=man.port("selector").width),
            "scale": group_rows(stim["scale"], width=man.port("scale").width),
        },
        data={
            "w": beat_rows(stim["w"], units=lanes, width=int(facts["weight_code_bits"]), **shape),
            "a": beat_rows(stim["a"], units=lanes, width=man.port("a").element_width, **shape),
        },
        specials=[int(v) for v in stim["specials"]],
        sv_mag_bits=man.port("sv_data").width - 1,
        out_ready=stim["out_ready"].tolist(),
        valid=stim["valid"].tolist(),
        out_roles=out_roles,
        out_widths={r: man.port(r).width * lanes for r in out_roles},
        want_results=int(stim["dtype"].size),
        timeout_cycles=job.timeout_cycles,
        check_agree=lanes > 1,
    )
    if cap.disagree_at >= 0:
        raise HwgenError(f"BitMoD lanes disagreed on ready/out_valid at clock {cap.disagree_at}")
    np.savez(job.capture, **cap.arrays())  # type: ignore[arg-type]  # numpy stubs type **kwds as bool
