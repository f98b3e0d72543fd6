"""Tests of the SMAC (StarCraft II) backend of Selfish-MMM2 against a fake ``StarCraft2Env``.

The fake copies what the wrapper reads from SMAC (``smac/env/starcraft2/starcraft2.py``):
``agents`` / ``enemies`` dicts of units (health, shield, health_max, shield_max, unit_type, pos),
``get_obs`` / ``get_state`` / ``get_avail_actions`` / ``get_env_info``, ``step`` returning
``(reward, terminated, {"battle_won": ...})`` with SMAC's ``reward_battle`` (net enemy health +
shield drop + 10 per death, ``abs``, + 200 on a win, divided by ``max_reward / 20`` with
``max_reward`` = n_enemies * 10 + 200 + sum(health_max + shield_max) set at the first reset).
Combat is scripted: each attack order deals the attacker's fixed damage to its target; the
scenario may add damage nobody ordered ("splash") or enemy heals.

Hand facts (3 agents: Marine 0, Marine 1, Medivac 2; 2 enemies: Marine 45 HP + 0 shield,
Marauder 125 HP + 10 shield): max_reward = 2 * 10 + 200 + 45 + 135 = 400, scale = 400 / 20 = 20.
"""

from __future__ import annotations

import inspect
import os
import random
import sys
import types

import numpy as np
import pytest
import torch

from mixedmotive.envs import smac_backend as sb

MARAUDER, MARINE, MEDIVAC = 51, 48, 54  # SC2 unit type ids SMAC uses for MMM maps
DAMAGE = {MARINE: 6.0, MARAUDER: 20.0, MEDIVAC: 0.0}
SCALE = 20.0  # 400 / 20


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


class Unit:
    def __init__(self, unit_type, health, shield=0.0, x=0.0, y=0.0, tag=0):
        self.unit_type, self.health, self.shield = unit_type, float(health), float(shield)
        self.health_max, self.shield_max = float(health), float(shield)
        self.pos = types.SimpleNamespace(x=x, y=y)
        self.tag, self.energy, self.weapon_cooldown = tag, 50.0, 0.0


