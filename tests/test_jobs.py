"""mixedmotive.jobs: a training job's params are exactly the settings it reads."""

from __future__ import annotations

import pytest

from mixedmotive.config import ROOT, load
from mixedmotive.jobs import PLOT_ONLY, SCHEDULING, job_settings

CFG = load(ROOT / "config" / "config.yaml", scale="default")

JOBS = [("aga_diffgame", "aga"), ("aga_public_goods", "sl"), ("aga_runtime", None), ("aga_ssd", "harvest:cga"),
        ("aga_ssd", "cleanup:aga_lam100"), ("aga_mmm2", "svo"), ("recip_ipd_meta", "mfos"),
        ("recip_ipd_analytic", "nl_vs_reciprocator"), ("recip_ipd_rollout", None),
        ("recip_coins", "reciprocator_vs_nl"), ("recip_coins", "mfos_vs_mfos"),
        ("recip_coins_diagnosis", "reciprocator_vs_nl:w0.3-norm:x1"), ("recip_coins_diagnosis", "nl_vs_nl:w1-raw:x5")]


def _keys(tree, prefix=""):
    for k, v in tree.items():
        yield prefix + k
        if isinstance(v, dict):
            yield from _keys(v, prefix + k + ".")


@pytest.mark.parametrize("experiment,method", JOBS)
def test_no_scheduling_or_plot_settings_in_a_job(experiment, method):
    s = job_settings(experiment, CFG, method)
    top = set(s) - ({"methods"} if experiment == "aga_runtime" else set())  # the runtime job times them all
    assert not top & (set(SCHEDULING) | set(PLOT_ONLY)), sorted(top & (set(SCHEDULING) | set(PLOT_ONLY)))
    assert s["scale"] == "default" and "device" in s


def test_game_jobs_read_their_own_lambda_only():
    aga = job_settings("aga_diffgame", CFG, "aga")
    assert aga["lam"] == {"aga": CFG["aga_diffgame"]["lam"]["aga"]} and "sga_align" not in aga
    sga = job_settings("aga_diffgame", CFG, "sga")
    assert sga["lam"] == {"sga": 0.1} and sga["sga_align"] is True
    assert job_settings("aga_diffgame", CFG, "simul_ind")["lam"] == {}
    pg = {m: job_settings("aga_public_goods", CFG, m) for m in ("svo", "sl", "aga")}
    assert "svo" in pg["svo"] and "svo" not in pg["aga"] and "sl" in pg["sl"] and "sl" not in pg["svo"]
    # what the job still reads is untouched
    assert pg["aga"]["k"] == CFG["aga_public_goods"]["k"] and pg["aga"]["runs"] == CFG["aga_public_goods"]["runs"]


def test_marl_jobs_read_their_variant_settings_only():
    cga = job_settings("aga_ssd", CFG, "harvest:cga")["mappo"]
    aga = job_settings("aga_ssd", CFG, "harvest:aga_lam100")["mappo"]
    svo = job_settings("aga_mmm2", CFG, "svo")["mappo"]
    assert "cga_lam" in cga and "cga_lam" not in aga and "svo_angle_deg" not in aga
    assert {"svo_angle_deg", "svo_weight"} <= set(svo) and "sl_self_interest" not in svo
    only = {"cga_lam", "svo_angle_deg", "svo_weight", "sl_self_interest", "aga_sign", "aga_hamiltonian",
            "aga_normalise", "collective", "sgd_lr"}
    shared = set(CFG["aga_ssd"]["mappo"]) - only
    assert shared <= set(aga) and shared <= set(cga)
    assert {"aga_sign", "aga_hamiltonian", "aga_normalise", "collective"} <= set(aga)
    assert not {"aga_sign", "collective"} & set(cga)
    assert "collective" in job_settings("aga_ssd", CFG, "harvest:simul_co")["mappo"]
    assert "sgd_lr" not in aga  # read only with optimiser sgd
    assert "harvest_regrowth_window" in job_settings("aga_ssd", CFG, "harvest:simul_ind")
    assert "harvest_regrowth_window" not in job_settings("aga_ssd", CFG, "cleanup:simul_ind")
    assert job_settings("aga_mmm2", CFG, "simul_ind")["backend"] == CFG["mmm2_backend"]


