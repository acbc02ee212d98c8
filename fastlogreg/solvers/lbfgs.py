"""L-BFGS: scipy's L-BFGS-B driven by the fused kernel, one read of X per evaluation of the
objective and its gradient (scikit-learn's lbfgs path reads X twice per evaluation)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .gd import SolverResult


def lbfgs(objective, theta0, *, tol=1e-4, max_iter=100, verbose=0):
    """Minimise the mean-form objective from theta0 with scikit-learn's lbfgs settings: stop
    when max_j |dJ/dtheta_j| <= tol or after max_iter iterations (each may evaluate J more than
    once). loss_history holds J after every iteration."""
    history = []

    def record(intermediate_result):
        history.append(float(intermediate_result.fun))
        if verbose:
            print(f"iteration {len(history):5d}  objective {intermediate_result.fun:.10g}")

    result = minimize(
        objective.loss_gradient,
        np.array(theta0, dtype=np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=record,
        options={
            "maxiter": max_iter,
            "maxls": 50,
            "gtol": tol,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
    if not history:  # converged at the starting point: no iteration was taken
        history.append(float(result.fun))
    theta = result.x
    if not objective.fit_intercept:
        theta[-1] = 0.0
    message = "" if result.success else f"L-BFGS-B stopped: {result.message}"
    return SolverResult(theta, int(result.nit), bool(result.success), history, message)
