"""Tests of the differentiable games (``mixedmotive.games``).

Every expected value is computed by hand from the formulas in the papers:

* AgA's two-player game:  l1 = -sin(a1 a2 + a2^2),  l2 = -cos(1 + a1 - (1 + a2)^2 + a1 a2^2).
* Public goods game:  a_i = sigmoid(theta_i),  r_i = e - a_i + (k / n) sum_j a_j,  1 < k < n.
  d l_i / d theta_i        = (1 - k/n) sigmoid'(theta_i)
  d sum_j l_j / d theta_i  = -(k - 1) sigmoid'(theta_i)
  Reward exchange at self-interest s:  d r~_i / d a_i = s (k/n - 1) + (1 - s) k/n = k/n - s.
"""

from __future__ import annotations

import math

import pytest
import torch

from mixedmotive.games import PublicGoodsGame, diffgame
from mixedmotive.gradients import sl_rewards

DT = torch.float64


def t(*xs):
    return torch.tensor(xs, dtype=DT)


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _dsig(x: float) -> float:
    s = _sig(x)
    return s * (1.0 - s)


# ------------------------------------------------------------------ AgA's diffgame


@pytest.mark.parametrize(
    "a1, a2, l1, l2",
    [
        # a = (0, 0): sin(0) = 0; 1 + 0 - 1 + 0 = 0 -> cos(0) = 1
        (0.0, 0.0, 0.0, -1.0),
        # a = (1, 1): 1 + 1 = 2; 1 + 1 - 4 + 1 = -1
        (1.0, 1.0, -math.sin(2.0), -math.cos(-1.0)),
        # a = (1, 0): 0 + 0 = 0; 1 + 1 - 1 + 0 = 1
        (1.0, 0.0, 0.0, -math.cos(1.0)),
        # a = (0, -1): 0 + 1 = 1; 1 + 0 - 0 + 0 = 1
        (0.0, -1.0, -math.sin(1.0), -math.cos(1.0)),
        # a = (-1, 0.5): -0.5 + 0.25 = -0.25; 1 - 1 - 2.25 - 0.25 = -2.5
        (-1.0, 0.5, -math.sin(-0.25), -math.cos(-2.5)),
        # a = (2, -2): -4 + 4 = 0; 1 + 2 - 1 + 8 = 10
        (2.0, -2.0, 0.0, -math.cos(10.0)),
    ],
)
def test_diffgame_losses_and_rewards_at_hand_points(a1, a2, l1, l2):
    losses = diffgame.losses(t(a1), t(a2))
    rewards = diffgame.rewards(t(a1), t(a2))
    assert len(losses) == 2 and len(rewards) == 2
    assert losses[0].item() == pytest.approx(l1, abs=1e-12)
    assert losses[1].item() == pytest.approx(l2, abs=1e-12)
    assert rewards[0].item() == pytest.approx(-l1, abs=1e-12)
    assert rewards[1].item() == pytest.approx(-l2, abs=1e-12)


def test_diffgame_is_elementwise_on_batches():
    a1 = torch.tensor([[0.0, 1.0, 1.0], [0.0, -1.0, 2.0]], dtype=DT)
    a2 = torch.tensor([[0.0, 1.0, 0.0], [-1.0, 0.5, -2.0]], dtype=DT)
    l1, l2 = diffgame.losses(a1, a2)
    assert l1.shape == (2, 3) and l2.shape == (2, 3)
    exp_l1 = [[0.0, -math.sin(2.0), 0.0], [-math.sin(1.0), -math.sin(-0.25), 0.0]]
    exp_l2 = [[-1.0, -math.cos(1.0), -math.cos(1.0)], [-math.cos(1.0), -math.cos(-2.5), -math.cos(10.0)]]
    torch.testing.assert_close(l1, torch.tensor(exp_l1, dtype=DT))
    torch.testing.assert_close(l2, torch.tensor(exp_l2, dtype=DT))


def test_diffgame_collective_reward_bounded_by_two():
    assert diffgame.N_PLAYERS == 2
    assert diffgame.MAX_COLLECTIVE_REWARD == 2.0
    g = torch.linspace(-3, 3, 61, dtype=DT)
    a1, a2 = torch.meshgrid(g, g, indexing="ij")
    r1, r2 = diffgame.rewards(a1, a2)
    assert float((r1 + r2).max()) <= 2.0 + 1e-12


