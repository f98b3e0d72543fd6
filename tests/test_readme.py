"""The README as a user's guide: its costs are what the estimator computes, its commands run, its links resolve.

The wall times the README states are recomputed here from a dry run of the workflow (every job forced, so the
count does not depend on what is already built) and ``workflow/costs.yaml``, exactly as the run-time estimate
that Snakemake prints before the first job; the README must quote them as ``format_duration`` writes them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, copy_repo

from mixedmotive.checkpoint import format_duration
from mixedmotive.estimate import estimate, load_costs

README = (REPO / "README.md").read_text()
COST = re.compile(r"\b(smoke|default) (?:scale|DAG)[^:\n]*: (\d+) jobs, about (.+?) on (\d+) cores", re.I)


def bash_lines(text: str) -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [ln.strip() for b in blocks for ln in b.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def dry_run_jobs(text: str) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job a dry run printed, without ``rule all`` (which runs nothing)."""
    jobs: list[list] = []
    for line in text.splitlines():
        if m := re.match(r"(?:local)?rule (\w+):$", line):
            jobs.append([m.group(1), {}])
        elif (m := re.match(r"\s+wildcards: (.+)$", line)) and jobs:
            jobs[-1][1] = dict(kv.split("=", 1) for kv in m.group(1).split(", "))
    return [(rule, wc) for rule, wc in jobs if rule != "all"]


def test_dry_run_parser_reads_rules_and_wildcards_in_order():
    text = ("rule aga_ssd:\n    output: x\n    wildcards: game=harvest, variant=cga, seed=0\n"
            "localrule all:\n    input: x\n"
            "rule claims:\n    output: y\n")
    assert dry_run_jobs(text) == [("aga_ssd", {"game": "harvest", "variant": "cga", "seed": "0"}), ("claims", {})]


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    return copy_repo(tmp_path_factory.mktemp("readme") / "repo")


def snakemake(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def scheduled(repo_copy) -> dict[str, list]:
    out = {}
    for scale in ("smoke", "default"):
        proc = snakemake(repo_copy, "-n", "--forceall", "--cores", "2", "--config", f"scale={scale}")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        out[scale] = dry_run_jobs(proc.stdout)
        assert out[scale], f"the {scale} dry run scheduled no job"
    return out


def test_readme_states_smoke_and_default_costs_on_two_cores_and_a_larger_node():
    stated = {(scale.lower(), int(cores)) for scale, _, _, cores in COST.findall(README)}
    assert ("smoke", 2) in stated and ("default", 2) in stated, stated
    assert any(scale == "default" and cores > 2 for scale, cores in stated), stated


def test_readme_costs_equal_the_estimate_from_costs_yaml(scheduled):
    costs = load_costs()
    for scale, n_jobs, duration, cores in COST.findall(README):
        scale = scale.lower()
        est = estimate(scheduled[scale], costs, scale, int(cores))
        assert int(n_jobs) == est["jobs"], f"{scale}: README says {n_jobs} jobs, the DAG has {est['jobs']}"
        assert duration == format_duration(est["wall_s"]), (
            f"{scale} on {cores} cores: README says {duration!r}, the estimate is {format_duration(est['wall_s'])!r}")


def test_first_screen_has_the_main_command_its_smoke_variant_and_the_test_command():
    first = bash_lines("\n".join(README.splitlines()[:25]))
    main = [ln for ln in first if ln.endswith("snakemake --cores all")]
    smoke = [ln for ln in first if ln.endswith("snakemake --cores all --config scale=smoke")]
    tests = [ln for ln in first if ln.endswith("python -m pytest -q")]
    assert main and smoke and tests, first
    assert smoke[0] == main[0] + " --config scale=smoke"
    assert COST.search("\n".join(README.splitlines()[:25])), "the main command's cost is not on the first screen"


def test_readme_snakemake_commands_dry_run(repo_copy):
    """Every local snakemake command of the README, as written, schedules its jobs without error (dry run)."""
    cmds = [ln for ln in bash_lines(README) if ln.startswith("snakemake ") and "--profile" not in ln
            and "--report" not in ln]
    chained = [ln.rsplit(" && ", 1)[1] for ln in bash_lines(README) if " && snakemake " in ln]
    assert len(cmds) >= 2 and chained
    for cmd in sorted(set(cmds + chained)):
        words = cmd.split("#")[0].split()
        proc = snakemake(repo_copy, "-n", *words[1:])
        assert proc.returncode == 0, f"{cmd}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"


def test_readme_links_resolve():
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links
    missing = [link for link in links if not link.startswith("http") and not (REPO / link).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_layout_lists_every_top_level_folder_that_exists():
    block = re.search(r"## Repository layout\n+```\n(.*?)```", README, re.S).group(1)
    listed = {ln.split()[0].rstrip("/") for ln in block.splitlines() if ln.strip()}
    for name in listed:
        assert (REPO / name).exists(), f"layout lists {name}, which does not exist"
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True).stdout.split()
    folders = {p.split("/", 1)[0] for p in tracked if "/" in p}
    if folders:  # a copy without git history lists nothing
        assert folders <= listed, f"folders missing from the layout: {sorted(folders - listed)}"


def test_readme_preflight_table_equals_the_paper_costs():
    """The cluster section's table is workflow/costs.yaml's paper entries (the preflight writes them): every training
    rule with a measured paper cost appears once, with its costliest job's CPU time and peak memory as written."""
    costs = load_costs()
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| ([^|]+) \| ([\d.]+) GB \|$", README, re.M)
    assert {rule for rule, *_ in rows} == set(costs["paper"]) and len(rows) == len(costs["paper"]), rows
    for rule, job, duration, gb in rows:
        assert duration.strip() == format_duration(costs["paper"][rule][job]), (rule, job, duration)
        assert float(gb) == round(costs["peak_mb"]["paper"][rule][job] / 1000, 1), (rule, job, gb)
