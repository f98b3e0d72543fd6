"""Tests of the gradient-adjustment engine (``mixedmotive.gradients``).

Every expected value is derived independently of the engine: quadratic games are
built from known matrices, so their gradients and Hessians are written down in
numpy; the AgA paper's two-player game is differentiated symbolically with sympy.

Notation (flat parameter vector ``w`` of length ``d``, player ``i`` owns block ``B_i``):

* quadratic losses  l_i(w) = 1/2 w^T Q_i w + b_i^T w + c_i,  S_i = (Q_i + Q_i^T) / 2,
  grad l_i = S_i w + b_i;
* xi = (grad_{B_i} l_i)_i,  game Hessian H = rows B_i of S_i, stacked (d x d);
* xi_c = sum_i grad l_i,  H_c = sum_i S_i (for the default collective loss).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest
import sympy as sp
import torch

from mixedmotive.gradients import METHODS, DirectionInfo, direction

DT = torch.float64
TOL = dict(rtol=1e-10, atol=1e-10)

# Parameter layouts: one entry per player, a shape (-> a tensor) or a list of shapes
# (-> a list of tensors).  Flat order: players in order, tensors in order, row-major.
LAYOUT3 = [(2,), (2, 2), [(3,), (2, 1)]]  # vector, 2x2 matrix, list of two tensors
LAYOUT4 = [(2,), (2, 2), [(3,), (2, 1)], ()]  # ... plus a 0-dim scalar
LAYOUT2 = [(2,), [(2, 2), (1,)]]


# --------------------------------------------------------------------------- helpers


def _shapes(entry) -> list[tuple]:
    return [entry] if isinstance(entry, tuple) else list(entry)


def _numel(shape) -> int:
    return int(np.prod(shape, dtype=int))


def _blocks(layout) -> list[slice]:
    out, k = [], 0
    for entry in layout:
        m = sum(_numel(s) for s in _shapes(entry))
        out.append(slice(k, k + m))
        k += m
    return out


def _dim(layout) -> int:
    return _blocks(layout)[-1].stop


def make_params(layout, w):
    """Leaf tensors with ``layout``'s structure holding ``w`` ((d,) or batched (B, d))."""
    w = np.asarray(w, dtype=float)
    lead = w.shape[:-1]
    params, k = [], 0
    for entry in layout:
        tensors = []
        for shape in _shapes(entry):
            m = _numel(shape)
            chunk = w[..., k : k + m].reshape(tuple(lead) + tuple(shape))
            tensors.append(torch.tensor(chunk, dtype=DT, requires_grad=True))
            k += m
        params.append(tensors[0] if isinstance(entry, tuple) else tensors)
    return params


def _leaves(params) -> list[torch.Tensor]:
    return [t for p in params for t in ([p] if isinstance(p, torch.Tensor) else p)]


def player_pieces(params, batched=False) -> list[torch.Tensor]:
    """Each player's parameters flattened into one vector ((m_i,) or (B, m_i))."""
    out = []
    for p in params:
        tensors = [p] if isinstance(p, torch.Tensor) else p
        if batched:
            out.append(torch.cat([t.reshape(t.shape[0], -1) for t in tensors], dim=1))
        else:
            out.append(torch.cat([t.reshape(-1) for t in tensors]))
    return out


def flatten_direction(out, params, batched=False) -> np.ndarray:
    """Check that ``out`` mirrors ``params`` (no graph attached) and flatten it."""
    assert isinstance(out, list) and len(out) == len(params)
    pieces = []
    for o, p in zip(out, params, strict=True):
        if isinstance(p, torch.Tensor):
            assert isinstance(o, torch.Tensor)
            pairs = [(o, p)]
        else:
            assert isinstance(o, list) and len(o) == len(p)
            assert all(isinstance(x, torch.Tensor) for x in o)
            pairs = list(zip(o, p, strict=True))
        for x, q in pairs:
            assert x.shape == q.shape
            assert x.dtype == DT
            assert not x.requires_grad and x.grad_fn is None
            a = x.detach().numpy()
            pieces.append(a.reshape(a.shape[0], -1) if batched else a.reshape(-1))
    return np.concatenate(pieces, axis=-1)


def _sign(x: float) -> float:
    return float(np.sign(x))


def assert_lam(info: DirectionInfo, expected: float) -> None:
    """The signed lambda reported in ``info`` (its dtype is checked separately, in
    test_info_lam_is_exact_float64, so a float32 report passes here)."""
    assert info.lam is not None
    assert float(info.lam) == pytest.approx(expected, rel=1e-7, abs=0.0)


