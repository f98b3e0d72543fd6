"""Batched engine of the sequential social dilemmas (SSD) Harvest and Cleanup.

Shared rules of :class:`~mixedmotive.envs.harvest.HarvestEnv` and
:class:`~mixedmotive.envs.cleanup.CleanupEnv` re-implemented
from the rules of eugenevinitsky/sequential_social_dilemma_games (``social_dilemmas/envs/
map_env.py``, ``agent.py``, ``harvest.py``, ``cleanup.py``; its current master unless a
rule says otherwise).  ``batch`` games with ``N`` agents each step together as tensor
operations; nothing in ``step`` loops over games or agents.

Geometry
--------
Cells are ``(row, column)`` of the printed ASCII map (``ssd_maps``), row 0 at the top.
Orientations, in clockwise order: ``0`` up (row - 1), ``1`` right (column + 1), ``2`` down,
``3`` left -- the reference's ``ORIENTATIONS`` (``UP = [-1, 0]``, ``RIGHT = [0, 1]``, ...).

Actions (``ACTION_NAMES``; the reference's numbering)
-----------------------------------------------------
``0`` move left, ``1`` move right, ``2`` move up, ``3`` move down, ``4`` stay,
``5`` turn clockwise, ``6`` turn counter-clockwise, ``7`` fire (penalty beam),
``8`` clean (Cleanup only).  Moves are relative to the agent's orientation, as the
reference's ``rotate_action``: *up* = one cell forward, *down* = one back, *left*/*right* =
one cell to the agent's own left/right (facing left, "move left" goes down the map).
A turn changes only the orientation; fire and clean do not move the agent.

One step, in the reference's order (``MapEnv.step``)
----------------------------------------------------
1. **Turns** take effect; every moving agent proposes the cell its move points to; a wall
   cell is replaced by its own cell (``return_valid_pos``).
2. **Movement conflicts** (``update_moves``): agents never share a cell.

   * several movers wanting one cell: a uniformly random one of them keeps its move, the
     others stay (the reference shuffles the agents; here every agent of every game draws
     a uniform float64 priority each step, the highest wins);
   * a mover whose target cell is held by an agent that ends the step there (it stays,
     turned, fired, lost a conflict, or is itself blocked) stays too -- blocking propagates
     back along chains of movers;
   * two agents trying to swap cells both stay;
   * a closed cycle of movers (e.g. four agents rotating round a 2 x 2 square) all move,
     as in the reference's "no agent is able to move freely, so just move them all";
   * chains of movers whose head moves into a free cell all move.

   One deviation, from a reference bug: in the reference the winner of a contested cell
   that is currently held by a leaving agent moves in at once, and if that agent's own
   move later fails both occupy the cell.  Here the winner then stays (no overlap ever).
3. **Eating**: an agent standing on an apple eats it (+1) and the apple is gone.
4. **Beams** (``update_custom_moves`` / ``update_map_fire``), from the agents' positions and
   orientations after steps 1-2.  A beam is three parallel lines of length 5 in the facing
   direction: the agent's own column (cells 1..5 ahead) and the two flanking columns
   (cells 0..4 ahead, i.e. starting beside the agent).  A line stops *before* a wall;
   an agent in a line absorbs the beam (the cell is covered, the line stops there).

   * fire (penalty beam): -1 to the firer; -50 to every agent absorbing a fire line, once
     per line (several firers hitting one agent cost -50 each); agents are **not** removed
     or frozen -- the reference has no tag-out/time-out for Harvest and Cleanup (only
     ``hit`` and ``fire_beam`` rewards; ``get_done`` is always False);
   * clean (Cleanup, see ``cleanup.py``): free, turns waste into river, stopped by waste.
5. **Spawning** (``custom_map_update``): apples regrow (Harvest) / apples and waste spawn
   (Cleanup), never under agents for apples.
6. ``done`` after ``T`` steps (all games synchronised; the reference never ends an episode,
   its training scripts use a 1000-step horizon); stepping a finished game raises.

Reset: ``N`` distinct spawn cells (``P``) drawn uniformly, orientations uniform over the
four (the reference's ``spawn_point``/``spawn_rotation``), the map restored, then one
spawning pass as in the reference's ``reset`` (a no-op on the default maps).

Observations
------------
``(B, N, C, 2v+1, 2v+1)`` in the env dtype (``v = view_radius``, 7: 15 x 15), binary
channels instead of the reference's RGB, out-of-map cells count as wall.  The window is
centred on the agent and rotated so that the agent faces **up** (row 0 of the window is
the farthest row ahead) with its right-hand side on the right (``view_rotation=
"facing_up"``, default).  This is the reference's ``color_view`` for agents facing up or
down; for agents facing left/right the reference's ``np.rot90`` calls (asserted by its
``test_rotations``) turn the window the other way, so those agents see the world upside
down relative to their moves.  ``view_rotation="reference"`` reproduces that exactly.

Channels (``obs_channels``): ``self`` (the window centre), ``others`` (other agents),
``wall``, ``apple``, ``fire_beam`` (cells covered by a penalty beam this step), then the
game's own (Cleanup: ``waste``, ``river``, ``stream``, ``clean_beam``).  The reference
paints beams over agents and apples; here they are separate channels (nothing is hidden).

``global_state()``: ``(B, C_g, H, W)`` map channels for a centralised critic:
``wall``, ``apple``, ``fire_beam``, the game's own channels, ``agent_0 .. agent_{N-1}``
(one plane per agent identity) and ``facing_up, facing_right, facing_down, facing_left``.

Randomness comes only from ``generator`` (reset positions/orientations, move priorities,
spawning, Cleanup's cleaning order), so a trajectory is a deterministic function of the
generator's seed and the actions.

State access (tests, hand-built scenarios): ``agent_rc`` (B, N, 2) and ``orientation``
(B, N) get/set, ``apple_map`` (B, H, W) get/set, ``wall_map``, ``apple_cells``,
``spawn_cells`` (H, W).

Implementation (speed; the rules above are unchanged): a cell is ``row * W + column``; one
extra cell stands for everything outside the map (a wall) and one is a scratch cell where
masked scatters land.  ``planes`` (B, C, H*W + 2) holds every per-cell channel in
observation order (plane 0, ``self``, stays zero).  Moves (with walls), beam lines (cut at
the first wall) and rotated observation windows are lookup tables built once per
(cell, orientation[, action]) on the map padded by ``max(view_radius, beam_length)``
walls, so a move is one ``take``, a beam one row lookup and all observations of all agents
one ``gather``.  Movement conflicts are resolved for all games at once: a (B, N, N)
comparison settles contested cells by the random priorities, then pointer jumping along
"my target is held by agent j" finds, in ``ceil(log2 N)`` rounds, which chains end in a
free cell (they move), in an agent that stays or a swap (they stay), or in a cycle (they
move).  Penalty beams of all agents are one gather of the occupancy of their cells and a
cumulative sum along each line.
"""

