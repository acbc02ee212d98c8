"""Coefficients of the polynomial exp and log1p in fastlogreg/_numerics.py:
`python tools/fit_polynomials.py` prints them.

Near-minimax polynomial coefficients by Chebyshev interpolation in long double (x87 80-bit),
converted to monomial form; max errors checked against long-double references."""

import numpy as np
from numpy.polynomial import chebyshev as C
from numpy.polynomial import polynomial as P

LD = np.longdouble


def cheb_fit(f, a, b, deg):
    k = np.arange(deg + 1, dtype=LD)
    x = np.cos((2 * k + 1) * LD(np.pi) / (2 * (deg + 1)))  # Chebyshev nodes in [-1, 1]
    # refine pi in long double
    xs = (x + 1) * (LD(b) - LD(a)) / 2 + LD(a)
    fx = f(xs)
    # Chebyshev coefficients via discrete orthogonality (long double)
    c = np.empty(deg + 1, dtype=LD)
    for j in range(deg + 1):
        c[j] = (2 / LD(deg + 1)) * np.sum(fx * np.cos(j * np.arccos(x)))
    c[0] /= 2
    # to monomial in t in [-1,1], then substitute t = (2u - (a+b)) / (b-a)
    pm = C.cheb2poly(c)
    s = LD(2) / (LD(b) - LD(a))
    o = -(LD(a) + LD(b)) / (LD(b) - LD(a))
    # p(u) = pm(s*u + o): expand
    out = np.zeros(deg + 1, dtype=LD)
    lin = np.array([o, s], dtype=LD)
    powk = np.array([LD(1)], dtype=LD)
    for kk in range(deg + 1):
        out[: len(powk)] += pm[kk] * powk
        powk = P.polymul(powk, lin)
    return out


def horner(coef, u):
    r = np.zeros_like(u)
    for c in coef[::-1]:
        r = r * u + c
    return r


def exp_constrained(deg_p):
    ln2 = np.log(LD(2))
    a, b = -ln2 / 2 * LD(1.0002), ln2 / 2 * LD(1.0002)

    def Pf(r):
        res = np.empty_like(r)
        small = np.abs(r) < LD(1e-4)
        rr = r[~small]
        res[~small] = (np.exp(rr) - 1 - rr) / (rr * rr)
        rs = r[small]
        res[small] = LD(0.5) + rs / 6 + rs**2 / 24 + rs**3 / 120 + rs**4 / 720
        return res

    cf = cheb_fit(Pf, a, b, deg_p).astype(np.float64)
    u = np.linspace(a, b, 400001, dtype=LD)
    approx = 1 + u + u * u * horner(cf.astype(LD), u)
    err = np.max(np.abs(approx / np.exp(u) - 1))
    return cf, float(err)


def log1p_q(deg):
    """Q with log1p(e) = 2t + 2t u Q(u), t = e / (2 + e), u = t^2 in [0, 1/9]."""

    def q_ref(uu):
        t = np.sqrt(uu)
        ath = LD(0.5) * np.log1p(2 * t / (1 - t))  # atanh in long double
        res = np.empty_like(uu)
        small = uu < LD(1e-6)
        res[~small] = (ath[~small] / t[~small] - 1) / uu[~small]
        us = uu[small]
        res[small] = LD(1) / 3 + us / 5 + us * us / 7 + us**3 / 9
        return res

    hi = LD(1) / 9 * LD(1.0001)
    cf = cheb_fit(q_ref, LD(0), hi, deg).astype(np.float64)
    uu = np.linspace(0, hi, 200001, dtype=LD)
    err = np.max(np.abs(horner(cf.astype(LD), uu) - q_ref(uu)) * uu)
    return cf, float(err)


if __name__ == "__main__":
    # The sets in fastlogreg/_numerics.py: P of degree 9 and Q of degree 9.
    cf, err = exp_constrained(9)
    print(f"exp: P, degree 9, max relative error {err:.2e}")
    print([float(x).hex() for x in cf])
    cf, err = log1p_q(9)
    print(f"log1p: Q, degree 9, max |u (Q~ - Q)| {err:.2e}")
    print([float(x).hex() for x in cf])
