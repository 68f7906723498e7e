"""cocotb test: stream array groups through a BitMoD PE array and record every drained row.

Runs inside the simulator (started by :mod:`hwgen.sim.runner`). The design facts come from
its ``manifest.json`` (port widths and roles through the harness; ``dot``,
``beats_per_group``, ``weight_code_bits`` and the array shape from the ``bitmod`` and
``array`` sections); the groups come from the job. Protocol (``docs/hardware.md``,
"BitMoD PE array"): reset, write the special-value register, then run the metadata stream
(one beat per array group: C datatype codes, selectors, scales) and the data stream
(``beats_per_group`` beats per array group: R x dot activations, C x dot weight codes) as
two independent valid/ready streams; a row is taken on ``out_valid & out_ready``
(:func:`hwgen.sim.bitmod_common.drive_groups`, shared with the PE bench). Scoring happens
afterwards in the controller (:mod:`hwgen.sim.bench_bitmod_array`).
"""

from __future__ import annotations

from typing import Any

import cocotb
import numpy as np

from hwgen.emit.manifest import Manifest
from hwgen.sim.bitmod_common import beat_rows, drive_groups, group_rows
from hwgen.sim.job import Job


@cocotb.test()
async def bitmod_array(dut: Any) -> None:
    """Reset, write the special values, stream metadata and data beats, collect rows."""
    job = Job.from_env()
    man = Manifest.load(job.design_dir)
    assert man.bitmod is not None and man.array is not None, "needs a bitmod_array manifest"
    stim = job.load_stimulus()
    facts = man.bitmod
    shape = {"beats_per_group": int(facts["beats_per_group"]), "dot": int(facts["dot"])}
    rows, cols = man.array.rows, man.array.cols
    out_roles = [r for r in ("out_row", "out_man", "out_exp", "out_flags") if man.has_role(r)]
    cap = await drive_groups(
        dut,
        meta={
            r: group_rows(stim[k], width=man.port(r).element_width)
            for r, k in (("dtype", "dtype"), ("selector", "sel"), ("scale", "scale"))
        },
        data={
            # Activation element i*dot + l is row i lane l; weight element j*dot + l column j.
            "a": beat_rows(stim["a"], units=rows, width=man.port("a").element_width, **shape),
            "w": beat_rows(stim["w"], units=cols, width=int(facts["weight_code_bits"]), **shape),
        },
        specials=[int(v) for v in stim["specials"]],
        sv_mag_bits=man.port("sv_data").width - 1,
        out_ready=stim["out_ready"].tolist(),
        valid=stim["valid"].tolist(),
        out_roles=out_roles,
        out_widths={r: man.port(r).width for r in out_roles},
        want_results=int(stim["dtype"].shape[0]) * rows,
        timeout_cycles=job.timeout_cycles,
        check_agree=False,
    )
    np.savez(job.capture, **cap.arrays())  # type: ignore[arg-type]  # numpy stubs type **kwds as bool
