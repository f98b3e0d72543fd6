"""Coins learners: the torus convolution, the recurrent policy, the value-of-influence models,
the Reciprocator's balance and reward, the MFOS meta-agent and the experiment loop.

Hand facts used below (2 agents, γ = 0.5):
* balance b_t = γ b_{t-1} + VI^{j->i}_t - VI^{i->j}_t from b_{-1} = 0: for
  (VI^{j->i}, VI^{i->j}) = (1, 0), (0, 2), (-1, 0): b = 1, 0.5 - 2 = -1.5, -0.75 - 1 = -1.75;
* r_RR_t = b_{t-1} VI^{i->j}_t: 0 * 0, 1 * 2, -1.5 * 0 = 0, 2, 0.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from mixedmotive import config
from mixedmotive.agents.coins import (
    CoinsEpisode,
    CoinsNL,
    CoinsReciprocator,
    InfluenceModels,
    coin_counts,
    influence_balance,
    reciprocal_reward,
)
from mixedmotive.agents.coins_mfos import CoinsMFOS
from mixedmotive.agents.coins_policy import CoinsActorCritic, TorusConv
from mixedmotive.agents.ppo import ppo_config
from mixedmotive.envs.coins import CoinGame
from mixedmotive.experiments import recip_coins

SMOKE = config.load(scale="smoke")["recip_coins"]


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


# ------------------------------------------------------------------------------ networks
@pytest.mark.parametrize("grid", [2, 3, 4])
def test_torus_conv_equals_circular_conv2d_with_gradients(grid):
    torch.manual_seed(0)
    m = TorusConv(3, 5, grid).double()
    x = torch.randn(7, 3, grid, grid, dtype=torch.double, requires_grad=True)
    y_dense, y_conv = m(x), m.conv(x)
    assert torch.allclose(y_dense, y_conv, atol=1e-12)
    g = torch.randn_like(y_conv)
    grads_dense = torch.autograd.grad(y_dense, [x, m.conv.weight, m.conv.bias], g)
    grads_conv = torch.autograd.grad(y_conv, [x, m.conv.weight, m.conv.bias], g)
    for a, b in zip(grads_dense, grads_conv, strict=True):
        assert torch.allclose(a, b, atol=1e-12)


def test_policy_step_by_step_equals_sequence_forward():
    torch.manual_seed(0)
    pol = CoinsActorCritic(4, 3, 5, 8, 32)
    obs = (torch.rand(6, 10, 4, 3, 3) < 0.3).float()
    dist, value = pol(obs)
    assert dist.logits.shape == (6, 10, 5) and value.shape == (6, 10)
    hidden, steps = None, []
    for t in range(6):
        logits, hidden = pol.step(obs[t], hidden)
        steps.append(torch.log_softmax(logits, -1))
    assert torch.allclose(torch.stack(steps), dist.logits, atol=1e-5)


# ------------------------------------------------------------------------------ counting
def test_coin_counts_own_other_total():
    collected = torch.zeros(2, 1, 2, 2, dtype=torch.bool)  # (T, B, collector, owner)
    collected[0, 0, 0, 0] = True  # agent 0 takes its own coin
    collected[1, 0, 0, 1] = True  # then agent 1's coin
    collected[1, 0, 1, 1] = True  # agent 1 takes its own coin at the same time
    c = coin_counts(collected)
    assert c["own"].tolist() == [1.0, 1.0] and c["other"].tolist() == [1.0, 0.0] and c["total"].tolist() == [2.0, 1.0]


# ------------------------------------------------------------------------------ balance and r_RR
def test_influence_balance_and_lagged_reciprocal_reward_hand_values():
    vi_ji = torch.tensor([1.0, 0.0, -1.0])
    vi_ij = torch.tensor([0.0, 2.0, 0.0])
    b = influence_balance(vi_ji, vi_ij, 0.5)
    assert torch.allclose(b, torch.tensor([1.0, -1.5, -1.75]))
    assert torch.allclose(reciprocal_reward(b, vi_ij), torch.tensor([0.0, 2.0, 0.0]))


# ------------------------------------------------------------------------------ influence models
def test_expected_value_contraction_equals_brute_force():
    torch.manual_seed(0)
    probs = torch.softmax(torch.randn(5, 4, 3), -1)  # 4 factors over 3 cells
    values = torch.randn(3, 3, 3, 3, 2)
    got = InfluenceModels.expected(probs, values)
    joint = torch.einsum("mi,mj,mk,ml->mijkl", probs[:, 0], probs[:, 1], probs[:, 2], probs[:, 3])
    want = torch.einsum("mijkl,ijkln->mn", joint, values)
    assert torch.allclose(got, want, atol=1e-5)


class _Const(nn.Module):
    def __init__(self, out):
        super().__init__()
        self.out = out

    def forward(self, x):
        return self.out.expand(x.shape[0], -1)


def test_voi_formula_from_fixed_model_outputs():
    """VI^{k->l} = (r̂[l] - r̂_cf^k[l]) + γ (E_P V[l] - E_{P_cf^k} V[l]) with hand-set model outputs."""
    m = InfluenceModels(2, 3, T=4, hidden=8, value_channels=2, value_latent=4, gamma=0.5)
    m.reward = _Const(torch.tensor([[1.0, 2.0]]))
    m.reward_cf = nn.ModuleList([_Const(torch.tensor([[0.0, 3.0]])), _Const(torch.tensor([[1.0, 1.0]]))])
    # factual transition: agent 0 surely in cell 0, everything else surely in cell 0 too
    sure0 = torch.full((1, 4, 9), -1e4)
    sure0[..., 0] = 0.0
    sure1 = sure0.clone()
    sure1[0, 0] = -1e4
    sure1[0, 0, 1] = 0.0  # agent 0 surely in cell 1
    m.transition = _Const(sure0.reshape(1, -1))
    m.transition_cf = nn.ModuleList([_Const(sure1.reshape(1, -1)), _Const(sure0.reshape(1, -1))])
    # V = (10, 20) where agent 0 is in cell 0 and (4, 6) where it is in cell 1, else 0
    values = torch.zeros(9, 9, 9, 9, 2)
    values[0, 0, 0, 0] = torch.tensor([10.0, 20.0])
    values[1, 0, 0, 0] = torch.tensor([4.0, 6.0])
    m.all_state_values = lambda: values
    vi = m.voi(torch.zeros(3, 4, dtype=torch.long), torch.zeros(3, 2, dtype=torch.long),
               torch.zeros(3, dtype=torch.long))
    # k = 0: reward (1 - 0, 2 - 3) + 0.5 * ((10, 20) - (4, 6)) = (1 + 3, -1 + 7) = (4, 6)
    # k = 1: reward (1 - 1, 2 - 1) + 0.5 * 0 = (0, 1)
    assert torch.allclose(vi, torch.tensor([[[4.0, 6.0], [0.0, 1.0]]]).expand(3, 2, 2), atol=1e-4)


class _RandomPlayer:
    """Uniformly random moves, with the player interface ``recip_coins.rollout`` drives."""

    def start(self):
        pass

    def act(self, obs, prev_rewards, first, generator):
        return torch.randint(5, (obs.shape[0],), generator=generator)


def _random_episode(env: CoinGame, gen) -> CoinsEpisode:
    return recip_coins.rollout(env, [_RandomPlayer(), _RandomPlayer()], gen)


def test_learned_voi_sees_coin_taking():
    """Fitted on random play, the influence of agent 0 on agent 1 is negative exactly when agent 0
    steps onto agent 1's coin (it costs agent 1 two), and averages about zero over agent 0's policy."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    env = CoinGame(256, T=8, generator=gen)
    rc = copy.deepcopy(SMOKE["reciprocator"])
    rc.update(refit_batch=1024, refit_batches=6, refit_epochs=25, buffer_episodes=3)
    agent = CoinsReciprocator(0, ppo_config(SMOKE["ppo"]), rc, T=8)
    episodes = [_random_episode(env, gen) for _ in range(3)]
    for ep in episodes:
        agent.buffer.append(tuple(x for x in _flat(ep, agent)))
    agent.refit(gen)
    ep = episodes[-1]
    vi_10, vi_01 = agent.influence(ep)  # player 0's view: (VI^{1->0}, VI^{0->1})
    takes = ep.collected[:, :, 0, 1]  # agent 0 took agent 1's coin
    assert takes.sum() > 50
    take, other = float(vi_01[takes].mean()), float(vi_01[~takes].mean())
    # exact value for this random policy: about -1.6 (the owner's -2 against a ~20% baseline chance);
    # the small refit here recovers -0.7 to -1.5 depending on the data
    assert take < -0.5 and take < other - 0.5
    assert abs(other) < 0.5
    assert abs(float(vi_01.mean())) < 0.3


