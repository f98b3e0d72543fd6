#!/usr/bin/env python
"""Throughput of the batched MMM2 simulator: unit-steps/s (= env-steps/s x 22 units).

Usage::

    python benchmarks/bench_mmm2.py                 # batches 1, 256, 1024, ~20 s
    python benchmarks/bench_mmm2.py --quick         # ~5 s
    python benchmarks/bench_mmm2.py --batches 1,4096 --threads 1 --clock wall

Timed per batch, one loop iteration = ``avail_actions()`` + drawing random *valid* actions
(uniform over each agent's available actions, from a torch generator) + ``MMM2Env.step``
(observations included) + ``reset_done()`` when a game finished (keeps the batch full; random
agents lose in ~30 steps, so resets are part of the load).  Medians over repeats; batch 1 is
the same-run baseline (``x B=1``).  Process CPU time by default, 1 thread.  The last line checks
the goal: >= 480,000 unit-steps/s at batch 1024 (JaxMARL SMAX 2s3z measured on this machine:
~48k env-steps/s x 10 units at batch 1024).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from mixedmotive.envs.mmm2 import N_UNITS, MMM2Env

GOAL = 480_000  # unit-steps/s at batch 1024, 1 thread


def sample(batch, steps, clock, seed=0):
    gen = torch.Generator().manual_seed(seed)
    env = MMM2Env(batch, generator=gen)
    env.reset()

    def run():
        t = clock()
        for _ in range(steps):
            av = env.avail_actions()
            a = (torch.rand(av.shape, generator=gen) * av).argmax(-1)
            _, _, done, _ = env.step(a)
            if bool(done.any()):
                env.reset_done()
        return (clock() - t) / steps
    return run


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="1,256,1024")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=60, help="env steps per timed sample")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.steps = 3, 20
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    batches = [int(b) for b in args.batches.split(",")]
    print(f"MMM2 (10 agents vs 12 scripted), {args.threads} thread(s), {args.clock} clock, repeats {args.repeats}, "
          f"{args.steps} steps per sample; avail + random valid actions + step (obs) + reset_done")
    timers = {b: sample(b, args.steps, clock) for b in batches}
    for f in timers.values():  # warm-up
        f()
    samples = {b: [] for b in batches}
    for r in range(args.repeats):
        order = batches[r % len(batches):] + batches[:r % len(batches)]
        for b in order:
            samples[b].append(timers[b]())
    rates = {}
    for b in batches:
        sec = statistics.median(samples[b])
        rates[b] = b * N_UNITS / sec
        line = (f"batch {b:5d}  {b / sec / 1e3:8.1f}k env-steps/s  {rates[b] / 1e3:8.1f}k unit-steps/s  "
                f"{sec * 1e3:7.2f} ms/step")
        if 1 in samples and b != 1:
            ratio = statistics.median(x / y for x, y in zip(samples[1], samples[b], strict=True)) * b
            line += f"  x{ratio:.0f} vs B=1"
        print(line)
    if 1024 in rates and args.threads == 1:
        r = rates[1024]
        print(f"goal >= {GOAL / 1e3:.0f}k unit-steps/s at batch 1024, 1 thread: {r / 1e3:.0f}k -> "
              f"{'MET' if r >= GOAL else 'NOT MET'}")


if __name__ == "__main__":
    main()
