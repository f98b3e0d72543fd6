"""AgA claims testable with multi-agent PPO (docs/papers.md; claims C4, C5).

Each run's end-of-training value is the mean over its last ``marl_final_fraction`` of updates
(:func:`mixedmotive.analysis.marl.final_values`).  AgA is the headline variant
``claims.marl_headline`` (``aga_lam100``: the paper's Fig. 3 legend).  "At least the baselines'" holds for a
metric when, against every baseline, mean(AgA) - mean(baseline) >= -``marl_margin`` over seeds; the detail also
counts the baselines AgA beats with a one-sided Welch t-test at ``marl_alpha``.

At a larger budget (``aga_ablation.budget``, docs/decisions.md A16) the C4 claims are decided by the same check on
the ablation's runs at that budget, relabelled as Table 2's variants; the C5 claims likewise at
``aga_ablation.mmm2_budget`` against the baselines that budget ran.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..methods import TABLE2_BASELINES
from .claims import Verdict, at_least, budget, claim
from .marl import as_table2, final_values, missing_runs
from .metrics import fmt_pm, mean_sem

PAPER = "AgA"
BASELINES = TABLE2_BASELINES


def at_least_baselines(frame, column: str, what: str, cfg: dict) -> Verdict:
    fraction, margin, alpha = cfg["marl_final_fraction"], cfg["marl_margin"], cfg["marl_alpha"]
    headline = cfg["marl_headline"]
    threshold = (f"mean({headline}) - mean(baseline) {at_least(margin)} against every baseline "
                 f"(last {fraction:.0%} of updates; detail: one-sided Welch p < {alpha})")
    fin = final_values(frame, column, fraction)
    per = {v: fin[fin.variant == v][column].dropna().to_numpy() for v in fin.variant.unique()} if len(fin) else {}
    a = per.get(headline, np.array([]))
    bases = [b for b in BASELINES if b in per and len(per[b])]
    if headline not in per or not any(b in per for b in BASELINES):
        return Verdict(f"{what}: missing runs", threshold, False, f"no {headline} run or no baseline run", ran=False)
    if len(a) == 0 or not bases:  # runs exist, but the metric is undefined in every one of them
        undefined = headline if len(a) == 0 else "every baseline"
        n_runs = int((fin.variant == headline).sum())
        parts = [f"{b} {fmt_pm(*mean_sem(per[b]))}" for b in bases]
        return Verdict(f"{what}: undefined for {undefined} in all {n_runs if len(a) == 0 else 'their'} runs"
                       + (" (" + ", ".join(parts) + ")" if parts else ""), threshold, False,
                       f"{undefined} has no defined value (equality E needs a positive collective return)",
                       key="undefined")
    parts, holds, better = [f"{headline} {fmt_pm(*mean_sem(a))} (n={len(a)})"], [], []
    for b in bases:
        x = per[b]
        parts.append(f"{b} {fmt_pm(*mean_sem(x))}")
        holds.append(a.mean() - x.mean() >= -margin)
        if len(a) > 1 and len(x) > 1:
            p = float(stats.ttest_ind(a, x, equal_var=False, alternative="greater").pvalue)
            if p < alpha:
                better.append(b)
    behind = [b for b, h in zip(bases, holds, strict=True) if not h]
    detail = (f"AgA significantly better than: {', '.join(better) or 'none'}; "
              f"behind: {', '.join(behind) or 'none'}")
    worst = min(a.mean() - per[b].mean() for b in bases)  # the key number: the gap to the best baseline
    return Verdict(f"{what} (mean ± SEM over seeds): " + ", ".join(parts), threshold, bool(all(holds)), detail,
                   key=f"{worst:+.3g}")


def _ssd(frames, game):
    t = frames["aga_ssd"]
    return t[t.game == game]


for _game in ("harvest", "cleanup"):
    for _col, _what, _tag in (("equality", "equality E", "E"), ("collective", "collective return", "SW")):
        def _check(frames, cfg, game=_game, col=_col, what=_what):
            return at_least_baselines(_ssd(frames, game), col, f"{game.capitalize()} {what}", cfg)

        claim(f"AGA-C4-{_game}-{_tag}", PAPER, f"Table 2 / Fig. 3 ({_game.capitalize()})",
              f"In {_game.capitalize()}, AgA (headline λ = 100) reaches at least the {_what} of Simul-Ind, "
              "Simul-Co, SVO, CGA and SL.", ("aga_ssd",))(_check)


def _at_budget(frames, spec, area: str, claim_ids) -> dict:
    """The ablation's runs at ``spec["multiplier"]`` x the default updates, for each game of ``spec["games"]``
    (game -> {ablation variant: Table 2 / Fig. 6 variant}), as ``area`` rows for the claims ``claim_ids(game)``;
    or, where any of the ``spec["n_seeds"]`` seeds of a variant is missing, the sentence naming the missing runs."""
    runs = frames.get("aga_ablation", pd.DataFrame())
    out = {}
    for game, names in spec["games"].items():
        missing = missing_runs(runs, game, spec["multiplier"], names, spec["n_seeds"])
        at_budget = ({area: as_table2(runs, game, spec["multiplier"], names)} if not missing else
                     f"missing runs at {spec['name']} ({game}): " + ", ".join(missing))
        out.update({cid: at_budget for cid in claim_ids(game)})
    return out


@budget("aga_ablation")
def _c4_at_budget(frames, cfg, spec):
    """AGA-C4 (Harvest, Cleanup) at a larger budget (``aga_ablation.budget``)."""
    return _at_budget(frames, spec, "aga_ssd", lambda game: [f"AGA-C4-{game}-{tag}" for tag in ("E", "SW")])


@budget("aga_ablation_mmm2")
def _c5_at_budget(frames, cfg, spec):
    """AGA-C5 (Selfish-MMM2) at a larger budget (``aga_ablation.mmm2_budget``): against the baselines it ran."""
    return _at_budget(frames, spec, "aga_mmm2", lambda game: ["AGA-C5-win", "AGA-C5-return"])


@claim("AGA-C5-win", PAPER, "Selfish-MMM2 (Fig. 6)",
       "On Selfish-MMM2, AgA (headline λ = 100) ends training with at least the win rate of Simul-Ind, Simul-Co, "
       "SVO, CGA and SL.",
       ("aga_mmm2",))
def _mmm2_win(frames, cfg):
    return at_least_baselines(frames["aga_mmm2"], "win_rate", "win rate", cfg)


@claim("AGA-C5-return", PAPER, "Selfish-MMM2 (Fig. 6)",
       "On Selfish-MMM2, AgA (headline λ = 100) ends training with at least the collective return of the baselines.",
       ("aga_mmm2",))
def _mmm2_return(frames, cfg):
    return at_least_baselines(frames["aga_mmm2"], "collective", "collective return", cfg)
