"""Tests of the multi-agent PPO learner (``mixedmotive.agents.mappo``), the engine's
``separable`` flag and the shared MARL training loop (``experiments.marl``, ``aga_ssd``,
``aga_mmm2``).

Expected values are derived independently: GAE, equality and reward shaping by hand;
the actors' forward pass with explicit per-agent ``conv2d`` / matmuls; the engine's
Hessian-vector products against central finite differences in float64.

Finite differences and the DiCE magic box
-----------------------------------------
``box = exp(s - stop_grad(s))`` has value 1 and gradient ``grad s`` *at the point where
the stop-gradient is evaluated*.  Re-detaching it at every perturbed point would make the
box disappear from every finite difference (agent i's gradient at fixed samples depends
on its own parameters only).  Autograd's second derivatives of a boxed loss are those of
the importance-weighted loss ``surr * exp(s(theta) - s(theta_0))`` with the reference
``theta_0`` frozen, evaluated at ``theta_0``: that is the function whose gradient field we
difference.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from mixedmotive.agents.mappo import (
    MAPPO,
    AgentActors,
    MAPPOConfig,
    RunningNorm,
    actor_losses,
    gae,
    mappo_config,
    parse_variant,
    shape_rewards,
)
from mixedmotive.experiments import aga_mmm2, aga_ssd
from mixedmotive.experiments.marl import EpisodeTracker
from mixedmotive.gradients import DirectionInfo, direction

DT = torch.float64


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --------------------------------------------------------------------------- parse_variant
@pytest.mark.parametrize("variant, expected", [
    ("aga_lam100", ("aga", 100.0)),
    ("aga_lam0.1", ("aga", 0.1)),
    ("simul_ind", ("simul_ind", None)),
    ("simul_co", ("simul_co", None)),
    ("cga_lam0.5", ("cga", 0.5)),
    ("svo", ("svo", None)),
    ("sl", ("sl", None)),
])
def test_parse_variant(variant, expected):
    assert parse_variant(variant) == expected


@pytest.mark.parametrize("bad", ["foo", "svo_lam1", "simul_ind_lam2", "sga", "aga_lamx"])
def test_parse_variant_rejects(bad):
    with pytest.raises(ValueError):
        parse_variant(bad)


def test_mappo_config_takes_only_known_keys():
    cfg = mappo_config({"lr": 0.1, "epochs": 7, "cross_terms": False, "unknown": 3})
    assert (cfg.lr, cfg.epochs, cfg.cross_terms) == (0.1, 7, False)
    assert cfg.clip == MAPPOConfig().clip


# --------------------------------------------------------------------------- AgentActors
def _randomise(module: torch.nn.Module, seed: int, scale: float = 0.7) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))


def _reference_logits(p: dict, obs_i: torch.Tensor, conv: bool, n_layers: int) -> torch.Tensor:
    """One agent's policy written out with that agent's own parameters."""
    if conv:
        x = F.relu(F.conv2d(obs_i, p["conv_w"], p["conv_b"])).flatten(1)
    else:
        x = obs_i.flatten(1)
    for k in range(n_layers):
        x = x @ p[f"w{k}"] + p[f"b{k}"]
        if k < n_layers - 1:
            x = F.relu(x)
    return x


@pytest.mark.parametrize("obs_shape, channels", [((5,), 6), ((2, 5, 4), 3), ((2, 5, 4), 0)])
def test_agent_actors_are_independent_policies(obs_shape, channels):
    torch.manual_seed(0)
    N, A, M = 3, 4, 6
    actors = AgentActors(N, obs_shape, A, hidden=(7, 5), channels=channels).double()
    _randomise(actors, 1)
    conv = len(obs_shape) == 3 and channels > 0
    assert actors.conv == conv
    names = set(actors.agents[0].keys())
    assert names == ({"conv_w", "conv_b"} if conv else set()) | {"w0", "b0", "w1", "b1", "w2", "b2"}
    params = actors.agent_params()
    assert len(params) == N and all(t.is_leaf for ps in params for t in ps)
    # no tensor is shared between agents
    assert len({id(t) for ps in params for t in ps}) == sum(len(ps) for ps in params)

    obs = torch.randn(M, N, *obs_shape, dtype=DT)
    logits = actors(obs)
    assert logits.shape == (M, N, A)
    for i in range(N):
        ref = _reference_logits(actors.agents[i], obs[:, i], conv, actors.n_layers)
        torch.testing.assert_close(logits[:, i], ref, rtol=1e-12, atol=1e-12)

    # perturbing agent j's parameters or observation changes agent j's logits only
    for j in range(N):
        obs2 = obs.clone()
        obs2[:, j] += torch.randn_like(obs2[:, j])
        out = actors(obs2)
        with torch.no_grad():
            saved = [t.clone() for t in params[j]]
            for t in params[j]:
                t.add_(torch.randn_like(t))
            out_p = actors(obs)
            for t, s in zip(params[j], saved, strict=True):
                t.copy_(s)
        for i in range(N):
            if i == j:
                assert not torch.allclose(out[:, i], logits[:, i])
                assert not torch.allclose(out_p[:, i], logits[:, i])
            else:
                torch.testing.assert_close(out[:, i], logits[:, i], rtol=1e-12, atol=1e-12)
                torch.testing.assert_close(out_p[:, i], logits[:, i], rtol=1e-12, atol=1e-12)


def test_agent_actors_gradient_of_one_agent_touches_its_parameters_only():
    torch.manual_seed(0)
    actors = AgentActors(3, (2, 4, 4), 3, hidden=(4,), channels=2).double()
    obs = torch.randn(5, 3, 2, 4, 4, dtype=DT)
    params = actors.agent_params()
    grads = torch.autograd.grad(actors(obs)[:, 1].pow(2).sum(), [t for ps in params for t in ps],
                                allow_unused=True)
    k = 0
    for i, ps in enumerate(params):
        for _ in ps:
            g = grads[k]
            k += 1
            if i == 1:
                assert g is not None and g.abs().sum() > 0
            else:
                assert g is None or g.abs().sum() == 0


def test_masked_actions_get_zero_probability():
    torch.manual_seed(0)
    N, A, M = 3, 5, 50
    actors = AgentActors(N, (4,), A, hidden=(6,))
    _randomise(actors, 2, scale=2.0)
    obs = torch.randn(M, N, 4)
    avail = torch.rand(M, N, A) < 0.5
    avail[..., 0] = True  # every agent has at least one action
    probs = torch.softmax(actors(obs, avail), -1)
    assert probs[~avail].max() < 1e-30
    torch.testing.assert_close(probs.sum(-1), torch.ones(M, N))
    # the available actions keep the unmasked softmax restricted to them
    raw = actors(obs).masked_fill(~avail, -math.inf)
    torch.testing.assert_close(probs, torch.softmax(raw, -1))

    learner = MAPPO("simul_ind", N, (4,), (3,), A, MAPPOConfig(), actor_hidden=(6,), critic_hidden=(6,))
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        a, logp = learner.act(obs, avail, gen)
        assert a.shape == (M, N) and logp.shape == (M, N)
        assert avail.gather(-1, a.unsqueeze(-1)).all()
        assert (logp <= 0).all() and torch.isfinite(logp).all()


# --------------------------------------------------------------------------- actor losses
def _problem(seed=0, N=3, D=2, A=3, M=16, hidden=(4,), ratio_noise=0.05, scale=0.7):
    """A tiny float64 policy batch; old log-probs near the current ones (ratios inside the clip)."""
    torch.manual_seed(seed)
    actors = AgentActors(N, (D,), A, hidden=hidden).double()
    _randomise(actors, seed + 100, scale)
    obs = torch.randn(M, N, D, dtype=DT)
    with torch.no_grad():
        dist = torch.distributions.Categorical(logits=actors(obs))
        actions = dist.sample()
        logp0 = dist.log_prob(actions)
    old_logp = logp0 + ratio_noise * (2 * torch.rand(M, N, dtype=DT) - 1)
    adv_ind = torch.randn(M, N, dtype=DT)
    adv_col = torch.randn(M, dtype=DT)
    return actors, dict(obs=obs, actions=actions, old_logp=old_logp, adv_ind=adv_ind, adv_col=adv_col)


CLIP, ENT = 0.2, 0.03


def _losses(actors, b, cross_terms=True, old_logp=None):
    logits = actors(b["obs"])
    return actor_losses(logits, b["actions"], b["old_logp"] if old_logp is None else old_logp,
                        b["adv_ind"], b["adv_col"], CLIP, ENT, cross_terms)


def _grads(loss, tensors):
    gs = torch.autograd.grad(loss, tensors, retain_graph=True, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for t, g in zip(tensors, gs, strict=True)]


def _flat(gs):
    return torch.cat([g.reshape(-1) for g in gs])


def test_boxed_losses_same_values_and_own_gradients_plus_cross_gradients():
    actors, b = _problem()
    params = actors.agent_params()
    L = _losses(actors, b, cross_terms=True)
    N = len(params)
    assert len(L["own"]) == len(L["boxed"]) == N
    for i in range(N):
        torch.testing.assert_close(L["boxed"][i], L["own"][i], rtol=1e-14, atol=1e-14)
        torch.testing.assert_close(_flat(_grads(L["boxed"][i], params[i])), _flat(_grads(L["own"][i], params[i])),
                                   rtol=1e-12, atol=1e-14)
        for j in range(N):
            if j == i:
                continue
            own_j = torch.autograd.grad(L["own"][i], params[j], retain_graph=True, allow_unused=True)
            assert all(g is None or g.abs().max() == 0 for g in own_j)
            assert _flat(_grads(L["boxed"][i], params[j])).abs().max() > 1e-6

    # first-order cross gradient of the box: -mean(surr_i * grad log pi_j)
    logits = actors(b["obs"])
    logp = torch.distributions.Categorical(logits=logits).log_prob(b["actions"])
    ratio = torch.exp(logp.detach() - b["old_logp"])[:, 0]
    surr0 = torch.minimum(ratio * b["adv_ind"][:, 0], ratio.clamp(1 - CLIP, 1 + CLIP) * b["adv_ind"][:, 0])
    expected = _grads(-(surr0 * logp[:, 1]).mean(), params[1])
    torch.testing.assert_close(_flat(_grads(L["boxed"][0], params[1])), _flat(expected), rtol=1e-10, atol=1e-14)

    L0 = _losses(actors, b, cross_terms=False)
    flat_params = [t for ps in params for t in ps]
    for i in range(N):
        torch.testing.assert_close(L0["boxed"][i], L0["own"][i], rtol=0, atol=0)
        torch.testing.assert_close(L0["own"][i], L["own"][i], rtol=1e-14, atol=1e-14)
        # no cross gradient left: every parameter gradient equals the own loss's
        torch.testing.assert_close(_flat(_grads(L0["boxed"][i], flat_params)),
                                   _flat(_grads(L0["own"][i], flat_params)), rtol=0, atol=0)


@pytest.mark.parametrize("cross_terms", [True, False])
def test_collective_loss_gradient_at_ratio_one_is_collective_policy_gradient(cross_terms):
    actors, b = _problem(seed=3)
    params = actors.agent_params()
    with torch.no_grad():
        logp_now = torch.distributions.Categorical(logits=actors(b["obs"])).log_prob(b["actions"])
    L = _losses(actors, b, cross_terms=cross_terms, old_logp=logp_now)
    dist = torch.distributions.Categorical(logits=actors(b["obs"]))
    logp, ent = dist.log_prob(b["actions"]), dist.entropy()
    for i in range(len(params)):
        ref = -(b["adv_col"] * logp[:, i]).mean() - ENT * ent[:, i].mean()
        torch.testing.assert_close(_flat(_grads(L["collective"], params[i])), _flat(_grads(ref, params[i])),
                                   rtol=1e-10, atol=1e-14)
    # own losses at ratio 1: individual policy gradient minus entropy bonus
    for i in range(len(params)):
        ref = -(b["adv_ind"][:, i] * logp[:, i]).mean() - ENT * ent[:, i].mean()
        value = -b["adv_ind"][:, i].mean() - ENT * ent[:, i].mean()  # ratio 1
        torch.testing.assert_close(L["own"][i], value, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(_flat(_grads(L["own"][i], params[i])), _flat(_grads(ref, params[i])),
                                   rtol=1e-10, atol=1e-14)


def test_own_loss_is_clipped_surrogate():
    """Ratios far outside the clip range: the surrogate takes the pessimistic (clipped) branch."""
    actors, b = _problem(seed=4, ratio_noise=1.0)
    with torch.no_grad():
        L = _losses(actors, b, cross_terms=False)
        dist = torch.distributions.Categorical(logits=actors(b["obs"]))
    ratio = torch.exp(dist.log_prob(b["actions"]) - b["old_logp"]).detach()
    assert ((ratio - 1).abs() > CLIP).any()
    for i in range(ratio.shape[1]):
        r, a = ratio[:, i], b["adv_ind"][:, i]
        surr = [min(float(x) * float(y), min(max(float(x), 1 - CLIP), 1 + CLIP) * float(y))
                for x, y in zip(r, a, strict=True)]
        expected = -np.mean(surr) - ENT * float(dist.entropy()[:, i].mean().detach())
        assert float(L["own"][i]) == pytest.approx(expected, rel=1e-12, abs=1e-14)


# --------------------------------------------------------------------------- HVPs vs finite differences
def _is_losses(actors, b, s0, cross_terms):
    """Importance-weighted stand-in for the boxed losses with a frozen reference (see module doc).

    Needs every ratio inside the clip range (then min(ratio A, clip(ratio) A) = ratio A).
    """
    dist = torch.distributions.Categorical(logits=actors(b["obs"]))
    logp, ent = dist.log_prob(b["actions"]), dist.entropy().mean(0)
    ratio = torch.exp(logp - b["old_logp"])
    n = logp.shape[1]
    if cross_terms:
        others = logp.sum(1, keepdim=True) - logp
        w = torch.exp(others - s0)
    else:
        w = torch.ones_like(logp)
    ind = -(ratio * b["adv_ind"] * w).mean(0) - ENT * ent
    col = -(ratio * b["adv_col"].unsqueeze(1) * w).mean(0).sum() / (n if cross_terms else 1) - ENT * ent.sum()
    return list(ind.unbind(0)), col


def _fd_grad_of_half_norm(actors, field_fn, h=1e-5):
    """Central differences of theta -> 1/2 ||field(theta)||^2 over the flattened parameters."""
    flat = [t for ps in actors.agent_params() for t in ps]
    theta0 = torch.nn.utils.parameters_to_vector(flat).detach().clone()

    def f(theta):
        torch.nn.utils.vector_to_parameters(theta, flat)
        return 0.5 * float(_flat(field_fn()).pow(2).sum())

    out = torch.zeros_like(theta0)
    for k in range(theta0.numel()):
        e = torch.zeros_like(theta0)
        e[k] = h
        out[k] = (f(theta0 + e) - f(theta0 - e)) / (2 * h)
    torch.nn.utils.vector_to_parameters(theta0, flat)
    return out


def _s0(actors, b):
    with torch.no_grad():
        logp = torch.distributions.Categorical(logits=actors(b["obs"])).log_prob(b["actions"])
        return logp.sum(1, keepdim=True) - logp


def _inside_clip(actors, b):
    with torch.no_grad():
        logp = torch.distributions.Categorical(logits=actors(b["obs"])).log_prob(b["actions"])
    return bool(((logp - b["old_logp"]).exp() - 1).abs().max() < CLIP - 0.05)


def _cga_correction(actors, b, cross_terms):
    """Engine's H^T xi = (cga(lam=1) - simul_ind) on the boxed losses."""
    params = actors.agent_params()
    L = _losses(actors, b, cross_terms)
    d_cga = direction("cga", L["boxed"], params, 1.0, separable=False)
    L = _losses(actors, b, cross_terms)
    d_ind = direction("simul_ind", L["boxed"], params, separable=False)
    return _flat([x for ps in d_cga for x in ps]) - _flat([x for ps in d_ind for x in ps])


