"""Batched Harvest and Cleanup (mixedmotive.envs.harvest / cleanup / ssd).

Hand-built scenarios follow the reference's own tests (eugenevinitsky/
sequential_social_dilemma_games tests/test_envs.py) where it has one; the rest are
property checks over many games at once.
"""

import subprocess
import sys

import numpy as np
import pytest
import torch
from ssd_reference import reference_update_moves  # tests/ssd_reference.py, the oracle

from mixedmotive.envs.cleanup import CleanupEnv
from mixedmotive.envs.harvest import SPAWN_PROB, HarvestEnv
from mixedmotive.envs.ssd import CLEAN, FIRE, MOVE_DOWN, MOVE_LEFT, MOVE_RIGHT, MOVE_UP, STAY, TURN_CCW, TURN_CW
from mixedmotive.envs.ssd_maps import CLEANUP_MAP, CLEANUP_MAP_835DDB7, HARVEST_MAP

pytestmark = pytest.mark.usefixtures("one_thread")

UP, RIGHT, DOWN, LEFT = range(4)

# the reference's TEST_MAP_1 / BASE_MAP_2 with a spawn point (our reset needs one)
OPEN_7 = ["@@@@@@@", "@P    @", "@     @", "@     @", "@     @", "@     @", "@@@@@@@"]
MINI_HARVEST = ["@@@@@@", "@ P  @", "@  AA@", "@  AA@", "@  AP@", "@@@@@@"]
FIRING_CLEANUP = ["@@@@@@", "@    @", "@HHP @", "@RH  @", "@H P @", "@@@@@@"]
OPEN_13 = ["@" * 13] + ["@PPP" + " " * 8 + "@"] + ["@" + " " * 11 + "@"] * 10 + ["@" * 13]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def small(cls, ascii_map, n_agents, batch=1, **kw):
    kw.setdefault("view_radius", 2)
    env = cls(batch, n_agents=n_agents, T=10_000, generator=gen(), ascii_map=ascii_map, **kw)
    env.reset()
    return env


def place(env, rcs, orients):
    env.agent_rc = torch.tensor(rcs)
    env.orientation = torch.tensor(orients)


def act(env, *actions):
    return env.step(torch.tensor(actions).expand(env.batch, env.n_agents))


def beam_cells(env, game=0):
    """(row, col) cells covered by a penalty beam this step."""
    side = env.global_state()[game, env.global_channels.index("fire_beam")]
    return {tuple(rc) for rc in side.nonzero().tolist()}


# ---------------------------------------------------------------- maps and API
def test_reference_maps():
    assert (len(HARVEST_MAP), len(HARVEST_MAP[0])) == (16, 38)
    assert (len(CLEANUP_MAP), len(CLEANUP_MAP[0])) == (25, 18)
    count = lambda m, c: sum(r.count(c) for r in m)  # noqa: E731
    assert (count(HARVEST_MAP, "A"), count(HARVEST_MAP, "P")) == (155, 20)
    assert [count(CLEANUP_MAP, c) for c in "BHRSP"] == [103, 56, 63, 12, 10]  # the reference's master
    env = CleanupEnv(2, T=3, generator=gen())
    env.reset()
    assert env.potential_waste_area == 119  # the reference's test_parameters
    assert torch.allclose(env.waste_density(), torch.tensor(56 / 119))
    h = HarvestEnv(2, T=3, generator=gen())
    h.reset()
    assert torch.equal(h.apple_map, h.apple_cells.expand(2, -1, -1))  # full at reset
    assert not env.apple_map.any()  # the orchard starts empty (and stays so at density 0.47)


def stream_columns(ascii_map):
    return sorted({c for row in ascii_map for c, ch in enumerate(row) if ch == "S"})


def test_cleanup_maps_master_and_835ddb7():
    """Master's map has its stream in columns 7-12 and less waste at reset; 835ddb7's (an unmerged commit of the
    reference) has the stream in columns 1-6.  Both keep the orchard, the spawn points and the 119-cell river."""
    count = lambda m, c: sum(r.count(c) for r in m)  # noqa: E731
    assert stream_columns(CLEANUP_MAP) == list(range(7, 13))
    assert stream_columns(CLEANUP_MAP_835DDB7) == list(range(1, 7))
    assert [count(CLEANUP_MAP_835DDB7, c) for c in "BHRSP"] == [103, 70, 49, 12, 10]
    for a, b in zip(CLEANUP_MAP, CLEANUP_MAP_835DDB7, strict=True):
        assert [c for c in a if c in "BP@"] == [c for c in b if c in "BP@"] and a[13:] == b[13:]
    old = CleanupEnv(2, T=3, generator=gen(), ascii_map=CLEANUP_MAP_835DDB7)
    old.reset()
    assert torch.allclose(old.waste_density(), torch.tensor(70 / 119))


