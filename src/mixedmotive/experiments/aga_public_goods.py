"""AgA Table 1 / Fig. 4: 50 seeded runs per method on the public goods game, as one batch."""

from __future__ import annotations

import pandas as pd
import torch

from .. import methods
from ..games import PublicGoodsGame
from .game_descent import descend, method_kwargs


def game_of(cfg: dict) -> PublicGoodsGame:
    return PublicGoodsGame(k=cfg["k"], endowment=cfg["endowment"], n_players=2)


def initial_thetas(cfg: dict, seed: int, device: str = "cpu") -> torch.Tensor:
    """Initial contributions uniform in [lo, hi]^2, returned as sigmoid logits."""
    gen = torch.Generator().manual_seed(seed)
    lo, hi = cfg["init_range"]
    a = lo + (hi - lo) * torch.rand(cfg["runs"], 2, generator=gen, dtype=torch.float64)
    return torch.logit(a).to(device)


def simulate(cfg: dict, method: str, seed: int, device: str = "cpu"):
    game = game_of(cfg)
    # only a self-interest-level method reads its level (from the section named after it)
    s = cfg[method]["self_interest"] if methods.get(method).shaping == "self_interest_level" else "auto"
    kwargs = method_kwargs(method, cfg, sl_self_interest=game.self_interest_level if s == "auto" else s)
    return game, descend(
        game.losses,
        initial_thetas(cfg, seed, device),
        method,
        lr=cfg["lr"],
        steps=cfg["max_steps"],
        engine_kwargs=kwargs,
        watch_fn=torch.sigmoid,
        tol=cfg["tol"],
    )


def run(cfg: dict, method: str, seed: int, device: str = "cpu") -> pd.DataFrame:
    """Per run and step: contributions, rewards and the signed lambda used."""
    game, log = simulate(cfg, method, seed, device)
    thetas = torch.stack(log.params).cpu()  # (steps+1, runs, 2)
    actions = torch.sigmoid(thetas)
    r = game.rewards_of_actions([actions[..., 0], actions[..., 1]])
    n_steps, runs = thetas.shape[:2]
    lam = torch.stack([torch.zeros(runs)] + [lam_t.cpu().float() for lam_t in log.lam])
    idx = torch.arange(runs).repeat(n_steps)
    return pd.DataFrame({
        "run": idx.numpy() + seed * runs,
        "step": torch.arange(n_steps).repeat_interleave(runs).numpy(),
        "a1": actions[..., 0].reshape(-1).numpy(),
        "a2": actions[..., 1].reshape(-1).numpy(),
        "r1": r[0].reshape(-1).numpy(),
        "r2": r[1].reshape(-1).numpy(),
        "lam": lam.reshape(-1).numpy(),
        "steps_to_converge": log.steps_to_converge.repeat(n_steps).numpy(),
        "method": method,
        "seed": seed,
    })
