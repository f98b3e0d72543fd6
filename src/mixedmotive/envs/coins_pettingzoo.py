"""PettingZoo ``ParallelEnv`` adapter over one Coins game (``CoinGame`` with batch 1).

PettingZoo is optional: ``import mixedmotive.envs.coins`` never needs it, and this module
imports without it; only constructing :class:`CoinsParallelEnv` then raises ``ImportError``.
The common behaviour (spaces, truncation at ``T``, seeding, infos) is
:class:`mixedmotive.envs.pettingzoo_base.OneGameParallelEnv`'s.

* agents ``"player_0" .. "player_{N-1}"``; agent ``i`` owns coin ``i``;
* ``observation_space(a)``: ``Box(0, 1, (2N, g, g), float32)``, the agent's view from
  ``CoinGame.observe()`` (``obs_order`` as in ``CoinGame``); ``action_space(a)``:
  ``Discrete(5)`` (0 right, 1 left, 2 down, 3 up, 4 stay);
* the game never terminates: after ``T`` steps every agent is *truncated*
  (``truncations`` all True, ``terminations`` all False) and ``agents`` is emptied;
  stepping again before ``reset`` raises ``RuntimeError``;
* ``reset(seed=s)`` reseeds the game's generator, so a seed and the actions fix the
  trajectory; ``reset()`` without a seed continues the current random stream;
* ``infos[a]["collected"]``: bool array (N,), which coins agent ``a`` stood on this step;
* ``state()``: the global ``(2N, g, g)`` stack ``[agent_0 .., coin_0 ..]``.

Example::

    from mixedmotive.envs.coins_pettingzoo import parallel_env
    env = parallel_env()
    obs, infos = env.reset(seed=0)
    while env.agents:
        obs, rewards, terms, truncs, infos = env.step({a: env.action_space(a).sample() for a in env.agents})
"""

from __future__ import annotations

import numpy as np
import torch

from .coins import ACTION_NAMES, CoinGame
from .pettingzoo_base import OneGameParallelEnv

NAME = "mixedmotive_coins_v0"


class CoinsParallelEnv(OneGameParallelEnv):
    metadata = {"name": NAME}

    def __init__(self, n_agents: int = 2, grid: int = 3, T: int = 32, obs_order: str = "egocentric",
                 render_mode: str | None = None):
        super().__init__(lambda gen: CoinGame(1, n_agents=n_agents, grid=grid, T=T, obs_order=obs_order, generator=gen),
                         n_agents, render_mode)

    @staticmethod
    def spaces(game: CoinGame) -> tuple[tuple, int]:
        return (2 * game.n_agents, game.grid, game.grid), len(ACTION_NAMES)

    def state(self) -> np.ndarray:
        g = self.game.grid
        return self.game.global_onehot()[0].to(torch.float32).numpy().reshape(-1, g, g)


def parallel_env(**kwargs) -> CoinsParallelEnv:
    """PettingZoo-style constructor (``mixedmotive_coins_v0``)."""
    return CoinsParallelEnv(**kwargs)