@dataclass
class QuadGame:
    """l_i(w) = 1/2 w^T Q_i w + b_i^T w + c_i with known matrices.

    Players in ``linear_own`` have a loss that is *structurally* linear in their own
    parameters: the quadratic form only sees the other players' blocks (Q_i's rows
    and columns of block i are zeroed accordingly).
    """

    layout: list
    Q: list
    b: list
    c: list
    linear_own: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        self.blocks = _blocks(self.layout)
        self.d = _dim(self.layout)
        self.Q = [np.array(q, dtype=float) for q in self.Q]
        for i in self.linear_own:
            self.Q[i][self.blocks[i], :] = 0.0
            self.Q[i][:, self.blocks[i]] = 0.0

    @property
    def n(self) -> int:
        return len(self.layout)

    # ---- numpy ground truth
    def S(self, i) -> np.ndarray:
        return 0.5 * (self.Q[i] + self.Q[i].T)

    def values(self, w) -> np.ndarray:
        return np.array([0.5 * w @ q @ w + b @ w + c for q, b, c in zip(self.Q, self.b, self.c, strict=True)])

    def grads(self, w) -> list[np.ndarray]:
        return [self.S(i) @ w + self.b[i] for i in range(self.n)]

    def xi(self, w) -> np.ndarray:
        return np.concatenate([g[blk] for g, blk in zip(self.grads(w), self.blocks, strict=True)])

    def H(self) -> np.ndarray:
        return np.vstack([self.S(i)[blk, :] for i, blk in enumerate(self.blocks)])

    def Hc(self, weights=None) -> np.ndarray:
        weights = np.ones(self.n) if weights is None else weights
        return sum(a * self.S(i) for i, a in enumerate(weights))

    def xi_c(self, w, weights=None) -> np.ndarray:
        weights = np.ones(self.n) if weights is None else weights
        return sum(a * g for a, g in zip(weights, self.grads(w), strict=True))

    # ---- torch losses (graph attached)
    def torch_losses(self, pieces: list[torch.Tensor]) -> list[torch.Tensor]:
        """Losses of one game from the players' flat parameter vectors."""
        W = torch.cat(pieces)
        out = []
        for i in range(self.n):
            Wq = W
            if i in self.linear_own:  # the quadratic form never sees player i's parameters
                Wq = torch.cat([torch.zeros_like(x) if j == i else x for j, x in enumerate(pieces)])
            q, b = torch.as_tensor(self.Q[i]), torch.as_tensor(self.b[i])
            out.append(0.5 * Wq @ q @ Wq + b @ W + self.c[i])
        return out


def random_game(seed, layout=LAYOUT3, with_b=True, consts=None, linear_own=()) -> QuadGame:
    rng = np.random.default_rng(seed)
    n, d = len(layout), _dim(layout)
    Q = [rng.normal(size=(d, d)) for _ in range(n)]
    b = [rng.normal(size=d) if with_b else np.zeros(d) for _ in range(n)]
    c = list(consts) if consts is not None else list(rng.normal(size=n))
    return QuadGame(layout, Q, b, c, frozenset(linear_own))


def curvature_game(seed, Hc_target, layout=LAYOUT3) -> QuadGame:
    """A game with non-symmetric H whose collective Hessian is exactly ``Hc_target``."""
    rng = np.random.default_rng(seed)
    n, d = len(layout), _dim(layout)
    Q = [rng.normal(size=(d, d)) for _ in range(n - 1)]
    S_sum = sum(0.5 * (q + q.T) for q in Q)
    Q.append(np.asarray(Hc_target, dtype=float) - S_sum)  # symmetric remainder
    b = [rng.normal(size=d) for _ in range(n)]
    return QuadGame(layout, Q, b, list(rng.normal(size=n)))


# ---- reference formulas (numpy)


def ref_cga(xi, H, lam):
    return xi + lam * H.T @ xi


def sga_align_value(xi, H):
    A = 0.5 * (H - H.T)
    ht_xi = H.T @ xi
    return (xi @ ht_xi) * ((A.T @ xi) @ ht_xi) / xi.size + 0.1


def ref_sga(xi, H, lam, align):
    A = 0.5 * (H - H.T)
    lam_s = abs(lam) * _sign(sga_align_value(xi, H)) if align else lam
    return xi + lam_s * A.T @ xi, lam_s


def ref_aga(xi, xi_c, Hc, lam):
    g = Hc @ xi_c
    lam_s = abs(lam) * _sign((xi_c @ g) * (xi @ g + g @ g))
    return xi_c + lam_s * (xi + g), lam_s


def ref_quadratic(game: QuadGame, w, method, lam=1.0, sga_align=True, weights=None, kappa=0.0):
    """(expected direction, expected signed lambda or None) for a quadratic game."""
    xi, H = game.xi(w), game.H()
    xi_c = game.xi_c(w, weights) + kappa * w
    Hc = game.Hc(weights) + kappa * np.eye(game.d)
    if method == "simul_ind":
        return xi, None
    if method == "simul_co":
        return xi_c, None
    if method == "cga":
        return ref_cga(xi, H, lam), lam
    if method == "sga":
        return ref_sga(xi, H, lam, sga_align)
    if method == "aga":
        return ref_aga(xi, xi_c, Hc, lam)
    raise AssertionError(method)


def run_engine(game: QuadGame, w, method, **kwargs):
    """Engine direction (flattened, numpy) and the DirectionInfo for one game."""
    params = make_params(game.layout, w)
    losses = game.torch_losses(player_pieces(params))
    info = DirectionInfo()
    out = direction(method, losses, params, info=info, **kwargs)
    return flatten_direction(out, params), info


def batched_losses(games: list[QuadGame], params) -> list[torch.Tensor]:
    """Per-game loss vectors (B,) of a batch of games sharing one layout."""
    pieces = player_pieces(params, batched=True)
    per_game = [g.torch_losses([x[k] for x in pieces]) for k, g in enumerate(games)]
    return [torch.stack([pg[i] for pg in per_game]) for i in range(games[0].n)]


def run_engine_batched(games: list[QuadGame], W, method, **kwargs):
    params = make_params(games[0].layout, W)
    losses = batched_losses(games, params)
    info = DirectionInfo()
    out = direction(method, losses, params, batched=True, info=info, **kwargs)
    return flatten_direction(out, params, batched=True), info


def _near(seed, d, scale=1.0):
    return scale * np.random.default_rng(seed).normal(size=d)


# ------------------------------------------------- 1. quadratic games, known matrices


QUAD_CASES = [
    ("simul_ind", {}),
    ("simul_co", {}),
    ("cga", dict(lam=1.0)),
    ("cga", dict(lam=0.37)),
    ("cga", dict(lam=-0.6)),
    ("sga", dict(lam=1.0, sga_align=False)),
    ("sga", dict(lam=-0.45, sga_align=False)),
    ("sga", dict(lam=0.8, sga_align=True)),
    ("aga", dict(lam=1.0)),
    ("aga", dict(lam=-0.3)),
]


