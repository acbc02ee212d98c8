"""Near-minimax polynomial coefficients by Chebyshev interpolation in long double (x87 80-bit),
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


if __name__ == "__main__":
    ln2 = np.log(LD(2))
    a, b = -ln2 / 2 * LD(1.0002), ln2 / 2 * LD(1.0002)
    u = np.linspace(a, b, 200001, dtype=LD)
    for deg in (10, 11, 12):
        cf = cheb_fit(np.exp, a, b, deg)
        c64 = cf.astype(np.float64)
        err = np.max(np.abs(horner(c64.astype(LD), u) / np.exp(u) - 1))
        print("exp deg", deg, "max rel err (double coefs, exact arithmetic)", float(err))
        if deg == 11:
            print("EXP11 =", [float(x).hex() for x in c64])

    # Q(u) = (atanh(sqrt u)/sqrt u - 1) / u on [0, 1/9]
    def Q(uu):
        t = np.sqrt(uu)
        return np.where(
            uu > 0, (np.arctanh(t) / np.where(t > 0, t, 1) - 1) / np.where(uu > 0, uu, 1), LD(1) / 3
        )

    uu = np.linspace(0, LD(1) / 9 * LD(1.0001), 200001, dtype=LD)

    # arctanh in long double: 0.5*log1p(2t/(1-t))
    def Qs(uu):
        t = np.sqrt(uu)
        ath = LD(0.5) * np.log1p(2 * t / (1 - t))
        res = np.empty_like(uu)
        small = uu < LD(1e-6)
        res[~small] = (ath[~small] / t[~small] - 1) / uu[~small]
        us = uu[small]
        res[small] = LD(1) / 3 + us / 5 + us * us / 7 + us**3 / 9
        return res

    ref = Qs(uu)
    for deg in (8, 9, 10, 11):
        cf = cheb_fit(Qs, LD(0), LD(1) / 9 * LD(1.0001), deg)
        c64 = cf.astype(np.float64)
        err = np.max(
            np.abs(horner(c64.astype(LD), uu) - ref) * uu
        )  # abs error of u*Q (relative to 1)
        print("log1p Q deg", deg, "max |u*(Q~-Q)| (relative contribution)", float(err))
        if deg == 10:
            print("LOGQ10 =", [float(x).hex() for x in c64])


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


if __name__ == "__main__":
    for dp in (8, 9, 10):
        cf, err = exp_constrained(dp)
        print("exp = 1 + r + r^2 P(r), deg P", dp, "(total", dp + 2, ") max rel err", err)
        if dp == 9:
            print("EXPP9 =", [float(x).hex() for x in cf])
    cf = cheb_fit(lambda x: x, 0, 1, 1)