def _flat(ep: CoinsEpisode, agent: CoinsReciprocator):
    """The buffer entry ``observe`` would push (without triggering a refit)."""
    from mixedmotive.agents.ppo import discounted_returns

    T, B = ep.T, ep.actions.shape[1]
    t = torch.arange(T)[:, None].expand(T, B)
    returns = discounted_returns(ep.rewards, agent.gamma)
    return (x.reshape(T * B, *x.shape[2:]) for x in (ep.states[:-1], ep.actions, t, ep.rewards, ep.states[1:], returns))


def test_reciprocator_refit_schedule_and_buffer():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    env = CoinGame(8, T=4, generator=gen)
    rc = {**SMOKE["reciprocator"], "init_episodes": 2, "target_period": 3, "buffer_episodes": 2}
    agent = CoinsReciprocator(0, ppo_config(SMOKE["ppo"]), rc, T=4)
    refits = [agent.observe(_random_episode(env, gen), gen)["refit"] for _ in range(8)]
    # episodes 0, 1 (initialisation) and every episode % 3 == 0
    assert refits == [True, True, False, True, False, False, True, False]
    assert len(agent.buffer) == 2


def test_reciprocator_training_reward_adds_weighted_reciprocal_reward():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    env = CoinGame(8, T=4, generator=gen)
    rc = {**SMOKE["reciprocator"], "rr_weight": 2.5}
    agent = CoinsReciprocator(1, ppo_config(SMOKE["ppo"]), rc, T=4)
    ep = _random_episode(env, gen)
    agent.observe(ep, gen)
    rewards, log = agent.training_rewards(ep)
    vi_ji, vi_ij = agent.influence(ep)
    rr = reciprocal_reward(influence_balance(vi_ji, vi_ij, rc["gamma"]), vi_ij)
    assert torch.allclose(rewards, ep.rewards[..., 1] + 2.5 * rr)
    assert log["rr_mean"] == pytest.approx(float((2.5 * rr).mean()), rel=1e-5)