@pytest.mark.parametrize("cross_terms", [True, False])
def test_cga_hessian_vector_product_matches_finite_differences(cross_terms):
    actors, b = _problem(seed=5)
    assert _inside_clip(actors, b)
    params = actors.agent_params()
    ht_xi = _cga_correction(actors, b, cross_terms)
    s0 = _s0(actors, b)

    def xi():
        ind, _ = _is_losses(actors, b, s0, cross_terms)
        return [g for loss, ps in zip(ind, params, strict=True) for g in _grads(loss, ps)]

    # the stand-in has the same gradient field at theta_0 as the engine's xi
    L = _losses(actors, b, cross_terms)
    xi_engine = _flat([x for ps in direction("simul_ind", L["boxed"], params) for x in ps])
    torch.testing.assert_close(_flat(xi()), xi_engine, rtol=1e-10, atol=1e-13)

    fd = _fd_grad_of_half_norm(actors, xi)
    assert fd.abs().max() > 1e-3  # a non-trivial test
    torch.testing.assert_close(ht_xi, fd, rtol=1e-6, atol=1e-8 * float(fd.abs().max()) + 1e-10)

    if cross_terms:
        # re-detaching the box at every perturbed point sees the block-diagonal part only
        def xi_redetached():
            L = _losses(actors, b, True)
            return [g for loss, ps in zip(L["boxed"], params, strict=True) for g in _grads(loss, ps)]

        naive = _fd_grad_of_half_norm(actors, xi_redetached)
        block_diagonal = _cga_correction(actors, b, False)
        torch.testing.assert_close(naive, block_diagonal, rtol=1e-6, atol=1e-8 * float(fd.abs().max()) + 1e-10)
        assert (naive - ht_xi).abs().max() > 1e-3 * fd.abs().max()


