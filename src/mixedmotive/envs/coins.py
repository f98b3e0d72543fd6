"""Batched Coins game (Reciprocators; the authors' rules).

A ``g x g`` toroidal grid (default 3 x 3) with ``N`` agents (default 2) and one coin
per agent; coin ``c`` belongs to agent ``c``.  All ``batch`` games step together as
tensor operations; nothing loops over games or agents.

Rules
-----
* actions (5): 0 right (0, +1), 1 left (0, -1), 2 down (+1, 0), 3 up (-1, 0), 4 stay;
  positions wrap modulo ``g``;
* reset: agent and coin cells drawn uniformly and independently (overlaps allowed);
* step: all agents move simultaneously, then every coin is checked:

  - every agent standing on *any* coin gets +1 per coin it stands on;
  - for each *other* agent standing on coin ``c``, ``c``'s owner gets ``-N/(N-1)``
    (-2 for N = 2);
  - a simultaneous pickup credits every agent standing on the coin (each gets +1,
    the owner's penalty counts only the others);
  - every collected coin respawns uniformly at random *after* the rewards, possibly
    on an agent or on another coin (the authors' rule; decisions.md C2);

* ``done`` after ``T`` steps (all games are synchronised); stepping a finished game raises.

Observations: ``(B, N, 2N, g, g)`` float, binary channels.  The global stack is
``[agent_0 .. agent_{N-1}, coin_0 .. coin_{N-1}]``.  ``obs_order="egocentric"``
(default) gives agent ``i`` its own agent channel first, then the other agents in
cyclic order, then its own coin, then the other coins (cyclic).  ``"roll"`` is the
authors' view: the global stack rolled by ``-2i`` along the channel axis (for N = 2
agent 1 sees ``[coin_0, coin_1, agent_0, agent_1]``).  For N = 2 egocentric agent 1
sees ``[agent_1, agent_0, coin_1, coin_0]``.

``info`` of each step: ``collected`` (B, N collector, N owner) bool, whether agent k
stood on coin c this step; ``state`` (B, 2N) the cell indices of the observation
just returned (agents then coins, global order; the influence models' state).

The only randomness is reset and respawn, drawn from ``generator``: ``reset`` draws one
``(B, 2N)`` block of cells, every ``step`` one ``(B, N)`` block (used only where a coin was
collected), so a trajectory is a deterministic function of the generator's seed and the actions.

Implementation (speed; the rules above are unchanged): positions live in one ``(B, 2N)``
long tensor that every step replaces (never written in place, so an ``info["state"]`` stays
valid; ``agents``/``coins`` are views of it and assigning them copies).  Moves are one
``index_select`` from the flattened move table (coins "stay").  When the whole position
space is small (``(g*g)**(2N) <= 65536`` positions and an observation table of at most
2**21 numbers: the default N = 2, 3 x 3 game has 6561), the per-position outcome (who
collected which coin, the rewards, which coins respawn) and the observation of every
position are tabulated once at construction and each step only looks them up by the
position code ``sum_k cell_k (g*g)**k``; otherwise they are computed directly.  Both
ways evaluate the same expressions, so they agree bit for bit.  The action range check
is one ``aminmax`` on CPU and an asynchronous device assertion elsewhere (no host sync).
"""

from __future__ import annotations

import torch

from .actions import as_actions

#: (row, column) displacement of each action
MOVES = ((0, 1), (0, -1), (1, 0), (-1, 0), (0, 0))
ACTION_NAMES = ("right", "left", "down", "up", "stay")
OBS_ORDERS = ("egocentric", "roll")


def owner_penalty(n_agents: int) -> float:
    """What a coin's owner loses for each other agent taking it: N/(N-1) (2 for N = 2)."""
    return n_agents / (n_agents - 1)


def channel_order(n_agents: int, obs_order: str = "egocentric") -> list[list[int]]:
    """For each agent, the global channel index of each of its observation channels."""
    n = n_agents
    if obs_order == "egocentric":
        return [[(i + k) % n for k in range(n)] + [n + (i + k) % n for k in range(n)] for i in range(n)]
    if obs_order == "roll":
        return [[(c + 2 * i) % (2 * n) for c in range(2 * n)] for i in range(n)]
    raise ValueError(f"obs_order must be one of {OBS_ORDERS}, got {obs_order!r}")


#: tabulate outcomes and observations when there are at most this many positions ...
_TABLE_POSITIONS = 1 << 16
#: ... and the observation table has at most this many numbers
_TABLE_OBS_NUMBERS = 1 << 21
_STAY = ACTION_NAMES.index("stay")


