"""Liberty cell libraries: hwgen's embedded sky130-derived library, parsing, validation."""

from pathlib import Path

__all__ = ["EMBEDDED_CELL_MODELS", "EMBEDDED_LIBRARY", "embedded_library"]

EMBEDDED_LIBRARY = Path(__file__).resolve().parent / "hwgen_sky130hd_tt.lib"
"""hwgen's own Liberty file (sky130_fd_sc_hd tt numbers, see its header)."""
EMBEDDED_CELL_MODELS = Path(__file__).resolve().parent / "hwgen_cells.v"
"""Verilog simulation models of the embedded library's cells."""


def embedded_library():
    """The embedded library, parsed (cached per process)."""
    from hwgen.costmodel.liberty.library import load_library

    return load_library(EMBEDDED_LIBRARY)
