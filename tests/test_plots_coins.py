"""Tests of the Reciprocators Coins figures, the payoff figure and the hyper-parameter table.

Hand facts: MFOS points sit at x = (meta_episode + 1) * inner_episodes with the mean of the
per-episode values of that meta-episode; other pairings at x = episode + 1 with a centred
rolling mean; SEM over seeds = std(ddof=1) / sqrt(n), NaN for one seed.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

from mixedmotive import config, results
from mixedmotive.envs.coins import reward_table
from mixedmotive.envs.ipd import PAYOFF_COL, PAYOFF_ROW
from mixedmotive.plots import recip_coins as rc

PAIRINGS = ("reciprocator_vs_nl", "mfos_vs_nl", "nl_vs_nl", "reciprocator_vs_reciprocator", "mfos_vs_mfos")
COINS = dict(
    n_seeds=2, episodes=12, batch=8, T=32, grid=3, obs_order="egocentric", threads=1, smooth=3,
    ppo=dict(lr=0.005, epochs=20, clip=0.15, gamma=0.99, entropy_coef=0.01, value_coef=0.5,
             return_norm_eps=1.0e-5, channels=8, latent=32),
    reciprocator=dict(rr_weight=1.0, rr_normalise=False, gamma=0.99, buffer_episodes=3, target_period=2,
                      init_episodes=2, refit_batch=4096, refit_batches=4, refit_epochs=10, hidden=64, lr=0.01,
                      value_channels=16, value_latent=64),
    mfos=dict(inner_episodes=3, lr=0.0002, epochs=16, clip=0.2, gamma=0.995, entropy_coef=0.01, value_coef=0.5,
              return_norm_eps=1.0e-5, channels=16, latent=16),
)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):  # reward_table() steps the torch env
    yield


def _rows(pairing, seed, episodes, inner, rng):
    kinds = pairing.split("_vs_")
    meta = pairing.startswith("mfos") or pairing.endswith("mfos")
    rows = []
    for e in range(episodes):
        for i, kind in enumerate(kinds):
            own, other = rng.uniform(0, 4), rng.uniform(0, 3)
            rows.append({
                "pairing": pairing, "seed": seed, "episode": e, "meta_episode": e // inner if meta else -1,
                "player": i, "kind": kind, "own": own, "other": other, "total": own + other,
                "p_own": own / (own + other), "reward": own - 2 * rng.uniform(0, 3),
                "rr_mean": rng.normal() if kind == "reciprocator" else math.nan,
                "voi_on_other": math.nan, "voi_from_other": math.nan, "balance_end": math.nan,
            })
    return rows


@pytest.fixture(scope="module")
def raw_paths(tmp_path_factory):
    d = tmp_path_factory.mktemp("coins")
    rng = np.random.default_rng(0)
    paths = []
    for p in PAIRINGS:
        for seed in (0, 1):
            path = d / f"{p}_{seed}.parquet"
            frame = pd.DataFrame(_rows(p, seed, COINS["episodes"], COINS["mfos"]["inner_episodes"], rng))
            results.write(frame, path, {"experiment": "recip_coins", "method": p, "seed": seed})
            paths.append(str(path))
    return paths


def _pdf(path) -> None:
    data = path.read_bytes()
    assert data[:4] == b"%PDF" and len(data) > 1000


@pytest.mark.parametrize("name", ["fig3", "fig4", "fig_a_symmetric", "fig_a_vs_nl"])
def test_figures_write_pdf(raw_paths, tmp_path, name):
    out = tmp_path / f"{name}.pdf"
    getattr(rc, name)(raw_paths, str(out), COINS)
    _pdf(out)
    assert not list(tmp_path.glob(".*.tmp"))


def test_figures_skip_missing_pairings(raw_paths, tmp_path):
    only = [p for p in raw_paths if "reciprocator_vs_nl_" in p]  # one pairing, nothing symmetric
    for name in ("fig3", "fig4", "fig_a_vs_nl"):
        out = tmp_path / f"{name}.pdf"
        getattr(rc, name)(only, str(out), COINS)
        _pdf(out)
    with pytest.raises(ValueError):
        rc.fig3([], str(tmp_path / "none.pdf"), COINS)


def test_fig1_payoffs_pdf_and_numbers(tmp_path):
    out = tmp_path / "fig1.pdf"
    rc.fig1_payoffs([], str(out), {})
    _pdf(out)
    ipd, coins = rc.payoff_frames()
    for i, a in enumerate("CD"):
        for j, b in enumerate("CD"):
            assert ipd.loc[a, b] == (PAYOFF_ROW[2 * i + j], PAYOFF_COL[2 * i + j])
    assert ipd.loc["C", "D"] == (-3.0, 0.0)  # the sucker's payoff is the row player's
    table = reward_table()
    assert list(coins.index) == list(table)
    for event, values in table.items():
        assert tuple(coins.loc[event]) == values


def test_fig1_payoffs_labels_every_panel(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(rc, "_save", lambda fig, out: saved.append(fig))
    rc.fig1_payoffs([], str(tmp_path / "fig1.pdf"), {})
    assert [ax.get_title()[:3] for ax in saved[0].axes] == ["(a)", "(b)", "(c)"]


# ----------------------------------------------------------------------------- curve


def _tiny(values: dict, pairing="mfos_vs_nl", inner=2, player=1):
    rows = []
    for seed, vals in values.items():
        for e, v in enumerate(vals):
            rows.append({"pairing": pairing, "seed": seed, "episode": e,
                         "meta_episode": e // inner if inner else -1, "player": player, "p_own": v})
    return pd.DataFrame(rows)


def test_curve_mfos_meta_episode_points():
    frame = _tiny({0: [0.2, 0.4, 0.6, math.nan], 1: [0.4, 0.6, 0.8, 1.0]}, inner=2)
    x, mean, sem = rc.curve(frame, "mfos_vs_nl", 1, "p_own", smooth=5, inner=2)
    # seed 0: (0.3, 0.6) (NaN ignored), seed 1: (0.5, 0.9); smoothing is not applied to meta points
    assert x.tolist() == [2.0, 4.0]
    np.testing.assert_allclose(mean, [0.4, 0.75])
    np.testing.assert_allclose(sem, [np.std([0.3, 0.5], ddof=1) / np.sqrt(2), np.std([0.6, 0.9], ddof=1) / np.sqrt(2)])
    np.testing.assert_allclose(sem, [0.1, 0.15])
    # inner_episodes inferred from the data when not given; a config value places the points
    assert rc.curve(frame, "mfos_vs_nl", 1, "p_own")[0].tolist() == [2.0, 4.0]
    assert rc.curve(frame, "mfos_vs_nl", 1, "p_own", inner=16)[0].tolist() == [16.0, 32.0]


def test_curve_rolling_mean_and_sem_ddof1():
    frame = _tiny({0: [0.0, 3.0, 6.0, 9.0]}, pairing="nl_vs_nl", inner=0)
    x, mean, sem = rc.curve(frame, "nl_vs_nl", 1, "p_own", smooth=3)
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0]  # episodes played
    np.testing.assert_allclose(mean, [1.5, 3.0, 6.0, 7.5])  # centred window, min_periods=1
    assert np.isnan(sem).all()  # one seed: no band
    frame = _tiny({0: [1.0] * 3, 1: [2.0] * 3, 2: [4.0] * 3}, pairing="nl_vs_nl", inner=0)
    x, mean, sem = rc.curve(frame, "nl_vs_nl", 1, "p_own", smooth=1)
    np.testing.assert_allclose(mean, 7 / 3)
    np.testing.assert_allclose(sem, np.std([1.0, 2.0, 4.0], ddof=1) / np.sqrt(3))
    assert rc.curve(frame, "mfos_vs_nl", 1, "p_own")[0].size == 0


def test_curve_sum_and_mean_over_players():
    rows = [{"pairing": "nl_vs_nl", "seed": 0, "episode": e, "meta_episode": -1, "player": i,
             "reward": r, "p_own": p}
            for e, pair in enumerate([((1.0, 0.5), (2.0, math.nan)), ((3.0, 0.2), (-1.0, 0.4))])
            for i, (r, p) in enumerate(pair)]
    frame = pd.DataFrame(rows)
    assert rc.curve(frame, "nl_vs_nl", "sum", "reward")[1].tolist() == [3.0, 2.0]
    np.testing.assert_allclose(rc.curve(frame, "nl_vs_nl", "mean", "p_own")[1], [0.5, 0.3])
    with pytest.raises(ValueError):
        rc.curve(frame, "nl_vs_nl", "max", "reward")


# --------------------------------------------------------------------------- table


@pytest.fixture(scope="module")
def table_cfg():
    live = config.load()
    return {"recip_ipd_analytic": live["recip_ipd_analytic"], "recip_ipd_rollout": live["recip_ipd_rollout"],
            "recip_coins": copy.deepcopy(COINS)}


def test_hyperparameters_table_follows_cfg(table_cfg, tmp_path):
    out = tmp_path / "recip_hyperparameters.pdf"
    rc.hyperparameters([], str(out), table_cfg)
    _pdf(out)
    assert out.with_suffix(".tex").read_text().startswith(r"\begin{table}")
    assert "used at an unnamed scale" in out.with_suffix(".tex").read_text()
    rc.hyperparameters([], str(out), {**table_cfg, "scale": "smoke"})
    assert r"\caption{Reciprocators hyper-parameters used at the smoke scale" in out.with_suffix(".tex").read_text()
    csv = pd.read_csv(out.with_suffix(".csv"), dtype=str, keep_default_na=False)
    assert list(csv.columns) == ["table", "parameter", "IPD-Analytic", "IPD-Rollout", "Coins"]
    assert set(csv.table.str[0]) == {"A", "B", "D"}
    assert (csv != "").all().all()
    lr = csv[(csv.table.str.startswith("A")) & (csv.parameter == "Adam lr")]
    assert lr.Coins.item() == "0.005" and lr["IPD-Rollout"].item() == f"{table_cfg['recip_ipd_rollout']['lr']:g}"
    w = csv[csv.parameter == "reciprocal-reward weight w"]
    assert w["IPD-Analytic"].item() == f"{table_cfg['recip_ipd_analytic']['reciprocator']['w']:g}"

    changed = copy.deepcopy(table_cfg)
    changed["recip_coins"]["ppo"]["lr"] = 0.123
    changed["recip_coins"]["ppo"]["channels"] = 11
    changed["recip_coins"]["mfos"]["inner_episodes"] = 7
    frame = rc.hyperparameter_frame(changed)
    assert frame[(frame.table.str.startswith("A")) & (frame.parameter == "Adam lr")].Coins.item() == "0.123"
    assert "11 ch" in frame[frame.parameter.str.startswith("conv layers")].Coins.iloc[0]
    assert frame[frame.parameter == "inner episodes per meta-episode"].Coins.item() == "7"
    assert not frame.equals(rc.hyperparameter_frame(table_cfg))