class CoinGame:
    def __init__(self, batch: int, n_agents: int = 2, grid: int = 3, T: int = 32,
                 obs_order: str = "egocentric", device: str | torch.device = "cpu",
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32):
        if batch < 1 or T < 1 or grid < 2 or n_agents < 2:
            raise ValueError("need batch >= 1, T >= 1, grid >= 2 and n_agents >= 2")
        self.batch, self.n_agents, self.grid, self.T = batch, n_agents, grid, T
        self.device, self.generator, self.dtype = torch.device(device), generator, dtype
        self.obs_order = obs_order
        self.n_cells = grid * grid
        n, dev = n_agents, self.device
        cells = torch.arange(self.n_cells, device=dev)
        row, col = cells // grid, cells % grid
        moves = torch.tensor(MOVES, device=dev)
        #: next cell of (cell, action)
        self.move_table = ((row[:, None] + moves[:, 0]) % grid) * grid + (col[:, None] + moves[:, 1]) % grid
        self._move_flat = self.move_table.reshape(-1).contiguous()  # index cell * 5 + action
        self._order = torch.tensor(channel_order(n, obs_order), device=dev).reshape(-1)  # (N * 2N,)
        self._other = ~torch.eye(n, dtype=torch.bool, device=dev)  # (collector, owner)
        self._penalty = owner_penalty(n)
        self._index_cache: dict[int, tuple[torch.Tensor, ...]] = {}
        # step buffers: the actions of agents and coins (coins always stay), respawn draws
        self._actions = torch.full((batch, 2 * n), _STAY, dtype=torch.long, device=dev)
        self._draws = torch.zeros(batch, 2 * n, dtype=torch.long, device=dev)
        n_pos = self.n_cells ** (2 * n)
        self._tabulated = n_pos <= _TABLE_POSITIONS and n_pos * 2 * n * n * self.n_cells <= _TABLE_OBS_NUMBERS
        if self._tabulated:
            self._code_weights = self.n_cells ** torch.arange(2 * n, device=dev)
            every = torch.arange(n_pos, device=dev)[:, None] // self._code_weights % self.n_cells  # (P, 2N)
            collected, self._t_rewards, self._t_respawn = self._outcome(every)
            self._t_collected = collected.reshape(n_pos, n * n)
            self._t_obs = self._observe(every).reshape(n_pos, -1)
        self.t = 0
        self._state = torch.zeros(batch, 2 * n, dtype=torch.long, device=dev)
        self._done = True

    # ------------------------------------------------------------------ positions
    @property
    def state(self) -> torch.Tensor:
        """(B, 2N) cells of agents then coins (global order)."""
        return self._state

    @property
    def agents(self) -> torch.Tensor:
        """(B, N) agent cells (a view of ``state``)."""
        return self._state[:, :self.n_agents]

    @agents.setter
    def agents(self, cells) -> None:
        state = self._state.clone()
        state[:, :self.n_agents] = torch.as_tensor(cells, device=self.device)
        self._state = state

    @property
    def coins(self) -> torch.Tensor:
        """(B, N) coin cells, coin c belongs to agent c (a view of ``state``)."""
        return self._state[:, self.n_agents:]

    @coins.setter
    def coins(self, cells) -> None:
        state = self._state.clone()
        state[:, self.n_agents:] = torch.as_tensor(cells, device=self.device)
        self._state = state

    # ------------------------------------------------------------------ helpers
    def _indices(self, b: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Flat index tensors for ``b`` games of positions (B, 2N): observation sources and
        offsets, and the (collector, owner) pairs compared for pickups."""
        if b not in self._index_cache:
            n, c, dev = self.n_agents, self.n_cells, self.device
            g = torch.arange(b, device=dev)[:, None] * (2 * n)
            obs_src = (g + self._order).reshape(-1)  # (b * N * 2N,)
            obs_off = (torch.arange(b * 2 * n * n, device=dev) * c)
            k = torch.arange(n, device=dev)
            collector = (g + k.repeat_interleave(n)).reshape(-1)
            owner = (g + n + k.repeat(n)).reshape(-1)
            self._index_cache[b] = obs_src, obs_off, torch.cat([collector, owner])
        return self._index_cache[b]

    def _observe(self, state: torch.Tensor) -> torch.Tensor:
        """Observations (b, N, 2N, g, g) of positions (b, 2N), computed directly."""
        b, n, g = state.shape[0], self.n_agents, self.grid
        obs_src, obs_off, _ = self._indices(b)
        idx = torch.index_select(state.reshape(-1), 0, obs_src).add_(obs_off)
        obs = torch.zeros(b * 2 * n * n * self.n_cells, dtype=self.dtype, device=self.device)
        obs.index_fill_(0, idx, 1)
        return obs.view(b, n, 2 * n, g, g)

    def _outcome(self, moved: torch.Tensor):
        """Of positions (b, 2N) after the move: collected (b, collector, owner), rewards (b, N)
        and the respawn mask (b, 2N) (True on collected coins), computed directly."""
        b, n = moved.shape[0], self.n_agents
        pair = torch.index_select(moved.reshape(-1), 0, self._indices(b)[2]).view(2, b, n, n)
        collected = pair[0] == pair[1]
        hits = collected.to(self.dtype)
        rewards = hits.sum(2) - self._penalty * (hits * self._other).sum(1)
        respawn = torch.cat([torch.zeros_like(collected[:, 0]), collected.any(1)], 1)
        return collected, rewards, respawn

    def _code(self, state: torch.Tensor) -> torch.Tensor:
        """Position code sum_k cell_k (g*g)**k of positions (b, 2N) (tabulated games only)."""
        if state.device.type == "cpu":
            return torch.mv(state, self._code_weights)
        return (state * self._code_weights).sum(1)  # no integer matrix-vector product on GPUs

    def global_onehot(self) -> torch.Tensor:
        """(B, 2N, g*g) binary global stack [agents, coins]."""
        b, c = self.batch, self.n_cells
        flat = torch.zeros(b * 2 * self.n_agents * c, dtype=self.dtype, device=self.device)
        flat[self._state.reshape(-1) + torch.arange(self._state.numel(), device=self.device) * c] = 1.0
        return flat.view(b, 2 * self.n_agents, c)

    def observe(self) -> torch.Tensor:
        """(B, N, 2N, g, g) each agent's view."""
        if not self._tabulated:
            return self._observe(self._state)
        n, g = self.n_agents, self.grid
        return torch.index_select(self._t_obs, 0, self._code(self._state)).view(self.batch, n, 2 * n, g, g)

    # ------------------------------------------------------------------ API
    def reset(self) -> torch.Tensor:
        self._state = torch.randint(self.n_cells, (self.batch, 2 * self.n_agents), device=self.device,
                                    generator=self.generator)
        self.t, self._done = 0, False
        return self.observe()

    def step(self, actions: torch.Tensor):
        """(B, N) long actions -> (obs (B, N, 2N, g, g), rewards (B, N), done, info)."""
        if self._done:
            raise RuntimeError("episode finished: call reset() first")
        b, n = self.batch, self.n_agents
        actions = as_actions(actions, b, n, len(MOVES), self.device)
        self._actions[:, :n] = actions
        index = torch.add(self._actions, self._state, alpha=len(MOVES)).view(-1)
        moved = torch.index_select(self._move_flat, 0, index).view(b, 2 * n)
        if self._tabulated:
            code = self._code(moved)
            collected = torch.index_select(self._t_collected, 0, code).view(b, n, n)
            rewards = torch.index_select(self._t_rewards, 0, code)
            respawn = torch.index_select(self._t_respawn, 0, code)
        else:
            collected, rewards, respawn = self._outcome(moved)
        torch.randint(self.n_cells, (b, n), device=self.device, generator=self.generator, out=self._draws[:, n:])
        self._state = torch.where(respawn, self._draws, moved)
        self.t += 1
        self._done = self.t >= self.T
        return self.observe(), rewards, self._done, {"collected": collected, "state": self._state}


def reward_table(n_agents: int = 2) -> dict[str, tuple[float, ...]]:
    """Each agent's reward in the canonical one-step events, computed by stepping the env.

    Keys: ``"own coin"`` (agent 0 takes its coin alone), ``"other's coin"`` (agent 0 takes
    agent 1's coin alone), ``"same coin"`` (both agents step onto agent 0's coin).
    """
    env = CoinGame(1, n_agents=n_agents, grid=3, T=1)
    out = {}
    # agent k starts on cell k*? ; all agents "stay"; coins placed on/away from them
    scenarios = {
        "own coin": ([0] + [4] * (n_agents - 1), [0] + [8] * (n_agents - 1)),
        "other's coin": ([1] + [4] * (n_agents - 1), [8, 1] + [8] * (n_agents - 2)),
        "same coin": ([2, 2] + [4] * (n_agents - 2), [2] + [8] * (n_agents - 1)),
    }
    stay = torch.full((1, n_agents), ACTION_NAMES.index("stay"))
    for name, (agents, coins) in scenarios.items():
        env.reset()
        env.agents = torch.tensor([agents])
        env.coins = torch.tensor([coins])
        _, rewards, _, _ = env.step(stay)
        out[name] = tuple(float(r) for r in rewards[0])
    return out