@pytest.mark.parametrize("layout", [LAYOUT3, LAYOUT4], ids=["3players", "4players"])
@pytest.mark.parametrize("method,kwargs", QUAD_CASES)
def test_quadratic_game_matches_numpy(layout, method, kwargs):
    game = random_game(0, layout)
    w = _near(1, game.d)
    H = game.H()
    assert np.abs(H - H.T).max() > 0.1  # a genuinely non-potential game: A != 0
    expected, lam_s = ref_quadratic(game, w, method, **kwargs)
    got, info = run_engine(game, w, method, **kwargs)
    np.testing.assert_allclose(got, expected, **TOL)
    if lam_s is not None:
        assert info.lam is not None
        assert_lam(info, lam_s)


@pytest.mark.parametrize(
    "method,kwargs",
    [
        ("cga", dict(lam=0.37)),
        ("sga", dict(lam=0.37, sga_align=False)),
        ("sga", dict(lam=0.37, sga_align=True)),
        ("aga", dict(lam=0.37)),
    ],
)
def test_info_lam_is_exact_float64(method, kwargs):
    """In a float64 game the reported lambda is the float64 value actually used
    (the direction itself is computed with the Python float lam)."""
    game = random_game(0, LAYOUT3)
    w = _near(1, game.d)
    _, lam_s = ref_quadratic(game, w, method, **kwargs)
    _, info = run_engine(game, w, method, **kwargs)
    assert isinstance(info.lam, torch.Tensor)
    assert info.lam.dtype == DT
    assert float(info.lam) == lam_s


def test_quadratic_game_dense_hessians_are_what_autograd_sees():
    """Sanity check of the numpy model itself: H and H_c equal autograd Jacobians."""
    game = random_game(0, LAYOUT4)
    w = torch.tensor(_near(1, game.d), dtype=DT)

    def losses_of(W):
        return game.torch_losses([W[blk] for blk in game.blocks])

    def xi_fn(W):
        gs = [torch.autograd.grad(loss, W, create_graph=True)[0] for loss in losses_of(W)]
        return torch.cat([g[blk] for g, blk in zip(gs, game.blocks, strict=True)])

    def xic_fn(W):
        return torch.autograd.grad(sum(losses_of(W)), W, create_graph=True)[0]

    wr = w.clone().requires_grad_(True)
    np.testing.assert_allclose(torch.autograd.functional.jacobian(xi_fn, wr).numpy(), game.H(), **TOL)
    np.testing.assert_allclose(torch.autograd.functional.jacobian(xic_fn, wr).numpy(), game.Hc(), **TOL)


# (seed, scale of w, expected alignment sign).  b = 0, so the alignment product is
# quartic in the scale: a small scale lets the +0.1 win even where the product is < 0.
SGA_ALIGN_CASES = [
    pytest.param(0, 1.0, +1.0, id="product>0"),
    pytest.param(1, 1.0, -1.0, id="product<0"),
    pytest.param(8, 0.7, -1.0, id="product<0-b"),
    pytest.param(1, 0.05, +1.0, id="product<0-but-eps-wins"),
]


@pytest.mark.parametrize("seed,scale,expected_sign", SGA_ALIGN_CASES)
@pytest.mark.parametrize("lam", [1.0, -0.7])
def test_sga_alignment_sign(seed, scale, expected_sign, lam):
    game = random_game(seed, LAYOUT3, with_b=False)
    w = _near(100 + seed, game.d, scale)
    xi, H = game.xi(w), game.H()
    align = sga_align_value(xi, H)
    assert _sign(align) == expected_sign  # the case really is on that side
    if seed == 1 and scale < 1:
        assert align - 0.1 < 0  # the product itself is negative: eps decides
    A = 0.5 * (H - H.T)
    expected = xi + expected_sign * abs(lam) * (A.T @ xi)

    got, info = run_engine(game, w, "sga", lam=lam, sga_align=True)
    np.testing.assert_allclose(got, expected, **TOL)
    assert_lam(info, expected_sign * abs(lam))

    # without alignment lam is used as given
    got, info = run_engine(game, w, "sga", lam=lam, sga_align=False)
    np.testing.assert_allclose(got, xi + lam * (A.T @ xi), **TOL)
    assert_lam(info, lam)


def test_sga_on_potential_game_equals_simul_ind():
    """Symmetric H (all players share one loss): A = 0, so SGA is plain xi."""
    game = random_game(3, LAYOUT3)
    shared = 0.5 * (game.Q[0] + game.Q[0].T)
    game = QuadGame(LAYOUT3, [shared] * 3, [game.b[0]] * 3, [0.0] * 3)
    w = _near(4, game.d)
    assert np.allclose(game.H(), game.H().T)
    got, _ = run_engine(game, w, "sga", lam=2.0, sga_align=False)
    np.testing.assert_allclose(got, game.xi(w), **TOL)


@pytest.mark.parametrize(
    "method,kwargs",
    [
        ("cga", dict(lam=0.9)),
        ("aga", dict(lam=0.9)),
        ("sga", dict(lam=0.9, sga_align=False)),
        ("sga", dict(lam=0.9, sga_align=True)),
    ],
)
def test_player_with_loss_linear_in_own_params(method, kwargs):
    """Player 0's loss is linear in its own parameters (its xi block is a constant,
    detached from the graph) while the others' are quadratic.  H's rows of block 0
    are zero; the formulas still apply."""
    game = random_game(5, LAYOUT3, linear_own={0})
    w = _near(6, game.d)
    assert np.all(game.H()[game.blocks[0], :] == 0)
    expected, lam_s = ref_quadratic(game, w, method, **kwargs)
    got, info = run_engine(game, w, method, **kwargs)
    np.testing.assert_allclose(got, expected, **TOL)
    assert_lam(info, lam_s)


