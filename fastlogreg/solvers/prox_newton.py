"""Proximal Newton for L1 and elastic net: the smooth part (datafit + L2) by a quadratic model
from a sampled Hessian, the L1 term exactly, the model minimised by coordinate descent.

Each iteration (newGLMNET: Yuan, Ho and Lin, JMLR 2012; Lee, Sun and Saunders, SIAM J. Optim.
2014; glum's IRLS-CD and skglm's ProxNewton work the same way):
  1. the working set: coefficients that are non-zero or violate their optimality condition
     (|dJ/dw_j| > l1), as whole feature columns, plus the intercepts; every other coefficient
     stays at 0 this iteration, and the full gradient, recomputed at every iteration, lets
     any of them back in, so the result is the optimum of the whole problem;
  2. the model: the Hessian of the smooth part on the working set from the fixed row sample
     of newton.py (hessian_sample). Binomial: explicit, X~_A^T diag(q a (1 - a)) X~_A + L2.
     Multinomial: never formed (K (d + 1) squared entries); coordinate descent reaches it
     through the per-row structure diag(p) - p p^T (kernels/cd.py, cd_multinomial). Its
     diagonal blocks alone (glmnet's per-class model) took 100-500 iterations on iris and
     wine at C = 1, against about 10 with the coupling. The model works in centred
     coordinates (data.centred_columns: intercepts b + W mu), so column offsets do not
     couple the coefficients to the intercept;
  3. coordinate descent (kernels/cd.py, Anderson-extrapolated) on the model, until the
     model's own distance to its subdifferential is INNER_FACTOR times the current
     optimality, so the outer convergence stays fast near the optimum;
  4. a backtracking line search on the full objective F = J + l1 ||W||_1 (Armijo condition
     with the model's predicted decrease, Tseng and Yun 2009); the full step keeps the exact
     zeros of coordinate descent.
It stops when the largest distance of the gradient to the L1 subdifferential (penalties.L1) is
at most tol, and so are the model's promised decrease and the duality gap (_duality.py, a bound
on the objective's distance to the optimum; one pass (binary) or two (multinomial), computed
once the others pass).
scikit-learn's saga stops on a change of coefficients instead. One fused pass over X per
line-search trial.
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from .._progress import report
from ..data import centred_columns
from ..kernels.cd import cd_multinomial, cd_quadratic
from ..kernels.cd_sparse import cd_columns
from ..kernels.hessian import weighted_gram
from ..penalties import L1
from ._duality import duality_gap
from ._line_search import ROUNDING_SLACK
from ._stopping import check_start, starting_theta
from .gd import SolverResult
from .newton import HESSIAN_ROWS, ROWS_PER_PARAMETER, check_squares, hessian_sample

ARMIJO = 1e-4
MAX_HALVINGS = 40
INNER_FACTOR = 0.1
MAX_SWEEPS = 200
# the explicit (binomial) model's sweeps cost p^2 each: they may do as much work as a pass over
# X, and at least CD_WORK multiply-adds (a few milliseconds). Ill-conditioned models need
# thousands: standardised breast cancer at C=1e3, l1_ratio=1 took 1488 outer iterations with
# 200 sweeps each and 43 with up to 5000
CD_WORK = 1e7
# the explicit working-set model (_explicit_model_minimiser) holds at most this many
# parameters: its Hessian is 32 MiB, which each chunk sends once per iteration (to the worker
# that adds its group, then the driver), and one coordinate-descent sweep on it 4M
# multiply-adds. Beyond it the iterations are block steps: on 20k x 300 sparse rows with 295
# non-zero coefficients at the optimum, 7 iterations with every column in the model, 41 with
# 200 of them, 83 with 100 (tol 1e-8; 8 in memory)
MAX_EXPLICIT_PARAMETERS = 2048


def prox_newton(
    objective, theta0, *, tol=1e-4, max_iter=100, verbose=0, random_state=None, hessian_rows=None
):
    """Minimise the mean-form F = J + l1 ||W||_1 (objective.l1 scaled by 1 / sum(s)) from theta0.
    Stops when the largest distance of the gradient to the subdifferential is <= tol, or after
    max_iter iterations. loss_history holds F after every iteration. random_state draws the
    Hessian's row sample (None: a fixed seed)."""
    d = objective.n_features
    penalty = L1(objective.l1 * objective.scale, d)
    penalised = penalty.penalised(objective.n_params)
    if hessian_rows is None:
        hessian_rows = max(HESSIAN_ROWS, ROWS_PER_PARAMETER * objective.n_params)
    rng = np.random.default_rng(0) if random_state is None else random_state
    sample = None  # sparse X: the model on every row (_sparse_model_minimiser)
    if not objective.data.is_sparse:
        rows, s = hessian_sample(objective, hessian_rows, rng)
        check_squares(objective, rows)
        sample = rows, s / s.sum()
    l2 = objective.l2 * objective.scale

    theta = starting_theta(objective, theta0)
    loss, grad = objective.loss_gradient(theta)
    check_start(loss)
    value = loss + penalty.value(theta)
    distance = float(np.max(penalty.subdifferential_distance(theta, grad)))
    history = []
    n_iter = 0
    message = ""
    converged = False
    gap = None
    recheck = np.inf
    while True:
        target = _model_minimiser(
            objective, theta, grad, penalty, sample, l2, INNER_FACTOR * distance
        )
        direction = target - theta
        # the model's decrease of F for the full step (negative unless theta is optimal)
        decrease = float(grad @ direction) + penalty.value(target) - penalty.value(theta)
        # converged: the distance test, and the model's promised decrease below tol too (the
        # proximal Newton decrement), so that a model far out along a flat direction (a weak
        # penalty: breast cancer at C=1e3 ended 138x tol above the optimum) is not returned
        if distance <= min(tol, recheck) and -decrease <= tol:
            # and the certificate: the duality gap (one or two passes, only once the rest pass; the
            # gap shrinks about as the distance does, so after a failed check the next waits
            # for a 10x smaller distance)
            gap = duality_gap(objective, theta, value)
            if gap <= tol:
                converged = True
                break
            recheck = distance / 10.0
        if n_iter >= max_iter:
            break
        step = 1.0
        for _ in range(MAX_HALVINGS):
            trial = target if step == 1.0 else theta + step * direction
            new_loss, new_grad = objective.loss_gradient(trial)
            new_value = new_loss + penalty.value(trial)
            new_distance = float(np.max(penalty.subdifferential_distance(trial, new_grad)))
            if np.isfinite(new_value) and (
                new_value <= value + ARMIJO * step * decrease
                # flat to rounding: the optimality measure decides, as accept_step's slopes do
                or (
                    abs(new_value - value) <= ROUNDING_SLACK * abs(value)
                    and new_distance < distance
                )
            ):
                break
            step *= 0.5
        else:
            message = (
                f"the line search found no step that lowers the objective, at a distance of "
                f"the gradient to the subdifferential of {distance:.3g} > tol = {tol:.3g}. "
                "Standardise the columns of X (e.g. sklearn.preprocessing.StandardScaler) or "
                "loosen tol"
            )
            break
        theta, loss, grad, value, distance = trial, new_loss, new_grad, new_value, new_distance
        n_iter += 1
        history.append(value)
        report("iteration", n_iter, value)
        if verbose:
            print(
                f"iteration {n_iter:5d}  objective {value:.12g}  subgradient distance "
                f"{distance:.3g}  step {step:.3g}  non-zero "
                f"{int(np.count_nonzero(theta[penalised]))}"
            )
    if not history:
        history.append(value)
    blocks = _block_steps(objective, theta, grad, penalty)
    if not converged and not message and blocks:
        message = (
            f"reached max_iter={max_iter} iterations with a distance of the gradient to the "
            f"subdifferential of {distance:.3g} (tol = {tol:.3g}): {blocks}. Increase max_iter"
        )
    elif not converged and not message and distance <= tol:
        far = max(-decrease, gap if gap is not None else 0.0)
        message = (
            f"reached max_iter={max_iter} iterations with a distance of the gradient to the "
            f"subdifferential of {distance:.3g} <= tol = {tol:.3g}, but the objective may "
            f"still be up to {far:.3g} above its optimum (the proximal Newton step's promised "
            "decrease and the duality gap): the model is still far out along a flat direction "
            "(a weak penalty). Increase max_iter, or use a smaller C"
        )
    elif not converged and not message:
        message = (
            f"reached max_iter={max_iter} iterations with a distance of the gradient to the "
            f"subdifferential of {distance:.3g} > tol = {tol:.3g}. Increase max_iter, "
            "standardise the columns of X (e.g. sklearn.preprocessing.StandardScaler), or "
            "loosen tol"
        )
    return SolverResult(theta, n_iter, converged, history, message)


