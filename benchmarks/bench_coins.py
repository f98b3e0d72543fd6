#!/usr/bin/env python
"""Throughput of the batched Coins game: env-steps/s (one game advanced by one step = one env-step).

Usage::

    python benchmarks/bench_coins.py                  # batches 1024 and 4096, ~20 s (+ JaxMARL)
    python benchmarks/bench_coins.py --quick          # ~5 s
    python benchmarks/bench_coins.py --batches 256,4096 --threads 1
    python benchmarks/bench_coins.py --paper-speedup 3 --only-paper   # a paper episode vs 6439e09, floors, ~20 min
    python benchmarks/bench_coins.py --refit-inputs   # distinct inputs of paper refit minibatches, ~5 s

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

Without JaxMARL the goal from the issue is checked instead:
>= 4.5M env-steps/s at batch 4096 with 1 thread, observations included.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from mixedmotive.envs.coins import MOVES, CoinGame, channel_order, owner_penalty

from kernel_shares import op_seconds, replayed_dense_seconds, replayed_module_seconds

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
    ratio = {k: statistics.median(c / x for c, x in zip(samples[k], samples["coins"])) for k in timers if k != "coins"}
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


BEFORE = "6439e09"  # the commit whose Coins learners the paper-episode speed-up is measured against


def _module_from_git(name: str, path: str, commit: str, replace: dict[str, str]):
    """Module ``name`` (in package mixedmotive.agents) from ``git show commit:path``, with textual replacements."""
    root = Path(__file__).resolve().parents[1]
    src = subprocess.run(["git", "-C", str(root), "show", f"{commit}:{path}"], check=True, capture_output=True,
                         text=True).stdout
    for a, b in replace.items():
        src = src.replace(a, b)
    spec = importlib.util.spec_from_loader(name, loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "mixedmotive.agents"
    sys.modules[name] = mod
    exec(compile(src, f"{commit}:{path}", "exec"), mod.__dict__)
    return mod


def before_learners():
    """CoinsNL / CoinsReciprocator as of commit BEFORE (their coins_policy.py included)."""
    pol = _module_from_git("mixedmotive.agents._before_coins_policy", "src/mixedmotive/agents/coins_policy.py",
                           BEFORE, {})
    return _module_from_git("mixedmotive.agents._before_coins", "src/mixedmotive/agents/coins.py", BEFORE,
                            {"from .coins_policy import": f"from {pol.__name__} import"})


def episode_count(rc: dict, refit: bool) -> int:
    """An episode count past the initial episodes at which the Reciprocator refits its influence models
    (``refit``) or does not (``CoinsReciprocator.observe``: every ``target_period``-th episode)."""
    period, first = int(rc["target_period"]), int(rc.get("init_episodes", 0))
    if not refit and period == 1:
        raise ValueError("target_period 1: the Reciprocator refits after every episode")
    return next(e for e in range(first, first + 2 * period) if (e % period == 0) == refit)


PIECES = ("rollout", "reciprocator observe", "reciprocator learn", "NL learn")


def paper_episode(mod, refit: bool, device: str = "cpu", pieces: dict | None = None):
    """A timer of one paper-settings Reciprocator vs NL-PPO episode (rollout, observe with or without an
    influence-model refit, both players' 40-epoch PPO updates) built from learner module ``mod``; the set-up
    (seed 0, three rollouts filling the Reciprocator's buffer) is outside the timed region.  With ``pieces``,
    each call appends the process CPU time of each of :data:`PIECES` to ``pieces[name]``: the rollout, the
    Reciprocator's observe (the refit, when due), its learn (values of influence, reciprocal reward and the PPO
    update) and NL-PPO's learn (its PPO update; NL's observe does nothing)."""
    from mixedmotive import config
    from mixedmotive.agents.ppo import ppo_config
    from mixedmotive.experiments import recip_coins

    cfg = config.load(scale="paper")["recip_coins"]
    p = cfg["ppo"]
    torch.manual_seed(0)
    gen = torch.Generator(device=device).manual_seed(0)
    env = CoinGame(cfg["batch"], T=cfg["T"], device=device, generator=gen)
    recip = mod.CoinsReciprocator(0, ppo_config(p), cfg["reciprocator"], cfg["T"], cfg["grid"], p["channels"],
                                  p["latent"], device)
    nl = mod.CoinsNL(1, ppo_config(p), 4, cfg["grid"], p["channels"], p["latent"], device)
    players = [recip, nl]
    for _ in range(cfg["reciprocator"]["buffer_episodes"]):
        recip.seen = episode_count(cfg["reciprocator"], refit=False)
        recip.observe(recip_coins.rollout(env, players, gen), gen)

    def run():
        recip.seen = episode_count(cfg["reciprocator"], refit)
        marks = [time.process_time()]
        ep = recip_coins.rollout(env, players, gen)
        marks.append(time.process_time())
        recip.observe(ep, gen)
        marks.append(time.process_time())
        recip.learn(ep)
        marks.append(time.process_time())
        nl.observe(ep, gen)
        nl.learn(ep)
        _sync(device)
        marks.append(time.process_time())
        if pieces is not None:
            for name, a, b in zip(PIECES, marks, marks[1:]):
                pieces.setdefault(name, []).append(b - a)
        return marks[-1] - marks[0]
    run.reciprocator = recip  # its buffer holds the set-up's episodes
    return run


def floor_lines(before: float, now: float, floor: float, what: str = "dense kernels",
                kept: str = "these kernels and products") -> list[str]:
    """The bound of a paper episode from ``floor``, the seconds of work a rewrite keeps (``what``: by default its
    dense kernels): the most such a rewrite could gain over today and over BEFORE, and the share of today's other
    time 2x over BEFORE needs gone."""
    lines = [f"  {what} {floor:.1f} s of today's {now:.1f} s: at most x{now / floor:.2f} "
             f"faster than today, x{before / floor:.2f} than {BEFORE}, with {kept}"]
    goal = before / 2
    if goal <= floor:
        lines.append(f"  2x over {BEFORE} ({goal:.1f} s) is below the {what} alone: out of reach with {kept}")
    else:
        lines.append(f"  2x over {BEFORE} ({goal:.1f} s) needs {(now - goal) / (now - floor):.0%} of today's "
                     f"{now - floor:.1f} s outside the {what} removed")
    return lines


def influence_macs(models) -> dict[str, int]:
    """Multiply-accumulates per sample of the influence models' forward products, by part: ``value`` (the value
    network, its circular convolutions as the dense matrices they are applied as) and ``others`` (the reward and
    transition models and their counterfactuals)."""
    from mixedmotive.agents.coins_policy import TorusConv

    def macs(module) -> int:
        total = 0
        for m in module.modules():
            if isinstance(m, torch.nn.Linear):
                total += m.weight.numel()
            elif isinstance(m, TorusConv):
                total += m.conv.weight.shape[0] * m.conv.weight.shape[1] * (m.grid * m.grid) ** 2
        return total
    value = macs(models.value)
    return {"value": value, "others": macs(models) - value}


def refit_inputs(device: str = "cpu", draws: int = 3) -> None:
    """How many of a paper refit minibatch's samples are distinct, per input of the influence models (the buffer
    after the paper set-up of :func:`paper_episode`), and what the value network's share of the products is: the
    most that evaluating each model on distinct inputs only could save of the refit's products."""
    from mixedmotive.agents import coins as now

    torch.set_num_threads(1)
    recip = paper_episode(now, refit=True, device=device).reciprocator
    states, actions, t = (torch.cat(parts) for parts in list(zip(*recip.buffer))[:3])
    gen = torch.Generator(device=device).manual_seed(0)
    m = recip.refit_batch
    cells = recip.models.cells
    distinct = {"states (value network)": [], "(state, actions, t) (reward and transition models)": []}
    for _ in range(draws):
        idx = torch.randperm(states.shape[0], generator=gen, device=device)[:m]
        s = states[idx] @ (cells ** torch.arange(states.shape[1] - 1, -1, -1, device=device))
        a = actions[idx] @ (5 ** torch.arange(actions.shape[1] - 1, -1, -1, device=device))
        distinct["states (value network)"].append(s.unique().numel())
        distinct["(state, actions, t) (reward and transition models)"].append(((s * 25 + a) * recip.models.T + t[idx])
                                                                             .unique().numel())
    macs = influence_macs(recip.models)
    share = macs["value"] / (macs["value"] + macs["others"])
    print(f"paper refit minibatches of {m} samples from a {states.shape[0]}-sample buffer ({draws} draws):")
    for name, counts in distinct.items():
        print(f"  distinct {name}: {min(counts)}-{max(counts)}")
    least = min(distinct["states (value network)"])
    print(f"  products per sample: value network {macs['value']:,} MAC, reward and transition models "
          f"{macs['others']:,} ({share:.0%} value network): the value network on distinct states only would cut at "
          f"most {share * (1 - least / m):.0%} of the refit's multiply-accumulates")


