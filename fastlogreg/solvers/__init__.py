"""Solvers: plain functions (objective, starting point, options) -> SolverResult."""

from .gd import SolverResult, gradient_descent
from .lbfgs import lbfgs

__all__ = ["SolverResult", "gradient_descent", "lbfgs"]
