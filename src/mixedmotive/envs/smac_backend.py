"""Selfish-MMM2 on the real StarCraft II game: oxwhirl SMAC's ``StarCraft2Env`` behind the
:class:`mixedmotive.envs.mmm2.MMM2Env` interface, with per-agent ("selfish") rewards.

Installation of StarCraft II, the SMAC maps, ``smac`` and ``pysc2``: ``docs/smac_install.md``.
Nothing here is imported by the embedded simulator; ``smac`` is imported lazily by
:func:`_import_smac` (only when no ``env_factory`` is given), so this module imports without it.

Interface (the same as ``MMM2Env``)
-----------------------------------
``SMACSelfishMMM2(map_name="MMM2", batch=1, env_factory=None, **smac_kwargs)`` holds ``batch``
``StarCraft2Env`` instances (one SC2 process each) and steps them in a Python loop.

* ``reset()`` -> obs (B, N, obs_dim) float tensor, every game restarted;
  ``reset_done()`` restarts only the finished games and returns all observations;
* ``avail_actions()`` (B, N, n_actions) bool; ``observe()`` (B, N, obs_dim); ``state()`` (B, state_dim);
* ``step(actions (B, N))`` -> (obs, selfish rewards (B, N), done (B,), info); a finished game
  is frozen (not stepped, rewards 0, observations unchanged) until ``reset()``/``reset_done()``;
* ``info``: ``team_reward`` (B,) = the sum of the selfish rewards; ``smac_reward`` (B,) = the
  scalar SMAC itself returned; ``unattributed`` (B,) = the SMAC-style damage + kill reward that no
  agent earned (see below); ``won``, ``lost``, ``timeout``, ``restarted`` (B,) bool;
  ``damage_dealt`` (B, N) enemy health + shield attributed to each agent (unscaled); ``killed``
  (B, N) kill credit (1 / number of attackers of an enemy that died); ``healed`` (B, N) net health
  gained by the ally each Medivac healed (a lower bound: damage taken in the same step hides
  heals; zero for all other agents).
* ``close()`` ends the SC2 processes (also a context manager).

``n_agents``, ``n_enemies``, ``n_actions``, ``obs_dim``, ``state_dim`` and ``episode_limit`` come
from SMAC's ``get_env_info()`` (which does not start the game).  With SMAC's defaults for MMM2 they
happen to equal the embedded simulator's (176, 322, 18: its layout copies SMAC's), but any SMAC
option that changes them (``obs_last_action``, ``obs_pathing_grid``, ``obs_terrain_height``,
``obs_instead_of_state``, ``state_last_action``) changes them here and not there, and the feature
*values* differ anyway (SC2's real map, pathing grid, unit order and positions, cooldowns), so a
policy trained on one backend is not a policy for the other.

Selfish rewards (SMAC's ``reward_battle`` split over agents)
------------------------------------------------------------
Measured from the enemies' health + shield before and after each ``StarCraft2Env.step`` and the
actions the agents took in that step (``6 + e`` = attack enemy ``e``; for a Medivac ``6 + k`` is
*heal ally k* and never counts as an attack):

* damage: for each enemy alive before the step, ``lost_e`` = health + shield before - after (an
  enemy that died: everything it had, as SMAC counts it), floored at 0 (a net gain from the enemy
  Medivac's heals or shield regeneration is charged to nobody).  ``lost_e`` is split *equally*
  among the agents whose action this step was "attack ``e``" -- SC2 does not report who fired
  which shot, so this is an attribution rule, not a measurement;
* kill bonus: ``reward_death_value`` for each enemy that died this step, split equally among the
  agents whose action was "attack" it;
* an enemy damaged or killed while no agent's action was "attack" it (a shot or grenade still in
  flight from an earlier order, an agent that switched target, splash) earns no agent anything;
  its damage and kill bonus are reported as ``info["unattributed"]``;
* win bonus: ``reward_win`` when SMAC reports ``battle_won``, split equally among all N agents,
  dead or alive; ``reward_defeat`` (default 0) likewise on a loss;
* scaling as SMAC (``reward_scale``): every reward divided by ``max_reward / reward_scale_rate``
  with ``max_reward = n_enemies * reward_death_value + reward_win + sum over enemies of
  (health_max + shield_max)``, computed at the first reset as SMAC's ``init_units`` does
  (MMM2: 12 x 10 + 200 + 885 = 1205).

Hence ``team_reward + unattributed`` equals SMAC's own reward whenever no enemy gained health in
the step (SMAC nets the gains and takes ``abs`` of the total).  Only SMAC's default reward
settings are supported (``reward_sparse=False``, ``reward_only_positive=True``); other settings
raise ``ValueError``.  Medivac heals earn nothing, as in the embedded simulator (the dilemma).

``won`` = SMAC's ``info["battle_won"]``; ``lost`` = terminated, not won and no allied
non-Medivac unit alive (SMAC's defeat and draw); ``timeout`` = terminated otherwise (the
episode limit).  When SC2 crashes SMAC restarts the process and returns ``(0, True, {})``; that
game is marked done with ``restarted`` True and zero rewards.
"""