# ------------------------------------------------------------------------------ MFOS
def test_mfos_meta_state_and_memory_across_inner_episodes():
    torch.manual_seed(0)
    meta = CoinsMFOS(1, ppo_config(SMOKE["mfos"]), channels=4, latent=4)
    obs = torch.zeros(3, 4, 3, 3)
    prev = torch.tensor([[1.0, -2.0]] * 3)
    x = meta.meta_obs(obs, prev, True)
    assert x.shape == (3, 7, 3, 3)
    assert torch.all(x[:, 4] == -2.0) and torch.all(x[:, 5] == 1.0) and torch.all(x[:, 6] == 1.0)
    meta.start_meta()
    meta.act(obs, prev, True)
    h = meta.hidden.clone()
    meta.start()  # a new inner episode keeps the recurrent state
    assert torch.equal(meta.hidden, h)
    meta.start_meta()
    assert meta.hidden is None and meta.trajectory == []


def test_mfos_run_reinitialises_the_nl_every_meta_episode(monkeypatch):
    made = []
    original = recip_coins.make_player

    def counting(kind, index, cfg, device="cpu"):
        made.append(kind)
        return original(kind, index, cfg, device)

    monkeypatch.setattr(recip_coins, "make_player", counting)
    cfg = {**SMOKE, "episodes": 6, "mfos": {**SMOKE["mfos"], "inner_episodes": 2}}
    frame = recip_coins.run(cfg, "mfos_vs_nl", 0)
    assert made.count("mfos") == 1 and made.count("nl") == 1 + 3  # one initial + one per meta-episode
    assert sorted(frame.meta_episode.unique()) == [0, 1, 2]
    assert frame.episode.max() == 5


# ------------------------------------------------------------------------------ experiment
@pytest.mark.parametrize("pairing", recip_coins.PAIRINGS)
def test_run_rows_and_determinism(pairing):
    a = recip_coins.run(SMOKE, pairing, 3)
    b = recip_coins.run(SMOKE, pairing, 3)
    assert a.equals(b)
    assert len(a) == 2 * SMOKE["episodes"]
    kinds = recip_coins.parse_pairing(pairing)
    assert a[a.player == 0].kind.unique().tolist() == [kinds[0]]
    assert ((a.own + a.other - a.total).abs() < 1e-9).all()
    assert ((a.p_own.dropna() >= 0) & (a.p_own.dropna() <= 1)).all()
    if "reciprocator" in kinds:  # logged (not NaN) once learning started
        assert a[a.kind == "reciprocator"].rr_mean.notna().iloc[-1]
    assert a[a.kind != "reciprocator"].rr_mean.isna().all()


def test_policies_are_frozen_during_the_initialisation_episodes(monkeypatch):
    learned = []
    monkeypatch.setattr(CoinsNL, "learn", lambda self, ep: learned.append(self.episode_count) or {})
    cfg = {**SMOKE, "episodes": 5, "reciprocator": {**SMOKE["reciprocator"], "init_episodes": 3}}
    recip_coins.run(cfg, "nl_vs_nl", 0)
    assert len(learned) == 2 * (5 - 3)


def test_bad_pairing_is_rejected():
    with pytest.raises(ValueError, match="pairing"):
        recip_coins.run(SMOKE, "nl_vs_lola", 0)
