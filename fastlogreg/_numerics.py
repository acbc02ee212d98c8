"""Scalar helpers inlined into the kernels: the stable sigmoid and log-loss pieces.

Never log(a) or log(1 - a): everything is written in terms of e = exp(-|z|) <= 1, which can
neither overflow nor lose the small tail probabilities, so any finite z (margins of 1e3 and far
beyond included) gives finite results.
"""

import numpy as np
from numba import njit

from ._config import FASTMATH


@njit(inline="always", fastmath=FASTMATH)
def loss_and_residual(y, z):
    """For a label y in {0, 1} and score z: the log-loss l = log(1 + e^z) - y z and its
    derivative dl/dz = sigmoid(z) - y, both without cancellation."""
    e = np.exp(-abs(z))
    tail = e / (1.0 + e)  # the smaller of sigmoid(z) and 1 - sigmoid(z)
    if z >= 0.0:
        # log(1 + e^z) - y z = (1 - y) z + log1p(e); sigmoid(z) - y = (1 - y) - tail
        return (1.0 - y) * z + np.log1p(e), (1.0 - y) - tail
    return np.log1p(e) - y * z, tail - y


@njit(inline="always", fastmath=FASTMATH)
def sigmoid(z):
    """1 / (1 + e^-z), evaluated on the side where the exponential cannot overflow."""
    e = np.exp(-abs(z))
    if z >= 0.0:
        return 1.0 / (1.0 + e)
    return e / (1.0 + e)