def test_cross_terms_change_the_cga_correction():
    actors, b = _problem(seed=5)
    params = actors.agent_params()
    with_cross = _cga_correction(actors, b, True)
    without = _cga_correction(actors, b, False)
    diff = with_cross - without
    assert diff.norm() > 1e-2 * without.norm()
    # the cross blocks H_ji (j != i) add sum_{j != i} H_ji^T xi_j to every agent's correction
    sizes = [sum(t.numel() for t in ps) for ps in params]
    for part in diff.split(sizes):
        assert part.abs().max() > 0


def test_aga_collective_hessian_vector_product_matches_finite_differences():
    actors, b = _problem(seed=7)
    assert _inside_clip(actors, b)
    params = actors.agent_params()
    lam = 2.5
    L = _losses(actors, b, cross_terms=True)
    info = DirectionInfo()
    d = direction("aga", L["own"], params, lam, L["collective"], separable=True, info=info)
    lam_signed = float(info.lam)
    assert abs(lam_signed) == lam  # this problem has a non-zero sign
    d = _flat([x for ps in d for x in ps])
    L = _losses(actors, b, cross_terms=True)
    xi = _flat([g for loss, ps in zip(L["own"], params, strict=True) for g in _grads(loss, ps)])
    flat_params = [t for ps in params for t in ps]
    xi_c = _flat(_grads(L["collective"], flat_params))
    hc_xi_c = (d - xi_c) / lam_signed - xi

    s0 = _s0(actors, b)

    def xi_c_fn():
        _, col = _is_losses(actors, b, s0, True)
        return _grads(col, flat_params)

    torch.testing.assert_close(_flat(xi_c_fn()), xi_c, rtol=1e-10, atol=1e-13)
    fd = _fd_grad_of_half_norm(actors, xi_c_fn)
    assert fd.abs().max() > 1e-3
    torch.testing.assert_close(hc_xi_c, fd, rtol=1e-6, atol=1e-8 * float(fd.abs().max()) + 1e-10)

    # the sign rule of the engine, recomputed from these independent pieces
    g = fd
    expected_sign = np.sign(float(xi_c @ g) * (float(xi @ g) + float(g @ g)))
    assert np.sign(lam_signed) == expected_sign


