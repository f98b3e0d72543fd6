"""PettingZoo ``ParallelEnv`` adapters over one Harvest or Cleanup game (batch 1).

PettingZoo is optional: ``import mixedmotive.envs.harvest`` / ``cleanup`` never needs it,
and this module imports without it; only constructing an adapter then raises ``ImportError``.
The common behaviour (spaces, truncation at ``T``, seeding, infos) is
:class:`mixedmotive.envs.pettingzoo_base.OneGameParallelEnv`'s.

* agents ``"player_0" .. "player_{N-1}"``;
* ``observation_space(a)``: ``Box(0, 1, (C, 15, 15), float32)``, the agent's egocentric
  view (channels ``game.obs_channels``); ``action_space(a)``: ``Discrete(8)`` (Harvest) or
  ``Discrete(9)`` (Cleanup), numbered as ``mixedmotive.envs.ssd.ACTION_NAMES``;
* the game never terminates: after ``T`` steps every agent is *truncated*
  (``truncations`` all True, ``terminations`` all False) and ``agents`` is emptied;
  stepping again before ``reset`` raises ``RuntimeError``;
* ``reset(seed=s)`` reseeds the game's generator, so a seed and the actions fix the
  trajectory; ``reset()`` without a seed continues the current random stream;
* ``infos[a]``: ``apples`` (0/1 eaten this step), ``fired``, ``hit`` and, for Cleanup,
  ``cleaned`` (waste cells cleaned) -- plain Python numbers;
* ``state()``: the global ``(C_g, H, W)`` map stack ``game.global_state()[0]``
  (``state_space`` describes it).

Example::

    from mixedmotive.envs.ssd_pettingzoo import harvest_parallel_env
    env = harvest_parallel_env(n_agents=5)
    obs, infos = env.reset(seed=0)
    while env.agents:
        obs, rewards, terms, truncs, infos = env.step({a: env.action_space(a).sample() for a in env.agents})
"""

from __future__ import annotations

import numpy as np
import torch

from .cleanup import CleanupEnv
from .harvest import HarvestEnv
from .pettingzoo_base import OneGameParallelEnv, spaces


class _SSDParallelEnv(OneGameParallelEnv):
    game_cls: type = HarvestEnv
    metadata = {"name": "mixedmotive_ssd_v0"}

    def __init__(self, n_agents: int = 5, T: int = 1000, render_mode: str | None = None, **game_kwargs):
        super().__init__(lambda gen: self.game_cls(1, n_agents=n_agents, T=T, generator=gen, **game_kwargs),
                         n_agents, render_mode)
        g = self.game
        self.state_space = spaces.Box(0.0, 1.0, (len(g.global_channels), g.H, g.W), np.float32)

    @staticmethod
    def spaces(game) -> tuple[tuple, int]:
        side = 2 * game.view_radius + 1
        return (len(game.obs_channels), side, side), game.n_actions

    def state(self) -> np.ndarray:
        return self.game.global_state()[0].to(torch.float32).numpy()


class HarvestParallelEnv(_SSDParallelEnv):
    game_cls = HarvestEnv
    metadata = {"name": "mixedmotive_harvest_v0"}


class CleanupParallelEnv(_SSDParallelEnv):
    game_cls = CleanupEnv
    metadata = {"name": "mixedmotive_cleanup_v0"}


def harvest_parallel_env(**kwargs) -> HarvestParallelEnv:
    """PettingZoo-style constructor (``mixedmotive_harvest_v0``)."""
    return HarvestParallelEnv(**kwargs)


def cleanup_parallel_env(**kwargs) -> CleanupParallelEnv:
    """PettingZoo-style constructor (``mixedmotive_cleanup_v0``)."""
    return CleanupParallelEnv(**kwargs)
