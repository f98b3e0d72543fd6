"""Reciprocators claims testable in Coins (docs/papers.md; claims C4 and C5).

Each run's end-of-training value is the mean over its last ``coins_final_fraction`` of
episodes (MFOS runs included: their episodes count environment episodes, so the same
window covers the last meta-episodes).  Two pairings are compared over seeds with a
one-sided Welch t-test; a claim holds when the difference of the seed means exceeds
``coins_margin`` and p < ``coins_alpha``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .claims import Verdict, budget, claim, fmt_p, welch_greater
from .metrics import fmt_pm, mean_sem

PAPER = "Reciprocators"
LABEL = {"reciprocator_vs_nl": "vs Reciprocator", "mfos_vs_nl": "vs MFOS", "nl_vs_nl": "vs NL-PPO",
         "reciprocator_vs_reciprocator": "Recip-Recip", "mfos_vs_mfos": "MFOS-MFOS"}
PAIR_LABEL = {**LABEL, "nl_vs_nl": "NL-NL"}  # the head-to-head claims name pairs, not opponents


def final_values(frame: pd.DataFrame, pairing: str, column: str, players=(1,), reduce: str = "mean",
                 fraction: float = 0.2) -> np.ndarray:
    """Per-seed mean of ``column`` over the last ``fraction`` of episodes, players combined by ``reduce``."""
    run = frame[(frame.pairing == pairing) & frame.player.isin(players)]
    out = []
    for _, g in run.groupby("seed"):
        per_episode = g.groupby("episode")[column].agg(reduce).sort_index()
        k = max(1, int(math.ceil(fraction * len(per_episode))))
        out.append(float(per_episode.iloc[-k:].mean()))
    return np.asarray(out)


def compare(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str, what: str, cfg: dict) -> Verdict:
    margin, alpha = cfg["coins_margin"], cfg["coins_alpha"]
    threshold = f"mean({name_a}) - mean({name_b}) > {margin} and one-sided Welch p < {alpha}"
    if len(a) == 0 or len(b) == 0:
        return Verdict(f"{what}: missing runs", threshold, False, "a pairing has no results", ran=False)
    statistic = (f"{what} (last {cfg['coins_final_fraction']:.0%} of episodes, mean ± SEM over seeds): "
                 f"{name_a} {fmt_pm(*mean_sem(a))} (n={len(a)}), {name_b} {fmt_pm(*mean_sem(b))} (n={len(b)})")
    if len(a) < 2 or len(b) < 2:
        return Verdict(statistic, threshold, False, "needs at least 2 seeds per pairing for the test",
                       key=f"{a.mean() - b.mean():+.3f} p n/a")
    p = welch_greater(a, b)
    diff = float(a.mean() - b.mean())
    return Verdict(statistic + f"; difference {diff:+.3f}, p = {p:.3g}", threshold,
                   bool(diff > margin and p < alpha), key=f"{diff:+.3f} {fmt_p(p)}")


def _nl_p_own(frames, cfg, pairing):
    return final_values(frames["recip_coins"], pairing, "p_own", (1,), "mean", cfg["coins_final_fraction"])


@claim("RECIP-C4a", PAPER, "Coins vs NL-PPO (p. 7)",
       "An NL-PPO trained against a Reciprocator ends with a higher P(own coin) than one trained against "
       "another NL-PPO.", ("recip_coins",))
def nl_p_own_vs_reciprocator_beats_vs_nl(frames, cfg):
    return compare(_nl_p_own(frames, cfg, "reciprocator_vs_nl"), _nl_p_own(frames, cfg, "nl_vs_nl"),
                   LABEL["reciprocator_vs_nl"], LABEL["nl_vs_nl"], "NL-PPO P(own coin)", cfg)


# the pairings each Coins claim compares: a larger budget decides the claims whose pairings it ran
CLAIM_PAIRINGS = {"RECIP-C4a": ("reciprocator_vs_nl", "nl_vs_nl"), "RECIP-C4b": ("reciprocator_vs_nl", "mfos_vs_nl"),
                  "RECIP-C5a": ("reciprocator_vs_reciprocator", "nl_vs_nl"),
                  "RECIP-C5b": ("reciprocator_vs_reciprocator", "mfos_vs_mfos"),
                  "RECIP-C5c": ("reciprocator_vs_reciprocator", "nl_vs_nl")}


@budget("recip_coins")
def _coins_at_budget(frames, cfg, spec):
    """The Coins claims whose pairings ``spec["pairings"]`` holds, decided on the runs of ``spec["frames"]``
    (recip_coins at other settings: the paper's, or recip_coins_diagnosis runs at a multiple of the episodes;
    docs/decisions.md A16), or the sentence naming the runs of ``spec["n_seeds"]`` seeds that are missing."""
    got = [f for key in ("recip_coins", "recip_coins_diagnosis") if (f := spec.get("frames", {}).get(key)) is not None]
    runs = pd.concat(got, ignore_index=True) if got else None
    have = set() if runs is None else set(zip(runs.pairing, runs.seed.astype(int), strict=True))
    out = {}
    for cid, pairings in CLAIM_PAIRINGS.items():
        if not set(pairings) <= set(spec["pairings"]):
            continue
        missing = [f"{p}/seed{s}" for p in pairings for s in range(spec["n_seeds"]) if (p, s) not in have]
        out[cid] = (f"missing runs at {spec['name']}: " + ", ".join(missing)) if missing else {"recip_coins": runs}
    return out


@claim("RECIP-C4b", PAPER, "Coins vs NL-PPO (p. 7)",
       "An NL-PPO trained against a Reciprocator ends with a higher P(own coin) than one trained against MFOS.",
       ("recip_coins",))
def nl_p_own_vs_reciprocator_beats_vs_mfos(frames, cfg):
    return compare(_nl_p_own(frames, cfg, "reciprocator_vs_nl"), _nl_p_own(frames, cfg, "mfos_vs_nl"),
                   LABEL["reciprocator_vs_nl"], LABEL["mfos_vs_nl"], "NL-PPO P(own coin)", cfg)


def _pair_reward(frames, cfg, pairing):
    return final_values(frames["recip_coins"], pairing, "reward", (0, 1), "sum", cfg["coins_final_fraction"])


@claim("RECIP-C5a", PAPER, "Coins head-to-head (p. 8)",
       "Reciprocator pairs get more total extrinsic reward per episode than NL-PPO pairs.", ("recip_coins",))
def recip_pair_reward_beats_nl_pair(frames, cfg):
    return compare(_pair_reward(frames, cfg, "reciprocator_vs_reciprocator"), _pair_reward(frames, cfg, "nl_vs_nl"),
                   PAIR_LABEL["reciprocator_vs_reciprocator"], PAIR_LABEL["nl_vs_nl"],
                   "total extrinsic reward per episode", cfg)


@claim("RECIP-C5b", PAPER, "Coins head-to-head (p. 8)",
       "Reciprocator pairs get more total extrinsic reward per episode than MFOS pairs.", ("recip_coins",))
def recip_pair_reward_beats_mfos_pair(frames, cfg):
    return compare(_pair_reward(frames, cfg, "reciprocator_vs_reciprocator"), _pair_reward(frames, cfg, "mfos_vs_mfos"),
                   PAIR_LABEL["reciprocator_vs_reciprocator"], PAIR_LABEL["mfos_vs_mfos"],
                   "total extrinsic reward per episode", cfg)


@claim("RECIP-C5c", PAPER, "Coins head-to-head (p. 8)",
       "Reciprocator pairs end with a higher P(own coin) than NL-PPO pairs.", ("recip_coins",))
def recip_pair_p_own_beats_nl_pair(frames, cfg):
    f = cfg["coins_final_fraction"]
    a = final_values(frames["recip_coins"], "reciprocator_vs_reciprocator", "p_own", (0, 1), "mean", f)
    b = final_values(frames["recip_coins"], "nl_vs_nl", "p_own", (0, 1), "mean", f)
    return compare(a, b, PAIR_LABEL["reciprocator_vs_reciprocator"], PAIR_LABEL["nl_vs_nl"],
                   "P(own coin) of both players", cfg)
