"""IPD-Rollout learners: the memory-1 actor-critic, NL-PPO and the Reciprocator (Reciprocators paper; docs/papers.md).

Network (the paper's), separate actor and critic, ``latent`` = 2 units:

* actor:  Linear(d, 2) -> ReLU -> Linear(2, 2) -> ReLU -> Linear(2, 1) -> sigmoid = P(defect);
* critic: its own Linear(d, 2) -> ReLU -> Linear(2, 2) encoder -> ReLU -> Linear(2, 1).

The actor returns a Bernoulli over {0 = C, 1 = D} built from the pre-sigmoid logit
(same distribution as the authors' sigmoid output, numerically safer).

State encoding (our choice, documented in the experiment): ``"onehot5"`` (default)
feeds the 5-way one-hot memory-1 state from the player's *own* view (start, CC, CD,
DC, DD own-major), d = 5.  ``"raw2"`` reproduces the authors' 2-dim input, the raw
previous joint action (own, opponent) with start = (-1, 0), d = 2.  (The authors
feed both players player 1's view; with a learned first layer a per-player
relabelling of the input makes no difference to what can be represented, so we
use each player's own view.)  Why one-hot by default: with the 2-unit ReLU encoder
the raw 2-dim input easily leaves the policy state-independent (in our seed-0,
batch-2048 run every state had the same P(defect) from the first episode and both
players drifted to always-defect), whereas the one-hot input gives each state its
own first-layer weights and the oscillation of claim RECIP-C3 appears.

The networks are evaluated on the 5 distinct states only and read out by a matrix
product with the one-hot input (``IPDActorCritic.heads``): exactly the same function
and gradients as running the MLP on every (t, b), ~10x cheaper on a CPU.

NL-PPO learns with PPO on its extrinsic reward.  The Reciprocator learns with PPO on
r_ext + w * r_RR where (authors' IPD code):

* baseline: empirical P(defect | row-view state) of each player, from a FIFO buffer
  of the last ``buffer_episodes`` episodes; 0.5 in every state until the first
  refresh.  It is refreshed when ``episode_count % target_period == 0`` (episodes
  counted from 0), at update time after the current episode entered the buffer and
  before r_RR is computed.  A state absent from the buffer keeps its previous
  estimate (the authors' code would produce NaN there);
* VI^{k->l}_t = r^l_t - E_{a'^k ~ p_k(.|s_t)} R^l(a'^k, a^{-k}_t): immediate reward only;
* balance b_{t-1} = VI^{j->i}_{t-1} (one step, no accumulation), 0 at t = 0;
* r_RR_t = VI^{j->i}_{t-1} * VI^{i->j}_t.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import torch
from torch import nn
from torch.distributions import Bernoulli

from ..envs.ipd import N_STATES, PAYOFF_COL, PAYOFF_ROW
from .ppo import PPO, PPOConfig

ENCODINGS = {"onehot5": N_STATES, "raw2": 2}
#: own-view (own, opponent) previous actions of the states start, CC, CD, DC, DD
_RAW2 = ((-1.0, 0.0), (0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))


@dataclass
class Episode:
    """One batch of T-step games, time-major.

    obs (T, B, 2, 5) each player's one-hot own-view state; actions (T, B, 2) long;
    rewards (T, B, 2) extrinsic; states (T, B) row-view state index 0..4 of the
    observations the actions were taken on; p_defect (T, B, 2) the policies' P(defect).
    """

    obs: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    states: torch.Tensor
    p_defect: torch.Tensor | None = None


def _encoder(d: int, latent: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d, latent), nn.ReLU(), nn.Linear(latent, latent))


class IPDActorCritic(nn.Module):
    """Memory-1 IPD policy: ``forward(obs5) -> (Bernoulli over defect, value)`` for any leading shape."""

    def __init__(self, encoding: str = "onehot5", latent: int = 2):
        super().__init__()
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {tuple(ENCODINGS)}, got {encoding!r}")
        d = ENCODINGS[encoding]
        self.encoding = encoding
        self.actor = nn.Sequential(_encoder(d, latent), nn.ReLU(), nn.Linear(latent, 1))
        self.critic = nn.Sequential(_encoder(d, latent), nn.ReLU(), nn.Linear(latent, 1))
        self.register_buffer("raw2", torch.tensor(_RAW2), persistent=False)

    def encode(self, obs5: torch.Tensor) -> torch.Tensor:
        return obs5 if self.encoding == "onehot5" else obs5 @ self.raw2

    def table(self) -> torch.Tensor:
        """(5, 2): [actor logit, value] of each of the 5 states."""
        x = self.encode(torch.eye(N_STATES, dtype=self.raw2.dtype, device=self.raw2.device))
        return torch.cat([self.actor(x), self.critic(x)], dim=-1)

    def heads(self, obs5: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logit of defect, value) for one-hot ``obs5`` of any leading shape.

        The networks are evaluated on the 5 states only and read out by
        ``obs5 @ table``; for exact one-hot inputs this equals evaluating them on
        every row (x * 1 + 0 * ... is exact), at a fraction of the cost.
        """
        out = obs5 @ self.table()
        return out[..., 0], out[..., 1]

    def logits(self, obs5: torch.Tensor) -> torch.Tensor:
        return self.heads(obs5)[0]

    def forward(self, obs5: torch.Tensor):
        logit, value = self.heads(obs5)
        return Bernoulli(logits=logit, validate_args=False), value


