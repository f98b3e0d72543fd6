"""AgA's two-player differentiable mixed-motive game (Li et al. 2024, Fig. 1).

Player i controls the scalar a_i and minimises its loss:
    l1 = -sin(a1 a2 + a2^2)
    l2 = -cos(1 + a1 - (1 + a2)^2 + a1 a2^2)
Rewards are r_i = -l_i; the collective loss is l1 + l2 (max collective reward 2).
Every function works elementwise on tensors of any (equal) shape.
"""

from __future__ import annotations

import torch

N_PLAYERS = 2
MAX_COLLECTIVE_REWARD = 2.0  # sin + cos of independent arguments


def losses(a1: torch.Tensor, a2: torch.Tensor) -> list[torch.Tensor]:
    l1 = -torch.sin(a1 * a2 + a2**2)
    l2 = -torch.cos(1 + a1 - (1 + a2) ** 2 + a1 * a2**2)
    return [l1, l2]


def rewards(a1: torch.Tensor, a2: torch.Tensor) -> list[torch.Tensor]:
    return [-loss for loss in losses(a1, a2)]
