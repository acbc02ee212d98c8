"""Coordinate descent on a quadratic model plus an L1 term: the inner solver of proximal Newton.

    minimise over delta:  g . delta + delta^T H delta / 2 + strength sum_j' |x_j + delta_j|

(the sum over the penalised entries j)

with H symmetric positive semi-definite (p x p, small: the Hessian on the working set). Each
coordinate step is exact: the soft-thresholded Newton step of the one-dimensional problem, then
H delta is updated by one row of H (O(p) per step). This is glmnet's inner loop (Friedman,
Hastie and Tibshirani, J. Stat. Softw. 2010) on an explicit H, as in newGLMNET (Yuan, Ho and
Lin, JMLR 2012) and glum's IRLS-CD.

Cyclic coordinate descent crawls when columns are correlated (50 columns sharing one factor
of 3x their own spread: a Gauss-Seidel contraction of 0.999 per sweep, thousands of sweeps per
digit). Every ANDERSON_DEPTH sweeps both solvers therefore try the Anderson extrapolation of
their last iterates and keep it when it lowers the model (Bertrand and Massias, "Anderson
acceleration of coordinate descent", AISTATS 2021, as skglm's AndersonCD does).
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._config import CACHE

ANDERSON_DEPTH = 5  # iterates differences per extrapolation, as in skglm


@njit(inline="always")
def _soft_threshold(x, threshold):
    """sign(x) max(|x| - threshold, 0), exactly 0.0 inside the threshold."""
    if x > threshold:
        return x - threshold
    if x < -threshold:
        return x + threshold
    return 0.0


@njit(inline="always")
def _distance(gradient, z, strength, penalised):
    """The distance of one model gradient entry to the L1 subdifferential at z (penalties.L1)."""
    if not penalised:
        return abs(gradient)
    if z > 0.0:
        return abs(gradient + strength)
    if z < 0.0:
        return abs(gradient - strength)
    return max(abs(gradient) - strength, 0.0)


@njit(cache=CACHE, nogil=True)
def cd_quadratic(H, g, x, strength, penalised, z, max_sweeps, tol):
    """Cyclic coordinate descent on the model above for the new point z = x + delta (updated in
    place from its initial value; float64, length p like g and x; penalised a boolean mask).
    Working on z rather than delta makes a thresholded coordinate exactly 0.0. Stops after
    the first sweep that ends with the model's gradient within tol of its subdifferential in
    every coordinate, or after max_sweeps sweeps; returns the number of sweeps. (Each step's
    own change of the gradient is no test: with correlated columns every later step of the
    sweep moves it again, and on 50 columns sharing one factor the model was left 10x further
    from its optimum than the steps said.)"""
    p = g.shape[0]
    Hd = np.empty(p)  # H (z - x)
    _quadratic_change(H, x, z, Hd)
    history = np.empty((ANDERSON_DEPTH + 1, p))
    stored = 0
    trial, trial_Hd = np.empty(p), np.empty(p)
    for sweep in range(max_sweeps):
        biggest = 0.0
        for j in range(p):
            a = H[j, j]
            if not a > 0.0:
                continue
            current = z[j]
            target = current - (g[j] + Hd[j]) / a
            if penalised[j]:
                target = _soft_threshold(target, strength / a)
            change = target - current
            if change != 0.0:
                z[j] = target
                for i in range(p):
                    Hd[i] += change * H[j, i]
                biggest = max(biggest, abs(change) * a)
        if biggest <= tol:  # the steps were small: check the model's optimality itself, O(p)
            largest = 0.0
            for j in range(p):
                if H[j, j] > 0.0:
                    largest = max(largest, _distance(g[j] + Hd[j], z[j], strength, penalised[j]))
            if largest <= tol:
                return sweep + 1
        history[stored] = z
        stored += 1
        if stored == ANDERSON_DEPTH + 1:
            if _anderson_point(history, trial):
                _quadratic_change(H, x, trial, trial_Hd)
                if _quadratic_value(g, x, trial, trial_Hd, strength, penalised) < _quadratic_value(
                    g, x, z, Hd, strength, penalised
                ):
                    z[:] = trial
                    Hd[:] = trial_Hd
            history[0] = z
            stored = 1
    return max_sweeps


@njit(cache=CACHE, nogil=True)
def _quadratic_change(H, x, z, out):
    """out = H (z - x)."""
    out[:] = 0.0
    for j in range(z.shape[0]):
        step = z[j] - x[j]
        if step != 0.0:
            for i in range(z.shape[0]):
                out[i] += step * H[j, i]


@njit(cache=CACHE, nogil=True)
def _quadratic_value(g, x, z, Hd, strength, penalised):
    """The model g . (z - x) + (z - x)^T H (z - x) / 2 + strength sum_j' |z_j|, Hd = H (z - x)."""
    value = 0.0
    for j in range(z.shape[0]):
        step = z[j] - x[j]
        value += step * (g[j] + 0.5 * Hd[j])
        if penalised[j]:
            value += strength * abs(z[j])
    return value


