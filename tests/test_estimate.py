"""mixedmotive.estimate: wall time of scheduled jobs from measured per-job costs."""

from __future__ import annotations

import json

import pytest
import yaml

from mixedmotive import estimate as est

COSTS = {"default": {"aga_ssd": {"*": 100.0, "harvest:cga": 300.0}, "recip_coins": {"*": 600.0}},
         "overhead_s": {"default": 5.0}, "measured": {"default": "test numbers"}}


def test_makespan_longest_first():
    # LPT on 2 cores: 7 -> A, 5 -> B, 4 -> B (9), 3 -> A (10), 3 -> B... hand-placed: A = 7+3 = 10, B = 5+4 = 9,
    # then 1 -> B
    assert est.makespan([3, 5, 7, 4, 1], 2) == 10
    assert est.makespan([3, 5, 7], 1) == 15
    assert est.makespan([3, 5, 7], 8) == 7
    assert est.makespan([], 2) == 0


def test_job_costs_exact_key_then_rule_typical_then_unmeasured():
    jobs = [("aga_ssd", {"game": "harvest", "variant": "cga", "seed": "0"}),
            ("aga_ssd", {"game": "cleanup", "variant": "sl", "seed": "2"}),
            ("recip_coins", {"pairing": "nl_vs_nl", "seed": "1"}),
            ("aga_fig3_ssd_curves", {})]
    out = est.estimate(jobs, COSTS, "default", cores=2)
    assert out["cpu_s"] == pytest.approx(300 + 100 + 600 + est.UNMEASURED_S + 4 * 5.0)
    assert out["wall_s"] == pytest.approx(max(605, 305 + 105 + est.UNMEASURED_S + 5))
    assert out["unmeasured"] == {"aga_fig3_ssd_curves": 1}
    text = est.message(out, "default", 2)
    # one short line: wall 305 + 105 + 2 + 5 = 417 s on core A, 605 s on core B; CPU 1022 s
    assert text == ("mixedmotive: 4 jobs at scale default; estimated wall time on 2 cores: 10 min 05 s "
                    "(CPU time 17 min 02 s; 1 unmeasured at 2 s; workflow/costs.yaml)")


def test_message_without_any_measured_cost_gives_no_estimate():
    out = est.estimate([("aga_ssd", {"game": "harvest", "variant": "cga", "seed": "0"})], COSTS, "paper", 1)
    assert est.message(out, "paper", 1) == ("mixedmotive: 1 jobs at scale paper; no wall-time estimate: "
                                           "workflow/costs.yaml has no measured cost for them")


def test_unknown_scale_counts_every_job_as_unmeasured():
    out = est.estimate([("aga_ssd", {"game": "harvest", "variant": "cga", "seed": "0"})], COSTS, "paper", 1)
    assert out["unmeasured"] == {"aga_ssd": 1} and out["wall_s"] == est.UNMEASURED_S


def test_measure_reads_sidecars(tmp_path):
    for i, (exp, method, wall) in enumerate([("aga_ssd", "harvest:cga", 10.0), ("aga_ssd", "harvest:cga", 30.0),
                                             ("aga_ssd", "cleanup:sl", 50.0),
                                             ("recip_ipd_analytic", "nl_vs_nl", 2.0),
                                             ("recip_ipd_rollout", "reciprocator_vs_nl", 7.0),
                                             ("aga_ablation", "mmm2:aga_sign_off:x8", 9.0)]):
        d = tmp_path / exp / str(i)
        d.mkdir(parents=True)
        (d / "seed0.json").write_text(json.dumps({"experiment": exp, "method": method, "wall_s": wall}))
    (tmp_path / "other.json").write_text(json.dumps({"unrelated": 1}))
    got = est.measure(tmp_path)
    assert got["aga_ssd"] == {"harvest:cga": 20.0, "cleanup:sl": 50.0, "*": 35.0}
    assert got["recip_ipd_match"] == {"nl_vs_nl": 2.0, "*": 2.0}
    assert got["recip_ipd_rollout"] == {"*": 7.0}
    # keyed like the rule's wildcards (mult, game, variant): what the estimate looks up
    assert got["aga_ablation"] == {"8:mmm2:aga_sign_off": 9.0, "*": 9.0}
    assert est.job_key({"mult": "8", "game": "mmm2", "variant": "aga_sign_off", "seed": "0"}) == "8:mmm2:aga_sign_off"


def test_repository_costs_file_is_valid():
    costs = est.load_costs()
    assert costs, "workflow/costs.yaml is missing"
    for scale, per_rule in costs.items():
        if scale in ("measured", "overhead_s", "peak_mb"):
            continue
        assert scale in ("smoke", "default", "paper") and scale in costs["measured"]
        for rule, per_key in per_rule.items():
            assert "*" in per_key and all(v >= 0 for v in per_key.values()), (scale, rule)
    for scale, per_rule in costs.get("peak_mb", {}).items():  # peak resident MB per job (the preflight's)
        assert scale in costs and set(per_rule) <= set(costs[scale]), scale
        for rule, per_key in per_rule.items():
            assert "*" in per_key and all(v > 0 for v in per_key.values()), (scale, rule)
    assert yaml.safe_load(est.COSTS.read_text()) == costs
