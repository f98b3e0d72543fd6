"""Tests of the batched Coins game (``mixedmotive.envs.coins``) and its PettingZoo adapter.

Hand facts (3 x 3 grid, cell = 3 * row + column, actions 0 right, 1 left, 2 down, 3 up, 4 stay):
* right from 2 wraps to 0, left from 3 wraps to 5, down from 7 wraps to 1, up from 1 wraps to 7;
* N = 2: taking the other's coin gives (taker +1, owner -2); taking your own coin (+1, 0);
  both on coin 0: each +1, the owner loses 2 for the other one only, so (-1, +1);
  agent 0 alone on both coins: +2 for itself and -2 for agent 1, so (+2, -2);
* N = 3: the owner loses 3/2 per other agent on its coin.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from mixedmotive.envs import coins
from mixedmotive.envs.coins import ACTION_NAMES, MOVES, OBS_ORDERS, CoinGame, channel_order, owner_penalty, reward_table

R, L, D, U, S = range(5)
#: hand-derived next cell on the 3 x 3 torus, rows = cell 0..8, columns = right, left, down, up, stay
WRAP3 = [
    [1, 2, 3, 6, 0],
    [2, 0, 4, 7, 1],
    [0, 1, 5, 8, 2],
    [4, 5, 6, 0, 3],
    [5, 3, 7, 1, 4],
    [3, 4, 8, 2, 5],
    [7, 8, 0, 3, 6],
    [8, 6, 1, 4, 7],
    [6, 7, 2, 5, 8],
]


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def placed(agents, coins_, T: int = 32) -> CoinGame:
    """Games (batch = len(agents)) with hand-set cells."""
    agents, coins_ = torch.as_tensor(agents), torch.as_tensor(coins_)
    env = CoinGame(agents.shape[0], n_agents=agents.shape[1], T=T, generator=gen(0))
    env.reset()
    env.agents, env.coins = agents, coins_
    return env


class Reference:
    """The rules written out plainly (one-hot by ``F.one_hot``, moves by row/column
    arithmetic), drawing random cells in the same order as ``CoinGame``."""

    def __init__(self, batch, n_agents, grid, obs_order, generator):
        self.b, self.n, self.g, self.gen = batch, n_agents, grid, generator
        self.order = torch.tensor(channel_order(n_agents, obs_order))

    def observe(self):
        glob = torch.nn.functional.one_hot(torch.cat([self.agents, self.coins], 1), self.g ** 2).float()
        return glob[:, self.order].view(self.b, self.n, 2 * self.n, self.g, self.g)

    def reset(self):
        cells = torch.randint(self.g ** 2, (self.b, 2 * self.n), generator=self.gen)
        self.agents, self.coins = cells[:, :self.n], cells[:, self.n:]
        return self.observe()

    def step(self, actions):
        d = torch.tensor(MOVES)[actions]
        row, col = self.agents // self.g, self.agents % self.g
        self.agents = (row + d[..., 0]) % self.g * self.g + (col + d[..., 1]) % self.g
        collected = self.agents[:, :, None] == self.coins[:, None, :]
        hits = collected.float()
        other = ~torch.eye(self.n, dtype=torch.bool)
        rewards = hits.sum(2) - owner_penalty(self.n) * (hits * other).sum(1)
        draws = torch.randint(self.g ** 2, (self.b, self.n), generator=self.gen)
        self.coins = torch.where(collected.any(1), draws, self.coins)
        return self.observe(), rewards, collected, torch.cat([self.agents, self.coins], 1)


def rollout(env: CoinGame, seed: int):
    """Reset and step with random actions; yields (previous state, actions, step output)."""
    g = gen(seed)
    env.reset()
    for _ in range(env.T):
        prev = env.state.clone()
        actions = torch.randint(0, 5, (env.batch, env.n_agents), generator=g)
        yield prev, actions, env.step(actions)


# ---------------------------------------------------------------------- rules vs a plain reference
@pytest.mark.parametrize("n,grid", [(2, 3), (3, 3), (2, 4), (3, 2)])
@pytest.mark.parametrize("order", OBS_ORDERS)
def test_matches_plain_reference_bit_for_bit(n, grid, order):
    env = CoinGame(257, n_agents=n, grid=grid, T=40, obs_order=order, generator=gen(1))
    ref = Reference(257, n, grid, order, gen(1))
    assert torch.equal(env.reset(), ref.reset())
    g = gen(2)
    for _ in range(40):
        a = torch.randint(0, 5, (257, n), generator=g)
        obs, rew, _, info = env.step(a)
        r_obs, r_rew, r_col, r_state = ref.step(a)
        assert torch.equal(obs, r_obs) and torch.equal(rew, r_rew)
        assert torch.equal(info["collected"], r_col) and torch.equal(info["state"], r_state)


def test_tabulated_and_direct_paths_agree(monkeypatch):
    fast = CoinGame(300, T=32, generator=gen(3))
    monkeypatch.setattr(coins, "_TABLE_POSITIONS", 0)
    direct = CoinGame(300, T=32, generator=gen(3))
    assert fast._tabulated and not direct._tabulated
    assert torch.equal(fast.reset(), direct.reset())
    g = gen(4)
    for _ in range(32):
        a = torch.randint(0, 5, (300, 2), generator=g)
        out_f, out_d = fast.step(a), direct.step(a)
        for x, y in zip(out_f[:2] + (out_f[3]["collected"], out_f[3]["state"]),
                        out_d[:2] + (out_d[3]["collected"], out_d[3]["state"]), strict=True):
            assert torch.equal(x, y)


# ---------------------------------------------------------------------- rewards
@pytest.mark.parametrize("n", [2, 3])
def test_reward_accounting(n):
    pen = owner_penalty(n)
    other = ~torch.eye(n, dtype=torch.bool)
    env = CoinGame(512, n_agents=n, T=32, generator=gen(10 + n))
    pickups_seen = foreign_seen = 0
    for prev, actions, (_, rew, _, info) in rollout(env, seed=20 + n):
        col, state = info["collected"], info["state"]
        assert col.dtype == torch.bool and col.shape == (512, n, n)
        moved = torch.tensor(WRAP3)[prev[:, :n], actions]
        assert torch.equal(state[:, :n], moved)  # respawn never moves agents
        assert torch.equal(col, moved[:, :, None] == prev[:, None, n:])  # collected = stood on the coin
        pickups, foreign = col.sum((1, 2)).float(), (col & other).sum((1, 2)).float()
        torch.testing.assert_close(rew.sum(1), pickups - pen * foreign, rtol=0, atol=1e-6)
        expect = col.sum(2).float() - pen * (col & other).sum(1).float()  # own pickups - others on my coin
        torch.testing.assert_close(rew, expect, rtol=0, atol=1e-6)
        pickups_seen += int(pickups.sum())
        foreign_seen += int(foreign.sum())
    assert pickups_seen > 1000 and foreign_seen > 500  # the rollouts exercised the rules


def test_reward_table_lola_attribution():
    assert reward_table(2) == {"own coin": (1.0, 0.0), "other's coin": (1.0, -2.0), "same coin": (-1.0, 1.0)}
    assert reward_table(3) == {"own coin": (1.0, 0.0, 0.0), "other's coin": (1.0, -1.5, 0.0),
                               "same coin": (-0.5, 1.0, 0.0)}


@pytest.mark.parametrize("agents,coins_,actions,rewards,collected", [
    ([[0, 4]], [[8, 1]], [[R, S]], [1.0, -2.0], [[False, True], [False, False]]),   # 0 takes 1's coin
    ([[0, 4]], [[8, 1]], [[R, R]], [1.0, -2.0], [[False, True], [False, False]]),   # 1 walks off, same
    ([[3, 4]], [[5, 8]], [[L, S]], [1.0, 0.0], [[True, False], [False, False]]),    # own coin (wraps 3 -> 5)
    ([[0, 2]], [[1, 7]], [[R, L]], [-1.0, 1.0], [[True, False], [True, False]]),    # both onto coin 0
    ([[0, 2]], [[7, 1]], [[R, L]], [1.0, -1.0], [[False, True], [False, True]]),    # both onto coin 1
    ([[0, 4]], [[1, 1]], [[R, S]], [2.0, -2.0], [[True, True], [False, False]]),    # 0 on both coins
    ([[0, 4]], [[5, 8]], [[S, S]], [0.0, 0.0], [[False, False], [False, False]]),   # nothing
])
def test_hand_set_pickups(agents, coins_, actions, rewards, collected):
    env = placed(agents, coins_)
    _, rew, _, info = env.step(torch.tensor(actions))
    assert rew[0].tolist() == rewards
    assert info["collected"][0].tolist() == collected


# ---------------------------------------------------------------------- respawn
def test_respawn_keeps_every_coin_and_is_uniform():
    env = CoinGame(2048, T=32, generator=gen(5))
    fresh, on_agent = [], 0
    for prev, _, (_, _, _, info) in rollout(env, seed=6):
        state = info["state"]
        assert state.shape == (2048, 4) and state.dtype == torch.long
        assert int(state.min()) >= 0 and int(state.max()) < 9
        taken = info["collected"].any(1)
        assert torch.equal(state[:, 2:][~taken], prev[:, 2:][~taken])  # uncollected coins stay put
        fresh.append(state[:, 2:][taken])
        on_agent += int((state[:, 2:, None] == state[:, None, :2]).any(2)[taken].sum())
    fresh = torch.cat(fresh)
    counts = torch.bincount(fresh, minlength=9).double()
    expected = fresh.numel() / 9
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert fresh.numel() > 20_000 and chi2 < 40  # 8 dof: P(chi2 > 40) ~ 3e-6
    assert on_agent > 0  # respawn may land on an agent


# ---------------------------------------------------------------------- moves
def test_move_table_wraps_by_hand():
    env = CoinGame(1)
    assert env.move_table.tolist() == WRAP3
    assert ACTION_NAMES[S] == "stay" and all(env.move_table[c, S] == c for c in range(9))


def test_every_action_from_every_cell():
    cells, acts = torch.arange(9).repeat_interleave(5), torch.arange(5).repeat(9)
    env = placed(torch.stack([cells, 8 - cells], 1), torch.full((45, 2), 4))
    _, _, _, info = env.step(torch.stack([acts, torch.full((45,), S)], 1))
    assert info["state"][:, 0].tolist() == [WRAP3[c][a] for c, a in zip(cells.tolist(), acts.tolist(), strict=True)]
    assert torch.equal(info["state"][:, 1], 8 - cells)  # the staying agent did not move


def test_simultaneous_moves_share_and_swap_cells():
    env = placed([[0, 2], [0, 1]], [[8, 8], [8, 8]])
    _, _, _, info = env.step(torch.tensor([[R, L], [R, L]]))
    assert info["state"][:, :2].tolist() == [[1, 1], [1, 0]]  # no collision rule; agents swap freely
    obs = env.observe()
    assert obs[0, 0, 0].sum() == 1 and obs[0, 0, 0].flatten()[1] == 1 and obs[0, 0, 1].flatten()[1] == 1


# ---------------------------------------------------------------------- observations
def check_views(env: CoinGame, obs: torch.Tensor) -> None:
    """Every channel one-hot; views are the global stack reordered (egocentric) or rolled."""
    n, g = env.n_agents, env.grid
    assert obs.shape == (env.batch, n, 2 * n, g, g) and obs.dtype == torch.float32
    flat = obs.flatten(3)
    assert set(flat.unique().tolist()) <= {0.0, 1.0} and bool((flat.sum(3) == 1).all())
    glob = env.global_onehot()
    assert torch.equal(glob.argmax(2), env.state)
    for i in range(n):
        if env.obs_order == "roll":
            assert torch.equal(flat[:, i], torch.roll(glob, -2 * i, dims=1))
        else:
            own_first = [(i + k) % n for k in range(n)]
            assert torch.equal(flat[:, i], glob[:, own_first + [n + k for k in own_first]])


@pytest.mark.parametrize("n,grid", [(2, 3), (3, 3), (2, 4)])
@pytest.mark.parametrize("order", OBS_ORDERS)
def test_observation_channels(n, grid, order):
    env = CoinGame(64, n_agents=n, grid=grid, T=4, obs_order=order, generator=gen(7))
    check_views(env, env.reset())
    for _, _, (obs, _, _, _) in rollout(env, seed=8):
        check_views(env, obs)


def test_egocentric_and_roll_for_two_agents_by_hand():
    assert channel_order(2, "egocentric") == [[0, 1, 2, 3], [1, 0, 3, 2]]
    assert channel_order(2, "roll") == [[0, 1, 2, 3], [2, 3, 0, 1]]
    env = placed([[0, 1]], [[2, 3]])
    obs = env.observe()[0, 1].flatten(1).argmax(1)
    assert obs.tolist() == [1, 0, 3, 2]  # agent 1 sees [agent_1, agent_0, coin_1, coin_0]
    with pytest.raises(ValueError):
        CoinGame(1, obs_order="mirror")


# ---------------------------------------------------------------------- episode and API
def test_done_after_T_and_bad_actions():
    env = CoinGame(8, T=5, generator=gen(9))
    with pytest.raises(RuntimeError):
        env.step(torch.zeros(8, 2, dtype=torch.long))  # not reset yet
    env.reset()
    stay = torch.full((8, 2), S)
    for t in range(5):
        _, _, done, _ = env.step(stay)
        assert done == (t == 4) and env.t == t + 1
    with pytest.raises(RuntimeError):
        env.step(stay)
    env.reset()
    for bad in (torch.zeros(8, 3, dtype=torch.long), torch.zeros(8, dtype=torch.long), torch.zeros(4, 2)):
        with pytest.raises(ValueError):
            env.step(bad)
    for bad in (-1, 5):
        with pytest.raises(ValueError):
            env.step(torch.full((8, 2), bad))
    assert env.t == 0


def test_info_state_is_not_overwritten():
    env = CoinGame(16, T=32, generator=gen(11))
    env.reset()
    first = env.step(torch.full((16, 2), R))[3]["state"]
    kept = first.clone()
    env.step(torch.full((16, 2), D))
    env.agents = torch.zeros(16, 2, dtype=torch.long)
    env.coins = torch.ones(16, 2, dtype=torch.long)
    assert torch.equal(first, kept)
    assert env.state.tolist() == [[0, 0, 1, 1]] * 16


def test_determinism():
    def trajectory(seed):
        env = CoinGame(32, T=32, generator=gen(seed))
        out = [env.reset()]
        for _, _, (obs, rew, _, info) in rollout(env, seed=99):
            out += [obs, rew, info["state"]]
        return out

    a, b, c = trajectory(1), trajectory(1), trajectory(2)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


def test_reset_distribution_independent_uniform():
    env = CoinGame(36_000, n_agents=2, generator=gen(12))
    env.reset()
    s = env.state
    for k in range(4):  # each entity uniform over the 9 cells
        counts = torch.bincount(s[:, k], minlength=9).double()
        assert float(((counts - 4000) ** 2 / 4000).sum()) < 40
    for j, k in [(0, 1), (0, 2), (1, 3), (2, 3)]:  # pairs independent (81 cells, overlaps allowed)
        counts = torch.bincount(s[:, j] * 9 + s[:, k], minlength=81).double()
        assert float(((counts - 36_000 / 81) ** 2 / (36_000 / 81)).sum()) < 140  # 80 dof
        assert abs(float((s[:, j] == s[:, k]).double().mean()) - 1 / 9) < 0.01


# ---------------------------------------------------------------------- PettingZoo adapter
def test_coins_needs_no_pettingzoo():
    code = ("import sys; sys.modules['pettingzoo'] = None\n"
            "import mixedmotive.envs.coins\n"
            "from mixedmotive.envs import coins_pettingzoo\n"
            "try:\n    coins_pettingzoo.CoinsParallelEnv()\n"
            "except ImportError as e:\n    assert 'pip install pettingzoo' in str(e), e\n"
            "else:\n    raise SystemExit('no ImportError')\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


def test_pettingzoo_parallel_api_test():
    pytest.importorskip("pettingzoo")
    from pettingzoo.test import parallel_api_test

    from mixedmotive.envs.coins_pettingzoo import parallel_env
    for n in (2, 3):
        parallel_api_test(parallel_env(n_agents=n, T=8), num_cycles=20)


def test_pettingzoo_adapter_api():
    pytest.importorskip("pettingzoo")
    from mixedmotive.envs.coins_pettingzoo import CoinsParallelEnv

    env = CoinsParallelEnv(T=6)
    names = ["player_0", "player_1"]
    assert env.metadata == {"name": "mixedmotive_coins_v0"} and env.render_mode is None
    assert env.possible_agents == names and env.agents == []
    assert env.observation_space("player_0").shape == (4, 3, 3) and env.action_space("player_1").n == 5

    def episode(seed):
        obs, infos = env.reset(seed=seed)
        assert env.agents == names and set(obs) == set(infos) == set(names)
        out = [obs]
        for t in range(6):
            assert all(env.observation_space(a).contains(o) for a, o in obs.items())
            obs, rew, term, trunc, infos = env.step({a: (t + i) % 5 for i, a in enumerate(names)})
            for d in (obs, rew, term, trunc, infos):
                assert set(d) == set(names)
            assert not any(term.values()) and all(v == (t == 5) for v in trunc.values())
            assert all(isinstance(r, float) for r in rew.values())
            out += [obs, rew]
        assert env.agents == []
        return out

    def same(x, y):
        return all(all(bool(np.all(p[a] == q[a])) for a in names) for p, q in zip(x, y, strict=True))

    first = episode(3)
    assert same(first, episode(3)) and not same(first, episode(4))
    with pytest.raises(RuntimeError):
        env.step({a: 4 for a in names})
    # the adapter is CoinGame with batch 1
    game = CoinGame(1, T=6, generator=gen(3))
    obs = game.reset()
    assert all((first[0][a] == obs[0, i].numpy()).all() for i, a in enumerate(names))
    assert env.state().shape == (4, 3, 3)
