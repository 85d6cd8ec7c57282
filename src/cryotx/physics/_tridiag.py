"""Batched tridiagonal solves (Thomas algorithm), compiled with Numba and in pure NumPy.

Every implicit step of the thermal engine reduces to one tridiagonal system per virtual
patient.  The first array axis is the patient: ``lower``, ``diag``, ``upper`` and ``rhs``
all have shape ``(n_patients, n_nodes)``; ``lower[:, 0]`` and ``upper[:, -1]`` are ignored.

The Thomas algorithm is stable without pivoting for diagonally dominant matrices, which
the backward-Euler / BDF2 discretisation of the heat equation with a
non-negative sink always gives.

``solve`` picks the compiled kernel unless ``NUMBA_DISABLE_JIT=1`` (then Numba runs the
same Python source) ; ``solve_numpy`` is the vectorised reference path that the tests
compare against the compiled one.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["solve", "solve_numpy"]


@njit(cache=True, parallel=True, fastmath=False)
def _solve_numba(
    lower: np.ndarray, diag: np.ndarray, upper: np.ndarray, rhs: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    n_patients, n_nodes = diag.shape
    for p in prange(n_patients):
        c_prime = np.empty(n_nodes)
        d_prime = np.empty(n_nodes)
        c_prime[0] = upper[p, 0] / diag[p, 0]
        d_prime[0] = rhs[p, 0] / diag[p, 0]
        for i in range(1, n_nodes):
            denom = diag[p, i] - lower[p, i] * c_prime[i - 1]
            c_prime[i] = upper[p, i] / denom
            d_prime[i] = (rhs[p, i] - lower[p, i] * d_prime[i - 1]) / denom
        out[p, n_nodes - 1] = d_prime[n_nodes - 1]
        for i in range(n_nodes - 2, -1, -1):
            out[p, i] = d_prime[i] - c_prime[i] * out[p, i + 1]


def solve(lower: np.ndarray, diag: np.ndarray, upper: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve one tridiagonal system per row; all arguments ``(n_patients, n_nodes)``.

    Returns
    -------
    ndarray (n_patients, n_nodes)
        The solution ``x`` of ``lower[i] x[i-1] + diag[i] x[i] + upper[i] x[i+1] = rhs[i]``.
    """
    out = np.empty_like(rhs, dtype=np.float64)
    _solve_numba(
        np.ascontiguousarray(lower, dtype=np.float64),
        np.ascontiguousarray(diag, dtype=np.float64),
        np.ascontiguousarray(upper, dtype=np.float64),
        np.ascontiguousarray(rhs, dtype=np.float64),
        out,
    )
    return out


def solve_numpy(
    lower: np.ndarray, diag: np.ndarray, upper: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Pure-NumPy Thomas algorithm, vectorised over the patient axis (reference path)."""
    n_nodes = diag.shape[1]
    c_prime = np.empty_like(diag, dtype=np.float64)
    d_prime = np.empty_like(diag, dtype=np.float64)
    c_prime[:, 0] = upper[:, 0] / diag[:, 0]
    d_prime[:, 0] = rhs[:, 0] / diag[:, 0]
    for i in range(1, n_nodes):
        denom = diag[:, i] - lower[:, i] * c_prime[:, i - 1]
        c_prime[:, i] = upper[:, i] / denom
        d_prime[:, i] = (rhs[:, i] - lower[:, i] * d_prime[:, i - 1]) / denom
    out = np.empty_like(d_prime)
    out[:, -1] = d_prime[:, -1]
    for i in range(n_nodes - 2, -1, -1):
        out[:, i] = d_prime[:, i] - c_prime[:, i] * out[:, i + 1]
    return out
