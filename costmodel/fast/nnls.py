"""Non-negative least squares (Lawson and Hanson's active-set method, numpy only).

Lawson & Hanson, *Solving Least Squares Problems* (1974), ch. 23: grow a passive set of
free coefficients one at a time by the largest gradient, solve the unconstrained problem
on it with :func:`numpy.linalg.lstsq`, and step back to the boundary whenever that solution
turns a coefficient negative.
"""

from __future__ import annotations

import numpy as np

__all__ = ["nnls"]


def nnls(
    a: np.ndarray, b: np.ndarray, *, tol: float | None = None, max_iter: int | None = None
) -> np.ndarray:
    """``argmin_x ||a x - b||_2`` subject to ``x >= 0``.

    Parameters
    ----------
    a:
        ``(m, n)`` matrix.
    b:
        ``(m,)`` right-hand side.
    tol:
        Gradient tolerance (default ``10 * eps * ||a||_1 * max(m, n)``).
    max_iter:
        Outer iterations (default ``3 n``).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` non-negative solution.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m, n = a.shape
    if tol is None:
        tol = 10 * np.finfo(np.float64).eps * np.abs(a).sum(axis=0).max(initial=0.0) * max(m, n)
    max_iter = 3 * n if max_iter is None else max_iter
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    grad = a.T @ (b - a @ x)
    for _ in range(max_iter):
        if passive.all() or not (grad[~passive] > tol).any():
            break
        j = int(np.argmax(np.where(passive, -np.inf, grad)))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > tol
            x[~passive] = 0.0
            if not passive.any():
                break
        grad = a.T @ (b - a @ x)
    return x