# --------------------------------------------------------------------------- separable engine
# svo / sl: the engine's shaping mixes the players' losses, so it must ignore `separable` there
@pytest.mark.parametrize("method", ["simul_ind", "cga", "aga", "simul_co", "svo", "sl"])
def test_separable_flag_gives_the_same_direction_on_own_losses(method):
    actors, b = _problem(seed=9)
    params = actors.agent_params()
    out = []
    for separable in (False, True):
        L = _losses(actors, b, cross_terms=True)
        info = DirectionInfo()
        d = direction(method, L["own"], params, 1.5, L["collective"], separable=separable, info=info,
                      sl_self_interest=0.5)
        out.append((_flat([x for ps in d for x in ps]), info.lam))
    torch.testing.assert_close(out[0][0], out[1][0], rtol=1e-12, atol=1e-14)
    assert out[0][0].abs().max() > 0
    if method in ("cga", "aga"):
        assert float(out[0][1]) == float(out[1][1])


def test_separable_flag_is_wrong_for_boxed_losses():
    """The boxed losses depend on the other agents' parameters: the single backward pass
    then mixes in the cross gradients (why MAPPO only uses ``separable`` on own losses)."""
    actors, b = _problem(seed=9)
    params = actors.agent_params()
    L = _losses(actors, b, cross_terms=True)
    right = _flat([x for ps in direction("simul_ind", L["boxed"], params) for x in ps])
    wrong = _flat([x for ps in direction("simul_ind", L["boxed"], params, separable=True) for x in ps])
    assert (right - wrong).abs().max() > 1e-6


@pytest.mark.parametrize("variant, engine, boxed, with_collective, lam", [
    ("cga_lam0.5", "cga", True, False, 0.5),
    ("aga_lam3", "aga", False, True, 3.0),
    ("simul_co", "simul_co", False, True, 1.0),
    ("sl", "simul_ind", False, False, 1.0),
])
def test_learner_direction_uses_the_right_losses(variant, engine, boxed, with_collective, lam):
    actors, b = _problem(seed=11)
    learner = MAPPO(variant, 3, (2,), (3,), 3, MAPPOConfig(cga_lam=7.0), actor_hidden=(4,), critic_hidden=(4,))
    learner.actors = actors
    assert learner.lam == lam
    params = actors.agent_params()
    d = _flat([x for ps in learner.direction(_losses(actors, b)) for x in ps])
    L = _losses(actors, b)
    ref = direction(engine, L["boxed"] if boxed else L["own"], params, lam,
                    L["collective"] if with_collective else None)
    torch.testing.assert_close(d, _flat([x for ps in ref for x in ps]), rtol=1e-12, atol=1e-14)


def test_cga_default_lambda_comes_from_config():
    learner = MAPPO("cga", 2, (2,), (3,), 3, MAPPOConfig(cga_lam=7.0), actor_hidden=(4,), critic_hidden=(4,))
    assert learner.lam == 7.0
    assert MAPPO("aga", 2, (2,), (3,), 3, MAPPOConfig(cga_lam=7.0), actor_hidden=(4,), critic_hidden=(4,)).lam == 1.0


# --------------------------------------------------------------------------- GAE, normalisation, shaping
def test_gae_hand_example():
    # two games, two value columns (second column = first + 1 in values, x2 in rewards)
    r = torch.tensor([1.0, 2.0, 3.0], dtype=DT)
    v = torch.tensor([0.5, 1.0, 1.5, 2.0], dtype=DT)
    rewards = torch.stack([torch.stack([r, 2 * r], -1)] * 2, 1)  # (3, 2, 2)
    values = torch.stack([torch.stack([v, v + 1], -1)] * 2, 1)  # (4, 2, 2)
    dones = torch.tensor([[False, False], [True, False], [False, False]])  # game 0 ends after step 1
    g = 0.9
    # game 0, column 0: deltas 1 + .9*1 - .5 = 1.4, 2 - 1 = 1 (no bootstrap), 3 + .9*2 - 1.5 = 3.3
    # game 1, column 0: deltas 1.4, 2 + .9*1.5 - 1 = 2.35, 3.3
    # column 1: r' = 2r, v' = v + 1:
    #   game 0: 2 + .9*2 - 1.5 = 2.3, 4 - 2 = 2, 6 + .9*3 - 2.5 = 6.2
    #   game 1: 2.3, 4 + .9*2.5 - 2 = 4.25, 6.2
    td = torch.tensor([[[1.4, 2.3], [1.4, 2.3]], [[1.0, 2.0], [2.35, 4.25]], [[3.3, 6.2], [3.3, 6.2]]], dtype=DT)
    torch.testing.assert_close(gae(rewards, values, dones, g, 0.0), td)
    # lambda = 1: discounted return (bootstrapped at the rollout end, cut at the done) minus value
    ret0 = [1 + .9 * 2, 2, 3 + .9 * 2]                      # game 0, column 0
    ret1 = [1 + .9 * 2 + .81 * 3 + .729 * 2, 2 + .9 * 3 + .81 * 2, 3 + .9 * 2]
    ret0b = [2 + .9 * 4, 4, 6 + .9 * 3]                     # column 1
    ret1b = [2 + .9 * 4 + .81 * 6 + .729 * 3, 4 + .9 * 6 + .81 * 3, 6 + .9 * 3]
    mc = torch.tensor([[[ret0[t] - v[t], ret0b[t] - v[t] - 1], [ret1[t] - v[t], ret1b[t] - v[t] - 1]]
                       for t in range(3)], dtype=DT)
    torch.testing.assert_close(gae(rewards, values, dones, g, 1.0), mc)
    # lambda = 0.5 at t = 0 of game 0: delta_0 + 0.9 * 0.5 * delta_1 (delta_2 cut by the done)
    half = gae(rewards, values, dones, g, 0.5)
    assert float(half[0, 0, 0]) == pytest.approx(1.4 + 0.45 * 1.0)
    assert float(half[1, 0, 0]) == pytest.approx(1.0)
    assert float(half[0, 1, 0]) == pytest.approx(1.4 + 0.45 * (2.35 + 0.45 * 3.3))


