"""Reward-based baselines expressed as transformed rewards / losses.

Both work on any tensors: the RL learners apply them to per-step rewards, the
differentiable games to per-game losses (loss = -reward).  With ``n`` players the
last argument is a sequence of ``n`` equally shaped tensors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

Tensor = torch.Tensor


def _others_mean(values: Sequence[Tensor], i: int) -> Tensor:
    n = len(values)
    return sum(v for j, v in enumerate(values) if j != i) / (n - 1)


def svo_rewards(rewards: Sequence[Tensor], angle: float = math.pi / 4, weight: float = 0.2):
    """Social Value Orientation shaping (McKee et al. 2020).

    r~_i = r_i - weight * | angle - atan2(mean_{j!=i} r_j, r_i) |

    The reward angle atan2(others, self) is pi/4 when everybody gets the same, so
    with the prosocial angle pi/4 an agent is penalised for unequal outcomes, not
    rewarded for the others' welfare as such.
    """
    out = []
    for i, r in enumerate(rewards):
        reward_angle = torch.atan2(_others_mean(rewards, i), r)
        out.append(r - weight * torch.abs(angle - reward_angle))
    return out


def sl_rewards(rewards: Sequence[Tensor], s: float):
    """Reward exchange at self-interest level ``s`` (Willis et al. 2023).

    r~_i = s * r_i + (1 - s) * mean_{j != i} r_j.  s = 1 is selfish, s = 1/n is
    the collective mean.
    """
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"self-interest level must lie in [0, 1], got {s}")
    return [s * r + (1.0 - s) * _others_mean(rewards, i) for i, r in enumerate(rewards)]


def svo_losses(losses: Sequence[Tensor], angle: float = math.pi / 4, weight: float = 0.2):
    return [-r for r in svo_rewards([-loss for loss in losses], angle=angle, weight=weight)]


def sl_losses(losses: Sequence[Tensor], s: float):
    # linear in the rewards, so the same map applies to losses
    return sl_rewards(losses, s)
