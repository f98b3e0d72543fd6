#!/usr/bin/env python
"""Throughput of the batched SSD games Harvest and Cleanup: agent-steps/s (env-steps/s x N).

Usage::

    python benchmarks/bench_ssd.py                  # batches 1, 64, 256, both games, ~15 s
    python benchmarks/bench_ssd.py --quick          # ~3 s
    python benchmarks/bench_ssd.py --batches 64 --games harvest --no-plain

One env-step = one game advanced by one step; one agent-step = one agent's share of it
(N = 5 agents: agent-steps/s = 5 x env-steps/s).  Timed pieces, interleaved within each
repeat (the order rotates from repeat to repeat, so a drifting background load cancels
out of the same-run ratios; medians over repeats):

* ``harvest[B]`` / ``cleanup[B]``  ``HarvestEnv.step`` / ``CleanupEnv.step`` on the default
                 maps, N = 5, 15 x 15 observations included, on random actions drawn
                 before the timed region (uniform over the 8 / 9 actions);
* ``plain[B]``   Harvest written plainly in this file (``PlainHarvest``): a loop over games
                 and agents with numpy, the way the reference computes a step (its
                 move-conflict loop, three beam lines cell by cell, the regrowth window per
                 apple cell, one ``np.rot90`` window per agent and channel) -- the
                 per-agent-loop baseline, same rules, same observation channels.

Same-run ratios: ``x B=1`` (agent-steps/s relative to the same game's one-environment step in
the same repeat) and ``x plain`` (relative to ``plain`` at the same batch).  Times are process
CPU time (``--clock cpu``, default: little disturbed by other jobs on the machine) or wall
time (``--clock wall``); 1 intra-op thread unless ``--threads``.

Goal: >= 250,000 agent-steps/s for Harvest at 64 environments on 1 CPU thread,
observations included.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from mixedmotive.envs.cleanup import CleanupEnv
from mixedmotive.envs.harvest import SPAWN_PROB, HarvestEnv
from mixedmotive.envs.ssd import DIRECTIONS
from mixedmotive.envs.ssd_maps import HARVEST_MAP

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from ssd_reference import reference_update_moves  # noqa: E402  (the test oracle, tests/ssd_reference.py)

GOAL = 250_000  # agent-steps/s, Harvest, batch 64, 1 thread
N_AGENTS = 5


# ---------------------------------------------------------------------- plain baseline
class PlainHarvest:
    """Harvest written plainly: loops over games and agents (numpy), as the reference."""

    def __init__(self, batch, n_agents=N_AGENTS, view=7, seed=0):
        base = np.array([list(r) for r in HARVEST_MAP])
        self.base, self.wall = base, base == "@"
        self.H, self.W = base.shape
        self.apple_cells = [tuple(x) for x in np.argwhere(base == "A")]
        self.spawn = np.argwhere(base == "P")
        self.b, self.n, self.v = batch, n_agents, view
        self.dirs = np.array(DIRECTIONS)
        self.rng = np.random.default_rng(seed)

    def reset(self):
        b, n = self.b, self.n
        self.apples = np.repeat((self.base == "A")[None], b, 0)
        self.beam = np.zeros((b, self.H, self.W), bool)
        self.pos = np.zeros((b, n, 2), int)
        self.orient = self.rng.integers(4, size=(b, n))
        for g in range(b):
            self.pos[g] = self.spawn[self.rng.choice(len(self.spawn), n, replace=False)]
        return self.observe()

    def observe(self):
        b, n, v = self.b, self.n, self.v
        side = 2 * v + 1
        obs = np.zeros((b, n, 5, side, side), np.float32)
        for g in range(b):
            agents = np.zeros((self.H, self.W), bool)
            agents[self.pos[g, :, 0], self.pos[g, :, 1]] = True
            maps = [np.pad(m, v, constant_values=f) for m, f in
                    ((agents, False), (self.wall, True), (self.apples[g], False), (self.beam[g], False))]
            for i in range(n):
                r, c = self.pos[g, i]
                for ch, m in enumerate(maps, start=1):
                    obs[g, i, ch] = np.rot90(m[r:r + side, c:c + side], self.orient[g, i])
                obs[g, i, 0, v, v], obs[g, i, 1, v, v] = 1, 0
        return obs

    def step(self, actions):
        b, n, d = self.b, self.n, self.dirs
        rewards = np.zeros((b, n), np.float32)
        self.beam[:] = False
        for g in range(b):
            pos, orient, apples = self.pos[g], self.orient[g], self.apples[g]
            target = []
            for i in range(n):
                a, o = actions[g, i], orient[i]
                if a in (5, 6):
                    orient[i] = (o + (1 if a == 5 else 3)) % 4
                delta = {0: d[(o + 3) % 4], 1: d[(o + 1) % 4], 2: d[o], 3: d[(o + 2) % 4]}.get(a, (0, 0))
                t = (pos[i, 0] + delta[0], pos[i, 1] + delta[1])
                target.append((pos[i, 0], pos[i, 1]) if self.wall[t] else t)
            pos[:] = reference_update_moves([tuple(p) for p in pos], target, list(self.rng.permutation(n)))
            for i in range(n):
                if apples[pos[i, 0], pos[i, 1]]:
                    apples[pos[i, 0], pos[i, 1]] = False
                    rewards[g, i] += 1
            holder = {tuple(p): i for i, p in enumerate(pos)}
            for i in np.flatnonzero(actions[g] == 7):
                rewards[g, i] -= 1
                f, right = d[orient[i]], d[(orient[i] + 1) % 4]
                for start, first in ((pos[i], 1), (pos[i] + right, 0), (pos[i] - right, 0)):
                    for k in range(first, first + 5):
                        cell = tuple(start + k * f)
                        if self.wall[cell]:
                            break
                        self.beam[g][cell] = True
                        if cell in holder:
                            rewards[g, holder[cell]] -= 50
                            break
            grow = []
            for r, c in self.apple_cells:
                if apples[r, c] or (r, c) in holder:
                    continue
                k = apples[max(r - 2, 0):r + 3, max(c - 2, 0):c + 3].sum()
                if self.rng.random() < SPAWN_PROB[min(k, 3)]:
                    grow.append((r, c))
            for cell in grow:
                apples[cell] = True
        return self.observe(), rewards


# ---------------------------------------------------------------------- timing
def make_piece(name, batch, seed=0):
    """(run(steps) -> seconds, per-step action source) for one timed piece."""
    if name == "plain":
        env = PlainHarvest(batch, seed=seed)
        env.reset()
        acts = np.random.default_rng(seed).integers(8, size=(64, batch, N_AGENTS))

        def run(steps):
            for s in range(steps):
                env.step(acts[s % len(acts)])
        return run
    cls = {"harvest": HarvestEnv, "cleanup": CleanupEnv}[name]
    gen = torch.Generator().manual_seed(seed)
    env = cls(batch, n_agents=N_AGENTS, T=10**9, generator=gen)
    env.reset()
    acts = torch.randint(env.n_actions, (256, batch, N_AGENTS), generator=gen)

    def run(steps):
        for s in range(steps):
            env.step(acts[s % len(acts)])
    return run


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="1,64,256")
    ap.add_argument("--games", default="harvest,cleanup")
    ap.add_argument("--plain-batches", default="1,64", help="batches at which the plain baseline runs")
    ap.add_argument("--no-plain", dest="plain", action="store_false")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--block-ms", type=float, default=100.0, help="target duration of one timed block")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.block_ms = 5, 20.0
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    batches = [int(b) for b in args.batches.split(",")]
    games = args.games.split(",")
    plain_batches = [int(b) for b in args.plain_batches.split(",")] if args.plain else []
    pieces = {(g, b): make_piece(g, b) for g in games for b in batches}
    pieces.update({("plain", b): make_piece("plain", b) for b in plain_batches})
    # calibrate the steps per block (warm-up included)
    steps = {}
    for key, run in pieces.items():
        run(2)
        t = clock()
        run(3)
        per_step = max((clock() - t) / 3, 1e-7)
        steps[key] = max(1, math.ceil(args.block_ms / 1e3 / per_step))
    keys = list(pieces)
    samples = {k: [] for k in keys}  # seconds per env-step
    for r in range(args.repeats):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:
            t = clock()
            pieces[key](steps[key])
            samples[key].append((clock() - t) / steps[key])
    print(f"SSD games, N = {N_AGENTS}, default maps, 15 x 15 observations included, random actions; "
          f"{args.threads} thread(s), {args.clock} clock, {args.repeats} repeats (medians)")
    print(f"{'piece':>14} {'ms/step':>9} {'env-steps/s':>12} {'agent-steps/s':>14} {'x B=1':>7} {'x plain':>8}")
    rate = {k: N_AGENTS / statistics.median(v) for k, v in samples.items()}
    for key in keys:
        game, b = key
        line = (f"{game + f'[{b}]':>14} {statistics.median(samples[key]) * 1e3:9.3f} {b * rate[key] / N_AGENTS:12.0f} "
                f"{b * rate[key]:14.0f}")
        one = (game, 1)
        if one in samples and b != 1:  # per agent-step, same repeat
            line += f" {statistics.median(b * s1 / s for s, s1 in zip(samples[key], samples[one], strict=True)):7.1f}"
        else:
            line += f" {'':>7}"
        if game != "plain" and ("plain", b) in samples:
            line += f" {statistics.median(p / s for s, p in zip(samples[key], samples['plain', b], strict=True)):8.1f}"
        print(line)
    if ("harvest", 64) in rate:
        r = 64 * rate["harvest", 64]
        print(f"goal >= {GOAL:,} agent-steps/s for Harvest at 64 environments, {args.threads} thread(s): "
              f"{r:,.0f} -> {'MET' if r >= GOAL else 'NOT MET'}")


if __name__ == "__main__":
    main()
