"""How long will it take?  Wall time of the scheduled jobs from measured per-job costs.

``workflow/costs.yaml`` keeps, per scale and rule, the measured seconds of one job, keyed by
the job's wildcards without the seed (``harvest:cga`` for ``aga_ssd``, ``reciprocator_vs_nl``
for ``recip_coins``, ``*`` for the rule's typical job).  ``python -m mixedmotive costs --scale S``
refreshes the file from the ``wall_s`` of the provenance sidecars under ``results/S/``.

Before a run, the workflow's ``onstart`` hook (workflow/rules/common.smk) calls :func:`announce` (in a
dry run, which has no ``onstart``, :func:`announce_dry_runs` does), which prints one line: the scheduled
jobs' estimated wall time on the given cores: every job takes one core, the longest jobs are placed
first on the least loaded core (LPT), and dependencies are ignored (the plots that wait for training
take seconds).  Jobs of rules without a measured cost count as :data:`UNMEASURED_S` and are counted.
"""

from __future__ import annotations

import heapq
import json
import statistics
from collections import defaultdict
from pathlib import Path

import yaml

from .config import ROOT
from .jobs import EXPERIMENTS
from .wildcards import AblationRun, DiagnosisRun

COSTS = ROOT / "workflow" / "costs.yaml"
UNMEASURED_S = 2.0  # plots and tables: seconds on top of the process start (overhead_s)
# raw-result experiments whose rule has another name
RULE_OF_EXPERIMENT = {e.name: e.rule for e in EXPERIMENTS.values() if e.rule}


def job_key(wildcards: dict) -> str:
    """``{'game': 'harvest', 'variant': 'cga', 'seed': '0'}`` -> ``'harvest:cga'``."""
    return ":".join(str(v) for k, v in wildcards.items() if k != "seed")


def load_costs(path: Path = COSTS) -> dict:
    if not Path(path).exists():
        return {}
    return yaml.safe_load(Path(path).read_text()) or {}


def job_cost(costs: dict, scale: str, rule: str, key: str) -> float | None:
    """Measured seconds of one job, else the rule's typical job (``*``), else None."""
    per_rule = (costs.get(scale) or {}).get(rule) or {}
    value = per_rule.get(key, per_rule.get("*"))
    return None if value is None else float(value)


def makespan(durations, cores: int) -> float:
    """Wall time of independent one-core jobs on ``cores`` cores, longest first (LPT)."""
    loads = [0.0] * max(1, int(cores))
    for d in sorted(durations, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + d)
    return max(loads)


def estimate(jobs, costs: dict, scale: str, cores: int) -> dict:
    """``jobs``: (rule, wildcards dict) pairs.  Returns wall and CPU seconds and the unmeasured rules.

    Every job also pays the scale's measured process start (``overhead_s``: Python, torch, the CLI).
    """
    overhead = float((costs.get("overhead_s") or {}).get(scale, 0.0))
    durations, unmeasured = [], defaultdict(int)
    for rule, wildcards in jobs:
        cost = job_cost(costs, scale, rule, job_key(wildcards))
        if cost is None:
            unmeasured[rule] += 1
            cost = UNMEASURED_S
        durations.append(cost + overhead)
    return {"jobs": len(durations), "cpu_s": sum(durations), "wall_s": makespan(durations, cores),
            "unmeasured": dict(unmeasured)}


def message(est: dict, scale: str, cores: int | None) -> str:
    """One short line; where the costs were measured is in workflow/costs.yaml's ``measured`` notes."""
    from .checkpoint import format_duration

    n_unmeasured = sum(est["unmeasured"].values())
    if est["jobs"] and n_unmeasured == est["jobs"]:
        return (f"mixedmotive: {est['jobs']} jobs at scale {scale}; no wall-time estimate: workflow/costs.yaml has "
                f"no measured cost for them")
    where = f"on {cores} core{'s' if cores != 1 else ''}" if cores else "with unlimited parallel jobs"
    unmeasured = f"; {n_unmeasured} unmeasured at {UNMEASURED_S:g} s" if n_unmeasured else ""
    return (f"mixedmotive: {est['jobs']} jobs at scale {scale}; estimated wall time {where}: "
            f"{format_duration(est['wall_s'])} (CPU time {format_duration(est['cpu_s'])}{unmeasured}; "
            f"workflow/costs.yaml)")


