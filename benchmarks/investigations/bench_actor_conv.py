#!/usr/bin/env python
"""The paper-settings actor convolution of the MAPPO trainers, five ways (decision A15).

Usage::

    python benchmarks/investigations/bench_actor_conv.py   # Harvest's paper actor, batches 32 and 2048, ~1 min

At the paper settings (``network.actor_channels: 6``) every agent's actor starts with a 3 x 3 convolution of its
egocentric view (Harvest: 5 planes of 15 x 15 -> 6 planes of 13 x 13); ``AgentActors`` runs the N agents' as one
grouped convolution.  Timed here on random views, forward and forward + backward, one thread, process CPU time,
medians of interleaved repeats, with the same-run ratio against today's form:

* ``grouped``     today's: one ``conv2d`` with ``groups=N`` on the contiguous layout (oneDNN);
* ``grouped-cl``  the same on channels-last inputs;
* ``per-agent``   N separate convolutions, stacked;
* ``dense``       one ungrouped convolution with block-diagonal weights (N times the arithmetic);
* ``unfold``      im2col (``F.unfold``) and one batched matrix product;
* ``no-onednn``   today's with oneDNN switched off (ATen's own convolution).

Batch 32 is one rollout step (32 games); 2048 a slice of an update's 32,000 samples.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
import torch.nn.functional as F


def forms(n: int, c: int, h: int, w: int, ch: int, k: int):
    weight = torch.randn(n, ch, c, k, k, requires_grad=True)
    bias = torch.randn(n, ch, requires_grad=True)
    block = torch.zeros(n, 1, n, 1, 1, 1)
    block[range(n), 0, range(n)] = 1

    def grouped(o, channels_last=False):
        x = o.reshape(o.shape[0], n * c, h, w)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return F.conv2d(x, weight.reshape(-1, c, k, k), bias.reshape(-1), groups=n).reshape(o.shape[0], n, -1)

    def per_agent(o):
        return torch.stack([F.conv2d(o[:, i], weight[i], bias[i]) for i in range(n)], 1).reshape(o.shape[0], n, -1)

    def dense(o):
        wd = (weight.unsqueeze(2) * block).reshape(n * ch, n * c, k, k)
        return F.conv2d(o.reshape(o.shape[0], n * c, h, w), wd, bias.reshape(-1)).reshape(o.shape[0], n, -1)

    def unfold(o):
        m = o.shape[0]
        cols = F.unfold(o.reshape(m * n, c, h, w), k).view(m, n, c * k * k, -1).transpose(0, 1)
        y = torch.matmul(weight.reshape(n, 1, ch, c * k * k), cols) + bias.view(n, 1, ch, 1)
        return y.transpose(0, 1).reshape(m, n, -1)

    def no_onednn(o):
        with warnings.catch_warnings():  # the flag's context manager warns about an Intel-GPU setting
            warnings.simplefilter("ignore")
            with torch.backends.mkldnn.flags(enabled=False):
                return grouped(o)

    return {"grouped": grouped, "grouped-cl": lambda o: grouped(o, True), "per-agent": per_agent, "dense": dense,
            "unfold": unfold, "no-onednn": no_onednn}


def timer(f, o, backward: bool):
    def run():
        t0 = time.process_time()
        y = f(o)
        if backward:
            y.sum().backward()
        return time.process_time() - t0
    run()
    return run


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="32,2048")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    n, (c, h, w), ch, k = 5, (5, 15, 15), 6, 3  # Harvest's paper actor (5 agents)
    fs = forms(n, c, h, w, ch, k)
    print(f"actor convolution: {n} agents, views {c} x {h} x {w} -> {ch} x {h - k + 1} x {w - k + 1}, 1 thread, "
          f"CPU time, medians of {args.repeats}")
    for batch in (int(b) for b in args.batches.split(",")):
        o = torch.rand(batch, n, c, h, w)
        ref = fs["grouped"](o)
        for backward in (False, True):
            timers = {name: timer(f, o, backward) for name, f in fs.items()}
            samples = {name: [] for name in fs}
            for r in range(args.repeats):
                names = list(fs)[r % len(fs):] + list(fs)[:r % len(fs)]
                for name in names:
                    samples[name].append(timers[name]())
            base = statistics.median(samples["grouped"])
            for name, f in fs.items():
                err = (f(o) - ref).abs().max().item()
                t = statistics.median(samples[name])
                print(f"  batch {batch:5d} {'forward+backward' if backward else 'forward':>16s} {name:>10s} "
                      f"{t * 1e3:9.2f} ms  x{base / t:5.2f} vs grouped   max |diff| {err:.1e}", flush=True)


if __name__ == "__main__":
    main()
