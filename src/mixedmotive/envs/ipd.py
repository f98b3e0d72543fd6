"""Iterated prisoner's dilemma: exact values of memory-1 policies (IPD-Analytic).

Actions: 0 = cooperate (C), 1 = defect (D).  Joint states, from the row player's
view, are ordered CC, CD, DC, DD (own action first).  A memory-1 policy is 5 logits
of P(cooperate): in the start state and after CC, CD, DC, DD (each player reads
the previous joint action from its own view).  Row player's payoffs:
CC -1, CD -3, DC 0, DD -2.

Implementation note
-------------------
The value is ``(1 - gamma) * start^T (I - gamma P)^-1 r``.  With a batched
``torch.linalg.solve`` on (B, 4, 4) and plain autograd, value + both players'
gradients at batch 8192 took 8-16 ms on one thread and 50-350 ms with two
threads on this shared 2-core machine (per-matrix LAPACK calls, strided autograd
ops on (B, 4, 4) tensors and OpenMP hand-offs).  Here the 4x4 system is solved
with an unrolled LU factorisation whose every step is one elementwise op over
the batch (batch-last rows of <= 4 x B elements, so at B = 8192 no op is split
over threads), and the first-order gradient is written in closed form
(:class:`_AnalyticValue`); ~1-1.5 ms unloaded (benchmarks/bench_ipd.py):

* ``A = I - gamma P`` is strictly row diagonally dominant (rows of ``P`` sum to 1,
  ``gamma < 1``), so LU without pivoting is stable; LAPACK's partial pivoting on
  ``A^T`` (column diagonally dominant) would not swap rows either.
* occupancy ``m = A^-T start``; for an upstream ``(g1, g2)`` let
  ``rho = (1 - gamma) (g1 r1 + g2 r2)`` and ``Z = A^-1 rho``.  Then
  ``dL/dstart = Z`` and ``dL/dP = gamma m Z^T``; both are pushed through the
  outer-product structure of ``start`` and of each row of ``P`` and through the
  sigmoid.
* Higher-order derivatives (LOLA's double backprop, M-MAML's unrolled NL steps):
  when the backward pass runs with ``create_graph=True`` it recomputes the
  forward quantities from the saved logits with ordinary differentiable ops, so
  the returned gradient is itself an ordinary autograd graph of the logits (and
  of the upstream gradients), differentiable to any order.

The result equals the ``linalg.solve`` formulation to rounding (tests compare
both).  ``torch.func`` transforms (vmap/jacrev) are not supported by the custom
Function; use ``torch.autograd.grad`` (with ``create_graph=True`` for higher
orders).
"""

from __future__ import annotations

import torch

#: row player's payoff of the joint states CC, CD, DC, DD
PAYOFF_ROW = (-1.0, -3.0, 0.0, -2.0)
#: the column player's reward in the same (row-view) states
PAYOFF_COL = (-1.0, 0.0, -3.0, -2.0)
#: player 2 sees CD as DC and vice versa
SWAP_VIEW = (0, 2, 1, 3)
N_STATES = 5  # start + 4 joint states
COOPERATE, DEFECT = 0, 1

#: permutation of a 5-entry policy vector into the other player's frame (an involution)
SWAP_POLICY = (0, 1, 3, 2, 4)
_SWAP_POLICY = SWAP_POLICY


