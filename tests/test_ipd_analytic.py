"""IPD-Analytic: exact values (envs/ipd.py) and the analytic learners (agents/ipd_analytic.py)."""

from __future__ import annotations

import math

import pytest
import torch

from mixedmotive.agents.ipd_analytic import (
    AGENTS,
    LOLA,
    AnalyticAgent,
    NaiveLearner,
    Reciprocator,
    discounted_values,
    influence_tables,
    lola_correction,
    make_agent,
    play,
    reciprocator_value,
    register_agent,
)
from mixedmotive.envs.ipd import analytic_payoffs, analytic_payoffs_reference, markov_chain

GAMMA = 0.96
BIG = 50.0  # sigmoid(50) == 1 in float64
R = torch.tensor([[-1.0, -3.0], [0.0, -2.0]], dtype=torch.float64)  # R[own, opp], 0 = C

ALL_C = torch.full((5,), BIG, dtype=torch.float64)
ALL_D = torch.full((5,), -BIG, dtype=torch.float64)
# tit-for-tat: C at the start, then copy the opponent's last action (own view: CC, CD, DC, DD)
TFT = torch.tensor([BIG, BIG, -BIG, BIG, -BIG], dtype=torch.float64)


def _rand(shape, seed, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ---------------------------------------------------------------------------
# exact values
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "theta_1, theta_2, expected_1, expected_2",
    [
        (ALL_C, ALL_C, -1.0, -1.0),
        (ALL_D, ALL_D, -2.0, -2.0),
        (TFT, ALL_D, (1 - GAMMA) * -3.0 + GAMMA * -2.0, (1 - GAMMA) * 0.0 + GAMMA * -2.0),
        (ALL_D, TFT, (1 - GAMMA) * 0.0 + GAMMA * -2.0, (1 - GAMMA) * -3.0 + GAMMA * -2.0),
        (TFT, TFT, -1.0, -1.0),
        (TFT, ALL_C, -1.0, -1.0),
    ],
    ids=["allC-allC", "allD-allD", "TFT-allD", "allD-TFT", "TFT-TFT", "TFT-allC"],
)
def test_known_pairs(theta_1, theta_2, expected_1, expected_2):
    v1, v2 = analytic_payoffs(theta_1, theta_2, GAMMA)
    assert v1.shape == () and v2.shape == ()
    assert float(v1) == pytest.approx(expected_1, abs=1e-12)
    assert float(v2) == pytest.approx(expected_2, abs=1e-12)


def test_swapping_players_swaps_values():
    t1, t2 = _rand((64, 5), 1), _rand((64, 5), 2)
    v1, v2 = analytic_payoffs(t1, t2)
    w1, w2 = analytic_payoffs(t2, t1)
    torch.testing.assert_close(w1, v2, rtol=0, atol=1e-12)
    torch.testing.assert_close(w2, v1, rtol=0, atol=1e-12)
    assert bool(((v1 >= -3) & (v1 <= 0)).all())


@pytest.mark.parametrize("dtype, atol", [(torch.float64, 1e-12), (torch.float32, 2e-5)])
def test_matches_linalg_solve_reference(dtype, atol):
    t1 = _rand((256, 5), 3, dtype).mul(2).requires_grad_()
    t2 = _rand((256, 5), 4, dtype).mul(2).requires_grad_()
    out = analytic_payoffs(t1, t2)
    ref = analytic_payoffs_reference(t1, t2)
    for a, b in zip(out, ref, strict=True):
        assert a.dtype == dtype
        torch.testing.assert_close(a, b, rtol=0, atol=atol)
    for k in range(2):
        g = torch.autograd.grad(out[k].sum(), (t1, t2), retain_graph=True)
        gr = torch.autograd.grad(ref[k].sum(), (t1, t2), retain_graph=True)
        for a, b in zip(g, gr, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=atol * 10)


