"""The Coins diagnosis: its jobs' settings, its runs, and its table, trend and claim on hand-built runs."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mixedmotive.analysis import recip_coins_diagnosis as diag
from mixedmotive.analysis.claims import DECISIONS, DIAGNOSIS, evaluate
from mixedmotive.config import ROOT, coins_confirm_seeds, load
from mixedmotive.jobs import coins_cell, job_settings
from mixedmotive.wildcards import CoinsCell

CFG = load(ROOT / "config" / "config.yaml", scale="default")
SMOKE = load(ROOT / "config" / "config.yaml", scale="smoke")
CLAIMS = {"coins_final_fraction": 0.2, "coins_margin": 0.0, "coins_alpha": 0.05,
          "coins_confirm": {"cell": None, "seeds": [], "chosen_seeds": 3}}
PLOT = {**CLAIMS, "main_cell": "w1-raw", "episodes": 5, "trend": {"multipliers": [2], "n_seeds": 1}}


# ------------------------------------------------------------------------------------------ jobs


def test_cell_names_round_trip_and_reject_typos():
    assert coins_cell(0.3, True) == "w0.3-norm" and coins_cell(1.0, False) == "w1-raw"
    assert CoinsCell.parse("w0.3-norm") == (0.3, True) and CoinsCell.parse("w1-raw") == (1.0, False)
    for bad in ("0.3-raw", "w0.3", "w0.3-z", "wx-raw"):
        with pytest.raises(ValueError, match="Coins diagnosis cell"):
            CoinsCell.parse(bad)


def test_a_cell_is_recip_coins_with_its_weight_normalisation_and_budget():
    job = job_settings("recip_coins_diagnosis", CFG, "reciprocator_vs_nl:w0.3-norm:x5")
    ref = job_settings("recip_coins", CFG, "reciprocator_vs_nl")
    assert job["reciprocator"]["rr_weight"] == 0.3 and job["reciprocator"]["rr_normalise"] is True
    assert job["episodes"] == 5 * CFG["recip_coins"]["episodes"]
    rest = lambda s: {k: v for k, v in s.items() if k not in ("reciprocator", "episodes")}  # noqa: E731
    assert rest(job) == rest(ref)
    # the cell of recip_coins' own settings at x1 is exactly a recip_coins job: the workflow reuses those runs
    own = CFG["recip_coins"]["reciprocator"]
    main = coins_cell(own["rr_weight"], own["rr_normalise"])
    assert job_settings("recip_coins_diagnosis", CFG, f"reciprocator_vs_nl:{main}:x1") == ref
    # a pairing without a Reciprocator does not read the cell
    a = job_settings("recip_coins_diagnosis", CFG, "nl_vs_nl:w0.1-raw:x2")
    b = job_settings("recip_coins_diagnosis", CFG, "nl_vs_nl:w1-norm:x2")
    assert a == b and "rr_weight" not in a["reciprocator"]


# ------------------------------------------------------------------------------------------ runs


def _smoke_job(method: str) -> dict:
    return job_settings("recip_coins_diagnosis", SMOKE, method)


def test_a_run_is_recip_coins_run_with_its_cell_columns():
    from mixedmotive.experiments import recip_coins, recip_coins_diagnosis

    cfg = _smoke_job("reciprocator_vs_nl:w0.3-norm:x1")
    t = recip_coins_diagnosis.run(cfg, "reciprocator_vs_nl:w0.3-norm:x1", seed=1)
    ref = recip_coins.run(cfg, "reciprocator_vs_nl", seed=1)
    pd.testing.assert_frame_equal(t[ref.columns], ref)
    assert (t.cell == "w0.3-norm").all() and (t.rr_weight == 0.3).all() and t.rr_normalise.all()
    assert (t.budget == 1).all()
    with pytest.raises(ValueError, match="multiplier"):
        recip_coins_diagnosis.run(cfg, "reciprocator_vs_nl:w0.3-norm", seed=0)
    with pytest.raises(ValueError, match="cell"):
        recip_coins_diagnosis.run(cfg, "reciprocator_vs_nl:0.3:x1", seed=0)


def test_a_longer_coins_run_starts_as_the_shorter_one():
    """The trend reads a k x run as the first k/K of a K x run: nothing in a run depends on its length."""
    from mixedmotive.experiments import recip_coins_diagnosis

    short = recip_coins_diagnosis.run(_smoke_job("reciprocator_vs_nl:w1-raw:x1"), "reciprocator_vs_nl:w1-raw:x1", 2)
    long = recip_coins_diagnosis.run(_smoke_job("reciprocator_vs_nl:w1-raw:x2"), "reciprocator_vs_nl:w1-raw:x2", 2)
    n = len(short)
    assert len(long) == 2 * n
    pd.testing.assert_frame_equal(short.drop(columns="budget"), long.iloc[:n].drop(columns="budget"))


# ------------------------------------------------------------------------------ hand-built runs


def _run(pairing, seed, nl_p_own, rec_p_own=0.5, reward=(1.0, 2.0), cell=None, budget=None, episodes=5):
    """``episodes`` episodes; the last 20 % (one of five) have the given values, the others 0."""
    rows = []
    for e in range(episodes):
        last = e >= episodes - max(1, math.ceil(0.2 * episodes))
        for player, p in ((0, rec_p_own), (1, nl_p_own)):
            row = {"pairing": pairing, "seed": seed, "episode": e, "player": player,
                   "p_own": p if last else 0.0, "reward": reward[player] if last else 0.0}
            if cell is not None:
                row.update(cell=cell, budget=budget, rr_weight=CoinsCell.parse(cell)[0],
                           rr_normalise=CoinsCell.parse(cell)[1])
            rows.append(row)
    return rows


def _frames(cells: dict, nl_nl=(0.4, 0.5, 0.6), mfos_nl=(0.5, 0.5, 0.5)):
    """recip_coins' runs (the main cell w1-raw and the baselines) and the diagnosis runs ``cells``."""
    main = []
    for s, v in enumerate(nl_nl):
        main += _run("nl_vs_nl", s, v)
    for s, v in enumerate(mfos_nl):
        main += _run("mfos_vs_nl", s, v)
    for s, v in enumerate(cells.pop("w1-raw", ())):
        main += _run("reciprocator_vs_nl", s, v)
    d = []
    for cell, values in cells.items():
        for s, v in enumerate(values):
            d += _run("reciprocator_vs_nl", s, v, cell=cell, budget=1)
    return pd.DataFrame(main), pd.DataFrame(d)