def test_cleanup_835ddb7_is_a_game_of_the_ssd_experiment():
    from mixedmotive.tasks.ssd import SSDTask

    cfg = {"batch": 2, "n_agents": 5, "T": 3, "harvest_regrowth_window": 5}
    task = SSDTask("cleanup_835ddb7", cfg, 0, "cpu")
    task.reset()
    assert torch.allclose(task.env.waste_density(), torch.tensor(70 / 119))
    assert stream_columns(task.env.ascii_map) == list(range(1, 7))


@pytest.mark.parametrize("cls,n_actions,channels", [(HarvestEnv, 8, 5), (CleanupEnv, 9, 9)])
def test_api_shapes_and_done_after_T(cls, n_actions, channels):
    env = cls(3, n_agents=5, T=4, generator=gen())
    with pytest.raises(RuntimeError):
        env.step(torch.zeros(3, 5, dtype=torch.long))
    obs = env.reset()
    assert obs.shape == (3, 5, channels, 15, 15) and obs.dtype == torch.float32
    assert env.n_actions == n_actions and len(env.obs_channels) == channels
    assert env.global_state().shape == (3, len(env.global_channels), env.H, env.W)
    for t in range(4):
        obs, rewards, done, info = env.step(torch.randint(n_actions, (3, 5), generator=gen(t)))
        assert done == (t == 3)
        assert obs.shape == (3, 5, channels, 15, 15) and rewards.shape == (3, 5)
        for key in ("apples", "fired", "hit") + (("cleaned",) if cls is CleanupEnv else ()):
            assert info[key].shape == (3, 5)
    with pytest.raises(RuntimeError):
        env.step(torch.zeros(3, 5, dtype=torch.long))
    env.reset()
    with pytest.raises(ValueError):
        env.step(torch.full((3, 5), n_actions))
    with pytest.raises(ValueError):
        env.step(torch.zeros(3, 4, dtype=torch.long))


@pytest.mark.parametrize("cls", [HarvestEnv, CleanupEnv])
def test_deterministic_given_generator(cls):
    def run(seed):
        env = cls(4, T=30, generator=gen(seed))
        out = [env.reset()]
        acts = torch.randint(env.n_actions, (30, 4, 5), generator=gen(99))
        for a in acts:
            obs, r, _, info = env.step(a)
            out += [obs, r, info["hit"]]
        return out

    a, b, c = run(1), run(1), run(2)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


# ---------------------------------------------------------------- moves and turns
def test_relative_moves_and_turns_by_hand():
    """The reference's TestMapEnv.test_agent_actions, step by step."""
    env = small(HarvestEnv, OPEN_7, 1)
    place(env, [[[2, 2]]], [[LEFT]])
    script = [  # (orientation to set or None, action, expected cell)
        (None, MOVE_LEFT, (3, 2)), (None, MOVE_RIGHT, (2, 2)), (None, MOVE_UP, (2, 1)), (None, MOVE_DOWN, (2, 2)),
        (UP, MOVE_LEFT, (2, 1)), (None, MOVE_RIGHT, (2, 2)), (None, MOVE_UP, (1, 2)), (None, MOVE_DOWN, (2, 2)),
        (DOWN, MOVE_LEFT, (2, 3)), (None, MOVE_RIGHT, (2, 2)), (None, MOVE_UP, (3, 2)), (None, MOVE_DOWN, (2, 2)),
        (RIGHT, MOVE_LEFT, (1, 2)), (None, MOVE_RIGHT, (2, 2)), (None, MOVE_UP, (2, 3)), (None, MOVE_DOWN, (2, 2)),
        (None, STAY, (2, 2)), (None, FIRE, (2, 2)),
    ]
    for orient, action, cell in script:
        if orient is not None:
            env.orientation = torch.tensor([[orient]])
        act(env, action)
        assert tuple(env.agent_rc[0, 0].tolist()) == cell, (orient, action)
    # walls: corners and edges hold the agent in place
    place(env, [[[1, 1]]], [[UP]])
    for action in (MOVE_UP, MOVE_LEFT):
        act(env, action)
        assert env.agent_rc[0, 0].tolist() == [1, 1]
    place(env, [[[4, 4]]], [[UP]])
    for action in (MOVE_RIGHT, MOVE_DOWN, MOVE_RIGHT, MOVE_DOWN):
        act(env, action)
    assert env.agent_rc[0, 0].tolist() == [5, 5]
    # turning: clockwise up -> right -> down -> left -> up, counter-clockwise the reverse
    env.orientation = torch.tensor([[UP]])
    for action, seq in ((TURN_CW, [RIGHT, DOWN, LEFT, UP]), (TURN_CCW, [LEFT, DOWN, RIGHT, UP])):
        for expected in seq:
            act(env, action)
            assert env.orientation[0, 0] == expected
            assert env.agent_rc[0, 0].tolist() == [5, 5]  # turning does not move


