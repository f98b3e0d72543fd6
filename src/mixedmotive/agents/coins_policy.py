"""Recurrent convolutional actor-critic for Coins (the Reciprocators paper's network; docs/papers.md).

Separate actor and critic, each::

    Conv(C -> ch, 3x3, circular) -> ReLU -> Conv(ch -> ch, 3x3, circular) -> ReLU
    -> flatten (ch * g * g) -> Linear(., latent) -> ReLU -> GRU(latent, latent) -> ReLU

with heads Linear(latent, n_actions) (categorical actor) and Linear(latent, 1)
(critic).  ``forward(obs_seq)`` evaluates whole (T, B, C, g, g) sequences from a
zero hidden state (the GRU is reset at the start of each sequence), the interface
of :class:`mixedmotive.agents.ppo.PPO`; ``step`` advances one time step for acting.
The MFOS meta-agent uses the same network with more input channels and a
sequence that spans a whole meta-episode.

Speed: on a g x g torus a circular 3x3 convolution is a linear map of the whole
(C, g, g) input, so :class:`TorusConv` keeps ``nn.Conv2d``'s parameters (same
initialisation, same state-dict names) but applies them as one dense matrix product
built from the kernel by a fixed scatter; identical function and gradients, ~7x
faster than ``Conv2d(padding_mode="circular")`` on 3 x 3 CPU inputs.

Training forward: a Coins view is binary and determined by 2N cells, so a
(T, B) batch of 32 x 1024 views holds at most 6561 distinct ones (N = 2, 3 x 3).
``forward`` encodes each distinct view once and gathers the latents back before the
GRUs (about 5x less encoder work, ~1.5x faster forward+backward at the paper's batch).
Forward values are those of the plain evaluation (:meth:`CoinsActorCritic.forward_reference`)
bit for bit (a row of a matrix product does not depend on the other rows); the encoder
weight gradients are summed in a different order (per distinct view first), so they
differ by float rounding (~1e-7 relative).  ``step`` (acting) is unchanged.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.distributions import Categorical
from torch.nn import functional as F


class TorusConv(nn.Module):
    """3x3 convolution with circular padding on a g x g torus, applied as a dense matrix."""

    def __init__(self, in_channels: int, out_channels: int, grid: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, padding_mode="circular")
        self.grid = grid
        cells = grid * grid
        r, c = torch.arange(cells) // grid, torch.arange(cells) % grid
        di, dj = torch.arange(9) // 3 - 1, torch.arange(9) % 3 - 1
        source = ((r[:, None] + di) % grid) * grid + (c[:, None] + dj) % grid  # (output cell, kernel tap)
        self.register_buffer("_target", (torch.arange(cells)[:, None] * cells + source).reshape(-1), persistent=False)
        self.register_buffer("_tap", torch.arange(9).repeat(cells), persistent=False)

    def dense(self) -> torch.Tensor:
        """(out * g*g, in * g*g) matrix equal to the circular convolution."""
        w = self.conv.weight
        o, i = w.shape[:2]
        cells = self.grid * self.grid
        flat = w.new_zeros(o, i, cells * cells).index_add(2, self._target, w.reshape(o, i, 9)[:, :, self._tap])
        return flat.reshape(o, i, cells, cells).permute(0, 2, 1, 3).reshape(o * cells, i * cells)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in, g, g) -> (N, out, g, g)."""
        cells = self.grid * self.grid
        bias = self.conv.bias.repeat_interleave(cells)
        y = F.linear(x.reshape(x.shape[0], -1), self.dense(), bias)
        return y.reshape(x.shape[0], -1, self.grid, self.grid)


#: views with at most this many binary entries are deduplicated by a bit code
_MAX_CODE_BITS = 62


