#!/usr/bin/env python
"""The Coins learners' recurrent core against the ways we know to write it faster (decision C12).

Usage::

    python benchmarks/investigations/bench_gru.py               # ~20 s, plus torch.compile's first compilation
                                                                #   (~90 s cold)
    python benchmarks/investigations/bench_gru.py --no-compile  # ~10 s
    python benchmarks/investigations/bench_gru.py --repeats 9

At the config's ``paper`` Coins sizes (T steps, the batch, the GRU width ``latent``), one thread, each timed piece
is a forward and backward of the actor's and the critic's GRUs on random inputs that take gradients, as in one PPO
epoch.  Pieces, interleaved within each repeat (medians of process CPU time, ratios from the same repeat):

* ``nn.GRU``     the two ``torch.nn.GRU`` modules the learners use (ATen's own recurrence);
* ``loop``       the same recurrence written as ATen ops, one time step at a time (input projection once, then
                 per step the hidden product and the gates), autograd for the backward;
* ``compiled``   ``loop`` through ``torch.compile`` (TorchInductor generates fused C++ for the gates; needs a C++
                 compiler; the compilation is timed once and left out of the ratio); skipped with ``--no-compile``;
* ``joint``      one ``nn.GRU`` of twice the width on the two inputs side by side: what running the actor's and
                 the critic's recurrences as one block-diagonal GRU costs at least (assembling the block-diagonal
                 weights is not counted).

Before timing, the outputs and input gradients of ``loop`` and ``compiled`` are compared with ``nn.GRU``'s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.nn import functional as F


def gru_loop(x: torch.Tensor, w_ih, w_hh, b_ih, b_hh) -> torch.Tensor:
    """``nn.GRU``'s recurrence (gates r, z, n) from a zero state, (T, B, in) -> (T, B, hidden), one step at a time."""
    gates_in = F.linear(x, w_ih, b_ih)
    h = x.new_zeros(x.shape[1], w_hh.shape[1])
    out = []
    for t in range(x.shape[0]):
        i_r, i_z, i_n = gates_in[t].chunk(3, 1)
        h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h = n + z * (h - n)
        out.append(h)
    return torch.stack(out)


def _params(gru: torch.nn.GRU):
    return gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0


def pieces(T: int, batch: int, width: int, compile_loop: bool) -> tuple[dict, dict]:
    """(timers, checks): a timer per piece (one forward + backward of both GRUs) and, per rewritten piece, the
    largest absolute difference of its outputs and input gradients from ``nn.GRU``'s."""
    torch.manual_seed(0)
    actor, critic = torch.nn.GRU(width, width), torch.nn.GRU(width, width)
    joint = torch.nn.GRU(2 * width, 2 * width)
    xa, xc = (torch.randn(T, batch, width, requires_grad=True) for _ in range(2))
    xj = torch.randn(T, batch, 2 * width, requires_grad=True)

    def library():
        a, _ = actor(xa)
        c, _ = critic(xc)
        (a.sum() + c.sum()).backward()

    def written(fn):
        def run():
            (fn(xa, *_params(actor)).sum() + fn(xc, *_params(critic)).sum()).backward()
        return run

    timers = {"nn.GRU": library, "loop": written(gru_loop)}
    fns = {"loop": gru_loop}
    if compile_loop:
        fns["compiled"] = torch.compile(gru_loop)
        t0 = time.perf_counter()
        written(fns["compiled"])()
        print(f"torch.compile: first forward + backward (compilation) {time.perf_counter() - t0:.0f} s", flush=True)
        timers["compiled"] = written(fns["compiled"])

    def one_joint():
        j, _ = joint(xj)
        j.sum().backward()
    timers["joint"] = one_joint

    checks = {}
    for name, fn in fns.items():
        ref, _ = actor(xa)
        g_ref, = torch.autograd.grad(ref.sum(), xa)
        out = fn(xa, *_params(actor))
        g_out, = torch.autograd.grad(out.sum(), xa)
        checks[name] = max(float((out - ref).detach().abs().max()), float((g_out - g_ref).abs().max()))
    return timers, checks


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-compile", dest="compile", action="store_false", help="skip the torch.compile piece")
    args = ap.parse_args(argv)
    from mixedmotive import config

    cfg = config.load(scale="paper")["recip_coins"]
    T, batch, width = cfg["T"], cfg["batch"], cfg["ppo"]["latent"]
    torch.set_num_threads(1)
    timers, checks = pieces(T, batch, width, args.compile)
    for name, diff in checks.items():
        print(f"{name}: largest difference from nn.GRU (outputs, input gradients) {diff:.1e}")
    names = list(timers)
    samples = {k: [] for k in names}
    for r in range(args.repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            timers[name]()  # warm
            t0 = time.process_time()
            for _ in range(3):
                timers[name]()
            samples[name].append((time.process_time() - t0) / 3)
    print(f"actor + critic GRU forward + backward, T {T}, batch {batch}, width {width}, 1 thread "
          f"(medians of {args.repeats}; ratio = nn.GRU's time / the piece's, same repeat):")
    for name in names:
        ratio = statistics.median(a / b for a, b in zip(samples["nn.GRU"], samples[name], strict=True))
        print(f"  {name:9s} {statistics.median(samples[name]) * 1e3:7.1f} ms   x{ratio:.2f}")


if __name__ == "__main__":
    main()