# ---------------------------------------------------------------- movement conflicts
def test_conflicts_by_hand():
    """The reference's TestMapEnv.test_agent_conflict scenarios (BASE_MAP_2, 4 x 4 inside)."""
    B = 4000
    env = small(HarvestEnv, ["@@@@@@", "@ P  @", "@ P  @", "@ P  @", "@  PP@", "@@@@@@"], 4, batch=B)
    def run(rcs, orients, actions):
        place(env, [rcs], [orients])
        act(env, *actions)
        return env.agent_rc

    # cannot walk into an agent that stays; cannot swap
    rc = run([[3, 3], [3, 4], [1, 1], [1, 4]], [UP] * 4, [MOVE_RIGHT, STAY, STAY, STAY])
    assert (rc[:, 0] == torch.tensor([3, 3])).all()
    rc = run([[3, 3], [3, 4], [1, 1], [1, 4]], [UP] * 4, [MOVE_RIGHT, MOVE_LEFT, STAY, STAY])
    assert (rc[:, 0] == torch.tensor([3, 3])).all() and (rc[:, 1] == torch.tensor([3, 4])).all()
    # moving into a cell its holder leaves works (chain)
    rc = run([[3, 3], [3, 4], [1, 1], [1, 4]], [UP] * 4, [MOVE_RIGHT, MOVE_UP, STAY, STAY])
    assert (rc[:, 0] == torch.tensor([3, 4])).all() and (rc[:, 1] == torch.tensor([2, 4])).all()
    # two (three) agents wanting one cell: a uniformly random one gets it, the others stay
    for movers in (2, 3):
        starts = [[3, 2], [3, 4], [2, 3]][:movers] + [[1, 1], [1, 4]][: 4 - movers]
        moves = [MOVE_RIGHT, MOVE_LEFT, MOVE_DOWN][:movers] + [STAY] * (4 - movers)
        rc = run(starts, [UP] * 4, moves)
        won = torch.stack([(rc[:, i] == torch.tensor([3, 3])).all(1) for i in range(movers)], 1)
        assert (won.sum(1) == 1).all()
        for i in range(movers):
            assert (rc[~won[:, i], i] == torch.tensor(starts[i])).all()
            share = won[:, i].float().mean().item()
            assert abs(share - 1 / movers) < 5 * (1 / movers / B) ** 0.5
    # moving into the cell of an agent that contests another cell: succeeds iff it won
    rc = run([[3, 4], [2, 2], [3, 2], [1, 4]], [UP] * 4, [MOVE_LEFT, MOVE_DOWN, MOVE_RIGHT, STAY])
    won = (rc[:, 2] == torch.tensor([3, 3])).all(1)  # agent 2 won (3, 3), so (3, 2) is free
    assert ((rc[:, 1] == torch.tensor([3, 2])).all(1) == won).all()
    assert 0.45 < won.float().mean() < 0.55
    # a contested cell whose holder swaps with a contender: nobody moves
    start = [[3, 2], [2, 3], [2, 2], [3, 3]]
    rc = run(start, [UP] * 4, [MOVE_UP, MOVE_DOWN, MOVE_DOWN, MOVE_LEFT])
    assert (rc == torch.tensor(start)).all()
    # ... and if the holder leaves for a free cell, one contender gets it
    rc = run([[3, 2], [4, 4], [2, 2], [3, 3]], [UP] * 4, [MOVE_DOWN, STAY, MOVE_DOWN, MOVE_LEFT])
    assert (rc[:, 0] == torch.tensor([4, 2])).all()
    got = (rc[:, [2, 3]] == torch.tensor([3, 2])).all(2)
    assert (got.sum(1) == 1).all() and 0.45 < got[:, 0].float().mean() < 0.55
    # four agents rotating round a 2 x 2 square: everybody moves
    rc = run([[3, 2], [2, 3], [2, 2], [3, 3]], [UP] * 4, [MOVE_UP, MOVE_DOWN, MOVE_RIGHT, MOVE_LEFT])
    assert (rc == torch.tensor([[2, 2], [3, 3], [2, 3], [3, 2]])).all()
    # moving into a wall is staying, and the conflict logic copes with it
    rc = run([[2, 1], [1, 1], [4, 4], [3, 3]], [UP] * 4, [MOVE_UP, MOVE_LEFT, STAY, STAY])
    assert (rc == torch.tensor([[2, 1], [1, 1], [4, 4], [3, 3]])).all()




