"""Checkpoints of long trainers (``mixedmotive.checkpoint``): the Checkpointer itself, and
kill-and-resume of every checkpointing trainer through the CLI, bit-identical to an
uninterrupted run."""

from __future__ import annotations

import copy
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from mixedmotive import checkpoint, config, results
from mixedmotive.checkpoint import Checkpointer
from mixedmotive.config import config_hash

SRC = Path(__file__).resolve().parents[1] / "src"


# --------------------------------------------------------------------------- 1. Checkpointer
def _lines():
    out = []
    return out, out.append


def test_save_load_round_trip_and_done(tmp_path):
    path = tmp_path / "seed0.ckpt"
    ck = Checkpointer(path, every_s=None, every_n=1, key={"seed": 0}, log=lambda m: None)
    assert ck.load() is None and ck.resumed_from is None
    state = {"w": torch.randn(3, 4), "rows": [{"a": 0.1, "b": True}], "n": 7}
    ck.save(3, state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed0.ckpt"]
    again = Checkpointer(path, every_s=None, every_n=1, key={"seed": 0}, log=lambda m: None)
    got = again.load()
    assert again.resumed_from == 3
    assert torch.equal(got["w"], state["w"]) and got["rows"] == state["rows"] and got["n"] == 7
    again.done()
    assert list(tmp_path.iterdir()) == []
    again.done()  # idempotent


def test_checkpoint_of_another_run_is_discarded(tmp_path):
    path = tmp_path / "seed0.ckpt"
    Checkpointer(path, key={"config_hash": "a"}, log=lambda m: None).save(5, {"x": 1})
    lines, log = _lines()
    ck = Checkpointer(path, key={"config_hash": "b"}, log=log)
    assert ck.load() is None and ck.resumed_from is None
    assert not path.exists()
    assert "another run" in lines[0]


def test_unreadable_checkpoint_is_discarded(tmp_path):
    path = tmp_path / "seed0.ckpt"
    path.write_bytes(b"not a checkpoint")
    lines, log = _lines()
    assert Checkpointer(path, key="k", log=log).load() is None
    assert not path.exists() and "unreadable" in lines[0]


def test_failed_save_keeps_previous_checkpoint_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "seed0.ckpt"
    ck = Checkpointer(path, key="k", log=lambda m: None)
    ck.save(1, {"x": torch.tensor([1.0])})
    real_save = torch.save

    def failing(obj, f, *a, **kw):
        real_save(obj, f, *a, **kw)  # a complete-looking temp, then the failure
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", failing)
    with pytest.raises(OSError, match="disk full"):
        ck.save(2, {"x": torch.tensor([2.0])})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed0.ckpt"]
    ck2 = Checkpointer(path, key="k", log=lambda m: None)
    assert torch.equal(ck2.load()["x"], torch.tensor([1.0])) and ck2.resumed_from == 1


def test_load_and_done_remove_temps_of_killed_saves(tmp_path):
    path = tmp_path / "seed0.ckpt"
    other = tmp_path / ".seed1.ckpt.abc.tmp"  # another output's temp: not ours
    other.write_bytes(b"")
    (tmp_path / ".seed0.ckpt.x1y2.tmp").write_bytes(b"half a checkpoint")
    ck = Checkpointer(path, key="k", log=lambda m: None)
    assert ck.load() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name]
    (tmp_path / ".seed0.ckpt.zz.tmp").write_bytes(b"")
    ck.done()
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name]


def test_maybe_save_intervals_and_progress_lines(tmp_path):
    lines, log = _lines()
    calls = []

    def state():
        calls.append(1)
        return {"n": len(calls)}

    ck = Checkpointer(tmp_path / "a.ckpt", every_s=None, every_n=2, key="k", log=log)
    saved = [ck.maybe_save(step, state, total=5) for step in range(1, 6)]
    assert saved == [False, True, False, True, False] and len(calls) == 2 and ck.saves == 2
    assert re.match(r"episode 2/5 \(40 %\), [\d.]+ s elapsed, .* episodes/s, ETA .*; checkpoint saved", lines[0])
    assert all("\r" not in line and "\n" not in line for line in lines)

    slow = Checkpointer(tmp_path / "b.ckpt", every_s=3600.0, key="k", log=log)
    assert not any(slow.maybe_save(s, state) for s in range(1, 50))
    fast = Checkpointer(tmp_path / "c.ckpt", every_s=1e-9, key="k", log=log)
    time.sleep(0.001)
    assert fast.maybe_save(1, state) and (tmp_path / "c.ckpt").exists()
    with pytest.raises(ValueError):
        Checkpointer(tmp_path / "d.ckpt", every_s=0)