def _block_steps(objective, theta, grad, penalty):
    """Why the iterations were block steps, if they were (_explicit_model_minimiser's
    working set larger than its cap), else ''."""
    if not objective.data.is_sparse or getattr(objective.data, "working_set_hessian", None) is None:
        return ""
    K = objective.n_outputs
    columns = _working_set(objective.as_matrix(theta), objective.as_matrix(grad), penalty)
    if K * (columns.shape[0] + 1) <= MAX_EXPLICIT_PARAMETERS:
        return ""
    return (
        f"the working set has {columns.shape[0]} columns x {K} outputs, more than the "
        f"{MAX_EXPLICIT_PARAMETERS} parameters whose exact Hessian a fit on Dask forms, so "
        "each iteration moved a block of them and convergence is slower than in memory"
    )


def proximal_newton_decrease(objective, theta, grad):
    """The decrease of F = J + l1 ||W||_1 (mean form) that one proximal Newton step from theta
    promises: minus the minimum of grad . delta + delta^T H delta / 2 + l1 (||W + delta_W||_1 -
    ||W||_1), H the smooth part's Hessian on objective.row_sample(), the minimum found by this
    module's coordinate descent (to 1% of the distance to the subdifferential). With L1 the
    analogue of the Newton decrement (_stopping.newton_decrease); it sees the coupling of the
    coefficients with each other and with the intercept that a diagonal estimate misses (SGD's
    L1 check on columns offset by 1000 estimated nothing left, 0.35 above the optimum)."""
    d = objective.n_features
    penalty = L1(objective.l1 * objective.scale, d)
    sample = None if objective.data.is_sparse else objective.row_sample()
    l2 = objective.l2 * objective.scale
    distance = float(np.max(penalty.subdifferential_distance(theta, grad)))
    target = _model_minimiser(objective, theta, grad, penalty, sample, l2, 0.01 * distance)
    delta = target - theta
    if sample is None:  # sparse X: the model's Hessian on every row
        hessp = objective.hessp(theta)[0]
    else:
        hessp = objective.sample_hessp(theta, sample)[0]
    model = float(grad @ delta + 0.5 * delta @ hessp(delta))
    return max(0.0, -(model + penalty.value(target) - penalty.value(theta)))


