"""Reciprocators IPD-Rollout figure (p. 6): reciprocal reward and P(cooperate) over episodes.

One panel per seed.  Left axis: the Reciprocator's mean reciprocal reward per step
(mean w * r_RR) in silver, the raw per-episode value faint and its centred rolling
mean over ``smooth`` episodes (default: the baseline refresh period, which removes
the period-``target_period`` saw-tooth of a stale baseline) solid.  Right axis:
P(cooperate) of the Reciprocator (tab:blue) and of NL-PPO (tab:orange).

Optional cfg keys: ``smooth`` (episodes), ``rr_ylim`` (left-axis limits, the paper's
figure uses [-0.075, 0.15]).  By default the left axis is fitted to the run after its first
``SPIKE_FRACTION`` of episodes, between the ``1 - CLIP_QUANTILE`` and ``CLIP_QUANTILE``
quantiles (see :func:`rr_limits`): the reciprocal reward spikes early (to ~0.5 while the
baseline first lags the policies) and an axis fitted to that spike flattens the later
oscillations; the panel then says where the axis is clipped and how far the spike went.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .. import results  # noqa: E402
from ..analysis.recip_claims import oscillation_sensitivity  # noqa: E402
from .footer import save_pdf  # noqa: E402
from .tables import write_table  # noqa: E402

RR_COLOUR, RECIP_COLOUR, NL_COLOUR = "silver", "tab:blue", "tab:orange"
SPIKE_FRACTION = 0.1  # the first 10 % of episodes do not set the left axis
CLIP_QUANTILE = 0.99


def rr_limits(episode, rr) -> tuple[float, float, str]:
    """Left-axis limits fitted to ``rr`` after the first episodes, and a note on what they clip ("" if nothing)."""
    episode, rr = np.asarray(episode), np.asarray(rr, dtype=float)
    finite = np.isfinite(rr)
    if not finite.any():
        return -0.1, 0.1, ""
    early = episode < episode.min() + SPIKE_FRACTION * (episode.max() - episode.min() + 1)
    late = rr[finite & ~early] if (finite & ~early).any() else rr[finite]
    lo, hi = min(0.0, np.quantile(late, 1 - CLIP_QUANTILE)), max(0.0, np.quantile(late, CLIP_QUANTILE))
    pad = 0.08 * ((hi - lo) or 1.0)
    lo, hi = lo - pad, hi + pad
    notes = []
    top = int(np.nanargmax(rr))
    if rr[top] > hi:
        what = "early spike" if early[top] else "maximum"
        notes.append(f"axis clipped at {hi:.3g}; {what} to {rr[top]:.3g} not shown")
    if np.nanmin(rr) < lo:
        notes.append(f"lower limit {lo:.3g}; minimum {np.nanmin(rr):.3g} not shown")
    return lo, hi, "; ".join(notes)


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
        lo, hi, note = (*cfg["rr_ylim"], "") if cfg.get("rr_ylim") is not None else rr_limits(ep, rr)
        ax.set_ylim(lo, hi)
        ax.set(xlabel="episode", ylabel="reciprocal reward per step")
        ax.set_title(f"seed {seed}", loc="left")
        ax.set_title(note, loc="right", fontsize=7, color="0.3")
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


def sensitivity(inputs, out, cfg: dict) -> None:
    """Diagnostic table: RECIP-C3's oscillation statistic over smoothing windows and swing amplitudes."""
    frame = results.read_many(inputs)
    table = oscillation_sensitivity(frame, cfg["rollout_sensitivity_windows"], cfg["rollout_sensitivity_amplitudes"],
                                    cfg["min_swings"])
    registered = (table.window == cfg["smooth_episodes"]) & (table.amplitude == cfg["swing_amplitude"])
    table.insert(0, "setting", np.where(registered, "pre-registered (claim)", "diagnostic"))
    table["majority"] = np.where(table.majority, "yes", "no")
    write_table(table.rename(columns={"window": "window (episodes)", "amplitude": "swing ≥",
                                      "seeds_oscillating": f"seeds with ≥ {cfg['min_swings']} swings (both)",
                                      "swings_recip": "Reciprocator swings per seed",
                                      "swings_nl": "NL-PPO swings per seed", "majority": "majority of seeds"}),
                Path(out), title="IPD-Rollout: oscillation of P(cooperate) across smoothing windows and swing "
                                 "amplitudes (diagnostic for claim RECIP-C3)",
                note="A swing is a rise or fall of the moving mean of P(cooperate) by at least the amplitude between "
                     "alternating extremes; the claim needs both agents to swing at least min_swings times in a "
                     "majority of seeds. Only the pre-registered row decides the claim.")
