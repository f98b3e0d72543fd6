#!/usr/bin/env python
"""Throughput of IPD-Rollout: env steps/s and training episodes/s (rollout + both PPO updates).

Usage::

    python benchmarks/bench_ipd_rollout.py                  # batch 2048, ~10 s
    python benchmarks/bench_ipd_rollout.py --quick          # ~3 s
    python benchmarks/bench_ipd_rollout.py --device cuda --threads 1

Timed pieces, interleaved within each repeat so a slowly drifting background load
cancels out of the same-run ratios (medians over repeats):

* ``env_step``   one ``IPDRolloutEnv.step`` on pre-drawn random actions (B games);
* ``rollout``    one T-step rollout with both policies sampling (no learning);
* ``episode``    rollout + Reciprocator update (baseline, r_RR, PPO) + NL-PPO update,
                 i.e. one training episode of ``recip_ipd_rollout``.

Printed ratios: rollout / (T x env_step) (policy overhead of acting) and episode /
rollout (cost of learning), both from the same repeat.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from mixedmotive.envs.ipd_rollout import IPDRolloutEnv
from mixedmotive.experiments.recip_ipd_rollout import make_agents, rollout

CFG = dict(episodes=1, batch=2048, T=32, lr=0.005, epochs=10, clip=0.1, gamma=0.96, entropy_coef=0.02,
           rr_weight=5.0, buffer_episodes=1, target_period=3)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--T", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=320, help="env steps per env_step sample")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.steps = 3, 64
    torch.set_num_threads(args.threads)
    dev = args.device
    cfg = dict(CFG, batch=args.batch, T=args.T)
    torch.manual_seed(0)
    gen = torch.Generator(device=dev).manual_seed(0)
    env = IPDRolloutEnv(args.batch, T=10**9, device=dev)  # never done while timing single steps
    ep_env = IPDRolloutEnv(args.batch, T=args.T, device=dev)
    recip, nl = make_agents(cfg, dev)
    actions = torch.randint(0, 2, (args.steps, args.batch, 2), generator=gen, device=dev)

    def t_env_step():
        env.reset()
        _sync(dev)
        t = time.perf_counter()
        for k in range(args.steps):
            env.step(actions[k])
        _sync(dev)
        return (time.perf_counter() - t) / args.steps

    def t_rollout():
        _sync(dev)
        t = time.perf_counter()
        rollout(ep_env, (recip, nl), gen)
        _sync(dev)
        return time.perf_counter() - t

    def t_episode():
        _sync(dev)
        t = time.perf_counter()
        ep = rollout(ep_env, (recip, nl), gen)
        recip.learn(ep)
        nl.learn(ep)
        _sync(dev)
        return time.perf_counter() - t

    timers = {"env_step": t_env_step, "rollout": t_rollout, "episode": t_episode}
    for f in timers.values():  # warm-up (lazy imports, allocator)
        f()
    samples = {k: [] for k in timers}
    names = list(timers)
    for r in range(args.repeats):
        for name in names[r % 3:] + names[:r % 3]:
            samples[name].append(timers[name]())
    med = {k: statistics.median(v) for k, v in samples.items()}
    act_ratio = statistics.median(ro / (args.T * es)
                                  for ro, es in zip(samples["rollout"], samples["env_step"], strict=True))
    learn_ratio = statistics.median(e / ro for e, ro in zip(samples["episode"], samples["rollout"], strict=True))
    print(f"device {dev}, threads {torch.get_num_threads()}, batch {args.batch}, T {args.T}, "
          f"repeats {args.repeats}")
    print(f"env step      {med['env_step'] * 1e6:9.1f} us   {args.batch / med['env_step']:,.0f} game-steps/s")
    print(f"rollout       {med['rollout'] * 1e3:9.2f} ms   {1 / med['rollout']:.1f} rollouts/s")
    print(f"episode       {med['episode'] * 1e3:9.2f} ms   {1 / med['episode']:.2f} episodes/s "
          f"(rollout + Reciprocator and NL-PPO updates, {CFG['epochs']} epochs each)")
    print(f"ratio rollout / (T x env step) = {act_ratio:.2f}   (same-run; cost of acting with 2 policies)")
    print(f"ratio episode / rollout        = {learn_ratio:.2f}   (same-run; cost of learning)")


if __name__ == "__main__":
    main()
