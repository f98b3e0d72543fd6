"""The AgA ablation's summary, budget trend and diagnostic claims on hand-built runs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mixedmotive.analysis import aga_ablation as abl
from mixedmotive.analysis.claims import DIAGNOSIS, evaluate

CFG = {"marl_final_fraction": 0.4, "ablation_margin": 0.0, "marl_alpha": 0.05}


def _run(game, variant, seed, collective, budget=1, h=None, x=1.0, share=0.5, lam_positive=None):
    """Five updates; the last two (40 %) have collective ``collective``, the first three -1000."""
    rows = []
    for u in range(5):
        row = {"game": game, "variant": variant, "seed": seed, "budget": budget, "update": u,
               "env_steps": 100 * budget * (u + 1), "collective": collective if u >= 3 else -1000.0,
               "equality": 0.9, "entropy": 2.0 - 0.1 * u}
        for layer in ("l0", "l1", "l2"):
            row[f"norm_xi_{layer}"] = x
            row[f"norm_xi_c_{layer}"] = 1.0
            row[f"norm_h_xi_c_{layer}"] = math.nan if h is None else h * (u + 1)
            row[f"h_gt_xi_{layer}"] = math.nan if h is None else share
        if lam_positive is not None:
            row["lam_positive"] = lam_positive
        rows.append(row)
    return rows


def _frame(values: dict, game="harvest", **kw) -> pd.DataFrame:
    rows = []
    for variant, per_seed in values.items():
        for seed, c in enumerate(per_seed):
            rows += _run(game, variant, seed, c, **(kw.get(variant, {})))
    return pd.DataFrame(rows)


def test_summary_by_hand():
    t = _frame({"simul_ind": [10.0, 20.0], "aga": [0.0, 4.0]}, aga={"h": 2.0, "lam_positive": 0.75})
    s = abl.summary(t, {"harvest": ["simul_ind", "aga"]}, 0.4).set_index("variant")
    assert s.loc["simul_ind", "collective return"] == "15.0 ± 5.0"
    assert s.loc["aga", "collective return"] == "2.0 ± 2.0"
    # Welch t-test of 'aga better than simul_ind': t = (2 - 15) / sqrt(5^2 + 2^2) = -2.414, df = 1.30
    assert s.loc["aga", "Δ vs Simul-Ind"].startswith("-13.0 (p=0.9")
    assert s.loc["aga", "P(λ' > 0)"] == "0.75" and s.loc["simul_ind", "P(λ' > 0)"] == "–"
    # ‖H_c ξ_c‖ / ‖ξ‖ = 2 (u + 1) / 1, averaged over u = 0..4 -> 6, in both hidden layers (l2 is the output)
    assert s.loc["aga", "‖H_cξ_c‖/‖ξ‖ hidden"] == "6 ± 0; 6 ± 0"
    assert s.loc["aga", "|H_cξ_c|>|ξ| share hidden"] == "0.50 ± 0.00; 0.50 ± 0.00"
    assert s.loc["simul_ind", "‖H_cξ_c‖/‖ξ‖ hidden"] == "–; –"
    assert (s["seeds"] == 2).all() and (s["game"] == "Harvest").all()


def test_summary_skips_other_budgets_and_orders_games():
    t = pd.concat([_frame({"aga": [1.0]}, game="mmm2"), _frame({"aga": [5.0]}),
                   pd.DataFrame(_run("harvest", "aga", 0, 99.0, budget=4))])
    s = abl.summary(t, {"mmm2": ["aga"], "harvest": ["aga"]}, 0.4)
    assert list(s["game"]) == ["Harvest", "Selfish-MMM2"]
    assert list(s["collective return"]) == ["5.0", "1.0"]  # the 4x run is not in the 1x summary


@pytest.mark.parametrize("a_values,b_values,expected", [
    ([30.0, 32.0, 31.0], [0.0, 1.0, 2.0], True),      # clearly better
    ([30.0, -20.0, 31.0], [0.0, 1.0, 2.0], False),    # better mean, p > 0.05
    ([0.0, 1.0, 2.0], [30.0, 32.0, 31.0], False),     # worse
])
def test_beats_by_hand(a_values, b_values, expected):
    t = _frame({"aga_no_hamiltonian": a_values, "aga": b_values})
    v = abl.beats({"aga_ablation": t}, CFG, "harvest", "aga_no_hamiltonian", "aga")
    assert v.reproduced is expected
    assert "aga_no_hamiltonian" in v.statistic and "Welch" in v.threshold


def test_beats_with_at_least_and_missing_runs():
    t = _frame({"aga_no_hamiltonian": [30.0, 32.0, 31.0], "aga": [0.0, 1.0, 2.0], "simul_ind": [40.0, 41.0, 42.0]})
    v = abl.beats({"aga_ablation": t}, CFG, "harvest", "aga_no_hamiltonian", "aga", also_at_least="simul_ind")
    assert not v.reproduced and "-10.0" in v.detail  # beats AgA, but 10 below Simul-Ind
    looser = abl.beats({"aga_ablation": t}, {**CFG, "ablation_margin": 11.0}, "harvest", "aga_no_hamiltonian", "aga",
                       also_at_least="simul_ind")
    assert looser.reproduced  # 31 - 1 = 30 > 11 and 31 - 41 = -10 >= -11
    strict = abl.beats({"aga_ablation": t}, {**CFG, "ablation_margin": 31.0}, "harvest", "aga_no_hamiltonian", "aga")
    assert not strict.reproduced  # the margin applies to 'beats' too: 30 > 31 is false
    missing = abl.beats({"aga_ablation": t}, CFG, "cleanup", "aga_no_hamiltonian", "aga")
    assert not missing.reproduced and not missing.ran and missing.statistic.startswith("missing runs")


def test_trend_by_hand():
    t = pd.concat([_frame({"simul_ind": [10.0, 20.0], "aga": [0.0, 2.0]}),
                   pd.DataFrame(_run("harvest", "simul_ind", 0, 50.0, budget=4)),
                   pd.DataFrame(_run("harvest", "aga", 0, 45.0, budget=4))])
    tr = abl.trend(t, "harvest", ["simul_ind", "aga"], 0.4)
    assert list(tr["budget"]) == ["1×", "1×", "4×", "4×"]
    assert list(tr["env steps"]) == [500, 500, 2000, 2000]
    assert list(tr["gap to Simul-Ind"]) == ["–", "-14.0", "–", "-5.0"]
    assert list(tr["seeds"]) == [2, 2, 1, 1]


def test_diagnostic_rows_in_the_claims_table():
    t = _frame({"aga_no_hamiltonian": [30.0, 32.0, 31.0], "aga": [0.0, 1.0, 2.0], "simul_ind": [20.0, 21.0, 22.0]})
    table = evaluate({"aga_ablation": t}, CFG).set_index("id")
    diag = table[table["paper"] == abl.DIAGNOSTIC]
    assert set(diag.index) == {d[0] for d in abl.DIAGNOSES}
    assert table.loc["DIAG-AGA-harvest-H", "verdict"] == "reproduced"
    assert table.loc["DIAG-AGA-harvest-sign", "verdict"] == "not run"  # no aga_sign_off runs
    assert table.loc["DIAG-AGA-cleanup-H", "statistic"].startswith("missing runs")
    assert table.loc["DIAG-AGA-cleanup-H", "verdict"] == "not run"
    assert all(s.startswith("Diagnostic") for s in diag["claim"])
    # every not-reproduced AgA claim of the papers names its diagnosis
    for cid in ("AGA-C4-harvest-SW", "AGA-C4-cleanup-E", "AGA-C5-win"):
        assert "tables/aga_ablation" in DIAGNOSIS[cid] and table.loc[cid, "diagnosis"] == DIAGNOSIS[cid]
    assert np.all(table["diagnosis"].notna())


def test_trend_takes_smaller_budgets_from_the_prefix_of_the_largest():
    # one 4x run of 20 updates per variant: the 2x budget is its first 10 updates
    rows = []
    for variant, late in (("simul_ind", 50.0), ("aga", 45.0)):
        for u in range(20):
            rows.append({"game": "harvest", "variant": variant, "seed": 0, "budget": 4, "update": u,
                         "env_steps": 100 * (u + 1), "collective": late if u >= 10 else float(u)})
    t = pd.DataFrame(rows)
    tr = abl.trend(t, "harvest", ["simul_ind", "aga"], 0.2, multipliers=[2, 4])
    assert list(tr["budget"]) == ["2×", "2×", "4×", "4×"]
    # 2x: updates 0..9, last 20 % = updates 8 and 9 -> 8.5 for both variants
    assert list(tr["collective return"]) == ["8.5", "8.5", "50.0", "45.0"]
    assert list(tr["env steps"]) == [1000, 1000, 2000, 2000]
    # runs whose budget column was read as float (a frame joined with reused Table 2 runs) keep integer labels
    tr = abl.trend(t.astype({"budget": float}), "harvest", ["simul_ind", "aga"], 0.2, multipliers=[2, 4])
    assert list(tr["budget"]) == ["2×", "2×", "4×", "4×"]


def test_reused_table2_runs_join_the_ablation_relabelled():
    own = _frame({"aga_no_hamiltonian": [5.0]}).assign(experiment="aga_ablation")
    ssd = _frame({"aga_lam100": [1.0, 2.0], "simul_ind": [9.0], "cga": [3.0]}).drop(columns="budget").assign(
        experiment="aga_ssd")
    mmm2 = _frame({"aga_lam100": [7.0]}, game="mmm2").drop(columns=["budget", "game"]).assign(experiment="aga_mmm2")
    t = abl.with_reused(pd.concat([own, ssd, mmm2], ignore_index=True),
                        {"harvest": {"aga": "aga_lam100", "simul_ind": "simul_ind"}, "mmm2": {"aga": "aga_lam100"}})
    runs = t.groupby(["game", "variant"]).seed.nunique().to_dict()
    assert runs == {("harvest", "aga"): 2, ("harvest", "simul_ind"): 1, ("harvest", "aga_no_hamiltonian"): 1,
                    ("mmm2", "aga"): 1}  # cga is not reused: dropped
    assert (t["budget"] == 1).all()
    s = abl.summary(t, {"harvest": ["simul_ind", "aga"]}, 0.4).set_index("variant")
    assert s.loc["aga", "collective return"] == "1.5 ± 0.5"
    # the claims read the same relabelled runs
    frames = {"aga_ablation": own, "aga_ssd": ssd, "aga_mmm2": mmm2}
    v = abl.beats(frames, {**CFG, "ablation_reuse": {"harvest": {"aga": "aga_lam100"}}}, "harvest",
                  "aga_no_hamiltonian", "aga")
    assert "aga 1.5 ± 0.5 (n=2)" in v.statistic