def test_batch_shapes_and_broadcasting():
    t1, t2 = _rand((2, 3, 5), 5), _rand((5,), 6)
    v1, v2 = analytic_payoffs(t1, t2)
    assert v1.shape == (2, 3) and v2.shape == (2, 3)
    r1, r2 = analytic_payoffs_reference(t1, t2)
    torch.testing.assert_close(v1, r1, rtol=0, atol=1e-12)
    torch.testing.assert_close(v2, r2, rtol=0, atol=1e-12)


def _simulate(theta_1, theta_2, n_games, steps, gamma, seed, b_own=None, b_opp=None, w=0.0):
    """Monte-Carlo discounted returns of memory-1 policies (5,), each acting on its own view.

    With baselines (player 1 = Reciprocator, baselines in its frame) also adds
    w * VI^{j->i}_{t-1} * VI^{i->j}_t to player 1's reward.  Returns per-game
    sum_t gamma^t r_t for both players.
    """
    gen = torch.Generator().manual_seed(seed)
    p1, p2 = torch.sigmoid(theta_1), torch.sigmoid(theta_2)
    s1 = torch.zeros(n_games, dtype=torch.long)  # 0 start, 1 + 2 * own + opp afterwards
    s2 = torch.zeros(n_games, dtype=torch.long)
    ret1 = torch.zeros(n_games, dtype=torch.float64)
    ret2 = torch.zeros(n_games, dtype=torch.float64)
    vi_ji_prev = torch.zeros(n_games, dtype=torch.float64)
    disc = 1.0
    for _ in range(steps):
        a1 = (torch.rand(n_games, generator=gen, dtype=torch.float64) >= p1[s1]).long()  # 1 = defect
        a2 = (torch.rand(n_games, generator=gen, dtype=torch.float64) >= p2[s2]).long()
        r1, r2 = R[a1, a2], R[a2, a1]
        if b_own is not None:
            q, p = b_opp[s1], b_own[s1]  # baselines looked up in the state the action was taken in
            vi_ji = r1 - (q * R[a1, 0] + (1 - q) * R[a1, 1])
            vi_ij = r2 - (p * R[a2, 0] + (1 - p) * R[a2, 1])
            r1 = r1 + w * vi_ji_prev * vi_ij
            vi_ji_prev = vi_ji
        ret1 += disc * r1
        ret2 += disc * r2
        s1, s2 = 1 + 2 * a1 + a2, 1 + 2 * a2 + a1
        disc *= gamma
    return ret1, ret2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_monte_carlo(seed):
    t1, t2 = _rand((5,), 10 + seed) * 1.5, _rand((5,), 20 + seed) * 1.5
    n = 4000
    ret1, ret2 = _simulate(t1, t2, n, 300, GAMMA, seed)
    v1, v2 = analytic_payoffs(t1, t2)
    for ret, v in ((ret1, v1), (ret2, v2)):
        ret = (1 - GAMMA) * ret
        se = float(ret.std()) / math.sqrt(n)
        assert abs(float(ret.mean()) - float(v)) < 4 * se, (float(ret.mean()), float(v), se)


def test_gradients_match_finite_differences():
    t1, t2 = _rand((4, 5), 30), _rand((4, 5), 31)
    leaf1, leaf2 = t1.clone().requires_grad_(), t2.clone().requires_grad_()
    v1, v2 = analytic_payoffs(leaf1, leaf2)
    eps = 1e-6
    for k, v in enumerate((v1, v2)):
        grads = torch.autograd.grad(v.sum(), (leaf1, leaf2), retain_graph=True)
        for which, grad in enumerate(grads):
            fd = torch.zeros_like(t1)
            for j in range(5):
                d = torch.zeros_like(t1)
                d[:, j] = eps
                args_p = (t1 + d, t2) if which == 0 else (t1, t2 + d)
                args_m = (t1 - d, t2) if which == 0 else (t1, t2 - d)
                fd[:, j] = (analytic_payoffs(*args_p)[k] - analytic_payoffs(*args_m)[k]) / (2 * eps)
            torch.testing.assert_close(grad, fd, rtol=1e-6, atol=1e-8)


