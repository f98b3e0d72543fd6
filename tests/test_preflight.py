"""The preflight (``mixedmotive.preflight``), the rules' resources from ``workflow/costs.yaml`` and the
``device=cuda`` check before any job."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from helpers import copy_repo

from mixedmotive import checkpoint, estimate, preflight

REPO = Path(__file__).resolve().parents[1]


def _env(root: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    env.pop(checkpoint.ENV_STOP_AFTER, None)
    return env


COSTS = {"paper": {"aga_ssd": {"cleanup:cga": 600.0, "*": 100.0}}, "overhead_s": {"paper": 10.0},
         "peak_mb": {"paper": {"aga_ssd": {"*": 700}}}}


def test_request_from_measured_costs_with_margins_and_floors():
    # (600 s + 10 s start) x 1.5 = 915 s = 15.25 min -> 16; 700 MB x 1.5 = 1050 -> rounded up to 1100
    assert preflight.request("aga_ssd", "paper", {"game": "cleanup", "variant": "cga", "seed": "3"}, COSTS) == \
        {"runtime": 16, "mem_mb": 1100}
    # another job of the rule: the rule's '*' (110 s x 1.5 = 2.75 min -> the 10 min floor)
    assert preflight.request("aga_ssd", "paper", {"game": "harvest", "variant": "sl", "seed": "0"}, COSTS) == \
        {"runtime": 10, "mem_mb": 1100}
    small = {"paper": {"aga_ssd": {"*": 1.0}}, "peak_mb": {"paper": {"aga_ssd": {"*": 300}}}}
    assert preflight.request("aga_ssd", "paper", {}, small) == {"runtime": 10, "mem_mb": 1000}  # floors
    assert preflight.request("aga_mmm2", "paper", {"variant": "cga"}, COSTS) == \
        {"runtime": preflight.UNMEASURED_RUNTIME_MIN, "mem_mb": preflight.UNMEASURED_MEM_MB}


def test_verdicts():
    req = {"runtime": 60, "mem_mb": 2000}
    assert preflight.verdict(50 * 60, 1500, req) == "fits"
    assert preflight.verdict(61 * 60, 1500, req) == "too small (time)"
    assert preflight.verdict(50 * 60, 2100, req) == "too small (memory)"
    assert preflight.verdict(10 * 60, 1500, req) == "much too large"  # 60 min > 4 x 10 min
    assert preflight.verdict(10 * 60, 1500, {"runtime": 10, "mem_mb": 2000}) == "fits"  # at the floors
    assert preflight.verdict(None, 100, req) == "not measured"


def test_local_and_cluster_estimate():
    jobs = [("aga_ssd", {"game": "cleanup", "variant": "cga", "seed": str(s)}) for s in range(4)]
    line = estimate.local_and_cluster(jobs, COSTS, "paper", cores=2, cluster_jobs=100)
    # 4 jobs of 610 s: 2 per core on 2 cores = 1220 s; all at once on the cluster = 610 s
    assert "4 jobs, 20 min 20 s on 2 cores, 10 min 10 s on a cluster running 100 jobs at once" in line


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("preflight") / "repo")


def _snakemake(root: Path, *args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=root, capture_output=True, text=True,
                          timeout=300, env={**_env(root), **(extra_env or {})})


def test_rules_request_what_costs_yaml_measured(repo_copy):
    costs = yaml.safe_load((repo_copy / "workflow/costs.yaml").read_text())
    costs.setdefault("paper", {})["recip_coins"] = {"reciprocator_vs_reciprocator": 3000.0, "*": 3000.0}
    costs.setdefault("peak_mb", {}).setdefault("paper", {})["recip_coins"] = {"*": 2000}
    costs.setdefault("overhead_s", {})["paper"] = 6.0
    (repo_copy / "workflow/costs.yaml").write_text(yaml.safe_dump(costs))
    proc = _snakemake(repo_copy, "-n", "-F", "--cores", "2", "--config", "scale=paper")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = preflight.parse_dry_run(proc.stdout + proc.stderr)
    coins = [j for j in jobs if j["rule"] == "recip_coins"]
    assert coins, "no recip_coins job at the paper scale"
    # (3000 + 6) s x 1.5 = 75.15 min -> 76; 2000 MB x 1.5 = 3000
    assert {(j["resources"]["runtime"], j["resources"]["mem_mb"]) for j in coins} == {("76", "3000")}
    assert not (repo_copy / "results").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_cuda_without_cuda_stops_before_any_job_with_one_line(repo_copy):
    proc = _snakemake(repo_copy, "-n", "--cores", "2", "--config", "scale=smoke", "device=cuda")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    lines = [ln for ln in out.splitlines() if "cuda" in ln.lower()]
    assert len(lines) == 1 and lines[0].startswith("mixedmotive: invalid config: key 'device'"), out
    assert "Traceback" not in out and not (repo_copy / "results").exists() and not (repo_copy / "logs").exists()
    proc = subprocess.run([sys.executable, "-m", "mixedmotive", "preflight", "--scale", "smoke", "--device", "cuda"],
                          cwd=repo_copy, capture_output=True, text=True, timeout=120, env=_env(repo_copy))
    assert proc.returncode == 1 and proc.stdout == "", proc.stdout
    assert proc.stderr.strip().count("\n") == 0 and "'device'" in proc.stderr, proc.stderr


def test_smoke_preflight_measures_checkpoints_resumes_and_writes_costs(tmp_path):
    costs_path = tmp_path / "costs.yaml"
    shutil.copy(REPO / "workflow/costs.yaml", costs_path)
    before = yaml.safe_load(costs_path.read_text())
    rules = ["recip_coins", "aga_diffgame"]
    rows, text, ok = preflight.run("smoke", cores=2, jobs=10, rules=rules, scratch=str(tmp_path / "runs"),
                                   write=True, costs_path=costs_path, log=lambda m: None)
    by_rule = {r["rule"]: r for r in rows}
    assert set(by_rule) == set(rules), text
    for rule in ("recip_coins",):  # a checkpointing trainer: stopped, resumed, projected
        r = by_rule[rule]
        assert "error" not in r, (rule, r)
        assert r["resumed"] == preflight.FIRST_UNITS  # the resume started where the first run stopped
        assert r["ckpt_mb"] > 0 and r["s_per_unit"] > 0 and r["peak_mb"] > 100
        assert r["projected_s"] >= r["units"] * r["s_per_unit"]
    assert by_rule["recip_coins"]["job"] == "reciprocator_vs_reciprocator"  # the costliest pairing
    assert by_rule["aga_diffgame"]["units"] is None and by_rule["aga_diffgame"]["projected_s"] > 0
    assert ok, text
    assert "recip_coins" in text and "on a cluster running 10 jobs at once" in text
    after = yaml.safe_load(costs_path.read_text())
    assert costs_path.read_text().startswith("# Measured seconds per job")  # the header survives
    r = by_rule["recip_coins"]
    assert after["smoke"]["recip_coins"] == {"reciprocator_vs_reciprocator": round(r["projected_s"], 1),
                                             "*": round(r["projected_s"], 1)}
    assert after["peak_mb"]["smoke"]["recip_coins"]["*"] == round(r["peak_mb"])
    assert after["smoke"]["aga_public_goods"] == before["smoke"]["aga_public_goods"]  # not measured: kept
    assert after["default"] == before["default"]
    assert "device cpu" in after["measured"]["smoke"]


def test_snakemake_target_runs_the_preflight_at_the_scale(repo_copy):
    proc = _snakemake(repo_copy, "-n", "-p", "preflight", "--cores", "2", "--config", "scale=paper")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    jobs = preflight.parse_dry_run(out)
    assert [j["rule"] for j in jobs] == ["preflight"], out
    assert "mixedmotive_cli.py preflight --scale paper --cores 2 --device auto --out logs/paper/preflight/table.txt" \
        in out