def test_reciprocator_jobs():
    nl = job_settings("recip_coins", CFG, "nl_vs_nl")
    assert "mfos" not in nl and nl["reciprocator"] == {
        "init_episodes": CFG["recip_coins"]["reciprocator"]["init_episodes"]}
    rec = job_settings("recip_coins", CFG, "reciprocator_vs_nl")
    assert rec["reciprocator"] == CFG["recip_coins"]["reciprocator"] and "mfos" not in rec
    assert "mfos" in job_settings("recip_coins", CFG, "mfos_vs_nl")
    match = job_settings("recip_ipd_analytic", CFG, "nl_vs_reciprocator")
    assert set(match) == {"n_updates", "batch", "gamma", "nl", "reciprocator", "scale", "device"}
    assert set(job_settings("recip_ipd_analytic", CFG, "mmaml_vs_mfos")) == {"n_updates", "batch", "gamma", "scale",
                                                                             "device"}
    assert set(job_settings("recip_ipd_meta", CFG, "mmaml")) == {"mmaml", "scale", "device"}


def test_changing_another_methods_setting_leaves_a_job_unchanged():
    import copy

    other = copy.deepcopy(CFG)
    other["aga_public_goods"]["lam"]["aga"] = 7.0
    other["aga_public_goods"]["methods"] = ["simul_ind"]
    other["aga_public_goods"]["n_seeds"] = 5
    other["aga_diffgame"]["plot_range"] = [-9, 9]
    other["aga_ssd"]["mappo"]["cga_lam"] = 3.0
    other["recip_coins"]["smooth"] = 3
    for experiment, method in [("aga_public_goods", "cga"), ("aga_diffgame", "aga"), ("aga_ssd", "harvest:aga_lam1"),
                               ("recip_coins", "nl_vs_nl")]:
        assert job_settings(experiment, other, method) == job_settings(experiment, CFG, method), experiment
    assert job_settings("aga_public_goods", other, "aga") != job_settings("aga_public_goods", CFG, "aga")
    assert job_settings("aga_ssd", other, "cleanup:cga") != job_settings("aga_ssd", CFG, "cleanup:cga")


def test_unknown_experiment_is_an_error():
    with pytest.raises(KeyError, match="no job settings"):
        job_settings("nonsense", CFG, None)


def test_ablation_job_is_the_games_section_with_the_variants_options():
    base = job_settings("aga_ssd", CFG, "harvest:aga_lam100")
    paper = job_settings("aga_ablation", CFG, "harvest:aga:x1")
    assert {k: v for k, v in paper.items() if k != "variant"} == base and paper["variant"] == "aga_lam100"
    no_h = job_settings("aga_ablation", CFG, "harvest:aga_no_hamiltonian:x1")
    assert no_h["mappo"] == {**base["mappo"], "aga_hamiltonian": False}
    sgd = job_settings("aga_ablation", CFG, "harvest:aga_sgd:x1")["mappo"]
    assert sgd["optimiser"] == "sgd" and sgd["sgd_lr"] == CFG["aga_ssd"]["mappo"]["sgd_lr"]
    simul = job_settings("aga_ablation", CFG, "cleanup:simul_ind:x4")
    assert simul["variant"] == "simul_ind" and "aga_sign" not in simul["mappo"]
    assert simul["updates"] == 4 * CFG["aga_ssd"]["updates"] and "harvest_regrowth_window" not in simul
    mmm2 = job_settings("aga_ablation", CFG, "mmm2:aga_sign_off_no_hamiltonian:x1")
    assert mmm2["backend"] == CFG["mmm2_backend"] and mmm2["updates"] == CFG["aga_mmm2"]["updates"]
    assert mmm2["network"] == CFG["aga_mmm2"]["network"] and mmm2["mappo"]["aga_sign"] == "off"


@pytest.mark.parametrize("game", ["harvest", "cleanup"])
@pytest.mark.parametrize("variant", ["simul_ind", "simul_co", "svo", "cga", "sl"])
def test_table2_baselines_as_ablation_variants_are_table2_runs_at_the_default_budget(game, variant):
    """The larger-budget Table 2 (aga_ablation.budget) trains the baselines as ablation variants: at x1 their
    settings are Table 2's runs' but for the label, as the workflow's ablation_reuses compares them, and at x8
    they differ only in the updates."""
    table2 = job_settings("aga_ssd", CFG, f"{game}:{variant}")
    assert job_settings("aga_ablation", CFG, f"{game}:{variant}:x1") == {**table2, "variant": variant}
    x8 = job_settings("aga_ablation", CFG, f"{game}:{variant}:x8")
    assert x8 == {**table2, "variant": variant, "updates": 8 * CFG["aga_ssd"]["updates"]}