def test_higher_order_derivatives():
    t1 = _rand((3, 5), 40).requires_grad_()
    t2 = _rand((3, 5), 41).requires_grad_()
    assert torch.autograd.gradgradcheck(lambda a, b: analytic_payoffs(a, b), (t1, t2))

    def cross(a, b):  # what LOLA differentiates: a gradient w.r.t. the opponent
        v1, _ = analytic_payoffs(a, b)
        return torch.autograd.grad(v1.sum(), b, create_graph=True)[0]

    assert torch.autograd.gradgradcheck(cross, (t1, t2))


def test_markov_chain_consistent_with_values():
    t1, t2 = _rand((8, 5), 50), _rand((8, 5), 51)
    start, P, m = markov_chain(t1, t2)
    torch.testing.assert_close(P.sum(-1), torch.ones(8, 4, dtype=torch.float64))
    torch.testing.assert_close(m.sum(-1), torch.full((8,), 1 / (1 - GAMMA), dtype=torch.float64))
    torch.testing.assert_close(m, start + GAMMA * (m.unsqueeze(-2) @ P).squeeze(-2))
    v1, v2 = analytic_payoffs(t1, t2)
    torch.testing.assert_close((1 - GAMMA) * m @ R.flatten(), v1)
    torch.testing.assert_close((1 - GAMMA) * m @ R.t().flatten(), v2)


# ---------------------------------------------------------------------------
# learners
# ---------------------------------------------------------------------------
def test_nl_small_step_increases_own_value():
    t1, t2 = _rand((256, 5), 60), _rand((256, 5), 61)
    agent = NaiveLearner(lr=1e-3)
    new = agent.step(t1, t2)
    assert not new.requires_grad and new.shape == t1.shape
    before, _ = analytic_payoffs(t1, t2)
    after, _ = analytic_payoffs(new, t2)
    assert bool((after > before).all())
    # the step is lr * gradient of the discounted value (M-FOS' -L)
    leaf = t1.clone().requires_grad_()
    (g,) = torch.autograd.grad(analytic_payoffs(leaf, t2)[0].sum() / (1 - GAMMA), leaf)
    torch.testing.assert_close(new - t1, 1e-3 * g)


def test_lola_correction_matches_finite_differences():
    t1, t2 = _rand((3, 5), 70), _rand((3, 5), 71)
    g_own, corr = lola_correction(t1, t2)

    def inner(a):  # per game: grad_opp V_own . grad_opp V_opp
        opp = t2.clone().requires_grad_()
        v1, v2 = discounted_values(a, opp)
        (d1,) = torch.autograd.grad(v1.sum(), opp, retain_graph=True)
        (d2,) = torch.autograd.grad(v2.sum(), opp)
        return (d1 * d2).sum(-1)

    eps = 1e-5
    fd = torch.zeros_like(t1)
    for j in range(5):
        d = torch.zeros_like(t1)
        d[:, j] = eps
        fd[:, j] = (inner(t1 + d) - inner(t1 - d)) / (2 * eps)
    torch.testing.assert_close(corr, fd, rtol=1e-5, atol=1e-6)
    leaf = t1.clone().requires_grad_()
    (g,) = torch.autograd.grad(discounted_values(leaf, t2)[0].sum(), leaf)
    torch.testing.assert_close(g_own, g)
    new = LOLA(lr=0.5).step(t1, t2)
    torch.testing.assert_close(new, t1 + 0.5 * (g_own + 0.5 * corr))


