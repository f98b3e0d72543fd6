"""End-of-training values of the multi-agent PPO runs (Harvest, Cleanup, Selfish-MMM2).

Shared by Table 2, Figs. 3 and 6 and the claims: one value per run = the mean of a
per-update column over the run's last ``fraction`` of updates (NaN updates, e.g. those in
which no episode finished or E was undefined, are skipped).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def final_values(frame: pd.DataFrame, column: str, fraction: float, keys=("variant",)) -> pd.DataFrame:
    """One row per (keys..., seed): the mean of ``column`` over the last ``fraction`` of updates."""
    rows = []
    for key, g in frame.groupby(list(keys) + ["seed"], sort=False):
        g = g.sort_values("update")
        k = max(1, int(math.ceil(fraction * len(g))))
        tail = g[column].iloc[-k:]
        rows.append({**dict(zip(list(keys) + ["seed"], key)), column: float(np.nanmean(tail)) if tail.notna().any()
                     else math.nan})
    return pd.DataFrame(rows)
