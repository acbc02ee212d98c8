"""Solvers: plain functions (objective, starting point, options) -> SolverResult.

The starting point theta0 is a flat float array of objective.n_params values (each output's
coefficients, then its intercept), never modified; None starts from zeros without the caller
holding a second n_params vector for the whole fit (_stopping.starting_theta)."""

from .gd import SolverResult, gradient_descent
from .lbfgs import lbfgs
from .newton import newton
from .prox_newton import prox_newton

__all__ = ["SolverResult", "gradient_descent", "lbfgs", "newton", "prox_newton"]
