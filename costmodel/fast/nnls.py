"""Non-negative least squares (Lawson and Hanson's active-set method, numpy only).

Lawson & Hanson, *Solving Least Squares Problems* (1974), ch. 23: grow a passive set of
free coefficients one at a time by the largest gradient, solve the unconstrained problem
on it with :func:`numpy.linalg.lstsq`, and step back to the boundary whenever that solution
turns a coefficient negative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["nnls", "nnls_gram"]


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
    return _active_set(
        n,
        solve=lambda idx: np.linalg.lstsq(a[:, idx], b, rcond=None)[0],
        gradient=lambda x: a.T @ (b - a @ x),
        tol=tol,
        max_iter=max_iter,
    )


def nnls_gram(
    gram: np.ndarray, rhs: np.ndarray, *, tol: float | None = None, max_iter: int | None = None
) -> np.ndarray:
    """:func:`nnls` from the normal equations: ``argmin ||a x - b||, x >= 0`` given only
    ``gram = a.T @ a`` and ``rhs = a.T @ b``.

    The same active-set steps on ``n x n`` systems, so a cross-validation that fits many
    row subsets of one matrix (``gram`` of a subset = full gram minus the left-out rows')
    costs a few small solves per fit. Squaring the condition number is harmless for the
    column-scaled, few-term systems it is used on.
    """
    g = np.asarray(gram, dtype=np.float64)
    h = np.asarray(rhs, dtype=np.float64)
    n = len(h)
    if tol is None:
        tol = 1e-12 * max(float(np.abs(h).max(initial=0.0)), float(np.abs(g).max(initial=0.0)), 1)
    max_iter = 3 * n if max_iter is None else max_iter
    # Fast path: when the unconstrained minimum is feasible it is the solution (convexity).
    try:
        z = np.linalg.solve(g, h)
    except np.linalg.LinAlgError:
        z = None
    if z is not None and np.isfinite(z).all() and (z > 0).all():
        return z
    return _active_set(
        n,
        solve=lambda idx: np.linalg.lstsq(g[np.ix_(idx, idx)], h[idx], rcond=None)[0],
        gradient=lambda x: h - g @ x,
        tol=tol,
        max_iter=max_iter,
    )


def _active_set(
    n: int,
    *,
    solve: Callable[[np.ndarray], np.ndarray],
    gradient: Callable[[np.ndarray], np.ndarray],
    tol: float,
    max_iter: int,
) -> np.ndarray:
    """The active-set iteration shared by :func:`nnls` and :func:`nnls_gram`.

    ``solve(idx)`` is the unconstrained least-squares solution on the columns ``idx``
    (ascending), ``gradient(x)`` is ``a.T @ (b - a @ x)`` in either form.
    """
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    grad = gradient(x)
    for _ in range(max_iter):
        if passive.all() or not (grad[~passive] > tol).any():
            break
        j = int(np.argmax(np.where(passive, -np.inf, grad)))
        passive[j] = True
        while True:
            z = np.zeros(n)
            idx = np.flatnonzero(passive)
            z[idx] = solve(idx)
            if (z[idx] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > tol
            x[~passive] = 0.0
            if not passive.any():
                break
        grad = gradient(x)
    return x
