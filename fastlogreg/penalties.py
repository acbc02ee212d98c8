"""The non-smooth part of the penalty: L1 on the coefficients, l1 ||W||_1 (never the intercepts).

scikit-learn's elastic net is (l1_ratio ||W||_1 + (1 - l1_ratio) ||W||_F^2 / 2) / C; its smooth
L2 part joins the objective's passes (objective.py), and what is left, with l1 = l1_ratio / C,
is this one. Everything here takes theta in the objective's (n_outputs, d + 1) layout (flat),
in the mean form (the strength divided by sum(s), as the solvers see it).
"""

from __future__ import annotations

import numpy as np


class L1:
    """strength * sum |w| over the coefficients of theta (flat, n_outputs rows of d + 1)."""

    def __init__(self, strength, n_features):
        self.strength = float(strength)
        self.n_features = int(n_features)

    def penalised(self, n_params):
        """Boolean mask of the entries of theta that carry the penalty (not the intercepts)."""
        mask = np.ones((n_params // (self.n_features + 1), self.n_features + 1), dtype=bool)
        mask[:, -1] = False
        return mask.ravel()

    def value(self, theta):
        return self.strength * float(np.abs(theta[self.penalised(theta.shape[0])]).sum())

    def prox(self, theta, step):
        """argmin_x ||x - theta||^2 / (2 step) + step-free penalty: soft-thresholding of the
        coefficients by step * strength; the intercepts pass unchanged."""
        out = theta.copy()
        mask = self.penalised(theta.shape[0])
        out[mask] = soft_threshold(theta[mask], step * self.strength)
        return out

    def subdifferential_distance(self, theta, grad):
        """Per entry, the distance of -grad (the smooth part's gradient) to the penalty's
        subdifferential at theta: |g_j + strength sign(w_j)| where w_j != 0, and
        max(0, |g_j| - strength) where w_j = 0; |g_j| for the intercepts. Zero everywhere
        exactly at the optimum of smooth part + penalty (the optimality condition of
        DESIGN.md); its maximum is the stopping quantity, as scikit-learn's tol for saga."""
        mask = self.penalised(theta.shape[0])
        distance = np.abs(grad).astype(np.float64)
        w, g = theta[mask], grad[mask]
        distance[mask] = np.where(
            w != 0,
            np.abs(g + self.strength * np.sign(w)),
            np.maximum(0.0, np.abs(g) - self.strength),
        )
        return distance


def soft_threshold(x, threshold):
    """sign(x) max(|x| - threshold, 0): the proximal operator of threshold * |x|."""
    return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)
