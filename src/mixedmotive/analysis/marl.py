"""End-of-training values of the multi-agent PPO runs (Harvest, Cleanup, Selfish-MMM2).

Shared by Table 2, Figs. 3 and 6 and the claims: one value per run = the mean of a
per-update column over the run's last ``fraction`` of updates (NaN updates, e.g. those in
which no episode finished or E was undefined, are skipped).  The AgA ablation's runs at a larger
budget become Table 2 / Fig. 3 rows with :func:`as_table2` (docs/decisions.md A16).
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
        rows.append({**dict(zip(list(keys) + ["seed"], key, strict=True)),
                     column: float(np.nanmean(tail)) if tail.notna().any() else math.nan})
    return pd.DataFrame(rows)


def as_table2(frame: pd.DataFrame, game: str, multiplier: int, names: dict) -> pd.DataFrame:
    """The ablation's runs of ``game`` at ``multiplier`` x the default updates as Table 2 / Fig. 3 rows: each
    variant of ``names`` (ablation variant -> Table 2 variant, e.g. ``aga`` -> ``aga_lam100``; a variant
    without a Table 2 counterpart maps to itself) under its Table 2 name; other variants are dropped."""
    if frame.empty or "budget" not in frame:
        return frame.iloc[0:0]
    t = frame[(frame.game == game) & (frame["budget"] == multiplier) & frame.variant.isin(list(names))]
    return t.assign(variant=t.variant.map(names))


def missing_runs(frame: pd.DataFrame, game: str, multiplier: int, variants, n_seeds: int) -> list[str]:
    """``variant/seed<s>`` of every run of ``variants`` x seeds 0..n_seeds-1 of ``game`` at ``multiplier`` that
    ``frame`` (the ablation's rows) lacks."""
    have = set()
    if not frame.empty and "budget" in frame:
        t = frame[(frame.game == game) & (frame["budget"] == multiplier)]
        have = set(zip(t.variant, t.seed.astype(int), strict=True))
    return [f"{v}/seed{s}" for v in variants for s in range(n_seeds) if (v, s) not in have]
