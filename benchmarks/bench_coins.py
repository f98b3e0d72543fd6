#!/usr/bin/env python
"""Throughput of the batched Coins game: env-steps/s (one game advanced by one step = one env-step).

Usage::

    python benchmarks/bench_coins.py                  # batches 1024 and 4096, ~20 s (+ JaxMARL)
    python benchmarks/bench_coins.py --quick          # ~5 s
    python benchmarks/bench_coins.py --batches 256,4096 --threads 1

Timed pieces, interleaved within each repeat so a slowly drifting background load
cancels out of the same-run ratios (medians over repeats), per batch and thread count:

* ``coins``      ``CoinGame.step`` (N = 2, 3 x 3, observations included) on pre-drawn
                 random actions; drawing the actions is outside the timed region;
* ``reference``  the same rules written plainly in this file (``PlainCoins``: row/column
                 move arithmetic, broadcast comparison, ``F.one_hot`` observations), the
                 same actions; ratio coins / reference from the same repeat;
* ``jaxmarl``    when ``jaxmarl`` is importable: JaxMARL's ``coin_game`` ``step`` (with its
                 auto-reset and statistics; int8 flat observations), vmapped over the batch
                 and jit-compiled, compile time excluded, timed two ways: ``jaxmarl-scan``
                 (all steps inside one jitted ``lax.scan``, JAX's best case) and
                 ``jaxmarl-call`` (one jitted call per step, like the torch loop).  XLA uses
                 its own CPU threads (``torch.set_num_threads`` does not limit it), so it is
                 timed only in the first thread setting.

Without JaxMARL a throughput goal is checked instead:
>= 4.5M env-steps/s at batch 4096 with 1 thread, observations included.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from mixedmotive.envs.coins import MOVES, CoinGame, channel_order, owner_penalty

GOAL = 4.5e6  # env-steps/s at batch 4096, 1 thread


class PlainCoins:
    """The Coins rules written plainly (the straightforward batched reference)."""

    def __init__(self, batch, n_agents=2, grid=3, device="cpu", generator=None):
        self.b, self.n, self.g, self.gen, self.dev = batch, n_agents, grid, generator, device
        self.order = torch.tensor(channel_order(n_agents), device=device)
        self.moves = torch.tensor(MOVES, device=device)
        self.other = ~torch.eye(n_agents, dtype=torch.bool, device=device)

    def observe(self):
        glob = torch.nn.functional.one_hot(torch.cat([self.agents, self.coins], 1), self.g ** 2).float()
        return glob[:, self.order].view(self.b, self.n, 2 * self.n, self.g, self.g)

    def reset(self):
        cells = torch.randint(self.g ** 2, (self.b, 2 * self.n), generator=self.gen, device=self.dev)
        self.agents, self.coins = cells[:, :self.n], cells[:, self.n:]
        return self.observe()

    def step(self, actions):
        if bool(((actions < 0) | (actions >= len(MOVES))).any()):
            raise ValueError("bad action")
        d = self.moves[actions]
        row, col = self.agents // self.g, self.agents % self.g
        self.agents = (row + d[..., 0]) % self.g * self.g + (col + d[..., 1]) % self.g
        collected = self.agents[:, :, None] == self.coins[:, None, :]
        hits = collected.float()
        rewards = hits.sum(2) - owner_penalty(self.n) * (hits * self.other).sum(1)
        draws = torch.randint(self.g ** 2, (self.b, self.n), generator=self.gen, device=self.dev)
        self.coins = torch.where(collected.any(1), draws, self.coins)
        return self.observe(), rewards, False, {"collected": collected}


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def torch_timer(env, actions, device):
    def run():
        env.reset()
        _sync(device)
        t = time.perf_counter()
        for a in actions:
            env.step(a)
        _sync(device)
        return (time.perf_counter() - t) / len(actions)
    return run


def jaxmarl_timers(batch, steps, seed=0):
    """(scan timer, per-call timer) for JaxMARL's coin_game, or None without jaxmarl."""
    try:
        import jax
        import jaxmarl
    except ImportError:
        return None
    env = jaxmarl.make("coin_game", num_inner_steps=32, num_outer_steps=1)  # episodes of 32, auto-reset
    names = env.agents
    key = jax.random.PRNGKey(seed)
    k_reset, k_act = jax.random.split(key)
    _, state = jax.vmap(env.reset)(jax.random.split(k_reset, batch))
    acts = jax.random.randint(k_act, (steps, len(names), batch), 0, 5)  # drawn outside the timed region
    vstep = jax.vmap(env.step, in_axes=(0, 0, 0))

    def one(carry, a):
        k, st = carry
        k, sub = jax.random.split(k)
        obs, st, rew, dones, _ = vstep(jax.random.split(sub, batch), st, {n: a[i] for i, n in enumerate(names)})
        return (k, st), rew[names[0]].sum()

    scan = jax.jit(lambda k, st, a: jax.lax.scan(one, (k, st), a))
    call = jax.jit(lambda k, st, a: one((k, st), a))
    jax.block_until_ready(scan(key, state, acts))  # compile
    jax.block_until_ready(call(key, state, acts[0]))

    def t_scan():
        t = time.perf_counter()
        jax.block_until_ready(scan(key, state, acts))
        return (time.perf_counter() - t) / steps

    def t_call():
        carry = (key, state)
        t = time.perf_counter()
        for a in acts:
            carry, out = call(*carry, a)
        jax.block_until_ready((carry, out))
        return (time.perf_counter() - t) / steps

    return t_scan, t_call, jax.__version__, jaxmarl.__version__ if hasattr(jaxmarl, "__version__") else "?"


