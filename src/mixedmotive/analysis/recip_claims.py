"""Reciprocators claims testable in the IPD (docs/papers.md; claims C2 and C3)."""

from __future__ import annotations

import pandas as pd

from .claims import Verdict, claim
from .ipd_round_robin import LABELS, round_robin_means

PAPER = "Reciprocators"


@claim("RECIP-C2a", PAPER, "IPD-Analytic round robin (p. 6)",
       "The Reciprocator's round-robin performance is comparable to the baselines': no other agent's row "
       "dominates the Reciprocator's row.", ("recip_ipd_analytic",))
def reciprocator_not_dominated(frames, cfg):
    agents = list(dict.fromkeys(list(frames["recip_ipd_analytic"].agent_1)
                                + list(frames["recip_ipd_analytic"].agent_2)))
    m = round_robin_means(frames["recip_ipd_analytic"], agents)
    margin = cfg["dominance_margin"]
    dominating = [a for a in agents if a != "reciprocator"
                  and (m.loc[a] > m.loc["reciprocator"] + margin).all()]
    return Verdict(
        statistic="Reciprocator row: " + ", ".join(f"vs {LABELS[c]}={m.loc['reciprocator', c]:.3f}" for c in agents),
        threshold=f"no row exceeds it by > {margin} in every column",
        reproduced=not dominating,
        detail=("dominated by " + ", ".join(LABELS[a] for a in dominating)) if dominating else "",
        key=f"{len(dominating)} dominate",
    )


@claim("RECIP-C2b", PAPER, "IPD-Analytic round robin (p. 6)",
       "An NL facing a Reciprocator gets a higher reward (more cooperation) than an NL facing another NL.",
       ("recip_ipd_analytic",))
def nl_better_vs_reciprocator(frames, cfg):
    m = round_robin_means(frames["recip_ipd_analytic"], ["nl", "reciprocator"])
    vs_recip, vs_nl = m.loc["nl", "reciprocator"], m.loc["nl", "nl"]
    margin = cfg["reward_margin"]
    return Verdict(
        statistic=f"NL's reward per step: vs Reciprocator={vs_recip:.3f}, vs NL={vs_nl:.3f}",
        threshold=f"vs Reciprocator > vs NL + {margin}",
        reproduced=bool(vs_recip > vs_nl + margin), key=f"{vs_recip - vs_nl:+.3f}",
    )


def swings(series, amplitude: float) -> int:
    """Number of moves of at least ``amplitude`` between alternating extremes (zig-zag count).

    A monotone rise counts 1, rise-then-fall 2, an up-down-up oscillation 3.
    """
    count, direction, extreme = 0, 0, series[0]
    for v in series[1:]:
        if direction == 0:
            if abs(v - extreme) >= amplitude:
                direction, extreme, count = (1 if v > extreme else -1), v, count + 1
        elif direction * (v - extreme) > 0:  # continuing in the same direction
            extreme = v
        elif abs(v - extreme) >= amplitude:  # a reversal of at least the amplitude
            direction, extreme, count = -direction, v, count + 1
    return count


def swing_counts(frame: pd.DataFrame, window: int, amplitude: float) -> dict[int, tuple[int, int]]:
    """Per seed: swings of the moving mean (``window`` episodes, centred) of P(cooperate), (Reciprocator, NL)."""
    counts = {}
    for seed, g in frame.groupby("seed"):
        g = g.sort_values("episode")
        smooth = lambda s: pd.Series(s).rolling(window, min_periods=1, center=True).mean().to_numpy()  # noqa: E731
        counts[int(seed)] = (swings(smooth(g.p_coop_recip.to_numpy()), amplitude),
                             swings(smooth(g.p_coop_nl.to_numpy()), amplitude))
    return counts


def oscillating_seeds(counts: dict[int, tuple[int, int]], need: int) -> list[int]:
    return [s for s, (a, b) in counts.items() if min(a, b) >= need]


def oscillation_sensitivity(frame: pd.DataFrame, windows, amplitudes, need: int) -> pd.DataFrame:
    """RECIP-C3's statistic at every (window, amplitude): a diagnostic, not the pre-registered test."""
    rows = []
    for k in windows:
        for amp in amplitudes:
            counts = swing_counts(frame, int(k), float(amp))
            ok = oscillating_seeds(counts, need)
            rows.append({"window": int(k), "amplitude": float(amp), "seeds": len(counts),
                         "seeds_oscillating": len(ok),
                         "swings_recip": " ".join(str(a) for a, _ in counts.values()),
                         "swings_nl": " ".join(str(b) for _, b in counts.values()),
                         "majority": len(ok) * 2 > len(counts)})
    return pd.DataFrame(rows)


@claim("RECIP-C3", PAPER, "IPD-Rollout figure (p. 6)",
       "Against an NL-PPO, the Reciprocator's reciprocal reward and both agents' P(cooperate) oscillate "
       "over training.", ("recip_ipd_rollout",))
def rollout_oscillates(frames, cfg):
    k, amp, need = cfg["smooth_episodes"], cfg["swing_amplitude"], cfg["min_swings"]
    counts = swing_counts(frames["recip_ipd_rollout"], k, amp)
    ok = oscillating_seeds(counts, need)
    return Verdict(
        statistic="swings of smoothed P(cooperate) (Reciprocator, NL) per seed: "
                  + ", ".join(f"seed {s}: {a}, {b}" for s, (a, b) in counts.items()),
        threshold=f">= {need} swings of >= {amp} for both agents (moving mean over {k} episodes), "
                  "in a majority of seeds",
        reproduced=len(ok) * 2 > len(counts),
        detail="other windows and amplitudes (diagnostic): tables/recip_ipd_rollout_sensitivity.csv",
        key=f"{len(ok)}/{len(counts)} seeds",
    )
