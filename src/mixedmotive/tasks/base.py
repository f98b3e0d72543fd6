"""The interface :func:`mixedmotive.experiments.marl.train` trains on: a batch of ``B`` games of ``N`` agents."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class MultiAgentTask(Protocol):
    """A batched environment behind one interface (duck-typed: no need to inherit from this class).

    * ``batch`` (``B``), ``n_agents`` (``N``), ``n_actions`` (``A``), ``obs_shape`` (one agent's
      observation), ``state_shape`` (the centralised critic's global state);
    * ``generator``: the task's own random stream; the learner samples actions from it too, and a
      checkpoint saves and restores it;
    * ``reset() -> (obs (B, N, *obs_shape), state (B, *state_shape), avail (B, N, A) bool or None)``;
    * ``step(actions (B, N) long) -> (obs, state, avail, rewards (B, N), done (B,) bool, info)`` where
      the returned observations already belong to the restarted games wherever ``done``;
    * ``episode_extras(info) -> {name: (B, ...) tensor}``: per-step task statistics, summed per game
      over its episode; ``finish(stats) -> dict`` turns one finished game's sums into the values of
      the row columns ``extra_columns`` (e.g. win rate, sustainability).
    """

    batch: int
    n_agents: int
    n_actions: int
    obs_shape: tuple[int, ...]
    state_shape: tuple[int, ...]
    extra_columns: tuple[str, ...]
    generator: torch.Generator

    def reset(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]: ...

    def step(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor,
                                                   torch.Tensor, dict]: ...

    def episode_extras(self, info: dict) -> dict[str, torch.Tensor]: ...

    def finish(self, stats: dict[str, torch.Tensor]) -> dict[str, float]: ...
