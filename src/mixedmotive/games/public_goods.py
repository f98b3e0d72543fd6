"""Two-player (or n-player) public goods game with sigmoid-parametrised contributions.

Player i holds an unconstrained parameter theta_i and contributes a_i = sigmoid(theta_i)
in (0, 1) of its endowment e; the pot is multiplied by k and shared equally:
    r_i = e - a_i + (k / n) * sum_j a_j,          1 < k < n.
Contributing is individually irrational (dr_i/da_i = k/n - 1 < 0), collectively
rational (d sum_j r_j / da_i = k - 1 > 0): Nash (0, .., 0), social optimum (1, .., 1).
The sigmoid makes the game non-linear in the parameters, so Hessians are non-zero
(with raw linear actions AgA would reduce to Simul-Co; see docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PublicGoodsGame:
    k: float = 1.5
    endowment: float = 1.0
    n_players: int = 2

    def __post_init__(self):
        if not 1.0 < self.k < self.n_players:
            raise ValueError(f"multiplier k must lie in (1, n_players={self.n_players}), got {self.k}")

    def actions(self, thetas: list[torch.Tensor]) -> list[torch.Tensor]:
        return [torch.sigmoid(t) for t in thetas]

    def rewards_of_actions(self, actions: list[torch.Tensor]) -> list[torch.Tensor]:
        pot = self.k / self.n_players * sum(actions)
        return [self.endowment - a + pot for a in actions]

    def losses(self, thetas: list[torch.Tensor]) -> list[torch.Tensor]:
        return [-r for r in self.rewards_of_actions(self.actions(thetas))]

    @property
    def self_interest_level(self) -> float:
        """Largest own-reward share s keeping full contribution an equilibrium (Willis et al.).

        With r~_i = s r_i + (1-s) mean_{j!=i} r_j:  dr~_i/da_i = k/n - s, so s* = k/n;
        at s* every player is exactly indifferent about its own contribution.
        """
        return self.k / self.n_players
