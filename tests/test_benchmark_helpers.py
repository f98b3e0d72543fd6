"""The benchmarks' own helpers (benchmarks/investigations/: kernel_shares.py, coins_paper_episode.episode_count and
floor_lines, bench_gru's written GRU)."""

import sys

import pytest
import torch

from mixedmotive.config import ROOT

sys.path.insert(0, str(ROOT / "benchmarks" / "investigations"))
import coins_paper_episode  # noqa: E402
import kernel_shares  # noqa: E402


def test_shares_split_dense_kernels_from_element_wise_work(one_thread):
    a, b = torch.randn(384, 384), torch.randn(384, 384)
    dense, other = kernel_shares.shares(lambda: [a @ b for _ in range(20)])
    assert dense > 0.5 and other < dense
    x = torch.randn(4_000_000)  # large enough that the ops, not Python or the profiler, take the time
    dense, other = kernel_shares.shares(lambda: [x.exp().add(1.0).mul(x) for _ in range(10)])
    assert dense == 0.0 and other > 0.5
    # op times come from the clock, CPU time from the process: shares a hair over 1 happen
    assert -0.05 <= 1 - dense - other <= 1.0


def test_op_seconds_are_seconds_of_the_profiled_call(one_thread):
    a, b = torch.randn(384, 384), torch.randn(384, 384)
    dense, other, total = kernel_shares.op_seconds(lambda: [a @ b for _ in range(20)])
    assert 0.5 * total < dense <= 1.05 * total and other < dense
    assert kernel_shares.shares(lambda: [a @ b for _ in range(20)])[0] > 0.5  # the same split, as shares


def test_replayed_dense_seconds_count_each_product_once_per_call(one_thread):
    a, b, c = torch.randn(256, 256), torch.randn(256, 64), torch.randn(8, 64, 64)
    one, _ = kernel_shares.replayed_dense_seconds(lambda: a @ b)
    many, profiled = kernel_shares.replayed_dense_seconds(lambda: [a @ b for _ in range(30)] + [c @ c])
    assert one > 0 and many > 25 * one  # 30 of the same product (and a batched one), each counted
    assert 0.2 * profiled < many <= profiled  # each product at the better of its replay and its profiled time
    x = torch.randn(100_000)
    assert kernel_shares.replayed_dense_seconds(lambda: x.exp().mul(x)) == (0.0, 0.0)
    lin, y = torch.nn.Linear(32, 96), torch.randn(512, 32)  # addmm: beta and alpha are keyword-only
    assert 0 < kernel_shares.replayed_dense_seconds(lambda: lin(y))[0]


def test_replayed_dense_seconds_replay_a_grouped_convolution_and_its_backward(one_thread):
    """Non-tensor arguments (padding, groups, the backward's output mask) come from the profiler's record."""
    x = torch.randn(16, 6, 15, 15, requires_grad=True)
    w = torch.randn(12, 2, 3, 3, requires_grad=True)
    replayed, profiled = kernel_shares.replayed_dense_seconds(
        lambda: torch.nn.functional.conv2d(x, w, groups=3).sum().backward())
    assert 0 < replayed <= profiled


def test_shares_refuses_more_than_one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with pytest.raises(ValueError, match="set_num_threads"):
            kernel_shares.shares(lambda: None)
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("init,period", [(2, 2), (0, 3), (5, 4), (0, 2)])
def test_episode_count_makes_the_reciprocator_refit_or_not(init, period):
    """The count the paper-episode timer sets leads CoinsReciprocator.observe to refit exactly when asked."""
    from mixedmotive import config
    from mixedmotive.agents.coins import CoinsNL, CoinsReciprocator
    from mixedmotive.agents.ppo import ppo_config
    from mixedmotive.envs.coins import CoinGame
    from mixedmotive.experiments import recip_coins

    cfg = config.load(scale="smoke")["recip_coins"]
    rc = {**cfg["reciprocator"], "init_episodes": init, "target_period": period}
    p = cfg["ppo"]
    gen = torch.Generator().manual_seed(0)
    env = CoinGame(4, T=cfg["T"], generator=gen)
    recip = CoinsReciprocator(0, ppo_config(p), rc, cfg["T"], cfg["grid"], p["channels"], p["latent"], "cpu")
    players = [recip, CoinsNL(1, ppo_config(p), 4, cfg["grid"], p["channels"], p["latent"], "cpu")]
    fits = []
    recip.refit = lambda generator=None: fits.append(recip.seen) or 0.0
    episode = recip_coins.rollout(env, players, gen)
    for refit in (False, True):
        fits.clear()
        recip.seen = coins_paper_episode.episode_count(rc, refit)
        assert recip.seen >= init
        recip.observe(episode, gen)
        assert bool(fits) == refit


def test_episode_count_refuses_a_period_without_episodes_off_it():
    with pytest.raises(ValueError, match="every episode"):
        coins_paper_episode.episode_count({"target_period": 1, "init_episodes": 0}, refit=False)