class FakeSC2:
    """StarCraft2Env-like: 3 agents vs 2 enemies, scripted damage; ``extra[t]`` adds per-step effects."""

    n_agents, n_enemies, episode_limit = 3, 2, 6
    map_type = "MMM"
    reward_death_value, reward_win, reward_defeat, reward_scale_rate = 10, 200, 0, 20
    reward_sparse, reward_only_positive, reward_scale = False, True, True

    def __init__(self, extra=None, ally_damage=None):
        self.n_actions = 6 + self.n_enemies
        self.extra = extra or {}  # step -> {"enemy": {e: +damage / -heal}}
        self.ally_damage = ally_damage or {}  # step -> {ally: damage}
        self.medivac_id = MEDIVAC
        self.max_reward = self.n_enemies * self.reward_death_value + self.reward_win
        self._episode_count, self._episode_steps = 0, 0
        self.battles_won = 0
        self.resets = self.steps = 0
        self.agents, self.enemies = {}, {}

    def get_env_info(self):
        return {"obs_shape": 5, "state_shape": 7, "n_actions": self.n_actions, "n_agents": self.n_agents,
                "episode_limit": self.episode_limit}

    def reset(self):
        self.resets += 1
        self._episode_steps = 0
        self.agents = {0: Unit(MARINE, 45, x=1.0, tag=1), 1: Unit(MARINE, 45, x=2.0, tag=2),
                       2: Unit(MEDIVAC, 150, x=3.0, tag=3)}
        self.enemies = {0: Unit(MARINE, 45, x=5.0, tag=4), 1: Unit(MARAUDER, 125, 10, x=6.0, tag=5)}
        self.death_tracker_enemy = np.zeros(self.n_enemies)
        if self._episode_count == 0:
            self.max_reward += sum(u.health_max + u.shield_max for u in self.enemies.values())
        return self.get_obs(), self.get_state()

    def get_obs(self):
        return [np.array([u.health / u.health_max, float(i), 0, 0, 1], dtype=np.float32)
                for i, u in self.agents.items()]

    def get_state(self):
        return np.array([u.health for u in self.agents.values()] + [u.health for u in self.enemies.values()]
                        + [float(self._episode_steps), 0.0], dtype=np.float32)

    def get_avail_agent_actions(self, a):
        u = self.agents[a]
        if u.health <= 0:
            return [1] + [0] * (self.n_actions - 1)
        av = [0, 1, 1, 1, 1, 1] + [0] * self.n_enemies
        if u.unit_type == MEDIVAC:
            for k, t in self.agents.items():
                if k < self.n_enemies and t.unit_type != MEDIVAC and t.health > 0:
                    av[6 + k] = 1
        else:
            for e, t in self.enemies.items():
                av[6 + e] = int(t.health > 0)
        return av

    def get_avail_actions(self):
        return [self.get_avail_agent_actions(a) for a in range(self.n_agents)]

    @staticmethod
    def _hit(u, d):
        if d >= 0:
            s = min(u.shield, d)
            u.shield -= s
            u.health = max(u.health - (d - s), 0.0)
        else:
            u.health = min(u.health - d, u.health_max)

    def step(self, actions):
        self.steps += 1
        for a, act in enumerate(actions):
            assert self.get_avail_agent_actions(a)[act] == 1
        prev = {e: u.health + u.shield for e, u in self.enemies.items()}
        alive0 = {e: u.health > 0 for e, u in self.enemies.items()}
        t = self._episode_steps
        for a, act in enumerate(actions):
            u = self.agents[a]
            if act >= 6 and u.unit_type == MEDIVAC:
                tgt = self.agents[act - 6]
                tgt.health = min(tgt.health + 4.5, tgt.health_max)
            elif act >= 6:
                self._hit(self.enemies[act - 6], DAMAGE[u.unit_type])
        for e, d in self.extra.get(t, {}).items():
            if self.enemies[e].health > 0:
                self._hit(self.enemies[e], d)
        for k, d in self.ally_damage.get(t, {}).items():
            self._hit(self.agents[k], d)
        self._episode_steps += 1
        delta, deaths = 0.0, 0
        for e, u in self.enemies.items():
            if alive0[e]:
                if u.health <= 0:
                    u.health = 0.0
                    deaths += 1
                    self.death_tracker_enemy[e] = 1
                    delta += prev[e]
                else:
                    delta += prev[e] - u.health - u.shield
        reward = abs(delta + self.reward_death_value * deaths)
        info = {"battle_won": False}
        lost = not any(u.health > 0 and u.unit_type != MEDIVAC for u in self.agents.values())
        won = not lost and not any(u.health > 0 for u in self.enemies.values())
        term = won or lost or self._episode_steps >= self.episode_limit
        if won:
            info["battle_won"] = True
            self.battles_won += 1
            reward += self.reward_win
        if term:
            self._episode_count += 1
        return reward / (self.max_reward / self.reward_scale_rate), term, info

    def close(self):
        self.closed = True


def make(batch=1, **kw):
    return sb.SMACSelfishMMM2(batch=batch, env_factory=lambda: FakeSC2(**kw))


def acts(*rows):
    return torch.tensor(rows, dtype=torch.long)


# ------------------------------------------------------------------------------ tests


def test_dims_avail_and_scale():
    env = make(batch=2)
    assert (env.n_agents, env.n_enemies, env.n_actions, env.obs_dim, env.state_dim) == (3, 2, 8, 5, 7)
    obs = env.reset()
    assert obs.shape == (2, 3, 5) and obs.dtype == torch.float32
    assert env.state().shape == (2, 7)
    av = env.avail_actions()
    assert av.shape == (2, 3, 8) and av.dtype == torch.bool
    assert av[0, 0].tolist() == [False, True, True, True, True, True, True, True]
    assert env.max_reward == 400.0 == env.smac_max_reward and env.reward_scale == SCALE
    with pytest.raises(ValueError, match="not available"):
        env.step(acts([0, 1, 1], [1, 1, 1]))  # no-op of a living agent
    with pytest.raises(ValueError, match="shape"):
        env.step(torch.zeros(2, 2, dtype=torch.long))