@njit(cache=CACHE, nogil=True)
def _anderson_point(history, out):
    """out = sum_i c_i history[i + 1], the Anderson extrapolation of the iterates in the rows of
    history (oldest first): c minimises ||sum_i c_i (history[i + 1] - history[i])|| subject to
    sum_i c_i = 1, from (D D^T) c = 1 normalised (D the differences). Returns False, leaving
    out unspecified, when that small system is singular to working precision (the iterates
    have stopped moving)."""
    depth = history.shape[0] - 1
    D = np.empty((depth, history.shape[1]))
    for i in range(depth):
        D[i] = history[i + 1] - history[i]
    gram = D @ D.T
    c = np.ones(depth)
    # Gaussian elimination with partial pivoting on the depth x depth system
    largest = 0.0
    for i in range(depth):
        largest = max(largest, gram[i, i])
    if not largest > 0.0:
        return False
    for col in range(depth):
        pivot = col
        for r in range(col + 1, depth):
            if abs(gram[r, col]) > abs(gram[pivot, col]):
                pivot = r
        if not abs(gram[pivot, col]) > 1e-13 * largest:
            return False
        if pivot != col:
            for k in range(depth):
                gram[col, k], gram[pivot, k] = gram[pivot, k], gram[col, k]
            c[col], c[pivot] = c[pivot], c[col]
        for r in range(col + 1, depth):
            factor = gram[r, col] / gram[col, col]
            for k in range(col, depth):
                gram[r, k] -= factor * gram[col, k]
            c[r] -= factor * c[col]
    for col in range(depth - 1, -1, -1):
        for k in range(col + 1, depth):
            c[col] -= gram[col, k] * c[k]
        c[col] /= gram[col, col]
    total = c.sum()
    if not (np.isfinite(total) and abs(total) > 0.0):
        return False
    out[:] = 0.0
    for i in range(depth):
        out += (c[i] / total) * history[i + 1]
    return np.all(np.isfinite(out))


# The sample's working-set columns come in one of two layouts, and the multinomial coordinate
# descent below is written once for both: `columns` is either a dense (p, n) float64 array (the
# rows' values, transposed: column j is columns[j]) or a CSC triple (indptr, indices, data) of
# p columns over n rows (only their non-zeros: sparse X, where a coordinate then costs O(its
# non-zeros) instead of O(n)). The four loops over a column's entries are the only code that
# differs; Numba picks the layout's version at compile time (numba.extending.overload).


def _n_columns(columns):
    """p, the number of columns."""


def _column_residual(columns, j, k, q, P_t, U, m):
    """sum over column j's entries of q_i x_ij p_ik (U_ik - m_i)."""


def _column_step(columns, j, k, change, P_t, U, m):
    """U_ik += change x_ij and m_i += change p_ik x_ij over column j's entries."""


def _column_shift(columns, j, change, U, m):
    """U_ik += change x_ij for every class k and m_i += change x_ij (sum_k p_ik = 1)."""


def _column_curvature(columns, j, h):
    """sum over column j's entries of h_i x_ij^2."""


