"""Rule tests of the batched MMM2 simulator (``mixedmotive.envs.mmm2``).

Hand facts (unit ids: allies 0-1 Marauders, 2-8 Marines, 9 Medivac; enemies 10-12 Marauders,
13-20 Marines, 21 Medivac; enemy e = unit 10 + e; attack enemy e = action 6 + e):
* hit damage = max(damage + bonus vs armoured - armour, 0.5): Marine->Marine 6, Marine->Marauder
  6 - 1 = 5, Marine->Medivac 6 - 1 = 5, Marauder->Marine 10, Marauder->Marauder 10 + 10 - 1 = 19,
  Marauder->Medivac impossible (ground-only weapon);
* Marine cooldown 0.61 s x 22.4 = 13.664 frames; a step is 8 frames: from ready it fires at
  frames 0 and 13.664 (steps 1 and 2), 27.328 (step 4): 5, 5, 0, 5 damage on a Marauder;
* Medivac heal 9/16 HP per frame = 4.5 per step, 1 energy per 3 HP, regeneration 0.28125 per step;
* reward scale = (12 x 10 + 200 + 3 x 125 + 8 x 45 + 150) / 20 = 1205 / 20 = 60.25.
"""

from __future__ import annotations

import pytest
import torch

from mixedmotive.envs.mmm2 import N_ACTIONS, OBS_DIM, STATE_DIM, MMM2Env, scenario

SCALE = 1205 / 20
STOP, NOOP = 1, 0


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def parked(batch=1, **kw):
    """An env with every unit parked far from the enemy (allies bottom-left, enemies top-right)."""
    env = MMM2Env(batch, **kw)
    env.reset()
    pos = torch.zeros(22, 2)
    for u in range(10):
        pos[u] = torch.tensor([0.5 + 0.1 * u, 8.5])
    for u in range(10, 22):
        pos[u] = torch.tensor([30.0 + 0.1 * (u - 10), 23.5])
    env.set_units(pos=pos)
    return env


def place(env, **units):
    pos = env.pos.clone()
    for name, xy in units.items():
        pos[:, int(name[1:])] = torch.tensor(xy, dtype=pos.dtype)
    env.set_units(pos=pos)


def act(**orders):
    a = torch.full((1, 10), STOP)
    for name, v in orders.items():
        a[0, int(name[1:])] = v
    return a


def random_actions(env, gen):
    av = env.avail_actions()
    return (torch.rand(av.shape, generator=gen) * av).argmax(-1)


def test_scenario_lineup():
    sc = scenario()
    assert sc["allies"]["counts"] == {"medivac": 1, "marine": 7, "marauder": 2}
    assert sc["enemies"]["counts"] == {"medivac": 1, "marine": 8, "marauder": 3}
    assert sc["allies"]["types"] == ["marauder"] * 2 + ["marine"] * 7 + ["medivac"]
    assert sc["enemies"]["types"] == ["marauder"] * 3 + ["marine"] * 8 + ["medivac"]
    ax = torch.tensor(sc["allies"]["positions"]).mean(0)
    ex = torch.tensor(sc["enemies"]["positions"]).mean(0)
    assert abs(ax[0] - 9) < 1.5 and abs(ex[0] - 23) < 1.5 and abs(ax[1] - 16) < 1.5
    env = MMM2Env(3)
    obs = env.reset()
    assert obs.shape == (3, 10, OBS_DIM) and OBS_DIM == 176
    assert env.state().shape == (3, STATE_DIM) and STATE_DIM == 322
    assert env.avail_actions().shape == (3, 10, N_ACTIONS) and N_ACTIONS == 18


def test_damage_table_hand_values():
    d = MMM2Env(1).dmg_table
    assert d[2, 13] == 6 and d[2, 10] == 5 and d[2, 21] == 5  # marine vs marine / marauder / medivac
    assert d[0, 13] == 10 and d[0, 10] == 19 and d[0, 21] == 0  # marauder vs marine / marauder / medivac
    assert d[9].abs().sum() == 0 and d[2, 3] == 0  # medivac never attacks; no friendly fire
    assert d[10, 0] == 19 and d[13, 9] == 5  # enemies symmetric