from __future__ import annotations

import math

import torch

from .actions import as_actions

ACTION_NAMES = ("move_left", "move_right", "move_up", "move_down", "stay",
                "turn_clockwise", "turn_counterclockwise", "fire", "clean")
MOVE_LEFT, MOVE_RIGHT, MOVE_UP, MOVE_DOWN, STAY, TURN_CW, TURN_CCW, FIRE, CLEAN = range(9)
ORIENTATION_NAMES = ("up", "right", "down", "left")
#: (row, column) step of each orientation, clockwise from up
DIRECTIONS = ((-1, 0), (0, 1), (1, 0), (0, -1))
VIEW_RADIUS = 7
BEAM_LENGTH = 5
APPLE_REWARD = 1.0
FIRE_COST = 1.0
HIT_PENALTY = 50.0
VIEW_ROTATIONS = ("facing_up", "reference")

#: up to this many games, check for conflict-free moves first (skips the resolution)
_FAST_PATH_BATCH = 16

# plane indices shared by both games (plane c is observation channel c; _SELF stays zero)
_SELF, _AGENTS, _WALL, _APPLE, _FIRE = 0, 1, 2, 3, 4


def parse_map(ascii_map, allowed: str) -> list[str]:
    rows = [str(r) for r in ascii_map]
    if not rows or len({len(r) for r in rows}) != 1 or not rows[0]:
        raise ValueError("ascii_map must be a non-empty list of equally long strings")
    bad = set("".join(rows)) - set(allowed)
    if bad:
        raise ValueError(f"unknown map characters {sorted(bad)}; allowed: {allowed!r}")
    return rows


