"""Where a piece of CPU work spends its time: ATen's dense kernels against everything else.

Used by ``benchmarks/bench_train.py`` and ``coins_paper_episode.py``.  :func:`shares` runs a callable once under
``torch.profiler`` and splits its time (clock time, on one thread) into the self time of

* dense kernels: matrix products and convolutions, forward and backward (Hessian-vector products and the GRU's
  gates run through the same ops);
* every other ATen op: element-wise maths, copies, reductions, indexing;
* the rest: Python, dispatch and the autograd engine (what no ATen op's self time accounts for).

Self times do not overlap.  But the profiler's own cost inflates the profiled run unevenly (on a Coins paper
episode the total by 10-60 %, and with shapes recorded the matrix products came out slower too), so
``1 / dense share`` is no safe bound.  :func:`replayed_dense_seconds` gives one: every dense kernel of the
work at its best measured speed, recorded through a dispatch mode instead of the profiler; the unprofiled time
over it is the most a rewrite that keeps these kernels and these products could gain.

:func:`replayed_module_seconds` gives a second floor for work built on a library module that no rewrite has beaten
(the Coins learners' ``nn.GRU``, see ``bench_gru.py``): every call of the module replayed on its own, forward and,
when it ran under autograd, one backward.
"""

from __future__ import annotations

import time

DENSE_OPS = frozenset({"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::mkldnn_convolution",
                       "aten::convolution_backward", "aten::_slow_conv2d_forward", "aten::_slow_conv2d_backward"})


def op_seconds(work) -> tuple[float, float, float]:
    """(dense-kernel seconds, other-ATen seconds, total seconds) of one call of ``work()`` under the profiler, on
    one thread.  The profiler times ops by the clock, so the total is clock time too: on a quiet machine it equals
    the process CPU time; on a loaded one both stretch alike, so the shares stay below 1 (with the process CPU
    time as the total they did not: a test saw 187 %).  All three are as profiled, so inflated by the profiler
    (see above): no floor; for one, :func:`replayed_dense_seconds`."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    if torch.get_num_threads() != 1:
        raise ValueError("kernel_shares needs torch.set_num_threads(1) (with more intra-op threads op times overlap)")

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        work()
        total = time.perf_counter() - t0
    dense = other = 0.0
    for event in prof.key_averages():
        if event.key in DENSE_OPS:
            dense += event.self_cpu_time_total
        elif event.key.startswith("aten::"):
            other += event.self_cpu_time_total
    return dense / 1e6, other / 1e6, total


def _best_seconds(call, budget: float = 0.02, rounds: int = 3) -> float:
    """The fastest per-call process CPU time of ``call()`` over ``rounds`` rounds of >= ``budget`` seconds."""
    call()
    call()
    t0 = time.process_time()
    call()
    n = max(1, int(budget / max(time.process_time() - t0, 1e-6)))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - t0) / n)
    return best


def _signature(value):
    """A hashable record of one argument: a tensor's (dtype, shape, strides); any other value itself."""
    import torch

    if isinstance(value, torch.Tensor):
        return ("tensor", value.dtype, tuple(value.shape), tuple(value.stride()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_signature(v) for v in value))
    return ("value", repr(value), value)


def _rebuild(sig):
    """An argument like the recorded one: a random tensor with the recorded dtype, shape and strides."""
    import torch

    if sig[0] == "tensor":
        _, dtype, shape, stride = sig
        extent = 1 + sum((n - 1) * st for n, st in zip(shape, stride, strict=True)) if all(shape) else 0
        base = torch.randn(extent) if dtype.is_floating_point else torch.zeros(extent)
        return base.to(dtype).as_strided(shape, stride)  # expanded (stride-0) operands stay expanded
    if sig[0] in ("list", "tuple"):
        items = [_rebuild(v) for v in sig[1]]
        return items if sig[0] == "list" else tuple(items)
    return sig[2]


