"""AgA Table 3: cost of each method on the public goods game, relative to Simul-Ind.

What is timed: one call of :func:`aga_public_goods.simulate`, i.e. one batch of
``runs`` games descended for up to ``max_steps`` steps, per method, on one torch thread.

How (the verdict of AGA-C6 must not depend on what else runs on the machine):

* **clock** -- CPU time of this process (``time.process_time``) on a CPU device: what
  the batch costs, which other processes competing for the cores barely change (wall
  time grows with their load).  On CUDA the clock is wall time after
  ``torch.cuda.synchronize`` (the work happens on the device).  ``clock: auto`` picks
  this; ``cpu`` / ``wall`` force one.
* **interleaving** -- after one warm-up call per method, ``repeats`` rounds each time
  every method once, in round-robin order rotated by one method per round
  (A B C, B C A, C A B, ...), so no method is always timed first or last and a
  load that drifts during the measurement hits every method alike.  The garbage
  collector runs between rounds (on the objects made since the timing began:
  ``gc.freeze``), never inside a timed call.
* **summary** -- per method the median and the quartiles (IQR) over rounds of the
  batch time and of the step time (batch time / steps executed); the ratio to
  Simul-Ind is taken per round (step time of the method / step time of Simul-Ind in
  the *same* round) and its median and quartiles are reported.  The claim is decided
  on the median ratio.

Cost: one warm-up call per method plus ``repeats`` x (one call per method).
"""

from __future__ import annotations

import gc
import time

import numpy as np
import pandas as pd
import torch

from .. import methods
from ..results import device_name
from ..threads import torch_threads
from .aga_public_goods import simulate

BASELINE = methods.INDIVIDUAL
#: The timers: process CPU time and wall time (looked up at call time).
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def clock_name(setting: str, device: str) -> str:
    """The clock ``setting`` (auto / cpu / wall) resolves to on ``device``."""
    if setting == "auto":
        return "wall" if device.startswith("cuda") else "cpu"
    return setting


def rotation(methods: list[str], r: int) -> list[str]:
    """Order of the methods in round ``r``: round-robin, rotated by one method per round."""
    k = r % len(methods)
    return list(methods[k:]) + list(methods[:k])


def run(cfg: dict, method: str | None, seed: int, device: str = "cpu") -> pd.DataFrame:
    with torch_threads(1):  # the games' small tensors: one thread; also keeps timings comparable
        return _time_methods(cfg, seed, device)


def _timed_call(pgg: dict, m: str, seed: int, device: str, clock) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()  # nothing queued from before is timed
    t0 = clock()
    simulate(pgg, m, seed, device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return clock() - t0


def _time_methods(cfg: dict, seed: int, device: str) -> pd.DataFrame:
    pgg, methods, repeats = cfg["public_goods"], list(cfg["methods"]), int(cfg["repeats"])
    which = clock_name(cfg.get("clock", "auto"), device)
    clock = CLOCKS[which]
    durations = {m: [] for m in methods}
    executed, converge = {}, {}
    for m in methods:  # warm-up (lazy init, allocator, autograd caches); also the step counts
        _, log = simulate(pgg, m, seed, device)
        executed[m] = len(log.params) - 1
        steps = log.steps_to_converge.clone().double()
        steps[steps < 0] = pgg["max_steps"]
        converge[m] = steps.mean().item()
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()  # what exists now is never scanned again: the per-round collections stay cheap
    try:
        for r in range(repeats):
            gc.collect()
            gc.disable()  # no collection inside a timed call
            try:
                for m in rotation(methods, r):
                    durations[m].append(_timed_call(pgg, m, seed, device, clock))
            finally:
                if gc_was_enabled:
                    gc.enable()
    finally:
        gc.unfreeze()

    step_ms = {m: 1000 * np.asarray(durations[m]) / max(executed[m], 1) for m in methods}
    rows = []
    for m in methods:
        d_q1, d_med, d_q3 = np.percentile(durations[m], [25, 50, 75])
        s_q1, s_med, s_q3 = np.percentile(step_ms[m], [25, 50, 75])
        if BASELINE in step_ms:
            r_q1, r_med, r_q3 = np.percentile(step_ms[m] / step_ms[BASELINE], [25, 50, 75])
        else:
            r_q1 = r_med = r_q3 = float("nan")
        rows.append({
            "method": m, "duration_s": d_med, "duration_q1_s": d_q1, "duration_q3_s": d_q3,
            "steps_executed": executed[m], "steps_to_converge": converge[m],
            "step_time_ms": s_med, "step_time_q1_ms": s_q1, "step_time_q3_ms": s_q3,
            f"ratio_to_{BASELINE}": r_med, "ratio_q1": r_q1, "ratio_q3": r_q3,
            "runs_per_batch": pgg["runs"], "repeats": repeats, "clock": which,
            "device": device_name(device),
        })
    out = pd.DataFrame(rows)
    out["seed"] = seed
    return out
