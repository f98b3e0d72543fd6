"""Batched torch simulator of SMAC's MMM2 with per-agent ("Selfish") rewards (AgA Selfish-MMM2).

No StarCraft II binary: a re-implementation of the MMM2 battle (docs/decisions.md,
the MMM2 rows) with SMAC's interface.  ``batch`` games step together as
tensor operations; ``step`` has no Python loop over games or units.  Unit statistics and
their sources are in :mod:`mixedmotive.envs.mmm2_units` (SMAClite unit JSON files, SMAC's
``starcraft2.py``); the rules below say where each comes from.

Units
-----
22 units, index ``u``: allies (the 10 learning agents) ``0-1`` Marauders, ``2-8`` Marines,
``9`` Medivac (SMAC's ally order: unit type, then x, then y); enemies ``10-12`` Marauders,
``13-20`` Marines, ``21`` Medivac (enemy id ``e = u - 10``).  Start positions: SMAClite's
``mmm2.json`` layout (:func:`scenario`), optionally jittered by ``jitter`` x N(0, 1) drawn
from ``generator`` (default 0: every episode starts identically, as in SMAC).  Positions are
continuous; unit radii are ignored (ranges and distances are centre to centre, units may
overlap; no collision avoidance).  Positions are clamped to the pathable band
x in [0, 32], y in [8, 24] (SMAClite's SIMPLE terrain).

Time
----
One ``step`` = SMAC's ``step_mul`` 8 game frames, 22.4 frames per LotV "faster" second
(the unit of the cooldowns and speeds).  Each step is resolved in one aggregated update
with frame-exact timing inside the step:

* movement: a unit moves up to ``8 x speed`` (Marine/Marauder 1.125, Medivac 1.25) in a
  straight line toward its destination (positions of other units are those at the start of
  the step); ``t_arrive`` = frames it needs to get within its standoff distance;
* weapons: ``cd`` = frames until the weapon is ready (0 = ready).  A unit with an attack
  target fires at frame ``f = max(cd, t_arrive)`` if ``f < 8``; then ``cd = cooldown - (8 - f)``
  (Marine 13.664, Marauder 23.968 frames: never two shots in one step), otherwise
  ``cd = max(cd - 8, 0)``.  So the long-run rate of fire is exact;
* resolution is simultaneous: every unit alive at the start of the step acts, deaths take
  effect at the end of the step; shots on one target are applied in order of fire frame
  (ties: lower unit index first), which decides overkill (wasted damage) and the killing
  blow; heals are applied after all damage, to targets still alive.

Combat
------
* damage of a hit = ``max(damage + bonus_vs_armoured - target_armour, 0.5)`` (SC2's minimum
  0.5): Marine 6 vs light Marine, 5 vs armoured Marauder/Medivac; Marauder 10 vs Marine, 19 vs
  Marauder (10 + 10 - 1); a target's HP never goes below 0; 0 HP = dead (removed from play);
* Marauders hit ground only (cannot target the air Medivac); Marines hit ground and air;
  Medivacs never attack;
* Medivac heal: ``9 HP`` per normal game second (9/16 per frame, 4.5 per full step) for the
  frames it is within heal range 4 of its target, costing 1 energy per 3 HP (SMAClite), never
  above the target's max HP, limited by energy (max 200, start 50, regenerating 0.5625 per
  normal second = 0.28125 per step, capped at 200); it heals only living non-Medivac
  teammates (SMAC: "Medivacs cannot heal themselves or other flying units").

Actions (SMAC; per agent, ``n_actions = 6 + 12 = 18``)
------------------------------------------------------
``0`` no-op (only, and always, for dead agents); ``1`` stop (hold position, no attack,
as SMAClite's ``StopCommand``); ``2-5`` move north (+y), south, east (+x), west: toward the point
``move_amount = 2`` away (moves 1.125 / 1.25 per step); ``6 + k``: attack enemy ``k``, or for the
Medivac (agent 9) heal ally ``k`` (``k <= 9``; actions 16, 17 never available to it).  An
attack/heal order approaches the target (its start-of-step position) to the unit's own range
(Marine 5, Marauder 6, heal 4) and then fires / heals, like SC2's attack order.

Availability ``avail_actions()`` (B, N, 18) bool: dead -> only no-op; alive -> stop; move
``d`` if the point 1 (= move_amount / 2) away in that direction is inside the pathable area
(SMAC ``can_move``); attack ``k`` if enemy ``k`` is alive, within SMAC's shoot range 6 and
hittable (Marauders: not the Medivac -- SMAC leaves that action available and SC2 ignores
it; masked here); heal ``k`` if ally ``k`` is alive, not a Medivac, *injured* (HP < max;
SMAC does not check this) and within 6.  ``step`` raises ``ValueError`` on an unavailable
action of a running game (``check_actions=False`` skips the check; then invalid orders do
nothing).

Scripted enemies (SC2 built-in AI attack-moving toward the allies' start, simplified)
------------------------------------------------------------------------------------
Each living enemy Marine/Marauder targets the nearest living ally it can hit within its
acquisition range (= its sight range: Marine 9, Marauder 10); it approaches to weapon range and
fires as above.  With no such ally it moves toward the attack point (9, 16) (SMAClite
``attack_point``), and waits there.  The enemy Medivac targets its most damaged (largest
missing HP) injured living non-Medivac teammate anywhere, approaches it to heal range 4 and
heals; with none injured it follows (approaches to 4) its nearest living ground teammate.

Episode end (SMAC ``update_units`` / ``only_medivac_left``)
----------------------------------------------------------
Loss: no living ally Marine/Marauder (all allies dead, or only the Medivac left).
Win: all 12 enemies dead and not a loss (loss wins ties, as in SMAC; SMAC's enemy-side
``only_medivac_left`` never fires, so the enemy Medivac must be killed too).  Timeout:
``episode_limit`` (180) steps.  Games end independently: ``done`` (B,) bool per game;
a finished game is frozen (state, observations unchanged; rewards 0) until ``reset()``
(all games) or ``reset_done()`` (only finished ones).

Rewards (SMAC defaults: reward_only_positive, death value 10, win 200, scale rate 20)
--------------------------------------------------------------------------------------
``max_reward`` = 12 x 10 + 200 + total enemy max HP (3 x 125 + 8 x 45 + 150 = 885) = 1205
(SMAC ``__init__`` + ``init_units``); every reward is divided by ``1205 / 20``, so a perfect
episode returns 20.

* selfish (``step``'s ``rewards``, (B, N)): agent ``i`` gets the HP its own shots removed from
  enemies (overkill excluded) + 10 per killing blow it landed + ``200 / 10`` if the game is
  won this step (the win bonus split equally among all 10 agents, dead or alive); the
  Medivac's heals earn nothing (the dilemma);
* ``info["team_reward"]`` (B,) = the sum of the selfish rewards: damage dealt to enemies
  + 10 per enemy killed + 200 on a win (scaled).  This is SMAC's reward except that SMAC
  measures the net change of enemy HP, so the enemy Medivac's heals are subtracted there
  (and ``reward_only_positive`` takes the absolute value of a step's net);
  ``info["smac_reward"]`` gives that exact SMAC formula for comparison.

``info`` also has ``won``, ``lost``, ``timeout`` (B,) bool, ``damage_dealt`` (B, N) HP
removed by each agent, ``healed`` (B, N) HP restored by each agent (only the Medivac),
``killed`` (B, N) killing blows (float 0/1).

Observations ``obs`` (B, N, 176) (SMAC, ``obs_all_health``, no shields, 3 type bits,
no last action, sight range 9; all features zero for a dead agent):

* ``[0:4]`` move feasibility north, south, east, west (= avail actions 2-5);
* ``[4:100]`` 12 enemies x 8: available-to-attack (= avail action ``6 + e``; for the Medivac
  that is its heal flag of ally ``e``, SMAC's quirk), distance / 9, dx / 9, dy / 9,
  health / max, type one-hot (3) -- zero unless the enemy is alive and at distance < 9;
* ``[100:172]`` 9 other allies (ascending id, self skipped) x 8: visible (1), distance / 9,
  dx / 9, dy / 9, health / max, type one-hot (3) -- zero unless alive and at distance < 9;
* ``[172:176]`` own health / max, own type one-hot (3).

State ``state()`` (B, 322) (SMAC ``get_state`` with ``state_last_action``; zero rows for dead units):

* ``[0:70]`` 10 allies x 7: health / max, weapon cooldown / SMAC max cooldown (Marine 15,
  Marauder 25 frames; the Medivac: energy / 200), (x - 16) / 32, (y - 16) / 32, type one-hot (3);
* ``[70:142]`` 12 enemies x 6: health / max, (x - 16) / 32, (y - 16) / 32, type one-hot (3);
* ``[142:322]`` the agents' last actions, one-hot 10 x 18 (zero after reset).

Randomness: only the start-position jitter, drawn from ``generator`` (one (B, 22, 2) normal
draw per ``reset``/``reset_done``), so a trajectory is a deterministic function of the seed,
the jitter and the actions.
"""

