"""Shared PettingZoo ``ParallelEnv`` adapter over ONE game of a batched mixedmotive environment.

Used by :mod:`.coins_pettingzoo` and :mod:`.ssd_pettingzoo`.  PettingZoo is optional: this
module imports without it and only constructing an adapter raises ``ImportError``.

Common behaviour of every adapter:

* agents ``"player_0" .. "player_{N-1}"``; ``observation_space(a)`` a ``Box(0, 1, shape)`` of
  float32, ``action_space(a)`` a ``Discrete(n_actions)``;
* the games never terminate: after ``T`` steps every agent is *truncated* (``truncations`` all
  True, ``terminations`` all False) and ``agents`` is emptied; stepping again before ``reset``
  raises ``RuntimeError``;
* ``reset(seed=s)`` reseeds the game's generator, so a seed and the actions fix the trajectory;
  ``reset()`` without a seed continues the current random stream;
* ``infos[a]``: every entry of the game's step ``info`` whose shape starts with (1, N), at
  agent ``a``'s index (a plain Python number for per-agent scalars, a numpy array otherwise).
"""

from __future__ import annotations

import numpy as np
import torch

try:
    from gymnasium import spaces
    from pettingzoo import ParallelEnv
except ImportError as err:  # optional dependency
    _IMPORT_ERROR: ImportError | None = err
    ParallelEnv = object
else:
    _IMPORT_ERROR = None


class OneGameParallelEnv(ParallelEnv):
    """Subclasses pass a factory ``make_game(generator)`` of the batch-1 game and define
    ``spaces(game) -> (observation shape, number of actions)`` and ``state()``."""

    def __init__(self, make_game, n_agents: int, render_mode: str | None = None):
        if _IMPORT_ERROR is not None:
            raise ImportError(f"{type(self).__name__} needs PettingZoo: pip install pettingzoo") from _IMPORT_ERROR
        if render_mode is not None:
            raise ValueError(f"no rendering: render_mode must be None, got {render_mode!r}")
        self.render_mode = None
        self._generator = torch.Generator()
        self._generator.seed()  # nondeterministic until reset(seed=...)
        self.game = make_game(self._generator)
        self.possible_agents = [f"player_{i}" for i in range(n_agents)]
        self.agents: list[str] = []
        obs_shape, n_actions = self.spaces(self.game)
        self.observation_spaces = {a: spaces.Box(0.0, 1.0, tuple(obs_shape), np.float32) for a in self.possible_agents}
        self.action_spaces = {a: spaces.Discrete(n_actions) for a in self.possible_agents}

    def observation_space(self, agent: str):
        return self.observation_spaces[agent]

    def action_space(self, agent: str):
        return self.action_spaces[agent]

    def _obs(self, obs: torch.Tensor) -> dict[str, np.ndarray]:
        views = obs[0].to(torch.float32).numpy()
        return {a: views[i].copy() for i, a in enumerate(self.possible_agents)}

    def _infos(self, info: dict) -> dict[str, dict]:
        n = len(self.possible_agents)
        per_agent = {k: v[0] for k, v in info.items() if torch.is_tensor(v) and tuple(v.shape[:2]) == (1, n)}
        return {a: {k: (v[i].item() if v[i].dim() == 0 else v[i].numpy().copy()) for k, v in per_agent.items()}
                for i, a in enumerate(self.possible_agents)}

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
        out = (self._obs(obs),
               {a: float(rewards[0, i]) for i, a in enumerate(names)},
               {a: False for a in names},
               {a: bool(done) for a in names},
               self._infos(info))
        if done:
            self.agents = []
        return out

    def render(self) -> None:
        return None

    def close(self) -> None:
        pass
