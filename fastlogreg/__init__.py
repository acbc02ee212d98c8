"""fastlogreg: logistic regression trained by fused, parallel Numba kernels."""

from .cv import LogisticRegressionCV
from .estimator import LogisticRegression
from .exceptions import DivergenceError
from .gradcheck import check_gradient
from .persist import ModelFileError
from .persist import load_model as load
from .warmup import warmup

__all__ = [
    "DivergenceError",
    "LogisticRegression",
    "LogisticRegressionCV",
    "ModelFileError",
    "check_gradient",
    "load",
    "warmup",
]
__version__ = "0.1.0"
