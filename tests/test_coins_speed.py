"""Speed work on the Coins learners keeps the results: the smoke-scale
``recip_coins`` frames equal those of commit 6439e09 (before the speed-up), and the training
forward (distinct views encoded once) equals the plain evaluation.

The coin counts and rewards must be equal exactly (any change of a sampled action changes them);
the float statistics of the influence models (rr_mean, voi_on_other, balance_end) to 1e-5
relative: the fixture was written on an AVX2 AMD EPYC, and on an AVX-512 Intel Xeon the same
code gives them with ~1e-7 relative differences (other BLAS kernels, other summation order).

BEFORE_6439E09 was produced by running, in a worktree of 6439e09
(``git worktree add /tmp/coins_before 6439e09``)::

    cfg = config.load(scale="smoke")["recip_coins"]
    recip_coins.run(cfg, pairing, seed=0)[list(COLUMNS)].values.tolist()
"""

from __future__ import annotations

import math

import pytest
import torch

from mixedmotive import config
from mixedmotive.agents.coins_policy import CoinsActorCritic, unique_views
from mixedmotive.envs.coins import CoinGame
from mixedmotive.experiments import recip_coins

NAN = math.nan
COLUMNS = ("own", "other", "reward", "rr_mean", "voi_on_other", "balance_end")
BEFORE_6439E09 = {
    "reciprocator_vs_nl": [
        [1.0, 0.625, -0.25, NAN, NAN, NAN],
        [1.0, 0.9375, 0.6875, NAN, NAN, NAN],
        [0.6875, 0.8125, -0.125, NAN, NAN, NAN],
        [1.0625, 0.8125, 0.25, NAN, NAN, NAN],
        [0.5625, 0.875, -0.0625, -0.03309420123696327, -0.08166896551847458, 0.8525657653808594],
        [0.5625, 0.75, -0.4375, NAN, NAN, NAN],
        [1.0625, 0.6875, 0.0, -0.02467549592256546, -0.07307729870080948, 0.6410651206970215],
        [0.6875, 0.875, 0.1875, NAN, NAN, NAN],
    ],
    "nl_vs_nl": [
        [1.0, 0.625, -0.125, NAN, NAN, NAN],
        [1.0, 0.875, 0.625, NAN, NAN, NAN],
        [0.6875, 0.8125, 0.875, NAN, NAN, NAN],
        [0.875, 0.3125, -0.4375, NAN, NAN, NAN],
        [0.75, 0.9375, -0.0625, NAN, NAN, NAN],
        [0.9375, 0.875, -0.0625, NAN, NAN, NAN],
        [0.6875, 0.5, 0.0625, NAN, NAN, NAN],
        [0.9375, 0.5625, 0.5, NAN, NAN, NAN],
    ],
    "mfos_vs_nl": [
        [1.0, 0.6875, 0.0625, NAN, NAN, NAN],
        [1.0625, 0.8125, 0.5, NAN, NAN, NAN],
        [0.625, 0.875, 0.375, NAN, NAN, NAN],
        [0.9375, 0.5625, -0.25, NAN, NAN, NAN],
        [0.8125, 0.75, -0.3125, NAN, NAN, NAN],
        [0.625, 0.9375, 0.0625, NAN, NAN, NAN],
        [0.8125, 0.375, 0.1875, NAN, NAN, NAN],
        [1.1875, 0.5, 0.9375, NAN, NAN, NAN],
    ],
}


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


@pytest.mark.parametrize("pairing", sorted(BEFORE_6439E09))
def test_smoke_run_equals_6439e09(pairing):
    cfg = config.load(scale="smoke")["recip_coins"]
    got = recip_coins.run(cfg, pairing, seed=0)[list(COLUMNS)].values.tolist()
    want = BEFORE_6439E09[pairing]
    assert len(got) == len(want)
    exact = {"own", "other", "reward"}
    for g_row, w_row in zip(got, want, strict=True):
        for column, g, w in zip(COLUMNS, g_row, w_row, strict=True):
            same = g == w if column in exact else math.isclose(g, w, rel_tol=1e-5, abs_tol=1e-9)
            assert (math.isnan(g) and math.isnan(w)) or same, (pairing, column, g_row, w_row)


def _rollout_obs(batch=256, T=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    env = CoinGame(batch, T=T, generator=gen)
    obs = [env.reset()]
    for _ in range(T - 1):
        obs.append(env.step(torch.randint(5, (batch, 2), generator=gen))[0])
    return torch.stack(obs)[:, :, 0]  # (T, B, 4, 3, 3) agent 0's views


def test_unique_views_inverts():
    obs = _rollout_obs()
    uniq, inverse = unique_views(obs)
    assert uniq.shape[0] <= 9 ** 4 and uniq.shape[0] < obs.shape[0] * obs.shape[1]
    assert torch.equal(uniq[inverse].view_as(obs), obs)
    assert unique_views(obs * 0.5) is None  # not binary: no deduplication
    assert unique_views(torch.ones(2, 3, 7, 3, 3)) is None  # 63 entries: too many bits


def test_training_forward_equals_plain_evaluation():
    """Values bit for bit; gradients up to the encoder's summation order (float rounding)."""
    torch.manual_seed(0)
    pol = CoinsActorCritic(4, 3, 5, 8, 32)
    obs = _rollout_obs()
    actions = torch.randint(5, obs.shape[:2])
    results = []
    for fwd in (pol.forward, pol.forward_reference):
        pol.zero_grad()
        dist, value = fwd(obs)
        loss = dist.log_prob(actions).mean() + (value ** 2).mean() + dist.entropy().mean()
        loss.backward()
        results.append((dist.logits.detach(), value.detach(), [p.grad.clone() for p in pol.parameters()]))
    (la, va, ga), (lb, vb, gb) = results
    assert torch.equal(la, lb) and torch.equal(va, vb)
    for (name, _), a, b in zip(pol.named_parameters(), ga, gb, strict=True):
        if "conv" in name or "linear" in name:  # encoder: summed per distinct view first
            assert torch.allclose(a, b, rtol=1e-4, atol=1e-9), name
        else:  # GRU and heads: the same operations
            assert torch.equal(a, b), name


def test_non_binary_views_use_the_plain_path():
    """MFOS meta-states carry rewards: nothing is deduplicated and forward is the plain evaluation."""
    torch.manual_seed(0)
    pol = CoinsActorCritic(7, 3, 5, 16, 16)
    obs = torch.randn(4, 8, 7, 3, 3)
    da, va = pol(obs)
    db, vb = pol.forward_reference(obs)
    assert torch.equal(da.logits, db.logits) and torch.equal(va, vb)
