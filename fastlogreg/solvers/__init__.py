"""Solvers: plain functions (objective, starting point, options) -> SolverResult."""

from .gd import SolverResult, gradient_descent
from .lbfgs import lbfgs
from .newton import newton

__all__ = ["SolverResult", "gradient_descent", "lbfgs", "newton"]