def test_reciprocal_reward_sign_hand_built():
    half = torch.full((1, 5), 0.5, dtype=torch.float64)
    g0, G, H = influence_tables(half, half)
    CC, CD, DC, DD = range(4)
    # the opponent's influence on the Reciprocator: +1 when it cooperated, -1 when it defected
    for s in range(4):
        for a, sign in ((CC, 1), (CD, -1), (DC, 1), (DD, -1)):
            assert float(G[0, s, a]) == pytest.approx(sign)
            assert float(g0[0, a]) == pytest.approx(sign)
    # the Reciprocator's influence on the opponent: +1 when it cooperates, -1 when it defects
    for s in range(4):
        for a, sign in ((CC, 1), (CD, 1), (DC, -1), (DD, -1)):
            assert float(H[0, s, a]) == pytest.approx(sign)
    # the opponent defected at t-1 (joint CD, taken in state CC): balance VI^{j->i}_{t-1} < 0
    balance = G[0, CC, CD]
    assert balance < 0
    # now in state CD: cooperating helps the opponent (VI^{i->j} > 0) and is penalised,
    # defecting (retaliation) is rewarded
    assert H[0, CD, CC] > 0 and balance * H[0, CD, CC] < 0
    assert balance * H[0, CD, DC] > 0 and balance * H[0, CD, DD] > 0
    # after a cooperation, cooperating back is rewarded
    assert G[0, CC, CC] * H[0, CC, CC] > 0 and G[0, CC, CC] * H[0, CC, DD] < 0


def test_influence_tables_use_state_entries_and_own_major_order():
    b_own = torch.tensor([[0.5, 0.9, 0.8, 0.7, 0.6]], dtype=torch.float64)
    b_opp = torch.tensor([[0.5, 0.1, 0.2, 0.3, 0.4]], dtype=torch.float64)
    g0, G, H = influence_tables(b_own, b_opp)
    for s in range(4):
        q, p = float(b_opp[0, 1 + s]), float(b_own[0, 1 + s])
        for a in range(4):
            own, opp = divmod(a, 2)
            assert float(G[0, s, a]) == pytest.approx(float(R[own, opp] - q * R[own, 0] - (1 - q) * R[own, 1]))
            assert float(H[0, s, a]) == pytest.approx(float(R[opp, own] - p * R[opp, 0] - (1 - p) * R[opp, 1]))
    g0l, Gl, Hl = influence_tables(b_own, b_opp, legacy_indexing=True)
    assert not torch.allclose(Gl, G) and not torch.allclose(Hl, H)
    # legacy: state s looks up entry s (0 = start) and decodes a as (own = a % 2, opp = a // 2)
    q = float(b_opp[0, 0])
    assert float(Gl[0, 0, 1]) == pytest.approx(float(R[1, 0] - q * R[1, 0] - (1 - q) * R[1, 1]))


def _augmented_mdp_value(t_own, t_opp, b_own, b_opp, w, gamma, count_from):
    """Spec §3.5 literally: 64-state MDP over (s_pre, s, a), one game, built with loops."""
    p, q = torch.sigmoid(t_own), torch.sigmoid(t_opp)[[0, 1, 3, 2, 4]]  # q in own frame
    dist = lambda x, y: torch.stack([x * y, x * (1 - y), (1 - x) * y, (1 - x) * (1 - y)])  # noqa: E731
    S1 = dist(p[0], q[0])
    T1 = torch.stack([dist(p[1 + s], q[1 + s]) for s in range(4)])
    r_own = R.flatten()

    def vi_ji(k, a):  # opponent's influence on own reward, baseline entry k
        own, opp = divmod(a, 2)
        return R[own, opp] - b_opp[k] * R[own, 0] - (1 - b_opp[k]) * R[own, 1]

    def vi_ij(k, a):
        own, opp = divmod(a, 2)
        return R[opp, own] - b_own[k] * R[opp, 0] - (1 - b_own[k]) * R[opp, 1]

    n = 64
    S3 = torch.zeros(n, dtype=torch.float64)
    T2 = torch.zeros(n, n, dtype=torch.float64)
    R_full = torch.zeros(n, dtype=torch.float64)
    for sp in range(4):
        for s in range(4):
            for a in range(4):
                i = 16 * sp + 4 * s + a
                S3[i] = S1[sp] * T1[sp, s] * T1[s, a]
                R_full[i] = w * vi_ji(1 + sp, s) * vi_ij(1 + s, a) + r_own[a]
                for a2 in range(4):
                    T2[i, 16 * s + 4 * a + a2] = T1[a, a2]
    L = S3 @ torch.linalg.solve(torch.eye(n, dtype=torch.float64) - gamma * T2, R_full)
    if count_from == 2:
        return L
    d1 = S1 @ T1
    step1 = d1 @ r_own + w * sum(S1[a0] * vi_ji(0, a0) * T1[a0, a1] * vi_ij(1 + a0, a1)
                                 for a0 in range(4) for a1 in range(4))
    return S1 @ r_own + gamma * step1 + gamma**2 * L