class SSDGame:
    """Shared engine; use :class:`HarvestEnv` or :class:`CleanupEnv`."""

    n_actions = 8
    apple_char = "A"
    map_chars = "@P A"
    extra_channels: tuple[str, ...] = ()

    def __init__(self, batch: int, n_agents: int, T: int, device, generator, dtype, ascii_map,
                 view_radius: int = VIEW_RADIUS, beam_length: int = BEAM_LENGTH,
                 view_rotation: str = "facing_up"):
        rows = parse_map(ascii_map, self.map_chars)
        if batch < 1 or T < 1 or n_agents < 1 or view_radius < 0 or beam_length < 1:
            raise ValueError("need batch >= 1, T >= 1, n_agents >= 1, view_radius >= 0, beam_length >= 1")
        if view_rotation not in VIEW_ROTATIONS:
            raise ValueError(f"view_rotation must be one of {VIEW_ROTATIONS}, got {view_rotation!r}")
        self.batch, self.n_agents, self.T = batch, n_agents, T
        self.device, self.generator, self.dtype = torch.device(device), generator, dtype
        self.view_radius, self.beam_length, self.view_rotation = view_radius, beam_length, view_rotation
        self.ascii_map = tuple(rows)
        self.H, self.W = H, W = len(rows), len(rows[0])
        dev = self.device
        # cells: 0 .. H*W - 1 the map (row-major), OUT = H*W every cell outside the map (a
        # wall), P = H*W + 1 a scratch cell (masked scatters land there; never read)
        n_cells = H * W
        OUT, P = n_cells, n_cells + 1
        self.n_cells, self.P = n_cells, P
        is_wall = torch.tensor([ch == "@" for row in rows for ch in row])
        wall = torch.ones(P + 1, dtype=torch.bool)
        wall[:n_cells] = is_wall
        self._wall = wall.to(dev)
        self._spawn_cells = self._cells_of("P")
        self._apple_cells = self._cells_of(self.apple_char)
        if n_agents > len(self._spawn_cells):
            raise ValueError(f"{n_agents} agents but only {len(self._spawn_cells)} spawn points")

        # ---- lookup tables, built on the map padded by `pad` wall cells on every side
        pad = max(view_radius, beam_length, 1)
        Hp, Wp = H + 2 * pad, W + 2 * pad
        pr, pc = torch.arange(Hp * Wp) // Wp - pad, torch.arange(Hp * Wp) % Wp - pad
        inside = (pr >= 0) & (pr < H) & (pc >= 0) & (pc < W)
        compact = torch.where(inside, pr * W + pc, OUT)  # padded cell -> cell
        wall_p = torch.ones(Hp * Wp, dtype=torch.bool)
        src = (torch.arange(n_cells) // W + pad) * Wp + torch.arange(n_cells) % W + pad  # cell -> padded
        wall_p[src] = is_wall
        d = [dr * Wp + dc for dr, dc in DIRECTIONS]
        A = self.n_actions
        move = torch.zeros(4, A, dtype=torch.long)
        turn = torch.arange(4).repeat(A, 1).t().clone()
        for o in range(4):
            move[o, MOVE_LEFT], move[o, MOVE_RIGHT] = d[(o + 3) % 4], d[(o + 1) % 4]
            move[o, MOVE_UP], move[o, MOVE_DOWN] = d[o], d[(o + 2) % 4]
            turn[o, TURN_CW], turn[o, TURN_CCW] = (o + 1) % 4, (o + 3) % 4
        # the proposed cell and the new orientation of every (cell, orientation, action), row
        # cell * 4A + orientation * A + action; a wall is replaced by the agent's own cell
        cells = torch.arange(P + 1).view(P + 1, 1, 1)
        target = cells.expand(P + 1, 4, A).clone()
        moved = src.view(-1, 1, 1) + move
        target[:n_cells] = torch.where(wall_p[moved], cells[:n_cells], compact[moved])
        self._target_table = target.reshape(-1).to(dev)
        self._turn_table = turn.expand(P + 1, 4, A).reshape(-1).to(dev)
        # beam cells of every (orientation, cell), row orientation * (P + 1) + cell: lines own
        # column (1..L ahead), right flank, left flank (0..L-1 ahead); a line stops before a
        # wall: the wall and the cells behind it become the scratch cell
        L = beam_length
        beam = torch.zeros(4, 3 * L, dtype=torch.long)
        for o in range(4):
            f, r = d[o], d[(o + 1) % 4]
            beam[o] = torch.tensor([(k + 1) * f for k in range(L)] + [r + k * f for k in range(L)]
                                   + [-r + k * f for k in range(L)])
        beam_p = src.view(1, -1, 1) + beam.view(4, 1, -1)  # (4, cells, 3L)
        cut = wall_p[beam_p].view(4, n_cells, 3, L).cumsum(-1).view(4, n_cells, 3 * L) > 0
        beam_table = torch.full((4, P + 1, 3 * L), P, dtype=torch.long)
        beam_table[:, :n_cells] = torch.where(cut, P, compact[beam_p])
        self._beam_table = beam_table.view(4 * (P + 1), -1).to(dev)
        # observation window of every (orientation, cell): pixel (i, j) is the cell v - i
        # ahead and j - v to the right; outside the map: OUT
        v = view_radius
        side = 2 * v + 1
        win = torch.zeros(4, side * side, dtype=torch.long)
        for o in range(4):
            (fr, fc), (rr, rc) = DIRECTIONS[o], DIRECTIONS[(o + 1) % 4]
            win[o] = torch.tensor([((v - i) * fr + (j - v) * rr) * Wp + (v - i) * fc + (j - v) * rc
                                   for i in range(side) for j in range(side)])
        if view_rotation == "reference":  # the reference's color_view turns left/right views the other way
            win = win[[0, 3, 2, 1]]
        win_table = torch.full((4, P + 1, side * side), OUT, dtype=torch.long)
        win_table[:, :n_cells] = compact[src.view(1, -1, 1) + win.view(4, 1, -1)]
        self._win_table = win_table.view(4 * (P + 1), -1).to(dev)
        self._centre = v * side + v
        self._n_jumps = max(1, math.ceil(math.log2(n_agents))) if n_agents > 1 else 0

        # ---- state
        self.obs_channels = ("self", "others", "wall", "apple", "fire_beam") + self.extra_channels
        self.global_channels = (("wall", "apple", "fire_beam") + self.extra_channels
                                + tuple(f"agent_{i}" for i in range(n_agents))
                                + tuple(f"facing_{o}" for o in ORIENTATION_NAMES))
        self.n_planes = len(self.obs_channels)
        self.planes = torch.zeros(batch, self.n_planes, P + 1, dtype=dtype, device=dev)
        self.planes[:, _WALL] = self._wall.to(dtype)
        self._sentinels = torch.tensor([n_agents, n_agents + 1], device=dev).expand(batch, 2)
        self._ids = torch.arange(1, n_agents + 1, device=dev).expand(batch, n_agents)
        #: (B, P + 1) long: 1 + index of the agent on each cell, 0 where none
        self._occupant = torch.zeros(batch, P + 1, dtype=torch.long, device=dev)
        self._pos = torch.zeros(batch, n_agents, dtype=torch.long, device=dev)
        self._orient = torch.zeros(batch, n_agents, dtype=torch.long, device=dev)
        self.t = 0
        self._done = True
        self._setup()

    # ------------------------------------------------------------------ game hooks
    def _setup(self) -> None:
        """Game-specific tables (called at the end of ``__init__``)."""

    def _reset_map(self) -> None:
        raise NotImplementedError

    def _spawn(self) -> dict:
        raise NotImplementedError

    def _custom_beams(self, actions: torch.Tensor, beams: torch.Tensor) -> dict:
        """Game-specific beams; ``beams`` (B, N, 3L) are every agent's beam cells."""
        return {}

    # ------------------------------------------------------------------ helpers
    def _cells_of(self, chars: str) -> torch.Tensor:
        """Cells (``row * W + column``) marked with any of ``chars`` on the map, row-major."""
        rows = self.ascii_map
        cells = [r * self.W + c for r in range(self.H) for c in range(self.W) if rows[r][c] in chars]
        return torch.tensor(cells, dtype=torch.long, device=self.device)

    def _rand(self, *shape, dtype=None) -> torch.Tensor:
        return torch.rand(*shape, generator=self.generator, device=self.device, dtype=dtype or self.dtype)

    def _cells_to_map(self, plane: torch.Tensor) -> torch.Tensor:
        """(B, P + 1) plane -> (B, H, W) map (a view)."""
        return plane[:, :self.n_cells].view(self.batch, self.H, self.W)

    def _map_to_cells(self, plane: torch.Tensor, values) -> None:
        values = torch.as_tensor(values, device=self.device)
        plane[:, :self.n_cells] = values.expand(self.batch, self.H, self.W).reshape(self.batch, -1)

    def _beam_reached(self, stop: torch.Tensor) -> torch.Tensor:
        """Which cells of beam lines (..., 3L) a beam reaches, given the cells that stop it
        after covering them (an absorbing agent, or waste for the cleaning beam).  Walls are
        already cut out of the beam tables (those cells are the scratch cell, never
        stopping and never read)."""
        shape = stop.shape
        stop = stop.view(*shape[:-1], 3, self.beam_length)
        return (stop.cumsum(-1) == stop).view(shape)  # no stop strictly before the cell

    def _resolve_moves(self, pos: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """New positions (B, N) from current cells and proposed cells (see the module doc)."""
        b, n = pos.shape
        if n == 1:
            return target
        moving = target != pos
        # several movers, one cell: a random one (highest priority) keeps its move
        prio = self._rand(b, n, dtype=torch.float64)  # ties: probability ~ 2**-53
        if b <= _FAST_PATH_BATCH and self.device.type == "cpu":
            # few games: usually nobody moves into a held or shared cell, and then every move
            # succeeds (the same result as below, found with fewer operations)
            held = (self._occupant.gather(1, target) > 0) & moving
            if not bool(held.any()) and int((target.unsqueeze(2) == target.unsqueeze(1)).sum()) == b * n:
                return target
        same = (target.unsqueeze(2) == target.unsqueeze(1)) & moving.unsqueeze(1)  # (b, i, j)
        lost = (same & (prio.unsqueeze(1) > prio.unsqueeze(2))).any(2)
        moving = moving & ~lost
        target = torch.where(moving, target, pos)
        # the agent now on my target cell; pointer jumping to the end of each chain
        j = self._occupant.gather(1, target) - 1  # -1: free cell
        free = j < 0
        j = j.clamp_(min=0)
        swap = target.gather(1, j) == pos  # j wants my cell: neither moves
        ptr = torch.where(free, n, j)
        ptr = torch.where(moving & (free | ~swap), ptr, n + 1)  # n: reaches a free cell; n + 1: blocked
        ext = torch.cat([ptr, self._sentinels[:b]], 1)
        for _ in range(self._n_jumps):
            ext = ext.gather(1, ext)
        return torch.where(ext[:, :n] != n + 1, target, pos)

    def _fire(self, cells: torch.Tensor, firing: torch.Tensor) -> torch.Tensor:
        """Penalty beams of every firing agent at once (``cells`` (B, N, 3L) their beam
        cells); returns the number of lines (B, N) each agent absorbed and paints the
        ``fire_beam`` plane."""
        b, n = firing.shape
        plane = self.planes[:, _FIRE]
        plane.zero_()
        if self.device.type == "cpu" and not bool(firing.any()):  # (no host sync elsewhere)
            return torch.zeros(b, n, dtype=torch.long, device=self.device)
        who = self._occupant.gather(1, cells.view(b, -1))  # (B, N * 3L) 1 + agent, 0 none
        alive = self._beam_reached(who.view(cells.shape) > 0) & firing.unsqueeze(2)
        plane.scatter_(1, torch.where(alive, cells, self.P).view(b, -1), 1)
        hits = torch.zeros(b, n + 1, dtype=torch.long, device=self.device)
        hits.scatter_add_(1, who, alive.view(b, -1).long())
        return hits[:, 1:]

    # ------------------------------------------------------------------ state access
    @property
    def agent_rc(self) -> torch.Tensor:
        """(B, N, 2) long (row, column) of every agent."""
        return torch.stack([self._pos // self.W, self._pos % self.W], -1)

    @agent_rc.setter
    def agent_rc(self, rc) -> None:
        rc = torch.as_tensor(rc, device=self.device).long().expand(self.batch, self.n_agents, 2)
        if ((rc[..., 0] < 0) | (rc[..., 0] >= self.H) | (rc[..., 1] < 0) | (rc[..., 1] >= self.W)).any():
            raise ValueError("agent cells must lie inside the map")
        pos = rc[..., 0] * self.W + rc[..., 1]
        if self._wall[pos].any():
            raise ValueError("agents cannot stand on walls")
        if self.n_agents > 1 and (pos.sort(1).values.diff(dim=1) == 0).any():
            raise ValueError("two agents cannot share a cell")
        self._set_pos(pos.clone())

    def _set_pos(self, pos: torch.Tensor) -> None:
        plane = self.planes[:, _AGENTS]
        plane.scatter_(1, self._pos, 0)
        plane.scatter_(1, pos, 1)
        self._occupant.scatter_(1, self._pos, 0)
        self._occupant.scatter_(1, pos, self._ids)
        self._pos = pos

    @property
    def orientation(self) -> torch.Tensor:
        """(B, N) long orientation (0 up, 1 right, 2 down, 3 left)."""
        return self._orient

    @orientation.setter
    def orientation(self, o) -> None:
        o = torch.as_tensor(o, device=self.device).long().expand(self.batch, self.n_agents)
        if ((o < 0) | (o > 3)).any():
            raise ValueError("orientations are 0..3")
        self._orient = o.clone()

    @property
    def apple_map(self) -> torch.Tensor:
        """(B, H, W) bool, where apples are now."""
        return self._cells_to_map(self.planes[:, _APPLE]) > 0

    @apple_map.setter
    def apple_map(self, apples) -> None:
        apples = torch.as_tensor(apples, device=self.device).bool().expand(self.batch, self.H, self.W)
        if (apples & ~self.apple_cells).any():
            raise ValueError("apples can only lie on apple cells")
        self._map_to_cells(self.planes[:, _APPLE], apples)

    @property
    def apple_cells(self) -> torch.Tensor:
        """(H, W) bool, the cells where apples can grow."""
        return self._static_map(self._apple_cells)

    @property
    def wall_map(self) -> torch.Tensor:
        """(H, W) bool, the walls."""
        return self._wall[:self.n_cells].view(self.H, self.W).clone()

    @property
    def spawn_cells(self) -> torch.Tensor:
        """(H, W) bool, the agents' spawn points."""
        return self._static_map(self._spawn_cells)

    def _static_map(self, cells: torch.Tensor) -> torch.Tensor:
        m = torch.zeros(self.n_cells, dtype=torch.bool, device=self.device)
        m[cells] = True
        return m.view(self.H, self.W)

    # ------------------------------------------------------------------ observations
    def _cell_code(self) -> torch.Tensor:
        """(B * N,) row of every agent in the (orientation, cell) tables."""
        return torch.add(self._pos, self._orient, alpha=self.P + 1).view(-1)

    def observe(self, code: torch.Tensor | None = None) -> torch.Tensor:
        """(B, N, C, 2v+1, 2v+1) every agent's egocentric view."""
        b, n, c = self.batch, self.n_agents, self.n_planes
        side = 2 * self.view_radius + 1
        k = side * side
        code = self._cell_code() if code is None else code
        idx = self._win_table.index_select(0, code).view(b, n, 1, k)  # (B, N, 1, K) cells in view
        obs = torch.gather(self.planes.unsqueeze(1).expand(b, n, c, self.P + 1), 3, idx.expand(b, n, c, k))
        obs[:, :, _SELF, self._centre] = 1  # (the self plane is zero)
        obs[:, :, _AGENTS, self._centre] = 0  # others: not oneself
        return obs.view(b, n, c, side, side)

    def global_state(self) -> torch.Tensor:
        """(B, C_g, H, W) map channels (``global_channels``) for a centralised critic."""
        b, n, hw = self.batch, self.n_agents, self.n_cells
        maps = self.planes[:, _WALL:, :hw]  # (B, C - 2, HW)
        who = torch.zeros(b, n, hw, dtype=self.dtype, device=self.device)
        who.scatter_(2, self._pos.unsqueeze(2), 1)
        facing = torch.nn.functional.one_hot(self._orient, 4).to(self.dtype)  # (B, N, 4)
        face = torch.einsum("bno,bnk->bok", facing, who)
        return torch.cat([maps, who, face], 1).view(b, -1, self.H, self.W)

    # ------------------------------------------------------------------ API
    def reset(self) -> torch.Tensor:
        b, n = self.batch, self.n_agents
        order = self._rand(b, len(self._spawn_cells), dtype=torch.float32).argsort(1)[:, :n]
        self.planes[:, _AGENTS].zero_()
        self.planes[:, _FIRE].zero_()
        self._occupant.zero_()
        self._pos = torch.zeros(b, n, dtype=torch.long, device=self.device)
        self._set_pos(self._spawn_cells[order])
        self._orient = torch.randint(4, (b, n), generator=self.generator, device=self.device)
        self._reset_map()
        self._spawn()
        self.t, self._done = 0, False
        return self.observe()

    def step(self, actions):
        """(B, N) long actions -> (obs (B, N, C, 2v+1, 2v+1), rewards (B, N), done, info)."""
        if self._done:
            raise RuntimeError("episode finished: call reset() first")
        b, n = self.batch, self.n_agents
        actions = as_actions(actions, b, n, self.n_actions, self.device)
        pos = self._pos
        key = torch.add(actions, self._orient, alpha=self.n_actions).add_(pos, alpha=4 * self.n_actions)
        orient = torch.take(self._turn_table, key)
        new = self._resolve_moves(pos, torch.take(self._target_table, key))
        self._set_pos(new)
        self._orient = orient
        # eat
        apples = self.planes[:, _APPLE]
        eaten = apples.gather(1, new)
        apples.scatter_(1, new, 0)
        # beams
        fired = actions == FIRE
        code = self._cell_code()
        beams = self._beam_table.index_select(0, code).view(b, n, -1)
        hits = self._fire(beams, fired)
        rewards = torch.add(eaten, fired.to(self.dtype), alpha=-FIRE_COST).add_(hits, alpha=-HIT_PENALTY)
        if APPLE_REWARD != 1:
            rewards += (APPLE_REWARD - 1) * eaten
        info = {"apples": eaten.long(), "fired": fired, "hit": hits > 0}
        info.update(self._custom_beams(actions, beams))
        info.update(self._spawn())
        self.t += 1
        self._done = self.t >= self.T
        return self.observe(code), rewards, self._done, info
