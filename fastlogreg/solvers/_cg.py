"""Conjugate gradients for H x = b with H symmetric positive semi-definite, given only as a
Hessian-vector product, preconditioned by its diagonal (Nocedal and Wright, Numerical
Optimization, 2nd ed., Algorithm 5.3). Shared by newton's multinomial direction and the
Newton-decrement check."""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import daxpy as axpy


def conjugate_gradient(hessp, b, diagonal, rtol, max_iter):
    """Approximate solution x of H x = b, stopping when ||b - H x|| <= rtol ||b||, after
    max_iter products, or at a direction of zero or negative curvature (a flat direction: no
    penalty, collinear columns, the multinomial's common shift), where the iterate so far is
    returned. It starts from 0, and every iterate lowers x^T H x / 2 - b^T x, so an early stop
    still gives a descent direction for the quadratic model. hessp's result is written over
    (it may reuse one buffer from call to call); b and diagonal are not."""
    if not np.all(diagonal > 0):
        diagonal = np.where(diagonal > 0, diagonal, 1.0)
    x = np.zeros_like(b)
    r = b.copy()
    p = r / diagonal  # the first preconditioned residual z
    rz = float(r @ p)
    if not rz > 0:  # b = 0
        return x
    stop = rtol * float(np.linalg.norm(r))
    # updates in place (BLAS axpy, out=): the vectors are K (d + 1) long, 10^7 for 10 classes
    # of 2^20 features, where temporaries cost memory and time
    for _ in range(max_iter):
        hp = hessp(p)
        curvature = float(p @ hp)
        if not curvature > 0:
            break
        step = rz / curvature
        x = axpy(p, x, a=step)
        r = axpy(hp, r, a=-step)
        if float(np.linalg.norm(r)) <= stop:
            break
        # z = r / diagonal in the product's buffer, which is not needed any more (one K d
        # vector less at the fit's peak: 8 MiB at d = 2^20)
        z = np.divide(r, diagonal, out=hp)
        rz, rz_old = float(r @ z), rz
        if not rz > 0:  # the residual underflowed
            break
        p *= rz / rz_old
        p += z
    return x