@pytest.mark.parametrize("count_from", [0, 2])
def test_reciprocator_value_equals_augmented_mdp(count_from):
    B = 3
    t_own, t_opp = _rand((B, 5), 80), _rand((B, 5), 81)
    b_own = torch.sigmoid(_rand((B, 5), 82))
    b_opp = torch.sigmoid(_rand((B, 5), 83))
    v = reciprocator_value(t_own, t_opp, b_own, b_opp, w=2.5, gamma=GAMMA, count_from=count_from)
    ref = torch.stack([_augmented_mdp_value(t_own[b], t_opp[b], b_own[b], b_opp[b], 2.5, GAMMA, count_from)
                       for b in range(B)])
    torch.testing.assert_close(v, ref, rtol=1e-10, atol=1e-10)


def test_reciprocator_value_matches_monte_carlo():
    t_own, t_opp = _rand((5,), 90), _rand((5,), 91)
    b_own = torch.sigmoid(_rand((5,), 92))
    b_opp = torch.sigmoid(_rand((5,), 93))
    n, w = 4000, 3.0
    ret, _ = _simulate(t_own, t_opp, n, 300, GAMMA, 7, b_own=b_own, b_opp=b_opp, w=w)
    v = reciprocator_value(t_own[None], t_opp[None], b_own[None], b_opp[None], w=w, gamma=GAMMA)
    se = float(ret.std()) / math.sqrt(n)
    assert abs(float(ret.mean()) - float(v)) < 4 * se, (float(ret.mean()), float(v), se)


def test_reciprocator_with_zero_weight_is_nl():
    t1, t2 = _rand((16, 5), 100), _rand((16, 5), 101)
    b = torch.sigmoid(_rand((16, 5), 102))
    v = reciprocator_value(t1, t2, b, b, w=0.0)
    torch.testing.assert_close(v, discounted_values(t1, t2)[0])
    torch.testing.assert_close(Reciprocator(w=0.0).step(t1, t2), NaiveLearner().step(t1, t2))


def test_reciprocator_baseline_schedule_and_reset():
    agent = Reciprocator(w=5.0, buffer_size=2, target_period=3)
    thetas = [(_rand((4, 5), 110 + k), _rand((4, 5), 120 + k)) for k in range(3)]
    half = torch.full((4, 5), 0.5, dtype=torch.float64)
    for k, (own, opp) in enumerate(thetas):
        agent.step(own, opp)
        if k < 2:  # no refresh yet
            torch.testing.assert_close(agent.baseline_own, half)
            torch.testing.assert_close(agent.baseline_opp, half)
    # refreshed after update 3 to the mean of the last buffer_size = 2 played policies
    expect_own = (torch.sigmoid(thetas[1][0]) + torch.sigmoid(thetas[2][0])) / 2
    expect_opp = (torch.sigmoid(thetas[1][1]) + torch.sigmoid(thetas[2][1])) / 2
    torch.testing.assert_close(agent.baseline_own, expect_own)
    torch.testing.assert_close(agent.baseline_opp, expect_opp[:, [0, 1, 3, 2, 4]])  # own frame
    agent.reset_state()
    assert agent.baseline_own is None and agent.updates == 0 and len(agent.buffer_own) == 0


