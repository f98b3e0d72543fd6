"""Batched iterated prisoner's dilemma for rollouts (Reciprocators' IPD-Rollout).

Rules (constants from :mod:`mixedmotive.envs.ipd`):

* actions: 0 = cooperate (C), 1 = defect (D); ``step`` takes a (B, 2) long tensor,
  column 0 = player 1 (row), column 1 = player 2 (column);
* rewards (B, 2): player 1 gets ``PAYOFF_ROW``, player 2 ``PAYOFF_COL`` of the joint
  state (row view) CC -1/-1, CD -3/0, DC 0/-3, DD -2/-2;
* observations (B, 2, 5): each player's one-hot memory-1 state *from its own view*:
  index 0 = start (after ``reset``), 1..4 = the previous joint action CC, CD, DC, DD,
  own action first.  Player 2's view swaps CD and DC (``SWAP_VIEW``);
* ``done`` is True after the T-th step; stepping a finished episode raises.

The row-view state index (0 = start, 1..4 = CC, CD, DC, DD as seen by player 1) of
the observations just returned is kept in ``self.state`` (B,) and also returned in
``info["state"]``; the Reciprocator's influence baseline is keyed on it.

The game itself is deterministic; ``generator`` is accepted for interface symmetry
with stochastic environments and is not used.
"""

from __future__ import annotations

import torch

from .ipd import N_STATES, PAYOFF_COL, PAYOFF_ROW, SWAP_VIEW

START = 0


def joint_index(actions: torch.Tensor) -> torch.Tensor:
    """Row-view joint state 0..3 (CC, CD, DC, DD) of (..., 2) actions."""
    return 2 * actions[..., 0] + actions[..., 1]


class IPDRolloutEnv:
    def __init__(self, batch: int, T: int = 32, device: str | torch.device = "cpu",
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32):
        if batch < 1 or T < 1:
            raise ValueError("batch and T must be positive")
        self.batch, self.T, self.device, self.generator, self.dtype = batch, T, torch.device(device), generator, dtype
        self.payoff = torch.tensor([PAYOFF_ROW, PAYOFF_COL], dtype=dtype, device=self.device).T  # (4, 2)
        # own-view state index (1..4) of each player for each row-view joint state 0..3
        self.view = torch.tensor([[1 + s, 1 + SWAP_VIEW[s]] for s in range(4)], device=self.device)  # (4, 2)
        self._eye = torch.eye(N_STATES, dtype=dtype, device=self.device)
        self.t = 0
        self.state = torch.zeros(batch, dtype=torch.long, device=self.device)
        self._done = True

    def _obs(self, own_states: torch.Tensor) -> torch.Tensor:
        return self._eye[own_states]  # (B, 2) -> (B, 2, 5)

    def reset(self) -> torch.Tensor:
        self.t = 0
        self._done = False
        self.state = torch.full((self.batch,), START, dtype=torch.long, device=self.device)
        return self._obs(torch.zeros(self.batch, 2, dtype=torch.long, device=self.device))

    def step(self, actions: torch.Tensor):
        if self._done:
            raise RuntimeError("episode finished: call reset() first")
        actions = actions.to(device=self.device, dtype=torch.long)
        if actions.shape != (self.batch, 2):
            raise ValueError(f"actions must have shape ({self.batch}, 2), got {tuple(actions.shape)}")
        joint = joint_index(actions)  # (B,) 0..3
        rewards = self.payoff[joint]  # (B, 2)
        self.state = joint + 1
        self.t += 1
        self._done = self.t >= self.T
        return self._obs(self.view[joint]), rewards, self._done, {"state": self.state, "t": self.t}
