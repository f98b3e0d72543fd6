#!/usr/bin/env python
"""Cost of one multi-agent PPO update through the gradient engine (Harvest and Selfish-MMM2).

Usage::

    python benchmarks/bench_mappo.py            # both tasks, every method, ~1-2 min
    python benchmarks/bench_mappo.py --quick    # Harvest only, 3 methods

Timed pieces (process CPU time, 1 intra-op thread, medians over repeats, interleaved so that
background load cancels out of the same-run ratios), each on the same stored rollout
(Harvest: 8 games x 200 steps x 5 agents; MMM2: 32 games x 60 steps x 10 agents; the default
config's networks, one PPO epoch):

* ``<method>``            one epoch of ``MAPPO.update``'s actor + critic step for that method;
* ``xi per agent``        the individual gradients with one backward pass per agent
                          (``direction('simul_ind', ..., separable=False)``), the baseline of
* ``xi separable``        the same gradients from one backward pass (``separable=True``);
* ``conv actor``          Simul-Ind with a grouped 3x3 conv actor (6 channels) instead of the MLP.

Ratios: every method's epoch time over Simul-Ind's in the same run (AgA's extra cost is one
collective gradient with a graph plus one Hessian-vector product), ``per agent / separable``,
and ``conv / MLP``.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

from mixedmotive.agents.mappo import actor_losses
from mixedmotive.config import load
from mixedmotive.experiments.marl import collect, make_learner
from mixedmotive.gradients import direction
from mixedmotive.tasks.mmm2 import MMM2Task
from mixedmotive.tasks.ssd import SSDTask


def timed(fn, clock):
    t0 = clock()
    fn()
    return clock() - t0


def bench(name, task, cfg, methods, repeats, clock):
    cfg = copy.deepcopy(cfg)
    cfg["mappo"]["epochs"] = 1
    base = make_learner(task, "simul_ind", cfg, "cpu")
    batch, _ = collect(task, base, cfg["horizon"], task.reset())
    learners = {m: make_learner(task, m, cfg, "cpu") for m in methods}
    conv_cfg = copy.deepcopy(cfg)
    conv_cfg["network"]["actor_channels"] = 6
    if len(task.obs_shape) == 3:
        learners["conv actor"] = make_learner(task, "simul_ind", conv_cfg, "cpu")
    # the xi pieces on one fixed batch of losses
    T, B, N = batch["actions"].shape
    obs, actions = batch["obs"].flatten(0, 1), batch["actions"].flatten(0, 1)
    avail = batch["avail"].flatten(0, 1) if "avail" in batch else None
    adv = torch.randn(T * B, N + 1)

    def xi(separable):
        logits = base.actors(obs, avail)
        losses = actor_losses(logits, actions, batch["logp"].flatten(0, 1), adv[:, :N], adv[:, N], 0.2, 0.01, True)
        direction("simul_ind", losses["own"], base.actors.agent_params(), separable=separable)

    pieces = {m: (lambda lr=lr: lr.update({k: v.clone() for k, v in batch.items()})) for m, lr in learners.items()}
    pieces["xi per agent"] = lambda: xi(False)
    pieces["xi separable"] = lambda: xi(True)
    times = {k: [] for k in pieces}
    keys = list(pieces)
    for r in range(repeats):
        for k in keys[r % len(keys):] + keys[:r % len(keys)]:
            times[k].append(timed(pieces[k], clock))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n{name}: {T} steps x {B} games x {N} agents = {T * B * N} agent-samples per epoch")
    for k, v in med.items():
        ratio = f"{v / med['simul_ind']:5.2f}x simul_ind" if k in methods or k == "conv actor" else ""
        print(f"  {k:>14s}  {v * 1000:8.1f} ms   {ratio}")
    print(f"  xi: per agent / separable = {med['xi per agent'] / med['xi separable']:.2f}x")
    if "conv actor" in med:
        print(f"  conv actor / MLP actor = {med['conv actor'] / med['simul_ind']:.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = load()
    methods = ["simul_ind", "aga_lam100", "cga"] if args.quick else ["simul_ind", "simul_co", "svo", "sl", "cga",
                                                                       "aga_lam100"]
    ssd = {**cfg["aga_ssd"]}
    bench("Harvest", SSDTask("harvest", ssd, 0, "cpu"), ssd, methods, 3 if args.quick else args.repeats, clock)
    if not args.quick:
        mm = {**cfg["aga_mmm2"], "backend": "embedded"}
        bench("Selfish-MMM2", MMM2Task(mm, 0, "cpu"), mm, methods, args.repeats, clock)


if __name__ == "__main__":
    main()