def test_damage_armour_and_bonus_in_combat():
    env = parked()
    place(env, u2=(10.0, 12.0), u10=(14.0, 12.0), u0=(10.0, 20.0), u13=(14.0, 20.0))
    _, r, done, info = env.step(act(u2=6 + 0, u0=6 + 3))  # marine -> enemy marauder, marauder -> enemy marine
    assert env.hp[0, 10] == 125 - 5  # 6 - armour 1
    assert env.hp[0, 13] == 45 - 10  # marauder vs light marine: no bonus
    assert env.hp[0, 2] == 45 - 10  # enemy marauder shoots back at the nearest ally
    assert env.hp[0, 0] == 125 - 5  # the enemy marine shoots its nearest ally, the armoured marauder
    assert info["damage_dealt"][0, 2] == 5 and info["damage_dealt"][0, 0] == 10
    assert torch.allclose(r[0, 2], torch.tensor(5 / SCALE)) and torch.allclose(r[0, 0], torch.tensor(10 / SCALE))
    assert not done[0]
    env = parked()
    place(env, u0=(10.0, 12.0), u10=(14.0, 12.0))
    env.step(act(u0=6 + 0))
    assert env.hp[0, 10] == 125 - 19 and env.hp[0, 0] == 125 - 19  # bonus vs armoured, both ways


def test_marauder_cannot_hit_medivac():
    env = parked()
    place(env, u0=(10.0, 12.0), u21=(12.0, 12.0))
    assert not env.avail_actions()[0, 0, 6 + 11]
    with pytest.raises(ValueError):
        env.step(act(u0=6 + 11))
    # the enemy marauders never target the allied Medivac, enemy marines do
    env = parked()
    place(env, u9=(10.0, 12.0), u10=(13.0, 12.0), u11=(13.0, 12.5))
    env.step(act())
    assert env.hp[0, 9] == 150
    place(env, u13=(13.0, 11.0))
    env.step(act())
    assert env.hp[0, 9] == 150 - 5


def test_cooldown_pattern_and_no_early_refire():
    env = parked()
    place(env, u2=(10.0, 12.0), u10=(14.0, 12.0))
    hp = []
    for _ in range(4):
        env.step(act(u2=6 + 0))
        hp.append(float(env.hp[0, 10]))
    assert hp == [120, 115, 115, 110]
    env = parked()
    place(env, u2=(10.0, 12.0), u10=(14.0, 12.0))
    cd = env.cd.clone()
    cd[0, 2] = 8.5  # ready only after this step's 8 frames
    env.set_units(cd=cd)
    env.step(act(u2=6 + 0))
    assert env.hp[0, 10] == 125 and abs(float(env.cd[0, 2]) - 0.5) < 1e-5
    env.step(act(u2=6 + 0))
    assert env.hp[0, 10] == 120


def test_ranges_and_masks():
    env = parked()
    place(env, u2=(10.0, 12.0), u13=(17.0, 12.0))  # 7 = shoot range 6 + 1
    av = env.avail_actions()[0, 2]
    assert not av[6 + 3] and av[1] and not av[0]
    with pytest.raises(ValueError):
        env.step(act(u2=6 + 3))
    place(env, u13=(16.0, 12.0))  # exactly 6: available
    assert env.avail_actions()[0, 2, 6 + 3]
    # an enemy marauder (range 6) 8 away from a holding marine closes only 1.125: no shot yet
    env = parked()
    place(env, u2=(10.0, 12.0), u10=(18.0, 12.0))
    env.step(act())
    assert env.hp[0, 2] == 45 and abs(float(env.pos[0, 10, 0]) - (18 - 1.125)) < 1e-5
    # move feasibility at the map edge (pathable y in [8, 24)): south blocked at y = 8.5
    av = env.avail_actions()[0, 0]
    assert av[2] and not av[3] and not av[5]  # north ok; south and west (x = 0.5) blocked