@overload(_n_columns, inline="always")
def _n_columns_layouts(columns):
    if isinstance(columns, types.Array):
        return lambda columns: columns.shape[0]
    return lambda columns: columns[0].shape[0] - 1


@overload(_column_residual, inline="always")
def _column_residual_layouts(columns, j, k, q, P_t, U, m):
    if isinstance(columns, types.Array):

        def dense(columns, j, k, q, P_t, U, m):
            total = 0.0
            for i in range(columns.shape[1]):
                total += q[i] * columns[j, i] * P_t[k, i] * (U[k, i] - m[i])
            return total

        return dense

    def csc(columns, j, k, q, P_t, U, m):
        indptr, indices, data = columns
        total = 0.0
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            total += q[i] * data[e] * P_t[k, i] * (U[k, i] - m[i])
        return total

    return csc


@overload(_column_step, inline="always")
def _column_step_layouts(columns, j, k, change, P_t, U, m):
    if isinstance(columns, types.Array):

        def dense(columns, j, k, change, P_t, U, m):
            for i in range(columns.shape[1]):
                x = change * columns[j, i]
                U[k, i] += x
                m[i] += x * P_t[k, i]

        return dense

    def csc(columns, j, k, change, P_t, U, m):
        indptr, indices, data = columns
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            x = change * data[e]
            U[k, i] += x
            m[i] += x * P_t[k, i]

    return csc


@overload(_column_shift, inline="always")
def _column_shift_layouts(columns, j, change, U, m):
    if isinstance(columns, types.Array):

        def dense(columns, j, change, U, m):
            for i in range(columns.shape[1]):
                x = change * columns[j, i]
                for k in range(U.shape[0]):
                    U[k, i] += x
                m[i] += x

        return dense

    def csc(columns, j, change, U, m):
        indptr, indices, data = columns
        for e in range(indptr[j], indptr[j + 1]):
            i = indices[e]
            x = change * data[e]
            for k in range(U.shape[0]):
                U[k, i] += x
            m[i] += x

    return csc


@overload(_column_curvature, inline="always")
def _column_curvature_layouts(columns, j, h):
    if isinstance(columns, types.Array):

        def dense(columns, j, h):
            total = 0.0
            for i in range(columns.shape[1]):
                total += h[i] * columns[j, i] * columns[j, i]
            return total

        return dense

    def csc(columns, j, h):
        indptr, indices, data = columns
        total = 0.0
        for e in range(indptr[j], indptr[j + 1]):
            total += h[indices[e]] * data[e] * data[e]
        return total

    return csc


@njit(inline="always")
def _intercept_residual(k, q, P_t, U, m):
    """_column_residual for the intercept's column of ones (every row)."""
    total = 0.0
    for i in range(q.shape[0]):
        total += q[i] * P_t[k, i] * (U[k, i] - m[i])
    return total


@njit(inline="always")
def _model_gradient(columns, j, k, q, P_t, G, Theta, Z, U, m, l2):
    """The multinomial model's gradient for coefficient (k, j) (j = p: the intercept)."""
    if j == _n_columns(columns):
        return G[k, j] + _intercept_residual(k, q, P_t, U, m)
    return G[k, j] + _column_residual(columns, j, k, q, P_t, U, m) + l2 * (Z[k, j] - Theta[k, j])


