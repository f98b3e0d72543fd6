#!/usr/bin/env python
"""Cost of ``mixedmotive.gradients.direction`` per method, relative to Simul-Ind.

Usage::

    python benchmarks/bench_gradients.py            # ~1.5 min
    python benchmarks/bench_gradients.py --quick    # ~20 s
    python benchmarks/bench_gradients.py --breakdown            # + where AgA's time goes
    python benchmarks/bench_gradients.py --alt /tmp/engine.py   # + an alternative engine

Every timed call builds the losses with a fresh forward pass and then calls
``direction(method, losses, params, ...)``, so a call is "one optimisation step's
gradient work".  ``forward`` times the forward pass alone.  All calls run on one
CPU thread.  Methods are interleaved within each repeat (the order rotates from
repeat to repeat) and every ratio is the median over repeats of
``t(method) / t(simul_ind)`` taken from the *same* repeat, so a background load
that drifts slowly cancels out of the ratios (absolute ms do not).

Games
-----
* ``diffgame``          AgA Fig. 1 two-player game, scalar a1, a2 (one game);
* ``diffgame[B=1024]``  the same game, 1024 independent games (``batched=True``);
* ``mlp``               two players, each owning an MLP 64-256-128-1 (tanh);
                        y = f1(x) + f2(x) on a fixed batch x (256 x 64),
                        l1 = mean((y - t1)^2), l2 = mean((y - t2)^2) + 0.1 mean(f2(x)^2).

The goal is AgA <= 2.0x Simul-Ind; PASS/FAIL is printed per game.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from mixedmotive.games import diffgame
from mixedmotive.gradients import METHODS, direction

GOAL = 2.0  # AgA <= GOAL x Simul-Ind
BASELINE = "simul_ind"


# --------------------------------------------------------------------------- games


@dataclass
class Case:
    name: str
    forward: Callable[[], list[torch.Tensor]]  # builds the players' losses (fresh graph)
    params: list  # one tensor or list of tensors per player
    batched: bool
    n_params: int
    note: str = ""


def diffgame_case(batched: bool, dtype=torch.float32, n_games: int = 1024) -> Case:
    gen = torch.Generator().manual_seed(0)
    shape = (n_games,) if batched else ()
    a1 = (4 * torch.rand(shape, generator=gen, dtype=dtype) - 2).requires_grad_()
    a2 = (4 * torch.rand(shape, generator=gen, dtype=dtype) - 2).requires_grad_()
    name = f"diffgame[B={n_games}]" if batched else "diffgame"
    note = f"{n_games} games x 2 scalar players" if batched else "one game, 2 scalar players"
    return Case(name, lambda: diffgame.losses(a1, a2), [a1, a2], batched, 2 * a1.numel(), note)


def _mlp(sizes, dtype):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        layers.append(nn.Linear(n_in, n_out, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def mlp_case(dtype=torch.float32, sizes=(64, 256, 128, 1), batch: int = 256) -> Case:
    torch.manual_seed(0)
    f1, f2 = _mlp(sizes, dtype), _mlp(sizes, dtype)
    x = torch.randn(batch, sizes[0], dtype=dtype)
    t1 = torch.randn(batch, sizes[-1], dtype=dtype)
    t2 = torch.randn(batch, sizes[-1], dtype=dtype)

    def forward():
        o1, o2 = f1(x), f2(x)
        y = o1 + o2
        l1 = ((y - t1) ** 2).mean()
        l2 = ((y - t2) ** 2).mean() + 0.1 * (o2**2).mean()
        return [l1, l2]

    params = [list(f1.parameters()), list(f2.parameters())]
    n = sum(p.numel() for ps in params for p in ps)
    per = [sum(p.numel() for p in ps) for ps in params]
    arch = "-".join(map(str, sizes))
    note = f"2 x MLP {arch} tanh ({per[0]:,} + {per[1]:,} params), batch {batch}"
    return Case("mlp", forward, params, False, n, note)


def all_cases(dtype=torch.float32) -> list[Case]:
    return [diffgame_case(False, dtype), diffgame_case(True, dtype), mlp_case(dtype)]


# --------------------------------------------------------------------------- calls


def method_kwargs(method: str, case: Case) -> dict:
    kw = {"batched": case.batched}
    if method == "sl":
        kw["sl_self_interest"] = 0.75
    return kw


def make_call(case: Case, method: str, engine=direction) -> Callable[[], object]:
    if method == "forward":
        return case.forward
    kw = method_kwargs(method, case)
    forward, params = case.forward, case.params
    return lambda: engine(method, forward(), params, **kw)


def load_engine(path: str):
    name = f"_bench_alt_engine_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod.direction


# --------------------------------------------------------------------------- timing


#: Clock of the timed blocks.  CPU time of this process (default) is what the calls
#: cost and is far less disturbed by other jobs competing for the cores than wall
#: time; with one torch thread the two agree on an idle machine.
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def _block(fn, inner: int) -> float:
    t0 = clock()
    for _ in range(inner):
        fn()
    return (clock() - t0) / inner


def calibrate_inner(fn, target_s: float) -> int:
    """Calls per timed block so that one block of ``fn`` lasts about ``target_s``."""
    inner = 1
    while True:
        dt = _block(fn, inner) * inner
        if dt >= target_s / 4 or inner >= 1 << 16:
            return max(1, math.ceil(inner * target_s / max(dt, 1e-9)))
        inner *= 4


def time_interleaved(calls: dict[str, Callable], baseline: str, budget_s: float,
                     block_s: float, min_repeats: int = 5, max_repeats: int = 200):
    """Per-call seconds for every repeat, methods interleaved in a rotating order."""
    names = list(calls)
    for fn in calls.values():  # warm-up (allocator, autograd caches, lazy init)
        for _ in range(3):
            fn()
    inner = calibrate_inner(calls[baseline], block_s)
    times = {n: [] for n in names}
    t_start = time.perf_counter()
    r = 0
    while r < max_repeats and (r < min_repeats or time.perf_counter() - t_start < budget_s):
        k = r % len(names)
        order = names[k:] + names[:k]
        if r % 2:
            order = order[::-1]
        gc.collect()
        gc.disable()
        try:
            for n in order:
                times[n].append(_block(calls[n], inner))
        finally:
            gc.enable()
        r += 1
    return times, inner


def summarise(times: dict[str, list[float]], baseline: str) -> dict[str, dict]:
    base = times[baseline]
    out = {}
    for n, ts in times.items():
        ratios = sorted(t / b for t, b in zip(ts, base, strict=True))
        q = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
        out[n] = {"ms": 1e3 * statistics.median(ts), "ratio": statistics.median(ratios),
                  "q1": q[0], "q3": q[2]}
    return out


# --------------------------------------------------------------------------- reporting


def report_case(case: Case, stats: dict[str, dict], repeats: int, inner: int) -> dict:
    print(f"\n== {case.name}: {case.note}; {case.n_params:,} parameters in total")
    print(f"   {repeats} interleaved repeats x {inner} call(s) per block; "
          f"ratio = median over repeats of t/t({BASELINE}) [IQR]")
    print(f"   {'method':<14}{'ms/call':>10}{'x simul_ind':>13}   IQR")
    for n, s in stats.items():
        print(f"   {n:<14}{s['ms']:>10.4f}{s['ratio']:>13.2f}   [{s['q1']:.2f}, {s['q3']:.2f}]")
    res = {}
    fwd = stats.get("forward")
    for n in [m for m in stats if m.startswith("aga")]:
        r = stats[n]["ratio"]
        verdict = "PASS" if r <= GOAL else "FAIL"
        print(f"   {n}/simul_ind = {r:.2f}  (goal <= {GOAL:.1f}): {verdict}")
        res[n] = (r, verdict)
        if fwd is not None:
            ind_extra = 1.0 - fwd["ratio"]  # (t_ind - t_fwd) / t_ind
            if ind_extra > 0.05:
                units = (r - fwd["ratio"]) / ind_extra
                print(f"   {n}: (t_aga - t_fwd) / (t_simul_ind - t_fwd) = {units:.2f}  "
                      f"(forward = {fwd['ratio']:.2f} x simul_ind)")
    return res


# --------------------------------------------------------------------------- AgA breakdown


def aga_pieces(case: Case) -> dict[str, Callable]:
    """Cumulative prefixes of the current engine's AgA, written out with torch.autograd.

    Mirrors ``engine.direction('aga', ...)`` step by step, so differences between
    successive rows are the cost of each step.
    """
    players = [[p] if isinstance(p, torch.Tensor) else list(p) for p in case.params]
    flat = [t for ps in players for t in ps]

    def grad(s, ts, cg=False):
        return torch.autograd.grad(s, ts, retain_graph=True, create_graph=cg, allow_unused=True)

    def fwd():
        return case.forward()

    def xi_c_plain():
        ls = case.forward()
        return grad(sum(ls).sum(), flat)

    def xi_c_graph():
        ls = case.forward()
        return grad(sum(ls).sum(), flat, cg=True)

    def xi_c_graph_xi():
        ls = case.forward()
        xc = grad(sum(ls).sum(), flat, cg=True)
        xi = [grad(loss.sum(), p) for loss, p in zip(ls, players, strict=True)]
        return xc, xi

    def xi_c_graph_xi_hvp():
        ls = case.forward()
        xc = grad(sum(ls).sum(), flat, cg=True)
        xi = [grad(loss.sum(), p) for loss, p in zip(ls, players, strict=True)]
        g = grad(0.5 * sum((v * v).sum() for v in xc), flat)
        return xc, xi, g

    return {
        "forward": fwd,
        "+xi_c": xi_c_plain,
        "+xi_c(graph)": xi_c_graph,
        "+xi": xi_c_graph_xi,
        "+hvp": xi_c_graph_xi_hvp,
        "aga": make_call(case, "aga"),
        BASELINE: make_call(case, BASELINE),
    }


def breakdown(case: Case, budget_s: float, block_s: float) -> None:
    calls = aga_pieces(case)
    times, inner = time_interleaved(calls, BASELINE, budget_s, block_s)
    stats = summarise(times, BASELINE)
    print(f"\n-- AgA breakdown, {case.name} (cumulative; units of simul_ind; "
          f"{len(times[BASELINE])} repeats)")
    labels = {
        "forward": "forward pass",
        "+xi_c": "  + collective grad, plain backward (reference only)",
        "+xi_c(graph)": "  + collective grad with create_graph=True",
        "+xi": "  + individual grads xi (n backward passes)",
        "+hvp": "  + HVP grad of 1/2||xi_c||^2 (double backward)",
        "aga": "  + sign rule and combination = engine 'aga'",
        BASELINE: "simul_ind (reference)",
    }
    prev = None
    for n in ["forward", "+xi_c", "+xi_c(graph)", "+xi", "+hvp", "aga", BASELINE]:
        s = stats[n]
        step = ""
        if n in ("+xi_c(graph)", "+xi", "+hvp", "aga") and prev is not None:
            step = f"  step {s['ratio'] - stats[prev]['ratio']:+.2f}"
        if n in ("forward", "+xi_c(graph)", "+xi", "+hvp", "aga"):
            prev = n
        if n == "+xi_c":
            step = f"  step {s['ratio'] - stats['forward']['ratio']:+.2f}"
        print(f"   {labels[n]:<56}{s['ms']:>9.4f} ms {s['ratio']:>6.2f}x{step}")


# --------------------------------------------------------------------------- main


def check_alt(alt, dtype=torch.float64) -> None:
    """The alternative engine must reproduce the current one (float64, allclose)."""
    for case in all_cases(dtype):
        for m in METHODS:
            a = make_call(case, m)()
            b = make_call(case, m, alt)()
            fa = [t for x in a for t in (x if isinstance(x, list) else [x])]
            fb = [t for x in b for t in (x if isinstance(x, list) else [x])]
            ok = all(torch.allclose(x, y, rtol=1e-10, atol=1e-12) for x, y in zip(fa, fb, strict=True))
            same = all(torch.equal(x, y) for x, y in zip(fa, fb, strict=True))
            maxdiff = max(float((x - y).abs().max()) for x, y in zip(fa, fb, strict=True))
            print(f"   check {case.name:<16}{m:<10} allclose={ok}  bitwise={same}  "
                  f"max|diff|={maxdiff:.1e}")
            if not ok:
                raise SystemExit(f"alternative engine differs on {case.name}/{m}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short run (~20 s)")
    ap.add_argument("--breakdown", action="store_true", help="also time the steps of AgA")
    ap.add_argument("--alt", metavar="PATH", help="a file defining an alternative `direction`; "
                    "its aga is checked against the engine (float64) and timed as 'aga@alt'")
    ap.add_argument("--cases", default="diffgame,diffgame[B=1024],mlp")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                    help="process CPU time (default; robust to other jobs) or wall time")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]

    torch.set_num_threads(args.threads)
    budget, block = (4.0, 0.01) if args.quick else (20.0, 0.03)
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}, "
          f"threads {torch.get_num_threads()}, dtype float32, clock {args.clock}, "
          f"budget {budget:.0f} s per game")

    alt = None
    if args.alt:
        alt = load_engine(args.alt)
        print(f"alternative engine: {args.alt}")
        check_alt(alt)

    wanted = args.cases.split(",")
    verdicts = {}
    t0 = time.perf_counter()
    for case in all_cases():
        if case.name not in wanted:
            continue
        calls = {"forward": make_call(case, "forward")}
        calls.update({m: make_call(case, m) for m in METHODS})
        if alt is not None:
            calls["aga@alt"] = make_call(case, "aga", alt)
            calls["simul_ind@alt"] = make_call(case, "simul_ind", alt)
        times, inner = time_interleaved(calls, BASELINE, budget, block)
        stats = summarise(times, BASELINE)
        verdicts[case.name] = report_case(case, stats, len(times[BASELINE]), inner)
        if args.breakdown:
            breakdown(case, budget / 2, block)

    print(f"\n== summary: AgA cost relative to Simul-Ind (goal <= {GOAL:.1f})")
    for name, res in verdicts.items():
        for n, (r, v) in res.items():
            print(f"   {name:<18}{n:<10}{r:>6.2f}x  {v}")
    print(f"   total benchmark time {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