def test_progress_logged_every_minute_without_a_save(tmp_path, monkeypatch):
    """A run whose checkpoint interval is long still reports progress (with an ETA) once a minute."""
    lines, log = _lines()
    clock = [1000.0]
    monkeypatch.setattr(checkpoint.time, "monotonic", lambda: clock[0])
    ck = Checkpointer(tmp_path / "a.ckpt", every_s=3600.0, key="k", log=log)
    for step in range(1, 11):
        clock[0] += 20.0  # 20 s per episode
        assert not ck.maybe_save(step, dict, total=10)
    # logged at 60, 120 and 180 s (episodes 3, 6, 9); the ETA follows the measured rate
    assert [ln.split(",")[0] for ln in lines] == ["episode 3/10 (30 %)", "episode 6/10 (60 %)", "episode 9/10 (90 %)"]
    assert lines[0].endswith("ETA 2 min 20 s") and lines[2].endswith("ETA 20 s")
    assert Checkpointer(None, every_s=None, log=log).maybe_save(1, dict, total=2) is False and len(lines) == 3


def test_format_duration():
    assert [checkpoint.format_duration(s) for s in (12.4, 247, 11100, float("nan"))] == [
        "12 s", "4 min 07 s", "3 h 05 min", "?"]


def test_active_is_disabled_outside_activate(tmp_path):
    ck = checkpoint.active()
    assert not ck.enabled and ck.load() is None
    assert not ck.maybe_save(1, lambda: pytest.fail("state_fn called while disabled"))
    mine = Checkpointer(tmp_path / "x.ckpt", every_n=1, log=lambda m: None)
    with checkpoint.activate(mine):
        assert checkpoint.active() is mine
    assert checkpoint.active() is not mine


def test_rng_state_round_trip():
    import random

    import numpy as np

    gen = torch.Generator().manual_seed(3)
    state = checkpoint.rng_state(gen)
    first = (torch.rand(3), torch.rand(3, generator=gen), random.random(), np.random.rand())
    checkpoint.set_rng_state(state, gen)
    second = (torch.rand(3), torch.rand(3, generator=gen), random.random(), np.random.rand())
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert first[2:] == second[2:]
    with pytest.raises(ValueError):
        checkpoint.set_rng_state(state)


def test_interval_s_precedence(monkeypatch):
    monkeypatch.delenv(checkpoint.ENV_EVERY_S, raising=False)
    assert checkpoint.interval_s({}) == checkpoint.DEFAULT_EVERY_S == 60
    monkeypatch.setenv(checkpoint.ENV_EVERY_S, "7.5")
    assert checkpoint.interval_s({}) == 7.5
    cfg = {"lr": 1, "checkpoint_every_s": 3}
    assert checkpoint.interval_s(cfg) == 3 and cfg == {"lr": 1}  # taken out of the experiment's cfg
    assert checkpoint.interval_s({"checkpoint_every_s": 3}, override=2) == 2
    assert checkpoint.interval_s({}, override=0) is None


def test_path_for():
    assert checkpoint.path_for("results/smoke/x/mfos/seed3.parquet") == Path("results/smoke/x/mfos/seed3.ckpt")