def _model_minimiser(objective, theta, grad, penalty, sample, l2, inner_tol):
    """The minimiser (approximately, by coordinate descent) over the working set of
    grad . delta + delta^T H delta / 2 + l1 ||w + delta||_1, returned as theta + delta; H on
    the row sample (rows, normalised weights), or on every row when sample is None (sparse
    X: _sparse_model_minimiser).

    With an intercept the model is solved in centred coordinates: the sample's columns minus
    their mean mu (curvature-weighted for the binomial), the intercepts b' = b + W mu. The
    penalty sees only W, so the problem is the same; but a column offset (x + 1000) no longer
    couples every coefficient to the intercept, which made coordinate descent crawl: 1,000 to
    3,000 iterations on make_classification(400, 10) + 1000 at C=1, against 6 for L2."""
    Theta = objective.as_matrix(theta)
    G = objective.as_matrix(grad)
    columns = _working_set(Theta, G, penalty)
    if sample is None:
        # sparse X. A data kind whose rows stay where they are (sparse chunks on Dask) offers
        # the working set's Hessian instead of its columns
        if getattr(objective.data, "working_set_hessian", None) is not None:
            return _explicit_model_minimiser(objective, theta, grad, penalty, l2, inner_tol)
        return _sparse_model_minimiser(objective, theta, grad, penalty, l2, inner_tol, columns)
    rows, weights = sample
    d = rows.shape[1]
    K = objective.n_outputs
    W = Theta[:, :-1]
    fit_intercept = objective.fit_intercept
    local = np.append(columns, d)  # the working set's entries of each output's row of theta
    sample = rows[:, columns]
    if K == 1:
        h = objective.datafit.sample_curvatures(rows, weights, Theta)[:, 0]
        centre_weights = h
    else:
        P = softmax(rows @ W.T + Theta[:, -1], axis=1)
        centre_weights = weights
    mu = np.zeros(columns.shape[0])
    if fit_intercept and centre_weights.sum() > 0:
        sample, mu, _ = centred_columns(sample, centre_weights)
    # the current point, gradient and result in the centred coordinates
    start = np.ascontiguousarray(Theta[:, local])
    start[:, -1] += start[:, :-1] @ mu
    G_local = np.ascontiguousarray(G[:, local])
    G_local[:, :-1] -= np.outer(G_local[:, -1], mu)
    Z = start.copy()
    if K == 1:
        # binomial: the explicit Hessian on the working set, (|A| + 1)^2 entries
        H = weighted_gram(np.ascontiguousarray(sample), h, True)
        H[np.arange(columns.shape[0]), np.arange(columns.shape[0])] += l2
        block_penalised = np.arange(local.shape[0]) < columns.shape[0]
        if not fit_intercept:  # the intercept's coordinate stays where it is
            H[-1, :] = H[:, -1] = 0.0
        pass_work = objective.n_samples * objective.n_features
        sweeps = max(MAX_SWEEPS, int(max(CD_WORK, pass_work) / local.shape[0] ** 2))
        cd_quadratic(
            H, G_local[0], start[0], penalty.strength, block_penalised, Z[0], sweeps, inner_tol
        )
    else:
        # multinomial: the exact sampled Hessian through its per-row structure (kernels/cd.py)
        cd_multinomial(
            np.ascontiguousarray(sample.T), weights, np.ascontiguousarray(P.T), G_local, start,
            Z, penalty.strength, l2, fit_intercept, MAX_SWEEPS, inner_tol,
        )  # fmt: skip
    Z[:, -1] -= Z[:, :-1] @ mu
    target = Theta.copy()
    target[:, local] = Z
    return target.ravel()


