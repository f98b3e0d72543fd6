"""The benchmarks' own helpers (benchmarks/kernel_shares.py, bench_coins.episode_count)."""

import sys

import pytest
import torch

from mixedmotive.config import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_coins  # noqa: E402
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
        recip.seen = bench_coins.episode_count(rc, refit)
        assert recip.seen >= init
        recip.observe(episode, gen)
        assert bool(fits) == refit


def test_episode_count_refuses_a_period_without_episodes_off_it():
    with pytest.raises(ValueError, match="every episode"):
        bench_coins.episode_count({"target_period": 1, "init_episodes": 0}, refit=False)