def test_moves_match_a_port_of_the_reference_loop():
    """Random crowded configurations: the vectorised resolution gives the reference's
    result wherever the reference does not put two agents on one cell (its bug)."""
    B, n = 3000, 5
    m = ["@@@@@@", "@PPPP@", "@P   @", "@    @", "@    @", "@@@@@@"]
    env = small(HarvestEnv, m, n, batch=B)
    g = gen(11)
    cells = torch.tensor([[r, c] for r in range(1, 5) for c in range(1, 5)])
    rc = cells[torch.rand(B, 16, generator=g).argsort(1)[:, :n]]
    env.agent_rc = rc
    env.orientation = torch.randint(4, (B, n), generator=g)
    actions = torch.randint(0, 6, (B, n), generator=g)  # moves, stay, a turn
    key = torch.add(actions, env.orientation, alpha=env.n_actions).add_(env._pos, alpha=4 * env.n_actions)
    target = torch.take(env._target_table, key)
    prio = torch.rand(B, n, generator=g, dtype=torch.float64)
    env._rand = lambda *shape, dtype=None: prio
    new = env._resolve_moves(env._pos, target)
    new_rc = torch.stack([new // env.W, new % env.W], -1).tolist()
    t_rc = torch.stack([target // env.W, target % env.W], -1).tolist()
    order = prio.argsort(1, descending=True).tolist()
    same = bug = 0
    for b in range(B):
        ref = reference_update_moves([tuple(x) for x in rc[b].tolist()], [tuple(x) for x in t_rc[b]], order[b])
        if len(set(ref)) < n:
            bug += 1
            continue
        assert ref == [tuple(x) for x in new_rc[b]], b
        same += 1
    assert same > 0.95 * B and (env.agent_rc.shape[0] == B)


@pytest.mark.parametrize("cls,B", [(HarvestEnv, 32), (CleanupEnv, 32), (HarvestEnv, 4)])  # 4: small-batch path
def test_agents_never_share_a_cell(cls, B):
    env = cls(B, T=150, generator=gen(3))
    env.reset()
    walls = env.wall_map
    # mostly moves, so that agents bump into each other a lot
    probs = torch.tensor([0.2, 0.2, 0.2, 0.2, 0.02, 0.08, 0.08, 0.02] + ([0.0] if cls is CleanupEnv else []))
    prev = env.agent_rc
    for t in range(150):
        a = torch.multinomial(probs, B * 5, replacement=True, generator=gen(t)).view(B, 5)
        env.step(a)
        rc = env.agent_rc
        flat = rc[..., 0] * env.W + rc[..., 1]
        assert (flat.sort(1).values.diff(dim=1) > 0).all()
        assert not walls[rc[..., 0], rc[..., 1]].any()
        assert ((rc - prev).abs().sum(-1) <= 1).all()  # one cell at most
        moved = (rc != prev).any(-1)
        assert not (moved & (a > MOVE_DOWN)).any()  # only moves move
        occ = env.global_state()[:, len(env.global_channels) - 4 - 5:len(env.global_channels) - 4]
        assert (occ.sum((2, 3)) == 1).all()
        prev = rc


# ---------------------------------------------------------------- eating, beams, rewards
def test_eating_firing_and_hit_rewards():
    """The reference's TestHarvestEnv.test_agent_rewards."""
    env = small(HarvestEnv, MINI_HARVEST, 2)
    place(env, [[[2, 2], [3, 2]]], [[UP, UP]])
    _, r, _, info = act(env, MOVE_RIGHT, MOVE_RIGHT)
    assert r.tolist() == [[1.0, 1.0]] and info["apples"].tolist() == [[1, 1]]
    assert not env.apple_map[0, 2, 3] and not env.apple_map[0, 3, 3]
    _, r, _, info = env.step(torch.tensor([[STAY, FIRE]]))
    assert r.tolist() == [[-50.0, -1.0]]
    assert info["fired"].tolist() == [[False, True]] and info["hit"].tolist() == [[True, False]]
    # two agents firing at each other: -1 - 50 each; nobody is removed or frozen
    place(env, [[[1, 1], [1, 4]]], [[RIGHT, LEFT]])
    _, r, _, info = act(env, FIRE, FIRE)
    assert r.tolist() == [[-51.0, -51.0]] and info["hit"].all()
    assert env.agent_rc.tolist() == [[[1, 1], [1, 4]]]
    act(env, MOVE_DOWN, MOVE_DOWN)
    assert env.agent_rc.tolist() == [[[1, 1], [1, 4]]]  # facing the walls


def test_beam_shape_walls_and_absorption():
    """The reference's test_firing_range (13 x 13 open map) and test_beam_conflict."""
    env = small(HarvestEnv, OPEN_13, 1)
    place(env, [[[6, 6]]], [[UP]])
    act(env, FIRE)
    expect = {(r, 6) for r in range(1, 6)} | {(r, c) for r in range(2, 7) for c in (5, 7)}
    assert beam_cells(env) == expect
    env.orientation = torch.tensor([[DOWN]])
    act(env, FIRE)
    assert beam_cells(env) == {(r, 6) for r in range(7, 12)} | {(r, c) for r in range(6, 11) for c in (5, 7)}
    env.orientation = torch.tensor([[RIGHT]])
    act(env, FIRE)  # the central line reaches the wall column 12 and stops before it
    assert beam_cells(env) == {(6, c) for c in range(7, 12)} | {(r, c) for c in range(6, 11) for r in (5, 7)}
    place(env, [[[6, 2]]], [[LEFT]])
    act(env, FIRE)  # one cell to the wall
    assert beam_cells(env) == {(6, 1), (5, 2), (5, 1), (7, 2), (7, 1)}
    # beam_conflict: agent 1 at (4, 4) facing left; agent 0 at (4, 2) absorbs the centre line
    env = small(HarvestEnv, MINI_HARVEST, 2)
    place(env, [[[4, 2], [4, 4]]], [[UP, LEFT]])
    _, r, _, _ = act(env, STAY, FIRE)
    assert beam_cells(env) == {(4, 3), (4, 2), (3, 4), (3, 3), (3, 2), (3, 1)}
    assert r.tolist() == [[-50.0, -1.0]]
    assert env.apple_map[0, 3, 3] and env.apple_map[0, 3, 4]  # beams do not touch apples
    # an agent behind the absorbing one is safe
    env = small(HarvestEnv, OPEN_13, 3)
    place(env, [[[6, 6], [4, 6], [3, 6]]], [[UP, UP, UP]])
    _, r, _, _ = act(env, FIRE, STAY, STAY)
    assert r.tolist() == [[-1.0, -50.0, 0.0]]
    # two firers hitting one agent: -50 each
    place(env, [[[6, 4], [6, 6], [6, 8]]], [[RIGHT, UP, LEFT]])
    _, r, _, _ = act(env, FIRE, STAY, FIRE)
    assert r.tolist() == [[-1.0, -100.0, -1.0]]


def test_cleaning_beam():
    """The reference's TestCleanupEnv.test_cleanup_beam / test_firing_beam (FIRING_CLEANUP_MAP)."""
    env = small(CleanupEnv, FIRING_CLEANUP, 2)
    waste0 = env.waste_map.clone()
    place(env, [[[3, 3], [4, 2]]], [[LEFT, UP]])
    _, r, _, info = act(env, FIRE, STAY)  # fire: not blocked by waste, cleans nothing
    assert beam_cells(env) == {(2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (4, 2), (4, 3)}
    assert r.tolist() == [[-1.0, -50.0]] and torch.equal(env.waste_map, waste0)
    _, r, _, info = act(env, CLEAN, STAY)
    clean = env.global_state()[0, env.global_channels.index("clean_beam")]
    assert {tuple(x) for x in clean.nonzero().tolist()} == {(2, 2), (2, 3), (3, 2), (4, 2), (4, 3)}
    assert r.tolist() == [[0.0, 0.0]] and info["cleaned"].tolist() == [[2, 0]] and not info["hit"].any()
    w = env.waste_map[0]
    assert not w[2, 2] and not w[3, 2] and w[2, 1] and w[4, 1]  # stopped at the first waste
    river = env.global_state()[0, env.global_channels.index("river")]
    assert river[2, 2] == 1 and river[3, 2] == 1 and river[2, 1] == 0
    # waste under an agent is cleaned (and the agent absorbs the line); the right flank
    # of an agent facing down runs down column 1 and stops at the waste in (2, 1)
    env.waste_map = waste0
    place(env, [[[1, 2], [2, 2]]], [[DOWN, UP]])
    _, _, _, info = act(env, CLEAN, STAY)
    w = env.waste_map[0]
    assert not w[2, 2] and not w[2, 1] and w[3, 2] and w[4, 1] and info["cleaned"].tolist() == [[2, 0]]


def test_cleaning_beams_add_up_in_random_order():
    """One agent's beam cleans waste that blocks the other's line; which goes first is
    uniformly random (the reference shuffles the agents before the beams)."""
    m = ["@@@@@@@@@", "@P      @", "@RRRRR  @", "@       @", "@   P   @", "@@@@@@@@@"]
    B = 2000
    env = small(CleanupEnv, m, 2, batch=B)
    w = torch.zeros(6, 9, dtype=torch.bool)
    w[2, 4] = w[2, 2] = True  # W1 in front of agent 1, W2 behind it
    env.waste_map = w
    place(env, [[[4, 4], [2, 6]]] * B, [[UP, LEFT]] * B)
    _, r, _, info = act(env, CLEAN, CLEAN)
    cleaned = info["cleaned"]
    assert (r == 0).all() and (cleaned[:, 1] == 1).all()
    first = cleaned[:, 0] == 1  # agent 0 went first: agent 1's line passed W1 and cleaned W2
    assert 0.45 < first.float().mean() < 0.55


def test_cleanup_spawning_rules():
    """Density thresholds, the apple ramp and the one-waste-cell-per-step rule."""
    m = ["@@@@@@@@", "@P  RRR@", "@BB  BB@", "@@@@@@@@"]
    B = 20000
    env = small(CleanupEnv, m, 1, batch=B, view_radius=1, beam_length=1)
    assert env.potential_waste_area == 3
    cases = [(0, 0.05, 1 - 0.5 ** 3), (1, 0.05 * (1 - (1 / 3) / 0.4), 1 - 0.5 ** 2), (2, 0.0, 0.0), (3, 0.0, 0.0)]
    for n_waste, p_apple, p_waste in cases:
        w = torch.zeros(4, 8, dtype=torch.bool)
        w[1, 4:4 + n_waste] = True
        env.waste_map = w
        env.apple_map = torch.zeros(4, 8, dtype=torch.bool)
        _, _, _, info = act(env, STAY)
        assert torch.allclose(info["waste_density"], torch.tensor(n_waste / 3))
        new = env.waste_map.sum((1, 2)) - n_waste
        assert ((new == 0) | (new == 1)).all()  # at most one waste cell per step
        apple_density = env.apple_map.float().mean((0,)).sum() / 4
        for p, got, n in ((p_waste, new.float().mean(), B), (p_apple, apple_density, 4 * B)):
            assert abs(got - p) <= 5 * (p * (1 - p) / n) ** 0.5 + 1e-9, (n_waste, p, got)
        if n_waste == 0:  # the new waste cell is uniform over the clean river
            where = env.waste_map[:, 1, 4:7].float().mean(0) / new.float().mean()
            assert (where - 1 / 3).abs().max() < 0.03
    # waste may appear under an agent, apples never do
    env.waste_map = torch.zeros(4, 8, dtype=torch.bool)
    env.agent_rc = torch.tensor([[[1, 4]]])
    env.apple_map = torch.zeros(4, 8, dtype=torch.bool)
    act(env, STAY)
    assert env.waste_map[:, 1, 4].any()
    env.agent_rc = torch.tensor([[[2, 1]]])
    for _ in range(3):
        act(env, STAY)
    assert not env.apple_map[:, 2, 1].any() and env.apple_map[:, 2, 2].any()


def test_pollution_above_threshold_stops_apples_on_the_real_map():
    env = CleanupEnv(16, T=60, generator=gen(5))
    env.reset()  # density 56/119 >= 0.4
    for _ in range(60):
        _, _, _, info = env.step(torch.full((16, 5), STAY))
        assert not env.apple_map.any()
        assert torch.allclose(info["waste_density"], torch.tensor(56 / 119))  # no waste spawns either
    env.reset()
    env.waste_map = torch.zeros(25, 18, dtype=torch.bool)  # cleaned river: apples and waste grow
    before = 0
    for t in range(20):
        env.step(torch.full((16, 5), CLEAN if t % 2 else STAY))
        n = env.waste_map.sum((1, 2))
        assert (n - before <= 1).all()
        before = n
    assert env.apple_map.any() and (before > 0).any()


# ---------------------------------------------------------------- regrowth
PROBE_MAP = [
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@P                             @",
    "@  A    AA    AA    AAA    A   @",
    "@             A     AA    A A  @",
    "@                              @",
    "@                              @",
    "@   AAA     A A    A A         @",
    "@   AAA      A                 @",
    "@   A A     A A      A         @",
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
]
# probe cells (kept empty); every other apple cell holds an apple.  Neighbour counts:
# 5 x 5 window 0, 1, 2, 4, 2, 7, 4, 2; 3 x 3 window 0, 1, 2, 3, 2, 7, 4, 0
PROBES = [(2, 3), (2, 8), (2, 14), (2, 20), (2, 27), (7, 5), (7, 13), (6, 19)]


def brute_counts(window):
    w = window // 2
    out = []
    for r, c in PROBES:
        near = [(rr, cc) for rr in range(r - w, r + w + 1) for cc in range(c - w, c + w + 1)
                if 0 <= rr < len(PROBE_MAP) and 0 <= cc < len(PROBE_MAP[0])]
        out.append(sum(PROBE_MAP[rr][cc] == "A" and (rr, cc) not in PROBES for rr, cc in near))
    return out


@pytest.mark.parametrize("window", [5, 3])
def test_regrowth_probabilities_match_the_table(window):
    counts = brute_counts(window)
    assert counts == ([0, 1, 2, 4, 2, 7, 4, 2] if window == 5 else [0, 1, 2, 3, 2, 7, 4, 0])
    B, reps = 4000, 8
    env = small(HarvestEnv, PROBE_MAP, 1, batch=B, view_radius=1, beam_length=1, regrowth_window=window)
    full = env.apple_cells.clone()
    for r, c in PROBES:
        full[r, c] = False
    grown = torch.zeros(len(PROBES))
    for _ in range(reps):
        env.apple_map = full
        act(env, STAY)
        grown += torch.stack([env.apple_map[:, r, c].float().sum() for r, c in PROBES])
        assert (env.apple_map & ~env.apple_cells).sum() == 0
    n = B * reps
    for k, g in zip(counts, grown.tolist(), strict=True):
        p = SPAWN_PROB[min(k, 3)]
        if p == 0:
            assert g == 0
        else:
            assert abs(g / n - p) < 5 * (p * (1 - p) / n) ** 0.5, (window, k, g / n, p)
    # the env's own counts agree with the brute-force ones
    env.apple_map = full
    counts_env = env.neighbour_counts()[0]
    index = {tuple(rc): i for i, rc in enumerate(env.apple_cells.nonzero().tolist())}
    assert [int(counts_env[index[p]]) for p in PROBES] == counts


def test_depleted_patch_never_regrows_and_apples_stay_on_apple_cells():
    env = HarvestEnv(8, T=400, generator=gen(7))
    env.reset()
    cells = env.apple_cells
    for t in range(200):
        env.step(torch.randint(8, (8, 5), generator=gen(t)))
        assert not (env.apple_map & ~cells).any()
    env.apple_map = torch.zeros_like(cells)
    for t in range(50):
        env.step(torch.randint(8, (8, 5), generator=gen(t)))
    assert not env.apple_map.any()
    env = CleanupEnv(8, T=100, generator=gen(8))
    env.reset()
    env.waste_map = torch.zeros(25, 18, dtype=torch.bool)
    for t in range(100):
        env.step(torch.randint(9, (8, 5), generator=gen(t)))
        assert not (env.apple_map & ~env.apple_cells).any()
        assert not (env.waste_map & ~env.waste_area).any()


# ---------------------------------------------------------------- observations
def reference_window(ascii_map, env, game, agent, view):
    """The agent's (view x view) unrotated window of symbols, padded with walls (numpy)."""
    v = view // 2
    grid = np.full((env.H + 2 * v, env.W + 2 * v), "@")
    apples = env.apple_map[game].numpy()
    for r in range(env.H):
        for c in range(env.W):
            ch = ascii_map[r][c]
            grid[r + v, c + v] = "A" if apples[r, c] else ("@" if ch == "@" else " ")
    for i, (r, c) in enumerate(env.agent_rc[game].tolist()):
        grid[r + v, c + v] = "S" if i == agent else "O"
    r, c = env.agent_rc[game, agent].tolist()
    return grid[r:r + view, c:c + view]


@pytest.mark.parametrize("rotation", ["facing_up", "reference"])
def test_observation_window_and_rotation(rotation):
    m = ["@@@@@@@@@", "@P  A   @", "@  A    @", "@P    A @", "@@@@@@@@@"]
    env = small(HarvestEnv, m, 2, view_radius=3, view_rotation=rotation)
    env.apple_map = env.apple_cells
    # np.rot90 turns counter-clockwise; facing right needs the right side on top
    turns = {UP: 0, RIGHT: 1, DOWN: 2, LEFT: 3} if rotation == "facing_up" else {UP: 0, LEFT: 1, DOWN: 2, RIGHT: 3}
    for o in range(4):
        place(env, [[[2, 4], [3, 2]]], [[o, UP]])
        obs = env.observe()[0, 0]
        sym = np.rot90(reference_window(m, env, 0, 0, 7), k=turns[o])
        ch = env.obs_channels
        for name, s in (("wall", "@"), ("apple", "A"), ("others", "O"), ("self", "S")):
            assert np.array_equal(obs[ch.index(name)].numpy(), (sym == s).astype(np.float32)), (o, name)
    if rotation == "facing_up":  # by hand: agent 0 at (2, 4) facing right (east)
        place(env, [[[2, 4], [3, 2]]], [[RIGHT, UP]])
        obs = env.observe()[0, 0]
        apple, others, wall = (obs[env.obs_channels.index(c)] for c in ("apple", "others", "wall"))
        assert obs[env.obs_channels.index("self")][3, 3] == 1 and others[3, 3] == 0
        # apples (1, 4) on its left, (2, 3) one behind, (3, 6) two ahead and one to the right
        assert apple.nonzero().tolist() == [[1, 4], [3, 2], [4, 3]]
        assert others.nonzero().tolist() == [[5, 4]]  # agent 1: two behind, one to the right
        # map rows 0 and 4 are walls, rows -1 and 5 lie outside: view columns 0, 1, 5, 6
        assert wall[:, [0, 1, 5, 6]].all() and not wall[:, 2:5].any()


def test_observation_beams_and_cleanup_channels():
    env = small(CleanupEnv, FIRING_CLEANUP, 2)
    place(env, [[[3, 3], [4, 2]]], [[LEFT, UP]])
    obs, _, _, _ = act(env, CLEAN, STAY)
    ch = env.obs_channels
    g = env.global_state()[0]
    # agent 0 faces left: its view row 2 - i, column 2 + j shows the cell i ahead, j to its right
    for name in ("waste", "river", "stream", "clean_beam", "wall"):
        plane = g[env.global_channels.index(name)] if name != "wall" else env.wall_map.float()
        for i in range(-2, 3):
            for j in range(-2, 3):
                r, c = 3 - j, 3 - i  # facing left: ahead is column - 1, right is row - 1
                inside = 0 <= r < env.H and 0 <= c < env.W
                want = plane[r, c].item() if inside else float(name == "wall")
                assert obs[0, 0, ch.index(name), 2 - i, 2 + j] == want, (name, i, j)


def test_global_state_channels():
    env = HarvestEnv(2, n_agents=3, T=5, generator=gen())
    env.reset()
    g = env.global_state()
    names = env.global_channels
    assert names[:3] == ("wall", "apple", "fire_beam")
    for i in range(3):
        plane = g[:, names.index(f"agent_{i}")]
        rc = env.agent_rc[:, i]
        assert (plane.sum((1, 2)) == 1).all() and (plane[torch.arange(2), rc[:, 0], rc[:, 1]] == 1).all()
    facing = g[:, -4:].sum(1)
    assert torch.equal(facing, g[:, 3:6].sum(1))
    assert torch.equal(g[:, 0], env.wall_map.float().expand(2, -1, -1))


# ---------------------------------------------------------------- PettingZoo
def test_ssd_needs_no_pettingzoo():
    code = ("import sys; sys.modules['pettingzoo'] = None\n"
            "import mixedmotive.envs.harvest, mixedmotive.envs.cleanup\n"
            "from mixedmotive.envs import ssd_pettingzoo\n"
            "try:\n    ssd_pettingzoo.HarvestParallelEnv()\n"
            "except ImportError as e:\n    assert 'pip install pettingzoo' in str(e), e\n"
            "else:\n    raise SystemExit('no ImportError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pettingzoo_parallel_api_test():
    pytest.importorskip("pettingzoo")
    from pettingzoo.test import parallel_api_test

    from mixedmotive.envs.ssd_pettingzoo import cleanup_parallel_env, harvest_parallel_env
    for make in (harvest_parallel_env, cleanup_parallel_env):
        env = make(n_agents=3, T=6)
        parallel_api_test(env, num_cycles=10)
        obs, _ = env.reset(seed=1)
        assert env.observation_space("player_0").contains(obs["player_0"])
        assert env.state().shape == env.state_space.shape
        out1 = env.step({a: 7 for a in env.agents})
        env.reset(seed=1)
        out2 = env.step({a: 7 for a in env.agents})
        assert out1[1] == out2[1] and set(out1[4]["player_0"]) >= {"apples", "fired", "hit"}