def test_diffgame_gradients_match_hand_derivatives():
    # d l1/d a1 = -cos(u) a2, u = a1 a2 + a2^2
    # d l2/d a2 = sin(v) (-2(1 + a2) + 2 a1 a2), v = 1 + a1 - (1 + a2)^2 + a1 a2^2
    a1v, a2v = -1.0, 0.5
    a1 = t(a1v).requires_grad_(True)
    a2 = t(a2v).requires_grad_(True)
    l1, l2 = diffgame.losses(a1, a2)
    (g1,) = torch.autograd.grad(l1, a1)
    (g2,) = torch.autograd.grad(l2, a2)
    u = a1v * a2v + a2v**2
    v = 1 + a1v - (1 + a2v) ** 2 + a1v * a2v**2
    assert g1.item() == pytest.approx(-math.cos(u) * a2v, abs=1e-12)
    assert g2.item() == pytest.approx(math.sin(v) * (-2 * (1 + a2v) + 2 * a1v * a2v), abs=1e-12)


# ------------------------------------------------------------------ public goods game


@pytest.mark.parametrize(
    "actions, expected",
    [
        ((0.0, 0.0), (1.0, 1.0)),      # pot 0
        ((1.0, 1.0), (1.5, 1.5)),      # pot 0.75 * 2 = 1.5; 1 - 1 + 1.5
        ((1.0, 0.0), (0.75, 1.75)),    # pot 0.75; 1 - 1 + 0.75 and 1 - 0 + 0.75
        ((0.0, 1.0), (1.75, 0.75)),
        ((0.5, 0.5), (1.25, 1.25)),    # pot 0.75; 1 - 0.5 + 0.75
    ],
)
def test_public_goods_rewards_by_hand(actions, expected):
    game = PublicGoodsGame(k=1.5, endowment=1.0)
    r = game.rewards_of_actions([t(a) for a in actions])
    assert [x.item() for x in r] == pytest.approx(list(expected), abs=1e-12)


def test_public_goods_defaults():
    game = PublicGoodsGame()
    assert (game.k, game.endowment, game.n_players) == (1.5, 1.0, 2)


def test_public_goods_endowment_shifts_rewards():
    game = PublicGoodsGame(k=1.5, endowment=3.0)
    r = game.rewards_of_actions([t(1.0), t(0.0)])
    assert [x.item() for x in r] == pytest.approx([2.75, 3.75])


def test_public_goods_actions_and_losses_through_sigmoid():
    game = PublicGoodsGame(k=1.5, endowment=1.0)
    # theta = 0 -> a = 0.5 -> r = 1.25; theta = (ln 3, -ln 3) -> a = (0.75, 0.25)
    a = game.actions([t(0.0), t(0.0)])
    assert [x.item() for x in a] == pytest.approx([0.5, 0.5])
    assert [x.item() for x in game.losses([t(0.0), t(0.0)])] == pytest.approx([-1.25, -1.25])
    # a = (0.75, 0.25): pot 0.75; r1 = 1 - 0.75 + 0.75 = 1, r2 = 1 - 0.25 + 0.75 = 1.5
    losses = game.losses([t(math.log(3.0)), t(-math.log(3.0))])
    assert [x.item() for x in losses] == pytest.approx([-1.0, -1.5], abs=1e-12)


def test_public_goods_nash_and_social_optimum():
    game = PublicGoodsGame(k=1.5)
    r = lambda a1, a2: [x.item() for x in game.rewards_of_actions([t(a1), t(a2)])]  # noqa: E731
    # defecting unilaterally from (1,1) pays; (1,1) maximises the collective reward
    assert r(0.0, 1.0)[0] > r(1.0, 1.0)[0]
    assert sum(r(1.0, 1.0)) > sum(r(0.0, 0.0))
    assert sum(r(1.0, 1.0)) > sum(r(1.0, 0.0))


@pytest.mark.parametrize("k, n", [(1.0, 2), (2.0, 2), (0.5, 2), (2.5, 2), (3.0, 3), (1.0, 3), (-1.0, 2)])
def test_public_goods_k_outside_open_interval_raises(k, n):
    with pytest.raises(ValueError, match="k"):
        PublicGoodsGame(k=k, n_players=n)


@pytest.mark.parametrize("k, n", [(1.01, 2), (1.99, 2), (2.9, 3), (1.5, 3)])
def test_public_goods_k_inside_interval_ok(k, n):
    assert PublicGoodsGame(k=k, n_players=n).k == k


