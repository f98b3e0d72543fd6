"""Cluster execution on a real (single-node) SLURM cluster.

``tests/cluster/slurm_cluster.sh up DIR`` starts slurmctld, slurmd and munged on this machine
(installing Debian's slurm-wlm, slurm-client and munge with apt-get when missing), then Snakemake
runs a small fan-out through ``profiles/slurm`` (``executor: slurm``, so every job is one ``sbatch``):
the public goods training rule over 2 methods x 3 seeds plus the Fig. 4 plot.  The same target is
then run locally (``--cores 2``, no profile) in a second fresh copy, and the raw results and the
figure must be identical.

Skipped, with the reason, when ``MIXEDMOTIVE_SKIP_SLURM=1``, when not root, when the packages cannot
be installed, or when the cluster does not start.  Every Snakemake run is bounded by a hard kill
(``timeout -s KILL``): without accounting, a wrongly configured status command makes Snakemake wait
forever (docs/decisions.md).  The cluster is torn down by the PIDs in its pid files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import copy_repo

REPO = Path(__file__).resolve().parents[1]
CLUSTER = REPO / "tests" / "cluster" / "slurm_cluster.sh"
TARGET = "figures/smoke/aga_fig4_public_goods_scatter.pdf"  # outputs of the smoke scale
TRAIN_RULE = "aga_public_goods"
# training fan-out: METHODS x N_SEEDS jobs of TRAIN_RULE, then the figure (an aggregate of all of them)
METHODS = ["simul_ind", "aga"]
N_SEEDS = 3
OVERRIDE = {TRAIN_RULE: {"methods": METHODS, "n_seeds": N_SEEDS}}
SLURM_RUN_LIMIT_S = 600  # hard kill of the SLURM run
LOCAL_RUN_LIMIT_S = 300
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+?)\)")

pytestmark = pytest.mark.slow  # runs the workflow end to end (about 2 minutes on 2 cores)


# --------------------------------------------------------------------------- helpers


def _copy_repo(dest: Path) -> Path:
    """Tracked plus untracked, non-ignored files of the checkout (never touched itself)."""
    copy_repo(dest)
    (dest / "override.yaml").write_text(yaml.safe_dump(OVERRIDE))
    return dest


def _env(root: Path, **extra: str) -> dict:
    env = dict(os.environ)
    # the rules (and the sbatch jobs, which get --export=ALL) call `python`: make it this interpreter
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "src"), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    env.update(extra)
    return env


def _run(cmd: list[str], root: Path, env: dict, limit_s: int) -> tuple[int, str, float]:
    """Run ``cmd`` under ``timeout -s KILL limit_s`` (which kills its whole process group)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(["timeout", "-s", "KILL", str(limit_s), *cmd], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=limit_s + 30)
    except subprocess.TimeoutExpired:  # belt and braces: timeout(1) itself hung
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return proc.returncode, out, time.monotonic() - t0


def _snakemake(*args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--configfile", "config/config.yaml", "override.yaml",
            "--config", "scale=smoke", *args, TARGET]


def _pdf_without_dates(path: Path) -> bytes:
    """The PDF's bytes without its creation date (and document ID, if any): all that may differ."""
    data = path.read_bytes()
    data = re.sub(rb"/CreationDate \(D:[^)]*\)", b"", data)
    return re.sub(rb"/ID \[<[0-9A-Fa-f]*> ?<[0-9A-Fa-f]*>\]", b"", data)


def _fail(what: str, rc: int, out: str) -> str:
    return f"{what} (exit {rc}); last output:\n{out[-6000:]}"