def _joint(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Distribution over CC, CD, DC, DD from P(C) of the row (x) and column (y) player."""
    return torch.stack([x * y, x * (1 - y), (1 - x) * y, (1 - x) * (1 - y)], dim=-1)


# ---------------------------------------------------------------------------
# unrolled 4x4 LU (no pivoting) on batch-last entries
# ---------------------------------------------------------------------------
def _lu4(a):
    """In-place (on the list) Doolittle LU of a 4x4 list-of-lists of (N,) tensors.

    Afterwards ``a[i][j]`` holds U for ``j >= i`` and the unit-lower L for ``j < i``.
    """
    for k in range(3):
        akk = a[k][k]
        for i in range(k + 1, 4):
            lik = a[i][k] / akk
            a[i][k] = lik
            for j in range(k + 1, 4):
                a[i][j] = torch.addcmul(a[i][j], lik, a[k][j], value=-1.0)
    return a


def _solve_transposed(lu, b):
    """Solve ``A^T m = b`` from the LU of A (``A^T = U^T L^T``); b: list of 4 (N,) tensors."""
    w = []
    for i in range(4):  # U^T w = b, forward substitution
        acc = b[i]
        for k in range(i):
            acc = torch.addcmul(acc, lu[k][i], w[k], value=-1.0)
        w.append(acc / lu[i][i])
    m = [None] * 4
    for i in range(3, -1, -1):  # L^T m = w, back substitution (unit diagonal)
        acc = w[i]
        for k in range(i + 1, 4):
            acc = torch.addcmul(acc, lu[k][i], m[k], value=-1.0)
        m[i] = acc
    return m


def _solve(lu, b):
    """Solve ``A z = b`` from the LU of A; b: list of 4 (N,) tensors."""
    y = []
    for i in range(4):  # L y = b (unit diagonal)
        acc = b[i]
        for k in range(i):
            acc = torch.addcmul(acc, lu[i][k], y[k], value=-1.0)
        y.append(acc)
    z = [None] * 4
    for i in range(3, -1, -1):  # U z = y
        acc = y[i]
        for k in range(i + 1, 4):
            acc = torch.addcmul(acc, lu[i][k], z[k], value=-1.0)
        z[i] = acc / lu[i][i]
    return z


def _lincomb(pairs, like):
    """sum_k coef_k * tensor_k over the pairs with a non-zero coefficient (zeros if none)."""
    acc = None
    for coef, t in pairs:
        if coef == 0:
            continue
        acc = t * coef if acc is None else torch.add(acc, t, alpha=coef)
    return torch.zeros_like(like) if acc is None else acc


def _forward(theta_1: torch.Tensor, theta_2: torch.Tensor, gamma: float):
    """Values and the quantities the gradient needs; differentiable if grad mode is on.

    ``theta_i``: (N, 5).  Returns ``(v1, v2)`` (N,) each and a cache dict.  Tensors are
    batch-last with at most 4 rows, so that at batch 8192 no op exceeds ATen's
    parallel grain (32768 elements): on a shared 2-core machine a thread hand-off
    costs more than the arithmetic.
    """
    t1, t2 = theta_1.t(), theta_2.t()  # (5, N) views
    x0, y0 = torch.sigmoid(t1[0]), torch.sigmoid(t2[0])  # P(C) at the start
    # X[s] = player 1's P(C) after its state s; Y[s] = player 2's P(C) after player 1's
    # state s, i.e. after player 2's state SWAP_VIEW[s] (entries 1, 3, 2, 4)
    X = torch.sigmoid(t1[1:].contiguous())
    Y = torch.sigmoid(torch.cat([t2[1:2], t2[3:4], t2[2:3], t2[4:5]]))
    xb0, yb0, XB, YB = 1 - x0, 1 - y0, 1 - X, 1 - Y
    start = [x0 * y0, x0 * yb0, xb0 * y0, xb0 * yb0]  # CC, CD, DC, DD
    # A = I - gamma P; column j of P (next state CC, CD, DC, DD) over the from-states
    gX, gXB = X * (-gamma), XB * (-gamma)
    cols = [gX * Y, gX * YB, gXB * Y, gXB * YB]  # -gamma P[:, j], (4 from, N)
    a = [[cols[j][i] + 1.0 if i == j else cols[j][i] for j in range(4)] for i in range(4)]
    lu = _lu4(a)
    m = _solve_transposed(lu, start)  # discounted occupancy of CC, CD, DC, DD
    c = 1 - gamma
    v1 = _lincomb([(c * r, t) for r, t in zip(PAYOFF_ROW, m, strict=True)], m[0])
    v2 = _lincomb([(c * r, t) for r, t in zip(PAYOFF_COL, m, strict=True)], m[0])
    cache = {"x0": x0, "y0": y0, "xb0": xb0, "yb0": yb0, "X": X, "Y": Y, "XB": XB, "YB": YB, "lu": lu, "m": m,
             "start": start}
    return v1, v2, cache


def _backward(cache, g1, g2, gamma: float):
    """Gradients wrt the (N, 5) logits for upstream gradients ``g1``, ``g2`` (None = 0)."""
    x0, y0, X, Y, lu = (cache[k] for k in ("x0", "y0", "X", "Y", "lu"))
    c = 1 - gamma
    # rho = (1 - gamma) (g1 r1 + g2 r2)
    rho = [_lincomb([(c * r, g) for r, g in ((r1, g1), (r2, g2)) if g is not None], x0)
           for r1, r2 in zip(PAYOFF_ROW, PAYOFF_COL, strict=True)]
    z = _solve(lu, rho)  # dL/dstart = z, dL/dP = gamma m z^T
    if "wX" not in cache:  # d p / d theta, times gamma m for the rows of P
        W = torch.stack(cache["m"]) * gamma
        cache["wX"] = X * cache["XB"] * W
        cache["wY"] = Y * cache["YB"] * W
        cache["wx0"] = x0 * cache["xb0"]
        cache["wy0"] = y0 * cache["yb0"]
    # d/dx = (z_CC - z_DC) y + (z_CD - z_DD) (1 - y) = d13 + (z_CC - z_DC - d13) y
    d13, d23 = z[1] - z[3], z[2] - z[3]
    e_x, e_y = z[0] - z[2] - d13, z[0] - z[1] - d23
    dX = cache["wX"] * torch.addcmul(d13, e_x, Y)  # (4, N)
    dY = cache["wY"] * torch.addcmul(d23, e_y, X)
    dx0 = cache["wx0"] * torch.addcmul(d13, e_x, y0)
    dy0 = cache["wy0"] * torch.addcmul(d23, e_y, x0)
    grad_1 = torch.cat([dx0.unsqueeze(0), dX]).t()
    grad_2 = torch.cat([dy0.unsqueeze(0), dY[0:1], dY[2:3], dY[1:2], dY[3:4]]).t()  # player 2's frame
    return grad_1, grad_2


class _AnalyticValue(torch.autograd.Function):
    """(theta_1, theta_2) (N, 5) -> (v1, v2) (N,), with a closed-form backward."""

    @staticmethod
    def forward(ctx, theta_1, theta_2, gamma):
        v1, v2, cache = _forward(theta_1, theta_2, gamma)
        ctx.save_for_backward(theta_1, theta_2)
        ctx.cache = cache
        ctx.gamma = gamma
        ctx.set_materialize_grads(False)
        return v1, v2

    @staticmethod
    def backward(ctx, g1, g2):
        if g1 is None and g2 is None:
            return None, None, None
        theta_1, theta_2 = ctx.saved_tensors
        if torch.is_grad_enabled():
            # create_graph=True: rebuild the forward quantities as a graph of the
            # logits so that the gradient is differentiable again
            _, _, cache = _forward(theta_1, theta_2, ctx.gamma)
        else:
            cache = ctx.cache
        grad_1, grad_2 = _backward(cache, g1, g2, ctx.gamma)
        return grad_1, grad_2, None


def analytic_payoffs(theta_1: torch.Tensor, theta_2: torch.Tensor, gamma: float = 0.96):
    """Each player's average reward per step, (1 - gamma) * discounted value, for a batch of games.

    ``theta_i`` has shape (..., 5): logits of P(cooperate) in the start state and after
    CC, CD, DC, DD as seen by player i.  Differentiable in both.  Returns (v1, v2),
    each shaped like the batch dimensions.
    """
    gamma = float(gamma)
    if theta_1.dtype != theta_2.dtype:
        dtype = torch.promote_types(theta_1.dtype, theta_2.dtype)
        theta_1, theta_2 = theta_1.to(dtype), theta_2.to(dtype)
    if theta_1.shape != theta_2.shape:
        theta_1, theta_2 = torch.broadcast_tensors(theta_1, theta_2)
    batch_shape = theta_1.shape[:-1]
    v1, v2 = _AnalyticValue.apply(theta_1.reshape(-1, 5), theta_2.reshape(-1, 5), gamma)
    return v1.reshape(batch_shape), v2.reshape(batch_shape)


def markov_chain(theta_1: torch.Tensor, theta_2: torch.Tensor, gamma: float = 0.96):
    """The joint-state Markov chain of two memory-1 policies, in player 1's view.

    Returns ``(start, transition, occupancy)`` shaped (..., 4), (..., 4, 4) and (..., 4):
    the distribution of the first joint action over CC, CD, DC, DD, the transition
    matrix ``P[from, to]`` and the *discounted* occupancy
    ``m = start^T (I - gamma P)^-1 = sum_t gamma^t P(s_t = .)`` (not multiplied by
    ``1 - gamma``; ``(1 - gamma) m @ r`` is :func:`analytic_payoffs`).  Plain autograd
    (differentiable to any order); used by agents that need more than the two values.
    """
    gamma = float(gamma)
    if theta_1.shape != theta_2.shape:
        theta_1, theta_2 = torch.broadcast_tensors(theta_1, theta_2)
    batch_shape = theta_1.shape[:-1]
    _, _, cache = _forward(theta_1.reshape(-1, 5), theta_2.reshape(-1, 5), gamma)
    X, Y, XB, YB = (cache[k] for k in ("X", "Y", "XB", "YB"))
    transition = torch.stack([X * Y, X * YB, XB * Y, XB * YB], dim=-1).transpose(0, 1)  # (N, 4, 4)
    start = torch.stack(cache["start"], dim=-1)
    occupancy = torch.stack(cache["m"], dim=-1)
    return (start.reshape(*batch_shape, 4), transition.reshape(*batch_shape, 4, 4),
            occupancy.reshape(*batch_shape, 4))


def analytic_payoffs_reference(theta_1: torch.Tensor, theta_2: torch.Tensor, gamma: float = 0.96):
    """Plain-autograd ``torch.linalg.solve`` formulation of :func:`analytic_payoffs` (for tests)."""
    p1 = torch.sigmoid(theta_1)
    p2 = torch.sigmoid(theta_2)
    start = _joint(p1[..., 0], p2[..., 0])  # (..., 4)
    x = p1[..., 1:]  # row player's P(C) after CC, CD, DC, DD
    y = p2[..., 1:][..., list(SWAP_VIEW)]  # column player's P(C), re-indexed to the row view
    transition = _joint(x, y)  # (..., 4 from, 4 to)
    eye = torch.eye(4, dtype=transition.dtype, device=transition.device)
    occupancy = torch.linalg.solve((eye - gamma * transition).transpose(-1, -2), start.unsqueeze(-1)).squeeze(-1)
    r1 = torch.tensor(PAYOFF_ROW, dtype=occupancy.dtype, device=occupancy.device)
    r2 = torch.tensor(PAYOFF_COL, dtype=occupancy.dtype, device=occupancy.device)
    return (1 - gamma) * (occupancy @ r1), (1 - gamma) * (occupancy @ r2)