def test_damage_split_among_attackers_and_medivac_heal():
    env = make(ally_damage={0: {0: 10.0}})
    env.reset()
    # Marines 0, 1 attack enemy 0 (6 + 6 = 12 HP); Medivac heals ally 0 (action 6 = heal ally 0)
    _, r, done, info = env.step(acts([6, 6, 6]))
    assert not done.any()
    assert torch.allclose(r, torch.tensor([[6.0, 6.0, 0.0]]) / SCALE)
    assert info["damage_dealt"].tolist() == [[6.0, 6.0, 0.0]]
    assert info["healed"].tolist() == [[0.0, 0.0, 0.0]]  # +4.5 heal, -10 damage: net loss, nothing measurable
    assert torch.allclose(info["team_reward"], info["smac_reward"])
    _, r, _, info = env.step(acts([7, 6, 6]))  # split targets: each gets his own; heal measurable now
    assert torch.allclose(r, torch.tensor([[6.0, 6.0, 0.0]]) / SCALE)
    assert info["healed"].tolist() == [[0.0, 0.0, 4.5]]
    assert torch.allclose(info["team_reward"], info["smac_reward"])


def test_equal_split_ignores_who_hit_harder_and_shields_count():
    env = sb.SMACSelfishMMM2(env_factory=FakeSC2)
    env.reset()
    # make agent 1 a Marauder (20 damage) to show the split is equal, not per shot
    for e in env.envs:
        e.agents[1].unit_type = MARAUDER
    _, r, _, info = env.step(acts([7, 7, 1]))  # 6 + 20 = 26 on the Marauder: 10 shield + 16 health
    assert torch.allclose(info["damage_dealt"], torch.tensor([[13.0, 13.0, 0.0]]))
    assert torch.allclose(r.sum(), torch.tensor(26.0 / SCALE))
    assert torch.allclose(info["team_reward"], info["smac_reward"])


def test_kill_bonus_split_and_overkill():
    env = make()
    env.reset()
    total = torch.zeros(3)
    for _ in range(3):  # 12 per step on the 45-HP Marine: 12, 24, 36
        _, r, _, info = env.step(acts([6, 6, 1]))
        total += r[0]
    _, r, _, info = env.step(acts([6, 6, 1]))  # 9 left: it dies; kill bonus 10 split 5 / 5
    assert info["killed"].tolist() == [[0.5, 0.5, 0.0]]
    assert torch.allclose(info["damage_dealt"], torch.tensor([[4.5, 4.5, 0.0]]))
    assert torch.allclose(r, torch.tensor([[9.5, 9.5, 0.0]]) / SCALE)
    assert torch.allclose(info["team_reward"], info["smac_reward"])


def test_win_bonus_split_among_all_agents_and_episode_sum():
    env = make(extra={0: {1: 135.0}})  # step 0: the Marauder is wiped out by nobody's order
    env.reset()
    _, r, done, info = env.step(acts([6, 6, 1]))
    # enemy 1: 135 unattributed + 10 kill bonus; agents: 6 + 6 on enemy 0
    assert torch.allclose(info["unattributed"], torch.tensor([145.0 / SCALE]))
    assert torch.allclose(info["team_reward"] + info["unattributed"], info["smac_reward"])
    ret = r.clone()
    team = info["team_reward"].clone()
    smac = info["smac_reward"].clone() - info["unattributed"]
    while not done.all():
        _, r, done, info = env.step(acts([6, 6, 1]))
        ret += r
        team += info["team_reward"]
        smac += info["smac_reward"] - info["unattributed"]
    assert bool(info["won"][0]) and not info["lost"][0] and not info["timeout"][0]
    assert bool(env.won[0]) and env.battles_won == 1
    # last step: 9 HP, kill 10 split 2 ways; win 200 split 3 ways (Medivac included)
    assert torch.allclose(r, torch.tensor([[4.5 + 5 + 200 / 3, 4.5 + 5 + 200 / 3, 200 / 3]]) / SCALE)
    # episode: 45 HP + 10 kill between the Marines, 200 among all
    assert torch.allclose(ret, torch.tensor([[27.5 + 200 / 3, 27.5 + 200 / 3, 200 / 3]]) / SCALE, atol=1e-5)
    assert torch.allclose(team, smac, atol=1e-6)
    assert torch.allclose(ret.sum(), torch.tensor(255.0 / SCALE))


def test_enemy_heal_is_charged_to_nobody():
    env = make(extra={1: {0: -4.5}})
    env.reset()
    env.step(acts([6, 1, 1]))  # 6 damage
    _, r, _, info = env.step(acts([1, 1, 1]))  # nobody attacks; the enemy heals 4.5
    assert r.abs().sum() == 0 and info["unattributed"].item() == 0
    assert info["smac_reward"].item() == pytest.approx(4.5 / SCALE)  # SMAC's abs() of the net gain


