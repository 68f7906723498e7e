"""Stage ``generate``: elaborate the point's config to Verilog (:func:`hwgen.emit.emit`).

The design directory lands in ``<out>/designs/<name>-<id>/`` (Verilog, ``files.f``,
``manifest.json``). The result names the directory (relative to the output directory),
the top module, the SHA-256 of every file (downstream stages key their caches on these,
so a byte-identical regeneration keeps their results valid), the latency and the
accumulator actually built.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwgen.sweep.stages.base import Column, NoOptions, Stage, StageContext, relative

__all__ = ["GenerateStage", "design_path"]


def _digests(design_dir: Path) -> dict[str, str]:
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(design_dir.iterdir())
        if f.is_file()
    }


def design_path(result: Mapping[str, Any], ctx: StageContext) -> Path:
    """The design directory a ``generate`` result names."""
    return ctx.out_dir / str(result["dir"])


class GenerateStage(Stage):
    """Emit the design directory."""

    name = "generate"
    summary = "elaborate to Verilog with Amaranth + the deterministic Yosys post-pass"
    code = ("hwgen.design", "hwgen.emit", "hwgen.rtl", "hwgen.formats", "hwgen.golden")
    prefix = "rtl_"

    def parse(self, table: Any) -> NoOptions:
        if table is not None:
            table.finish([])
        return NoOptions()

    def tools(self, options: Any) -> tuple[str, ...]:
        return ("hwgen", "amaranth", "yosys")

    def columns(self, options: Any) -> tuple[Column, ...]:
        return (
            Column("top", "top module"),
            Column("dir", "design directory (relative to the sweep's output)"),
            Column("verilog_sha256", "SHA-256 of the Verilog"),
            Column("latency_cycles", "latency (cycles)"),
            Column("acc_bits", "accumulator bits built"),
            Column("acc_lsb_exp", "accumulator LSB exponent"),
            Column("source", "generator"),
        )

    def run(
        self,
        point: Any,
        options: Any,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.emit import emit
        from hwgen.sweep.versions import tool_version

        config = point.build()
        ddir = ctx.design_dir(point)
        manifest = emit(config, ddir)
        files = _digests(ddir)
        verilog = manifest.verilog[0]

        return {
            "top": manifest.top,
            "dir": relative(ddir, ctx.out_dir),
            "verilog_sha256": files[verilog],
            "files_sha256": files,
            "latency_cycles": manifest.latency,
            "acc_bits": manifest.accumulator.bits,
            "acc_lsb_exp": manifest.accumulator.lsb_exp,
            "source": f"hwgen {manifest.hwgen_version} emit (amaranth "
            f"{tool_version('amaranth')}, yosys {tool_version('yosys')} post-pass)",
        }

    def still_valid(self, point: Any, result: Mapping[str, Any], ctx: StageContext) -> bool:
        """The design directory is still there, byte for byte."""
        ddir = design_path(result, ctx)
        try:
            return ddir.is_dir() and _digests(ddir) == dict(result["files_sha256"])
        except (OSError, KeyError, TypeError):
            return False
