#!/usr/bin/env python
"""Whole-training throughput of the multi-agent PPO trainers: environment steps per
second of rollout + update + logging, per method, on Harvest, Cleanup and Selfish-MMM2.

Usage::

    python benchmarks/bench_train.py                  # default settings, 3 methods, ~3 min
    python benchmarks/bench_train.py --all-methods    # + simul_co, svo, sl
    python benchmarks/bench_train.py --more-games 32,128  # + Simul-Ind with 32 and 128 games per step
    python benchmarks/bench_train.py --paper          # + the paper settings (1000-step rollouts of 32 games,
                                                      #   conv actor; MMM2 64 games x 160 steps), ~10 min more

One thread, process CPU time.  A measurement = ``updates`` whole updates of
:func:`mixedmotive.experiments.marl.train` (rollout, PPO update, row logging) after one warm-up
update, minus nothing; ``env`` = the same number of environment steps with uniformly random
actions and no learner.  Measurements rotate over the methods in interleaved rounds so that
background load falls on all of them alike; the medians are printed with

(a) each method's time per step over Simul-Ind's and the environment's share of a Simul-Ind run; with
    ``--baseline COMMIT``, also the speed-up over the trainer of that commit (``<method>@<commit>`` rows:
    ``agents/mappo.py`` as of COMMIT, loaded by ``investigations/old_commit.py`` from ``git show``; rollout,
    environment and engine are today's);
(b) the projected hours of one paper-scale run on this core (2e7 SSD steps, 1e7 MMM2 steps)
    from the throughput at the paper settings (``--paper``) or, without it, at the default
    settings (a lower bound of the cost: paper runs use a conv actor and longer rollouts);
(c) SocialJax's IPPO at the same settings when ``socialjax`` imports (it is not installed here:
    the line says so);
(d) how close each method comes to this core's matrix-product rate: the FLOPs of one update's matrix
    products and convolutions (forward, backward and Hessian-vector products, counted by
    ``torch.utils.flop_counter.FlopCounterMode``) per environment step, times the measured steps/s,
    over the rate of a 512 x 512 float32 matrix product on one thread measured in the same run (and the
    bfloat16 product's rate beside it);
(e) where an update's time goes (CPU only): ATen's dense kernels (matrix products, convolutions, forward and
    backward) by their self time under ``torch.profiler``, the other ATen ops, and the rest (Python, dispatch,
    the autograd engine), beside the environment alone; and the bound time / (dense kernels + environment):
    the most a rewrite that keeps these kernels at their measured speed and today's environment could gain, from
    the profiled shares (not a safe bound: the profiler slows the run unevenly) and from its dense kernels replayed
    at their best measured speed (``kernel_shares.replayed_dense_seconds``);
(f) with ``--more-games N,...``: Simul-Ind with N games stepped together (rollout length unchanged), interleaved
    with the rows above, and its steps/s over the configured number of games.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import torch

from mixedmotive.config import load
from mixedmotive.experiments import marl
from mixedmotive.experiments.marl import collect, make_learner
from mixedmotive.tasks.mmm2 import MMM2Task
from mixedmotive.tasks.ssd import SSDTask

sys.path.insert(0, str(Path(__file__).resolve().parent / "investigations"))
from kernel_shares import replayed_dense_seconds, shares  # noqa: E402

PAPER_STEPS = {"harvest": 2e7, "cleanup": 2e7, "mmm2": 1e7}


DEVICE = "cpu"


def pinned_learner(commit: str, task, variant: str, cfg: dict):
    """:func:`make_learner` itself, with the MAPPO class of ``agents/mappo.py`` as of ``commit`` in place of today's."""
    from old_commit import mappo_at

    with mock.patch.object(marl, "MAPPO", mappo_at(commit).MAPPO):
        return make_learner(task, variant, cfg, DEVICE)


def _clock() -> float:
    """Process CPU time on the CPU; wall time after a synchronise on a GPU."""
    if DEVICE == "cpu":
        return time.process_time()
    torch.cuda.synchronize()
    return time.perf_counter()


def _task(game: str, cfg: dict):
    if game == "mmm2":
        return MMM2Task({**cfg, "backend": "embedded"}, 0, DEVICE)
    return SSDTask(game, cfg, 0, DEVICE)


