"""PettingZoo ``ParallelEnv`` adapter over one Coins game (``CoinGame`` with batch 1).

PettingZoo is optional: ``import mixedmotive.envs.coins`` never needs it, and this module
imports without it; only constructing :class:`CoinsParallelEnv` then raises ``ImportError``.

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

try:
    from gymnasium import spaces
    from pettingzoo import ParallelEnv
except ImportError as err:  # optional dependency
    _IMPORT_ERROR: ImportError | None = err
    ParallelEnv = object
else:
    _IMPORT_ERROR = None

NAME = "mixedmotive_coins_v0"


class CoinsParallelEnv(ParallelEnv):
    metadata = {"name": NAME}

    def __init__(self, n_agents: int = 2, grid: int = 3, T: int = 32, obs_order: str = "egocentric",
                 render_mode: str | None = None):
        if _IMPORT_ERROR is not None:
            raise ImportError("CoinsParallelEnv needs PettingZoo: pip install pettingzoo") from _IMPORT_ERROR
        if render_mode is not None:
            raise ValueError(f"no rendering: render_mode must be None, got {render_mode!r}")
        self.render_mode = None
        self._generator = torch.Generator()
        self._generator.seed()  # nondeterministic until reset(seed=...)
        self.game = CoinGame(1, n_agents=n_agents, grid=grid, T=T, obs_order=obs_order, generator=self._generator)
        self.possible_agents = [f"player_{i}" for i in range(n_agents)]
        self.agents: list[str] = []
        box = (2 * n_agents, grid, grid)
        self.observation_spaces = {a: spaces.Box(0.0, 1.0, box, np.float32) for a in self.possible_agents}
        self.action_spaces = {a: spaces.Discrete(len(ACTION_NAMES)) for a in self.possible_agents}

    def observation_space(self, agent: str):
        return self.observation_spaces[agent]

    def action_space(self, agent: str):
        return self.action_spaces[agent]

    def _obs(self, obs: torch.Tensor) -> dict[str, np.ndarray]:
        views = obs[0].to(torch.float32).numpy()
        return {a: views[i].copy() for i, a in enumerate(self.possible_agents)}

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._generator.manual_seed(int(seed))
        obs = self.game.reset()
        self.agents = list(self.possible_agents)
        return self._obs(obs), {a: {} for a in self.agents}

    def step(self, actions: dict):
        if not self.agents:
            raise RuntimeError("episode finished: call reset() first")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"every agent acts each step; no action for {missing}")
        joint = torch.tensor([[int(actions[a]) for a in self.possible_agents]], dtype=torch.long)
        obs, rewards, done, info = self.game.step(joint)
        collected = info["collected"][0].numpy()
        names = self.possible_agents
        out = (self._obs(obs),
               {a: float(rewards[0, i]) for i, a in enumerate(names)},
               {a: False for a in names},
               {a: bool(done) for a in names},
               {a: {"collected": collected[i].copy()} for i, a in enumerate(names)})
        if done:
            self.agents = []
        return out

    def state(self) -> np.ndarray:
        g = self.game.grid
        return self.game.global_onehot()[0].to(torch.float32).numpy().reshape(-1, g, g)

    def render(self) -> None:
        return None

    def close(self) -> None:
        pass


def parallel_env(**kwargs) -> CoinsParallelEnv:
    """PettingZoo-style constructor (``mixedmotive_coins_v0``)."""
    return CoinsParallelEnv(**kwargs)