# --------------------------------------------------------------------------- 2. kill and resume
SEED = 1
# big enough that the kill (at >= half the episodes) lands well before the end, small enough for
# a few seconds per case on a loaded 2-core box
_META = config.load(scale="smoke")["recip_ipd_analytic"]  # full settings; the cases override a few
CASES = {
    "mmaml": ("recip_ipd_meta", "mmaml", {"mmaml": {**_META["mmaml"], **dict(outer_episodes=16, inner_steps=10,
                                                                             batch=16)}}),
    "mfos": ("recip_ipd_meta", "mfos", {"mfos": {**_META["mfos"], **dict(meta_episodes=20, inner_steps=20, batch=32,
                                                                         hidden=32)}}),
    "rollout": ("recip_ipd_rollout", "reciprocator_vs_nl", dict(
        episodes=30, batch=64, T=8, lr=0.005, epochs=10, clip=0.1, gamma=0.96, entropy_coef=0.02,
        rr_weight=5.0, buffer_episodes=2, target_period=3)),  # buffer > 1: its restore matters
}
PROGRESS = re.compile(r"episode (\d+)/(\d+)")
# in-process interruption at a fixed step (the kill above lands wherever it lands): the rollout
# resumes between two baseline refreshes (target_period 3), so the baseline, its buffer and the
# episode counters must come back; the self-play MFOS variant covers the p_NL annealing
# Coins: the Reciprocator run resumes at an odd episode (between two refits, with a part-full
# buffer); the MFOS run at a meta-episode boundary (the NL is re-initialised from the restored RNG)
_COINS = config.load(scale="smoke")["recip_coins"]
STOP_AT = {"mmaml": 7, "mfos": 9, "mfos_selfplay": 9, "rollout": 16, "coins_recip": 5, "coins_mfos": 2}
CASES_IN_PROCESS = {**CASES, "mfos_selfplay": ("recip_ipd_meta", "mfos", {"mfos": {**_META["mfos"], **dict(
    meta_episodes=20, inner_steps=10, batch=16, hidden=16, self_play=True, selfplay_anneal=0.05)}}),
    "coins_recip": ("recip_coins", "reciprocator_vs_nl", {**_COINS, "episodes": 8}),
    "coins_mfos": ("recip_coins", "mfos_vs_nl", {**_COINS, "episodes": 8})}


def _cfg(name: str) -> dict:
    # like the rules: the section plus scale, device and the checkpoint interval
    return {**copy.deepcopy(CASES[name][2]), "scale": "test", "device": "cpu", "checkpoint_every_s": 3600}


def _run_in_process(name: str):
    """(frame, artifact or None) of one run in this process, seeded like the CLI."""
    from mixedmotive.jobs import EXPERIMENTS

    experiment, method, section = CASES_IN_PROCESS[name]
    cfg = {**copy.deepcopy(section), "scale": "test", "device": "cpu"}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        out = EXPERIMENTS[experiment].run(cfg, method, SEED, "cpu")
    return out if isinstance(out, tuple) else (out, None)


def _reference(name: str, tmp_path: Path) -> tuple[pd.DataFrame, object]:
    """Uninterrupted, in-process, no checkpointer; written and read back like a CLI result."""
    frame, artifact = _run_in_process(name)
    path = tmp_path / "reference" / "seed.parquet"
    results.write(frame, path, {})
    return pd.read_parquet(path), artifact