@pytest.mark.parametrize("k, n", [(1.5, 2), (1.2, 2), (2.0, 3), (2.5, 4)])
@pytest.mark.parametrize("thetas", [(0.0, 0.0, 0.0, 0.0), (0.3, -1.2, 2.0, -0.7), (-3.0, 1.0, 0.1, 4.0)])
def test_public_goods_gradients_by_hand(k, n, thetas):
    game = PublicGoodsGame(k=k, endowment=1.0, n_players=n)
    th = [t(x).requires_grad_(True) for x in thetas[:n]]
    losses = game.losses(th)
    for i in range(n):
        (g,) = torch.autograd.grad(losses[i], th[i], retain_graph=True)
        assert g.item() == pytest.approx((1 - k / n) * _dsig(thetas[i]), abs=1e-12)
        assert g.item() > 0  # own loss rises with own contribution: contributing is irrational
        # the other players' losses fall with my contribution: d l_j/d theta_i = -(k/n) sigmoid'
        for j in range(n):
            if j != i:
                (gj,) = torch.autograd.grad(losses[j], th[i], retain_graph=True)
                assert gj.item() == pytest.approx(-(k / n) * _dsig(thetas[i]), abs=1e-12)
    collective = sum(losses)
    grads = torch.autograd.grad(collective, th)
    for i in range(n):
        assert grads[i].item() == pytest.approx(-(k - 1) * _dsig(thetas[i]), abs=1e-12)
        assert grads[i].item() < 0  # contributing is collectively rational


def test_public_goods_gradients_batched():
    game = PublicGoodsGame(k=1.5)
    x1 = [0.0, 1.0, -2.0]
    x2 = [0.5, -0.5, 3.0]
    th = [torch.tensor(x1, dtype=DT, requires_grad=True), torch.tensor(x2, dtype=DT, requires_grad=True)]
    l1, l2 = game.losses(th)
    assert l1.shape == (3,)
    (g1,) = torch.autograd.grad(l1.sum(), th[0])
    expected = torch.tensor([0.25 * _dsig(x) for x in x1], dtype=DT)
    torch.testing.assert_close(g1, expected)


def test_self_interest_level_is_k_over_n():
    assert PublicGoodsGame(k=1.5).self_interest_level == pytest.approx(0.75)
    assert PublicGoodsGame(k=2.0, n_players=3).self_interest_level == pytest.approx(2 / 3)


@pytest.mark.parametrize("k, n", [(1.5, 2), (1.2, 2), (2.0, 3), (3.0, 4)])
@pytest.mark.parametrize("point", [(0.2, 0.7, 0.4, 0.9), (0.5, 0.5, 0.5, 0.5), (0.95, 0.05, 0.3, 0.6)])
def test_self_interest_level_makes_own_contribution_irrelevant(k, n, point):
    game = PublicGoodsGame(k=k, n_players=n)
    s_star = game.self_interest_level
    acts = [t(a).requires_grad_(True) for a in point[:n]]
    shaped = sl_rewards(game.rewards_of_actions(acts), s=s_star)
    for i in range(n):
        (g,) = torch.autograd.grad(shaped[i], acts[i], retain_graph=True)
        assert g.item() == pytest.approx(0.0, abs=1e-12)
    # any other s gives the hand value k/n - s
    for s in (1.0, 0.5, 1.0 / n, 0.9):
        shaped = sl_rewards(game.rewards_of_actions(acts), s=s)
        for i in range(n):
            (g,) = torch.autograd.grad(shaped[i], acts[i], retain_graph=True)
            assert g.item() == pytest.approx(k / n - s, abs=1e-12)


def test_three_player_instance():
    game = PublicGoodsGame(k=2.0, endowment=1.0, n_players=3)
    # a = (1, 0, 0): pot = 2/3; r = (1 - 1 + 2/3, 1 + 2/3, 1 + 2/3)
    r = game.rewards_of_actions([t(1.0), t(0.0), t(0.0)])
    assert [x.item() for x in r] == pytest.approx([2 / 3, 5 / 3, 5 / 3])
    # a = (1, 1, 1): pot = 2; r = 2 each;  a = (0.5, 0.25, 0): pot = 0.5
    assert [x.item() for x in game.rewards_of_actions([t(1.0)] * 3)] == pytest.approx([2.0] * 3)
    r = game.rewards_of_actions([t(0.5), t(0.25), t(0.0)])
    assert [x.item() for x in r] == pytest.approx([1.0, 1.25, 1.5])
    # losses through the sigmoid: theta = 0 -> a = 0.5 each -> pot 1 -> r = 1.5
    assert [x.item() for x in game.losses([t(0.0)] * 3)] == pytest.approx([-1.5] * 3)
    assert len(game.actions([t(0.0)] * 3)) == 3
