"""pandas, polars and pyarrow tables go to fit and predict as they are: their column names
become feature_names_in_ and are checked at predict time (scikit-learn's validation)."""

import numpy as np
import pytest

from fastlogreg import LogisticRegression

COLUMNS = ["a", "b", "c"]


def _tables():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] - X[:, 2] + rng.logistic(size=400) > 0).astype(int)
    return X, y


def _as(kind, X, columns=COLUMNS):
    if kind == "pandas":
        pd = pytest.importorskip("pandas")
        return pd.DataFrame(X, columns=columns)
    if kind == "polars":
        pl = pytest.importorskip("polars")
        return pl.DataFrame(X, schema=columns)
    pa = pytest.importorskip("pyarrow")
    return pa.table({c: X[:, j] for j, c in enumerate(columns)})


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_a_table_fits_as_its_array_and_its_names_are_checked(kind):
    X, y = _tables()
    model = LogisticRegression(tol=1e-8).fit(_as(kind, X), y)
    reference = LogisticRegression(tol=1e-8).fit(X, y)
    assert list(model.feature_names_in_) == COLUMNS
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    np.testing.assert_array_equal(model.predict_proba(_as(kind, X)), reference.predict_proba(X))
    with pytest.raises(ValueError, match="same order as they were in fit"):
        model.predict(_as(kind, X[:, [1, 0, 2]], ["b", "a", "c"]))
    with pytest.raises(ValueError, match="unseen at fit time"):
        model.predict(_as(kind, X, ["a", "b", "z"]))


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_float32_tables_fit_in_float32(kind):
    """float32 columns stay float32 whatever the table (polars and pyarrow had been made
    float64: check_array sees no dtype on them; break test 20); a float64 column among them
    makes the whole float64, as NumPy's promotion does."""
    X, y = _tables()
    X32 = X.astype(np.float32)
    table = _as(kind, X32)
    if kind == "pyarrow":  # _as builds float64 columns from the array's values otherwise
        import pyarrow as pa

        table = pa.table({c: pa.array(X32[:, j], pa.float32()) for j, c in enumerate(COLUMNS)})
    model = LogisticRegression(tol=1e-8).fit(table, y)
    reference = LogisticRegression(tol=1e-8).fit(X32, y)
    assert model.coef_.dtype == np.float32
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    np.testing.assert_array_equal(model.predict_proba(table), reference.predict_proba(X32))
    mixed = _as(kind, X)  # float64
    assert LogisticRegression().fit(mixed, y).coef_.dtype == np.float64