def test_summary_by_hand():
    main, d = _frames({"w1-raw": (0.4, 0.5, 0.6), "w0.3-norm": (0.6, 0.7, 0.8)})
    s = diag.summary(pd.concat([main, d], ignore_index=True), PLOT).set_index("cell")
    assert list(s.index) == ["w0.3-norm", "w1-raw (recip_coins)"]
    assert s.loc["w0.3-norm", "NL P(own) vs Recip"] == "0.700 ± 0.058"
    # Welch: t = 0.2 / sqrt(0.01/3 + 0.01/3) = 2.449, df = 4 -> one-sided p = 0.0352
    assert s.loc["w0.3-norm", "C4a"] == "+0.200 (p = 0.035)"
    held, held_corrected = diag.holds_columns(PLOT["coins_alpha"], 1)
    assert held_corrected == "holds at p < 0.05/1 (Bonferroni over 1 cells)"
    assert s.loc["w0.3-norm", held] == s.loc["w0.3-norm", held_corrected] == "C4a, C4b"
    assert s.loc["w1-raw (recip_coins)", "C4a"].startswith("+0.000")
    assert s.loc["w1-raw (recip_coins)", held] == "none"


def test_summary_names_the_uncorrected_and_the_corrected_verdicts():
    """With two diagnosis cells, p = 0.035 holds uncorrected but not at 0.05/2 (the claims table's test)."""
    main, d = _frames({"w1-raw": (0.4, 0.5, 0.6), "w0.1-raw": (0.4, 0.5, 0.6), "w0.3-norm": (0.6, 0.7, 0.8)})
    s = diag.summary(pd.concat([main, d], ignore_index=True), PLOT).set_index("cell")
    held, held_corrected = diag.holds_columns(PLOT["coins_alpha"], 2)
    assert (held, held_corrected) == ("holds at p < 0.05 (uncorrected)",
                                      "holds at p < 0.05/2 (Bonferroni over 2 cells)")
    assert s.loc["w0.3-norm", "C4a"] == "+0.200 (p = 0.035)"
    assert s.loc["w0.3-norm", held] == "C4a, C4b"
    # C4b: t = 0.2 / sqrt(0.01/3) = 3.46, df = 2 -> p = 0.037 > 0.025
    assert s.loc["w0.3-norm", held_corrected] == "none"
    assert "reproduces" not in s.columns
    assert (s["C5a"] == "not run").all()  # no Reciprocator pairs in these cells
    assert s.loc["w0.3-norm", "r_RR normalised"] == "yes" and s.loc["w0.3-norm", "w"] == "0.3"
    assert s.loc["w0.3-norm", "NL / Recip reward"] == "2.00 / 1.00"
    assert "NL-PPO P(own) vs NL-PPO 0.500 ± 0.058 (n=3)" in diag.baselines(main, PLOT)


