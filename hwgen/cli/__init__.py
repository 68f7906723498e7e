"""The ``hwgen`` command line: one module per command group, assembled in :mod:`hwgen.cli.main`."""