def test_loss_timeout_freeze_and_reset_done():
    env = make(batch=2)
    env.envs[1].ally_damage = {0: {0: 45.0, 1: 45.0}}  # game 1: both Marines die at once -> loss
    env.reset()
    obs0 = env.observe()
    _, r, done, info = env.step(acts([1, 1, 1], [1, 1, 1]))
    assert done.tolist() == [False, True]
    assert info["lost"].tolist() == [False, True] and info["won"].tolist() == [False, False]
    frozen_obs, steps1 = env.observe()[1].clone(), env.envs[1].steps
    # dead agents of game 1 would need no-op, but a finished game's actions are ignored
    for _ in range(5):
        _, r, done, info = env.step(acts([1, 1, 1], [1, 1, 1]))
        assert r[1].abs().sum() == 0
    assert env.envs[1].steps == steps1 and torch.equal(env.observe()[1], frozen_obs)
    assert done.tolist() == [True, True] and info["timeout"].tolist() == [True, False]
    assert env.t.tolist() == [6, 1]
    env.envs[1].ally_damage = {}
    resets = [e.resets for e in env.envs]
    obs = env.reset_done()
    assert [e.resets for e in env.envs] == [resets[0] + 1, resets[1] + 1]
    assert torch.equal(obs, obs0) and not env.done.any() and env.t.tolist() == [0, 0]
    env.step(acts([6, 1, 1], [1, 1, 1]))
    env.envs[0].ally_damage = {1: {0: 45.0, 1: 45.0}}
    _, _, done, _ = env.step(acts([6, 1, 1], [1, 1, 1]))
    assert done.tolist() == [True, False]
    env.reset_done()
    assert [e.resets for e in env.envs] == [resets[0] + 2, resets[1] + 1]
    env.close()
    assert all(e.closed for e in env.envs)


def test_restart_after_crash_marks_done():
    env = make()
    env.reset()
    env.envs[0].step = lambda a: (0, True, {})
    _, r, done, info = env.step(acts([6, 6, 1]))
    assert done.tolist() == [True] and info["restarted"].tolist() == [True] and r.abs().sum() == 0


def test_unsupported_reward_settings():
    with pytest.raises(ValueError, match="reward_only_positive"):
        sb.SMACSelfishMMM2(env_factory=FakeSC2, reward_only_positive=False)


def test_legacy_shuffle_shim():
    shim = sb._legacy_shuffle(random.shuffle)
    x = [0, 1, 2, 3]
    shim(x, lambda: 0.5)  # Python 3.10's algorithm: j = int(0.5 * (i + 1)) for i = 3, 2, 1
    assert x == [0, 3, 1, 2]
    y = list(range(10))
    shim(y)
    assert sorted(y) == list(range(10))


def test_import_smac_unavailable(monkeypatch, tmp_path):
    monkeypatch.delenv(sb.PROTOBUF_ENV, raising=False)
    monkeypatch.setenv("SC2PATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(random, "shuffle", random.shuffle)  # restored afterwards
    monkeypatch.setitem(sys.modules, "smac", None)  # "not installed", whatever this machine has
    with pytest.raises(sb.SMACUnavailable) as err:
        sb._import_smac()
    msg = str(err.value)
    assert isinstance(err.value, ImportError)
    assert "docs/smac_install.md" in msg and "smac" in msg and "StarCraft II game" in msg
    assert "oxwhirl/smac" in msg
    assert os.environ[sb.PROTOBUF_ENV] == "python"
    assert "random" in inspect.signature(random.shuffle).parameters  # the shim (Python >= 3.11) or native
    with pytest.raises(sb.SMACUnavailable):
        sb.SMACSelfishMMM2()  # no env_factory: needs the real game


def test_import_smac_detects_smac3(monkeypatch, tmp_path):
    monkeypatch.setenv("SC2PATH", str(tmp_path))
    monkeypatch.setattr(random, "shuffle", random.shuffle)
    monkeypatch.setitem(sys.modules, "smac", types.ModuleType("smac"))  # a module without smac.env
    monkeypatch.delitem(sys.modules, "smac.env", raising=False)
    with pytest.raises(sb.SMACUnavailable, match="SMAC3"):
        sb._import_smac(check_game=False)
