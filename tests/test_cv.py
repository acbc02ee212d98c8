"""LogisticRegressionCV against scikit-learn's (use_legacy_attributes=False layout): the same
grid, folds, scores and choice; warm-started paths; refit=False; bad input."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.linear_model import LogisticRegressionCV as SklearnLogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.estimator_checks import check_estimator

from fastlogreg import LogisticRegression, LogisticRegressionCV


def _sklearn_cv(X, y, l1_ratios, **kwargs):
    solver = "newton-cholesky" if l1_ratios == (0.0,) else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SklearnLogisticRegressionCV(
            l1_ratios=l1_ratios, solver=solver, tol=1e-10, max_iter=10_000,
            use_legacy_attributes=False, scoring="accuracy", **kwargs,
        ).fit(X, y)  # fmt: skip


@pytest.mark.parametrize("dataset", ["breast_cancer", "iris_scaled"])
def test_matches_scikit_learn_l2(request, dataset):
    X, y = request.getfixturevalue(dataset)
    ours = LogisticRegressionCV(Cs=6, tol=1e-9, max_iter=1000).fit(X, y)
    theirs = _sklearn_cv(X, y, (0.0,), Cs=6)
    np.testing.assert_allclose(ours.Cs_, theirs.Cs_)
    assert ours.coefs_paths_.shape == theirs.coefs_paths_.shape
    assert ours.scores_.shape == theirs.scores_.shape == (5, 1, 6)
    np.testing.assert_array_equal(ours.scores_, theirs.scores_)
    assert ours.C_ == theirs.C_ and ours.l1_ratio_ == 0.0
    # the paths are the same optima (the multinomial intercepts only up to a common shift)
    np.testing.assert_allclose(
        ours.coefs_paths_[..., :-1], theirs.coefs_paths_[..., :-1], atol=2e-4
    )
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_matches_scikit_learn_elastic_net(breast_cancer):
    X, y = breast_cancer
    grid = dict(Cs=[0.01, 0.05, 0.2], l1_ratios=(0.5, 1.0))  # where saga converges
    ours = LogisticRegressionCV(tol=1e-9, max_iter=1000, **grid).fit(X, y)
    theirs = _sklearn_cv(X, y, grid.pop("l1_ratios"), **grid)
    np.testing.assert_array_equal(ours.scores_, theirs.scores_)
    assert (ours.C_, ours.l1_ratio_) == (theirs.C_, theirs.l1_ratio_)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_array_equal(ours.coef_ == 0, theirs.coef_ == 0)


def test_refit_is_the_single_fit_at_the_chosen_c(breast_cancer):
    X, y = breast_cancer
    cv = LogisticRegressionCV(Cs=5, tol=1e-10, max_iter=1000).fit(X, y)
    single = LogisticRegression(C=cv.C_, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(cv.coef_, single.coef_, rtol=1e-7, atol=1e-9)
    assert cv.n_iter_.shape == (5, 1, 5)


def test_warm_starts_shorten_the_path(breast_cancer):
    X, y = breast_cancer
    cv = LogisticRegressionCV(Cs=np.logspace(-1, 1, 8), tol=1e-8).fit(X, y)
    cold = [LogisticRegression(C=C, tol=1e-8).fit(X, y).n_iter_[0] for C in np.logspace(-1, 1, 8)]
    assert cv.n_iter_[:, 0, 1:].mean() < np.mean(cold[1:])


def test_refit_false_averages_the_folds_best(iris_scaled):
    X, y = iris_scaled
    cv = LogisticRegressionCV(Cs=4, refit=False, tol=1e-8, max_iter=1000).fit(X, y)
    best = cv.scores_[:, 0].argmax(axis=1)
    np.testing.assert_allclose(cv.C_, cv.Cs_[best].mean())
    expected = np.mean([cv.coefs_paths_[f, 0, c] for f, c in enumerate(best)], axis=0)
    np.testing.assert_allclose(cv.coef_, expected[:, :-1])
    np.testing.assert_allclose(cv.intercept_, expected[:, -1])


def test_scoring_and_cv_objects(breast_cancer):
    X, y = breast_cancer
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    cv = LogisticRegressionCV(Cs=3, cv=folds, scoring="neg_log_loss", tol=1e-8).fit(X, y)
    assert cv.scores_.shape == (3, 1, 3) and np.all(cv.scores_ < 0)
    train, test = next(folds.split(X, y))
    model = SklearnLogisticRegression(C=cv.Cs_[1], solver="newton-cholesky", tol=1e-12)
    model.fit(X[train], y[train])
    from sklearn.metrics import log_loss

    assert cv.scores_[0, 0, 1] == pytest.approx(-log_loss(y[test], model.predict_proba(X[test])))


def test_check_estimator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_estimator(LogisticRegressionCV(Cs=3, cv=3, tol=1e-10))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"Cs": 0}, r"Cs must be an int >= 1"),
        ({"Cs": [1.0, -1.0]}, r"Cs must be an int >= 1 or a non-empty list of positive"),
        ({"l1_ratios": [0.5, 2.0]}, r"l1_ratio must be a number in \[0, 1\]"),
        ({"l1_ratios": []}, r"l1_ratios must be a list of at least one number"),
        ({"l1_ratios": 0.5}, r"l1_ratios must be a list of at least one number"),
        ({"l1_ratios": ["a"]}, r"l1_ratios must be a list of at least one number"),
        ({"Cs": 2.5}, r"Cs must be an int >= 1 or a non-empty list"),
        ({"Cs": "a"}, r"Cs must be an int >= 1 or a non-empty list"),
        ({"Cs": [1.0, np.nan]}, r"Cs must be an int >= 1 or a non-empty list"),
        ({"solver": "sgd"}, r"solver must be one of \('auto', 'newton', 'lbfgs'\)"),
        ({"solver": "lbfgs", "l1_ratios": [1.0]}, r"does not support l1_ratio > 0"),
        ({"refit": "yes"}, r"refit must be True or False"),
    ],
)
def test_bad_parameters_raise_before_any_state_changes(params, match):
    X, y = np.random.default_rng(0).standard_normal((40, 3)), np.arange(40) % 2
    model = LogisticRegressionCV(Cs=2).fit(X, y)
    state = pickle.dumps(model)
    model.set_params(**params)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    model.set_params(**LogisticRegressionCV(Cs=2).get_params())
    assert pickle.dumps(model) == state


def test_a_fold_without_a_class_is_an_error():
    X = np.random.default_rng(0).standard_normal((12, 2))
    y = np.array([0] * 5 + [1] * 5 + [2] * 2)
    folds = [(np.arange(10), np.arange(10, 12)), (np.arange(2, 12), np.arange(2))]
    with pytest.raises(
        ValueError, match=r"fold 0 hold no row of positive weight of class 2 .*StratifiedKFold"
    ):
        LogisticRegressionCV(Cs=2, cv=folds).fit(X, y)


@pytest.mark.parametrize("scoring", [None, "neg_log_loss", "custom"])
def test_sample_weights_weigh_the_scores_as_scikit_learn(breast_cancer, scoring):
    # issue 9 break test: with scoring set, scikit-learn passes the held-out sample_weight to
    # the scorer too (without metadata routing); ours did not, and chose another C_
    from sklearn.metrics import brier_score_loss

    def custom(estimator, X, y, sample_weight=None):
        return -brier_score_loss(y, estimator.predict_proba(X)[:, 1], sample_weight=sample_weight)

    scoring = custom if scoring == "custom" else scoring
    X, y = breast_cancer
    sw = np.random.default_rng(2).exponential(1, len(y)) ** 2
    ours = LogisticRegressionCV(Cs=6, tol=1e-9, max_iter=1000, scoring=scoring)
    ours.fit(X, y, sample_weight=sw)
    theirs = _sklearn_cv(X, y, (0.0,), Cs=6)
    theirs.set_params(scoring="accuracy" if scoring is None else scoring)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.scores_, theirs.scores_, rtol=1e-5 if scoring else 1e-12)
    assert ours.C_ == theirs.C_


def test_cs_keep_the_given_order_and_break_ties_as_scikit_learn(breast_cancer):
    # issue 9 break test: Cs were sorted, so scores_ came out in another order than the
    # user's Cs and a tie between equal mean scores picked another C_
    X, y = breast_cancer
    Cs = [1e3, 10.0, 0.1, 10.0]
    ours = LogisticRegressionCV(Cs=Cs, tol=1e-9, max_iter=1000).fit(X, y)
    theirs = _sklearn_cv(X, y, (0.0,), Cs=Cs)
    np.testing.assert_array_equal(ours.Cs_, Cs)
    np.testing.assert_array_equal(ours.Cs_, theirs.Cs_)
    np.testing.assert_array_equal(ours.scores_, theirs.scores_)
    assert ours.C_ == theirs.C_
    np.testing.assert_allclose(ours.coefs_paths_, theirs.coefs_paths_, atol=5e-3)
    # a tie everywhere (separable by one column): the first C in the given order wins
    separable = np.column_stack([np.r_[-np.ones(20), np.ones(20)], np.arange(40.0) % 3])
    labels = np.r_[np.zeros(20), np.ones(20)]
    tied = LogisticRegressionCV(Cs=[1e3, 0.1, 10.0]).fit(separable, labels)
    assert np.all(tied.scores_ == 1.0) and tied.C_ == 1e3
    assert tied.l1_ratios_.tolist() == [None] and tied.l1_ratio_ == 0.0


def test_ties_across_l1_ratios_go_to_the_first_in_scikit_learns_order():
    # issue 9 break test: equal mean scores at (C=5, l1_ratio=0) and (C=0.05, l1_ratio=1);
    # scikit-learn takes the first maximum over (C, l1_ratio), C-major: C=0.05, l1_ratio=1
    rng = np.random.default_rng(28)
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] + rng.logistic(size=40) > 0).astype(int)
    grid = dict(Cs=[0.05, 0.5, 5.0], l1_ratios=[0.0, 1.0], cv=4, tol=1e-10, max_iter=1000)
    ours = LogisticRegressionCV(**grid).fit(X, y)
    mean = ours.scores_.mean(axis=0)
    assert mean[0, 2] == mean[1, 0] == mean.max()  # the tie this seed gives
    assert (ours.C_, ours.l1_ratio_) == (0.05, 1.0)
    averaged = LogisticRegressionCV(refit=False, **grid).fit(X, y)
    best = [np.unravel_index(np.argmax(fold.T), fold.T.shape) for fold in ours.scores_]
    assert averaged.C_ == pytest.approx(np.mean([grid["Cs"][c] for c, _ in best]))


@pytest.mark.parametrize("scoring", [None, "neg_log_loss", "roc_auc"])
def test_score_uses_the_scoring(breast_cancer, scoring):
    # issue 9 break test: score() was always accuracy; scikit-learn's uses `scoring`
    X, y = breast_cancer
    sw = np.random.default_rng(0).uniform(0.5, 2.0, y.shape[0])
    ours = LogisticRegressionCV(Cs=3, scoring=scoring, tol=1e-9, max_iter=1000).fit(X, y)
    theirs = _sklearn_cv(X, y, (0.0,), Cs=3)
    theirs.set_params(scoring=scoring)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
    assert ours.C_ == theirs.C_
    for weights in (None, sw):
        expected = theirs.score(X, y, sample_weight=weights)
        assert ours.score(X, y, sample_weight=weights) == pytest.approx(expected, rel=1e-6)


def test_groups_reach_the_splitter(iris_scaled):
    from sklearn.model_selection import GroupKFold

    X, y = iris_scaled
    groups = np.arange(y.shape[0]) % 7
    params = dict(Cs=3, tol=1e-8, max_iter=1000)
    ours = LogisticRegressionCV(cv=GroupKFold(3), **params).fit(X, y, groups=groups)
    folds = list(GroupKFold(3).split(X, y, groups))
    listed = LogisticRegressionCV(cv=folds, **params).fit(X, y)
    np.testing.assert_array_equal(ours.scores_, listed.scores_)
    np.testing.assert_array_equal(ours.coefs_paths_, listed.coefs_paths_)


def test_a_held_out_fold_without_a_class_is_scored_with_every_label(iris_scaled):
    from sklearn.model_selection import KFold

    X, y = iris_scaled  # sorted by class: KFold(5)'s held-out folds lack one or two classes
    params = dict(Cs=3, cv=KFold(5), scoring="neg_log_loss", tol=1e-6, max_iter=1000)
    ours = LogisticRegressionCV(**params).fit(X, y)
    assert np.all(np.isfinite(ours.scores_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnLogisticRegressionCV(
            solver="newton-cholesky", l1_ratios=(0.0,), use_legacy_attributes=False, **params
        ).fit(X, y)
    # (at C = 1e4 the training folds are nearly separable: both stop at their tolerances)
    np.testing.assert_allclose(ours.scores_[..., :2], theirs.scores_[..., :2], rtol=1e-4)