def test_floor_lines_bound_and_the_time_two_x_needs_removed():
    """Hand-derived: today 9.4 s, before 14.0 s, dense kernels 4.2 s -> at most 9.4 / 4.2 = 2.24x over today and
    14.0 / 4.2 = 3.33x over BEFORE; 2x over BEFORE is 7.0 s, so (9.4 - 7.0) / (9.4 - 4.2) = 46 % must go."""
    first, second = coins_paper_episode.floor_lines(before=14.0, now=9.4, floor=4.2)
    assert "x2.24 faster than today" in first and "x3.33 than" in first
    assert "(7.0 s) needs 46% of today's 5.2 s outside the dense kernels removed" in second
    # 2x over BEFORE below the dense kernels alone: out of reach whatever else is removed
    assert "out of reach" in coins_paper_episode.floor_lines(before=8.0, now=6.0, floor=4.5)[1]


def test_replayed_module_seconds_count_every_call_of_the_module(one_thread):
    gru, lin = torch.nn.GRU(4, 4), torch.nn.Linear(4, 4)
    x = torch.randn(3, 2, 4, requires_grad=True)

    def work():
        out, _ = gru(x)  # under autograd: replayed with a backward
        out.sum().backward()
        with torch.no_grad():  # acting: three forwards carrying the hidden state
            h = None
            for t in range(3):
                _, h = gru(x[t:t + 1], h)
        lin(x)  # another module type: not counted
    seconds, calls, dense = kernel_shares.replayed_module_seconds(work, torch.nn.GRU)
    assert calls == 4 and 0 < dense < seconds  # the GRU's products are part of its time
    assert kernel_shares.replayed_module_seconds(lambda: lin(x), torch.nn.GRU) == (0.0, 0, 0.0)


def test_module_replay_runs_a_backward_only_for_calls_under_autograd():
    gru = torch.nn.GRU(4, 4)
    x = torch.randn(3, 2, 4, requires_grad=True)
    with torch.no_grad():
        acting = kernel_shares._module_record(gru, (x,))
    training = kernel_shares._module_record(gru, (x,))
    assert acting[3] is False and training[3] is True and training[4] == (True,)
    kernel_shares._module_call(gru, acting)()
    assert all(p.grad is None for p in gru.parameters())
    kernel_shares._module_call(gru, training)()
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in gru.parameters())


def test_floor_lines_of_the_gru_passes():
    """Hand-derived: before 15.4 s, today 10.4 s, GRU passes 8.0 s -> x1.30 over today, x1.93 over BEFORE; 2x over
    BEFORE is 7.7 s, below the GRU passes alone; with 6.0 s of GRU passes, (10.4 - 7.7) / (10.4 - 6.0) = 61 %."""
    first, second = coins_paper_episode.floor_lines(15.4, 10.4, 8.0, "nn.GRU passes", "nn.GRU")
    assert first.startswith("  nn.GRU passes 8.0 s") and "x1.30 faster than today" in first and "x1.93 than" in first
    assert "(7.7 s) is below the nn.GRU passes alone: out of reach with nn.GRU" in second
    assert "needs 61% of today's 4.4 s outside the nn.GRU passes removed" in coins_paper_episode.floor_lines(
        15.4, 10.4, 6.0, "nn.GRU passes", "nn.GRU")[1]


def test_the_benchmarks_written_gru_is_nn_gru():
    """bench_gru's per-step recurrence computes nn.GRU's function (so its timing compares like with like)."""
    import bench_gru

    torch.manual_seed(0)
    gru = torch.nn.GRU(5, 7)
    x = torch.randn(6, 3, 5, requires_grad=True)
    ref, _ = gru(x)
    out = bench_gru.gru_loop(x, *bench_gru._params(gru))
    torch.testing.assert_close(out, ref)
    g_ref, = torch.autograd.grad(ref.square().sum(), x)
    g_out, = torch.autograd.grad(out.square().sum(), x)
    torch.testing.assert_close(g_out, g_ref)


def test_influence_macs_by_hand():
    """Paper sizes (hidden 64, value channels 16, value latent 64; 3 x 3 grid, 2 agents, 5 actions).  Inputs: 36 state
    one-hots + 10 action one-hots + time = 47 for the factual models, 42 for the counterfactuals.  Value network:
    conv 4 -> 16 as a (144, 36) matrix 5,184 + conv 16 -> 16 (144, 144) 20,736 + 144 x 64 9,216 + 64 x 2 128 = 35,264.
    Rewards: (47 + 2 x 42) x 64 + 3 x 64 x 64 + 3 x 64 x 2 = 8,384 + 12,288 + 384 = 21,056; transitions: the same
    first two layers and 3 x 64 x 36 = 6,912 -> 27,584; together 48,640."""
    from mixedmotive.agents.coins import InfluenceModels

    macs = coins_paper_episode.influence_macs(InfluenceModels(2, 3, 32, 64, 16, 64))
    assert macs == {"value": 35_264, "others": 48_640}
