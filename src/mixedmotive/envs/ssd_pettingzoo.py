"""PettingZoo ``ParallelEnv`` adapters over one Harvest or Cleanup game (batch 1).

PettingZoo is optional: ``import mixedmotive.envs.harvest`` / ``cleanup`` never needs it,
and this module imports without it; only constructing an adapter then raises ``ImportError``.

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

try:
    from gymnasium import spaces
    from pettingzoo import ParallelEnv
except ImportError as err:  # optional dependency
    _IMPORT_ERROR: ImportError | None = err
    ParallelEnv = object
else:
    _IMPORT_ERROR = None


class _SSDParallelEnv(ParallelEnv):
    game_cls: type = HarvestEnv
    metadata = {"name": "mixedmotive_ssd_v0"}

    def __init__(self, n_agents: int = 5, T: int = 1000, render_mode: str | None = None, **game_kwargs):
        if _IMPORT_ERROR is not None:
            raise ImportError(f"{type(self).__name__} needs PettingZoo: pip install pettingzoo") from _IMPORT_ERROR
        if render_mode is not None:
            raise ValueError(f"no rendering: render_mode must be None, got {render_mode!r}")
        self.render_mode = None
        self._generator = torch.Generator()
        self._generator.seed()  # nondeterministic until reset(seed=...)
        self.game = self.game_cls(1, n_agents=n_agents, T=T, generator=self._generator, **game_kwargs)
        self.possible_agents = [f"player_{i}" for i in range(n_agents)]
        self.agents: list[str] = []
        side = 2 * self.game.view_radius + 1
        box = (len(self.game.obs_channels), side, side)
        self.observation_spaces = {a: spaces.Box(0.0, 1.0, box, np.float32) for a in self.possible_agents}
        self.action_spaces = {a: spaces.Discrete(self.game.n_actions) for a in self.possible_agents}
        self.state_space = spaces.Box(0.0, 1.0, (len(self.game.global_channels), self.game.H, self.game.W),
                                      np.float32)

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
        names = self.possible_agents
        per_agent = {k: v[0].tolist() for k, v in info.items() if v.dim() == 2}
        out = (self._obs(obs),
               {a: float(rewards[0, i]) for i, a in enumerate(names)},
               {a: False for a in names},
               {a: bool(done) for a in names},
               {a: {k: v[i] for k, v in per_agent.items()} for i, a in enumerate(names)})
        if done:
            self.agents = []
        return out

    def state(self) -> np.ndarray:
        return self.game.global_state()[0].to(torch.float32).numpy()

    def render(self) -> None:
        return None

    def close(self) -> None:
        pass


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