def _settings(game: str, scale: str) -> dict:
    full = load(scale=scale)
    return copy.deepcopy(full["aga_mmm2" if game == "mmm2" else "aga_ssd"])


class Runner:
    """One learner on one task, continued between measurements (as in a real run).

    ``<method>@<commit>``: the same with the MAPPO learner of ``commit`` (:func:`pinned_learner`)."""

    def __init__(self, game: str, cfg: dict, variant: str):
        torch.manual_seed(0)
        self.cfg, self.variant = cfg, variant
        self.task = _task(game, cfg)
        method, _, commit = variant.partition("@")
        if variant == "env":
            self.learner = None
        elif commit:
            self.learner = pinned_learner(commit, self.task, method, cfg)
        else:
            self.learner = make_learner(self.task, method, cfg, DEVICE)
        self.state = self.task.reset()
        self.steps_per_update = int(cfg["horizon"]) * self.task.batch
        self.measure(1)  # warm-up

    def measure(self, updates: int) -> float:
        t0 = _clock()
        for _ in range(updates):
            if self.learner is None:
                for _ in range(int(self.cfg["horizon"])):
                    acts = self._random_actions()
                    obs, state, avail, *_ = self.task.step(acts)
                    self.state = (obs, state, avail)
            else:
                batch, self.state = collect(self.task, self.learner, int(self.cfg["horizon"]), self.state)
                stats = self.learner.update(batch)
                _ = {k: float(v) for k, v in stats.items()}  # what train() logs per row
        return (_clock() - t0) / (updates * self.steps_per_update)

    def _random_actions(self):
        t = self.task
        avail = self.state[2]
        if avail is None:
            return torch.randint(t.n_actions, (t.batch, t.n_agents), generator=t.generator, device=DEVICE)
        probs = avail.float()
        return torch.multinomial(probs.reshape(-1, t.n_actions), 1, generator=t.generator).view(t.batch, t.n_agents)


def bench(game: str, scale: str, methods: list[str], rounds: int, updates: int, baseline: str,
          more_games: tuple[int, ...] = ()) -> dict:
    cfg = _settings(game, scale)
    pinned = [f"{m}@{baseline}" for m in methods[:3]] if baseline else []
    runners = {m: Runner(game, cfg, m) for m in ["env", *methods, *pinned]}
    for n in more_games:  # Simul-Ind with more games stepped together, the rollout length unchanged
        runners[f"simul_ind*{n}"] = Runner(game, {**cfg, "batch": n}, "simul_ind")
    times = {m: [] for m in runners}
    keys = list(runners)
    for r in range(rounds):
        for m in keys[r % len(keys):] + keys[:r % len(keys)]:
            times[m].append(runners[m].measure(updates))
    med = {m: statistics.median(v) for m, v in times.items()}
    steps = runners["simul_ind"].steps_per_update
    print(f"\n{game} at {scale} settings: {steps} environment steps per update "
          f"({runners['simul_ind'].task.batch} games x {cfg['horizon']} steps, "
          f"{runners['simul_ind'].task.n_agents} agents), "
          f"medians of {rounds} rounds x {updates} updates, "
          f"{'CPU time, 1 thread' if DEVICE == 'cpu' else 'wall time on ' + DEVICE})")
    print(f"  {'method':>12s} {'steps/s':>10s} {'x simul_ind':>12s} {'paper run (h)':>14s}")
    for m in keys:
        rate = 1.0 / med[m]
        ratio = med[m] / med["simul_ind"]
        hours = PAPER_STEPS[game] * med[m] / 3600
        print(f"  {m:>12s} {rate:10.0f} {ratio:11.2f}x {hours:14.1f}")
    print(f"  environment share of a Simul-Ind run: {med['env'] / med['simul_ind']:.1%}")
    for m in pinned:
        print(f"  {m.partition('@')[0]}: today is {med[m] / med[m.partition('@')[0]]:.2f}x faster than at {baseline}")
    for n in more_games:
        print(f"  simul_ind with {n} games per step instead of {runners['simul_ind'].task.batch}: "
              f"{med['simul_ind'] / med[f'simul_ind*{n}']:.2f}x the steps/s")
    flops_lines(runners, med)
    breakdown_lines(runners, med)
    return med