from __future__ import annotations

import torch

from mixedmotive.envs import mmm2_units as U
from mixedmotive.envs.actions import as_actions, check_available
from mixedmotive.envs.mmm2_units import scenario

__all__ = ["MMM2Env", "scenario", "N_ACTIONS", "OBS_DIM", "STATE_DIM"]

N_AGENTS, N_ENEMIES = 10, 12
N_UNITS = N_AGENTS + N_ENEMIES
N_ACTIONS = 6 + N_ENEMIES
STEP_FRAMES = 8
MOVE_AMOUNT = 2.0
SHOOT_RANGE = 6.0  # SMAC unit_shoot_range (action masks)
OBS_SIGHT = 9.0  # SMAC unit_sight_range (observations)
N_TYPES = 3
NF = 5 + N_TYPES  # per-unit observation features
OBS_DIM = 4 + N_ENEMIES * NF + (N_AGENTS - 1) * NF + 1 + N_TYPES
STATE_DIM = N_AGENTS * (4 + N_TYPES) + N_ENEMIES * (3 + N_TYPES) + N_AGENTS * N_ACTIONS
REWARD_DEATH, REWARD_WIN, REWARD_SCALE_RATE = 10.0, 200.0, 20.0
#: move directions of actions 2-5: north, south, east, west
DIRS = ((0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0))


