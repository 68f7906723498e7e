"""Simulation: cocotb drivers, monitors, scoreboards and the simulator runner.

A design directory is verified from its ``manifest.json`` alone:

* :mod:`hwgen.sim.harness` wraps ``lanes`` instances of the emitted top module (Amaranth
  ``Instance``) behind wide buses, so one clock checks many MACs;
* :mod:`hwgen.sim.stimulus` generates operand streams (exhaustive pairs, extreme sums, random
  accumulations, random GEMM tiles) as numpy arrays, :mod:`hwgen.sim.expect` their golden outputs
  with :mod:`hwgen.golden`, :mod:`hwgen.sim.packing` packs / unpacks bus integers;
* :mod:`hwgen.sim.runner` builds (cached) and runs the harness on Verilator or Icarus through
  ``cocotb_tools.runner``; :mod:`hwgen.sim.tb_mac` / :mod:`hwgen.sim.tb_array` are the cocotb tests
  (driver and monitor from :mod:`hwgen.sim.drivers`), :mod:`hwgen.sim.job` hands data across the
  process boundary;
* :mod:`hwgen.sim.scoreboard` compares and decodes mismatches.

:func:`hwgen.verify.verify` ties them together (``hwgen verify DIR``).
"""
