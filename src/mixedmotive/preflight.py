"""Preflight: measure the costliest job of every training rule before a (cluster) run at a scale.

    python -m mixedmotive preflight --scale paper [--cores N] [--jobs J] [--device cpu|cuda]
    snakemake preflight --cores N --config scale=paper        # the same, as a workflow target

1. ``snakemake -n -F`` lists the jobs the workflow schedules at the scale, with the runtime (minutes)
   and ``mem_mb`` each requests.
2. For every training rule, its costliest job (the largest cost at the ``default`` scale in
   ``workflow/costs.yaml`` among the scheduled ones) runs in a scratch folder through the CLI's
   ``train``, exactly as the rule runs it (same ``--config-json``: :func:`mixedmotive.jobs.job_settings`).
   A checkpointing trainer checkpoints after every unit (update, episode, meta-episode) and stops after
   :data:`FIRST_UNITS` unit (``$MIXEDMOTIVE_STOP_AFTER_SAVES``, the clean stop of
   :mod:`mixedmotive.checkpoint`); it is then resumed from that checkpoint and stopped after one more
   unit, so saving and resuming are exercised at the scale.  Seconds per unit are those of the resumed
   unit (the first pays one-off costs); the job's projection is its process start-up plus all its
   units (``episode k/N`` of the progress lines gives N).  Times are CPU seconds of the child (its
   progress lines report them): on a shared machine, wall time also counts other processes' turns, and
   the cluster's jobs get one CPU each.  A trainer without checkpoints (the differentiable games, the
   analytic IPD matches) runs whole, bounded by :data:`WHOLE_LIMIT_S`; its projection is its CPU time.
   Peak resident memory is the child's ``ru_maxrss`` (``os.wait4``); the checkpoint's size is read
   before the resume.
3. It prints one row per rule: the job, seconds per unit, projected time, peak memory, checkpoint
   size, the rule's requested runtime and ``mem_mb``, and a verdict: ``fits``, ``too small`` (the
   projection or the peak exceeds the request: the exit status is 1) or ``much too large`` (the request
   is over :data:`MUCH_TOO_LARGE` times the need and above the floors).
4. With ``--write`` (the default on ``cpu``), the measurements become ``scale``'s entries of
   ``workflow/costs.yaml`` (seconds per job under the measured key and ``*``, peak MB under ``peak_mb``,
   the CPU and date under ``measured``); the rules request :func:`request` of them, i.e. the measured
   time x :data:`TIME_MARGIN` and the peak x :data:`MEM_MARGIN`, and the verdicts are those of the
   requests after the write (a second dry run checks that the rules read them).  Without ``--write``
   the verdicts judge the requests as they stand (e.g. the committed numbers on another machine).

Every job of a rule requests its costliest job's measurement: an upper bound for the others.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .config import ROOT
from .wildcards import AblationRun, DiagnosisRun, SSDRun

FIRST_UNITS = 1  # units of the first segment; the resumed segment runs one more
WHOLE_LIMIT_S = 600  # a trainer without checkpoints runs whole, at most this long
SEGMENT_LIMIT_S = 1800  # wall limit of each of the two runs of a checkpointing trainer (a loaded machine)
TIME_MARGIN = 1.5  # requested runtime = measured time x this
MEM_MARGIN = 1.5  # requested mem_mb = measured peak x this
MIN_RUNTIME_MIN = 10  # floors of a request (scheduling granularity, interpreter and imports)
MIN_MEM_MB = 1000
UNMEASURED_RUNTIME_MIN = 2880  # requests of a rule without a measurement at the scale (run the preflight)
UNMEASURED_MEM_MB = 4000
MUCH_TOO_LARGE = 4.0

# training rule -> (experiment of the CLI, the job's --method from its wildcards, whether it checkpoints)
RULES = {
    "aga_diffgame": ("aga_diffgame", lambda w: w["method"], False),
    "aga_public_goods": ("aga_public_goods", lambda w: w["method"], False),
    "aga_runtime": ("aga_runtime", lambda w: None, False),
    "aga_ssd": ("aga_ssd", lambda w: str(SSDRun(w["game"], w["variant"])), True),
    "aga_mmm2": ("aga_mmm2", lambda w: w["variant"], True),
    "aga_ablation": ("aga_ablation", lambda w: str(AblationRun(w["game"], w["variant"], int(w["mult"]))), True),
    "recip_ipd_meta": ("recip_ipd_meta", lambda w: w["agent"], True),
    "recip_ipd_match": ("recip_ipd_analytic", lambda w: w["pair"], False),
    "recip_ipd_rollout": ("recip_ipd_rollout", lambda w: "reciprocator_vs_nl", True),
    "recip_ipd_mmaml_study": ("recip_ipd_mmaml_study", lambda w: w["arm"], True),
    "recip_coins": ("recip_coins", lambda w: w["pairing"], True),
    "recip_coins_diagnosis": ("recip_coins_diagnosis",
                              lambda w: str(DiagnosisRun(w["pairing"], w["cell"], int(w["mult"]))), True),
}
# jobs whose inputs are other jobs' artifacts (meta-trained agents) are not measured: the rule's
# costliest job among the others stands for them
NEEDS_ARTIFACTS = {"recip_ipd_match": re.compile(r"mmaml|mfos"), "recip_ipd_mmaml_eval": re.compile(r".")}
# measured first (the longest units at the paper scale), the others after them
FIRST = ["aga_ssd", "aga_ablation", "aga_mmm2", "recip_coins", "recip_coins_diagnosis", "recip_ipd_meta"]
PROGRESS = re.compile(r"episode (\d+)/(\d+) \(\d+ %\), ([0-9.]+) s elapsed, ([0-9.]+) s CPU")


# ---------------------------------------------------------------------------- requests (the rules' resources)
def request(rule: str, scale: str, wildcards: dict | None = None, costs: dict | None = None) -> dict:
    """``{"runtime": minutes, "mem_mb": MB}`` a job of ``rule`` asks for at ``scale``: its measured
    seconds (``workflow/costs.yaml``, its key else ``*``) plus the process start, x TIME_MARGIN, and its
    measured peak x MEM_MARGIN, not below the floors; the UNMEASURED_* values where nothing is measured."""
    from .estimate import job_cost, job_key, load_costs

    costs = load_costs() if costs is None else costs
    key = job_key(wildcards or {})
    seconds = job_cost(costs, scale, rule, key)
    if seconds is None:
        runtime = UNMEASURED_RUNTIME_MIN
    else:
        seconds += float((costs.get("overhead_s") or {}).get(scale, 0.0))
        runtime = max(MIN_RUNTIME_MIN, math.ceil(seconds * TIME_MARGIN / 60))
    peaks = ((costs.get("peak_mb") or {}).get(scale) or {}).get(rule) or {}
    peak = peaks.get(key, peaks.get("*"))
    mem = UNMEASURED_MEM_MB if peak is None else max(MIN_MEM_MB, math.ceil(float(peak) * MEM_MARGIN / 100) * 100)
    return {"runtime": int(runtime), "mem_mb": int(mem)}


# ---------------------------------------------------------------------------- the scheduled jobs
def scheduled_jobs(scale: str, device: str, root: Path = ROOT, extra_config=()) -> list[dict]:
    """Every job ``snakemake -n -F`` schedules at ``scale``: rule, wildcards and requested resources."""
    cmd = [sys.executable, "-m", "snakemake", "-n", "-F", "--nolock", "--cores", "1", "--config",
           f"scale={scale}", f"device={device}", *extra_config]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "MIXEDMOTIVE_SKIP_DEVICE_CHECK": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"snakemake -n failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return parse_dry_run(proc.stdout + "\n" + proc.stderr)


def parse_dry_run(text: str) -> list[dict]:
    """The jobs of a ``snakemake -n`` output: rule, wildcards and resources (strings)."""
    jobs, job = [], None
    for line in text.splitlines():
        head = re.match(r"^(?:local)?rule (\w+):", line)
        if head:
            job = {"rule": head.group(1), "wildcards": {}, "resources": {}}
            jobs.append(job)
        elif job is not None and line.strip().startswith("wildcards:"):
            job["wildcards"] = dict(kv.split("=", 1) for kv in line.split(":", 1)[1].strip().split(", "))
        elif job is not None and line.strip().startswith("resources:"):
            job["resources"] = dict(kv.split("=", 1) for kv in line.split(":", 1)[1].strip().split(", ")
                                    if "=" in kv)
    return jobs


def costliest(rule: str, jobs: list[dict], costs: dict) -> dict | None:
    """The job of ``rule`` to measure: the largest default-scale cost (first on ties), seed 0 first."""
    from .estimate import job_cost, job_key

    skip = NEEDS_ARTIFACTS.get(rule)
    mine = [j for j in jobs if j["rule"] == rule and not (skip and skip.search(job_key(j["wildcards"])))]
    if not mine:
        return None

    def cost(job):
        return job_cost(costs, "default", rule, job_key(job["wildcards"])) or 0.0

    return max(mine, key=lambda j: (cost(j), -int(j["wildcards"].get("seed", 0))))


# ---------------------------------------------------------------------------- one measurement
def _run_child(cmd: list[str], log: Path, env: dict, limit_s: float) -> tuple[int, float, float, float]:
    """(exit status, wall seconds, CPU seconds, peak RSS in MB) of ``cmd``; killed after ``limit_s``."""
    t0 = time.monotonic()
    with open(log, "a") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    status, rusage, killed = None, None, False
    while status is None:
        pid, raw, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status = os.waitstatus_to_exitcode(raw)
        elif time.monotonic() - t0 > limit_s and not killed:
            proc.kill()
            killed = True
        else:
            time.sleep(0.1)
    proc.returncode = status  # reaped by wait4 above
    return (-9 if killed else status), time.monotonic() - t0, rusage.ru_utime + rusage.ru_stime, rusage.ru_maxrss / 1024


def measure_job(rule: str, job: dict, cfg: dict, scratch: Path, device: str) -> dict:
    """Run ``job`` as the preflight does (module docstring, step 2); returns its measurements.

    Times are the child's CPU seconds (one thread per job, as on the cluster's one-CPU jobs): on a
    shared machine the wall time also counts the other processes' turns."""
    from . import checkpoint
    from .estimate import job_key
    from .jobs import job_settings

    experiment, method_of, checkpoints = RULES[rule]
    method = method_of(job["wildcards"])
    settings = job_settings(experiment, cfg, None if rule in ("aga_runtime", "recip_ipd_rollout") else method)
    if rule == "recip_ipd_match":
        settings = {**settings, "artifacts": {}}
    if device != "cpu" and settings.get("device") not in (None, "cpu"):
        settings["device"] = device
    out = scratch / rule / "seed0.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    log = scratch / rule / "train.log"
    cmd = [sys.executable, "-m", "mixedmotive", "train", experiment, "--seed", job["wildcards"].get("seed", "0"),
           "--config-json", json.dumps(settings, sort_keys=True), "--out", str(out)]
    if method is not None:
        cmd += ["--method", method]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    env.pop(checkpoint.ENV_STOP_AFTER, None)
    seed = job["wildcards"].get("seed", "0")
    key = " ".join(filter(None, [job_key(job["wildcards"]) or "-", f"seed{seed}" if seed != "0" else ""]))
    row = {"rule": rule, "job": key, "checkpoints": checkpoints, "device": settings.get("device", device)}
    if not checkpoints:
        rc, wall, cpu, peak = _run_child(cmd, log, env, WHOLE_LIMIT_S)
        row.update(rc=rc, wall_s=wall, cpu_s=cpu, peak_mb=peak, projected_s=cpu if rc == 0 else None,
                   s_per_unit=None, units=None, ckpt_mb=None, resumed=None)
        if rc != 0:
            row["error"] = f"exit {rc}" + (f" (stopped after {WHOLE_LIMIT_S} s)" if rc == -9 else "")
        return row
    cmd += ["--checkpoint-every-n", "1", "--checkpoint-every-s", "0"]
    rc1, wall1, cpu1, peak1 = _run_child(cmd, log, {**env, checkpoint.ENV_STOP_AFTER: str(FIRST_UNITS)},
                                         SEGMENT_LIMIT_S)
    first = PROGRESS.findall(log.read_text())
    ckpt = checkpoint.path_for(out)
    ckpt_mb = ckpt.stat().st_size / 2**20 if ckpt.exists() else None
    mark = log.stat().st_size
    rc2, wall2, cpu2, peak2 = _run_child(cmd, log, {**env, checkpoint.ENV_STOP_AFTER: "1"}, SEGMENT_LIMIT_S)
    text = log.read_text()[mark:]
    second = PROGRESS.findall(text)
    resumed = re.search(r"resumed from .* at step (\d+)", text)
    row.update(rc=rc2 if rc1 == checkpoint.STOPPED_AFTER_SAVES else rc1, wall_s=wall1 + wall2, cpu_s=cpu1 + cpu2,
               peak_mb=max(peak1, peak2), ckpt_mb=ckpt_mb, resumed=int(resumed.group(1)) if resumed else None)
    stopped = (checkpoint.STOPPED_AFTER_SAVES, 0)  # 0: the job had no more units than that
    if rc1 not in stopped or rc2 not in stopped or not first:
        row.update(projected_s=None, s_per_unit=None, units=None,
                   error=f"exit {rc1} / {rc2}" + ("" if first else ", no progress line"))
        return row
    steps = [(int(k), float(c)) for k, _, _, c in first]  # (step, CPU seconds since the start of training)
    total = int(first[-1][1])
    units = [b[1] - a[1] for a, b in zip(steps, steps[1:], strict=False)]  # the units after the first
    if second and resumed:
        units.append(float(second[0][3]))  # CPU since the resume's load: one unit
    per_unit = sum(units) / len(units) if units else steps[-1][1] / max(1, steps[-1][0])
    startup = max(0.0, cpu1 - steps[-1][1])  # interpreter, imports, set-up, the save
    row.update(s_per_unit=per_unit, units=total, projected_s=startup + total * per_unit)
    if rc1 == checkpoint.STOPPED_AFTER_SAVES and (resumed is None or int(resumed.group(1)) != steps[-1][0]):
        row["error"] = f"resume did not start at step {steps[-1][0]}"
    return row


