"""The M-MAML study (docs/decisions.md R12): statistics and the three diagnostic claims.

An arm is a set of M-MAML parameter sets, one per id: ours meta-trained at one outer batch with the inner lr
meta-learned (``b<batch>``) or fixed (``b<batch>-lr<x>``; the round robin's own arm is ``own_arm``), or
M-FOS's pre-generated sets (``mfos``).  An id has the
*cooperative start* when its reward per step against NL, stepping with the NL lr 1 as M-FOS evaluates
M-MAML, is at least ``threshold`` (midway between mutual cooperation, -1, and mutual defection, -2).

* DIAG-RECIP-mmaml-mfos: is our share of cooperative starts at the round robin's settings smaller than
  M-FOS's?  One-sided Fisher exact test; the claim holds when it finds no shortfall (p >= alpha).
* DIAG-RECIP-mmaml-batch: does a larger outer batch (the same ids, so the same initial parameters; only
  the meta-gradient's noise differs) give more cooperative starts?  One-sided exact McNemar test on the
  paired ids (a binomial test on the ids whose classification differs).
* DIAG-RECIP-mmaml-fixed-lr: does fixing the inner lr (not meta-learning it) give more cooperative starts
  under M-FOS's evaluation?  The same paired test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..wildcards import StudyArm
from .claims import Verdict, claim, group_by_experiment

DIAGNOSTIC = "Reciprocators (diagnostic)"
REFERENCE_ARM = "mfos"
STATES = ("start", "cc", "cd", "dc", "dd")


def arm_label(arm: str, own_arm: str) -> str:
    if arm == REFERENCE_ARM:
        return "M-FOS pre-generated (3efb169)"
    batch, inner_lr = StudyArm.parse(arm)
    lr = "" if inner_lr == "learned" else f", inner lr fixed at {inner_lr:g}"
    return f"ours, outer batch {batch}{lr}" + (" (round robin)" if arm == own_arm else "")


def arm_order(arms, own_arm: str) -> list[str]:
    """The round robin's own arm, the other learned-lr batches in increasing order, the fixed inner lrs,
    M-FOS's sets last."""
    def key(a):
        batch, inner_lr = StudyArm.parse(a)
        return (a != own_arm, inner_lr != "learned", batch, 0.0 if inner_lr == "learned" else inner_lr)

    ours = sorted((a for a in set(arms) if a != REFERENCE_ARM), key=key)
    return ours + ([REFERENCE_ARM] if REFERENCE_ARM in set(arms) else [])


