"""Batched Cleanup (sequential social dilemma; docs/papers.md).

A torch re-implementation of ``CleanupEnv`` of eugenevinitsky/sequential_social_dilemma_games
(``social_dilemmas/envs/cleanup.py`` with ``map_env.py`` and ``agent.py``).  The shared
rules -- actions, movement and conflicts, penalty beam, rewards, observations,
``global_state`` -- are in :mod:`mixedmotive.envs.ssd`; this module adds waste, cleaning
and the orchard.

* map: ``CLEANUP_MAP`` (the reference master's, 25 x 18, walls included; ``ssd_maps``), or any
  ``ascii_map`` of ``@ P`` and spaces, ``B`` orchard (apple) cells, ``H`` waste at reset,
  ``R`` river at reset, ``S`` stream.  The potential waste area is the ``H`` and ``R`` cells
  (119 on the default map, 56 of them waste at reset: density 0.471 >= 0.4, so nothing grows
  until the agents clean).  Agents walk on every non-wall cell (waste, river and stream included).
* actions (9): the Harvest actions 0-7 plus ``8`` clean.
* **cleaning beam**: the penalty beam's shape (three lines, length 5, stopped before
  walls, absorbed by agents), free of cost; every waste cell it reaches turns into river
  and stops that line (the reference's ``cell_types=[H], update_char=[R],
  blocking_cells=[H]``; an agent standing on waste in the beam gets the cell cleaned and
  absorbs the line).  Cleaning beams are resolved one agent after another in a uniformly
  random order, each seeing the waste the earlier ones removed (the reference shuffles
  the agents in ``update_custom_moves`` and applies each beam's updates at once); the
  penalty beam is not blocked by waste and changes nothing, so all fire beams are
  resolved together.
* **spawning**, after beams, from the waste density ``d = #waste / #(H + R cells)``
  (``compute_probabilities``): if ``d >= thresholdDepletion = 0.4`` neither apples nor
  waste spawn; otherwise ``p_apple = 0.05 * (1 - d / 0.4)`` (thresholdRestoration = 0,
  appleRespawnProbability = 0.05) and the waste probability is 0.5.

  - apples: every orchard cell with neither an apple nor an agent grows one with
    probability ``p_apple`` (independently);
  - waste: the reference visits the river cells without waste in a random order, each
    turning to waste with probability 0.5, and stops at the first success -- at most one
    waste cell per step.  With ``K`` such cells that is: one new waste cell with
    probability ``1 - 0.5**K``, uniformly among the ``K``.  Here each game draws exactly
    that: one uniform number for "whether" and one random key per cell for "which".
    Waste may appear under an agent (the reference checks only for existing waste).

Observation channels: ``self, others, wall, apple, fire_beam, waste, river, stream,
clean_beam`` (``river``: potential waste cells that are clean now).  ``info``: as Harvest
plus ``cleaned`` (B, N) long waste cells each agent's cleaning beam turned into river and
``waste_density`` (B,) the density this step's spawning used.
"""

from __future__ import annotations

import torch

from .ssd import _APPLE, BEAM_LENGTH, CLEAN, VIEW_RADIUS, SSDGame
from .ssd_maps import CLEANUP_MAP

THRESHOLD_DEPLETION = 0.4
THRESHOLD_RESTORATION = 0.0
WASTE_SPAWN_PROBABILITY = 0.5
APPLE_RESPAWN_PROBABILITY = 0.05

_WASTE, _RIVER, _STREAM, _CLEAN = 5, 6, 7, 8


