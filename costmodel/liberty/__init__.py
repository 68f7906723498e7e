"""Liberty cell libraries: hwgen's embedded sky130-derived library, parsing, validation."""