def test_running_norm_round_trip_and_statistics():
    torch.manual_seed(0)
    norm = RunningNorm(3).double()
    x = torch.randn(7, 3, dtype=DT)
    # before any update: mean 0, std at its floor sqrt(1e-2)
    torch.testing.assert_close(norm.normalise(x), x / 0.1)
    torch.testing.assert_close(norm.denormalise(norm.normalise(x)), x)
    mean, std = torch.tensor([3.0, -2.0, 5.0], dtype=DT), torch.tensor([2.0, 0.5, 0.0], dtype=DT)
    data = mean + std * torch.randn(50, 40, 3, dtype=DT)  # (T, B, K): update flattens the leading dims
    norm.update(data)
    flat = data.reshape(-1, 3)
    z = norm.normalise(flat)
    # one debiased update = the batch's own mean and (population) std
    torch.testing.assert_close(z[:, :2].mean(0), torch.zeros(2, dtype=DT), rtol=0, atol=1e-10)
    torch.testing.assert_close(z[:, :2].std(0, unbiased=False), torch.ones(2, dtype=DT), rtol=1e-8, atol=0)
    # a constant column: mean removed, std floored at sqrt(1e-2) = 0.1
    torch.testing.assert_close(z[:, 2], torch.zeros(2000, dtype=DT), rtol=0, atol=1e-8)
    assert float(norm.normalise(torch.tensor([[3.0, -2.0, 6.0]], dtype=DT))[0, 2]) == pytest.approx(10.0)
    for _ in range(20):
        norm.update(mean + std * torch.randn(100, 3, dtype=DT))
    z = norm.normalise(mean + std * torch.randn(4000, 3, dtype=DT))
    assert z[:, :2].mean(0).abs().max() < 0.1
    assert (z[:, :2].std(0) - 1).abs().max() < 0.1
    torch.testing.assert_close(norm.denormalise(norm.normalise(x)), x)


def test_shape_rewards():
    torch.manual_seed(0)
    cfg = MAPPOConfig(sl_self_interest=0.5, svo_angle_deg=45.0, svo_weight=0.3)
    r = torch.randn(4, 2, 3, dtype=DT)
    sl = shape_rewards("sl", r, cfg)
    for i in range(3):
        others = [j for j in range(3) if j != i]
        torch.testing.assert_close(sl[..., i], 0.5 * r[..., i] + 0.5 * r[..., others].mean(-1))
    svo = shape_rewards("svo", r, cfg)
    for i in range(3):
        others = [j for j in range(3) if j != i]
        angle = torch.atan2(r[..., others].mean(-1), r[..., i])
        torch.testing.assert_close(svo[..., i], r[..., i] - 0.3 * (math.pi / 4 - angle).abs())
    for m in ("aga", "simul_ind", "simul_co", "cga"):
        assert torch.equal(shape_rewards(m, r, cfg), r)


# --------------------------------------------------------------------------- MAPPO.update
def _batch(N=3, D=5, S=7, A=4, T=4, B=2, seed=0, avail=True):
    g = torch.Generator().manual_seed(seed)
    out = {"obs": torch.randn(T, B, N, D, generator=g), "state": torch.randn(T + 1, B, S, generator=g),
           "rewards": torch.randn(T, B, N, generator=g), "dones": torch.rand(T, B, generator=g) < 0.3}
    out["team"] = out["rewards"].sum(-1)
    if avail:
        out["avail"] = torch.rand(T, B, N, A, generator=g) < 0.7
        out["avail"][..., 0] = True
    return out


@pytest.mark.parametrize("variant", ["simul_ind", "simul_co", "svo", "sl", "cga", "aga_lam100"])
def test_update_runs_and_moves_actor_and_critic(variant):
    torch.manual_seed(0)
    N, D, S, A = 3, 5, 7, 4
    learner = MAPPO(variant, N, (D,), (S,), A, MAPPOConfig(epochs=2, lr=1e-2), actor_hidden=(6,),
                    critic_hidden=(6,))
    batch = _batch(N, D, S, A)
    batch["actions"], batch["logp"] = learner.act(batch["obs"].flatten(0, 1), batch["avail"].flatten(0, 1))
    batch["actions"] = batch["actions"].view(4, 2, N)
    batch["logp"] = batch["logp"].view(4, 2, N)
    before_a = [p.detach().clone() for p in learner.actors.parameters()]
    before_c = [p.detach().clone() for p in learner.critic.parameters()]
    stats = learner.update(batch)
    for k in ("value_loss", "entropy", "policy_loss"):
        assert math.isfinite(stats[k])
    # NaN only for gradient pieces the method does not compute
    assert all(math.isfinite(v) for k, v in stats.items() if not (k.startswith("norm_") or k.startswith("h_gt_")))
    assert math.isfinite(stats["norm_xi_l0"]) or variant in ("simul_co", "cga")
    moved = [not torch.equal(p.detach(), q) for p, q in zip(learner.actors.parameters(), before_a, strict=True)]
    assert sum(moved) >= len(moved) // 2
    per_agent = learner.actors.agent_params()
    k = 0
    for ps in per_agent:
        assert any(moved[k:k + len(ps)])
        k += len(ps)
    assert all(not torch.equal(p.detach(), q) for p, q in zip(learner.critic.parameters(), before_c, strict=True))
    if variant.startswith("aga") or variant.startswith("cga"):
        assert 0.0 <= stats["lam_positive"] <= 1.0 and 0.0 <= stats["lam_zero"] <= 1.0
    else:
        assert "lam_positive" not in stats
    assert float(learner.value_norm.debias) > 0


