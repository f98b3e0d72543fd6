"""Iterated prisoner's dilemma: exact values of memory-1 policies (IPD-Analytic).

Actions: 0 = cooperate (C), 1 = defect (D).  Joint states, from the row player's
view, are ordered CC, CD, DC, DD (own action first).  A memory-1 policy is 5 logits
of P(cooperate): in the start state and after CC, CD, DC, DD (each player reads
the previous joint action from its own view).  Row player's payoffs:
CC -1, CD -3, DC 0, DD -2.

Implementation note
-------------------
The value is ``(1 - gamma) * start^T (I - gamma P)^-1 r``.  A batched
``torch.linalg.solve`` on 4x4 matrices costs ~50 ms (value + both gradients) at
batch 8192, almost all of it per-matrix LAPACK overhead and strided autograd
bookkeeping.  Here the 4x4 system is solved with an unrolled LU factorisation
whose every step is one elementwise op over the whole batch (batch-last,
contiguous rows), and the first-order gradient is written in closed form
(:class:`_AnalyticValue`):

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
_SWAP_POLICY = (0, 1, 3, 2, 4)


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


def _rewards(dtype, device):
    return torch.tensor([PAYOFF_ROW, PAYOFF_COL], dtype=dtype, device=device)  # (2, 4)


def _forward(theta_1: torch.Tensor, theta_2: torch.Tensor, gamma: float):
    """Values and the quantities the gradient needs; differentiable if grad mode is on.

    ``theta_i``: (N, 5).  Returns ``v`` (2, N) and a cache dict.
    """
    # batch-last, contiguous rows: x[k] = player 1's P(C) in its state k,
    # y[k] = player 2's P(C) in player 1's state k (player 2's vector re-indexed)
    x = torch.sigmoid(theta_1.t().contiguous())  # (5, N)
    y = torch.sigmoid(theta_2.t()[list(_SWAP_POLICY)].contiguous())  # (5, N)
    xb, yb = 1 - x, 1 - y
    # joint distributions: J[a, b, k] = X_a[k] * Y_b[k]; next joint state index 2a + b.
    # k = 0 gives the start distribution, k = 1..4 the rows of P (from-state k - 1).
    J = (torch.stack([x, xb]).unsqueeze(1) * torch.stack([y, yb]).unsqueeze(0)).reshape(4, 5, -1)
    start = J[:, 0]  # (4 to, N)
    A_T = J[:, 1:] * (-gamma)  # A^T[to, from] = -gamma P[from, to] (+ I below)
    a = [[None] * 4 for _ in range(4)]
    for i in range(4):
        for j in range(4):
            a[i][j] = A_T[j, i] + 1.0 if i == j else A_T[j, i]
    lu = _lu4(a)
    m = _solve_transposed(lu, list(start.unbind(0)))  # occupancy, discounted
    m_t = torch.stack(m)  # (4, N)
    v = (1 - gamma) * (_rewards(m_t.dtype, m_t.device) @ m_t)  # (2, N)
    return v, {"x": x, "y": y, "xb": xb, "yb": yb, "lu": lu, "m": m_t}


def _backward(cache, g: torch.Tensor, gamma: float):
    """Gradients wrt the (N, 5) logits for the upstream ``g`` (2, N) on (v1, v2)."""
    x, y, xb, yb, lu, m = (cache[k] for k in ("x", "y", "xb", "yb", "lu", "m"))
    rho = ((1 - gamma) * _rewards(g.dtype, g.device)).t() @ g  # (4, N)
    z = _solve(lu, list(rho.unbind(0)))  # dL/dstart = z, dL/dP = gamma m z^T
    d02, d13 = z[0] - z[2], z[1] - z[3]  # own action C vs D, for opponent C / D
    d01, d23 = z[0] - z[1], z[2] - z[3]  # opponent C vs D, for own C / D
    weight = torch.cat([torch.ones_like(m[:1]), gamma * m])  # (5, N): start, then gamma m
    dx = weight * (d02 * y + d13 * yb) * (x * xb)  # chain through sigmoid
    dy = weight * (d01 * x + d23 * xb) * (y * yb)
    grad_1 = dx.t()
    grad_2 = dy[list(_SWAP_POLICY)].t()  # back into player 2's own frame
    return grad_1, grad_2


class _AnalyticValue(torch.autograd.Function):
    """(theta_1, theta_2) (N, 5) -> (v1, v2) (N,), with a closed-form backward."""

    @staticmethod
    def forward(ctx, theta_1, theta_2, gamma):
        v, cache = _forward(theta_1, theta_2, gamma)
        ctx.save_for_backward(theta_1, theta_2)
        ctx.cache = cache
        ctx.gamma = gamma
        return v[0], v[1]

    @staticmethod
    def backward(ctx, g1, g2):
        theta_1, theta_2 = ctx.saved_tensors
        if torch.is_grad_enabled():
            # create_graph=True: rebuild the forward quantities as a graph of the
            # logits so that the gradient is differentiable again
            _, cache = _forward(theta_1, theta_2, ctx.gamma)
        else:
            cache = ctx.cache
        grad_1, grad_2 = _backward(cache, torch.stack([g1, g2]), ctx.gamma)
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
