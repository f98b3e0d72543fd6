"""M-MAML and MFOS meta-learning baselines for IPD-Analytic (agents/ipd_meta.py)."""

from __future__ import annotations

import io

import pytest
import torch

from mixedmotive import config
from mixedmotive.agents import ipd_meta as M
from mixedmotive.agents.ipd_analytic import AnalyticAgent, NaiveLearner, make_agent, play
from mixedmotive.envs.ipd import analytic_payoffs

GAMMA = 0.96

SMOKE = config.load(scale="smoke")["recip_ipd_analytic"]  # the one place the settings live
TINY_MMAML = {**SMOKE["mmaml"], "outer_episodes": 40, "inner_steps": 10, "batch": 16, "outer_lr": 0.05}
TINY_MFOS = {**SMOKE["mfos"], "meta_episodes": 3, "inner_steps": 6, "batch": 8, "hidden": 32}


def _ref_grad(theta_own, theta_opp):
    """grad wrt theta_own of the own discounted value, computed independently."""
    own = theta_own.detach().clone().requires_grad_(True)
    v, _ = analytic_payoffs(own, theta_opp.detach(), GAMMA)
    (g,) = torch.autograd.grad((v / (1 - GAMMA)).sum(), own)
    return g


@pytest.fixture(scope="module")
def mmaml_run():
    return M.meta_train_mmaml(TINY_MMAML, seed=3)


# --------------------------------------------------------------------------- gradients
def test_payoffs_symmetric_so_joint_gradients_are_exact():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(6, 5, generator=g, dtype=torch.float64)
    b = torch.randn(6, 5, generator=g, dtype=torch.float64)
    v1, v2 = analytic_payoffs(a, b, GAMMA)
    w1, w2 = analytic_payoffs(b, a, GAMMA)
    torch.testing.assert_close(v2, w1)
    torch.testing.assert_close(v1, w2)
    a_ = a.clone().requires_grad_(True)
    b_ = b.clone().requires_grad_(True)
    v_own, g_own, g_opp = M._joint_grads(a_, b_, GAMMA)
    torch.testing.assert_close(v_own, v1)
    torch.testing.assert_close(g_own, _ref_grad(a, b))
    torch.testing.assert_close(g_opp, _ref_grad(b, a))


def test_nl_step_is_mfos_naive_update():
    g = torch.Generator().manual_seed(1)
    own, opp = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    torch.testing.assert_close(M.nl_step(own, opp, 0.7), own + 0.7 * _ref_grad(own, opp))
    torch.testing.assert_close(M.nl_step(own, opp, 0.7), NaiveLearner(0.7).step(own, opp))
    assert not M.nl_step(own, opp).requires_grad


# --------------------------------------------------------------------------- M-MAML
def test_mmaml_improves_its_meta_objective(mmaml_run):
    """Held-out NL opponents: the trained (theta0, lr) beats its own initialisation."""
    g = torch.Generator().manual_seed(12345)
    opp = torch.randn(64, 5, generator=g)
    steps = TINY_MMAML["inner_steps"]
    before = float(M.mmaml_objective(mmaml_run["theta0_init"], mmaml_run["inner_lr_init"], opp, steps).detach())
    after = float(M.mmaml_objective(mmaml_run["theta0"], mmaml_run["inner_lr"], opp, steps).detach())
    # mutual defection (-2) to cooperation (-1) spans 1 reward unit; ask for a tenth of it
    assert after > before + 0.1, (before, after)
    curve = mmaml_run["curve"]
    assert curve.shape == (TINY_MMAML["outer_episodes"],)
    assert curve[-5:].mean() > curve[:5].mean() + 0.1
    assert torch.isfinite(curve).all()


def test_mmaml_deterministic_and_serialisable(mmaml_run):
    again = M.meta_train_mmaml(TINY_MMAML, seed=3)
    assert torch.equal(again["theta0"], mmaml_run["theta0"])
    assert torch.equal(again["inner_lr"], mmaml_run["inner_lr"])
    assert torch.equal(again["curve"], mmaml_run["curve"])
    other = M.meta_train_mmaml({**TINY_MMAML, "outer_episodes": 2}, seed=4)
    assert not torch.equal(other["theta0_init"], mmaml_run["theta0_init"])
    buf = io.BytesIO()
    torch.save(mmaml_run, buf)
    buf.seek(0)
    loaded = torch.load(buf)
    assert torch.equal(loaded["theta0"], mmaml_run["theta0"])
    assert mmaml_run["theta0"].shape == (5,) and mmaml_run["inner_lr"].shape == ()


