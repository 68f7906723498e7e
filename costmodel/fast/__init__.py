"""The fitted fast cost model: per-block formulas with coefficients fitted to synthesis.

- :mod:`~hwgen.costmodel.fast.params`: derived parameters of a design config (a frame);
- :mod:`~hwgen.costmodel.fast.blocks`: the block formulas (terms), vectorised;
- :mod:`~hwgen.costmodel.fast.design_set`: the deterministic design sample of a fit;
- :mod:`~hwgen.costmodel.fast.fit`: ``hwgen cost fit`` (synthesize, fit, write ``fits/``);
- :mod:`~hwgen.costmodel.fast.model`: :func:`load_fit`, :func:`estimate_many`,
  :func:`estimate_fitted`.

See ``docs/fastmodel.md``.
"""

from hwgen.costmodel.fast.model import (
    FittedModel,
    estimate_fitted,
    estimate_many,
    fitted_targets,
    load_fit,
)
from hwgen.costmodel.fast.params import design_params, params_frame

__all__ = [
    "FittedModel",
    "design_params",
    "estimate_fitted",
    "estimate_many",
    "fitted_targets",
    "load_fit",
    "params_frame",
]