def test_healing_capped_and_spends_energy():
    env = parked()
    place(env, u9=(10.0, 12.0), u2=(11.0, 12.0))
    hp = env.hp.clone()
    hp[0, 2] = 40.0
    env.set_units(hp=hp)
    assert env.avail_actions()[0, 9, 6 + 2] and not env.avail_actions()[0, 9, 6 + 3]  # 3 is not injured
    assert not env.avail_actions()[0, 9, 6 + 9]  # never itself
    _, r, _, info = env.step(act(u9=6 + 2))
    assert float(env.hp[0, 2]) == 44.5 and float(info["healed"][0, 9]) == 4.5
    assert abs(float(env.energy[0, 9]) - (50 - 1.5 + 0.28125)) < 1e-5
    assert r[0, 9] == 0 and info["team_reward"][0] == 0  # heals earn nothing
    e1 = float(env.energy[0, 9])
    env.step(act(u9=6 + 2))
    assert float(env.hp[0, 2]) == 45.0  # capped at max HP (only 0.5 healed)
    assert abs(float(env.energy[0, 9]) - (e1 - 0.5 / 3 + 0.28125)) < 1e-5
    assert not env.avail_actions()[0, 9, 6 + 2]  # full HP: heal masked
    # energy-limited heal: 1 energy heals 3 HP
    env = parked()
    place(env, u9=(10.0, 12.0), u2=(11.0, 12.0))
    hp, en = env.hp.clone(), env.energy.clone()
    hp[0, 2], en[0, 9] = 30.0, 1.0
    env.set_units(hp=hp, energy=en)
    env.step(act(u9=6 + 2))
    assert float(env.hp[0, 2]) == 33.0 and abs(float(env.energy[0, 9]) - 0.28125) < 1e-6


def test_dead_units_only_noop_and_zero_obs():
    env = parked()
    hp = env.hp.clone()
    hp[0, 3] = 0
    env.set_units(hp=hp)
    av = env.avail_actions()[0, 3]
    assert av[0] and av.sum() == 1
    assert env.avail_actions()[0, 4, 0] == 0  # the living cannot no-op
    assert env.observe()[0, 3].abs().sum() == 0
    with pytest.raises(ValueError):
        env.step(act(u3=STOP))
    env.step(act(u3=NOOP))
    assert env.hp[0, 3] == 0


def test_observation_and_state_layout():
    env = parked()
    place(env, u2=(10.0, 12.0), u13=(13.0, 12.0), u3=(10.0, 14.0))
    obs, st = env.observe()[0, 2], env.state()[0]
    e = 3
    f = obs[4 + 8 * e: 4 + 8 * (e + 1)]
    assert torch.allclose(f, torch.tensor([1, 3 / 9, 3 / 9, 0, 1, 0, 1, 0]))  # attackable, marine one-hot
    k = 2  # ally 3 is the third "other" ally of agent 2 (0, 1, 3, ...)
    g = obs[100 + 8 * k: 100 + 8 * (k + 1)]
    assert torch.allclose(g, torch.tensor([1, 2 / 9, 0, 2 / 9, 1, 0, 1, 0]))
    assert obs[4 + 8 * 0: 12].abs().sum() == 0  # enemy marauder 0 is out of sight
    assert torch.allclose(obs[172:], torch.tensor([1.0, 0, 1, 0]))
    assert torch.allclose(st[2 * 7: 3 * 7], torch.tensor([1, 0, (10 - 16) / 32, (12 - 16) / 32, 0, 1, 0]))
    assert torch.allclose(st[9 * 7 + 1], torch.tensor(50 / 200))  # medivac energy
    assert torch.allclose(st[70 + 6 * 3: 70 + 6 * 4], torch.tensor([1, (13 - 16) / 32, (12 - 16) / 32, 0, 1, 0]))
    assert st[142:].abs().sum() == 0
    env.step(act(u2=6 + 3))
    st = env.state()[0]
    assert st[142 + 2 * 18 + 9] == 1 and st[142 + 0 * 18 + 1] == 1 and st[142:].sum() == 10