# ------------------------------------------------------------- 2. AgA sign rule


def _fixed_point_setup(kind, curvature, side, delta=1e-2):
    """Game with H_c = +-1.5 I (``isotropic``) or +-(R R^T + I/2) (``general``), and a
    point w = w* + side * delta * v with v along xi(w*), so that sign<xi, H_c xi_c>
    = side and the AgA sign is known in advance: sign(curvature) * side."""
    d = _dim(LAYOUT3)
    if kind == "isotropic":
        M = 1.5 * np.eye(d)
    else:
        R = np.random.default_rng(11).normal(size=(d, d)) / math.sqrt(d)
        M = R @ R.T + 0.5 * np.eye(d)
    Hc = curvature * M
    game = curvature_game(7 if kind == "isotropic" else 9, Hc)
    np.testing.assert_allclose(game.Hc(), Hc, **TOL)
    w_star = np.linalg.solve(Hc, -sum(game.b))
    np.testing.assert_allclose(game.xi_c(w_star), 0.0, atol=1e-10)
    xi_star = game.xi(w_star)
    v = xi_star / np.linalg.norm(xi_star)
    return game, w_star, w_star + side * delta * v


@pytest.mark.parametrize("lam", [1.0, -0.5])
@pytest.mark.parametrize("side", [+1, -1])
@pytest.mark.parametrize("curvature", [+1.0, -1.0], ids=["stable", "unstable"])
@pytest.mark.parametrize("kind", ["isotropic", "general"])
def test_aga_sign_rule_near_fixed_points(kind, curvature, side, lam):
    game, w_star, w = _fixed_point_setup(kind, curvature, side)
    Hc, xi, xi_c = game.Hc(), game.xi(w), game.xi_c(w)
    g = Hc @ xi_c

    # stable (H_c > 0): <xi_c, H_c xi_c> > 0; unstable (H_c < 0): < 0
    assert _sign(xi_c @ g) == curvature
    assert _sign(xi @ g + g @ g) == side
    predicted = abs(lam) * _sign((xi_c @ g) * (xi @ g + g @ g))
    assert predicted == abs(lam) * curvature * side  # both signs occur over the grid

    got, info = run_engine(game, w, "aga", lam=lam)
    assert_lam(info, predicted)
    np.testing.assert_allclose(got, xi_c + predicted * (xi + g), **TOL)

    # Claim C1: <direction, grad of 1/2||xi_c||^2> has the sign of <xi_c, H_c xi_c>,
    # so a small descent step moves toward a stable fixed point and away from an
    # unstable one.  For isotropic H_c the Euclidean distance to w* is the measure,
    # in general the Hamiltonian ||xi_c|| = ||H_c (w - w*)||.
    eta = 1e-6

    def dist(x):
        if kind == "isotropic":
            return np.linalg.norm(x - w_star)
        return np.linalg.norm(game.xi_c(x))

    before, after = dist(w), dist(w - eta * got)
    if curvature > 0:
        assert after < before
    else:
        assert after > before
    # the same holds for the collective gradient dynamics themselves (Simul-Co) ...
    co, _ = run_engine(game, w, "simul_co")
    np.testing.assert_allclose(co, xi_c, **TOL)
    assert (dist(w - eta * co) < before) == (curvature > 0)
    # ... while the opposite sign of lambda would make the step go the wrong way here
    assert abs(lam * (xi @ g + g @ g)) > abs(xi_c @ g)
    wrong = xi_c - predicted * (xi + g)
    assert (dist(w - eta * wrong) < before) == (curvature < 0)


@pytest.mark.parametrize("lam", [1.0, 2.5])
@pytest.mark.parametrize("structural", [True, False], ids=["b^T w", "zero-Q quadratic"])
def test_aga_zero_sign_for_linear_losses_is_simul_co(lam, structural):
    """Linear losses: H_c = 0, so the sign is 0, lam' = 0 and AgA == Simul-Co exactly.

    ``structural``: the losses are written as b_i^T w (their gradients are constants,
    detached from the graph); otherwise as a quadratic form with Q_i = 0."""
    d = _dim(LAYOUT4)
    rng = np.random.default_rng(21)
    game = QuadGame(LAYOUT4, [np.zeros((d, d))] * 4, [rng.normal(size=d) for _ in range(4)], [0.0] * 4)
    w = _near(22, d)
    params = make_params(LAYOUT4, w)
    if structural:
        W = torch.cat(player_pieces(params))
        losses = [torch.as_tensor(b) @ W for b in game.b]
    else:
        losses = game.torch_losses(player_pieces(params))
    info = DirectionInfo()
    aga = direction("aga", losses, params, lam=lam, info=info)
    co = direction("simul_co", losses, params)
    assert_lam(info, 0.0)
    for a, c in zip(_leaves(aga), _leaves(co), strict=True):
        assert torch.equal(a, c)
    np.testing.assert_allclose(flatten_direction(aga, params), sum(game.b), **TOL)


# ---------------------------------------------- 3. batched == independent games


