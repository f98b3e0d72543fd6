"""Batched Harvest (sequential social dilemma; docs/papers.md).

A torch re-implementation of ``HarvestEnv`` of eugenevinitsky/sequential_social_dilemma_games
(``social_dilemmas/envs/harvest.py`` with ``map_env.py`` and ``agent.py``).  The shared
rules -- actions, movement and conflicts, beams, rewards, observations, ``global_state`` --
are in :mod:`mixedmotive.envs.ssd`; this module adds the apples.

* map: ``HARVEST_MAP`` (16 x 38, walls included; ``ssd_maps``), or any ``ascii_map`` of
  ``@`` walls, ``P`` spawn points, ``A`` apple cells and spaces;
* every ``A`` cell holds an apple at reset; an agent stepping on an apple eats it (+1);
* actions (8): 0 move left, 1 move right, 2 move up, 3 move down (relative to the agent's
  orientation), 4 stay, 5 turn clockwise, 6 turn counter-clockwise, 7 fire;
  fire costs 1, every penalty-beam line absorbed costs 50;
* **regrowth**, after eating and beams, for all games at once: each apple cell that holds
  neither an apple nor an agent grows one with probability ``SPAWN_PROB[min(n, 3)]``,
  ``SPAWN_PROB = (0, 0.005, 0.02, 0.05)``, where ``n`` is the number of apples in the
  ``regrowth_window x regrowth_window`` square centred on the cell.  Default 5 (radius 2,
  as the reference's older ``return_view(pos, APPLE_RADIUS, ...)`` counts); ``regrowth_window=3`` is the
  reference's current master, whose loop keeps the offsets with ``j**2 + k**2 <= APPLE_RADIUS`` (a squared
  distance against the unsquared radius 2), i.e. exactly the 3 x 3 square.  A patch with no apple left never regrows.

Apples exist only on apple cells, so ``n`` for all apple cells of all games is one matrix
product ``apples (B, n_cells) @ adjacency (n_cells, n_cells)``; one uniform draw per apple
cell and game (``generator``) decides the growth.

Observation channels: ``self, others, wall, apple, fire_beam`` (``obs_channels``);
global-state channels: ``wall, apple, fire_beam, agent_0.., facing_up/right/down/left``.
``info``: ``apples`` (B, N) long apples eaten this step (0/1), ``fired`` (B, N) bool,
``hit`` (B, N) bool (absorbed at least one penalty-beam line this step).
"""

from __future__ import annotations

import torch

from .ssd import _APPLE, BEAM_LENGTH, VIEW_RADIUS, SSDGame
from .ssd_maps import HARVEST_MAP

SPAWN_PROB = (0.0, 0.005, 0.02, 0.05)
APPLE_RADIUS = 2


class HarvestEnv(SSDGame):
    n_actions = 8
    apple_char = "A"
    map_chars = "@P A"
    extra_channels = ()

    def __init__(self, batch: int, n_agents: int = 5, T: int = 1000, device: str | torch.device = "cpu",
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32,
                 ascii_map=HARVEST_MAP, regrowth_window: int = 2 * APPLE_RADIUS + 1,
                 view_radius: int = VIEW_RADIUS, beam_length: int = BEAM_LENGTH,
                 view_rotation: str = "facing_up"):
        if regrowth_window < 1 or regrowth_window % 2 == 0:
            raise ValueError("regrowth_window must be odd and positive (5: radius 2; 3: the master code)")
        self.regrowth_window = regrowth_window
        super().__init__(batch, n_agents, T, device, generator, dtype, ascii_map,
                         view_radius=view_radius, beam_length=beam_length, view_rotation=view_rotation)

    def _setup(self) -> None:
        cells, w = self._apple_cells, self.regrowth_window // 2
        r, c = cells // self.W, cells % self.W
        near = ((r[:, None] - r[None]).abs() <= w) & ((c[:, None] - c[None]).abs() <= w)
        self._adjacency = near.to(self.dtype)  # (cells, cells): apple cell i lies in cell j's window
        # SPAWN_PROB[min(n, 3)] for every possible n (0 .. window**2)
        n_max = self.regrowth_window ** 2
        table = [SPAWN_PROB[min(k, 3)] for k in range(n_max + 1)]
        self._spawn_prob = torch.tensor(table, dtype=self.dtype, device=self.device)

    def _reset_map(self) -> None:
        apples = self.planes[:, _APPLE]
        apples.zero_()
        apples.index_fill_(1, self._apple_cells, 1)

    def neighbour_counts(self) -> torch.Tensor:
        """(B, n_apple_cells) apples in each apple cell's regrowth window (row-major cells)."""
        return self.planes[:, _APPLE].index_select(1, self._apple_cells) @ self._adjacency

    def _spawn(self) -> dict:
        b, cells = self.batch, self._apple_cells
        apples = self.planes[:, _APPLE]
        have = apples.index_select(1, cells)
        n = have @ self._adjacency
        prob = self._spawn_prob.index_select(0, n.long().view(-1)).view(b, -1)
        grow = self._rand(b, len(cells)) < prob
        apples.index_copy_(1, cells, torch.where(grow, 1, have))
        # no growth under agents: after eating no agent stands on an apple, so clearing the
        # cells under agents removes exactly the apples just grown there
        apples.scatter_(1, self._pos, 0)
        return {}