def test_trend_reads_each_budget_from_the_longest_runs_prefix():
    rows = []
    for pairing, early, late in (("reciprocator_vs_nl", 0.3, 0.9), ("nl_vs_nl", 0.5, 0.5)):
        for e in range(10):  # budget 2 = 10 episodes; the first 5 are the 1x run
            v = early if e < 5 else late
            rows += [{"pairing": pairing, "seed": 0, "episode": e, "player": pl, "p_own": v, "reward": 0.0,
                      "cell": "w1-raw", "budget": 2} for pl in (0, 1)]
    t = diag.trend(pd.DataFrame(rows), PLOT).set_index("budget")
    assert t.loc["1×", "NL P(own) vs Recip"] == "0.300" and t.loc["1×", "C4a difference"] == "-0.200"
    assert t.loc["2×", "NL P(own) vs Recip"] == "0.900" and t.loc["2×", "C4a difference"] == "+0.400"
    assert t.loc["2×", "episodes"] == 10


def _claim(main, d):
    table = evaluate({"recip_coins": main, "recip_coins_diagnosis": d}, CLAIMS).set_index("id")
    return table.loc["DIAG-RECIP-coins-cells"]


def test_diagnostic_claim_corrects_over_cells():
    # one cell: p = 0.035 < 0.05 -> reproduced
    row = _claim(*_frames({"w0.3-norm": (0.6, 0.7, 0.8)}))
    assert row.verdict == "reproduced" and "w0.3-norm" in row.detail and "0.05/1" in row.threshold
    # two cells: the same p must now be below 0.05 / 2 = 0.025 -> not reproduced
    row = _claim(*_frames({"w0.3-norm": (0.6, 0.7, 0.8), "w0.1-raw": (0.4, 0.5, 0.6)}))
    assert row.verdict == "not reproduced" and "0.05/2" in row.threshold and "best cell w0.3-norm" in row.detail
    assert row.paper == diag.DIAGNOSTIC


def test_every_coins_claim_names_the_diagnosis():
    for c in ("RECIP-C4a", "RECIP-C4b", "RECIP-C5a", "RECIP-C5b", "RECIP-C5c"):
        assert "tables/recip_coins_diagnosis" in DIAGNOSIS[c]
    assert "C10" in DECISIONS["DIAG-RECIP-coins-cells"]


# ------------------------------------------------------------------------------ the confirmation (C11)


def test_confirmation_seeds_follow_every_seed_already_trained():
    assert coins_confirm_seeds(CFG) == range(0)  # the default config confirms nothing
    on = lambda cfg: {**cfg, "recip_coins_diagnosis": {**cfg["recip_coins_diagnosis"],  # noqa: E731
                                                       "confirm": {"cell": "w0.3-raw", "n_seeds": 5}}}
    assert coins_confirm_seeds(on(CFG)) == range(3, 8)  # recip_coins and the cells train seeds 0-2
    paper = load(ROOT / "config" / "config.yaml", scale="paper")
    assert paper["recip_coins"]["n_seeds"] == 8 and coins_confirm_seeds(on(paper)) == range(8, 13)
    assert coins_confirm_seeds(SMOKE) == range(1, 3)  # smoke confirms w0.3-raw on seeds 1 and 2