def test_a_fixed_inner_lr_meta_learns_theta0_only_from_the_same_start(mmaml_run):
    fixed = M.meta_train_mmaml({**TINY_MMAML, "inner_lr": 1.0}, seed=3)
    assert torch.equal(fixed["theta0_init"], mmaml_run["theta0_init"])  # the same draws up to the option
    assert float(fixed["inner_lr"]) == 1.0 and float(fixed["inner_lr_init"]) == 1.0
    assert not torch.equal(fixed["theta0"], fixed["theta0_init"])
    assert float(mmaml_run["inner_lr"]) != float(mmaml_run["inner_lr_init"])  # learned: it moved
    # the fixed-lr curve is its own meta-objective: the first value is theta0_init's with lr 1 on the same draws
    gen = torch.Generator().manual_seed(3)
    torch.randn(5, generator=gen), torch.rand(1, generator=gen)
    opp = TINY_MMAML["init_std"] * torch.randn(TINY_MMAML["batch"], 5, generator=gen)
    first = M.mmaml_objective(fixed["theta0_init"], torch.tensor([1.0]), opp, TINY_MMAML["inner_steps"],
                              TINY_MMAML["opp_lr"], TINY_MMAML["gamma"])
    assert float(fixed["curve"][0]) == pytest.approx(float(first.detach()), rel=1e-6)


def test_mmaml_ids_are_seeds():
    cfg = {**TINY_MMAML, "outer_episodes": 1, "inner_steps": 2}
    runs = M.meta_train_mmaml_ids(cfg, ids=[0, 1])
    assert [r["seed"] for r in runs] == [0, 1]
    assert torch.equal(runs[1]["theta0"], M.meta_train_mmaml(cfg, seed=1)["theta0"])


def test_mmaml_agent_init_and_step(mmaml_run):
    agent = M.MMAMLAgent.from_result(mmaml_run)
    assert isinstance(agent, AnalyticAgent)
    theta = agent.init(7, torch.Generator().manual_seed(0))
    assert theta.shape == (7, 5)
    assert torch.equal(theta, mmaml_run["theta0"].expand(7, 5))
    g = torch.Generator().manual_seed(2)
    opp = torch.randn(7, 5, generator=g)
    new = agent.step(theta, opp)
    lr = float(mmaml_run["inner_lr"])
    torch.testing.assert_close(new, theta + lr * _ref_grad(theta, opp))
    torch.testing.assert_close(new, M.nl_step(theta, opp, lr))
    torch.testing.assert_close(new, NaiveLearner(lr).step(theta, opp))
    assert not new.requires_grad
    agent.reset_state()
    assert agent.init(3, None, dtype=torch.float64).dtype == torch.float64


def test_mmaml_config_keys():
    for scale in ("smoke", "default", "paper"):
        assert set(config.load(scale=scale)["recip_ipd_analytic"]["mmaml"]) == set(M.MMAML_KEYS)
    paper = config.load(scale="paper")["recip_ipd_analytic"]["mmaml"]
    assert (paper["outer_episodes"], paper["inner_steps"], paper["outer_lr"]) == (1000, 100, 0.01)  # M-FOS
    with pytest.raises(KeyError, match="bogus"):
        M.meta_train_mmaml({**TINY_MMAML, "bogus": 1})
    with pytest.raises(KeyError, match="outer_lr"):
        M.meta_train_mmaml({k: v for k, v in TINY_MMAML.items() if k != "outer_lr"})


# --------------------------------------------------------------------------- MFOS
def test_mfos_policy_shapes():
    torch.manual_seed(0)
    pol = M.MFOSPolicy()
    assert pol.actor[0].in_features == 10 and pol.actor[0].out_features == 256
    assert pol.actor[2].out_features == 10 and pol.critic[2].out_features == 1
    obs = torch.rand(4, 3, 10)
    dist, value = pol(obs)
    assert value.shape == (4, 3)
    act = dist.sample()
    assert act.shape == (4, 3, 5)
    assert dist.log_prob(act).shape == (4, 3) and dist.entropy().shape == (4, 3)
    mean, var = pol.mean_var(obs)
    raw = pol.actor(obs)[..., 5:]
    torch.testing.assert_close(var, torch.nn.functional.softplus(raw))
    torch.testing.assert_close(dist.variance, var)
    torch.testing.assert_close(dist.mean, mean)


def test_mfos_state_is_sigmoid_of_both_thetas():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 5, generator=g), torch.randn(5, 5, generator=g)
    s = M.mfos_state(a, b)
    assert s.shape == (5, 10)
    torch.testing.assert_close(s[:, :5], torch.sigmoid(a))
    torch.testing.assert_close(s[:, 5:], torch.sigmoid(b))


def test_mfos_rollout_follows_mfos_protocol():
    """Replays the NL opponent from the recorded actions: rewards and states must match."""
    torch.manual_seed(0)
    pol = M.MFOSPolicy(hidden=16)
    cfg = {**SMOKE["mfos"], "inner_steps": 5, "batch": 4}
    obs, acts, rews, opp_rews = M.mfos_rollout_nl(pol, cfg, torch.Generator().manual_seed(9))
    assert obs.shape == (5, 4, 10) and acts.shape == (5, 4, 5) and rews.shape == (5, 4)
    g = torch.Generator().manual_seed(9)  # same draws as the rollout's start
    own0, opp = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    torch.testing.assert_close(obs[0], torch.sigmoid(torch.cat([own0, opp], -1)))
    opp = M.nl_step(opp, own0)
    for t in range(5):
        r_own, r_opp = analytic_payoffs(acts[t], opp, GAMMA)
        torch.testing.assert_close(rews[t], r_own)
        torch.testing.assert_close(opp_rews[t], r_opp)
        if t + 1 < 5:
            torch.testing.assert_close(obs[t + 1], torch.sigmoid(torch.cat([acts[t], opp], -1)))
        opp = M.nl_step(opp, acts[t])