def matmul_rate(n: int = 512, reps: int = 20, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of an ``n`` x ``n`` matrix product of ``dtype`` on this device (one thread on the CPU)."""
    a, b = (torch.randn(n, n, device=DEVICE, dtype=dtype) for _ in range(2))
    a @ b
    t0 = _clock()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (_clock() - t0)


def flops_per_step(runner: Runner) -> float:
    """Matrix-product and convolution FLOPs of one whole update (rollout + PPO update) per environment step."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        runner.measure(1)
    return counter.get_total_flops() / runner.steps_per_update


def flops_lines(runners: dict, med: dict) -> None:
    peak, half = matmul_rate(), matmul_rate(dtype=torch.bfloat16)
    print(f"  matrix products: this core's 512 x 512 rate {peak / 1e9:.1f} GFLOP/s (bfloat16: {half / 1e9:.1f}, "
          f"x{half / peak:.2f}); per method: FLOPs per env step, achieved GFLOP/s, share of the float32 rate")
    for m, runner in runners.items():
        if runner.learner is None or "@" in m or "*" in m:
            continue
        per_step = flops_per_step(runner)
        achieved = per_step / med[m]
        print(f"  {m:>12s} {per_step / 1e6:8.2f} MFLOP {achieved / 1e9:8.2f} GFLOP/s {achieved / peak:8.1%}")


def breakdown_lines(runners: dict, med: dict) -> None:
    """Where one update's time goes, and the most a rewrite could gain that keeps ATen's dense kernels at their
    measured speed and today's environment, two ways: 1 / (dense-kernel share + environment share) from the
    profiled update, and the update's unprofiled time over (its dense kernels at their best measured speed,
    :func:`kernel_shares.replayed_dense_seconds`, + the environment)."""
    if DEVICE != "cpu":
        return
    print("  shares of a profiled update: dense kernels (matrix products, convolutions) / other ATen ops / the rest "
          "(Python, dispatch, autograd engine); environment alone over the update; the bound from the shares, and "
          "from the dense kernels replayed (unprofiled time / (dense kernels at their best measured speed + "
          "environment))")
    for m, runner in runners.items():
        if runner.learner is None or "@" in m or "*" in m:
            continue
        dense, other = shares(lambda runner=runner: runner.measure(1))
        env = med["env"] / med[m]
        replayed, _ = replayed_dense_seconds(lambda runner=runner: runner.measure(1))
        tight = f"{med[m] / (replayed / runner.steps_per_update + med['env']):.2f}x"
        print(f"  {m:>12s} {dense:6.1%} / {other:6.1%} / {1 - dense - other:6.1%}   env {env:6.1%}   "
              f"at most {1 / (dense + env):.2f}x (shares), {tight} (replayed) faster with these kernels and this "
              f"environment", flush=True)


def socialjax_line() -> None:
    try:
        import socialjax  # noqa: F401
    except ImportError:
        print("\nSocialJax IPPO: socialjax does not import here (not installed): skipped")
        return
    print("\nSocialJax IPPO: socialjax imports, but its IPPO baseline is not wired into this benchmark yet")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--games", default="harvest,cleanup,mmm2")
    ap.add_argument("--all-methods", action="store_true")
    ap.add_argument("--paper", action="store_true", help="also measure at the paper settings")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--updates", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (GPU: wall time)")
    ap.add_argument("--more-games", default="", metavar="N,N",
                    help="also time Simul-Ind with N games stepped together (default settings only)")
    ap.add_argument("--baseline", default="", metavar="COMMIT",
                    help="also time the first three methods with agents/mappo.py of COMMIT (needs the git history; "
                         "e.g. ccffa47, the trainer before decision A14)")
    args = ap.parse_args()
    global DEVICE
    DEVICE = args.device
    torch.set_num_threads(1)
    methods = ["simul_ind", "aga_lam100", "cga"]
    if args.all_methods:
        methods += ["simul_co", "svo", "sl"]
    for game in args.games.split(","):
        more = tuple(int(n) for n in args.more_games.split(",") if n)
        bench(game, "default", methods, args.rounds, args.updates, args.baseline, more)
        if args.paper:
            bench(game, "paper", methods, max(1, args.rounds - 1), 1, args.baseline)
    socialjax_line()


if __name__ == "__main__":
    main()
