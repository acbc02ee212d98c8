"""The solvers' progress reports (fastlogreg/_progress.py), which the command line's progress
bar draws: one per iteration or epoch, numbered from 1, with the objective they recorded."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from fastlogreg import LogisticRegression
from fastlogreg._progress import listening


@pytest.mark.parametrize(
    ("solver", "l1_ratio", "kind"),
    [("newton", 0.0, "iteration"), ("lbfgs", 0.0, "iteration"), ("gd", 0.0, "epoch"),
     ("newton", 1.0, "iteration"), ("sgd", 0.0, "epoch")],
)  # fmt: skip
def test_every_iteration_is_reported_once(solver, l1_ratio, kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + rng.logistic(size=300) > 0).astype(int)
    seen = []
    model = LogisticRegression(solver=solver, l1_ratio=l1_ratio, max_iter=20, random_state=0)
    with listening(lambda *report: seen.append(report)), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert [r[1] for r in seen] == list(range(1, model.n_iter_[0] + 1))
    assert {r[0] for r in seen} == {kind}
    mean_losses = model.loss_history_ / model.loss_history_[0] * seen[0][2]
    np.testing.assert_allclose([r[2] for r in seen], mean_losses[-len(seen) :], rtol=1e-12)
    with listening(lambda *report: seen.append(report)):
        pass
    count = len(seen)
    LogisticRegression(solver=solver, l1_ratio=l1_ratio, max_iter=20).fit(X, y)
    assert len(seen) == count  # nobody listens outside the block