def _confirm_frames(fresh_rec, fresh_nl, chosen_rec=(0.7, 0.8, 0.9)):
    """recip_coins' NL-PPO vs NL-PPO (seeds 0-2, 0.4/0.5/0.6) plus the diagnosis: the cell w0.3-raw on
    seeds 0-2 (``chosen_rec``) and, on the fresh seeds 3.., its Reciprocator and NL-PPO runs."""
    main, d = _frames({"w0.3-raw": list(chosen_rec)})
    fresh = []
    for i, (r, n) in enumerate(zip(fresh_rec, fresh_nl, strict=True)):
        fresh += _run("reciprocator_vs_nl", 3 + i, r, cell="w0.3-raw", budget=1)
        fresh += _run("nl_vs_nl", 3 + i, n, cell="w0.3-raw", budget=1)
    return main, pd.concat([d, pd.DataFrame(fresh)], ignore_index=True)


CONFIRM = {"cell": "w0.3-raw", "seeds": [3, 4, 5], "chosen_seeds": 3}


def test_confirmation_table_tests_only_the_fresh_seeds():
    main, d = _confirm_frames(fresh_rec=(0.6, 0.7, 0.8), fresh_nl=(0.4, 0.5, 0.6))
    cfg = {**PLOT, "n_seeds": 3, "confirm": CONFIRM}
    t = diag.confirmation(pd.concat([main, d], ignore_index=True), cfg)
    fresh, chosen, both = t.to_dict("records")
    # Welch: t = 0.2 / sqrt(0.01/3 + 0.01/3) = 2.449, df = 4 -> one-sided p = 0.0352
    assert fresh["seeds"] == "3–5: fresh (the test)" and fresh["n (vs Recip / vs NL-PPO)"] == "3 / 3"
    assert (fresh["C4a difference"], fresh["one-sided Welch p"], fresh["verdict"]) == ("+0.200", "0.035", "holds")
    # the seeds that chose the cell: 0.8 vs recip_coins' 0.5 (not a test)
    assert chosen["seeds"].startswith("0–2") and chosen["C4a difference"] == "+0.300"
    assert chosen["verdict"] == "(not a test)"
    assert both["n (vs Recip / vs NL-PPO)"] == "6 / 6" and both["C4a difference"] == "+0.250"


def _claims(main, d, confirm):
    table = evaluate({"recip_coins": main, "recip_coins_diagnosis": d},
                     {**CLAIMS, "coins_confirm": confirm}).set_index("id")
    return table.loc["DIAG-RECIP-coins-confirm"], table.loc["DIAG-RECIP-coins-cells"]


def test_confirmation_claim_reads_the_fresh_seeds_and_the_cells_claim_does_not():
    # fresh seeds show nothing although the seeds that chose the cell did
    main, d = _confirm_frames(fresh_rec=(0.4, 0.5, 0.6), fresh_nl=(0.4, 0.5, 0.6))
    confirm, cells = _claims(main, d, CONFIRM)
    assert confirm.verdict == "not reproduced" and "+0.000" in confirm.statistic and "n=3" in confirm.statistic
    assert cells.verdict == "reproduced"  # seeds 0-2: 0.8 vs 0.5, p < 0.05 / 1
    assert "(p=0.0" in cells.statistic and "n=3)" in cells.statistic and "n=6" not in cells.statistic
    main, d = _confirm_frames(fresh_rec=(0.6, 0.7, 0.8), fresh_nl=(0.4, 0.5, 0.6))
    confirm, _ = _claims(main, d, CONFIRM)
    assert confirm.verdict == "reproduced" and "p = 0.035" in confirm.statistic
    assert confirm.paper == diag.DIAGNOSTIC
    # no confirmation configured -> not run, not "not reproduced"
    confirm, _ = _claims(main, d, {"cell": None, "seeds": [], "chosen_seeds": 3})
    assert confirm.verdict == "not run" and "confirm.cell is null" in confirm.statistic
    assert "C11" in DECISIONS["DIAG-RECIP-coins-confirm"] and "recip_coins_confirm" in DIAGNOSIS["RECIP-C4a"]
