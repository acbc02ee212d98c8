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