def measure(batch, threads, args, jax_too):
    torch.set_num_threads(threads)
    dev = args.device
    gen = torch.Generator(device=dev).manual_seed(0)
    actions = torch.randint(0, 5, (args.steps, batch, 2), generator=gen, device=dev)  # outside the timed region
    timers = {
        "coins": torch_timer(CoinGame(batch, T=10**9, device=dev, generator=gen), actions, dev),
        "reference": torch_timer(PlainCoins(batch, device=dev, generator=gen), actions, dev),
    }
    if jax_too:
        jt = jaxmarl_timers(batch, args.steps)
        if jt is not None:
            timers["jaxmarl-scan"], timers["jaxmarl-call"] = jt[0], jt[1]
            args.jax_versions = jt[2:]
    for f in timers.values():  # warm-up (allocator, lazy init)
        f()
    samples = {k: [] for k in timers}
    names = list(timers)
    for r in range(args.repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(timers[name]())
    rate = {k: batch / statistics.median(v) for k, v in samples.items()}
    ratio = {k: statistics.median(c / x for c, x in zip(samples[k], samples["coins"], strict=True))
             for k in timers if k != "coins"}
    return rate, ratio


def training_episode(batch: int, device: str, torus: bool) -> float:
    """Wall time of one NL-PPO vs NL-PPO training episode (rollout + both PPO updates), Coins PPO settings of
    the config's ``paper`` scale (40 epochs); ``torus=False`` swaps in ``nn.Conv2d(padding_mode="circular")``."""
    from mixedmotive import config
    from mixedmotive.agents.coins_policy import TorusConv
    from mixedmotive.experiments import recip_coins

    cfg = config.load(scale="paper")["recip_coins"]
    cfg = {**cfg, "batch": batch}
    torch.manual_seed(0)
    gen = torch.Generator(device=device).manual_seed(0)
    env = CoinGame(batch, T=cfg["T"], device=device, generator=gen)
    players = [recip_coins.make_player("nl", i, cfg, device) for i in range(2)]
    if not torus:  # same parameters, applied by the library convolution
        for p in players:
            for m in p.policy.modules():
                if isinstance(m, TorusConv):
                    m.forward = m.conv.forward
    t = time.perf_counter()
    ep = recip_coins.rollout(env, players, gen)
    for p in players:
        p.learn(ep)
    _sync(device)
    return time.perf_counter() - t


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="1024,4096")
    ap.add_argument("--threads", default="1,all", help="comma list of thread counts; 'all' = every core")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=320, help="env steps per timed sample")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-jax", dest="jax", action="store_false", help="skip JaxMARL even if importable")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-train", dest="train", action="store_false", help="skip the training-episode timing")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.steps = 3, 64
    all_threads = os.cpu_count() or 1
    thread_list = sorted({all_threads if t == "all" else int(t) for t in args.threads.split(",")})
    batches = [int(b) for b in args.batches.split(",")]
    print(f"Coins N=2 3x3, device {args.device}, repeats {args.repeats}, {args.steps} steps per sample; "
          f"random actions pre-drawn outside the timed region; observations included")
    results = {}
    for threads in thread_list:
        for batch in batches:
            # JaxMARL ignores torch's thread count: timed once, in the first thread setting
            rate, ratio = measure(batch, threads, args, jax_too=args.jax and threads == thread_list[0])
            results[threads, batch] = rate
            line = (f"threads {threads:2d} batch {batch:5d}  coins {rate['coins'] / 1e6:7.2f}M env-steps/s   "
                    f"reference {rate['reference'] / 1e6:6.2f}M  (coins x{ratio['reference']:.2f} faster)")
            for k in ("jaxmarl-scan", "jaxmarl-call"):
                if k in rate:
                    line += f"   {k} {rate[k] / 1e6:6.2f}M (coins x{ratio[k]:.2f})"
            print(line)
    if getattr(args, "jax_versions", None):
        print(f"JaxMARL {args.jax_versions[1]} on jax {args.jax_versions[0]}: 'coins xR' = JaxMARL time / coins "
              f"time in the same repeat (R > 1: coins faster); XLA picks its own CPU threads")
    elif args.jax:
        print("jaxmarl not importable: JaxMARL comparison skipped")
    if args.train:
        torch.set_num_threads(1)
        t_torus = training_episode(1024, args.device, torus=True)
        t_conv = training_episode(1024, args.device, torus=False)
        print(f"one PPO+GRU training episode (NL vs NL, batch 1024, T 32, 2 x 40 PPO epochs, 1 thread): "
              f"{t_torus:.1f} s; with nn.Conv2d(circular) instead of TorusConv {t_conv:.1f} s "
              f"(x{t_conv / t_torus:.2f})")
    if (1, 4096) in results:
        r = results[1, 4096]["coins"]
        print(f"goal >= {GOAL / 1e6:.1f}M env-steps/s at batch 4096, 1 thread: {r / 1e6:.2f}M -> "
              f"{'MET' if r >= GOAL else 'NOT MET'}")


if __name__ == "__main__":
    main()
