"""PPO-Clip with Monte-Carlo returns and full-batch Adam epochs (Reciprocators; docs/papers.md).

One module shared by every PPO learner in the package (IPD-Rollout MLP policies,
Coins GRU policies, multi-agent PPO through :func:`mixedmotive.gradients.direction`).

Policy interface
----------------
``policy(obs_seq)`` takes a whole sequence ``obs_seq`` of shape (T, B, ...) and
returns ``(dist, value)``:

* ``dist``: a ``torch.distributions.Distribution`` whose ``log_prob(actions)`` and
  ``entropy()`` have shape (T, B) (wrap vector actions in ``Independent``);
* ``value``: (T, B), the critic's estimate of the *normalised* return.

A recurrent policy resets its hidden state at the start of each call, so whole
(T, B) sequences are evaluated (as in the authors' Coins code).

Algorithm (the authors' code)
---------------------------------------
* returns: G_t = r_t + gamma G_{t+1}, G_T = 0 (the episode ends at T, no bootstrap);
* z-normalisation "over the batch": the authors flatten the (T, B) block and take
  one mean and one (unbiased) std over all T*B entries, ``(G - mean) / (std + eps)``
  with eps 0 in IPD and 1e-5 in Coins.  That is ``return_norm="block"`` (default);
  ``"per_step"`` normalises each time step over the batch, ``"none"`` skips it.
  A zero std (all returns equal) divides by 1 instead of producing NaN/inf;
* critic target: the normalised return; advantage A = G_norm - V (V detached);
* loss: mean(-min(rho A, clip(rho, 1-eps, 1+eps) A)) + value_coef * MSE(V, G_norm)
  - entropy_coef * mean(H), value_coef 0.5;
* ``epochs`` full-batch Adam steps per update, no minibatches; the behaviour
  log-probabilities are those of the policy before the update (on-policy), which
  ``update`` recomputes from ``obs`` when they are not passed in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

NORMS = ("block", "per_step", "none")


@dataclass
class PPOConfig:
    lr: float = 0.005
    epochs: int = 10
    clip: float = 0.1
    gamma: float = 0.96
    entropy_coef: float = 0.02
    value_coef: float = 0.5
    return_norm_eps: float = 0.0
    max_grad_norm: float | None = None
    return_norm: str = "block"

    def __post_init__(self):
        if self.return_norm not in NORMS:
            raise ValueError(f"return_norm must be one of {NORMS}, got {self.return_norm!r}")
        if self.epochs < 0 or self.clip < 0 or not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"invalid PPOConfig {asdict(self)}")


def from_section(cls, section: dict):
    """Dataclass ``cls`` built from a config section: its keys named like ``cls``'s fields (others are ignored)."""
    return cls(**{f.name: section[f.name] for f in fields(cls) if f.name in section})


def ppo_config(section: dict) -> PPOConfig:
    """The PPOConfig of a config section (see :func:`from_section`)."""
    return from_section(PPOConfig, section)


def discounted_returns(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """Monte-Carlo discounted returns over the leading (time) axis: G_t = sum_{s>=t} gamma^(s-t) r_s."""
    out = torch.empty_like(rewards)
    acc = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        acc = rewards[t] + gamma * acc
        out[t] = acc
    return out


def normalise(x: torch.Tensor, mode: str = "block", eps: float = 0.0) -> torch.Tensor:
    """z-normalise (T, B, ...) returns over the whole block or over the batch per time step."""
    if mode == "none":
        return x
    if mode == "block":
        mean, std = x.mean(), x.std() if x.numel() > 1 else torch.zeros((), dtype=x.dtype, device=x.device)
    elif mode == "per_step":
        flat = x.reshape(x.shape[0], -1)
        mean = flat.mean(1)
        std = flat.std(1) if flat.shape[1] > 1 else torch.zeros_like(mean)
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        mean, std = mean.reshape(shape), std.reshape(shape)
    else:
        raise ValueError(f"unknown normalisation {mode!r}")
    scale = std + eps
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return (x - mean) / scale


class PPO:
    """PPO-Clip learner around ``policy``; owns an Adam optimiser over ``policy``'s parameters."""

    def __init__(self, policy: nn.Module, cfg: PPOConfig, params=None):
        self.policy, self.cfg = policy, cfg
        self.params = list(policy.parameters() if params is None else params)
        self.optimizer = torch.optim.Adam(self.params, lr=cfg.lr)

    # ------------------------------------------------------------------ pieces
    def returns(self, rewards: torch.Tensor) -> torch.Tensor:
        """(T, B) rewards -> z-normalised Monte-Carlo discounted returns (T, B)."""
        g = discounted_returns(rewards, self.cfg.gamma)
        return normalise(g, self.cfg.return_norm, self.cfg.return_norm_eps)

    @torch.no_grad()
    def log_prob(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        dist, _ = self.policy(obs)
        return dist.log_prob(actions)

    def _terms(self, obs, actions, old_logp, returns):
        dist, value = self.policy(obs)
        logp = dist.log_prob(actions)
        ratio = torch.exp(logp - old_logp.detach())
        adv = returns - value.detach()
        surr1 = ratio * adv
        surr2 = torch.clamp(ratio, 1.0 - self.cfg.clip, 1.0 + self.cfg.clip) * adv
        policy_loss = -torch.min(surr1, surr2).mean()
        value_loss = ((value - returns) ** 2).mean()
        entropy = dist.entropy().mean()
        total = policy_loss + self.cfg.value_coef * value_loss - self.cfg.entropy_coef * entropy
        out = {"policy": policy_loss, "value": value_loss, "entropy": entropy, "total": total}
        with torch.no_grad():
            diag = {
                "clip_frac": ((ratio - 1.0).abs() > self.cfg.clip).float().mean(),
                "approx_kl": (old_logp - logp).mean(),
            }
        return out, diag

    def losses(self, obs: torch.Tensor, actions: torch.Tensor, old_logp: torch.Tensor,
               returns: torch.Tensor) -> dict:
        """Differentiable PPO losses: dict(policy, value, entropy, total) (scalars).

        ``returns`` are the (already normalised) critic targets, e.g. ``self.returns(rewards)``.
        ``entropy`` is the mean entropy (a bonus: ``total`` subtracts ``entropy_coef * entropy``).
        """
        return self._terms(obs, actions, old_logp, returns)[0]

    # ------------------------------------------------------------------ update
    def update(self, obs: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor,
               old_logp: torch.Tensor | None = None) -> dict:
        """K full-batch Adam steps on one (T, B) batch of experience; returns float stats."""
        rewards = rewards.detach()
        targets = self.returns(rewards)
        if old_logp is None:
            old_logp = self.log_prob(obs, actions)
        old_logp = old_logp.detach()
        stats, first = {}, None
        for _ in range(self.cfg.epochs):
            out, diag = self._terms(obs, actions, old_logp, targets)
            self.optimizer.zero_grad(set_to_none=True)
            out["total"].backward()
            if self.cfg.max_grad_norm is not None:
                nn.utils.clip_grad_norm_(self.params, self.cfg.max_grad_norm)
            self.optimizer.step()
            first = out["total"].detach() if first is None else first
            # stats of the last epoch (losses before its step)
            stats = {**{key: v.detach() for key, v in out.items()}, **diag}
        if first is not None:
            stats["loss_first"] = first
        stats["return_mean"] = discounted_returns(rewards, self.cfg.gamma)[0].mean()
        return {key: float(v) for key, v in stats.items()}
