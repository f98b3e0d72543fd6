"""Action validation shared by the batched environments (Coins, Harvest/Cleanup, MMM2, the SMAC wrapper)."""

from __future__ import annotations

import torch


def as_actions(actions, batch: int, n_agents: int, n_actions: int, device: torch.device) -> torch.Tensor:
    """(B, N) long tensor on ``device``; ValueError on a wrong shape or an action outside 0..n_actions-1.

    On CPU the range check is one ``aminmax``; on other devices it is an asynchronous device
    assertion, so stepping never waits for the host.
    """
    actions = torch.as_tensor(actions).to(device=device, dtype=torch.long)
    if actions.shape != (batch, n_agents):
        raise ValueError(f"actions must have shape ({batch}, {n_agents}), got {tuple(actions.shape)}")
    if actions.device.type == "cpu":
        lo, hi = torch.aminmax(actions)
        if lo.item() < 0 or hi.item() >= n_actions:
            raise ValueError(f"actions must lie in 0..{n_actions - 1}")
    else:
        torch._assert_async(((actions >= 0) & (actions < n_actions)).all())
    return actions


def check_available(actions: torch.Tensor, avail: torch.Tensor, done: torch.Tensor) -> None:
    """ValueError naming the first (game, agent) whose action is masked out in ``avail`` (B, N, A);
    finished games (``done`` (B,)) are not checked."""
    ok = torch.gather(avail, 2, actions[..., None])[..., 0] | done[:, None]
    if not bool(ok.all()):
        g, i = (~ok).nonzero()[0].tolist()
        raise ValueError(f"action {int(actions[g, i])} of agent {i} in game {g} is not available")
