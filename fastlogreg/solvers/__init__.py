"""Solvers: plain functions (objective, starting point, options) -> SolverResult."""

from .gd import SolverResult, gradient_descent
from .lbfgs import lbfgs
from .newton import newton
from .prox_newton import prox_newton

__all__ = ["SolverResult", "gradient_descent", "lbfgs", "newton", "prox_newton"]
