"""The batched Thomas solver against SciPy's banded solver, compiled and NumPy paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import solve_banded

from cryotx.physics._tridiag import solve, solve_numpy


def _random_diagonally_dominant(rng: np.random.Generator, n_patients: int, n_nodes: int):
    lower = -rng.uniform(0.0, 1.0, (n_patients, n_nodes))
    upper = -rng.uniform(0.0, 1.0, (n_patients, n_nodes))
    lower[:, 0] = 0.0
    upper[:, -1] = 0.0
    diag = np.abs(lower) + np.abs(upper) + rng.uniform(0.01, 2.0, (n_patients, n_nodes))
    rhs = rng.normal(0.0, 10.0, (n_patients, n_nodes))
    return lower, diag, upper, rhs


def _reference(lower, diag, upper, rhs):
    out = np.empty_like(rhs)
    for p in range(rhs.shape[0]):
        banded = np.vstack([np.r_[0.0, upper[p, :-1]], diag[p], np.r_[lower[p, 1:], 0.0]])
        out[p] = solve_banded((1, 1), banded, rhs[p])
    return out


@pytest.mark.parametrize("solver", [solve, solve_numpy], ids=["numba", "numpy"])
def test_matches_scipy_banded_solver(solver):
    rng = np.random.default_rng(7)
    system = _random_diagonally_dominant(rng, 64, 37)
    np.testing.assert_allclose(solver(*system), _reference(*system), rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    n_patients=st.integers(1, 8),
    n_nodes=st.integers(2, 50),
    seed=st.integers(0, 2**31 - 1),
)
def test_compiled_and_numpy_paths_agree(n_patients, n_nodes, seed):
    system = _random_diagonally_dominant(np.random.default_rng(seed), n_patients, n_nodes)
    np.testing.assert_allclose(solve(*system), solve_numpy(*system), rtol=1e-12, atol=1e-12)


def test_each_patient_is_solved_independently():
    rng = np.random.default_rng(3)
    system = _random_diagonally_dominant(rng, 5, 20)
    batch = solve(*system)
    for p in range(5):
        single = solve(*(array[p : p + 1] for array in system))
        np.testing.assert_array_equal(batch[p : p + 1], single)
