#!/usr/bin/env python
"""Investigation: one paper-settings Coins episode (Reciprocator vs NL-PPO) against the learners of 6439e09, where
its time goes, and the floors its dense kernels and its ``nn.GRU`` passes set (decision C12).

Usage::

    python benchmarks/investigations/coins_paper_episode.py --repeats 3   # ~20 min, one thread
    python benchmarks/investigations/coins_paper_episode.py --refit-inputs  # distinct inputs of refit minibatches, ~5 s

The learners of commit 6439e09 (before the Coins speed-up) are loaded with ``git show`` into temporary modules, so
this needs the repository's git history.  Episodes are timed in interleaved pairs (process CPU time, medians,
same-run ratios), without and with an influence-model refit.  For today's learners it prints the time by piece, the
shares of one profiled episode (:func:`kernel_shares.op_seconds`), and three floors: the episode's dense kernels
replayed at their best speed, its ``nn.GRU`` calls replayed alone, and both together
(:func:`kernel_shares.replayed_dense_seconds`, :func:`kernel_shares.replayed_module_seconds`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

from mixedmotive.envs.coins import CoinGame

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_shares import op_seconds, replayed_dense_seconds, replayed_module_seconds  # noqa: E402
from old_commit import module_from_git  # noqa: E402


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


BEFORE = "6439e09"  # the commit whose Coins learners the paper-episode speed-up is measured against


def before_learners():
    """CoinsNL / CoinsReciprocator as of commit BEFORE (their coins_policy.py included)."""
    pol = module_from_git("mixedmotive.agents._before_coins_policy", "src/mixedmotive/agents/coins_policy.py",
                           BEFORE, {})
    return module_from_git("mixedmotive.agents._before_coins", "src/mixedmotive/agents/coins.py", BEFORE,
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
            for name, a, b in zip(PIECES, marks, marks[1:], strict=False):
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
    states, actions, t = (torch.cat(parts) for parts in list(zip(*recip.buffer, strict=True))[:3])
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
        ratio = statistics.median(b / n for b, n in zip(samples["before"], samples["now"], strict=True))
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
    ap.add_argument("--repeats", type=int, default=3, metavar="R",
                    help=f"R interleaved paper episodes with the learners of {BEFORE} and today's, per refit setting")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--refit-inputs", action="store_true",
                    help="print the distinct inputs of paper refit minibatches (~5 s) and nothing else")
    args = ap.parse_args(argv)
    if args.refit_inputs:
        refit_inputs(args.device)
        return
    paper_speedup(args.repeats, args.device)


if __name__ == "__main__":
    main()
