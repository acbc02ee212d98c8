"""The scalar helpers at extreme margins: finite everywhere, accurate where it matters."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numba import njit
from scipy.special import expit

from fastlogreg._numerics import loss_and_residual, sigmoid

finite_z = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)
labels = st.sampled_from([0.0, 1.0])


@njit
def _loss_and_residual(y, z):  # a non-inlined entry point to call the helpers from Python
    return loss_and_residual(y, z)


@njit
def _sigmoid(z):
    return sigmoid(z)


@given(labels, finite_z)
def test_loss_and_residual_are_finite_for_any_finite_margin(y, z):
    loss, residual = _loss_and_residual(y, z)
    assert np.isfinite(loss) and loss >= 0.0
    assert -1.0 <= residual <= 1.0


@given(labels, st.floats(min_value=-700, max_value=700))
def test_loss_and_residual_match_reference(y, z):
    loss, residual = _loss_and_residual(y, z)
    ref_loss = np.logaddexp(0.0, -z) if y == 1.0 else np.logaddexp(0.0, z)  # no cancellation
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-13, atol=1e-300)
    # sigmoid(z) - 1 = -sigmoid(-z): the reference must not cancel either (at z = 33, 1 - a is
    # a few ulps of 1 and would be off by 3%)
    ref_residual = -expit(-z) if y == 1.0 else expit(z)
    np.testing.assert_allclose(residual, ref_residual, rtol=1e-13, atol=1e-300)


def test_extreme_margins_keep_the_small_tail():
    # with y = 1 and z = -1e3 the loss is 1e3 exactly; with y = 0 and z = 40 it is 40 + e^-40
    assert _loss_and_residual(1.0, -1e3) == (1e3, -1.0)
    loss, residual = _loss_and_residual(0.0, 40.0)
    assert loss == 40.0 + np.log1p(np.exp(-40.0))
    # a correct prediction at margin 40: loss e^-40 and residual -e^-40, not rounded to 0
    loss, residual = _loss_and_residual(1.0, 40.0)
    np.testing.assert_allclose(loss, np.exp(-40.0), rtol=1e-15)
    np.testing.assert_allclose(residual, -np.exp(-40.0), rtol=1e-15)
    assert _loss_and_residual(1.0, 1e308) == (0.0, 0.0)
    assert _loss_and_residual(0.0, -1e308) == (0.0, 0.0)


@given(finite_z)
def test_sigmoid_in_unit_interval_and_symmetric(z):
    a = _sigmoid(z)
    assert 0.0 <= a <= 1.0
    np.testing.assert_allclose(a + _sigmoid(-z), 1.0, rtol=1e-15)
