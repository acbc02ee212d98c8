import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "data"))  # the shared synthetic generator, data/synthetic.py
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/naive.py

from synthetic import make_problem, make_text_problem  # noqa: E402, F401

# The first example of a property test compiles a kernel; timing deadlines would flag that.
settings.register_profile("fastlogreg", deadline=None)
settings.load_profile("fastlogreg")


@pytest.fixture(scope="session")
def breast_cancer():
    """The shipped real data set, standardised (float64), labels 0/1 (1 = malignant)."""
    from fastlogreg.io import read_csv

    X, labels, _ = read_csv(ROOT / "data" / "breast_cancer.csv", "diagnosis")
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, (labels == "malignant").astype(np.float64)


@pytest.fixture(scope="session")
def breast_cancer_raw():
    """The shipped real data set as it is (unscaled: columns from 1e-3 to 4e3, condition number
    of [X, 1] about 1e6), float64, labels 0/1 (1 = malignant)."""
    from fastlogreg.io import read_csv

    X, labels, _ = read_csv(ROOT / "data" / "breast_cancer.csv", "diagnosis")
    return X, (labels == "malignant").astype(np.float64)


@pytest.fixture(scope="session")
def correlated():
    """The ill-conditioned synthetic problem: correlated columns scaled by factors up to e^5
    apart (condition number of [X, 1] about 56, of its Gram matrix about 3e3)."""
    return make_problem(2000, 8, seed=1, scale_range=2.5)


@pytest.fixture(scope="session")
def gaussian():
    """A well-conditioned random problem with a planted model."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((400, 5))
    y = (rng.random(400) < 1 / (1 + np.exp(-(X @ rng.standard_normal(5) - 0.5)))).astype(float)
    return X, y


def small_problem(n=257, d=7, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    y = (rng.random(n) < 0.4).astype(np.float64)
    return X, y


def _standardised(X):
    spread = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


@pytest.fixture(scope="session")
def iris():
    """scikit-learn's iris: 150 x 4, 3 classes."""
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def wine():
    """scikit-learn's wine as it is: 178 x 13, 3 classes, columns from 0.1 to 1.7e3."""
    from sklearn.datasets import load_wine

    return load_wine(return_X_y=True)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits: 1797 x 64 pixel counts 0..16 (some columns all zero), 10 classes."""
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


@pytest.fixture(scope="session")
def digits_scaled(digits):
    X, y = digits
    return _standardised(X), y


@pytest.fixture(scope="session")
def iris_scaled(iris):
    X, y = iris
    return _standardised(X), y


@pytest.fixture(scope="session")
def correlated_multiclass():
    """The ill-conditioned synthetic problem (correlated columns scaled up to e^5 apart) with 4
    classes drawn from a softmax."""
    return make_problem(1500, 8, seed=3, scale_range=2.5, n_classes=4)


@pytest.fixture(scope="session")
def wine_scaled(wine):
    X, y = wine
    return _standardised(X), y


def weights_variant(variant, y):
    """(sample_weight, class_weight, the per-row weights they imply) for a test variant:
    'plain', 'sample_weight' (uniform on [0, 2), every 17th row 0) or 'class_weight' (class k
    of np.unique(y) weighs 1 + k)."""
    from sklearn.utils.class_weight import compute_class_weight

    classes = np.unique(y)
    if variant == "sample_weight":
        s = np.random.default_rng(0).uniform(0, 2, y.shape[0])
        s[::17] = 0.0
        return s, None, s
    if variant == "class_weight":
        cw = {c: 1.0 + k for k, c in enumerate(classes)}
        return None, cw, compute_class_weight(cw, classes=classes, y=y)[np.searchsorted(classes, y)]
    return None, None, np.ones(y.shape[0])


def awkward_csr(dtype=np.float64, index_dtype=np.int32, n=301, d=40, seed=0):
    """A CSR matrix with every kind of entry layout scipy allows: rows of 0 to 12 entries (every
    7th row empty), columns 5 and 33 never used, duplicate column indices within rows,
    unsorted indices and some explicit zeros."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    used = np.setdiff1d(np.arange(d), [5, 33])
    indptr, indices, data = [0], [], []
    for i in range(n):
        count = 0 if i % 7 == 0 else rng.integers(1, 13)
        cols = rng.choice(used, size=count)  # with replacement: duplicates
        vals = rng.standard_normal(count) * rng.choice(
            [0.0, 1.0, 3.0], size=count, p=[0.1, 0.6, 0.3]
        )
        indices.extend(cols)
        data.extend(vals)
        indptr.append(len(indices))
    X = sp.csr_matrix(
        (np.array(data, dtype=dtype), np.array(indices, dtype=index_dtype),
         np.array(indptr, dtype=index_dtype)),
        shape=(n, d),
    )  # fmt: skip
    assert not X.has_sorted_indices
    return X