# ---------------------------------------------------------------------------- table, costs, main
def verdict(projected_s: float | None, peak_mb: float, req: dict) -> str:
    if projected_s is None:
        return "not measured"
    need_min, req_min, req_mb = projected_s / 60, float(req.get("runtime", 0)), float(req.get("mem_mb", 0))
    if need_min > req_min or peak_mb > req_mb:
        return "too small" + (" (time)" if need_min > req_min else "") + (" (memory)" if peak_mb > req_mb else "")
    if (req_min > MUCH_TOO_LARGE * need_min and req_min > MIN_RUNTIME_MIN) or \
            (req_mb > MUCH_TOO_LARGE * peak_mb and req_mb > MIN_MEM_MB):
        return "much too large"
    return "fits"


def table(rows: list[dict]) -> str:
    from .checkpoint import format_duration

    head = ("rule", "measured job", "jobs", "s/unit", "units", "projected", "peak", "ckpt", "runtime",
            "mem_mb", "verdict")  # peak, ckpt: MB; runtime, mem_mb: the rule's requests
    lines = []
    for r in rows:
        lines.append((r["rule"], r["job"], str(r["n_jobs"]),
                      "-" if r.get("s_per_unit") is None else f"{r['s_per_unit']:.2f}",
                      "-" if r.get("units") is None else str(r["units"]),
                      "?" if r.get("projected_s") is None else format_duration(r["projected_s"]),
                      f"{r['peak_mb']:.0f}", "-" if r.get("ckpt_mb") is None else f"{r['ckpt_mb']:.2f}",
                      f"{r['request']['runtime']}m", str(r["request"]["mem_mb"]),
                      r["verdict"] + (f" [{r['error']}]" if r.get("error") else "")))
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    fmt = " ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(ln.rstrip() for ln in [fmt.format(*head), fmt.format(*("-" * w for w in widths)),
                                              *(fmt.format(*x) for x in lines)])