def announce(workflow, scale: str, progress: bool = True) -> str:
    """Print the estimate of the jobs ``workflow`` (Snakemake's) is about to run, and (``progress``) where each
    job logs its progress; returns it."""
    jobs = [(job.rule.name, dict(job.wildcards.items())) for job in workflow.dag.needrun_jobs()
            if not getattr(job.rule, "norun", False)]  # `rule all` runs nothing
    cores = workflow.cores if workflow.local_exec else None
    costs = load_costs()
    est = estimate(jobs, costs, scale, cores or max(1, len(jobs)))
    text = message(est, scale, cores)
    if scale == "paper":
        text += "\n" + local_and_cluster(jobs, costs, scale, workflow.cores if workflow.local_exec else 2,
                                         CLUSTER_JOBS if workflow.local_exec else workflow.nodes)
    if progress:
        text += f"\nmixedmotive: each job's progress (with an ETA) is logged in logs/{scale}/<rule>/..."
    print(text, flush=True)
    return text


def announce_dry_runs(workflow, scale: str) -> None:
    """Snakemake runs no ``onstart`` hook in a dry run (``-n``): print the same estimate when a dry run logs its
    job counts (its first "run info" record, after the DAG is built), once."""
    import logging

    printed = []

    def hook(record) -> bool:
        event = getattr(record, "event", None)
        if not printed and getattr(event, "name", None) == "RUN_INFO" and workflow.dryrun:
            printed.append(announce(workflow, scale, progress=False))
        return True  # the record itself is logged as usual

    logging.getLogger("snakemake.logging").addFilter(hook)


def measure(results_dir: Path) -> dict:
    """Median ``wall_s`` per (rule, job key) over the provenance sidecars under ``results_dir``."""
    walls = defaultdict(list)
    for side in Path(results_dir).rglob("*.json"):
        meta = json.loads(side.read_text())
        if "wall_s" not in meta or "experiment" not in meta:
            continue
        rule = RULE_OF_EXPERIMENT.get(meta["experiment"], meta["experiment"])
        key = meta.get("method") or ""
        if rule in ("recip_ipd_rollout", "aga_runtime"):  # no wildcard but the seed
            key = ""
        elif rule == "aga_ablation":  # method game:variant:x<m> -> wildcards mult:game:variant
            game, variant, mult = AblationRun.parse(key)
            key = f"{mult}:{game}:{variant}"
        elif rule == "recip_coins_diagnosis":  # method pairing:cell:x<m> -> wildcards mult:pairing:cell
            pairing, cell, mult = DiagnosisRun.parse(key)
            key = f"{mult}:{pairing}:{cell}"
        walls[(rule, key)].append(float(meta["wall_s"]))
    out: dict = defaultdict(dict)
    for (rule, key), values in sorted(walls.items()):
        out[rule][key or "*"] = round(statistics.median(values), 1)
    for per_key in out.values():
        per_key.setdefault("*", round(statistics.median(per_key.values()), 1))
    return dict(out)


def start_overhead_s(repeats: int = 3) -> float:
    """Median seconds a job's process needs before it trains: Python, torch and the CLI's imports."""
    import subprocess
    import sys
    import time

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch, mixedmotive.cli, mixedmotive.experiments"], check=True)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 1)


def refresh(scale: str, results_dir: Path, note: str, path: Path = COSTS) -> dict:
    """Replace ``scale``'s measured costs in ``path`` by those of ``results_dir``."""
    costs = load_costs(path)
    costs[scale] = measure(results_dir)
    costs.setdefault("overhead_s", {})[scale] = start_overhead_s()
    costs.setdefault("measured", {})[scale] = note
    header = ("# Measured seconds per job (one core), per scale and rule, keyed by the job's wildcards without the\n"
              "# seed ('*': the rule's typical job).  Read before every run to print the estimated wall time\n"
              "# (mixedmotive.estimate).  Refresh: python -m mixedmotive costs --scale S [--results results/S]\n"
              "# 'measured': where and when each scale's costs were measured (kept here; the estimate names this\n"
              "# file)\n")
    Path(path).write_text(header + yaml.safe_dump(costs, sort_keys=True, allow_unicode=True))
    return costs


CLUSTER_JOBS = 100  # concurrent jobs of profiles/slurm (its `jobs:`)


def local_and_cluster(jobs, costs: dict, scale: str, cores: int, cluster_jobs: int = CLUSTER_JOBS) -> str:
    """One line: the wall time of ``jobs`` on ``cores`` local cores and on a cluster that runs
    ``cluster_jobs`` of them at once (queueing not counted), e.g. for ``scale=paper``."""
    from .checkpoint import format_duration

    local, cluster = estimate(jobs, costs, scale, cores), estimate(jobs, costs, scale, cluster_jobs)
    return (f"mixedmotive: scale {scale}: {local['jobs']} jobs, {format_duration(local['wall_s'])} on {cores} "
            f"core{'s' if cores != 1 else ''}, {format_duration(cluster['wall_s'])} on a cluster running "
            f"{cluster_jobs} jobs at once (without queueing; CPU time {format_duration(local['cpu_s'])})")