def unique_views(obs_seq: torch.Tensor):
    """(distinct views (U, C, g, g), inverse (T*B,)) of a binary (T, B, C, g, g) batch, or None
    when the views are not binary or too large to code in 62 bits (then nothing is deduplicated)."""
    flat = obs_seq.reshape(-1, obs_seq[0, 0].numel())
    if flat.shape[1] > _MAX_CODE_BITS or flat.shape[0] < 2 or not bool(((flat == 0) | (flat == 1)).all()):
        return None
    weights = torch.ones((), dtype=torch.long, device=flat.device) << torch.arange(flat.shape[1], device=flat.device)
    code = (flat.to(torch.long) * weights).sum(1)
    uniq_code, inverse = torch.unique(code, return_inverse=True)
    first = torch.empty(uniq_code.shape[0], dtype=torch.long, device=flat.device)
    first.scatter_(0, inverse, torch.arange(flat.shape[0], device=flat.device))  # any row of each code
    return flat.index_select(0, first).view(-1, *obs_seq.shape[2:]), inverse

class ConvGRU(nn.Module):
    """Conv encoder -> Linear -> GRU trunk; ``forward`` (T, B, C, g, g) -> (T, B, latent)."""

    def __init__(self, in_channels: int, grid: int = 3, channels: int = 8, latent: int = 32):
        super().__init__()
        self.conv1 = TorusConv(in_channels, channels, grid)
        self.conv2 = TorusConv(channels, channels, grid)
        self.linear = nn.Linear(channels * grid * grid, latent)
        self.gru = nn.GRU(latent, latent)
        self.latent = latent

    def encode(self, obs: torch.Tensor) -> torch.Tensor:
        lead = obs.shape[:-3]
        x = obs.reshape(-1, *obs.shape[-3:])
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        return F.relu(self.linear(x.flatten(1))).reshape(*lead, self.latent)

    def forward(self, obs_seq: torch.Tensor, hidden: torch.Tensor | None = None):
        out, hidden = self.gru(self.encode(obs_seq), hidden)
        return F.relu(out), hidden


class CoinsActorCritic(nn.Module):
    def __init__(self, in_channels: int = 4, grid: int = 3, n_actions: int = 5, channels: int = 8,
                 latent: int = 32):
        super().__init__()
        self.actor = ConvGRU(in_channels, grid, channels, latent)
        self.critic = ConvGRU(in_channels, grid, channels, latent)
        self.pi = nn.Linear(latent, n_actions)
        self.v = nn.Linear(latent, 1)

    def forward(self, obs_seq: torch.Tensor):
        """(T, B, C, g, g) -> (Categorical with batch shape (T, B), value (T, B)).

        Each distinct view is encoded once (:func:`unique_views`) and gathered back: the same
        values as :meth:`forward_reference`; the encoder's weight gradients differ from it by
        float rounding only (summation order, see the module docstring)."""
        T, B = obs_seq.shape[:2]
        views = unique_views(obs_seq)
        if views is None:
            xa, xc = self.actor.encode(obs_seq), self.critic.encode(obs_seq)
        else:
            uniq, inverse = views
            xa = self.actor.encode(uniq).index_select(0, inverse).view(T, B, -1)
            xc = self.critic.encode(uniq).index_select(0, inverse).view(T, B, -1)
        a, _ = self.actor.gru(xa)
        c, _ = self.critic.gru(xc)
        return Categorical(logits=self.pi(F.relu(a)), validate_args=False), self.v(F.relu(c)).squeeze(-1)

    def forward_reference(self, obs_seq: torch.Tensor):
        """The plain evaluation (``nn.GRU``, every view encoded): what :meth:`forward` computes."""
        a, _ = self.actor(obs_seq)
        c, _ = self.critic(obs_seq)
        return Categorical(logits=self.pi(a), validate_args=False), self.v(c).squeeze(-1)

    @torch.no_grad()
    def step(self, obs: torch.Tensor, hidden: torch.Tensor | None = None):
        """One actor step: (B, C, g, g), hidden (1, B, latent) or None -> (logits (B, A), hidden)."""
        out, hidden = self.actor(obs.unsqueeze(0), hidden)
        return self.pi(out[0]), hidden