def _command(name: str, out: Path) -> list[str]:
    experiment, method, _ = CASES[name]
    return [sys.executable, "-m", "mixedmotive", "train", experiment, "--method", method, "--seed", str(SEED),
            "--config-json", json.dumps(_cfg(name)), "--out", str(out), "--checkpoint-every-n", "1"]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _kill_half_way(cmd: list[str], log: Path, cwd: Path) -> tuple[int, int]:
    """Run ``cmd``; SIGKILL it once its progress log reports at least half the episodes done."""
    k, n, rc = _signal_at(cmd, log, cwd, signal.SIGKILL, lambda n: (n + 1) // 2)
    assert rc == -signal.SIGKILL, log.read_text()
    return k, n


def _assert_same_artifact(got, ref, where="artifact"):
    if torch.is_tensor(ref):  # exactly equal, NaN where NaN (torch.equal alone has NaN != NaN)
        assert torch.is_tensor(got) and got.dtype == ref.dtype and got.shape == ref.shape, where
        if ref.is_floating_point():
            nan = ref.isnan()
            assert torch.equal(got.isnan(), nan) and torch.equal(got[~nan], ref[~nan]), where
        else:
            assert torch.equal(got, ref), where
    elif isinstance(ref, dict):
        assert set(got) == set(ref), where
        for key in ref:
            if key != "wall_s":  # timings differ between runs
                _assert_same_artifact(got[key], ref[key], f"{where}[{key!r}]")
    elif isinstance(ref, float) and math.isnan(ref):
        assert math.isnan(got), where
    else:
        assert got == ref, where


@pytest.mark.parametrize("name", list(CASES))
def test_killed_training_resumes_bit_identically(name, tmp_path):
    ref_frame, ref_artifact = _reference(name, tmp_path)

    out = tmp_path / "results" / name / f"seed{SEED}.parquet"
    out.parent.mkdir(parents=True)
    ckpt = checkpoint.path_for(out)
    k, n = _kill_half_way(_command(name, out), tmp_path / "killed.log", tmp_path)

    # nothing of the result survives the kill; only the checkpoint (and at most a killed save's temp)
    left = sorted(p.name for p in out.parent.iterdir())
    assert ckpt.name in left, left
    assert all(p == ckpt.name or re.fullmatch(rf"\.{re.escape(ckpt.name)}\..*\.tmp", p) for p in left), left
    step = torch.load(ckpt, weights_only=False)["step"]
    assert k <= step < n, (k, step, n)

    stale = out.parent / f".{out.name}.x7.tmp"  # as if an earlier run had been killed while writing
    stale.write_bytes(b"PAR1 partial")
    rerun = subprocess.run(_command(name, out), capture_output=True, text=True, cwd=tmp_path, env=_env(),
                           timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"at step {step}" in rerun.stdout, rerun.stdout
    assert "\r" not in rerun.stdout

    frame, meta = results.read(out)
    pd.testing.assert_frame_equal(frame, ref_frame, check_exact=True)
    assert len(frame) == n
    if ref_artifact is not None:
        _assert_same_artifact(results.read_artifact(results.artifact_path(out)), ref_artifact)
    assert meta["checkpoint"]["resumed_from_step"] == step
    # the interval is no experiment setting: neither in the recorded config nor in its hash
    cfg = _cfg(name)
    cfg.pop("checkpoint_every_s")
    assert meta["config"] == cfg and meta["config_hash"] == config_hash(cfg)

    expected = {out.name, results.sidecar(out).name} | ({results.artifact_path(out).name} if ref_artifact else set())
    assert {p.name for p in out.parent.iterdir()} == expected  # checkpoint and temps gone


class _Interrupted(Exception):
    pass


class _CrashAfter(Checkpointer):
    """Saves every step, then dies right after saving step ``stop``."""

    def __init__(self, path, stop):
        super().__init__(path, every_s=None, every_n=1, key="k", log=lambda m: None)
        self.stop = stop

    def maybe_save(self, step, state_fn, total=None):
        saved = super().maybe_save(step, state_fn, total)
        if step == self.stop:
            raise _Interrupted
        return saved


@pytest.mark.parametrize("name", list(CASES_IN_PROCESS))
def test_resume_at_a_fixed_step_is_bit_identical(name, tmp_path):
    ref_frame, ref_artifact = _run_in_process(name)
    path = tmp_path / "seed.ckpt"
    with checkpoint.activate(_CrashAfter(path, STOP_AT[name])), pytest.raises(_Interrupted):
        _run_in_process(name)
    resumed = Checkpointer(path, every_s=None, every_n=5, key="k", log=lambda m: None)
    with checkpoint.activate(resumed):
        frame, artifact = _run_in_process(name)
    assert resumed.resumed_from == STOP_AT[name]
    pd.testing.assert_frame_equal(frame, ref_frame, check_exact=True)
    if ref_artifact is not None:
        _assert_same_artifact(artifact, ref_artifact)
    if name == "mfos_selfplay":
        assert 0 < int(artifact["vs_self"].sum()) < len(artifact["vs_self"])
        assert int(artifact["vs_self"][:STOP_AT[name]].sum()) < int(artifact["vs_self"].sum())


# --------------------------------------------------------------------------- 3. clean stop on a signal
def test_stop_request_saves_at_the_next_step_whatever_the_interval(tmp_path):
    path = tmp_path / "seed0.ckpt"
    lines, log = _lines()
    ck = Checkpointer(path, every_s=3600, every_n=None, key="k", log=log)
    assert ck.load() is None
    assert ck.maybe_save(1, lambda: {"step": 1}) is False and not path.exists()  # interval not reached
    ck.stop_signal = signal.SIGTERM
    with pytest.raises(checkpoint.Stopped) as stop:
        ck.maybe_save(2, lambda: {"step": 2}, total=10)
    assert stop.value.code == 128 + signal.SIGTERM == 143
    assert torch.load(path, weights_only=False)["step"] == 2 and ck.saves == 1
    assert "stopped by SIGTERM at episode 2/10" in lines[-1] and "resumes at step 2" in lines[-1]


def test_stop_after_n_saves(tmp_path):
    ck = Checkpointer(tmp_path / "s.ckpt", every_s=None, every_n=1, key="k", log=lambda m: None, stop_after=3)
    ck.load()
    for step in (1, 2):
        assert ck.maybe_save(step, lambda: {})
    with pytest.raises(checkpoint.Stopped) as stop:
        ck.maybe_save(3, lambda: {})
    assert stop.value.code == checkpoint.STOPPED_AFTER_SAVES and ck.saves == 3


def test_stop_after_from_env(monkeypatch):
    monkeypatch.delenv(checkpoint.ENV_STOP_AFTER, raising=False)
    assert checkpoint.stop_after_from_env() is None
    monkeypatch.setenv(checkpoint.ENV_STOP_AFTER, "4")
    assert checkpoint.stop_after_from_env() == 4


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGURG])
def test_signal_handler_flags_a_loaded_checkpointer_and_exits_an_unloaded_one(sig, tmp_path):
    before = signal.getsignal(sig)
    ck = Checkpointer(tmp_path / "s.ckpt", key="k", log=lambda m: None)
    with checkpoint.stop_on_signals(ck), pytest.raises(checkpoint.Stopped) as stop:
        os.kill(os.getpid(), sig)  # not loaded yet: nothing to save, exits at once
        time.sleep(1)
    assert stop.value.code == 128 + sig and ck.stop_signal is None
    ck.load()
    with checkpoint.stop_on_signals(ck):
        os.kill(os.getpid(), sig)
        for _ in range(100):  # the handler runs between two bytecodes of the main thread
            if ck.stop_signal is not None:
                break
            time.sleep(0.01)
        assert ck.stop_signal == sig
        with pytest.raises(checkpoint.Stopped):  # a second signal while a stop is pending: at once
            os.kill(os.getpid(), sig)
            time.sleep(1)
    assert signal.getsignal(sig) == before  # the previous handler is back