# --------------------------------------------------------------------------- the cluster


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running single-node cluster; yields the environment entries its clients need."""
    if os.environ.get("MIXEDMOTIVE_SKIP_SLURM") == "1":
        pytest.skip("MIXEDMOTIVE_SKIP_SLURM=1")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to start a SLURM cluster (slurmctld, slurmd, munged)")
    if not shutil.which("bash") or not shutil.which("timeout"):
        pytest.skip("needs bash and timeout(1)")
    state = tmp_path_factory.mktemp("slurm")
    t0 = time.monotonic()
    # bounded: apt-get (if it runs) takes at most 720 s inside the script
    up = subprocess.run(["timeout", "-s", "KILL", "1000", "bash", str(CLUSTER), "up", str(state)],
                        capture_output=True, text=True)
    started = time.monotonic() - t0
    env = {"SLURM_CONF": str(state / "slurm.conf")}
    try:
        if up.returncode != 0:
            why = {2: "not root", 3: "the SLURM packages (slurm-wlm, slurm-client, munge) cannot be installed",
                   4: "the SLURM cluster did not start"}.get(up.returncode, "slurm_cluster.sh up failed")
            tail = (up.stderr or "").strip().splitlines()[-3:]
            pytest.skip(f"{why} (exit {up.returncode}): {' | '.join(tail)}")
        print(f"\nSLURM cluster up in {started:.1f} s (state in {state})")
        yield env
    finally:
        if (state / "slurmctld.pid").exists():  # cancel leftovers of a killed run (our own cluster only)
            subprocess.run(["timeout", "-s", "KILL", "30", "scancel", "--user", "root"],
                           env={**os.environ, **env}, capture_output=True)
        down = subprocess.run(["timeout", "-s", "KILL", "60", "bash", str(CLUSTER), "down", str(state)],
                              capture_output=True, text=True)
        if down.returncode != 0:
            print(f"slurm_cluster.sh down failed (exit {down.returncode}): {down.stderr}")


def _slurm_profile(root: Path) -> str:
    """profiles/slurm as users get it, with only the test cluster's partition filled in."""
    prof = yaml.safe_load((root / "profiles/slurm/config.yaml").read_text())
    assert prof["executor"] == "slurm" and prof["slurm-status-command"] == "squeue"
    prof["default-resources"]["slurm_partition"] = "debug"
    dest = root / "profiles/slurm-test"
    dest.mkdir()
    (dest / "config.yaml").write_text(yaml.safe_dump(prof))
    return str(dest.relative_to(root))


# --------------------------------------------------------------------------- the test


def _rule_logs(root: Path, sbatch_text: str) -> str:
    """The tails of the rule logs (logs/...log) that a job's sbatch output names."""
    out = []
    for rel in sorted(set(re.findall(r"(logs/\S+?\.log)", sbatch_text))):
        path = root / rel
        out.append(f"{rel}:\n{path.read_text()[-1500:] if path.is_file() else '(absent)'}")
    return "\n".join(out) or "(none named)"


def test_fanout_through_sbatch_matches_local_run(slurm_cluster, tmp_path):
    t_test = time.monotonic()
    slurm_root = _copy_repo(tmp_path / "slurm" / "repo")
    local_root = _copy_repo(tmp_path / "local" / "repo")
    slurm_env = _env(slurm_root, **slurm_cluster)

    # the override is a valid config: a dry run resolves it and plans the whole fan-out
    rc, out, _ = _run(_snakemake("--cores", "1", "-n"), local_root, _env(local_root), 120)
    assert rc == 0, _fail("dry run with the override failed", rc, out)
    planned = re.findall(rf"^\s*rule {TRAIN_RULE}:", out, flags=re.M)
    assert len(planned) == len(METHODS) * N_SEEDS, out[-3000:]

    # 1. through SLURM: every job one sbatch; status by squeue (no accounting on this cluster)
    profile = _slurm_profile(slurm_root)
    rc, out, slurm_s = _run(
        _snakemake("--profile", profile, "-j", "4", "--slurm-init-seconds-before-status-checks", "5",
                   "--slurm-keep-successful-logs"),
        slurm_root, slurm_env, SLURM_RUN_LIMIT_S)
    print(f"SLURM run: {slurm_s:.1f} s (exit {rc})")
    if rc in (-9, 137):
        pytest.fail(_fail(f"the SLURM run was killed after {SLURM_RUN_LIMIT_S} s", rc, out))
    assert rc == 0, _fail("the SLURM run failed", rc, out)
    assert (slurm_root / TARGET).is_file(), f"{TARGET} missing after the SLURM run"

    submitted = SUBMITTED.findall(out)
    train = [s for s in submitted if f"rule_{TRAIN_RULE}" in s[2]]
    assert len(train) >= len(METHODS) * N_SEEDS, f"{len(train)} training jobs went through sbatch:\n{out[-4000:]}"
    assert any("rule_aga_fig4_public_goods_scatter" in s[2] for s in submitted), "the figure job was not submitted"
    slurm_ids = [s[1] for s in submitted]
    # each job's sbatch output: a Snakemake job step that ran the rule inside the SLURM allocation
    for _, slurm_id, log in submitted:
        text = Path(log).read_text() if Path(log).is_file() else ""
        assert "1 of 1 steps (100%) done" in text, (
            f"SLURM job {slurm_id} did not finish its rule: {log}\n--- its sbatch output (tail):\n{text[-3000:]}"
            f"\n--- the job's own logs (the retry's, if Snakemake retried it):\n{_rule_logs(slurm_root, text)}")
    # and SLURM itself knows them, finished
    q = subprocess.run(["timeout", "-s", "KILL", "30", "squeue", "-h", "--states=all", "-o", "%i %T",
                        "-j", ",".join(slurm_ids)], env=slurm_env, capture_output=True, text=True)
    states = dict(line.split() for line in q.stdout.splitlines() if line.strip())
    assert set(states) == set(slurm_ids) and set(states.values()) == {"COMPLETED"}, (q.stdout, q.stderr)

    # 2. the same target locally, in a second fresh copy
    rc, out, local_s = _run(_snakemake("--cores", "2"), local_root, _env(local_root), LOCAL_RUN_LIMIT_S)
    print(f"local run: {local_s:.1f} s (exit {rc})")
    assert rc == 0, _fail("the local run failed", rc, out)

    # 3. identical raw results (data and config, not provenance timestamps) and figure
    rel = sorted(p.relative_to(local_root) for p in (local_root / "results").rglob("*.parquet"))
    assert len(rel) == len(METHODS) * N_SEEDS, rel
    assert rel == sorted(p.relative_to(slurm_root) for p in (slurm_root / "results").rglob("*.parquet"))
    for r in rel:
        pd.testing.assert_frame_equal(pd.read_parquet(slurm_root / r), pd.read_parquet(local_root / r),
                                      check_exact=True, obj=str(r))
        meta = [json.loads((root / r).with_suffix(".json").read_text()) for root in (slurm_root, local_root)]
        for key in ("experiment", "method", "seed", "scale", "config_hash", "config"):
            assert meta[0].get(key) == meta[1].get(key), f"{r}: sidecar '{key}' differs"
    assert _pdf_without_dates(slurm_root / TARGET) == _pdf_without_dates(local_root / TARGET), \
        "the figure from the SLURM run differs from the local one"
    print(f"whole test: {time.monotonic() - t_test:.1f} s (cluster start not included)")