def _batch_of_games():
    """Four games of LAYOUT3 at four points; AgA and SGA signs differ across games."""
    d = _dim(LAYOUT3)
    games, points = [], []
    for kind, curv, side in [("isotropic", 1.0, 1), ("isotropic", -1.0, 1), ("general", 1.0, -1)]:
        g, _, w = _fixed_point_setup(kind, curv, side)
        games.append(g)
        points.append(w)
    # SGA alignment sign -1, but only just: product/d is about -0.27, so taking d as
    # the parameter count of the whole batch (4 d) instead of one game would flip it
    sga_game = random_game(1, LAYOUT3, with_b=False)
    games.append(sga_game)
    points.append(_near(101, d, 0.11))
    return games, np.stack(points)


BATCH_CASES = [
    ("simul_ind", {}),
    ("simul_co", {}),
    ("cga", dict(lam=0.8)),
    ("sga", dict(lam=0.8, sga_align=True)),
    ("sga", dict(lam=0.8, sga_align=False)),
    ("aga", dict(lam=0.8)),
]


@pytest.mark.parametrize("method,kwargs", BATCH_CASES)
def test_batched_equals_independent_games(method, kwargs):
    games, W = _batch_of_games()
    got, info = run_engine_batched(games, W, method, **kwargs)
    assert got.shape == W.shape

    refs = [ref_quadratic(g, W[k], method, **kwargs) for k, g in enumerate(games)]
    for k, (expected, _) in enumerate(refs):
        np.testing.assert_allclose(got[k], expected, **TOL)
        single, _ = run_engine(games[k], W[k], method, **kwargs)
        np.testing.assert_allclose(got[k], single, **TOL)

    if method == "sga" and kwargs["sga_align"]:
        xi, H = games[3].xi(W[3]), games[3].H()
        product_over_d = sga_align_value(xi, H) - 0.1
        assert -0.4 < product_over_d < -0.1  # sign -1 per game, +1 if d were 4 d
    if method == "aga" or (method == "sga" and kwargs["sga_align"]):
        lam_per_game = np.array([lam_s for _, lam_s in refs])
        assert set(np.sign(lam_per_game)) == {-1.0, 1.0}  # the signs really differ
        assert info.lam.shape == (len(games),)
        np.testing.assert_array_equal(info.lam.numpy(), lam_per_game)


# ------------------------------------------------------- 4. custom collective loss


@pytest.mark.parametrize("lam", [1.0, -0.4])
def test_custom_collective_loss(lam):
    """l_c = sum_i a_i l_i + kappa/2 ||w||^2: H_c = sum_i a_i S_i + kappa I."""
    game = random_game(31, LAYOUT3)
    weights, kappa = np.array([0.5, 2.0, 1.3]), 0.7
    w = _near(32, game.d)

    params = make_params(LAYOUT3, w)
    pieces = player_pieces(params)
    W = torch.cat(pieces)

    def collective(losses):
        return sum(float(a) * loss for a, loss in zip(weights, losses, strict=True)) + 0.5 * kappa * (W * W).sum()

    losses = game.torch_losses(pieces)
    co = flatten_direction(direction("simul_co", losses, params, collective_loss=collective(losses)), params)
    expected_co, _ = ref_quadratic(game, w, "simul_co", weights=weights, kappa=kappa)
    np.testing.assert_allclose(co, expected_co, **TOL)
    assert not np.allclose(co, game.xi_c(w))  # really not the default sum

    info = DirectionInfo()
    aga = direction("aga", losses, params, lam=lam, collective_loss=collective(losses), info=info)
    expected_aga, lam_s = ref_quadratic(game, w, "aga", lam=lam, weights=weights, kappa=kappa)
    np.testing.assert_allclose(flatten_direction(aga, params), expected_aga, **TOL)
    assert_lam(info, lam_s)


# ---------------------------------------------------------------- 5. SVO and SL


def ref_svo(game: QuadGame, w, angle, weight):
    """Own-block gradient of l~_i = l_i + weight * |angle - atan2(-mean_{j!=i} l_j, -l_i)|."""
    vals, grads = game.values(w), game.grads(w)
    out, signs = [], []
    for i, blk in enumerate(game.blocks):
        others = [j for j in range(game.n) if j != i]
        x, dx = -vals[i], -grads[i]
        y, dy = -np.mean(vals[others]), -np.mean([grads[j] for j in others], axis=0)
        phi = math.atan2(y, x)
        dphi = (x * dy - y * dx) / (x * x + y * y)
        signs.append(_sign(angle - phi))
        out.append((grads[i] + weight * _sign(angle - phi) * (-dphi))[blk])
    return np.concatenate(out), signs


def ref_sl(game: QuadGame, w, s):
    grads = game.grads(w)
    out = []
    for i, blk in enumerate(game.blocks):
        others = np.mean([grads[j] for j in range(game.n) if j != i], axis=0)
        out.append((s * grads[i] + (1 - s) * others)[blk])
    return np.concatenate(out)


def _shaping_game(n):
    # negative losses (positive rewards) of different sizes, small quadratic parts
    layout = LAYOUT2 if n == 2 else LAYOUT3
    consts = [-3.0, -1.0] if n == 2 else [-3.0, -1.0, -2.0]
    game = random_game(40 + n, layout, consts=consts)
    return game, _near(50 + n, game.d, 0.3)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("angle,weight", [(math.pi / 4, 0.2), (0.3, 0.7), (1.2, 0.5)])
def test_svo_matches_hand_formula(n, angle, weight):
    game, w = _shaping_game(n)
    expected, signs = ref_svo(game, w, angle, weight)
    got, _ = run_engine(game, w, "svo", svo_angle=angle, svo_weight=weight)
    np.testing.assert_allclose(got, expected, **TOL)
    if angle == math.pi / 4:
        assert set(signs) == {-1.0, 1.0}  # both branches of |.| are exercised