def _working_set(Theta, G, penalty):
    """The feature columns whose coefficients are non-zero (for some output) or violate their
    optimality condition |dJ/dw| <= l1 at 0."""
    W, G_w = Theta[:, :-1], G[:, :-1]
    return np.flatnonzero(np.any(W != 0, axis=0) | np.any(np.abs(G_w) > penalty.strength, axis=0))


def _explicit_model_minimiser(objective, theta, grad, penalty, l2, inner_tol):
    """_model_minimiser where the rows cannot come to the solver (sparse chunks on Dask): the
    model's exact Hessian on the working set, formed where the rows are (objective.
    working_set_hessian: one pass, (K (|A| + 1))^2 floats from each chunk), minimised by
    cd_quadratic like the binomial dense model (not centred, as on sparse X in memory).
    The working set is cut to the MAX_EXPLICIT_PARAMETERS / K - 1 columns (at least one)
    farthest from their optimality condition; the others stay where they are for this
    iteration and may enter at the next (a block step that always holds the largest
    violation, so the iterations make progress; the stopping test checks every
    coefficient)."""
    K, d = objective.n_outputs, objective.n_features
    Theta = objective.as_matrix(theta)
    G = objective.as_matrix(grad)
    distance = penalty.subdifferential_distance(theta, grad).reshape(K, d + 1)[:, :-1].max(0)
    columns = _working_set(Theta, G, penalty)
    most = max(1, MAX_EXPLICIT_PARAMETERS // K - 1)  # (one column even past the cap: K > 1024)
    if columns.shape[0] > most:
        columns = np.sort(columns[np.argsort(-distance[columns], kind="stable")[:most]])
    local = np.append(columns, d)
    L = local.shape[0]
    H = objective.working_set_hessian(theta, columns)
    coefficient = np.tile(np.arange(L) < L - 1, K)  # the penalised entries (not intercepts)
    on = np.flatnonzero(coefficient)
    H[on, on] += l2
    if not objective.fit_intercept:  # the intercepts' coordinates stay where they are
        off = np.flatnonzero(~coefficient)
        H[off, :] = 0.0
        H[:, off] = 0.0
    start = np.ascontiguousarray(Theta[:, local]).ravel()
    z = start.copy()
    sweeps = max(MAX_SWEEPS, int(CD_WORK / (K * L) ** 2))
    cd_quadratic(
        H, np.ascontiguousarray(G[:, local]).ravel(), start, penalty.strength, coefficient, z,
        sweeps, inner_tol,
    )  # fmt: skip
    target = Theta.copy()
    target[:, local] = z.reshape(K, L)
    return target.ravel()


def _sparse_model_minimiser(objective, theta, grad, penalty, l2, inner_tol, columns):
    """_model_minimiser on sparse X: the model's exact Hessian on every row, with the working
    set's columns as CSC (no centring: it would make the columns dense). Binomial: from the
    rows' curvatures at theta (left behind by the loss pass there), kernels/cd_sparse.py.
    Multinomial: through the per-row structure diag(p) - p p^T, as on a dense sample
    (kernels/cd.py cd_multinomial on the CSC layout; p at theta costs one pass). glmnet's
    per-class model (each class's diagonal block only) had taken 60-120 iterations where the
    dense path takes 7-8 on a 400 x 30 three-class test."""
    X_A = objective.data.columns(columns)
    d = objective.n_features
    local = np.append(columns, d)
    Theta = objective.as_matrix(theta)
    G = objective.as_matrix(grad)
    work = max(X_A.nnz, 1) + objective.n_samples  # one sweep's reads
    sweeps = max(MAX_SWEEPS, int(CD_WORK / (work * objective.n_outputs)))
    target = Theta.copy()
    if objective.n_outputs == 1:
        x = np.ascontiguousarray(Theta[0, local])
        z = x.copy()
        cd_columns(
            X_A.indptr, X_A.indices, X_A.data, objective.row_curvature(theta),
            np.ascontiguousarray(G[0, local]), x, penalty.strength, l2,
            objective.fit_intercept, z, np.zeros(objective.n_samples), sweeps, inner_tol,
        )  # fmt: skip
        target[0, local] = z
        return target.ravel()
    P_t = np.ascontiguousarray(objective.class_probabilities(theta).T)
    start = np.ascontiguousarray(Theta[:, local])
    Z = start.copy()
    cd_multinomial(
        (X_A.indptr, X_A.indices, X_A.data), objective.s * objective.scale, P_t,
        np.ascontiguousarray(G[:, local]), start, Z, penalty.strength, l2,
        objective.fit_intercept, sweeps, inner_tol,
    )  # fmt: skip
    target[:, local] = Z
    return target.ravel()
