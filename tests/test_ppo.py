"""Tests of the shared PPO module (mixedmotive.agents.ppo).

Hand facts:
* G_t = r_t + gamma G_{t+1}: rewards (1, 0, 2) with gamma 0.5 give G = (1.5, 1, 2).
* Block z-normalisation of G = (1.5, 1, 2): mean 1.5, unbiased std 0.5 -> (0, -1, 1).
* Clipped surrogate with clip 0.2: ratio 1.5, A = +1 -> min(1.5, 1.2) = 1.2 (clipped, no gradient);
  ratio 1.5, A = -1 -> min(-1.5, -1.2) = -1.5 (unclipped); ratio 0.5, A = +1 -> 0.5 (unclipped);
  ratio 0.5, A = -1 -> min(-0.5, -0.8) = -0.8 (clipped).
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.distributions import Categorical, Independent, Normal

from mixedmotive.agents.ppo import PPO, PPOConfig, discounted_returns, normalise


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


class FixedLogProb(nn.Module):
    """A 'policy' whose log-probabilities are free parameters (one per sample) and value is a constant."""

    def __init__(self, logp: torch.Tensor, value: torch.Tensor):
        super().__init__()
        self.logp = nn.Parameter(logp.clone())
        self.value = value

    def forward(self, obs):
        logp, value = self.logp, self.value

        class D:
            def log_prob(self, actions):
                return logp

            def entropy(self):
                return torch.zeros_like(logp)

        return D(), value


def test_returns_hand_example():
    r = torch.tensor([[1.0], [0.0], [2.0]])
    g = discounted_returns(r, 0.5)
    assert torch.allclose(g, torch.tensor([[1.5], [1.0], [2.0]]))
    ppo = PPO(nn.Linear(1, 1), PPOConfig(gamma=0.5, return_norm="block"))
    assert torch.allclose(ppo.returns(r), torch.tensor([[0.0], [-1.0], [1.0]]))
    # per step over the batch: each step has its own mean/std
    rb = torch.tensor([[1.0, 3.0], [0.0, 0.0]])
    per = normalise(discounted_returns(rb, 0.0), "per_step")
    assert torch.allclose(per[0], torch.tensor([-1.0, 1.0]) / math.sqrt(2))
    assert torch.equal(per[1], torch.zeros(2))  # zero std -> centred, no NaN
    assert torch.equal(normalise(rb, "none"), rb)


def test_clipping_on_hand_built_ratios():
    clip = 0.2
    ratio = torch.tensor([1.5, 1.5, 0.5, 0.5])
    adv = torch.tensor([1.0, -1.0, 1.0, -1.0])
    returns = adv.clone()  # value 0 -> advantage = returns
    old = torch.zeros(4)
    pol = FixedLogProb(torch.log(ratio), torch.zeros(4))
    ppo = PPO(pol, PPOConfig(clip=clip, entropy_coef=0.0, value_coef=0.0))
    out = ppo.losses(None, None, old, returns)
    expected = -torch.tensor([1.2, -1.5, 0.5, -0.8]).mean()
    assert torch.allclose(out["policy"], expected)
    assert set(out) == {"policy", "value", "entropy", "total"}
    out["total"].backward()
    # d(-min)/d logp = -ratio*A/4 where unclipped, 0 where clipped
    grad = pol.logp.grad
    assert torch.allclose(grad, torch.tensor([0.0, 1.5 / 4, -0.5 / 4, 0.0]))


def test_losses_total_combines_terms():
    torch.manual_seed(0)

    class P(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Linear(3, 3)

        def forward(self, obs):
            out = self.net(obs)
            return Categorical(logits=out[..., :2]), out[..., 2]

    p = P()
    cfg = PPOConfig(clip=0.1, entropy_coef=0.3, value_coef=0.7)
    ppo = PPO(p, cfg)
    obs = torch.randn(4, 5, 3)
    actions = torch.randint(0, 2, (4, 5))
    old = ppo.log_prob(obs, actions)
    ret = torch.randn(4, 5)
    out = ppo.losses(obs, actions, old, ret)
    assert torch.allclose(out["total"], out["policy"] + 0.7 * out["value"] - 0.3 * out["entropy"])
    # at ratio 1 the policy loss is -mean(A)
    _, v = p(obs)
    assert torch.allclose(out["policy"], -(ret - v.detach()).mean())


class Bandit(nn.Module):
    """Stateless policy over 2 arms; obs ignored except for its (T, B) shape."""

    def __init__(self):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(2))
        self.v = nn.Parameter(torch.zeros(1))

    def forward(self, obs):
        shape = obs.shape[:2]
        return Categorical(logits=self.logits.expand(*shape, 2)), self.v.expand(shape)


def _train_bandit(seed: int, steps: int = 40) -> tuple[torch.Tensor, list]:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    pol = Bandit()
    ppo = PPO(pol, PPOConfig(lr=0.05, epochs=4, clip=0.2, gamma=0.9, entropy_coef=0.0))
    T, B = 4, 64
    obs = torch.zeros(T, B, 1)
    hist = []
    for _ in range(steps):
        with torch.no_grad():
            probs = torch.softmax(pol.logits, 0)
        a = torch.multinomial(probs.expand(T * B, 2), 1, generator=gen).reshape(T, B)
        # arm 1 pays 1 +- noise, arm 0 pays 0 +- noise
        r = a.float() + 0.5 * torch.randn(T, B, generator=gen)
        hist.append(ppo.update(obs, a, r))
    return torch.softmax(pol.logits.detach(), 0), hist


def test_bandit_learns_better_arm():
    probs, hist = _train_bandit(0)
    assert probs[1] > 0.95
    assert {"policy", "value", "entropy", "total", "clip_frac", "approx_kl"} <= set(hist[0])


def test_determinism():
    p1, h1 = _train_bandit(3, steps=5)
    p2, h2 = _train_bandit(3, steps=5)
    assert torch.equal(p1, p2) and h1 == h2


def test_vector_actions_with_independent():
    class Gauss(nn.Module):
        def __init__(self):
            super().__init__()
            self.mu = nn.Parameter(torch.zeros(3))

        def forward(self, obs):
            T, B = obs.shape[:2]
            return Independent(Normal(self.mu.expand(T, B, 3), 1.0), 1), torch.zeros(T, B)

    ppo = PPO(Gauss(), PPOConfig(epochs=2))
    obs, actions = torch.zeros(5, 6, 1), torch.randn(5, 6, 3)
    stats = ppo.update(obs, actions, torch.randn(5, 6))
    assert math.isfinite(stats["total"])


def test_config_validation():
    with pytest.raises(ValueError):
        PPOConfig(return_norm="bogus")


def test_ppo_config_takes_the_section_keys_named_like_fields():
    from mixedmotive.agents.ppo import PPOConfig, ppo_config

    cfg = ppo_config({"lr": 0.01, "epochs": 3, "clip": 0.2, "gamma": 0.9, "entropy_coef": 0.0,
                      "channels": 8, "episodes": 10})  # non-PPO keys of a section are ignored
    assert (cfg.lr, cfg.epochs, cfg.clip, cfg.gamma, cfg.entropy_coef) == (0.01, 3, 0.2, 0.9, 0.0)
    assert cfg.value_coef == PPOConfig().value_coef and cfg.return_norm == "block"
    with pytest.raises(ValueError):
        ppo_config({"return_norm": "bogus"})