def test_svo_defaults_and_zero_weight():
    game, w = _shaping_game(3)
    got, _ = run_engine(game, w, "svo")
    np.testing.assert_allclose(got, ref_svo(game, w, math.pi / 4, 0.2)[0], **TOL)
    got, _ = run_engine(game, w, "svo", svo_weight=0.0)
    np.testing.assert_allclose(got, game.xi(w), **TOL)


@pytest.mark.parametrize("n", [2, 3])
def test_sl_selfish_is_simul_ind(n):
    game, w = _shaping_game(n)
    got, _ = run_engine(game, w, "sl", sl_self_interest=1.0)
    np.testing.assert_allclose(got, game.xi(w), **TOL)


@pytest.mark.parametrize("n", [2, 3])
def test_sl_one_over_n_is_mean_collective_gradient(n):
    game, w = _shaping_game(n)
    got, _ = run_engine(game, w, "sl", sl_self_interest=1.0 / n)
    np.testing.assert_allclose(got, game.xi_c(w) / n, **TOL)  # own blocks of grad(mean l)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("s", [0.0, 0.3, 0.75])
def test_sl_matches_hand_formula(n, s):
    game, w = _shaping_game(n)
    got, _ = run_engine(game, w, "sl", sl_self_interest=s)
    np.testing.assert_allclose(got, ref_sl(game, w, s), **TOL)


def test_sl_without_self_interest_raises():
    game, w = _shaping_game(2)
    with pytest.raises(ValueError, match="sl_self_interest"):
        run_engine(game, w, "sl")


@pytest.mark.parametrize("s", [-0.1, 1.5])
def test_sl_self_interest_out_of_range_raises(s):
    game, w = _shaping_game(2)
    with pytest.raises(ValueError):
        run_engine(game, w, "sl", sl_self_interest=s)


def test_unknown_method_raises_naming_it():
    game, w = _shaping_game(2)
    with pytest.raises(ValueError, match="'lola'"):
        run_engine(game, w, "lola")


def test_wrong_number_of_losses_raises():
    params = make_params(LAYOUT2, _near(0, _dim(LAYOUT2)))
    with pytest.raises(ValueError):
        direction("simul_ind", [torch.cat(player_pieces(params)).sum()], params)


# ----------------------------------------------------------- 6. returned structure


ALL_METHOD_KWARGS = {
    "simul_ind": {},
    "simul_co": {},
    "cga": dict(lam=0.5),
    "sga": dict(lam=0.5),
    "aga": dict(lam=0.5),
    "svo": {},
    "sl": dict(sl_self_interest=0.5),
}


def test_method_list_is_covered():
    assert set(METHODS) == set(ALL_METHOD_KWARGS)


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("method", list(ALL_METHOD_KWARGS))
def test_structure_shapes_and_no_graph(method, batched):
    if batched:
        games, W = _batch_of_games()
        params = make_params(LAYOUT3, W)
        losses = batched_losses(games, params)
    else:
        game = random_game(60, LAYOUT4, consts=[-1.0, -2.0, -3.0, -4.0])
        params = make_params(LAYOUT4, _near(61, game.d, 0.3))
        losses = game.torch_losses(player_pieces(params))
    out = direction(method, losses, params, batched=batched, **ALL_METHOD_KWARGS[method])
    assert isinstance(out, list) and len(out) == len(params)
    for o, p in zip(out, params, strict=True):
        if isinstance(p, torch.Tensor):
            assert isinstance(o, torch.Tensor)
            pairs = [(o, p)]
        else:
            assert isinstance(o, list) and len(o) == len(p)
            pairs = list(zip(o, p, strict=True))
        for x, q in pairs:
            assert isinstance(x, torch.Tensor)
            assert x.shape == q.shape and x.dtype == DT
            assert not x.requires_grad and x.grad_fn is None
            assert torch.isfinite(x).all()
    for p in _leaves(params):  # the engine leaves .grad of the parameters alone
        assert p.grad is None


# ----------------------------------------------------- 7. the AgA paper's game


def _paper_game_symbolic():
    a1, a2 = sp.symbols("a1 a2", real=True)
    l1 = -sp.sin(a1 * a2 + a2**2)
    l2 = -sp.cos(1 + a1 - (1 + a2) ** 2 + a1 * a2**2)
    xi = sp.Matrix([sp.diff(l1, a1), sp.diff(l2, a2)])
    lc = l1 + l2
    xi_c = sp.Matrix([sp.diff(lc, a1), sp.diff(lc, a2)])
    Hc = sp.hessian(lc, (a1, a2))
    Hg = xi.jacobian([a1, a2])  # game Hessian, for the SGA/CGA check
    return sp.lambdify((a1, a2), [m.tolist() for m in (xi, xi_c, Hc, Hg)], "math")


_PAPER = _paper_game_symbolic()


def paper_reference(a1, a2):
    xi, xi_c, Hc, Hg = (np.array(m, dtype=float) for m in _PAPER(a1, a2))
    return xi.ravel(), xi_c.ravel(), Hc, Hg


def paper_losses(a1, a2):
    l1 = -torch.sin(a1 * a2 + a2**2)
    l2 = -torch.cos(1 + a1 - (1 + a2) ** 2 + a1 * a2**2)
    return [l1, l2]


# two points with AgA sign +1, two with -1 (verified in the test)
PAPER_POINTS = [((0.3, -0.5), +1.0), ((1.2, 0.7), +1.0), ((0.5, -0.9), -1.0), ((0.4, 0.9), -1.0)]


