"""Metrics shared by every experiment: Gini-based equality and confidence intervals."""

from __future__ import annotations

import numpy as np
from scipy import stats


def equality(rewards) -> np.ndarray:
    """Equality E = 1 - sum_i sum_j |r_i - r_j| / (2 N sum_i r_i) along the last axis.

    ``rewards`` has shape (..., N).  E is 1 for equal rewards and falls towards 0
    as one agent takes everything.  It is undefined when sum_i r_i <= 0; those
    entries are NaN (callers report how many, see docs/decisions.md).
    """
    r = np.asarray(rewards, dtype=float)
    n = r.shape[-1]
    total = r.sum(-1)
    gaps = np.abs(r[..., :, None] - r[..., None, :]).sum((-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        e = 1.0 - gaps / (2.0 * n * total)
    return np.where(total > 0, e, np.nan)


def mean_ci95(values) -> tuple[float, float]:
    """Mean and half-width of the two-sided 95% Student-t interval (NaNs dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    if v.size == 1:
        return float(v[0]), float("nan")
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return float(v.mean()), float(half)


def mean_std(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else float("nan")


def mean_sem(values) -> tuple[float, float]:
    """Mean and standard error std(ddof=1)/sqrt(n) (NaNs dropped; SEM NaN for fewer than 2 values)."""
    mean, std = mean_std(values)
    n = int(np.sum(~np.isnan(np.asarray(values, dtype=float))))
    return mean, std / np.sqrt(n) if n > 1 else float("nan")


def fmt_pm(mean: float, half: float, digits: int = 3) -> str:
    if np.isnan(half):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {half:.{digits}f}"