class MMM2Env:
    def __init__(self, batch: int, episode_limit: int = 180, jitter: float = 0.0,
                 device: str | torch.device = "cpu", generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32, check_actions: bool = True):
        if batch < 1 or episode_limit < 1:
            raise ValueError("need batch >= 1 and episode_limit >= 1")
        self.batch, self.episode_limit, self.jitter = batch, episode_limit, float(jitter)
        self.device, self.generator, self.dtype = torch.device(device), generator, dtype
        self.check_actions = check_actions
        self.n_agents, self.n_enemies, self.n_units = N_AGENTS, N_ENEMIES, N_UNITS
        self.n_actions, self.obs_dim, self.state_dim = N_ACTIONS, OBS_DIM, STATE_DIM
        dev, f = self.device, dict(dtype=dtype, device=self.device)
        sc = scenario()
        self.scenario = sc
        types = sc["allies"]["types"] + sc["enemies"]["types"]
        st = {k: torch.tensor([float(U.STATS[t][k]) for t in types], **f) for k in U.STATS["marine"]}
        self.type_id = torch.tensor([U.UNIT_TYPES.index(t) for t in types], device=dev)
        self.hp_max, self.rng, self.sight = st["hp"], st["range"], st["sight"]
        self.speed = st["speed"] / U.FRAMES_PER_SECOND  # per frame
        self.cd_max = st["cooldown"] * U.FRAMES_PER_SECOND  # frames
        self.energy_max, self.start_energy = st["energy"], st["start_energy"]
        self.healer = st["healer"].bool()
        self.smac_max_cd = st["smac_max_cooldown"]
        ally = torch.arange(N_UNITS, device=dev) < N_AGENTS
        self.team = ally
        opp = ally[:, None] != ally[None, :]
        hits_plane = torch.where(st["air"].bool()[None, :], st["hits_air"].bool()[:, None],
                                 ~self.healer[:, None].expand(N_UNITS, N_UNITS))
        #: (attacker, target): can attack / heal
        self.can_attack = opp & hits_plane & ~self.healer[:, None]
        self.can_heal = (~opp & self.healer[:, None] & ~st["air"].bool()[None, :]
                         & ~torch.eye(N_UNITS, dtype=torch.bool, device=dev))
        dmg = st["damage"][:, None] + st["bonus_armoured"][:, None] * st["armoured"][None, :] - st["armour"][None, :]
        self.dmg_table = torch.where(self.can_attack, dmg.clamp(min=U.MIN_DAMAGE), torch.zeros_like(dmg))
        self._dmg_flat = self.dmg_table.reshape(-1).contiguous()
        self._valid_flat = (self.can_attack | self.can_heal).reshape(-1).contiguous()
        self.acquire = self.sight  # scripted enemies' acquisition range
        self.heal_per_frame = U.HEAL_PER_GAME_SECOND / U.FRAMES_PER_GAME_SECOND
        self.energy_regen = U.ENERGY_PER_GAME_SECOND / U.FRAMES_PER_GAME_SECOND * STEP_FRAMES
        self.ground = ~st["air"].bool()
        self.start_pos = torch.tensor(sc["allies"]["positions"] + sc["enemies"]["positions"], **f)
        x0, x1, y0, y1 = U.PLAYABLE
        self._lo = torch.tensor([x0, y0], **f)
        self._hi = torch.tensor([x1, y1], **f)
        self.attack_point = torch.tensor(U.ATTACK_POINT, **f)
        self._dirs = torch.tensor(DIRS, **f)
        self._onehot = torch.nn.functional.one_hot(self.type_id, N_TYPES).to(dtype)
        self._unit_idx = torch.arange(N_UNITS, device=dev)
        # observation columns: enemies, then the other allies in ascending order
        others = [[j for j in range(N_AGENTS) if j != i] for i in range(N_AGENTS)]
        self._obs_cols = torch.tensor([list(range(N_AGENTS, N_UNITS)) + o for o in others], device=dev)
        # heal actions of the Medivac refer to allies 0..9; attack actions to units 10..21
        self._target_base = torch.where(self.healer[:N_AGENTS], 0, N_AGENTS)
        self._healers = torch.nonzero(self.healer).flatten()
        self._enemy_healer = int(self._healers[-1])
        self._ally_ground = ally & self.ground
        self._enemy_ground = ~ally & self.ground
        self.max_reward = N_ENEMIES * REWARD_DEATH + REWARD_WIN + float(self.hp_max[N_AGENTS:].sum())
        self.reward_scale = self.max_reward / REWARD_SCALE_RATE
        b = batch
        self.pos = self.start_pos.expand(b, N_UNITS, 2).clone()
        self.hp = self.hp_max.expand(b, N_UNITS).clone()
        self.cd = torch.zeros(b, N_UNITS, **f)
        self.energy = self.start_energy.expand(b, N_UNITS).clone()
        self.t = torch.zeros(b, dtype=torch.long, device=dev)
        self.done = torch.ones(b, dtype=torch.bool, device=dev)
        self.won = torch.zeros(b, dtype=torch.bool, device=dev)
        self.last_action = torch.zeros(b, N_AGENTS, dtype=torch.long, device=dev)
        self._has_last = torch.zeros(b, dtype=torch.bool, device=dev)
        self._cache: dict = {}

    # ------------------------------------------------------------------ geometry
    def _geometry(self):
        """(diff (B, U, U, 2) = pos_j - pos_i, dist (B, U, U)) of the current state (cached)."""
        if "geom" not in self._cache:
            diff = self.pos[:, None, :, :] - self.pos[:, :, None, :]
            self._cache["geom"] = diff, torch.linalg.vector_norm(diff, dim=-1)
        return self._cache["geom"]

    def set_units(self, pos=None, hp=None, cd=None, energy=None) -> None:
        """Overwrite unit positions (B, U, 2), HP, weapon cooldowns (frames) or energy (B, U) (for tests
        and scripted set-ups); values broadcast over the batch."""
        for name, v in (("pos", pos), ("hp", hp), ("cd", cd), ("energy", energy)):
            if v is not None:
                old = getattr(self, name)
                setattr(self, name, torch.as_tensor(v, dtype=old.dtype, device=self.device).expand_as(old).clone())
        self._cache = {}

    @property
    def alive(self) -> torch.Tensor:
        return self.hp > 0

    def avail_actions(self) -> torch.Tensor:
        """(B, N, 18) bool availability masks (see the module doc)."""
        if "avail" in self._cache:
            return self._cache["avail"]
        _, dist = self._geometry()
        alive = self.alive
        n = N_AGENTS
        alive_a = alive[:, :n]
        probe = self.pos[:, :n, None, :] + self._dirs * (MOVE_AMOUNT / 2)  # (B, N, 4, 2)
        move_ok = ((probe >= self._lo) & (probe < self._hi)).all(-1) & alive_a[..., None]
        in_range = dist[:, :n] <= SHOOT_RANGE  # (B, N, U)
        attack = in_range[:, :, n:] & alive[:, None, n:] & self.can_attack[:n, n:]
        injured = alive & (self.hp < self.hp_max)
        heal = in_range[:, :, :n] & injured[:, None, :n] & self.can_heal[:n, :n]
        heal = torch.nn.functional.pad(heal, (0, N_ENEMIES - n))
        target = torch.where(self.healer[:n, None], heal, attack) & alive_a[..., None]
        avail = torch.cat([~alive_a[..., None], alive_a[..., None], move_ok, target], -1)
        self._cache["avail"] = avail
        return avail

    # ------------------------------------------------------------------ observations
    def observe(self) -> torch.Tensor:
        """(B, N, 176) per-agent SMAC feature vectors (layout in the module doc)."""
        if "obs" in self._cache:
            return self._cache["obs"]
        n, b = N_AGENTS, self.batch
        diff, dist = self._geometry()
        avail = self.avail_actions()
        alive = self.alive
        hp_frac = self.hp / self.hp_max
        cols = self._obs_cols  # (N, 21)
        d = torch.gather(dist[:, :n], 2, cols.expand(b, n, -1))  # (B, N, 21)
        dxy = torch.gather(diff[:, :n], 2, cols[..., None].expand(b, n, -1, 2))
        vis = (d < OBS_SIGHT) & alive[:, :n, None] & torch.gather(alive[:, None, :].expand(b, n, -1), 2,
                                                                   cols.expand(b, n, -1))
        flag = torch.cat([avail[:, :, 6:].to(self.dtype), torch.ones(b, n, n - 1, dtype=self.dtype,
                                                                      device=self.device)], 2)
        hp_c = hp_frac[:, cols]  # (B, N, 21)
        feats = torch.cat([flag[..., None], d[..., None] / OBS_SIGHT, dxy / OBS_SIGHT, hp_c[..., None],
                           self._onehot[cols].expand(b, n, -1, N_TYPES)], -1)  # (B, N, 21, 8)
        feats = feats * vis[..., None]
        own = torch.cat([hp_frac[:, :n, None], self._onehot[:n].expand(b, n, N_TYPES)], -1) * alive[:, :n, None]
        obs = torch.cat([avail[:, :, 2:6].to(self.dtype), feats.reshape(b, n, -1), own], -1)
        self._cache["obs"] = obs
        return obs

    def state(self) -> torch.Tensor:
        """(B, 322) SMAC-style global state (layout in the module doc)."""
        n, b = N_AGENTS, self.batch
        alive = self.alive.to(self.dtype)
        hp = self.hp / self.hp_max
        rel = (self.pos - torch.tensor([U.MAP_SIZE[0] / 2, U.MAP_SIZE[1] / 2], dtype=self.dtype,
                                       device=self.device)) / torch.tensor(U.MAP_SIZE, dtype=self.dtype,
                                                                           device=self.device)
        cool = torch.where(self.healer, self.energy, self.cd) / self.smac_max_cd
        ally = torch.cat([hp[:, :n, None], cool[:, :n, None], rel[:, :n], self._onehot[:n].expand(b, n, N_TYPES)],
                         -1) * alive[:, :n, None]
        enemy = torch.cat([hp[:, n:, None], rel[:, n:], self._onehot[n:].expand(b, N_ENEMIES, N_TYPES)],
                          -1) * alive[:, n:, None]
        last = torch.nn.functional.one_hot(self.last_action, N_ACTIONS).to(self.dtype) * self._has_last[:, None, None]
        return torch.cat([ally.reshape(b, -1), enemy.reshape(b, -1), last.reshape(b, -1)], 1)

    # ------------------------------------------------------------------ reset
    def _start(self):
        pos = self.start_pos.expand(self.batch, N_UNITS, 2)
        if self.jitter > 0:
            noise = torch.randn(self.batch, N_UNITS, 2, generator=self.generator, device=self.device,
                                dtype=self.dtype)
            pos = torch.maximum(torch.minimum(pos + self.jitter * noise, self._hi), self._lo)
        return pos

    def reset(self) -> torch.Tensor:
        """Reset every game; returns the observations (B, N, 176)."""
        self.pos = self._start().clone()
        self.hp = self.hp_max.expand(self.batch, N_UNITS).clone()
        self.cd = torch.zeros_like(self.hp)
        self.energy = self.start_energy.expand(self.batch, N_UNITS).clone()
        self.t = torch.zeros_like(self.t)
        self.done = torch.zeros_like(self.done)
        self.won = torch.zeros_like(self.won)
        self.last_action = torch.zeros_like(self.last_action)
        self._has_last = torch.zeros_like(self._has_last)
        self._cache = {}
        return self.observe()

    def reset_done(self) -> torch.Tensor:
        """Reset only the finished games (the others continue); returns all observations."""
        r = self.done
        start = self._start()
        self.pos = torch.where(r[:, None, None], start, self.pos)
        self.hp = torch.where(r[:, None], self.hp_max, self.hp)
        self.cd = torch.where(r[:, None], 0.0, self.cd)
        self.energy = torch.where(r[:, None], self.start_energy, self.energy)
        self.t = torch.where(r, 0, self.t)
        self.won = self.won & ~r
        self._has_last = self._has_last & ~r
        self.done = torch.zeros_like(self.done)
        self._cache = {}
        return self.observe()

    # ------------------------------------------------------------------ step
    def step(self, actions):
        """(B, N) long actions -> (obs (B, N, 176), selfish rewards (B, N), done (B,), info)."""
        actions = as_actions(actions, self.batch, N_AGENTS, N_ACTIONS, self.device)
        if self.check_actions:
            check_available(actions, self.avail_actions(), self.done)
        b, n, dt = self.batch, N_AGENTS, self.dtype
        diff, dist = self._geometry()
        alive = self.alive
        active = ~self.done
        pos, hp = self.pos, self.hp
        frames = float(STEP_FRAMES)
        inf = torch.tensor(float("inf"), dtype=dt, device=self.device)

        # ---- allies' orders
        tgt_a = (actions - 6).clamp(min=0) + self._target_base
        has_a = actions >= 6
        is_move = (actions >= 2) & (actions <= 5)
        move_vec = self._dirs[(actions - 2).clamp(0, 3)] * (MOVE_AMOUNT * is_move[..., None])
        # ---- scripted enemies: nearest hittable ally within acquisition range
        cand = alive[:, None, :n] & self.can_attack[n:, :n] & (dist[:, n:, :n] <= self.acquire[n:, None])
        dmin, tgt_e = torch.where(cand, dist[:, n:, :n], inf).min(-1)
        has_e = torch.isfinite(dmin)
        # the enemy Medivac: most damaged injured ground teammate, else follow the nearest one
        h = self._enemy_healer
        mates = alive[:, n:] & self._enemy_ground[n:]
        missing = torch.where(mates, self.hp_max[n:] - hp[:, n:], -1.0)
        miss_max, heal_t = missing.max(-1)
        has_heal = miss_max > 0
        _, follow_t = torch.where(mates, dist[:, h, n:], inf).min(-1)
        any_mate = mates.any(-1)
        tgt_e[:, -1] = torch.where(has_heal, heal_t, follow_t) + n
        has_e[:, -1] = has_heal
        tgt = torch.cat([tgt_a, tgt_e], 1)  # (B, U) global unit index
        has = torch.cat([has_a, has_e], 1)
        # a target order is void on a dead or invalid target
        has = has & alive & torch.gather(alive, 1, tgt) & self._valid_flat[self._unit_idx * N_UNITS + tgt]

        # ---- destinations and standoff distances
        tpos = torch.gather(pos, 1, tgt[..., None].expand(b, N_UNITS, 2))
        dest = pos.clone()
        dest[:, :n] += move_vec
        go_point = ~has_e.clone()
        go_point[:, -1] = False
        dest[:, n:] = torch.where(go_point[..., None], self.attack_point, dest[:, n:])
        follow = torch.zeros_like(has)
        follow[:, h] = ~has_heal & any_mate
        approach = has | follow
        dest = torch.where(approach[..., None], tpos, dest)
        dest = torch.where(alive[..., None], dest, pos)
        stop_at = torch.where(approach, self.rng, 0.0)
        vec = dest - pos
        gap = torch.linalg.vector_norm(vec, dim=-1)
        reach = self.speed * frames
        travel = (gap - stop_at).clamp(min=0).minimum(reach)
        new_pos = pos + vec * (travel / gap.clamp(min=1e-6))[..., None]
        new_pos = torch.maximum(torch.minimum(new_pos, self._hi), self._lo)
        t_arrive = travel / self.speed
        arrived = has & (gap - stop_at <= reach)

        # ---- weapons
        fire_frame = torch.maximum(self.cd, t_arrive)
        fire = arrived & ~self.healer & (fire_frame < frames)
        new_cd = torch.where(fire, self.cd_max - (frames - fire_frame), (self.cd - frames).clamp(min=0))
        dmg = self._dmg_flat[self._unit_idx * N_UNITS + tgt] * fire
        key = fire_frame * 64 + self._unit_idx
        before = (tgt[:, :, None] == tgt[:, None, :]) & (key[:, None, :] < key[:, :, None])
        prior = torch.bmm(before.to(dt), dmg[..., None])[..., 0]  # damage landing earlier on my target
        hp_t = torch.gather(hp, 1, tgt)
        dealt = (hp_t - prior).clamp(min=0).minimum(dmg)
        killed = fire & (prior < hp_t) & (prior + dmg >= hp_t)
        total = torch.zeros_like(hp).scatter_add_(1, tgt, dmg)
        hp_new = (hp - total).clamp(min=0)

        # ---- heals (after damage, on targets still alive)
        hs = self._healers
        h_tgt = tgt[:, hs]
        h_on = arrived[:, hs]
        h_frames = (frames - t_arrive[:, hs]).clamp(0, frames)
        t_hp = torch.gather(hp_new, 1, h_tgt)
        room = torch.where(t_hp > 0, self.hp_max[h_tgt] - t_hp, 0.0)
        energy = self.energy.clone()
        amount = (self.heal_per_frame * h_frames).minimum(room).minimum(energy[:, hs] * U.HEAL_PER_ENERGY)
        amount = amount.clamp(min=0) * h_on
        hp_new = hp_new.scatter_add(1, h_tgt, amount).minimum(self.hp_max)
        energy[:, hs] = energy[:, hs] - amount / U.HEAL_PER_ENERGY
        energy = (energy + self.energy_regen).minimum(self.energy_max) * (hp_new > 0)

        # ---- outcome
        alive_new = hp_new > 0
        lost = ~(alive_new & self._ally_ground).any(1)
        won = ~lost & ~alive_new[:, n:].any(1)
        t_new = self.t + 1
        timeout = ~won & ~lost & (t_new >= self.episode_limit)
        a_dealt, a_kill = dealt[:, :n], killed[:, :n].to(dt)
        healed = torch.zeros(b, n, dtype=dt, device=self.device)
        healed[:, hs[0]] = amount[:, 0]
        win_bonus = won.to(dt) * REWARD_WIN
        act = active.to(dt)
        rewards = (a_dealt + REWARD_DEATH * a_kill + (win_bonus / n)[:, None]) * (act / self.reward_scale)[:, None]
        team = (a_dealt.sum(1) + REWARD_DEATH * a_kill.sum(1) + win_bonus) * act / self.reward_scale
        e_alive0 = alive[:, n:]
        delta = ((hp[:, n:] - hp_new[:, n:]) * e_alive0).sum(1)
        deaths = (e_alive0 & ~alive_new[:, n:]).sum(1).to(dt)
        smac = ((delta + REWARD_DEATH * deaths).abs() + win_bonus) * act / self.reward_scale

        # ---- commit (finished games stay frozen)
        a2, a3 = active[:, None], active[:, None, None]
        self.pos = torch.where(a3, new_pos, pos)
        self.hp = torch.where(a2, hp_new, hp)
        self.cd = torch.where(a2, new_cd, self.cd)
        self.energy = torch.where(a2, energy, self.energy)
        self.t = torch.where(active, t_new, self.t)
        self.last_action = torch.where(a2, actions, self.last_action)
        self._has_last = self._has_last | active
        won, lost, timeout = won & active, lost & active, timeout & active
        self.won = self.won | won
        self.done = self.done | won | lost | timeout
        self._cache = {}
        info = {"team_reward": team, "smac_reward": smac, "won": won, "lost": lost, "timeout": timeout,
                "damage_dealt": a_dealt * act[:, None], "healed": healed * act[:, None],
                "killed": a_kill * act[:, None]}
        return self.observe(), rewards, self.done.clone(), info
