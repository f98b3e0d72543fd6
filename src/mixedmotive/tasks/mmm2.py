"""Selfish-MMM2 as a multi-agent task, on either backend (:data:`BACKENDS`).

``embedded``: our batched simulator (:mod:`mixedmotive.envs.mmm2`); ``sc2``: oxwhirl SMAC on
StarCraft II (:mod:`mixedmotive.envs.smac_backend`; fails with a message naming what is missing).
Per-episode statistics (``extra_columns``):

* ``win_rate``: fraction of finished episodes won;
* ``team_return``: SMAC's own (scaled) team reward per episode (embedded: ``smac_reward``).
"""

from __future__ import annotations

import torch

from ..envs.mmm2 import MMM2Env

BACKENDS = ("embedded", "sc2")


def make_env(cfg: dict, generator, device):
    backend = cfg.get("backend", "embedded")
    if backend == "embedded":
        return MMM2Env(cfg["batch"], episode_limit=cfg["episode_limit"], device=device, generator=generator)
    if backend == "sc2":
        from ..envs.smac_backend import SMACSelfishMMM2

        return SMACSelfishMMM2(batch=cfg["batch"], seed=int(generator.initial_seed()))
    raise ValueError(f"mmm2_backend must be one of {BACKENDS}, got {backend!r}")


class MMM2Task:
    extra_columns = ("win_rate", "team_return")

    def __init__(self, cfg: dict, seed: int, device):
        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.env = e = make_env(cfg, self.generator, device)
        self.batch, self.n_agents, self.n_actions = e.batch, e.n_agents, e.n_actions
        self.obs_shape, self.state_shape = (e.obs_dim,), (e.state_dim,)

    def reset(self):
        obs = self.env.reset()
        return obs, self.env.state(), self.env.avail_actions()

    def step(self, actions):
        _, rewards, done, info = self.env.step(actions)
        obs = self.env.reset_done() if bool(done.any()) else self.env.observe()
        return obs, self.env.state(), self.env.avail_actions(), rewards, done, info

    def episode_extras(self, info) -> dict:
        return {"won": info["won"].float(), "team": info["smac_reward"].float()}

    def finish(self, s: dict) -> dict:
        return {"win_rate": float(s["won"] > 0), "team_return": float(s["team"])}
