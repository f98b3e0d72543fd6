"""Reciprocators IPD-Rollout figure (p. 6): reciprocal reward and P(cooperate) over episodes.

One panel per seed.  Left axis: the Reciprocator's mean reciprocal reward per step
(mean w * r_RR) in silver, the raw per-episode value faint and its centred rolling
mean over ``smooth`` episodes (default: the baseline refresh period, which removes
the period-``target_period`` saw-tooth of a stale baseline) solid.  Right axis:
P(cooperate) of the Reciprocator (tab:blue) and of NL-PPO (tab:orange).

Optional cfg keys: ``smooth`` (episodes), ``rr_ylim`` (left-axis limits, the paper's
figure uses [-0.075, 0.15]; default: fitted to the data).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .. import results  # noqa: E402
from .footer import save_pdf  # noqa: E402

RR_COLOUR, RECIP_COLOUR, NL_COLOUR = "silver", "tab:blue", "tab:orange"


def plot(inputs, out, cfg: dict) -> None:
    frame = results.read_many(inputs)
    if frame.empty:
        raise ValueError("no IPD-Rollout results to plot")
    seeds = sorted(frame.seed.unique())
    smooth = int(cfg.get("smooth", cfg.get("target_period", 1)) or 1)
    n = len(seeds)
    cols = min(n, 2)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 3.6 * rows), squeeze=False, constrained_layout=True)
    for k, seed in enumerate(seeds):
        ax = axes.flat[k]
        run = frame[frame.seed == seed].sort_values("episode")
        ep = run.episode.to_numpy()
        rr = run.recip_rr_mean
        ax.plot(ep, rr.to_numpy(), color=RR_COLOUR, lw=0.6, alpha=0.5)
        line_rr, = ax.plot(ep, rr.rolling(smooth, center=True, min_periods=1).mean().to_numpy(), color=RR_COLOUR,
                           lw=1.8, label=f"Reciprocator mean $w\\,r^{{RR}}$ per step ({smooth}-ep. mean)")
        ax.axhline(0.0, color="0.6", lw=0.5, ls=":")
        if cfg.get("rr_ylim") is not None:
            ax.set_ylim(*cfg["rr_ylim"])
        ax.set(xlabel="episode", ylabel="reciprocal reward per step", title=f"seed {seed}")
        right = ax.twinx()
        line_r, = right.plot(ep, run.p_coop_recip.to_numpy(), color=RECIP_COLOUR, lw=1.4, label="Reciprocator P(C)")
        line_n, = right.plot(ep, run.p_coop_nl.to_numpy(), color=NL_COLOUR, lw=1.4, label="NL-PPO P(C)")
        right.set_ylim(0.0, 1.0)
        right.set_ylabel("P(cooperate)")
        if k == 0:
            handles = [line_rr, line_r, line_n]
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    batch, episodes = cfg.get("batch"), cfg.get("episodes")
    fig.suptitle(f"IPD-Rollout: Reciprocator vs NL-PPO (batch {batch}, {episodes} episodes, "
                 f"w = {cfg.get('rr_weight')})", fontsize=10)
    save_pdf(fig, Path(out))
    plt.close(fig)