@njit(cache=CACHE, nogil=True)
def cd_multinomial(columns, q, P_t, G, Theta, Z, strength, l2, fit_intercept, max_sweeps, tol):
    """Coordinate descent on the multinomial model with the exact Hessian of a row sample,
    never formed: per row the Hessian in the scores is diag(p) - p p^T, so with
    U = X~ (Z - Theta)^T (the change of every score) and m_i = p_i . U_i the model's gradient
    for coefficient (k, j) is G_kj + l2 (Z_kj - Theta_kj) + sum_i q_i x_ij p_ik (U_ik - m_i).
    A step of c on (k, j) updates U_:k += c x_:j and m += c p_:k x_:j: O(the column's
    entries) per coordinate, so a sweep costs about one Hessian-vector product on the sample
    (glmnet's "naive" updates, which scale to K (d + 1) parameters where the explicit Hessian
    would not).

    columns: the sample's p working-set columns, dense (p, n) float64 (the rows transposed)
    or CSC (indptr, indices, data) over n rows (see the layouts above); q (n,) normalised
    weights; P_t (K, n) softmax probabilities at Theta; G, Theta, Z (K, p + 1): gradient,
    current point and the target (updated in place), the last column the intercepts, which
    are not penalised (skipped when not fit_intercept). Stops as cd_quadratic (the optimality
    check costs about one sweep, so it runs only after a sweep of small steps); returns the
    number of sweeps."""
    p = _n_columns(columns)
    K, n = P_t.shape
    U = np.empty((K, n))  # X~ (Z - Theta)^T, from Z's initial value
    m = np.empty(n)
    _scores_change(columns, P_t, Theta, Z, U, m)
    history = np.empty((ANDERSON_DEPTH + 1, K * (p + 1)))
    stored = 0
    trial = np.empty((K, p + 1))
    trial_U, trial_m = np.empty((K, n)), np.empty(n)
    # the model's diagonal, data part: sum_i q_i p_ik (1 - p_ik) x_ij^2 (+ l2 on coefficients)
    A = np.zeros((K, p + 1))
    h = np.empty(n)
    for k in range(K):
        for i in range(n):
            h[i] = q[i] * P_t[k, i] * (1.0 - P_t[k, i])
        A[k, p] = h.sum()
        for j in range(p):
            A[k, j] = _column_curvature(columns, j, h) + l2
    n_coordinates = p + 1 if fit_intercept else p
    for sweep in range(max_sweeps):
        biggest = 0.0
        for j in range(n_coordinates):
            intercept = j == p
            for k in range(K):
                a = A[k, j]
                if not a > 0.0:
                    continue
                model_gradient = _model_gradient(columns, j, k, q, P_t, G, Theta, Z, U, m, l2)
                current = Z[k, j]
                target = current - model_gradient / a
                if not intercept:
                    target = _soft_threshold(target, strength / a)
                change = target - current
                if change != 0.0:
                    Z[k, j] = target
                    if intercept:
                        for i in range(n):
                            U[k, i] += change
                            m[i] += change * P_t[k, i]
                    else:
                        _column_step(columns, j, k, change, P_t, U, m)
                    biggest = max(biggest, abs(change) * a)
            if not intercept:
                # the common shift of the column: no data curvature along it, only the penalty's,
                # so one-coordinate steps crawl along it (a condition number of data curvature /
                # l2); minimise the model along it exactly instead. Its slope there is the data
                # gradient's sum over classes (0 for a true gradient: residuals sum to 0)
                slope = 0.0
                for k in range(K):
                    slope += G[k, j] - l2 * Theta[k, j]
                shift = _best_shift(Z[:, j], slope, strength, l2)
                if shift != 0.0:
                    for k in range(K):
                        Z[k, j] += shift
                    _column_shift(columns, j, shift, U, m)
        if biggest <= tol and (
            _multinomial_model_distance(
                columns, q, P_t, G, Theta, Z, U, m, strength, l2, n_coordinates
            )
            <= tol
        ):
            return sweep + 1
        history[stored] = Z.ravel()
        stored += 1
        if stored == ANDERSON_DEPTH + 1:
            if _anderson_point(history, trial.ravel()):
                _scores_change(columns, P_t, Theta, trial, trial_U, trial_m)
                if _multinomial_model_value(
                    q, P_t, G, Theta, trial, trial_U, trial_m, strength, l2
                ) < _multinomial_model_value(q, P_t, G, Theta, Z, U, m, strength, l2):
                    Z[:] = trial
                    U[:] = trial_U
                    m[:] = trial_m
            history[0] = Z.ravel()
            stored = 1
    return max_sweeps


