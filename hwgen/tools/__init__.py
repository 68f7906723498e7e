"""The tool layer: how hwgen finds, starts and judges every external program.

* :mod:`~hwgen.tools.process` -- :func:`~hwgen.tools.process.run`, the one way hwgen starts a
  program (argv, cwd, env, timeout, own process group killed on timeout / Ctrl-C / error),
  and :class:`~hwgen.tools.process.ToolError`;
* :mod:`~hwgen.tools.scratch` -- every temporary work directory, under one temp root, swept
  when its owner process is gone;
* :mod:`~hwgen.tools.cache` -- the user cache directory (simulator builds);
* one module per tool: :mod:`~hwgen.tools.yosys`, :mod:`~hwgen.tools.verilator`,
  :mod:`~hwgen.tools.icarus`, and :mod:`~hwgen.tools.lint` (Verilator lint, Icarus compile
  check); :mod:`~hwgen.tools.sources` resolves a design's files for all of them.

Adding a tool (nextpnr, OpenSTA, ...): see the pattern in :mod:`hwgen.tools.process`.
Importing this package is cheap: no tool module is imported until it is used.
"""
