"""Harvest and Cleanup (:mod:`mixedmotive.envs.harvest`, :mod:`mixedmotive.envs.cleanup`) as a multi-agent task.

Per-episode statistics (``extra_columns``):

* ``sustainability``: mean over agents of the average time step at which the agent ate an
  apple (Perolat et al. 2017; NaN for an agent that ate none); higher = apples last longer;
* ``hits``: beam hits per episode (all agents), a cheap inverse of "peace".
"""

from __future__ import annotations

from functools import partial

import torch

from ..envs.cleanup import CleanupEnv
from ..envs.harvest import HarvestEnv
from ..envs.ssd_maps import CLEANUP_MAP_835DDB7

# cleanup: the reference master's map; cleanup_835ddb7: the map of the reference's commit 835ddb7 (envs/ssd_maps.py)
GAMES = {"harvest": HarvestEnv, "cleanup": CleanupEnv,
         "cleanup_835ddb7": partial(CleanupEnv, ascii_map=CLEANUP_MAP_835DDB7)}


class SSDTask:
    extra_columns = ("sustainability", "hits")

    def __init__(self, game: str, cfg: dict, seed: int, device):
        if game not in GAMES:
            raise ValueError(f"unknown SSD game {game!r}: expected one of {sorted(GAMES)}")
        self.generator = torch.Generator(device=device).manual_seed(seed)
        kw = {"regrowth_window": cfg["harvest_regrowth_window"]} if game == "harvest" else {}
        self.env = GAMES[game](cfg["batch"], cfg["n_agents"], cfg["T"], device=device, generator=self.generator, **kw)
        e = self.env
        side = 2 * e.view_radius + 1
        self.batch, self.n_agents, self.n_actions = e.batch, e.n_agents, e.n_actions
        self.obs_shape = (e.n_planes, side, side)
        self.state_shape = (len(e.global_channels), e.H, e.W)
        self._done = torch.ones(e.batch, dtype=torch.bool, device=e.device)

    def reset(self):
        obs = self.env.reset()
        return obs, self.env.global_state(), None

    def step(self, actions):
        t = self.env.t
        obs, rewards, done, info = self.env.step(actions)
        info = {**info, "t": t}
        if done:
            obs = self.env.reset()
        return obs, self.env.global_state(), None, rewards, self._done if done else ~self._done, info

    def episode_extras(self, info) -> dict:
        apples = info["apples"].float()
        return {"apple_time": apples * info["t"], "apples": apples, "hits": info["hit"].float().sum(-1)}

    def finish(self, s: dict) -> dict:
        per_agent = torch.where(s["apples"] > 0, s["apple_time"] / s["apples"].clamp(min=1), torch.nan)
        sus = per_agent[~per_agent.isnan()]
        return {"sustainability": float(sus.mean()) if len(sus) else float("nan"), "hits": float(s["hits"])}