@njit(cache=CACHE, nogil=True)
def _scores_change(columns, P_t, Theta, Z, U, m):
    """U = X~ (Z - Theta)^T stored (K, n), the change of every score, and m_i = p_i . U_i."""
    p = _n_columns(columns)
    K, n = P_t.shape
    U[:] = 0.0
    m[:] = 0.0
    for k in range(K):
        step = Z[k, p] - Theta[k, p]  # the intercept's: every row
        for i in range(n):
            U[k, i] = step
            m[i] += P_t[k, i] * step
        for j in range(p):
            step = Z[k, j] - Theta[k, j]
            if step != 0.0:
                _column_step(columns, j, k, step, P_t, U, m)


@njit(cache=CACHE, nogil=True)
def _multinomial_model_value(q, P_t, G, Theta, Z, U, m, strength, l2):
    """cd_multinomial's model at Z: G . (Z - Theta) + the sampled Hessian's quadratic form,
    sum_i q_i (sum_k p_ik U_ik^2 - m_i^2) / 2 + l2 ||coefficient change||^2 / 2, + the L1 term."""
    K, columns = Z.shape
    value = 0.0
    for k in range(K):
        for j in range(columns):
            step = Z[k, j] - Theta[k, j]
            value += G[k, j] * step
            if j < columns - 1:
                value += 0.5 * l2 * step * step + strength * abs(Z[k, j])
    for i in range(U.shape[1]):
        spread = 0.0
        for k in range(K):
            spread += P_t[k, i] * U[k, i] * U[k, i]
        value += 0.5 * q[i] * (spread - m[i] * m[i])
    return value


@njit(cache=CACHE, nogil=True)
def _multinomial_model_distance(columns, q, P_t, G, Theta, Z, U, m, strength, l2, n_coordinates):
    """The largest distance of cd_multinomial's model gradient to the L1 subdifferential at Z,
    over its coordinates (intercepts unpenalised). About one sweep's work."""
    p = _n_columns(columns)
    largest = 0.0
    for j in range(n_coordinates):
        for k in range(P_t.shape[0]):
            gradient = _model_gradient(columns, j, k, q, P_t, G, Theta, Z, U, m, l2)
            largest = max(largest, _distance(gradient, Z[k, j], strength, j != p))
    return largest


@njit(cache=CACHE, nogil=True)
def _shift_value(z, c, slope, strength, l2):
    total = slope * c
    for k in range(z.shape[0]):
        v = z[k] + c
        total += 0.5 * l2 * v * v + strength * abs(v)
    return total


@njit(cache=CACHE, nogil=True)
def _best_shift(z, slope, strength, l2):
    """argmin_c slope c + sum_k l2 (z_k + c)^2 / 2 + strength |z_k + c|, preferring c = 0 on
    ties (no
    needless moves along a flat minimum, as pure L1 has for an even number of classes). The
    function is convex and quadratic between the breakpoints -z_k: the minimum is a breakpoint
    or a stationary point of a piece, so all of those are tried."""
    K = z.shape[0]
    best, best_value = 0.0, _shift_value(z, 0.0, slope, strength, l2)
    total = 0.0
    for k in range(K):
        total += z[k]
    if l2 > 0.0:  # the stationary point of the piece below every breakpoint
        stationary = -(slope + total * l2 - strength * K) / (K * l2)
        value = _shift_value(z, stationary, slope, strength, l2)
        if value < best_value * (1.0 - 1e-15) - 1e-300:
            best, best_value = stationary, value
    for k in range(K):
        candidate = -z[k]
        value = _shift_value(z, candidate, slope, strength, l2)
        if value < best_value * (1.0 - 1e-15) - 1e-300:
            best, best_value = candidate, value
        if l2 > 0.0:
            # the stationary point of the piece just above this breakpoint
            above = 0
            for i in range(K):
                if z[i] + candidate >= 0.0:
                    above += 1
            stationary = -(slope + total * l2 + strength * (2 * above - K)) / (K * l2)
            value = _shift_value(z, stationary, slope, strength, l2)
            if value < best_value * (1.0 - 1e-15) - 1e-300:
                best, best_value = stationary, value
    return best
