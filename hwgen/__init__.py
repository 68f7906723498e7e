"""hwgen: design, verify and price the arithmetic of quantized-DNN accelerators.

Importing the package is cheap on purpose; the number formats live in :mod:`hwgen.formats`,
the hardware generators in :mod:`hwgen.rtl` and the command line in :mod:`hwgen.cli`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
