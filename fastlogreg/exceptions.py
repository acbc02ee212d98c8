"""The errors fastlogreg raises beyond Python's and scikit-learn's own."""


class DivergenceError(ValueError, FloatingPointError):
    """The objective or the coefficients became non-finite during a fit (a step too large for
    the data, or data too large for float64). A ValueError, as scikit-learn's SGDClassifier
    raises in the same situation, so that code catching ValueError around fit (GridSearchCV's
    error_score among it) catches it; also a FloatingPointError, what fastlogreg raised
    before."""