# --------------------------------------------------------------------------- the time-limit warning signal
META_TARGET = "results/smoke/recip_ipd_meta/mmaml/seed0.parquet"
META_LOG = "logs/smoke/recip_ipd_meta/mmaml/seed0.log"
META_OVERRIDE = {"scales": {"smoke": {"recip_ipd_analytic": {"mmaml": {"outer_episodes": 150}}}}}


def test_warning_signal_to_every_process_stops_the_trainer_cleanly_and_a_rerun_resumes(tmp_path):
    """What the profile's ``--signal=URG@600`` does at the end of a job step: SLURM signals every process
    of the step (here: the Snakemake process group: Snakemake, bash, the trainer).  Snakemake and bash
    ignore SIGURG; the trainer saves at its next episode and exits 151, so the job fails (the profile's
    ``retries`` resubmits it) and the rerun resumes at that episode."""
    import random

    root = copy_repo(tmp_path / "repo")
    (root / "override.yaml").write_text(yaml.safe_dump(META_OVERRIDE))
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile", "config/config.yaml", "override.yaml",
           "--config", "scale=smoke", "--", META_TARGET]
    env = _env(root)
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    target, log, deadline = random.randint(5, 60), root / META_LOG, time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            steps = [int(k) for k in re.findall(r"episode (\d+)/150", log.read_text() if log.exists() else "")]
            if steps and steps[-1] >= target:
                os.killpg(proc.pid, signal.SIGURG)
                break
            time.sleep(0.01)
        out, _ = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    text = log.read_text() if log.exists() else ""
    stopped = re.findall(r"stopped by SIGURG at episode (\d+)/150", text)
    assert proc.returncode != 0 and len(stopped) == 1, f"rc {proc.returncode}\n{out[-3000:]}\n{text[-2000:]}"
    step = int(stopped[0])
    assert step >= target and not (root / META_TARGET).exists()
    ckpt = root / META_TARGET.replace(".parquet", ".ckpt")
    import torch

    assert torch.load(ckpt, weights_only=False)["step"] == step
    assert "Error in rule recip_ipd_meta" in out and "151" in out, out[-3000:]  # the job failed: retried

    rerun = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert f"at step {step}" in log.read_text() and (root / META_TARGET).exists() and not ckpt.exists()