def replayed_dense_seconds(work) -> tuple[float, float]:
    """(replayed, in-work) seconds of the dense kernels of one call of ``work()``, on one thread.

    A dispatch mode sees every ATen op ``work`` runs, forward and backward; each dense op (:data:`DENSE_OPS`) is
    timed where it runs and recorded with its arguments' dtypes, shapes and strides and its other arguments.  Each
    distinct record is then run again on its own, on fresh random operands of the same layout, and its fastest time,
    counted once per call it had in ``work``, is compared with its time in ``work``: the smaller of the two is
    counted.  That is each kernel at its best measured speed, free of what ran around it (the allocator's state, the
    caches), so ``unprofiled time / replayed`` bounds what a rewrite keeping these kernels and these products could
    gain.  (Unlike ``torch.profiler`` with shapes recorded, it keeps one entry per distinct call, not per call.)"""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    if torch.get_num_threads() != 1:
        raise ValueError("kernel_shares needs torch.set_num_threads(1) (it compares op times with CPU time)")
    records: dict = {}

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func._schema.name not in DENSE_OPS:
                return func(*args, **kwargs)
            t0 = time.process_time()
            out = func(*args, **kwargs)
            spent = time.process_time() - t0
            key = (func, _signature(tuple(args)), _signature(tuple(sorted(kwargs.items()))))
            rec = records.setdefault(key, [0, 0.0])
            rec[0] += 1
            rec[1] += spent
            return out

    with Recorder():
        work()
    replayed = in_work = 0.0
    for (func, arg_sig, kw_sig), (count, spent) in records.items():
        args, kwargs = _rebuild(arg_sig), dict(_rebuild(kw_sig))
        replayed += min(count * _best_seconds(lambda func=func, args=args, kwargs=kwargs: func(*args, **kwargs)), spent)
        in_work += spent
    return replayed, in_work


def _module_record(module, args) -> tuple:
    """The key of one call of ``module``: its type and sizes, its inputs' layouts, whether it ran under autograd
    (then one backward is timed with it) and which inputs took gradients."""
    import torch

    sizes = tuple((k, v) for k, v in sorted(vars(module).items())
                  if not k.startswith("_") and isinstance(v, (bool, int, float, str, type(None))))
    tensors = tuple(a for a in args if isinstance(a, torch.Tensor))
    grad = torch.is_grad_enabled() and any(p.requires_grad for p in module.parameters())
    return (type(module), sizes, tuple(_signature(a) for a in tensors), grad,
            tuple(bool(a.requires_grad) for a in tensors))


def _module_call(module, record):
    """A call replaying ``record`` on ``module`` (a copy of the recorded one) with random inputs of its layouts."""
    import torch

    _, _, arg_sigs, grad, wants_grad = record
    args = [_rebuild(sig).detach().requires_grad_(w) for sig, w in zip(arg_sigs, wants_grad, strict=True)]

    def call():
        with torch.set_grad_enabled(grad):
            out = module(*args)
            out = out[0] if isinstance(out, tuple) else out
            if grad:
                out.sum().backward()
    return call


def replayed_module_seconds(work, module_type) -> tuple[float, int, float]:
    """(seconds, calls, dense seconds): every call ``work()`` makes to a module of ``module_type`` (e.g.
    ``torch.nn.GRU``), replayed on its own at its best measured speed, on one thread.

    Each call is recorded by a global forward hook with the module's sizes, its inputs' dtypes, shapes and strides,
    and whether it ran under autograd; each distinct record is then timed on a copy of the module (as first called)
    with random inputs: the forward, plus one backward of its output when the call ran under autograd (as every
    training forward of a PPO epoch is followed by one), counted once per call.  Any rewrite that keeps the module
    spends at least about this long in it, unless the module runs faster inside the work than alone.  The third
    number is the part of those seconds in dense kernels (:func:`replayed_dense_seconds` of each replay), so
    ``replayed_dense_seconds(work)[0] - dense + seconds`` is a floor of the whole: the dense kernels outside the
    module and the module's calls, each at its best measured speed."""
    import copy

    import torch

    if torch.get_num_threads() != 1:
        raise ValueError("kernel_shares needs torch.set_num_threads(1) (it compares op times with CPU time)")
    counts: dict = {}
    copies: dict = {}

    def hook(module, args, output):
        if isinstance(module, module_type):
            key = _module_record(module, args)
            counts[key] = counts.get(key, 0) + 1
            if key not in copies:
                copies[key] = copy.deepcopy(module)

    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        work()
    finally:
        handle.remove()
    seconds = dense = 0.0
    for rec, n in counts.items():
        call = _module_call(copies[rec], rec)
        seconds += n * _best_seconds(call, budget=0.2, rounds=5)  # a call is long: time several per round
        call()  # warm, so the dense replay below times steady-state calls
        dense += n * replayed_dense_seconds(call)[0]
    return seconds, sum(counts.values()), dense


def shares(work) -> tuple[float, float]:
    """(dense-kernel share, other-ATen share) of the profiled time (clock) of one call of ``work()``
    (:func:`op_seconds`)."""
    dense, other, total = op_seconds(work)
    return dense / total, other / total