from __future__ import annotations

import inspect
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from .actions import as_actions, check_available

__all__ = ["SMACSelfishMMM2", "SMACUnavailable", "_import_smac"]

INSTALL_DOC = "docs/smac_install.md"
PROTOBUF_ENV = "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"
N_ACTIONS_NO_ATTACK = 6


class SMACUnavailable(ImportError):
    """SMAC, pysc2 or the StarCraft II game / maps are missing (see ``docs/smac_install.md``)."""


# ---------------------------------------------------------------------------- import shims


def _shuffle_takes_random() -> bool:
    try:
        return "random" in inspect.signature(random.shuffle).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return True


def _legacy_shuffle(orig):
    """``random.shuffle(x, random=None)`` as in Python <= 3.10 (the second argument was removed in 3.11).

    pysc2 4.0.0 calls ``random.shuffle(palette, lambda: 0.5)`` in ``pysc2/lib/colors.py``
    (``shuffled_hue``), reached at import time through ``pysc2.lib.features``'s feature-layer
    palettes; the legacy algorithm is reproduced so that call gives the same fixed permutation.
    """

    def shuffle(x, random=None):  # noqa: A002 - the historical parameter name
        if random is None:
            return orig(x)
        for i in reversed(range(1, len(x))):
            j = int(random() * (i + 1))
            x[i], x[j] = x[j], x[i]
        return None

    shuffle.__doc__ = orig.__doc__
    shuffle._mixedmotive_legacy = True
    return shuffle


def _sc2_path() -> Path:
    """Where pysc2 looks for the game on Linux: ``$SC2PATH``, else ``~/StarCraftII``."""
    return Path(os.environ.get("SC2PATH") or "~/StarCraftII").expanduser()