def test_win_loss_frozen_and_reward_parts():
    # win: last enemy (a marine with 1 HP) killed by agent 2
    env = parked()
    place(env, u2=(10.0, 12.0), u13=(13.0, 12.0))
    hp = env.hp.clone()
    hp[0, 10:] = 0
    hp[0, 13] = 1.0
    env.set_units(hp=hp)
    _, r, done, info = env.step(act(u2=6 + 3))
    assert done[0] and info["won"][0] and not info["lost"][0]
    assert torch.allclose(r[0, 2], torch.tensor((1 + 10 + 20) / SCALE))
    assert torch.allclose(r[0, 5], torch.tensor(20 / SCALE))  # win bonus split over all 10
    assert torch.allclose(info["team_reward"][0], torch.tensor((1 + 10 + 200) / SCALE))
    assert info["killed"][0, 2] == 1 and info["killed"].sum() == 1
    before = env.state().clone()
    _, r, done, info = env.step(torch.zeros(1, 10, dtype=torch.long))  # frozen: anything goes, nothing changes
    assert done[0] and r.abs().sum() == 0 and info["team_reward"][0] == 0 and not info["won"][0]
    assert torch.equal(env.state()[:, :142], before[:, :142])
    # loss: the last allied marine dies; the allied Medivac alive does not matter (SMAC)
    env = parked()
    place(env, u2=(10.0, 12.0), u13=(13.0, 12.0))
    hp = env.hp.clone()
    hp[0, :9] = 0
    hp[0, 2] = 1.0
    env.set_units(hp=hp)
    _, r, done, info = env.step(act(u0=NOOP, u1=NOOP, u3=NOOP, u4=NOOP, u5=NOOP, u6=NOOP, u7=NOOP, u8=NOOP))
    assert done[0] and info["lost"][0] and not info["won"][0] and env.hp[0, 9] == 150


def test_overkill_and_killing_blow_credit():
    env = parked()
    place(env, u2=(10.0, 12.0), u3=(10.0, 12.5), u4=(10.0, 11.5), u13=(13.0, 12.0))
    hp = env.hp.clone()
    hp[0, 13] = 8.0  # two marine shots (6 + 6) kill it; agent 2 fires first (same frame, lower id)
    env.set_units(hp=hp)
    _, r, _, info = env.step(act(u2=6 + 3, u3=6 + 3, u4=6 + 3))
    assert info["damage_dealt"][0, 2:5].tolist() == [6, 2, 0]
    assert info["killed"][0, 2:5].tolist() == [0, 1, 0]
    assert env.hp[0, 13] == 0


def test_selfish_rewards_sum_to_team_reward_random_play():
    gen = torch.Generator().manual_seed(1)
    env = MMM2Env(32, generator=gen, jitter=0.3)
    env.reset()
    ret = torch.zeros(32)
    for _ in range(180):
        _, r, done, info = env.step(random_actions(env, gen))
        parts = info["damage_dealt"].sum(1) + 10 * info["killed"].sum(1) + 200 * info["won"].float()
        assert torch.allclose(r.sum(1), info["team_reward"], atol=1e-6)
        assert torch.allclose(info["team_reward"], parts / SCALE, atol=1e-6)
        assert (info["healed"][:, :9] == 0).all()
        ret += info["team_reward"]
        if done.all():
            break
    assert done.all()  # random vs scripted: every game ends within the 180-step limit
    assert (ret <= 20 + 1e-4).all() and (ret > 0).any()
    assert env.t.max() <= 180


def test_episode_limit_and_reset_done():
    env = parked(batch=2, episode_limit=3)
    for _ in range(3):
        _, _, done, info = env.step(torch.full((2, 10), STOP))
    assert done.all() and info["timeout"].all() and not info["won"].any()
    assert MMM2Env(1).episode_limit == 180
    # reset_done resets only finished games
    env = parked(batch=2)
    env.done = torch.tensor([True, False])
    pos1 = env.pos[1].clone()
    env.reset_done()
    assert torch.equal(env.pos[0], env.start_pos) and torch.equal(env.pos[1], pos1) and not env.done.any()


def test_random_game_ends_and_scripted_team_wins_against_random():
    gen = torch.Generator().manual_seed(0)
    env = MMM2Env(16, generator=gen)
    env.reset()
    for _ in range(180):
        _, _, done, _ = env.step(random_actions(env, gen))
        if done.all():
            break
    assert done.all() and not env.won.any()  # random agents lose to the attack-move AI


def test_determinism_given_generator():
    def run(seed, act_seed=7):
        env = MMM2Env(4, jitter=0.5, generator=torch.Generator().manual_seed(seed))
        g = torch.Generator().manual_seed(act_seed)
        out = [env.reset()]
        for _ in range(25):
            o, r, d, _ = env.step(random_actions(env, g))
            out += [o, r]
            if d.any():
                out.append(env.reset_done())
        return torch.cat([x.flatten() for x in out])
    a, b, c = run(3), run(3), run(4)
    assert torch.equal(a, b) and not torch.equal(a, c)