def test_update_is_reproducible_from_a_state_dict():
    torch.manual_seed(0)
    N, D, S, A = 3, 5, 7, 4
    cfg = MAPPOConfig(epochs=2)
    a = MAPPO("aga_lam1", N, (D,), (S,), A, cfg, actor_hidden=(6,), critic_hidden=(6,))
    batch = _batch(N, D, S, A, avail=False)
    acts, logp = a.act(batch["obs"].flatten(0, 1))
    batch["actions"], batch["logp"] = acts.view(4, 2, N), logp.view(4, 2, N)
    a.update(batch)  # non-trivial optimiser and normaliser state
    state = copy.deepcopy(a.state_dict())
    torch.manual_seed(123)
    b = MAPPO("aga_lam1", N, (D,), (S,), A, cfg, actor_hidden=(6,), critic_hidden=(6,))
    b.load_state_dict(state)
    sa, sb = a.update(batch), b.update(batch)
    assert sa == sb
    for p, q in zip(list(a.actors.parameters()) + list(a.critic.parameters()),
                    list(b.actors.parameters()) + list(b.critic.parameters()), strict=True):
        assert torch.equal(p, q)


# --------------------------------------------------------------------------- training loop
NET = {"actor_channels": 2, "actor_hidden": [6], "critic_channels": 2, "critic_hidden": [6]}


def _ssd_cfg():
    return dict(n_agents=3, T=6, batch=2, horizon=6, updates=2, threads=1, harvest_regrowth_window=5,
                network=dict(NET), mappo={"epochs": 2})


def _mmm2_cfg():
    return dict(batch=4, horizon=40, updates=2, episode_limit=30, threads=1, backend="embedded",
                network={"actor_hidden": [8], "critic_hidden": [8]}, mappo={"epochs": 2})


def _check_common(df, horizon, batch, updates, n_agents):
    assert len(df) == updates
    assert list(df["update"]) == list(range(updates))
    assert list(df["env_steps"]) == [horizon * batch * (u + 1) for u in range(updates)]
    eq = df["equality"].to_numpy(float)
    assert np.all(np.isnan(eq) | ((eq >= 0) & (eq <= 1)))
    for col in ("episodes", "collective", "return_mean", "equality_undefined", "value_loss", "entropy",
                "policy_loss"):
        assert col in df.columns
    assert np.isfinite(df["value_loss"]).all()
    fin = df["episodes"] > 0
    np.testing.assert_allclose(df.loc[fin, "collective"] / n_agents, df.loc[fin, "return_mean"], rtol=1e-6)
    assert df.loc[~fin, "collective"].isna().all()


def test_ssd_run_deterministic_per_seed_and_columns():
    cfg = _ssd_cfg()
    a = aga_ssd.run(cfg, "harvest:aga_lam1", seed=0)
    b = aga_ssd.run(cfg, "harvest:aga_lam1", seed=0)
    pd.testing.assert_frame_equal(a, b)
    c = aga_ssd.run(cfg, "harvest:aga_lam1", seed=1)
    assert not a.equals(c)
    _check_common(a, 6, 2, 2, 3)
    assert (a["game"] == "harvest").all() and (a["method"] == "aga").all() and (a["lam"] == 1.0).all()
    assert {"sustainability", "hits"} <= set(a.columns)
    # T = horizon: every game ends exactly once per rollout
    assert list(a["episodes"]) == [2, 2]
    assert (a["hits"] >= 0).all()
    sus = a["sustainability"].to_numpy(float)
    assert np.all(np.isnan(sus) | ((sus >= 0) & (sus < 6)))
    assert ((a["lam_positive"] >= 0) & (a["lam_positive"] <= 1)).all()


def test_ssd_run_rejects_bad_method():
    with pytest.raises(ValueError):
        aga_ssd.run(_ssd_cfg(), "harvest", 0)
    with pytest.raises(ValueError):
        aga_ssd.run(_ssd_cfg(), "chess:simul_ind", 0)


def test_mmm2_run_deterministic_per_seed_and_columns():
    cfg = _mmm2_cfg()
    a = aga_mmm2.run(cfg, "simul_ind", 0)
    b = aga_mmm2.run(cfg, "simul_ind", 0)
    pd.testing.assert_frame_equal(a, b)
    c = aga_mmm2.run(cfg, "simul_ind", 1)
    assert not a.equals(c)
    _check_common(a, 40, 4, 2, 10)
    assert a["episodes"].sum() > 0
    fin = a["episodes"] > 0
    wr = a.loc[fin, "win_rate"]
    assert ((wr >= 0) & (wr <= 1)).all()
    assert a.loc[~fin, "win_rate"].isna().all()
    assert np.isfinite(a.loc[fin, "team_return"]).all()


# --------------------------------------------------------------------------- EpisodeTracker
class _FakeTask:
    extra_columns = ()

    def episode_extras(self, info):
        return {}

    def finish(self, s):
        return {}


class _CountingTask:
    """Counts steps per episode: checks the per-game extras are reset when a game ends."""

    extra_columns = ("length",)

    def episode_extras(self, info):
        return {"n": torch.ones(2)}

    def finish(self, s):
        return {"length": float(s["n"])}


def _equality(r):
    r = np.asarray(r, float)
    n = len(r)
    return 1 - sum(abs(a - b) for a in r for b in r) / (2 * n * r.sum())


def test_episode_tracker_by_hand():
    tr = EpisodeTracker(_FakeTask(), batch=2, n_agents=3, device="cpu")
    F_, T_ = False, True
    tr.step(torch.tensor([[1.0, 0, 2], [0, 0, 1]]), torch.tensor([F_, F_]), {})
    tr.step(torch.tensor([[1.0, 2, 0], [3, 0, 0]]), torch.tensor([T_, F_]), {})  # game 0: (2, 2, 2)
    tr.step(torch.tensor([[1.0, 1, 1], [0, 0, 0]]), torch.tensor([F_, T_]), {})  # game 1: (3, 0, 1)
    out = tr.flush()
    # E(2,2,2) = 1; E(3,0,1) = 1 - 2*(3+2+1) / (2*3*4) = 0.5
    assert _equality([3, 0, 1]) == pytest.approx(0.5)
    assert out["episodes"] == 2
    assert out["collective"] == pytest.approx((6 + 4) / 2)
    assert out["return_mean"] == pytest.approx(10 / 6)
    assert out["equality"] == pytest.approx(0.75)
    assert out["equality_undefined"] == 0
    # game 0 carries (1, 1, 1) into its second episode; game 1 restarted from zero
    tr.step(torch.tensor([[-1.0, -1, -1], [5, 1, 0]]), torch.tensor([T_, T_]), {})
    out = tr.flush()
    # game 0: (0, 0, 0) -> E undefined; game 1: (5, 1, 0): E = 1 - 2*(4+5+1)/(2*3*6)
    assert out["episodes"] == 2
    assert out["collective"] == pytest.approx((0 + 6) / 2)
    assert out["equality"] == pytest.approx(1 - 20 / 36)
    assert out["equality_undefined"] == 1
    out = tr.flush()
    assert out["episodes"] == 0 and math.isnan(out["collective"]) and math.isnan(out["equality"])