def _import_smac(map_name: str | None = "MMM2", check_game: bool = True):
    """Import and return oxwhirl SMAC's ``StarCraft2Env`` with pysc2 4.0.0's work-arounds.

    1. ``PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python`` is set if unset: the ``_pb2`` modules of
       ``s2clientprotocol`` were generated by an old ``protoc`` and protobuf >= 4 refuses them
       ("Descriptors cannot be created directly") under its C++/upb implementation.  This only
       works if ``google.protobuf`` was not imported before (e.g. by TensorBoard).
    2. On Python >= 3.11, ``random.shuffle`` gets back its optional ``random`` argument
       (:func:`_legacy_shuffle`), only if it lacks it; calls with one argument are unchanged.
    3. ``from smac.env import StarCraft2Env``.

    With ``check_game``, also checks that the game (``$SC2PATH``, default ``~/StarCraftII``) and
    the map ``Maps/SMAC_Maps/<map_name>.SC2Map`` exist.  Raises :class:`SMACUnavailable` listing
    everything that is missing.
    """
    os.environ.setdefault(PROTOBUF_ENV, "python")
    if not _shuffle_takes_random():
        random.shuffle = _legacy_shuffle(random.shuffle)
    missing, notes = [], []
    pb = sys.modules.get("google.protobuf.internal.api_implementation")
    if pb is not None and getattr(pb, "Type", lambda: "python")() != "python":
        notes.append(f"google.protobuf was imported before {PROTOBUF_ENV}=python took effect "
                     f"(implementation {pb.Type()!r}); export it in the shell before starting Python")
    env_cls = None
    try:
        from smac.env import StarCraft2Env as env_cls  # noqa: N813
    except ImportError as e:
        name = getattr(e, "name", None) or ""
        if name in ("smac.env", "smac.env.starcraft2") or "'smac' is not a package" in str(e):
            missing.append("the Python package `smac` is installed but has no `smac.env`: it is probably "
                           "SMAC3 from PyPI (an unrelated optimiser); install oxwhirl's: "
                           "pip install git+https://github.com/oxwhirl/smac.git")
        elif name.split(".")[0] == "smac" or name == "":
            missing.append(f"the Python package `smac` (oxwhirl/smac; pip install "
                           f"git+https://github.com/oxwhirl/smac.git): {e}")
        else:
            missing.append(f"the Python package `{name.split('.')[0]}` needed by smac (pysc2 4.0.0, "
                           f"s2clientprotocol, protobuf, ...): {e}")
    except Exception as e:  # pysc2's import-time incompatibilities other than the ones shimmed
        missing.append(f"importing smac failed with {type(e).__name__}: {e}")
    if check_game:
        root = _sc2_path()
        if not (root / "Versions").is_dir():
            missing.append(f"the StarCraft II game at {root} (set SC2PATH; Linux package 4.10 from "
                           "Blizzard's s2client-proto)")
        elif map_name:
            m = root / "Maps" / "SMAC_Maps" / f"{map_name}.SC2Map"
            if not m.is_file():
                missing.append(f"the SMAC map {m} (unzip SMAC_Maps.zip into {root / 'Maps'})")
    if missing:
        lines = "\n".join(f"  - {m}" for m in missing + notes)
        raise SMACUnavailable(f"the StarCraft II backend of Selfish-MMM2 is unavailable; missing:\n{lines}\n"
                              f"See {INSTALL_DOC} (or use the embedded simulator, mixedmotive.envs.mmm2).")
    return env_cls


# ------------------------------------------------------------------------------ the wrapper


def _hs(u) -> float:
    return float(u.health) + float(getattr(u, "shield", 0.0) or 0.0)


