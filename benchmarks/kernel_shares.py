"""Where a piece of CPU work spends its time: ATen's dense kernels against everything else (issues 13 and 15).

Used by ``bench_train.py`` and ``bench_coins.py``.  :func:`shares` runs a callable once under ``torch.profiler``
and splits its process CPU time into the self time of

* dense kernels: matrix products and convolutions, forward and backward (Hessian-vector products and the GRU's
  gates run through the same ops);
* every other ATen op: element-wise maths, copies, reductions, indexing;
* the rest: Python, dispatch and the autograd engine (what no ATen op's self time accounts for).

Self times do not overlap.  They are shares, not times: the profiler's own cost per op inflates the many small
ops, so the dense share comes out low, if anything, and a bound ``1 / dense share`` (the most a rewrite that keeps
these kernels at their measured speed could gain) high.
"""

from __future__ import annotations

import time

DENSE_OPS = frozenset({"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::mkldnn_convolution",
                       "aten::convolution_backward", "aten::_slow_conv2d_forward", "aten::_slow_conv2d_backward"})


def shares(work) -> tuple[float, float]:
    """(dense-kernel share, other-ATen share) of the process CPU time of one call of ``work()``, on one thread:
    the profiler times ops by the clock, so with more intra-op threads the process CPU time outgrows them."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    if torch.get_num_threads() != 1:
        raise ValueError("kernel_shares.shares needs torch.set_num_threads(1) (it compares op times with CPU time)")

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.process_time()
        work()
        total = time.process_time() - t0
    dense = other = 0.0
    for event in prof.key_averages():
        if event.key in DENSE_OPS:
            dense += event.self_cpu_time_total
        elif event.key.startswith("aten::"):
            other += event.self_cpu_time_total
    return dense / 1e6 / total, other / 1e6 / total
