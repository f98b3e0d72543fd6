"""Model-free opponent shaping (MFOS) meta-agent for Coins (M-FOS, Lu et al. 2022; docs/papers.md).

The meta-agent acts directly in the environment with a recurrent conv policy
whose hidden state is carried across the ``inner_episodes`` inner episodes of a
meta-episode, so it can condition on, and shape, what its opponent learns between
inner episodes.  Its input at each step (the "meta state", 7 channels):

* its own 4-channel view of the board;
* the previous step's reward of the meta-agent and of the opponent, tiled over the grid;
* an inner-episode-start flag, tiled.

Meta-episode structure (decisions.md C6): the opponent NL-PPO is re-initialised at
the start of every meta-episode and learns with PPO after each inner episode; the
meta-agent learns once per meta-episode with PPO on its extrinsic reward over the
whole ``inner_episodes x T``-step sequence (its own discount ``gamma``, e.g. 0.995).
In MFOS-vs-MFOS both players are meta-agents and nobody is re-initialised.

Differences to the M-FOS code: the authors' Coins environment (5 actions, 32-step
episodes) instead of M-FOS's (4 actions, 16 steps); no trajectory-conditioning
branch; the same NL-PPO as every other Coins run (docs/papers.md) as the inner learner.
"""

from __future__ import annotations

import torch

from .coins import N_ACTIONS, CoinsEpisode
from .coins_policy import CoinsActorCritic
from .ppo import PPO, PPOConfig

META_CHANNELS = 3  # own reward, opponent reward, inner-episode start


class CoinsMFOS:
    kind = "mfos"

    def __init__(self, index: int, ppo_cfg: PPOConfig, grid: int = 3, channels: int = 16, latent: int = 16,
                 device: str | torch.device = "cpu"):
        self.index = index
        self.policy = CoinsActorCritic(4 + META_CHANNELS, grid, N_ACTIONS, channels, latent).to(device)
        self.ppo = PPO(self.policy, ppo_cfg)
        self.hidden = None
        self.trajectory: list[torch.Tensor] = []
        self.meta_count = 0

    def start_meta(self) -> None:
        """Start a meta-episode: zero recurrent state, empty trajectory."""
        self.hidden, self.trajectory = None, []

    def start(self) -> None:
        """An inner episode starts: the recurrent state is kept (that is the point of MFOS)."""

    def meta_obs(self, obs: torch.Tensor, prev_rewards: torch.Tensor, first: bool) -> torch.Tensor:
        """(B, 4, g, g) view, (B, N) previous rewards -> (B, 7, g, g) meta state."""
        b, _, g, _ = obs.shape
        own, opp = prev_rewards[:, self.index], prev_rewards[:, 1 - self.index]
        flag = torch.full_like(own, float(first))
        extra = torch.stack([own, opp, flag], 1)[:, :, None, None].expand(b, META_CHANNELS, g, g)
        return torch.cat([obs, extra], 1)

    @torch.no_grad()
    def act(self, obs: torch.Tensor, prev_rewards: torch.Tensor, first: bool,
            generator: torch.Generator | None = None) -> torch.Tensor:
        x = self.meta_obs(obs, prev_rewards, first)
        self.trajectory.append(x)
        logits, self.hidden = self.policy.step(x, self.hidden)
        return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(1)

    def learn_meta(self, episodes: list[CoinsEpisode]) -> dict:
        """One PPO update on the whole meta-episode (its inner episodes concatenated in time)."""
        obs = torch.stack(self.trajectory)
        actions = torch.cat([ep.actions[..., self.index] for ep in episodes])
        rewards = torch.cat([ep.rewards[..., self.index] for ep in episodes])
        stats = self.ppo.update(obs, actions, rewards)
        self.meta_count += 1
        self.trajectory = []
        return stats

    def state_dict(self) -> dict:
        return dict(policy=self.policy.state_dict(), opt=self.ppo.optimizer.state_dict(), meta_count=self.meta_count)

    def load_state_dict(self, state: dict) -> None:
        self.policy.load_state_dict(state["policy"])
        self.ppo.optimizer.load_state_dict(state["opt"])
        self.meta_count = state["meta_count"]