class CleanupEnv(SSDGame):
    n_actions = 9
    apple_char = "B"
    map_chars = "@P BHRS"
    extra_channels = ("waste", "river", "stream", "clean_beam")

    def __init__(self, batch: int, n_agents: int = 5, T: int = 1000, device: str | torch.device = "cpu",
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32,
                 ascii_map=CLEANUP_MAP, view_radius: int = VIEW_RADIUS, beam_length: int = BEAM_LENGTH,
                 view_rotation: str = "facing_up"):
        super().__init__(batch, n_agents, T, device, generator, dtype, ascii_map,
                         view_radius=view_radius, beam_length=beam_length, view_rotation=view_rotation)

    def _setup(self) -> None:
        dev, flat = self.device, self._cells_of
        self._area = flat("HR")
        self._waste_start = flat("H")
        area = torch.zeros(self.P + 1, dtype=self.dtype, device=dev)
        area[self._area] = 1
        self._area_plane = area
        stream = torch.zeros(self.P + 1, dtype=self.dtype, device=dev)
        stream[flat("S")] = 1
        self.planes[:, _STREAM] = stream

    @property
    def potential_waste_area(self) -> int:
        return len(self._area)

    @property
    def waste_map(self) -> torch.Tensor:
        """(B, H, W) bool, where waste is now."""
        return self._cells_to_map(self.planes[:, _WASTE]) > 0

    @waste_map.setter
    def waste_map(self, waste) -> None:
        waste = torch.as_tensor(waste, device=self.device).bool().expand(self.batch, self.H, self.W)
        if (waste & ~self.waste_area).any():
            raise ValueError("waste can only lie on river cells (H or R on the map)")
        self._map_to_cells(self.planes[:, _WASTE], waste)
        self._update_river()

    @property
    def waste_area(self) -> torch.Tensor:
        """(H, W) bool, the potential waste area (H and R cells of the map)."""
        return self._static_map(self._area)

    def waste_density(self) -> torch.Tensor:
        """(B,) waste cells / potential waste area."""
        return self.planes[:, _WASTE].index_select(1, self._area).sum(1) / max(len(self._area), 1)

    def _update_river(self) -> None:
        torch.sub(self._area_plane, self.planes[:, _WASTE], out=self.planes[:, _RIVER])

    def _reset_map(self) -> None:
        self.planes[:, _APPLE].zero_()
        self.planes[:, _CLEAN].zero_()
        waste = self.planes[:, _WASTE]
        waste.zero_()
        waste.index_fill_(1, self._waste_start, 1)

    def _custom_beams(self, actions: torch.Tensor, beams: torch.Tensor) -> dict:
        b, n = actions.shape
        plane = self.planes[:, _CLEAN]
        plane.zero_()
        cleaning = actions == CLEAN
        cleaned = torch.zeros(b, n, dtype=torch.long, device=self.device)
        if self.device.type == "cpu":
            rounds = int(cleaning.sum(1).max())  # the most cleaners in any game
        else:  # no host sync
            rounds = n
        if rounds == 0:
            return {"cleaned": cleaned}
        # cleaners first, in a uniformly random order per game; agents do not move during
        # the beams, so which beam cells hold an agent is known up front
        order = (self._rand(b, n, dtype=torch.float32) + (~cleaning).float()).argsort(1)[:, :rounds]
        lines = beams.gather(1, order.unsqueeze(2).expand(b, rounds, beams.shape[2]))  # (B, rounds, 3L)
        agent = self._occupant.gather(1, lines.view(b, -1)).view(lines.shape) > 0
        active = cleaning.gather(1, order).unsqueeze(2)
        waste = self.planes[:, _WASTE]
        covered, hits = [], []
        for k in range(rounds):
            cells = lines[:, k]
            dirty = waste.gather(1, cells) > 0
            alive = self._beam_reached(agent[:, k] | dirty) & active[:, k]
            hit = alive & dirty
            waste.scatter_(1, torch.where(hit, cells, self.P), 0)
            covered.append(alive)
            hits.append(hit)
        covered = torch.stack(covered, 1)
        plane.scatter_(1, torch.where(covered, lines, self.P).view(b, -1), 1)
        cleaned.scatter_(1, order, torch.stack(hits, 1).sum(2))
        return {"cleaned": cleaned}

    def _spawn(self) -> dict:
        b, dev = self.batch, self.device
        waste, apples = self.planes[:, _WASTE], self.planes[:, _APPLE]
        n_area = len(self._area)
        area = waste.index_select(1, self._area)  # (B, n_area)
        n_waste = area.sum(1)
        density = n_waste / max(n_area, 1)
        # 0.05 up to thresholdRestoration, linear down to 0 at thresholdDepletion, 0 beyond
        p_apple = ((THRESHOLD_DEPLETION - density)
                   * (APPLE_RESPAWN_PROBABILITY / (THRESHOLD_DEPLETION - THRESHOLD_RESTORATION))
                   ).clamp_(0, APPLE_RESPAWN_PROBABILITY)
        # apples: independent per orchard cell, none under agents
        cells = self._apple_cells
        grow = self._rand(b, len(cells)) < p_apple.unsqueeze(1)
        apples.index_copy_(1, cells, torch.where(grow, 1, apples.index_select(1, cells)))
        apples.scatter_(1, self._pos, 0)  # agents ate any apple under them this step
        # waste: at most one cell, P(one) = 1 - 0.5**K, uniform among the K clean river cells
        if n_area:
            k = n_area - n_waste.double()  # clean river cells
            p_waste = torch.where(density < THRESHOLD_DEPLETION, 1 - (1 - WASTE_SPAWN_PROBABILITY) ** k, 0)
            spawn = torch.rand(b, generator=self.generator, device=dev, dtype=torch.float64) < p_waste
            where = (self._rand(b, n_area) + (area == 0)).argmax(1)
            # amax keeps the scratch cell clean and never removes waste
            waste.scatter_reduce_(1, self._area[where].unsqueeze(1), spawn.to(self.dtype).unsqueeze(1), "amax")
        self._update_river()
        return {"waste_density": density}
