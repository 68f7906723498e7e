"""Simulation: cocotb drivers, monitors, scoreboards and the simulator runner.

A design directory is verified from its ``manifest.json`` alone:

* :mod:`sim.harness` wraps ``lanes`` instances of the emitted top module (Amaranth
  ``Instance``) behind wide buses, so one clock checks many MACs;
* :mod:`sim.stimulus` generates operand streams (exhaustive pairs, extreme sums, random
  accumulations, random GEMM tiles) as numpy arrays, :mod:`sim.expect` their golden outputs
  with :mod:`hwgen.golden`, :mod:`sim.packing` packs / unpacks bus integers;
* :mod:`sim.runner` builds (cached) and runs the harness on Verilator or Icarus through
  ``cocotb_tools.runner``; :mod:`sim.tb_mac` / :mod:`sim.tb_array` are the cocotb tests
  (driver and monitor from :mod:`sim.drivers`), :mod:`sim.job` hands data across the
  process boundary;
* :mod:`sim.scoreboard` compares and decodes mismatches.

:func:`hwgen.verify.verify` ties them together (``hwgen verify DIR``).
"""