def test_mfos_deterministic_and_serialisable():
    a = M.meta_train_mfos(TINY_MFOS, seed=5)
    b = M.meta_train_mfos(TINY_MFOS, seed=5)
    assert torch.equal(a["curve"], b["curve"])
    assert a["state_dict"].keys() == b["state_dict"].keys()
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    c = M.meta_train_mfos(TINY_MFOS, seed=6)
    assert not torch.equal(a["curve"], c["curve"])
    assert a["curve"].shape == (3,)
    buf = io.BytesIO()
    torch.save(a, buf)
    buf.seek(0)
    torch.load(buf)


def test_mfos_training_does_not_touch_global_rng():
    torch.manual_seed(0)
    x = torch.rand(3)
    torch.manual_seed(0)
    M.meta_train_mfos({**TINY_MFOS, "meta_episodes": 1}, seed=1)
    assert torch.equal(torch.rand(3), x)


def test_mfos_learns_to_raise_its_reward_against_nl():
    """A short meta-training run raises MFOS's mean reward per step against fresh NL learners."""
    cfg = {**SMOKE["mfos"], "meta_episodes": 25, "inner_steps": 10, "batch": 64, "hidden": 64, "lr": 0.01}
    out = M.meta_train_mfos(cfg, seed=0)
    curve = out["curve"]
    assert torch.isfinite(curve).all()
    assert curve[-5:].mean() > curve[:5].mean() + 0.1, curve


def test_mfos_agent_acts_with_policy_mean():
    out = M.meta_train_mfos(TINY_MFOS, seed=2)
    agent = M.MFOSAgent.from_result(out)
    assert isinstance(agent, AnalyticAgent)
    gen = torch.Generator().manual_seed(0)
    theta = agent.init(6, gen)
    assert theta.shape == (6, 5)
    opp = torch.randn(6, 5, generator=gen)
    pol = M.MFOSPolicy(hidden=TINY_MFOS["hidden"])
    pol.load_state_dict(out["state_dict"])
    with torch.no_grad():
        dist, _ = pol(M.mfos_state(theta, opp))
    torch.testing.assert_close(agent.step(theta, opp), dist.mean)
    sampler = M.MFOSAgent(out["state_dict"], sample=True)
    sampler.init(6, torch.Generator().manual_seed(1))
    s1 = sampler.step(theta, opp)
    sampler.init(6, torch.Generator().manual_seed(1))
    assert torch.equal(sampler.step(theta, opp), s1)
    assert not torch.equal(s1, dist.mean)


def test_mfos_self_play_stage():
    cfg = {**TINY_MFOS, "meta_episodes": 4, "self_play": True, "selfplay_anneal": 0.5}
    out = M.meta_train_mfos(cfg, seed=0)
    # p_NL: 0.5, 0.0, ... -> episodes 2.. are against the other MFOS
    assert out["vs_self"][1:].all()
    assert torch.isnan(out["opp_curve"][out["vs_self"]]).all()
    assert "state_dict_1" in out
    assert out["cfg"]["selfplay_lr"] == 0.0002


def test_mfos_config_keys():
    for scale in ("smoke", "default", "paper"):
        assert set(config.load(scale=scale)["recip_ipd_analytic"]["mfos"]) == set(M.MFOS_KEYS)
    paper = config.load(scale="paper")["recip_ipd_analytic"]["mfos"]
    assert (paper["meta_episodes"], paper["inner_steps"], paper["batch"]) == (1024, 100, 4096)
    assert (paper["lr"], paper["epochs"], paper["clip"], paper["ppo_gamma"], paper["entropy_coef"]) == (
        0.002, 4, 0.2, 0.99, 0.01)
    with pytest.raises(KeyError, match="bogus"):
        M.meta_train_mfos({**TINY_MFOS, "bogus": 1})


def test_agents_play_round_robin_matches(mmaml_run):
    """Both agents run through ipd_analytic.play and the make_agent registry."""
    mfos = M.meta_train_mfos(TINY_MFOS, seed=0)
    agents = [
        make_agent("M-MAML", theta0=mmaml_run["theta0"], inner_lr=mmaml_run["inner_lr"]),
        make_agent("MFOS", state_dict=mfos["state_dict"]),
        M.MFOSAgent(mfos["state_dict"], sample=True),
    ]
    for agent in agents:
        out = play(agent, NaiveLearner(), n_updates=3, batch=5, seed=0)
        assert out["reward_1"].shape == (3,) and -3 <= out["mean_1"] <= 0
        again = play(agent, NaiveLearner(), n_updates=3, batch=5, seed=0)
        assert torch.equal(out["theta_1"], again["theta_1"])
    selfplay = play(agents[1], agents[1], n_updates=2, batch=4, seed=0)
    assert selfplay["theta_1"].shape == (4, 5)