def test_paper_game_symbolic_derivatives_are_sane():
    """The hand-derived first derivatives, written out, agree with sympy's."""
    for (x, y), _ in PAPER_POINTS:
        xi, xi_c, _, _ = paper_reference(x, y)
        u, v = x * y + y * y, 1 + x - (1 + y) ** 2 + x * y * y
        dl1 = (-math.cos(u) * y, -math.cos(u) * (x + 2 * y))
        dl2 = (math.sin(v) * (1 + y * y), math.sin(v) * (-2 * (1 + y) + 2 * x * y))
        np.testing.assert_allclose(xi, [dl1[0], dl2[1]], **TOL)
        np.testing.assert_allclose(xi_c, [dl1[0] + dl2[0], dl1[1] + dl2[1]], **TOL)


@pytest.mark.parametrize("lam", [1.0, 0.3])
@pytest.mark.parametrize("point,expected_sign", PAPER_POINTS)
def test_aga_on_paper_game(point, expected_sign, lam):
    xi, xi_c, Hc, _ = paper_reference(*point)
    g = Hc @ xi_c
    assert _sign((xi_c @ g) * (xi @ g + g @ g)) == expected_sign
    expected = xi_c + expected_sign * abs(lam) * (xi + g)

    a1 = torch.tensor(point[0], dtype=DT, requires_grad=True)  # 0-dim parameters
    a2 = torch.tensor(point[1], dtype=DT, requires_grad=True)
    info = DirectionInfo()
    out = direction("aga", paper_losses(a1, a2), [a1, a2], lam=lam, info=info)
    assert all(o.shape == () for o in out)
    got = np.array([float(o) for o in out])
    np.testing.assert_allclose(got, expected, **TOL)
    assert_lam(info, expected_sign * abs(lam))


@pytest.mark.parametrize("point", [p for p, _ in PAPER_POINTS])
def test_sga_and_cga_on_paper_game(point):
    xi, _, _, Hg = paper_reference(*point)
    a1 = torch.tensor(point[0], dtype=DT, requires_grad=True)
    a2 = torch.tensor(point[1], dtype=DT, requires_grad=True)
    cga = direction("cga", paper_losses(a1, a2), [a1, a2], lam=0.6)
    np.testing.assert_allclose([float(o) for o in cga], ref_cga(xi, Hg, 0.6), **TOL)
    for align in (False, True):
        sga = direction("sga", paper_losses(a1, a2), [a1, a2], lam=0.6, sga_align=align)
        np.testing.assert_allclose([float(o) for o in sga], ref_sga(xi, Hg, 0.6, align)[0], **TOL)


@pytest.mark.parametrize("param_shape", ["(B,1)", "(B,)"])
@pytest.mark.parametrize("method", ["aga", "sga"])
def test_paper_game_batched_over_points(method, param_shape):
    """The paper game run as a batch of independent games, one point per game.

    With one scalar parameter per player and game, the natural parameter shape is
    (B,); (B, 1) is the same game with a trailing singleton dimension."""
    pts = np.array([p for p, _ in PAPER_POINTS])
    shape = (len(pts), 1) if param_shape == "(B,1)" else (len(pts),)
    a1 = torch.tensor(pts[:, 0].reshape(shape), dtype=DT, requires_grad=True)
    a2 = torch.tensor(pts[:, 1].reshape(shape), dtype=DT, requires_grad=True)
    losses = [loss.reshape(len(pts)) for loss in paper_losses(a1, a2)]
    info = DirectionInfo()
    out = direction(method, losses, [a1, a2], lam=0.6, batched=True, info=info)
    assert [o.shape for o in out] == [a1.shape, a2.shape]
    got = np.stack([o.detach().numpy().reshape(-1) for o in out], axis=1)
    for k, p in enumerate(pts):
        xi, xi_c, Hc, Hg = paper_reference(*p)
        if method == "aga":
            expected, lam_s = ref_aga(xi, xi_c, Hc, 0.6)
        else:
            expected, lam_s = ref_sga(xi, Hg, 0.6, True)
        np.testing.assert_allclose(got[k], expected, **TOL)
        assert float(info.lam[k]) == lam_s


# ------------------------------------------- 9. AgA's ablation options (docs/decisions.md A12)


def _tensor_slices(layout) -> list[slice]:
    out, k = [], 0
    for entry in layout:
        for shape in _shapes(entry):
            out.append(slice(k, k + _numel(shape)))
            k += _numel(shape)
    return out


def ref_aga_options(game: QuadGame, w, lam, sign="global", hamiltonian=True, normalise="none"):
    """Hand formula of every AgA reading: (direction, signed lambda per player)."""
    xi, xi_c, Hc = game.xi(w), game.xi_c(w), game.Hc()
    g = Hc @ xi_c

    def s(c, x, h):
        return _sign((c @ h) * (x @ h + h @ h))

    blocks = game.blocks
    if sign == "off":
        lam_p = [abs(lam)] * game.n
    elif sign == "global":
        lam_p = [abs(lam) * s(xi_c, xi, g)] * game.n
    else:
        lam_p = [abs(lam) * s(xi_c[b], xi[b], g[b]) for b in blocks]

    def rescale(v):
        if normalise == "none":
            return v
        if normalise == "global":
            return v * np.linalg.norm(xi_c) / np.linalg.norm(v)
        out = v.copy()
        for sl in _tensor_slices(game.layout):
            out[sl] = v[sl] * np.linalg.norm(xi_c[sl]) / np.linalg.norm(v[sl])
        return out

    adj = rescale(xi) + (rescale(g) if hamiltonian else 0.0)
    out = xi_c.copy()
    for b, lam_b in zip(blocks, lam_p, strict=True):
        out[b] += lam_b * adj[b]
    return out, lam_p


AGA_OPTION_CASES = [
    dict(sign="off"),
    dict(hamiltonian=False),
    dict(sign="off", hamiltonian=False),
    dict(sign="per_player"),
    dict(normalise="global"),
    dict(normalise="per_tensor"),
    dict(sign="per_player", hamiltonian=False, normalise="global"),
]


