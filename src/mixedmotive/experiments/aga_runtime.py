"""AgA Table 3: wall-clock cost of each method on the public goods game.

All methods are timed in one process, one after the other, on the same machine,
so their ratios are comparable.  Each method's 50-run batch is run ``repeats``
times after one warm-up; the median repeat is reported.
"""

from __future__ import annotations

import statistics
import time

import pandas as pd
import torch

from ..results import device_name
from ..threads import torch_threads
from .aga_public_goods import simulate


def run(cfg: dict, method: str | None, seed: int, device: str = "cpu") -> pd.DataFrame:
    with torch_threads(1):  # timings must not depend on what else runs on the machine
        return _time_methods(cfg, seed, device)


def _time_methods(cfg: dict, seed: int, device: str) -> pd.DataFrame:
    pgg = cfg["public_goods"]
    rows = []
    for m in cfg["methods"]:
        simulate(pgg, m, seed, device)  # warm-up
        durations, executed, converge = [], 0, None
        for _ in range(cfg["repeats"]):
            t0 = time.perf_counter()
            _, log = simulate(pgg, m, seed, device)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            durations.append(time.perf_counter() - t0)
            executed = len(log.params) - 1
            steps = log.steps_to_converge.clone().double()
            steps[steps < 0] = pgg["max_steps"]
            converge = steps.mean().item()
        duration = statistics.median(durations)
        rows.append({
            "method": m, "duration_s": duration, "steps_executed": executed,
            "steps_to_converge": converge, "step_time_ms": 1000 * duration / max(executed, 1),
            "runs_per_batch": pgg["runs"], "repeats": cfg["repeats"], "device": device_name(device),
        })
    out = pd.DataFrame(rows)
    base = out.loc[out.method == "simul_ind", "step_time_ms"]
    out["ratio_to_simul_ind"] = out["step_time_ms"] / (base.iloc[0] if len(base) else float("nan"))
    out["seed"] = seed
    return out