def _signal_at(cmd: list[str], log: Path, cwd: Path, sig: int, target_of) -> tuple[int, int, int]:
    """Run ``cmd``; send ``sig`` once its progress log reports episode ``target_of(n)`` of ``n`` or later; wait for
    it to end.  Returns the episode seen, ``n`` and the return code."""
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd, env=_env())
    target = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            found = PROGRESS.findall(log.read_text())
            if found:
                k, n = map(int, found[-1])
                target = target or target_of(n)
                if k >= target:
                    os.kill(proc.pid, sig)
                    break
            if proc.poll() is not None:
                pytest.fail(f"finished before the signal (rc {proc.returncode}):\n{log.read_text()}")
            time.sleep(0.002)
        else:
            pytest.fail(f"no progress in time:\n{log.read_text()}")
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:  # failing: never leave it running
            proc.kill()
            proc.wait(timeout=60)
    return k, n, proc.returncode


def _signal_at_random_step(cmd: list[str], log: Path, cwd: Path, sig: int) -> tuple[int, int, int]:
    """Run ``cmd``; send ``sig`` once its progress log reports a random step in the first half; wait."""
    return _signal_at(cmd, log, cwd, sig, lambda n: random.randint(1, max(1, n // 2)))


@pytest.mark.parametrize("name,sig", [("mfos", signal.SIGTERM), ("rollout", signal.SIGINT), ("mmaml", signal.SIGURG)])
def test_signal_saves_stops_and_the_rerun_resumes_bit_identically(name, sig, tmp_path):
    ref_frame, ref_artifact = _reference(name, tmp_path)
    out = tmp_path / "results" / name / f"seed{SEED}.parquet"
    out.parent.mkdir(parents=True)
    log = tmp_path / "stopped.log"
    k, n, rc = _signal_at_random_step(_command(name, out), log, tmp_path, sig)
    text = log.read_text()
    assert rc == 128 + sig, (rc, text)
    assert text.count("\n") >= 1 and "Traceback" not in text, text
    stopped = re.findall(rf"stopped by {signal.Signals(sig).name} at episode (\d+)/{n}", text)
    assert len(stopped) == 1, text
    step = int(stopped[0])
    assert k <= step < n, (k, step, n)
    assert torch.load(checkpoint.path_for(out), weights_only=False)["step"] == step  # saved at the stop
    assert not out.exists()

    rerun = subprocess.run(_command(name, out), capture_output=True, text=True, cwd=tmp_path, env=_env(),
                           timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"at step {step}" in rerun.stdout, rerun.stdout
    frame, meta = results.read(out)
    pd.testing.assert_frame_equal(frame, ref_frame, check_exact=True)
    if ref_artifact is not None:
        _assert_same_artifact(results.read_artifact(results.artifact_path(out)), ref_artifact)
    assert meta["checkpoint"]["resumed_from_step"] == step
    assert not checkpoint.path_for(out).exists()