def _aga_kwargs(opts):
    return {f"aga_{k}": v for k, v in opts.items()}


@pytest.mark.parametrize("opts", AGA_OPTION_CASES, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_aga_options_match_hand_formulas(opts, seed):
    game = random_game(seed, LAYOUT4)
    w = _near(seed + 40, game.d)
    got, info = run_engine(game, w, "aga", lam=-2.5, **_aga_kwargs(opts))
    expected, lam_p = ref_aga_options(game, w, -2.5, **opts)
    np.testing.assert_allclose(got, expected, **TOL)
    lam = info.lam.numpy().reshape(-1)
    if opts.get("sign") == "per_player":
        np.testing.assert_array_equal(lam, lam_p)
    else:
        assert lam.shape == (1,) and lam[0] == lam_p[0]


def test_aga_per_player_signs_differ_and_global_default_is_unchanged():
    """Some random game has players whose own-block signs disagree; the defaults are the paper's formula."""
    for seed in range(20):
        game = random_game(seed, LAYOUT4)
        w = _near(seed + 40, game.d)
        _, lam_p = ref_aga_options(game, w, 1.0, sign="per_player")
        if len(set(lam_p)) > 1:
            break
    else:
        raise AssertionError("no game with differing per-player signs")
    default, _ = run_engine(game, w, "aga", lam=1.0)
    explicit, _ = run_engine(game, w, "aga", lam=1.0, aga_sign="global", aga_hamiltonian=True, aga_normalise="none")
    np.testing.assert_array_equal(default, explicit)
    np.testing.assert_allclose(default, ref_aga(game.xi(w), game.xi_c(w), game.Hc(), 1.0)[0], **TOL)
    per_player, _ = run_engine(game, w, "aga", lam=1.0, aga_sign="per_player")
    assert np.abs(per_player - default).max() > 1e-3


def test_aga_extras_are_the_raw_pieces():
    game = random_game(5, LAYOUT3)
    w = _near(45, game.d)
    _, info = run_engine(game, w, "aga", lam=1.0)
    flat = {k: np.concatenate([t.detach().numpy().reshape(-1) for t in v]) for k, v in info.extras.items()}
    np.testing.assert_allclose(flat["xi"], game.xi(w), **TOL)
    np.testing.assert_allclose(flat["xi_c"], game.xi_c(w), **TOL)
    np.testing.assert_allclose(flat["h_xi_c"], game.Hc() @ game.xi_c(w), **TOL)
    _, info = run_engine(game, w, "aga", lam=1.0, aga_sign="off", aga_hamiltonian=False)
    assert set(info.extras) == {"xi", "xi_c"}  # no Hessian-vector product needed, none taken
    _, info = run_engine(game, w, "simul_ind")
    np.testing.assert_allclose(np.concatenate([t.numpy().reshape(-1) for t in info.extras["xi"]]), game.xi(w), **TOL)


@pytest.mark.parametrize("opts", [dict(sign="per_player"), dict(normalise="global"), dict(normalise="per_tensor")],
                         ids=["per_player", "global", "per_tensor"])
def test_aga_options_batched_equal_independent_games(opts):
    games, W = _batch_of_games()
    got, info = run_engine_batched(games, W, "aga", lam=0.8, **_aga_kwargs(opts))
    for k, g in enumerate(games):
        expected, lam_p = ref_aga_options(g, W[k], 0.8, **opts)
        np.testing.assert_allclose(got[k], expected, **TOL)
        if opts.get("sign") == "per_player":
            np.testing.assert_array_equal(info.lam[:, k].numpy(), lam_p)


@pytest.mark.parametrize("key,value", [("aga_sign", "local"), ("aga_normalise", "layer")])
def test_aga_bad_option_raises_naming_it(key, value):
    game = random_game(0, LAYOUT2)
    with pytest.raises(ValueError, match=key):
        run_engine(game, _near(1, game.d), "aga", lam=1.0, **{key: value})


# ------------------------------------------------- individual gradients through aliases (individual_via)


def _coupled_losses(x, y, z, own=None):
    """Three players whose losses couple every pair non-quadratically; ``own`` = aliases (xa, ya, za)
    through which each loss reaches its own player's parameters."""
    xa, ya, za = own if own is not None else (x, y, z)
    return [torch.sin(xa).sum() * y.sum() + (xa ** 2 * z).sum(),
            torch.cos(ya * x.sum()).sum() + (ya ** 3).sum() * z.sum(),
            (za * x.sum() * y.sum()).sum() + torch.exp(0.3 * za).sum()]


@pytest.mark.parametrize("method,kwargs", [("cga", dict(lam=0.7)), ("sga", dict(lam=0.5, sga_align=False)),
                                           ("sga", dict(lam=0.9, sga_align=True))])
def test_individual_via_aliases_equals_one_pass_per_player(method, kwargs):
    g = torch.Generator().manual_seed(3)
    x, y, z = (torch.randn(n, dtype=DT, generator=g).requires_grad_() for n in (2, 3, 2))
    want = direction(method, _coupled_losses(x, y, z), [x, y, z], **kwargs)
    aliases = [t.view_as(t) for t in (x, y, z)]
    got = direction(method, _coupled_losses(x, y, z, aliases), [x, y, z], individual_via=aliases, **kwargs)
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    # without the aliases the summed losses' gradient is not xi: the coupling shows up
    wrong = direction(method, _coupled_losses(x, y, z), [x, y, z], separable=True, **kwargs)
    assert max(float((a - b).abs().max()) for a, b in zip(wrong, want, strict=True)) > 1e-3