def write_costs(rows: list[dict], scale: str, note: str, path: Path) -> dict:
    """``scale``'s entries of ``path`` from ``rows``: seconds per job (measured key and ``*``), peak MB."""
    import yaml

    from .estimate import load_costs, start_overhead_s

    costs = load_costs(path)
    header = "".join(ln + "\n" for ln in Path(path).read_text().splitlines() if ln.startswith("#")) \
        if Path(path).exists() else ""
    seconds, peaks = dict(costs.get(scale) or {}), dict((costs.get("peak_mb") or {}).get(scale) or {})
    for r in rows:
        if r.get("projected_s") is None:
            continue
        key = r["cost_key"] or "*"
        seconds[r["rule"]] = {key: round(r["projected_s"], 1), "*": round(r["projected_s"], 1)}
        peaks[r["rule"]] = {key: round(r["peak_mb"]), "*": round(r["peak_mb"])}
    costs[scale] = seconds
    costs.setdefault("peak_mb", {})[scale] = peaks
    costs.setdefault("overhead_s", {})[scale] = start_overhead_s()
    costs.setdefault("measured", {})[scale] = note
    Path(path).write_text(header + yaml.safe_dump(costs, sort_keys=True, allow_unicode=True))
    return costs


def run(scale: str = "paper", cores: int | None = None, jobs: int = 100, device: str = "cpu",
        rules: list[str] | None = None, scratch: str | None = None, write: bool | None = None,
        costs_path: Path | None = None, log=print) -> tuple[list[dict], str, bool]:
    """The preflight (module docstring); returns (rows, printed text, whether every request fits)."""
    from . import config
    from .estimate import COSTS, job_key, load_costs
    from .results import cpu_name

    costs_path = Path(costs_path or COSTS)
    device = config.resolve_device(device)  # device=cuda without CUDA: one line, before anything runs
    cores = cores or os.cpu_count() or 1
    write = (device == "cpu") if write is None else write
    t0 = time.monotonic()
    cfg = config.load(scale=scale)
    costs = load_costs(costs_path)
    scheduled = scheduled_jobs(scale, device)
    wanted = [r for r in RULES if (rules is None or r in rules)]
    picks = {r: costliest(r, scheduled, costs) for r in wanted}
    picks = {r: j for r, j in picks.items() if j is not None}
    log(f"preflight at scale {scale} on {device} ({cpu_name()}, {cores} side by side): "
        + ", ".join(f"{r} [{job_key(j['wildcards']) or '-'}]" for r, j in picks.items()))
    folder = Path(scratch) if scratch else Path(tempfile.mkdtemp(prefix=f"mixedmotive-preflight-{scale}-"))
    order = sorted(picks, key=lambda r: FIRST.index(r) if r in FIRST else len(FIRST))  # long ones first
    with ThreadPoolExecutor(max_workers=cores) as pool:
        measured = dict(zip(order, pool.map(lambda r: measure_job(r, picks[r], cfg, folder, device), order),
                            strict=True))
    rows = []
    for rule in picks:
        row = measured[rule]
        row["cost_key"] = job_key(picks[rule]["wildcards"])
        row["n_jobs"] = sum(1 for j in scheduled if j["rule"] == rule)
        rows.append(row)
    note = (f"{time.strftime('%Y-%m-%d')}, python -m mixedmotive preflight --scale {scale} (projections of the "
            f"costliest job of each rule from two units, CPU seconds), {cpu_name()}, device {device}, "
            f"{cores} measured side by side")
    if write:
        costs = write_costs(rows, scale, note, costs_path)
        if costs_path == COSTS:  # the rules read it: check what they request now
            scheduled = scheduled_jobs(scale, device)
    for row in rows:
        job = next(j for j in scheduled if j["rule"] == row["rule"]
                   and job_key(j["wildcards"]) == row["cost_key"] and j["wildcards"] == picks[row["rule"]]["wildcards"])
        row["request"] = {k: int(float(job["resources"].get(k, 0))) for k in ("runtime", "mem_mb")}
        row["verdict"] = verdict(row.get("projected_s"), row["peak_mb"], row["request"])
    text = table(rows)
    text += "\n" + estimate_line(scheduled, load_costs(costs_path) if write else costs, scale, cores, jobs)
    text += (f"\npreflight: {format_s(time.monotonic() - t0)} wall; measured runs in {folder}; "
             + (f"wrote {scale}'s entries of {costs_path}" if write else "workflow/costs.yaml not written"))
    ok = all(not r["verdict"].startswith("too small") and r.get("projected_s") is not None for r in rows)
    if not scratch:
        shutil.rmtree(folder, ignore_errors=True)
    return rows, text, ok


def format_s(seconds: float) -> str:
    from .checkpoint import format_duration

    return format_duration(seconds)


def estimate_line(scheduled: list[dict], costs: dict, scale: str, cores: int, jobs: int) -> str:
    from .estimate import local_and_cluster

    pairs = [(j["rule"], j["wildcards"]) for j in scheduled if j["rule"] != "all"]
    return local_and_cluster(pairs, costs, scale, cores, jobs)


def main(args) -> int:
    from .config import ConfigError

    try:
        rows, text, ok = run(args.scale, args.cores, args.jobs, args.device, args.rules, args.scratch, args.write)
    except ConfigError as err:
        print(f"mixedmotive: {err}", file=sys.stderr)
        return 1
    print(text, flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    if not ok:
        print("preflight: a request is too small or a job could not be measured (see the verdicts)", file=sys.stderr)
    return 0 if ok else 1
