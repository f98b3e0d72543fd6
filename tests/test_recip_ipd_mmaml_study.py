"""The M-MAML study (docs/decisions.md R12): settings, reference numbers, evaluation, statistics, claims."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch
import yaml

from mixedmotive import snapshot
from mixedmotive.agents import ipd_analytic, ipd_meta
from mixedmotive.analysis import recip_ipd_mmaml_study as study
from mixedmotive.analysis.claims import DECISIONS, evaluate
from mixedmotive.config import ROOT, ConfigError, load, resolve
from mixedmotive.experiments import recip_ipd_mmaml_eval, recip_ipd_mmaml_study
from mixedmotive.jobs import job_settings, study_arms
from mixedmotive.jobs import job_settings as settings
from mixedmotive.wildcards import StudyArm


def _cfg(scale="default", **study_cfg):
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    raw["recip_ipd_mmaml_study"].update(study_cfg)
    return resolve(raw, scale)


# ----------------------------------------------------------------------------- settings and scheduling
def test_a_study_run_is_the_round_robin_meta_training_with_only_the_outer_batch_changed():
    cfg = _cfg(n_ids=10)
    own = job_settings("recip_ipd_meta", cfg, "mmaml")
    other = settings("recip_ipd_mmaml_study", cfg, "b512")
    assert other["mmaml"].pop("batch") == 512
    assert own["mmaml"].pop("batch") == 64
    assert other == own
    assert settings("recip_ipd_meta", cfg, "mmaml") == job_settings("recip_ipd_meta", cfg, "mmaml")


def test_arms_are_off_at_zero_ids_and_never_repeat_the_own_arm():
    assert study_arms(_cfg()) == []  # the default config: off
    assert study_arms(_cfg(n_ids=3, batches=[512, 64, 128], fixed_inner_lrs=[1.0, 0.5])) == [
        "b64", "b512", "b128", "b64-lr1", "b64-lr0.5", "mfos"]
    assert StudyArm.parse("b512") == (512, "learned") and StudyArm.parse("b64-lr0.5") == (64, 0.5)
    assert str(StudyArm(64, 1.0)) == "b64-lr1" and str(StudyArm(512, "learned")) == "b512"
    for bad in ("512", "b", "b0", "bx", "mfos", "b64-lr", "b64-lr0", "b64-lrx"):
        with pytest.raises(ValueError):
            StudyArm.parse(bad)


def test_a_fixed_lr_run_changes_only_the_inner_lr():
    cfg = _cfg(n_ids=10)
    own = job_settings("recip_ipd_meta", cfg, "mmaml")
    fixed = settings("recip_ipd_mmaml_study", cfg, "b64-lr1")
    assert fixed["mmaml"].pop("inner_lr") == 1.0 and own["mmaml"].pop("inner_lr") == "learned"
    assert fixed == own


def test_eval_settings_are_the_round_robin_match_settings():
    cfg = _cfg(n_ids=4)
    s = settings("recip_ipd_mmaml_eval", cfg, "mfos")
    rr = cfg["recip_ipd_analytic"]
    assert s == {"n_ids": 4, "n_updates": rr["n_updates"], "batch": rr["batch"], "gamma": rr["gamma"],
                 "nl": rr["nl"], "scale": "default", "device": "cpu"}
    with pytest.raises(ValueError):
        settings("recip_ipd_mmaml_eval", cfg, "b-1")


@pytest.mark.parametrize("key, value", [("n_ids", 11), ("n_ids", -1), ("batches", [0]), ("fixed_inner_lrs", [0]),
                                        ("threshold", -0.5),
                                        ("alpha", 0), ("smooth", 0), ("nope", 1)])
def test_bad_study_settings_name_the_key(key, value):
    with pytest.raises(ConfigError, match=f"recip_ipd_mmaml_study.{key}"):
        _cfg(**{key: value})


def test_the_study_config_file_turns_it_on_with_ten_ids():
    extra = yaml.safe_load((ROOT / "config" / "mmaml_study.yaml").read_text())
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    raw["recip_ipd_mmaml_study"].update(extra["recip_ipd_mmaml_study"])
    assert study_arms(resolve(raw, "default")) == ["b64", "b512", "b64-lr1", "mfos"]
    assert resolve(raw, "default")["recip_ipd_mmaml_study"]["n_ids"] == 10


# ----------------------------------------------------------------------------- reference numbers
def test_the_packaged_mfos_sets_agree_with_the_parity_fixture():
    ref = recip_ipd_mmaml_eval.reference()
    assert ref["commit"] == "3efb169c39ece7acdaa3f742c5618b7bb11e93d6"
    assert sorted(map(int, ref["theta0"])) == list(range(10))
    assert all(len(v) == 5 for v in ref["theta0"].values())
    fixture = json.loads((ROOT / "tests" / "fixtures" / "parity" / "ipd_mfos.json").read_text())
    assert ref["theta0"]["0"] == fixture["mamaml_IPD_0"]["theta0"]


def test_the_reference_numbers_count_as_the_evaluations_training_code():
    assert "src/mixedmotive/data/mfos_mamaml_ipd.json" in snapshot.training_files("recip_ipd_mmaml_eval")
    assert "src/mixedmotive/experiments/recip_ipd_meta.py" in snapshot.training_files("recip_ipd_mmaml_study")


# ----------------------------------------------------------------------------- experiments
SMALL = {"n_ids": 3, "n_updates": 4, "batch": 16, "gamma": 0.96, "nl": {"lr": 1.0}, "scale": "smoke", "device": "cpu"}


def test_evaluating_mfos_sets_is_a_match_against_nl_with_lr_one():
    frame = recip_ipd_mmaml_eval.run(SMALL, "mfos", 0)
    assert list(frame.id) == [0, 1, 2]
    theta = recip_ipd_mmaml_eval.reference_theta0()[2]
    out = ipd_analytic.play(ipd_meta.MMAMLAgent(theta, 1.0), ipd_analytic.NaiveLearner(1.0), n_updates=4, batch=16,
                            seed=2, gamma=0.96)
    row = frame.set_index("id").loc[2]
    assert row.reward_vs_nl == out["mean_1"] and row.nl_reward == out["mean_2"]
    assert row.p_cc == pytest.approx(float(torch.sigmoid(theta[1].double())))
    assert math.isnan(row.inner_lr) and math.isnan(row.reward_vs_nl_alpha)
    with pytest.raises(ValueError, match="do not exist"):
        recip_ipd_mmaml_eval.run({**SMALL, "n_ids": 11}, "mfos", 0)


def test_evaluating_our_sets_plays_lr_one_and_the_learned_lr(tmp_path):
    from mixedmotive import results

    arts = {}
    for i in range(2):
        theta0 = torch.randn(5, generator=torch.Generator().manual_seed(i))
        results.write_artifact({"theta0": theta0, "inner_lr": torch.tensor(0.25 + i)}, tmp_path / f"s{i}.pt")
        arts[str(i)] = str(tmp_path / f"s{i}.pt")
    frame = recip_ipd_mmaml_eval.run({**SMALL, "n_ids": 2, "artifacts": arts}, "b64", 0).set_index("id")
    theta1 = torch.randn(5, generator=torch.Generator().manual_seed(1))
    for lr, col in ((1.0, "reward_vs_nl"), (1.25, "reward_vs_nl_alpha")):
        out = ipd_analytic.play(ipd_meta.MMAMLAgent(theta1, lr), ipd_analytic.NaiveLearner(1.0), n_updates=4,
                                batch=16, seed=1, gamma=0.96)
        assert frame.loc[1, col] == out["mean_1"]
    assert frame.loc[1, "inner_lr"] == 1.25


def test_a_study_run_refuses_an_arm_that_is_not_its_batch():
    cfg = settings("recip_ipd_mmaml_study", load(scale="smoke"), "b16")
    with pytest.raises(ValueError, match="does not match"):
        recip_ipd_mmaml_study.run(cfg, "b32", 0)
    with pytest.raises(ValueError, match="does not match"):
        recip_ipd_mmaml_study.run(cfg, "b16-lr1", 0)


# ----------------------------------------------------------------------------- statistics by hand
def test_first_crossing_uses_the_trailing_mean():
    obj = [-2.0, -2.0, -1.0, -1.0, -1.0]
    assert study.first_crossing(obj, -1.5, 1) == 2.0  # the raw curve crosses at episode 2
    assert study.first_crossing(obj, -1.5, 2) == 2.0  # mean(-2, -1) = -1.5 reaches it there too
    assert study.first_crossing(obj, -1.5, 3) == 3.0  # mean(-2, -1, -1) = -1.33 at episode 3, -1.67 at 2
    assert math.isnan(study.first_crossing([-2.0] * 4, -1.5, 2))


def test_fisher_and_mcnemar_by_hand():
    # 5 of 10 against 10 of 10: X ~ Hypergeom(20, 15, 10), P(X <= 5) = P(X = 5) = C(15,5) C(5,5) / C(20,10)
    assert study.fisher_fewer(5, 10, 10, 10) == pytest.approx(3003 / 184756)
    assert study.fisher_fewer(10, 10, 5, 10) == pytest.approx(1.0)
    a = [False] * 5 + [True] * 5
    assert study.mcnemar_more(a, [True] * 10) == (5, 0, pytest.approx(0.5 ** 5))
    assert study.mcnemar_more(a, a) == (0, 0, 1.0)
    # 3 ids only at b, 1 only at a: P(Bin(4, 1/2) >= 3) = 5/16
    assert study.mcnemar_more([1, 0, 0, 0, 1], [0, 1, 1, 1, 1])[2] == pytest.approx(5 / 16)


def _evals(arms: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for arm, rewards in arms.items():
        for i, r in enumerate(rewards):
            learned = math.nan if arm == "mfos" else r  # M-FOS's sets hold no inner lr
            rows.append({"arm": arm, "id": i, **{f"p_{s}": 0.5 for s in study.STATES}, "inner_lr": 0.5,
                         "reward_vs_nl": r, "nl_reward": -1.5, "reward_vs_nl_alpha": learned,
                         "nl_reward_alpha": -1.5, "seed": 0})
    return pd.DataFrame(rows)


CLAIM_CFG = {"mmaml_study": {"threshold": -1.5, "alpha": 0.05, "own_arm": "b64"}}


def _verdicts(evals):
    table = evaluate({"recip_ipd_mmaml_eval": evals}, CLAIM_CFG).set_index("id")
    return table.loc["DIAG-RECIP-mmaml-mfos"], table.loc["DIAG-RECIP-mmaml-batch"]


def test_the_fixed_lr_claim_pairs_ids_with_the_round_robins_arm():
    coop, nl_like = -1.0, -1.97
    evals = _evals({"b64": [coop] * 2 + [nl_like] * 8, "b64-lr1": [coop] * 9 + [nl_like],
                    "b512": [coop] * 2 + [nl_like] * 8})
    row = evaluate({"recip_ipd_mmaml_eval": evals}, CLAIM_CFG).set_index("id").loc["DIAG-RECIP-mmaml-fixed-lr"]
    assert row.verdict == "reproduced"  # 7 ids only with the fixed lr, none the other way: p = 1/128
    assert "b64 2/10 vs b64-lr1 9/10 (ids only at b64-lr1: 7, only at b64: 0; p = 0.0078)" in row.statistic
    only_batch = evaluate({"recip_ipd_mmaml_eval": evals[evals.arm != "b64-lr1"]}, CLAIM_CFG).set_index("id")
    assert only_batch.loc["DIAG-RECIP-mmaml-fixed-lr", "verdict"] == "not run"


def test_the_claims_on_hand_built_arms():
    coop, nl_like = -1.0, -1.97
    # ours 5/10, M-FOS 10/10 (p = 0.016: a shortfall); batch 512 10/10 with the same ids (p = 1/32)
    mfos, batch = _verdicts(_evals({"b64": [coop] * 5 + [nl_like] * 5, "b512": [coop] * 10, "mfos": [coop] * 10}))
    assert mfos.verdict == "not reproduced" and "ours (outer batch 64) 5/10, M-FOS 10/10" in mfos.statistic
    assert batch.verdict == "reproduced" and "p = 0.031" in batch.statistic
    # ours 8/10 vs 9/10: no detected shortfall; the larger batch changes only two ids, one each way
    mfos, batch = _verdicts(_evals({"b64": [coop] * 8 + [nl_like] * 2, "b512": [nl_like] + [coop] * 8 + [nl_like],
                                    "mfos": [coop] * 9 + [nl_like]}))
    assert mfos.verdict == "reproduced"
    assert batch.verdict == "not reproduced" and "only at b512: 1, only at b64: 1; p = 0.75" in batch.statistic
    # a smaller extra batch is not the claim's arm; without M-FOS's arm the first claim did not run
    mfos, batch = _verdicts(_evals({"b64": [coop] * 3, "b16": [coop] * 3}))
    assert mfos.verdict == "not run" and batch.verdict == "not run"


def test_the_summary_and_per_id_rows():
    evals = _evals({"b64": [-1.0, -1.97, -1.5], "mfos": [-1.2, -1.4, -1.9]})
    cfg = {"threshold": -1.5, "smooth": 2, "own_arm": "b64"}
    head = study.summary(evals, cfg).set_index("arm")
    assert head.loc["ours, outer batch 64 (round robin)", "cooperative start"] == "2/3"  # -1.5 counts
    assert head.loc["ours, outer batch 64 (round robin)", "ids without"] == "1"
    assert head.loc["M-FOS pre-generated (3efb169)", "ids without"] == "2"
    assert head.loc["ours, outer batch 64 (round robin)", "cooperative (learned lr)"] == "2/3"
    assert head.loc["M-FOS pre-generated (3efb169)", "cooperative (learned lr)"] == ""
    curves = pd.DataFrame({"episode": list(range(10)) * 3, "seed": [0] * 10 + [1] * 10 + [2] * 10,
                           "objective": [-2.0] * 5 + [-1.0] * 5 + [-1.97] * 10 + [-1.6] * 10, "arm": "b64"})
    rows = study.per_id(evals, curves, cfg).set_index(["arm", "id"])
    own = "ours, outer batch 64 (round robin)"
    assert rows.loc[(own, 0), "first episode >= threshold"] == 5.0  # mean(-2, -1) = -1.5 at episode 5
    assert rows.loc[(own, 0), "final objective"] == -1.0
    assert math.isnan(rows.loc[(own, 1), "first episode >= threshold"])
    assert math.isnan(rows.loc[("M-FOS pre-generated (3efb169)", 0), "final objective"])


def test_every_study_claim_names_its_decisions():
    assert (DECISIONS["DIAG-RECIP-mmaml-mfos"] == DECISIONS["DIAG-RECIP-mmaml-batch"]
            == DECISIONS["DIAG-RECIP-mmaml-fixed-lr"] == ("R6", "R12"))


def test_the_snapshot_checks_study_runs_against_their_own_settings():
    cfg = _cfg(n_ids=10)
    run = {"experiment": "recip_ipd_mmaml_study", "method": "b512",
           "config": json.loads(json.dumps(settings("recip_ipd_mmaml_study", cfg, "b512")))}
    assert snapshot._settings_match(run, cfg)
    run["config"]["mmaml"]["batch"] = 256
    assert not snapshot._settings_match(run, cfg)
    ev = {"experiment": "recip_ipd_mmaml_eval", "method": "b64",
          "config": {**settings("recip_ipd_mmaml_eval", cfg, "b64"), "artifacts": {"0": "x.pt"}}}
    assert snapshot._settings_match(ev, cfg)
    assert not snapshot._settings_match(ev, _cfg(n_ids=9))
