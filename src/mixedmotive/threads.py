"""Pinning torch's intra-op thread count for the duration of a block."""

from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(n: int | None):
    """Temporarily set torch's intra-op threads (None: leave as is); restored on exit.

    The small tensors of the games and the IPD run fastest on one thread (on a shared
    2-core CPU two threads were 2-10x slower), and a fixed count keeps timings comparable
    and float reductions reproducible.
    """
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)