def test_episode_tracker_extras_reset_per_game():
    tr = EpisodeTracker(_CountingTask(), batch=2, n_agents=2, device="cpu")
    r = torch.ones(2, 2)
    dones = [(False, False), (True, False), (False, False), (False, True), (True, False)]
    for d in dones:
        tr.step(r, torch.tensor(d), {})
    out = tr.flush()
    # episodes: game 0 length 2, game 1 length 4, game 0 length 3
    assert out["episodes"] == 3
    assert out["length"] == pytest.approx((2 + 4 + 3) / 3)
    assert out["collective"] == pytest.approx(2 * (2 + 4 + 3) / 3)
    assert out["equality"] == pytest.approx(1.0)
    empty = tr.flush()
    assert empty["episodes"] == 0 and math.isnan(empty["length"])



# --------------------------------------------------------------------------- AgA ablation options
def test_collective_sum_scales_the_surrogate_not_the_entropy():
    actors, b = _problem(seed=5)
    params = actors.agent_params()
    n = len(params)
    with torch.no_grad():
        logp_now = torch.distributions.Categorical(logits=actors(b["obs"])).log_prob(b["actions"])
    logits = actors(b["obs"])
    mean = actor_losses(logits, b["actions"], logp_now, b["adv_ind"], b["adv_col"], CLIP, ENT, True, "mean")
    summed = actor_losses(logits, b["actions"], logp_now, b["adv_ind"], b["adv_col"], CLIP, ENT, True, "sum")
    logp = torch.distributions.Categorical(logits=actors(b["obs"])).log_prob(b["actions"])
    for i in range(n):  # at ratio 1 the difference is (n - 1) x the collective policy gradient
        pg = _grads(-(b["adv_col"] * logp[:, i]).mean(), params[i])
        diff = [x - y for x, y in zip(_grads(summed["collective"], params[i]), _grads(mean["collective"], params[i]),
                                      strict=True)]
        torch.testing.assert_close(_flat(diff), (n - 1) * _flat(pg), rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="collective"):
        actor_losses(logits, b["actions"], logp_now, b["adv_ind"], b["adv_col"], CLIP, ENT, True, "max")


@pytest.mark.parametrize("variant,lr", [("simul_ind", 10.0), ("aga_lam100", 10.0 / 101), ("aga_lam0.5", 10.0 / 1.5)])
def test_sgd_optimiser_and_its_learning_rate(variant, lr):
    learner = MAPPO(variant, 2, (3,), (4,), 3, MAPPOConfig(optimiser="sgd", sgd_lr=10.0), actor_hidden=(4,),
                    critic_hidden=(4,))
    assert type(learner.actor_opt) is torch.optim.SGD
    assert learner.actor_opt.param_groups[0]["lr"] == pytest.approx(lr, rel=1e-15)
    assert type(learner.critic_opt) is torch.optim.Adam  # the critic keeps Adam
    with pytest.raises(ValueError, match="optimiser"):
        MAPPO(variant, 2, (3,), (4,), 3, MAPPOConfig(optimiser="rmsprop"))


def test_sgd_step_is_learning_rate_times_clipped_direction():
    torch.manual_seed(1)
    N, D, S, A = 2, 5, 7, 4
    cfg = MAPPOConfig(epochs=1, optimiser="sgd", sgd_lr=0.3, max_grad_norm=1e9)
    learner = MAPPO("simul_ind", N, (D,), (S,), A, cfg, actor_hidden=(6,), critic_hidden=(6,))
    batch = _batch(N, D, S, A, avail=False)
    acts, logp = learner.act(batch["obs"].flatten(0, 1))
    batch["actions"], batch["logp"] = acts.view(4, 2, N), logp.view(4, 2, N)
    captured = {}
    original = learner.direction

    def spy(losses, info=None, via=None):
        captured["d"] = [[g.detach().clone() for g in gs] for gs in original(losses, info, via)]
        return captured["d"]

    learner.direction = spy
    before = [p.detach().clone() for ps in learner.actors.agent_params() for p in ps]
    learner.update(batch)
    after = [p.detach() for ps in learner.actors.agent_params() for p in ps]
    for p0, p1, g in zip(before, after, (g for gs in captured["d"] for g in gs), strict=True):
        torch.testing.assert_close(p1, p0 - 0.3 * g, rtol=1e-6, atol=1e-7)


def test_layer_names_and_gradient_norms_by_hand():
    actors = AgentActors(2, (2, 3, 3), 4, hidden=(5,), channels=2)
    assert actors.layer_names() == ["conv", "conv", "l0", "l0", "l1", "l1"]
    learner = MAPPO("aga_lam1", 2, (2, 3, 3), (6,), 4, MAPPOConfig(), actor_hidden=(5,), actor_channels=2,
                    critic_hidden=(4,))
    flat = [p for ps in learner.actors.agent_params() for p in ps]
    xi = [torch.full_like(p, 1.0) for p in flat]
    h = [torch.full_like(p, 2.0) if k % 6 < 2 else torch.full_like(p, 0.5) for k, p in enumerate(flat)]
    norms = learner.gradient_norms({"xi": xi, "h_xi_c": h})
    sizes = {"conv": 2 * (2 * 2 * 3 * 3 + 2), "l0": 2 * (2 * 1 * 1 * 5 + 5), "l1": 2 * (5 * 4 + 4)}
    for layer, m in sizes.items():
        assert norms[f"norm_xi_{layer}"] == pytest.approx(math.sqrt(m))
        assert math.isnan(norms[f"norm_xi_c_{layer}"])
    assert norms["norm_h_xi_c_conv"] == pytest.approx(2 * math.sqrt(sizes["conv"]))
    assert norms["norm_h_xi_c_l1"] == pytest.approx(0.5 * math.sqrt(sizes["l1"]))
    assert (norms["h_gt_xi_conv"], norms["h_gt_xi_l0"], norms["h_gt_xi_l1"]) == (1.0, 0.0, 0.0)
    assert math.isnan(learner.gradient_norms({"xi": xi})["h_gt_xi_l0"])


