"""Stage ``lint``: ``verilator --lint-only -Wall`` on the generated design.

Every generated design must be lint-clean, so by default a warning fails the point at this
stage (``require_clean = false`` records the warnings and goes on). ``icarus = true`` also
compiles the design with Icarus Verilog as Verilog-2005.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.errors import HwgenError
from hwgen.sweep.stages.base import Column, Stage, StageContext
from hwgen.sweep.stages.generate import design_path

__all__ = ["LintOptions", "LintStage", "LintWarningsError"]

MAX_LISTED = 5
"""Warning lines kept in the result."""


class LintWarningsError(HwgenError):
    """A generated design that is not lint-clean."""


@dataclass(frozen=True)
class LintOptions:
    """``[stages.lint]``.

    Attributes
    ----------
    require_clean
        A Verilator warning fails the point (default ``true``).
    icarus
        Also compile with Icarus Verilog (``iverilog -g2005``).
    """

    require_clean: bool = True
    icarus: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"require_clean": self.require_clean, "icarus": self.icarus}


class LintStage(Stage):
    """Lint the generated Verilog."""

    name = "lint"
    summary = "verilator --lint-only -Wall (and optionally an Icarus compile)"
    needs = ("generate",)
    config_keys = ()
    code = ("hwgen.tools",)
    prefix = "lint_"

    def parse(self, table: Any) -> LintOptions:
        if table is None:
            return LintOptions()
        opts = LintOptions(
            require_clean=table.bool("require_clean", True), icarus=table.bool("icarus", False)
        )
        table.finish(["require_clean", "icarus"])
        return opts

    def tools(self, options: LintOptions) -> tuple[str, ...]:
        return ("verilator", "icarus") if options.icarus else ("verilator",)

    def columns(self, options: Any) -> tuple[Column, ...]:
        return (
            Column("clean", "lint-clean"),
            Column("warnings", "lint warnings", better="lower"),
            Column("source", "lint tools"),
        )

    def run(
        self,
        point: Any,
        options: LintOptions,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.sweep.versions import tool_version
        from hwgen.tools.lint import icarus_compile, verilator_lint

        gen = inputs["generate"]
        ddir = design_path(gen, ctx)
        top = str(gen["top"])
        res = verilator_lint(ddir, top)
        warnings = list(res.warnings)
        source = f"verilator {tool_version('verilator')} --lint-only -Wall"
        if options.icarus:
            warnings += icarus_compile(ddir, top).warnings
            source += f"; iverilog {tool_version('icarus')} -g2005"
        if warnings and options.require_clean:
            raise LintWarningsError(
                f"{len(warnings)} lint warning(s), first: {warnings[0]}"
                " (set [stages.lint] require_clean = false to record them and go on)"
            )
        return {
            "clean": not warnings,
            "warnings": len(warnings),
            "first_warnings": warnings[:MAX_LISTED],
            "source": source,
        }