class SMACSelfishMMM2:
    """``batch`` SMAC games with per-agent rewards and ``MMM2Env``'s interface (module doc)."""

    def __init__(self, map_name: str = "MMM2", batch: int = 1, env_factory: Callable[[], object] | None = None,
                 device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                 check_actions: bool = True, **smac_kwargs):
        if batch < 1:
            raise ValueError("need batch >= 1")
        if smac_kwargs.get("reward_sparse", False) or not smac_kwargs.get("reward_only_positive", True):
            raise ValueError("selfish rewards need SMAC's reward_sparse=False and reward_only_positive=True")
        self.map_name, self.batch = map_name, batch
        self.device, self.dtype, self.check_actions = torch.device(device), dtype, check_actions
        if env_factory is None:
            env_cls = _import_smac(map_name)
            seed = smac_kwargs.pop("seed", None)

            def factory(k=[0]):  # noqa: B006 - instance counter: game b gets seed + b
                k[0] += 1
                return env_cls(map_name=map_name, seed=None if seed is None else seed + k[0] - 1, **smac_kwargs)

            env_factory = factory
        self.envs = [env_factory() for _ in range(batch)]
        e0 = self.envs[0]
        if getattr(e0, "reward_sparse", False) or not getattr(e0, "reward_only_positive", True):
            raise ValueError("selfish rewards need SMAC's reward_sparse=False and reward_only_positive=True")
        info = e0.get_env_info()
        self.n_agents, self.n_actions = int(info["n_agents"]), int(info["n_actions"])
        self.obs_dim, self.state_dim = int(info["obs_shape"]), int(info["state_shape"])
        self.episode_limit = int(info["episode_limit"])
        self.n_enemies = int(e0.n_enemies)
        self.reward_death_value = float(e0.reward_death_value)
        self.reward_win = float(e0.reward_win)
        self.reward_defeat = float(getattr(e0, "reward_defeat", 0.0))
        self.reward_scale_rate = float(e0.reward_scale_rate)
        self._scaled = bool(getattr(e0, "reward_scale", True))
        self.max_reward: float | None = None  # SMAC's formula, known after the first reset
        self.smac_max_reward: float | None = None
        self.reward_scale = 1.0
        b, n, f = batch, self.n_agents, dict(dtype=dtype, device=self.device)
        self._obs = torch.zeros(b, n, self.obs_dim, **f)
        self._state = torch.zeros(b, self.state_dim, **f)
        self._avail = torch.zeros(b, n, self.n_actions, dtype=torch.bool, device=self.device)
        self.t = torch.zeros(b, dtype=torch.long, device=self.device)
        self.done = torch.ones(b, dtype=torch.bool, device=self.device)
        self.won = torch.zeros(b, dtype=torch.bool, device=self.device)

    # ------------------------------------------------------------------ helpers
    def _units(self, env, which: str) -> list:
        d = getattr(env, which)
        return [d[i] for i in range(len(d))]

    def _is_healer(self, env, unit) -> bool:
        return getattr(env, "map_type", None) == "MMM" and unit.unit_type == getattr(env, "medivac_id", None)

    def _refresh(self, g: int) -> None:
        env = self.envs[g]
        f = dict(dtype=self.dtype, device=self.device)
        self._obs[g] = torch.as_tensor(np.asarray(env.get_obs(), dtype=np.float32), **f)
        self._state[g] = torch.as_tensor(np.asarray(env.get_state(), dtype=np.float32), **f)
        self._avail[g] = torch.as_tensor(np.asarray(env.get_avail_actions()) > 0, device=self.device)

    def _set_max_reward(self) -> None:
        if self.max_reward is None:
            env = self.envs[0]
            hp = sum(float(u.health_max) + float(getattr(u, "shield_max", 0.0) or 0.0)
                     for u in self._units(env, "enemies"))
            self.max_reward = self.n_enemies * self.reward_death_value + self.reward_win + hp
            self.reward_scale = self.max_reward / self.reward_scale_rate if self._scaled else 1.0
            # SMAC's own value, for reference: its init_units adds the enemies' health once per retry
            # while SC2 is still creating units, so it can exceed max_reward (then smac_reward is smaller)
            self.smac_max_reward = getattr(env, "max_reward", None)

    def _reset_game(self, g: int) -> None:
        self.envs[g].reset()
        self._set_max_reward()
        self._refresh(g)
        self.t[g], self.done[g], self.won[g] = 0, False, False

    # ------------------------------------------------------------------ interface
    def reset(self) -> torch.Tensor:
        """Restart every game; returns the observations (B, N, obs_dim)."""
        for g in range(self.batch):
            self._reset_game(g)
        return self.observe()

    def reset_done(self) -> torch.Tensor:
        """Restart only the finished games (the others continue); returns all observations."""
        for g in range(self.batch):
            if bool(self.done[g]):
                self._reset_game(g)
        return self.observe()

    def observe(self) -> torch.Tensor:
        return self._obs.clone()

    def state(self) -> torch.Tensor:
        return self._state.clone()

    def avail_actions(self) -> torch.Tensor:
        return self._avail.clone()

    def step(self, actions):
        """(B, N) actions -> (obs (B, N, obs_dim), selfish rewards (B, N), done (B,), info)."""
        actions = as_actions(actions, self.batch, self.n_agents, self.n_actions, self.device)
        if self.check_actions:
            check_available(actions, self._avail, self.done)
        b, n = self.batch, self.n_agents
        z = np.zeros((b, n))
        dealt, kills, healed, bonus = z.copy(), z.copy(), z.copy(), z.copy()
        unattr, smac_r = np.zeros(b), np.zeros(b)
        won, lost, timeout, restarted = (np.zeros(b, dtype=bool) for _ in range(4))
        active = ~self.done.cpu().numpy()
        acts_all = actions.cpu().tolist()
        for g in np.flatnonzero(active):
            env = self.envs[g]
            enemies0 = self._units(env, "enemies")
            prev_e = [_hs(u) for u in enemies0]
            alive_e = [float(u.health) > 0 for u in enemies0]
            allies0 = self._units(env, "agents")
            prev_a = [float(u.health) for u in allies0]
            healer = [self._is_healer(env, u) for u in allies0]
            acts = [int(a) for a in acts_all[g]]
            sent = list(acts)
            r, term, inf = env.step(sent)
            acts = [int(a) for a in sent]  # SMAC's heuristic_ai rewrites the list in place
            smac_r[g] = float(r)
            if not isinstance(inf, dict) or "battle_won" not in inf:  # SC2 crashed and was restarted
                restarted[g] = True
                self.done[g] = True
                self._refresh(g)
                continue
            enemies1 = self._units(env, "enemies")
            allies1 = self._units(env, "agents")
            for e in range(len(enemies0)):
                if not alive_e[e]:
                    continue
                died = float(enemies1[e].health) <= 0
                lost_e = max(prev_e[e] - (0.0 if died else _hs(enemies1[e])), 0.0)
                att = [i for i in range(n) if acts[i] == N_ACTIONS_NO_ATTACK + e and not healer[i]]
                kill = self.reward_death_value if died else 0.0
                if att:
                    for i in att:
                        dealt[g, i] += lost_e / len(att)
                        kills[g, i] += float(died) / len(att)
                else:
                    unattr[g] += lost_e + kill
            for k in range(len(allies0)):
                hl = [i for i in range(n) if healer[i] and acts[i] == N_ACTIONS_NO_ATTACK + k]
                if hl and float(allies1[k].health) > 0:
                    gain = max(float(allies1[k].health) - prev_a[k], 0.0)
                    for i in hl:
                        healed[g, i] += gain / len(hl)
            self.t[g] += 1
            won[g] = bool(inf.get("battle_won", False))
            if term and not won[g]:
                ground = [u for u in allies1 if float(u.health) > 0 and not self._is_healer(env, u)]
                lost[g] = not ground
                timeout[g] = not lost[g]
            bonus[g] += (self.reward_win * won[g] + self.reward_defeat * lost[g]) / n
            if term:
                self.done[g] = True
                self.won[g] = bool(won[g])
            self._refresh(g)
        s = self.reward_scale
        raw = dealt + self.reward_death_value * kills + bonus
        f = dict(dtype=self.dtype, device=self.device)
        rewards = torch.as_tensor(raw / s, **f)
        bt = dict(dtype=torch.bool, device=self.device)
        info = {"team_reward": rewards.sum(1), "smac_reward": torch.as_tensor(smac_r, **f),
                "unattributed": torch.as_tensor(unattr / s, **f),
                "won": torch.as_tensor(won, **bt), "lost": torch.as_tensor(lost, **bt),
                "timeout": torch.as_tensor(timeout, **bt), "restarted": torch.as_tensor(restarted, **bt),
                "damage_dealt": torch.as_tensor(dealt, **f), "killed": torch.as_tensor(kills, **f),
                "healed": torch.as_tensor(healed, **f)}
        return self.observe(), rewards, self.done.clone(), info

    # ------------------------------------------------------------------ bookkeeping
    @property
    def battles_won(self) -> int:
        return int(sum(getattr(e, "battles_won", 0) for e in self.envs))

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
