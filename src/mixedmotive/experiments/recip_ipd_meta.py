"""Meta-training of the IPD-Analytic opponent-shaping baselines (M-MAML, MFOS).

Its outputs are intermediate files the round robin loads: a raw result (the
meta-training curve) plus a torch artifact with the trained parameters.
"""

from __future__ import annotations

import pandas as pd
import torch

from ..agents import ipd_meta

TRAINERS = {"mmaml": ipd_meta.meta_train_mmaml, "mfos": ipd_meta.meta_train_mfos}


def run(cfg: dict, method: str, seed: int, device: str = "cpu"):
    if method not in TRAINERS:
        raise ValueError(f"unknown meta-trained agent {method!r}; expected one of {', '.join(TRAINERS)}")
    result = TRAINERS[method](cfg[method], seed)
    curve = torch.as_tensor(result["curve"], dtype=torch.float64).reshape(-1)
    frame = pd.DataFrame({"episode": range(len(curve)), "objective": curve.numpy(), "agent": method,
                          "seed": seed})
    return frame, {k: v for k, v in result.items() if k != "curve"}