def test_reciprocator_step_ascends_augmented_value():
    t1, t2 = _rand((64, 5), 130), _rand((64, 5), 131)
    agent = Reciprocator(lr=1e-4)
    before = agent.value(t1, t2)
    new = agent.step(t1, t2)
    after = reciprocator_value(new, t2, torch.full_like(t1, 0.5), torch.full_like(t1, 0.5), w=agent.w)
    assert bool((after > before).all())


# ---------------------------------------------------------------------------
# factory and matches
# ---------------------------------------------------------------------------
def test_make_agent_names():
    assert isinstance(make_agent("NL"), NaiveLearner)
    assert isinstance(make_agent("lola", lr=0.5), LOLA)
    rc = make_agent("Reciprocator", w=2.0, buffer_size=4, target_period=2)
    assert isinstance(rc, Reciprocator) and rc.w == 2.0 and rc.buffer_size == 4
    with pytest.raises(ValueError) as info:
        make_agent("nope")
    for name in ("nl", "lola", "reciprocator"):
        assert name in str(info.value)


def test_register_agent():
    class Static(AnalyticAgent):
        name = "Static"

        def step(self, theta_own, theta_opp, gamma=0.96):
            return theta_own.detach().clone()

    register_agent("StaticTest", Static)
    try:
        out = play(make_agent("statictest"), make_agent("statictest"), n_updates=3, batch=8, seed=0)
        torch.testing.assert_close(out["reward_1"], out["reward_1"][:1].expand(3))
    finally:
        AGENTS.pop("statictest")


@pytest.mark.parametrize("name", ["NL", "LOLA", "Reciprocator"])
def test_play_is_deterministic(name):
    a = play(make_agent(name), make_agent("NL"), n_updates=5, batch=32, seed=3)
    b = play(make_agent(name), make_agent("NL"), n_updates=5, batch=32, seed=3)
    c = play(make_agent(name), make_agent("NL"), n_updates=5, batch=32, seed=4)
    for key in ("reward_1", "reward_2", "final_1", "final_2", "theta_1", "theta_2"):
        assert torch.equal(a[key], b[key])
    assert not torch.equal(a["theta_1"], c["theta_1"])
    assert a["reward_1"].shape == (5,) and a["final_1"].shape == (32,) and a["per_game_1"].shape == (32,)
    assert a["mean_1"] == pytest.approx(float(a["reward_1"].mean()))
    assert -3.0 <= a["mean_1"] <= 0.0


def test_play_protocol():
    agent = make_agent("NL")
    out = play(agent, agent, n_updates=4, batch=16, seed=0)  # same object: player 2 is a copy
    gen = torch.Generator().manual_seed(0)
    t1, t2 = torch.randn(16, 5, generator=gen), torch.randn(16, 5, generator=gen)
    r1, r2 = analytic_payoffs(t1, t2)
    assert float(out["reward_1"][0]) == pytest.approx(float(r1.mean()), abs=1e-6)
    assert float(out["reward_2"][0]) == pytest.approx(float(r2.mean()), abs=1e-6)
    n1, n2 = NaiveLearner().step(t1, t2), NaiveLearner().step(t2, t1)  # simultaneous
    r1, _ = analytic_payoffs(n1, n2)
    assert float(out["reward_1"][1]) == pytest.approx(float(r1.mean()), abs=1e-5)
    # NL vs NL drifts towards defection
    long = play(make_agent("NL"), make_agent("NL"), n_updates=50, batch=64, seed=1)
    assert float(long["final_1"].mean()) < -1.5
