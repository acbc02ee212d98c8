"""datafits.working_set_hessian (proximal Newton's explicit model on sparse chunks on Dask)
against a NumPy twin: central differences of naive.py's gradients, on dense and CSR data."""

import naive
import numpy as np
import pytest
import scipy.sparse as sp

from fastlogreg import datafits
from fastlogreg.data import CSRData, DenseData
from fastlogreg.datafits import Binomial, Multinomial


def finite_difference_hessian(gradient, theta, eps=1e-5):
    """The Jacobian of gradient at theta by central differences, symmetrised."""
    H = np.empty((theta.size, theta.size))
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = eps
        H[:, j] = (gradient(theta + step) - gradient(theta - step)) / (2 * eps)
    return (H + H.T) / 2


@pytest.mark.parametrize("sparse", [False, "sparse product", "dense blocks"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_working_set_hessian_matches_finite_differences(sparse, n_classes, monkeypatch):
    # CSR: scipy's sparse product, or BLAS on dense row blocks (of 16 rows here)
    monkeypatch.setattr(datafits, "GRAM_DENSE_ABOVE", 0.0 if sparse == "dense blocks" else 1.0)
    monkeypatch.setattr(datafits, "GRAM_BLOCK_BYTES", 16 * 8 * 4)
    rng = np.random.default_rng(0)
    n, d = 200, 7
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.5)
    y = rng.integers(0, n_classes, n).astype(np.float64)
    q = rng.uniform(0, 2, n)
    K = 1 if n_classes == 2 else n_classes
    Theta = rng.standard_normal((K, d + 1)) * 0.3
    columns = np.array([1, 4, 5])
    data = CSRData(sp.csr_matrix(X)) if sparse else DenseData(X)
    datafit = Binomial() if K == 1 else Multinomial(K)
    H = datafit.working_set_hessian(data, q, Theta, columns, 1)
    local = np.append(columns, d)

    def gradient(values):  # the data part's gradient on the working set's entries
        T = Theta.copy()
        T[:, local] = values.reshape(K, -1)
        if K == 1:
            return naive.loss_gradient(X, y, q, T[0, :-1], T[0, -1])[1][local]
        return (
            naive.multinomial_loss_gradient(X, y, q, T[:, :-1], T[:, -1])[1]
            .reshape(K, d + 1)[:, local]
            .ravel()
        )

    expected = finite_difference_hessian(gradient, Theta[:, local].ravel())
    assert H.shape == (K * local.size, K * local.size)
    np.testing.assert_allclose(H, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