def split(paths, own_arm: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(evaluations, meta-training curves with an ``arm`` column) from the study's raw result paths."""
    frames = group_by_experiment(paths)
    evals = frames.get("recip_ipd_mmaml_eval", pd.DataFrame())
    curves = []
    if "recip_ipd_meta" in frames:
        curves.append(frames["recip_ipd_meta"].assign(arm=own_arm))
    if "recip_ipd_mmaml_study" in frames:
        curves.append(frames["recip_ipd_mmaml_study"].rename(columns={"method": "arm"}))
    return evals, (pd.concat(curves, ignore_index=True) if curves else pd.DataFrame())


def cooperative(evals: pd.DataFrame, threshold: float) -> pd.Series:
    return evals["reward_vs_nl"] >= threshold


def first_crossing(objective, threshold: float, smooth: int) -> float:
    """First outer episode at which the ``smooth``-episode trailing mean of the meta-objective reaches
    ``threshold`` (NaN if it never does); episodes before the window is full average what there is."""
    rolled = pd.Series(np.asarray(objective, float)).rolling(int(smooth), min_periods=1).mean().to_numpy()
    hits = np.flatnonzero(rolled >= threshold)
    return float(hits[0]) if len(hits) else math.nan


def per_id(evals: pd.DataFrame, curves: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """One row per (arm, id): the start policy, the inner lr, the rewards against NL, the classification and,
    for our arms, when the meta-objective first reached the threshold and its mean over the last 10 %."""
    own, threshold, smooth = cfg["own_arm"], cfg["threshold"], int(cfg["smooth"])
    rows = []
    for arm in arm_order(evals["arm"], own):
        e = evals[evals.arm == arm].sort_values("id")
        for _, r in e.iterrows():
            c = curves[(curves.arm == arm) & (curves.seed == r.id)].sort_values("episode") if len(curves) else None
            has_curve = c is not None and len(c) > 0
            tail = max(1, len(c) // 10) if has_curve else 0
            rows.append({
                "arm": arm_label(arm, own), "id": int(r.id),
                "P(C): start, CC, CD, DC, DD": ", ".join(f"{r[f'p_{s}']:.2f}" for s in STATES),
                "inner lr": r.inner_lr,
                "vs NL (lr 1)": r.reward_vs_nl, "NL (lr 1)": r.nl_reward,
                "vs NL (learned lr)": r.reward_vs_nl_alpha,
                "cooperative start": "yes" if r.reward_vs_nl >= threshold else "no",
                "first episode >= threshold": first_crossing(c.objective, threshold, smooth) if has_curve else math.nan,
                "final objective": float(c.objective.iloc[-tail:].mean()) if has_curve else math.nan,
            })
    return pd.DataFrame(rows)


def summary(evals: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """One row per arm: how many ids have the cooperative start, which do not, the median reward vs NL and, for
    our arms, how many reach the threshold when stepping with the learned inner lr (the round robin's way)."""
    own, threshold = cfg["own_arm"], cfg["threshold"]
    rows = []
    for arm in arm_order(evals["arm"], own):
        e = evals[evals.arm == arm].sort_values("id")
        coop = cooperative(e, threshold)
        learned = e.reward_vs_nl_alpha >= threshold
        rows.append({"arm": arm_label(arm, own), "ids": len(e), "cooperative start": f"{int(coop.sum())}/{len(e)}",
                     "ids without": ", ".join(str(int(i)) for i in e.id[~coop]) or "none",
                     "median vs NL (lr 1)": float(e.reward_vs_nl.median()),
                     "cooperative (learned lr)": "" if e.reward_vs_nl_alpha.isna().all()
                     else f"{int(learned.sum())}/{len(e)}"})
    return pd.DataFrame(rows)


def _f(v: float, digits: int = 3) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def table_frame(evals: pd.DataFrame, curves: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """The study's table: per arm one summary row (id "all n"), then one row per id; values as text."""
    head, rows = summary(evals, cfg), per_id(evals, curves, cfg)
    out = []
    for _, h in head.iterrows():
        learned = f"; learned lr: {h['cooperative (learned lr)']}" if h["cooperative (learned lr)"] else ""
        out.append({"arm": h.arm, "id": f"all {h.ids}", "vs NL (lr 1)": f"median {_f(h['median vs NL (lr 1)'])}",
                    "cooperative start": f"{h['cooperative start']}{learned} (without: {h['ids without']})"})
    for _, r in rows.iterrows():
        first = r["first episode >= threshold"]
        out.append({"arm": r.arm, "id": str(r.id), "P(C): start, CC, CD, DC, DD": r["P(C): start, CC, CD, DC, DD"],
                    "inner lr": _f(r["inner lr"], 2), "vs NL (lr 1)": _f(r["vs NL (lr 1)"]),
                    "NL (lr 1)": _f(r["NL (lr 1)"]), "vs NL (learned lr)": _f(r["vs NL (learned lr)"]),
                    "cooperative start": r["cooperative start"],
                    "first episode >= threshold": "never" if math.isnan(first) and not math.isnan(r["final objective"])
                    else ("" if math.isnan(first) else str(int(first))),
                    "final objective": _f(r["final objective"])})
    return pd.DataFrame(out, columns=["arm", "id", "P(C): start, CC, CD, DC, DD", "inner lr", "vs NL (lr 1)",
                                      "NL (lr 1)", "vs NL (learned lr)", "cooperative start",
                                      "first episode >= threshold", "final objective"]).fillna("")


def fisher_fewer(k_a: int, n_a: int, k_b: int, n_b: int) -> float:
    """One-sided Fisher exact p that the rate of a (k_a of n_a) is smaller than that of b (k_b of n_b)."""
    return float(stats.fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]], alternative="less").pvalue)


def mcnemar_more(a, b) -> tuple[int, int, float]:
    """Paired booleans a, b (the same ids): (#ids only b has, #ids only a has, one-sided exact McNemar p that
    b is True more often), the binomial test on the discordant ids; p = 1 when none is discordant."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    only_b, only_a = int((b & ~a).sum()), int((a & ~b).sum())
    n = only_a + only_b
    p = 1.0 if n == 0 else float(stats.binomtest(only_b, n, 0.5, alternative="greater").pvalue)
    return only_b, only_a, p


def _counts(evals: pd.DataFrame, arm: str, threshold: float) -> tuple[int, int]:
    e = evals[evals.arm == arm]
    return int(cooperative(e, threshold).sum()), len(e)


@claim("DIAG-RECIP-mmaml-mfos", DIAGNOSTIC, "M-MAML study (tables/recip_ipd_mmaml_study)",
       "Diagnostic (not a paper claim): M-MAML meta-trained by us at the round robin's settings reaches the "
       "cooperative start against NL in no smaller a share of ids than M-FOS's own pre-generated M-MAML sets.",
       ("recip_ipd_mmaml_eval",))
def ours_as_cooperative_as_mfos(frames, cfg):
    s = cfg["mmaml_study"]
    evals, own, threshold, alpha = frames["recip_ipd_mmaml_eval"], s["own_arm"], s["threshold"], s["alpha"]
    rule = (f"one-sided Fisher exact test of a smaller share of ids with reward per step vs NL >= {threshold:g} "
            f"(NL lr 1) gives p >= {alpha:g}")
    arms = set(evals.arm)
    if own not in arms or REFERENCE_ARM not in arms:
        return Verdict("missing arms: " + ", ".join(a for a in (own, REFERENCE_ARM) if a not in arms), rule, False,
                       "", ran=False)
    (k_a, n_a), (k_b, n_b) = _counts(evals, own, threshold), _counts(evals, REFERENCE_ARM, threshold)
    p = fisher_fewer(k_a, n_a, k_b, n_b)
    ours = evals[evals.arm == own]
    learned = int((ours.reward_vs_nl_alpha >= threshold).sum())
    return Verdict(f"cooperative start: ours (outer batch {own[1:]}) {k_a}/{n_a}, M-FOS {k_b}/{n_b}; p = {p:.2g}",
                   rule, p >= alpha, f"ours with the learned inner lr (the round robin's evaluation): {learned}/{n_a}",
                   key=f"{k_a}/{n_a} vs {k_b}/{n_b}")


def _paired(evals: pd.DataFrame, own: str, arms: list[str], threshold: float, alpha: float,
            keys: list | None = None) -> tuple[str, list[str]]:
    """The exact McNemar test of each arm against the round robin's own arm on their common ids; ``keys``
    receives (p, key number) per arm."""
    base = evals[evals.arm == own].set_index("id").sort_index()
    parts, held = [], []
    for arm in arms:
        other = evals[evals.arm == arm].set_index("id").sort_index()
        ids = base.index.intersection(other.index)
        a, b = base.loc[ids, "reward_vs_nl"] >= threshold, other.loc[ids, "reward_vs_nl"] >= threshold
        only_b, only_a, p = mcnemar_more(a, b)
        parts.append(f"{own} {int(a.sum())}/{len(ids)} vs {arm} {int(b.sum())}/{len(ids)} "
                     f"(ids only at {arm}: {only_b}, only at {own}: {only_a}; p = {p:.2g})")
        if p < alpha:
            held.append(arm)
        if keys is not None:
            keys.append((p, f"{int(a.sum())} vs {int(b.sum())}/{len(ids)}"))
    return "cooperative start: " + "; ".join(parts), held


def _study(frames, cfg):
    s = cfg["mmaml_study"]
    return frames["recip_ipd_mmaml_eval"], s["own_arm"], s["threshold"], s["alpha"]


def _paired_claim(frames, cfg, what: str, pick) -> Verdict:
    """McNemar of every arm ``pick(batch, inner_lr, own_batch, own_lr)`` selects against the round robin's arm."""
    evals, own, threshold, alpha = _study(frames, cfg)
    rule = f"for {what}: one-sided exact McNemar test on the paired ids gives p < {alpha:g}"
    own_batch, own_lr = StudyArm.parse(own)
    arms = [a for a in arm_order(evals.arm, own)
            if a not in (own, REFERENCE_ARM) and pick(*StudyArm.parse(a), own_batch, own_lr)]
    if own not in set(evals.arm) or not arms:
        return Verdict(f"missing arms: the round robin's and {what}", rule, False, "", ran=False)
    statistic, held = _paired(evals, own, arms, threshold, alpha, keys := [])
    return Verdict(statistic, rule, bool(held), ("holds at " + ", ".join(held)) if held else "",
                   key=min(keys, key=lambda k: k[0])[1] if keys else "")


@claim("DIAG-RECIP-mmaml-batch", DIAGNOSTIC, "M-MAML study (tables/recip_ipd_mmaml_study)",
       "Diagnostic (not a paper claim): with a less noisy meta-gradient (a larger outer batch, the same ids and "
       "so the same initial parameters) M-MAML reaches the cooperative start in more ids than at the round "
       "robin's outer batch.",
       ("recip_ipd_mmaml_eval",))
def larger_batch_more_cooperative(frames, cfg):
    return _paired_claim(frames, cfg, "a larger outer batch", lambda b, lr, own_b, own_lr: lr == own_lr and b > own_b)


@claim("DIAG-RECIP-mmaml-fixed-lr", DIAGNOSTIC, "M-MAML study (tables/recip_ipd_mmaml_study)",
       "Diagnostic (not a paper claim): with the inner lr fixed (at M-FOS's evaluation lr, 1) instead of "
       "meta-learned, M-MAML reaches the cooperative start under M-FOS's evaluation in more ids (the same ids, "
       "initial parameters and opponents) than the round robin's M-MAML.",
       ("recip_ipd_mmaml_eval",))
def fixed_inner_lr_more_cooperative(frames, cfg):
    return _paired_claim(frames, cfg, "a fixed inner lr", lambda b, lr, own_b, own_lr: lr != "learned" and b == own_b)