def paper_speedup(repeats: int, device: str = "cpu") -> None:
    """Same-run ratios (medians) of process CPU time: one paper episode with the learners of BEFORE / now; where
    today's time goes (pieces, unprofiled; shares of one profiled episode) and two bounds: from the dense kernels'
    seconds, replayed at their best speed (:func:`kernel_shares.replayed_dense_seconds`), and from the seconds of
    the episode's ``nn.GRU`` calls replayed alone (:func:`kernel_shares.replayed_module_seconds`)."""
    from mixedmotive.agents import coins as now
    torch.set_num_threads(1)
    old = before_learners()
    for refit in (False, True):
        pieces = {}
        timers = {"before": paper_episode(old, refit, device), "now": paper_episode(now, refit, device, pieces)}
        samples = {k: [] for k in timers}
        for r in range(repeats):
            for k in (("before", "now") if r % 2 == 0 else ("now", "before")):
                samples[k].append(timers[k]())
        ratio = statistics.median(b / n for b, n in zip(samples["before"], samples["now"]))
        t_before, t_now = statistics.median(samples["before"]), statistics.median(samples["now"])
        print(f"paper Coins episode (reciprocator vs NL, batch 1024, 2 x 40 PPO epochs, 1 thread, "
              f"{'with' if refit else 'no'} refit): before ({BEFORE}) {t_before:.1f} s, now {t_now:.1f} s CPU, "
              f"same-run speed-up x{ratio:.2f} (median of {repeats})", flush=True)
        print("  now, by piece (medians): " + ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in pieces.items()))
        dense, other, profiled = op_seconds(timers["now"])
        print(f"  now, one episode profiled ({profiled:.1f} s): dense kernels {dense / profiled:.1%}, other ATen ops "
              f"{other / profiled:.1%}, the rest (Python, dispatch, autograd engine) "
              f"{1 - (dense + other) / profiled:.1%}")
        replayed, in_episode = replayed_dense_seconds(timers["now"])
        print(f"  its dense kernels at their best measured speed (each the faster of its replay alone and its time "
              f"in the episode): {replayed:.2f} s (all as in the episode: {in_episode:.2f} s)")
        print("\n".join(floor_lines(t_before, t_now, replayed)), flush=True)
        gru, calls, gru_dense = replayed_module_seconds(timers["now"], torch.nn.GRU)
        print(f"  its {calls} nn.GRU calls replayed alone (forward, and one backward for each under autograd): "
              f"{gru:.2f} s, of which dense kernels {gru_dense:.2f} s")
        keep = "nn.GRU (bench_gru.py: no rewrite beat it)"
        print("\n".join(floor_lines(t_before, t_now, gru, "nn.GRU passes", keep)), flush=True)
        both = replayed - gru_dense + gru
        print("\n".join(floor_lines(t_before, t_now, both, "nn.GRU passes and the dense kernels outside them",
                                     keep + " and the other products")), flush=True)


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
    ap.add_argument("--paper-speedup", type=int, default=0, metavar="R",
                    help=f"time R interleaved paper Reciprocator-vs-NL episodes against the learners of {BEFORE} "
                         "(no refit and with refit) and print the same-run speed-ups; with --only-paper nothing else")
    ap.add_argument("--only-paper", action="store_true", help="only the --paper-speedup timing")
    ap.add_argument("--refit-inputs", action="store_true",
                    help="print the distinct inputs of paper refit minibatches (~5 s) and nothing else")
    args = ap.parse_args(argv)
    if args.refit_inputs:
        refit_inputs(args.device)
        return
    if args.paper_speedup:
        paper_speedup(args.paper_speedup, args.device)
        if args.only_paper:
            return
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
