"""Coins claims (RECIP-C4/C5): end-of-training windows, the Welch comparison and the verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedmotive.analysis import recip_coins_claims as cc
from mixedmotive.analysis.claims import evaluate, load_registry

CFG = {"coins_final_fraction": 0.2, "coins_margin": 0.0, "coins_alpha": 0.05}


def _frame(pairing, seeds, p_own_nl, reward, episodes=10):
    rows = []
    for s, (p, r) in enumerate(zip(p_own_nl, reward, strict=True)):
        if s not in seeds:
            continue
        for e in range(episodes):
            early = e < episodes - 2  # the last 20% carry the given values, earlier ones 0.5 / 0
            for player in (0, 1):
                rows.append(dict(pairing=pairing, seed=s, episode=e, player=player,
                                 p_own=0.5 if early else p, reward=0.0 if early else r))
    return pd.DataFrame(rows)


def test_final_values_use_the_last_fraction_per_seed():
    f = _frame("nl_vs_nl", {0, 1}, [0.7, 0.9], [1.0, 2.0])
    assert np.allclose(cc.final_values(f, "nl_vs_nl", "p_own"), [0.7, 0.9])
    # both players summed per episode
    assert np.allclose(cc.final_values(f, "nl_vs_nl", "reward", (0, 1), "sum"), [2.0, 4.0])
    # a 50% window of 10 episodes: the 2 late ones and 3 early ones
    assert np.allclose(cc.final_values(f, "nl_vs_nl", "p_own", fraction=0.5), [(2 * 0.7 + 3 * 0.5) / 5,
                                                                                (2 * 0.9 + 3 * 0.5) / 5])


def test_compare_requires_difference_and_significance():
    a, b = np.array([0.70, 0.72, 0.71]), np.array([0.50, 0.49, 0.51])
    assert cc.compare(a, b, "A", "B", "x", CFG).reproduced
    assert not cc.compare(b, a, "B", "A", "x", CFG).reproduced  # wrong direction
    noisy = np.array([0.9, 0.2, 0.6])
    assert not cc.compare(noisy, b, "A", "B", "x", CFG).reproduced  # not significant with 3 seeds
    assert not cc.compare(a, b, "A", "B", "x", {**CFG, "coins_margin": 0.5}).reproduced
    one = cc.compare(a[:1], b[:1], "A", "B", "x", CFG)
    assert not one.reproduced and "2 seeds" in one.detail


def test_registered_claims_on_synthetic_results():
    frame = pd.concat([
        _frame("reciprocator_vs_nl", {0, 1, 2}, [0.70, 0.72, 0.71], [1.0, 1.1, 1.2]),
        _frame("nl_vs_nl", {0, 1, 2}, [0.50, 0.49, 0.51], [0.0, 0.1, -0.1]),
        _frame("mfos_vs_nl", {0, 1, 2}, [0.80, 0.82, 0.81], [0.0, 0.1, -0.1]),
        _frame("reciprocator_vs_reciprocator", {0, 1, 2}, [0.60, 0.61, 0.62], [3.0, 3.1, 3.2]),
        _frame("mfos_vs_mfos", {0, 1, 2}, [0.5, 0.5, 0.5], [5.0, 5.1, 5.2]),
    ])
    reg = load_registry()
    verdicts = {cid: reg[cid].check({"recip_coins": frame}, CFG).reproduced
                for cid in ("RECIP-C4a", "RECIP-C4b", "RECIP-C5a", "RECIP-C5b", "RECIP-C5c")}
    assert verdicts == {"RECIP-C4a": True, "RECIP-C4b": False, "RECIP-C5a": True, "RECIP-C5b": False,
                        "RECIP-C5c": True}


def test_missing_pairing_is_not_run():
    frame = _frame("nl_vs_nl", {0, 1}, [0.5, 0.5], [0.0, 0.0])
    v = load_registry()["RECIP-C4a"].check({"recip_coins": frame}, CFG)
    assert not v.reproduced and not v.ran and "missing" in v.statistic
    # in the table: the runs that exist are checked, claims whose pairings are absent say "not run"
    frame = pd.concat([frame, _frame("reciprocator_vs_nl", {0, 1}, [0.5, 0.5], [0.0, 0.0])])
    table = evaluate({"recip_coins": frame}, CFG).set_index("id")
    assert table.loc["RECIP-C4a", "verdict"] == "not reproduced"  # equal P(own): ran, no difference
    assert table.loc["RECIP-C5a", "verdict"] == "not run"  # no Reciprocator pairs
    assert table.loc["RECIP-C4b", "verdict"] == "not run"  # no MFOS vs NL-PPO


@pytest.mark.parametrize("cid", ["RECIP-C4a", "RECIP-C4b", "RECIP-C5a", "RECIP-C5b", "RECIP-C5c"])
def test_claims_are_registered_with_the_coins_experiment(cid):
    assert load_registry()[cid].experiments == ("recip_coins",)


def test_paper_settings_runs_decide_c4a_at_budget_paper_and_stay_out_of_the_default_rows(tmp_path):
    """A budget with paths of its own (config/coins_paper.yaml; docs/decisions.md A16): its runs decide RECIP-C4a
    at budget "paper" with the same check and are not mixed into the default rows; a missing seed is "not run"."""
    from mixedmotive import results
    from mixedmotive.analysis.claims import claims_table

    def write(folder, frame):
        paths = []
        for (pairing, seed), f in frame.groupby(["pairing", "seed"]):
            p = tmp_path / folder / pairing / f"seed{seed}.parquet"
            results.write(f.reset_index(drop=True), p, {"experiment": "recip_coins", "method": pairing, "seed": seed})
            paths.append(str(p))
        return paths

    default = write("recip_coins", pd.concat([_frame("reciprocator_vs_nl", {0, 1, 2}, [0.50, 0.49, 0.51], [0] * 3),
                                             _frame("nl_vs_nl", {0, 1, 2}, [0.50, 0.51, 0.52], [0] * 3)]))
    paper = write("recip_coins_paper", pd.concat([_frame("reciprocator_vs_nl", {0, 1, 2}, [0.70, 0.72, 0.71], [0] * 3),
                                                 _frame("nl_vs_nl", {0, 1, 2}, [0.50, 0.49, 0.51], [0] * 3)]))
    spec = {"name": "paper", "kind": "recip_coins", "paths": paper, "n_seeds": 3,
            "pairings": ["reciprocator_vs_nl", "nl_vs_nl"]}
    cfg = {**CFG, "scale": "default", "budgets": [spec]}
    table = claims_table(default + paper, cfg)
    rows = table[table.id == "RECIP-C4a"].set_index("budget")
    assert list(rows.index) == ["default", "paper"]
    assert rows.loc["default", "verdict"] == "not reproduced" and rows.loc["paper", "verdict"] == "reproduced"
    alone = load_registry()["RECIP-C4a"].check({"recip_coins": pd.concat(
        [_frame("reciprocator_vs_nl", {0, 1, 2}, [0.70, 0.72, 0.71], [0] * 3),
         _frame("nl_vs_nl", {0, 1, 2}, [0.50, 0.49, 0.51], [0] * 3)])}, CFG)
    assert rows.loc["paper", "statistic"] == alone.statistic and rows.loc["paper", "threshold"] == alone.threshold
    assert "(n=3)" in rows.loc["default", "statistic"]  # the paper's runs are not in the default row
    assert set(table[table.budget == "paper"].id) == {"RECIP-C4a"}

    short = claims_table(default + paper[:-1], {**cfg, "budgets": [{**spec, "paths": paper[:-1]}]})
    row = short[(short.id == "RECIP-C4a") & (short.budget == "paper")].iloc[0]
    # (the paths are nl_vs_nl's, then reciprocator_vs_nl's: the last one left out is reciprocator_vs_nl's seed 2)
    assert row.verdict == "not run" and row.detail == "missing runs at paper: reciprocator_vs_nl/seed2"


def test_a_budget_decides_exactly_the_claims_whose_pairings_it_ran(tmp_path):
    """A larger Coins budget decides each claim whose two pairings it lists (decision A16): the paper's settings with
    MFOS vs NL-PPO decide C4a and C4b; the head-to-head pairs at 10x, trained by recip_coins_diagnosis, decide C5a-c
    with the same check as the default rows; a claim missing a listed run says which."""
    from mixedmotive import results
    from mixedmotive.analysis.claims import claims_table

    def write(folder, experiment, frame):
        paths = []
        for (pairing, seed), f in frame.groupby(["pairing", "seed"]):
            p = tmp_path / folder / pairing / f"seed{seed}.parquet"
            results.write(f.reset_index(drop=True), p, {"experiment": experiment, "method": pairing, "seed": seed})
            paths.append(str(p))
        return paths

    seeds = {0, 1, 2}
    default = write("recip_coins", "recip_coins", pd.concat([
        _frame("reciprocator_vs_nl", seeds, [0.50, 0.49, 0.51], [0] * 3),
        _frame("nl_vs_nl", seeds, [0.5] * 3, [0] * 3)]))
    paper = write("recip_coins_paper", "recip_coins", pd.concat([
        _frame("reciprocator_vs_nl", seeds, [0.70, 0.72, 0.71], [0] * 3),
        _frame("nl_vs_nl", seeds, [0.50, 0.49, 0.51], [0] * 3),
        _frame("mfos_vs_nl", seeds, [0.80, 0.82, 0.81], [0] * 3)]))
    x10 = write("recip_coins_diagnosis/x10", "recip_coins_diagnosis", pd.concat([
        _frame("reciprocator_vs_reciprocator", seeds, [0.60, 0.61, 0.62], [3.0, 3.1, 3.2]),
        _frame("nl_vs_nl", seeds, [0.50, 0.49, 0.51], [0.0, 0.1, -0.1]),
        _frame("mfos_vs_mfos", {0, 1}, [0.5, 0.5, 0.5], [5.0, 5.1, 5.2])]))
    specs = [{"name": "10x", "kind": "recip_coins", "paths": x10, "n_seeds": 3,
              "pairings": ["reciprocator_vs_reciprocator", "nl_vs_nl", "mfos_vs_mfos"]},
             {"name": "paper", "kind": "recip_coins", "paths": paper, "n_seeds": 3,
              "pairings": ["reciprocator_vs_nl", "nl_vs_nl", "mfos_vs_nl"]}]
    table = claims_table(default + paper + x10, {**CFG, "scale": "default", "budgets": specs})
    larger = table[table.budget != "default"].set_index(["id", "budget"])
    assert set(larger.index) == {("RECIP-C4a", "paper"), ("RECIP-C4b", "paper"), ("RECIP-C5a", "10x"),
                                 ("RECIP-C5b", "10x"), ("RECIP-C5c", "10x")}
    verdicts = larger.verdict.to_dict()
    assert verdicts[("RECIP-C4a", "paper")] == "reproduced"
    assert verdicts[("RECIP-C4b", "paper")] == "not reproduced"  # MFOS's opponent owns more coins
    assert verdicts[("RECIP-C5a", "10x")] == "reproduced" and verdicts[("RECIP-C5c", "10x")] == "reproduced"
    assert verdicts[("RECIP-C5b", "10x")] == "not run"
    assert larger.loc[("RECIP-C5b", "10x"), "detail"] == "missing runs at 10x: mfos_vs_mfos/seed2"
    # the same check as on the default rows: the 10x rows equal the claim run on those frames alone
    frames = results.read_many(x10)
    alone = load_registry()["RECIP-C5a"].check({"recip_coins": frames}, CFG)
    assert larger.loc[("RECIP-C5a", "10x"), "statistic"] == alone.statistic
    # the default rows see only the default runs
    assert table[(table.id == "RECIP-C5a") & (table.budget == "default")].verdict.item() == "not run"