@pytest.mark.parametrize("cfg,expect_sign_share", [
    (MAPPOConfig(epochs=2, aga_sign="off"), 1.0),
    (MAPPOConfig(epochs=2, aga_sign="per_player"), None),
    (MAPPOConfig(epochs=2, aga_hamiltonian=False, aga_normalise="per_tensor", collective="sum"), None),
])
def test_update_logs_signs_and_norms_for_every_option(cfg, expect_sign_share):
    torch.manual_seed(0)
    N, D, S, A = 3, 5, 7, 4
    learner = MAPPO("aga_lam100", N, (D,), (S,), A, cfg, actor_hidden=(6,), critic_hidden=(6,))
    batch = _batch(N, D, S, A, avail=False)
    acts, logp = learner.act(batch["obs"].flatten(0, 1))
    batch["actions"], batch["logp"] = acts.view(4, 2, N), logp.view(4, 2, N)
    stats = learner.update(batch)
    if expect_sign_share is not None:
        assert stats["lam_positive"] == expect_sign_share
    if cfg.aga_sign == "per_player":  # N signs per epoch: shares are multiples of 1 / (N epochs)
        assert round(stats["lam_positive"] * N * cfg.epochs, 9) % 1 == 0
    for layer in ("l0", "l1"):
        assert stats[f"norm_xi_{layer}"] > 0 and stats[f"norm_xi_c_{layer}"] > 0
        if cfg.aga_sign == "off" and not cfg.aga_hamiltonian:
            assert math.isnan(stats[f"norm_h_xi_c_{layer}"])
        else:
            assert stats[f"norm_h_xi_c_{layer}"] > 0 and 0 <= stats[f"h_gt_xi_{layer}"] <= 1


def test_ablation_run_columns_and_determinism():
    from mixedmotive.experiments import aga_ablation

    cfg = {**_ssd_cfg(), "variant": "aga_lam100", "mappo": {"epochs": 2, "aga_hamiltonian": False}}
    a = aga_ablation.run(cfg, "harvest:aga_no_hamiltonian:x1", seed=0)
    b = aga_ablation.run(cfg, "harvest:aga_no_hamiltonian:x1", seed=0)
    pd.testing.assert_frame_equal(a, b)
    assert (a["variant"] == "aga_no_hamiltonian").all() and (a["method"] == "aga").all() and (a["lam"] == 100).all()
    assert (a["game"] == "harvest").all() and (a["budget"] == 1).all()
    assert {"norm_xi_l0", "norm_h_xi_c_l0", "h_gt_xi_conv", "lam_positive"} <= set(a.columns)
    with pytest.raises(ValueError, match="multiplier"):
        aga_ablation.run(cfg, "harvest:aga", seed=0)


def test_a_longer_run_starts_as_the_shorter_one():
    """The budget trend reads a k x run as the first k/K of a K x run: nothing in a run depends on its length."""
    from mixedmotive.experiments import aga_ablation

    cfg = {**_ssd_cfg(), "variant": "aga_lam100", "updates": 2}
    short = aga_ablation.run(cfg, "harvest:aga:x1", seed=3)
    long = aga_ablation.run({**cfg, "updates": 4}, "harvest:aga:x2", seed=3)
    pd.testing.assert_frame_equal(short.drop(columns="budget"), long.iloc[:2].drop(columns="budget"))
    assert not long.iloc[2:].drop(columns="budget").reset_index(drop=True).equals(
        short.drop(columns="budget").reset_index(drop=True))


def test_an_ablation_run_with_table2_settings_is_the_table2_run():
    """The workflow reuses Table 2's runs for ablation variants with the same job settings (ABL_REUSE)."""
    from mixedmotive.experiments import aga_ablation, aga_ssd

    cfg = {**_ssd_cfg(), "variant": "aga_lam100", "updates": 2}
    a = aga_ablation.run(cfg, "harvest:aga:x1", seed=1)
    b = aga_ssd.run(cfg, "harvest:aga_lam100", seed=1)
    same = [c for c in b.columns if c not in ("experiment", "variant")]
    pd.testing.assert_frame_equal(a[same], b[same])
    assert (a["variant"] == "aga").all() and (b["variant"] == "aga_lam100").all()


def test_cga_two_path_losses_give_the_per_agent_direction():
    """MAPPO's CGA builds the boxed losses from two forward passes (own path through aliases, box path
    through the parameters) so that xi takes one backward pass; the direction equals the one with
    one backward pass per agent."""
    actors, b = _problem(seed=7, N=4)
    params = actors.agent_params()
    want = direction("cga", _losses(actors, b)["boxed"], params, 0.8, separable=False)
    via = [[p.view_as(p) for p in ps] for ps in params]
    L = actor_losses(actors(b["obs"], weights=actors.stacked(via)), b["actions"], b["old_logp"], b["adv_ind"],
                     b["adv_col"], CLIP, ENT, True, box_logits=actors(b["obs"]))
    got = direction("cga", L["boxed"], params, 0.8, separable=False, individual_via=via)
    torch.testing.assert_close(_flat([x for ps in got for x in ps]), _flat([x for ps in want for x in ps]),
                               rtol=1e-10, atol=1e-13)


def test_rollout_weights_follow_parameter_changes():
    """act() reuses the stacked actor weights between updates and restacks after any in-place change."""
    learner = MAPPO("simul_ind", 2, (3,), (3,), 4, MAPPOConfig(), actor_hidden=(5,), critic_hidden=(5,))
    obs = torch.randn(6, 2, 3)
    first = learner._rollout_weights()
    assert learner._rollout_weights() is first
    with torch.no_grad():
        learner.actors.agents[1]["w0"].add_(1.0)
    again = learner._rollout_weights()
    assert again is not first
    torch.testing.assert_close(again["w0"][1], learner.actors.agents[1]["w0"].detach())
    with torch.no_grad():
        torch.testing.assert_close(learner.actors(obs, weights=again), learner.actors(obs))
