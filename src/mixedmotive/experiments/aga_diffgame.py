"""AgA Fig. 1: trajectories of each method on the two-player differentiable game."""

from __future__ import annotations

import pandas as pd
import torch

from ..games import diffgame
from .game_descent import descend, method_kwargs


def start_points(cfg: dict) -> tuple[torch.Tensor, int]:
    """The highlighted (plotted) starts followed by an n x n grid; returns (starts, n_highlighted)."""
    g = cfg["start_grid"]
    axis = torch.linspace(g["lo"], g["hi"], g["n"], dtype=torch.float64)
    grid = torch.cartesian_prod(axis, axis)
    shown = torch.tensor(cfg["plot_starts"], dtype=torch.float64).reshape(-1, 2)
    return torch.cat([shown, grid]), shown.shape[0]


def run(cfg: dict, method: str, seed: int, device: str = "cpu") -> pd.DataFrame:
    """One trajectory per start point (deterministic; ``seed`` is unused)."""
    del seed
    starts, n_shown = start_points(cfg)
    starts = starts.to(device)
    log = descend(
        lambda p: diffgame.losses(p[0], p[1]),
        starts,
        method,
        lr=cfg["lr"],
        steps=cfg["steps"],
        engine_kwargs=method_kwargs(method, cfg),
    )
    traj = torch.stack(log.params).cpu()  # (steps+1, starts, 2)
    lam = torch.stack([torch.zeros(starts.shape[0])] + [lam_t.cpu().float() for lam_t in log.lam])
    rows = []
    for s in range(starts.shape[0]):
        a1, a2 = traj[:, s, 0], traj[:, s, 1]
        r1, r2 = diffgame.rewards(a1, a2)
        rows.append(pd.DataFrame({
            "start": s, "highlight": s < n_shown, "step": range(traj.shape[0]), "a1": a1.numpy(), "a2": a2.numpy(),
            "r1": r1.numpy(), "r2": r2.numpy(), "lam": lam[:, s].numpy(),
        }))
    out = pd.concat(rows, ignore_index=True)
    out["method"] = method
    return out