class NLPPO:
    """Naive learner: PPO on the extrinsic reward of player ``index`` (0 = row, 1 = column)."""

    kind = "nl"

    def __init__(self, index: int, ppo_cfg: PPOConfig, encoding: str = "onehot5", latent: int = 2,
                 device: str | torch.device = "cpu"):
        if index not in (0, 1):
            raise ValueError("index must be 0 or 1")
        self.index = index
        self.policy = IPDActorCritic(encoding, latent).to(device)
        self.ppo = PPO(self.policy, ppo_cfg)
        self.episode_count = 0

    @torch.no_grad()
    def act(self, obs5: torch.Tensor, generator: torch.Generator | None = None):
        """(B, 5) own-view obs -> (actions (B,) long, P(defect) (B,))."""
        p = torch.sigmoid(self.policy.logits(obs5))
        u = torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype)
        return (u < p).long(), p

    def training_rewards(self, ep: Episode) -> tuple[torch.Tensor, dict]:
        return ep.rewards[..., self.index], {}

    def learn(self, ep: Episode) -> dict:
        rewards, log = self.training_rewards(ep)
        i = self.index
        stats = self.ppo.update(ep.obs[:, :, i], ep.actions[..., i].to(rewards.dtype), rewards)
        self.episode_count += 1
        return {**log, **stats}


class InfluenceBaseline:
    """Empirical per-state P(defect) of both players, from the last ``buffer_episodes`` episodes."""

    def __init__(self, buffer_episodes: int = 1, device: str | torch.device = "cpu", dtype=torch.float32):
        self.buffer = deque(maxlen=buffer_episodes)
        self.p_defect = torch.full((2, N_STATES), 0.5, dtype=dtype, device=device)  # (player, row-view state)
        # payoff[l, a_row, a_col]: player l's reward
        self.payoff = torch.tensor([PAYOFF_ROW, PAYOFF_COL], dtype=dtype, device=device).reshape(2, 2, 2)

    def push(self, states: torch.Tensor, actions: torch.Tensor) -> None:
        self.buffer.append((states.reshape(-1), actions.reshape(-1, 2)))

    def refresh(self) -> None:
        states = torch.cat([s for s, _ in self.buffer])
        actions = torch.cat([a for _, a in self.buffer]).to(self.p_defect.dtype)
        count = torch.bincount(states, minlength=N_STATES).to(self.p_defect.dtype)
        for k in range(2):
            defects = torch.bincount(states, weights=actions[:, k], minlength=N_STATES).to(self.p_defect.dtype)
            seen = count > 0
            self.p_defect[k] = torch.where(seen, defects / count.clamp_min(1), self.p_defect[k])

    def voi(self, k: int, j: int, states: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor) -> torch.Tensor:
        """VI^{k->j} at every step: r^j - E_{a^k ~ p_k(.|s)} R^j(a^k, a^{-k}) (immediate reward only)."""
        p = self.p_defect[k][states]
        other = actions[..., 1 - k]
        R = self.payoff[j]
        if k == 0:
            alt_c, alt_d = R[0][other], R[1][other]
        else:
            alt_c, alt_d = R[:, 0][other], R[:, 1][other]
        return rewards[..., j] - ((1 - p) * alt_c + p * alt_d)


def reciprocal_reward(balance: torch.Tensor, vi_ij: torch.Tensor) -> torch.Tensor:
    """r_RR_t = b_{t-1} * VI^{i->j}_t over a (T, ...) time-major block, with b_{-1} = 0 (the lagged balance).

    In IPD-Rollout the balance is the last step's VI^{j->i} alone; Coins passes its accumulated balance.
    """
    lagged = torch.zeros_like(balance)
    lagged[1:] = balance[:-1]
    return lagged * vi_ij


class Reciprocator(NLPPO):
    """PPO on r_ext + w * r_RR with the empirical influence baseline (IPD-Rollout)."""

    kind = "reciprocator"

    def __init__(self, index: int, ppo_cfg: PPOConfig, rr_weight: float = 5.0, buffer_episodes: int = 1,
                 target_period: int = 3, encoding: str = "onehot5", latent: int = 2,
                 device: str | torch.device = "cpu"):
        super().__init__(index, ppo_cfg, encoding, latent, device)
        if target_period < 1 or buffer_episodes < 1:
            raise ValueError("target_period and buffer_episodes must be >= 1")
        self.rr_weight, self.target_period = rr_weight, target_period
        self.baseline = InfluenceBaseline(buffer_episodes, device)

    def reciprocal_reward(self, ep: Episode) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(r_RR, VI^{j->i}, VI^{i->j}), each (T, B), with the current baseline."""
        i, j = self.index, 1 - self.index
        vi_ji = self.baseline.voi(j, i, ep.states, ep.actions, ep.rewards)
        vi_ij = self.baseline.voi(i, j, ep.states, ep.actions, ep.rewards)
        return reciprocal_reward(vi_ji, vi_ij), vi_ji, vi_ij

    def training_rewards(self, ep: Episode) -> tuple[torch.Tensor, dict]:
        self.baseline.push(ep.states, ep.actions)
        refreshed = self.episode_count % self.target_period == 0
        if refreshed:
            self.baseline.refresh()
        rr, vi_ji, vi_ij = self.reciprocal_reward(ep)
        weighted = self.rr_weight * rr
        log = {"rr_mean": float(weighted.mean()), "voi_on_other": float(vi_ij.mean()),
               "voi_from_other": float(vi_ji.mean()), "baseline_refreshed": refreshed}
        return ep.rewards[..., self.index] + weighted, log
