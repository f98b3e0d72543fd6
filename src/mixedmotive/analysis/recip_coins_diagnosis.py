"""Coins diagnosis (docs/decisions.md C10): the statistic of every Coins claim per
(r_RR weight, normalisation) cell, the budget trend of NL-PPO's P(own coin), and a diagnostic claim.

The inputs are the diagnosis runs (rows with ``cell``, ``rr_weight``, ``rr_normalise`` and
``budget``) and recip_coins' own runs, which stand for the cell of recip_coins' settings at the
default budget and for the baselines (NL-PPO and MFOS pairings do not read the cell).  Each claim's
statistic is that of :mod:`mixedmotive.analysis.recip_coins_claims`: per seed the mean over the last
``coins_final_fraction`` of episodes, the difference of the seed means, and a one-sided Welch p.

The confirmation (decision C11) re-tests one cell, chosen from the cells' table, on fresh seeds:
:func:`confirmation` and the claim DIAG-RECIP-coins-confirm read only those seeds; the cells' claim
leaves them out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..wildcards import CoinsCell
from .claims import Verdict, claim, fmt_p, welch_greater
from .metrics import fmt_pm, mean_sem
from .recip_coins_claims import final_values

DIAGNOSTIC = "Reciprocators (diagnostic)"

#: (claim id, the cell's pairing, baseline pairing, column, players, reduce, what)
STATISTICS = (
    ("C4a", "reciprocator_vs_nl", "nl_vs_nl", "p_own", (1,), "mean", "NL-PPO P(own) vs Recip − vs NL-PPO"),
    ("C4b", "reciprocator_vs_nl", "mfos_vs_nl", "p_own", (1,), "mean", "NL-PPO P(own) vs Recip − vs MFOS"),
    ("C5a", "reciprocator_vs_reciprocator", "nl_vs_nl", "reward", (0, 1), "sum", "pair reward Recip-Recip − NL-NL"),
    ("C5b", "reciprocator_vs_reciprocator", "mfos_vs_mfos", "reward", (0, 1), "sum",
     "pair reward Recip-Recip − MFOS-MFOS"),
    ("C5c", "reciprocator_vs_reciprocator", "nl_vs_nl", "p_own", (0, 1), "mean", "pair P(own) Recip-Recip − NL-NL"),
)


def tag_runs(frame: pd.DataFrame, main_cell: str) -> pd.DataFrame:
    """``frame`` with every row's ``cell`` and ``budget``: recip_coins' rows (no ``budget``) are
    the main cell at budget 1; the cell of a pairing without a Reciprocator is ``''``."""
    out = frame.copy()
    if "budget" not in out.columns:
        out["budget"] = np.nan
    if "cell" not in out.columns:
        out["cell"] = None
    main = out["budget"].isna()
    out.loc[main, "budget"] = 1
    out.loc[main, "cell"] = main_cell
    out["budget"] = out["budget"].astype(int)
    out.loc[~out.pairing.str.contains("reciprocator"), "cell"] = ""
    return out


def prefix(frame: pd.DataFrame, episodes: int) -> pd.DataFrame:
    """The first ``episodes`` episodes of every run (a longer run's prefix is the shorter run)."""
    return frame[frame.episode < episodes]


def test(a: np.ndarray, b: np.ndarray, margin: float, alpha: float) -> tuple[float, float, bool]:
    """(mean(a) − mean(b), one-sided Welch p of a > b, a beats b by more than ``margin`` at ``alpha``)."""
    if len(a) == 0 or len(b) == 0:
        return math.nan, math.nan, False
    diff = float(a.mean() - b.mean())
    p = welch_greater(a, b)
    return diff, p, bool(diff > margin and p < alpha)


def _values(t, pairing, column, players, reduce, fraction, cell=None):
    f = t if cell is None else t[t.cell == cell]
    return final_values(f, pairing, column, players, reduce, fraction)


def holds_columns(alpha: float, n_tested: int) -> tuple[str, str]:
    """Names of the summary's two verdict columns: uncorrected, and Bonferroni-corrected over ``n_tested`` cells."""
    return (f"holds at p < {alpha:g} (uncorrected)",
            f"holds at p < {alpha:g}/{n_tested} (Bonferroni over {n_tested} cells)")


def summary(frame: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """One row per cell at the default budget: NL-PPO's and the Reciprocator's P(own coin) and
    rewards, each claim's difference and p, and the claims that hold in the cell at ``coins_alpha``
    (uncorrected) and at ``coins_alpha`` / the number of diagnosis cells (Bonferroni, as
    DIAG-RECIP-coins-cells tests): the column names say which is which."""
    t = tag_runs(frame, cfg["main_cell"])
    t = t[t.budget == 1]
    fraction, margin, alpha = cfg["coins_final_fraction"], cfg["coins_margin"], cfg["coins_alpha"]
    cells = sorted({c for c in t.cell.unique() if c}, key=CoinsCell.parse)
    n_tested = max(1, len([c for c in cells if c != cfg["main_cell"]]))  # the main cell is RECIP-C4a's own
    uncorrected, corrected = holds_columns(alpha, n_tested)
    rows = []
    for cell in cells:
        weight, normalise = CoinsCell.parse(cell)
        row = {"w": f"{weight:g}", "r_RR normalised": "yes" if normalise else "no",
               "cell": cell + (" (recip_coins)" if cell == cfg["main_cell"] else "")}

        def vs(col, pl, cell=cell):
            return _values(t, "reciprocator_vs_nl", col, pl, "mean", fraction, cell)

        nl, rec = vs("p_own", (1,)), vs("p_own", (0,))
        row["seeds"] = len(nl)
        row["NL P(own) vs Recip"] = fmt_pm(*mean_sem(nl)) if len(nl) else "–"
        row["Recip P(own)"] = fmt_pm(*mean_sem(rec)) if len(rec) else "–"
        r_nl, r_rec = vs("reward", (1,)), vs("reward", (0,))
        row["NL / Recip reward"] = (f"{r_nl.mean():.2f} / {r_rec.mean():.2f}" if len(r_nl) else "–")
        held, held_corrected = [], []
        for cid, pairing, base, column, players, reduce, _ in STATISTICS:
            a = _values(t, pairing, column, players, reduce, fraction, cell)
            b = _values(t, base, column, players, reduce, fraction)
            diff, p, ok = test(a, b, margin, alpha)
            row[cid] = "not run" if len(a) == 0 or len(b) == 0 else (
                f"{diff:+.3f} (p = {p:.2g})" if not math.isnan(p) else f"{diff:+.3f} (no test)")
            if ok:
                held.append(cid)
            if ok and p < alpha / n_tested:
                held_corrected.append(cid)
        row[uncorrected] = ", ".join(held) or "none"
        row[corrected] = ", ".join(held_corrected) or "none"
        rows.append(row)
    return pd.DataFrame(rows)


def baselines(frame: pd.DataFrame, cfg: dict) -> str:
    """The baselines' end-of-training values, for the table's note."""
    t = tag_runs(frame, cfg["main_cell"])
    t = t[t.budget == 1]
    f = cfg["coins_final_fraction"]
    parts = []
    for pairing, what, column, players, reduce in (("nl_vs_nl", "NL-PPO P(own) vs NL-PPO", "p_own", (1,), "mean"),
                                                   ("mfos_vs_nl", "NL-PPO P(own) vs MFOS", "p_own", (1,), "mean"),
                                                   ("mfos_vs_mfos", "MFOS-MFOS pair reward", "reward", (0, 1), "sum")):
        v = _values(t, pairing, column, players, reduce, f)
        if len(v):
            parts.append(f"{what} {fmt_pm(*mean_sem(v))} (n={len(v)})")
    return "; ".join(parts)


def trend(frame: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """NL-PPO's P(own coin) against a Reciprocator and against an NL-PPO at each budget multiplier
    (1 and every configured one), each from the first multiplier x episodes of the longest runs."""
    t = tag_runs(frame, cfg["main_cell"])
    longest = int(t.budget.max()) if len(t) else 1
    t = t[t.budget == longest]
    fraction = cfg["coins_final_fraction"]
    rows = []
    for m in sorted({1, *cfg["trend"]["multipliers"]}):
        if m > longest:
            continue
        part = prefix(t, m * cfg["episodes"])
        a = _values(part, "reciprocator_vs_nl", "p_own", (1,), "mean", fraction)
        b = _values(part, "nl_vs_nl", "p_own", (1,), "mean", fraction)
        rec = _values(part, "reciprocator_vs_nl", "p_own", (0,), "mean", fraction)
        rows.append({"budget": f"{m}×", "episodes": m * cfg["episodes"], "seeds": len(a),
                     "NL P(own) vs Recip": f"{a.mean():.3f}" if len(a) else "–",
                     "NL P(own) vs NL-PPO": f"{b.mean():.3f}" if len(b) else "–",
                     "C4a difference": f"{a.mean() - b.mean():+.3f}" if len(a) and len(b) else "–",
                     "Recip P(own)": f"{rec.mean():.3f}" if len(rec) else "–"})
    return pd.DataFrame(rows)


def seed_span(seeds) -> str:
    """``[3, 4, 5]`` -> ``'3–5'`` (for the confirmation's labels)."""
    seeds = sorted(seeds)
    return f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else str(seeds[0]) if seeds else "none"


def confirmation(frame: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """RECIP-C4a's statistic in the confirmed cell ``cfg['confirm']['cell']``: on its fresh seeds
    ``cfg['confirm']['seeds']`` (the test), on the diagnosis' seeds ``0 .. n_seeds - 1`` (which chose
    the cell; not a test) and on both.  ``frame``: the cell's Reciprocator vs NL-PPO runs and NL-PPO vs
    NL-PPO runs on those seeds (recip_coins' own for the diagnosis' seeds)."""
    t = tag_runs(frame, cfg["main_cell"])
    t = t[t.budget == 1]
    cell, fresh = cfg["confirm"]["cell"], list(cfg["confirm"]["seeds"])
    chosen = [s for s in range(cfg["n_seeds"]) if s not in fresh]
    rec, nl = t[(t.pairing == "reciprocator_vs_nl") & (t.cell == cell)], t[t.pairing == "nl_vs_nl"]
    fraction, margin, alpha = cfg["coins_final_fraction"], cfg["coins_margin"], cfg["coins_alpha"]
    rows = []
    for label, seeds, is_test in ((f"{seed_span(fresh)}: fresh (the test)", fresh, True),
                                  (f"{seed_span(chosen)}: the diagnosis' (chose the cell)", chosen, False),
                                  (f"{seed_span(chosen + fresh)}: all", chosen + fresh, False)):
        r, n = rec[rec.seed.isin(seeds)], nl[nl.seed.isin(seeds)]
        a = final_values(r, "reciprocator_vs_nl", "p_own", (1,), "mean", fraction)
        b = final_values(n, "nl_vs_nl", "p_own", (1,), "mean", fraction)
        diff, p, ok = test(a, b, margin, alpha)
        r_nl = final_values(r, "reciprocator_vs_nl", "reward", (1,), "mean", fraction)
        r_rec = final_values(r, "reciprocator_vs_nl", "reward", (0,), "mean", fraction)
        rows.append({
            "seeds": label, "n (vs Recip / vs NL-PPO)": f"{len(a)} / {len(b)}",
            "NL P(own) vs Recip": fmt_pm(*mean_sem(a)) if len(a) else "–",
            "NL P(own) vs NL-PPO": fmt_pm(*mean_sem(b)) if len(b) else "–",
            "C4a difference": f"{diff:+.3f}" if not math.isnan(diff) else "–",
            "one-sided Welch p": f"{p:.2g}" if not math.isnan(p) else "–",
            "NL / Recip reward": f"{r_nl.mean():.2f} / {r_rec.mean():.2f}" if len(r_nl) else "–",
            "verdict": ("holds" if ok else "does not hold") if is_test else "(not a test)",
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- diagnostic claim
@claim("DIAG-RECIP-coins-cells", DIAGNOSTIC, "Coins diagnosis (tables/recip_coins_diagnosis)",
       "Diagnostic (not a paper claim): at some other r_RR weight or normalisation than recip_coins' own, an "
       "NL-PPO trained against a Reciprocator ends with a higher P(own coin) than one trained against another "
       "NL-PPO (RECIP-C4a's test per cell, Bonferroni-corrected over the cells).",
       ("recip_coins_diagnosis", "recip_coins"))
def some_cell_reproduces_c4a(frames, cfg):
    diag = frames["recip_coins_diagnosis"]
    # the confirmation's fresh seeds are DIAG-RECIP-coins-confirm's, not the cells'
    diag = diag[(diag.budget == 1) & (diag.pairing == "reciprocator_vs_nl")
                & ~diag.seed.isin(cfg["coins_confirm"]["seeds"])]
    fraction, margin, alpha = cfg["coins_final_fraction"], cfg["coins_margin"], cfg["coins_alpha"]
    cells = sorted(diag.cell.unique(), key=CoinsCell.parse)
    corrected = alpha / max(1, len(cells))
    threshold = (f"for some cell: mean(vs Recip) − mean(vs NL-PPO) > {margin:g} and one-sided Welch p < "
                 f"{alpha:g}/{len(cells)} (NL-PPO P(own coin), last {fraction:.0%} of episodes)")
    b = final_values(frames["recip_coins"], "nl_vs_nl", "p_own", (1,), "mean", fraction)
    if not cells or len(b) == 0:
        return Verdict("missing runs: " + ("diagnosis cells" if not cells else "nl_vs_nl"), threshold, False, "",
                       ran=False)
    results = []
    for cell in cells:
        a = final_values(diag[diag.cell == cell], "reciprocator_vs_nl", "p_own", (1,), "mean", fraction)
        diff, p, _ = test(a, b, margin, corrected)
        results.append((cell, a, diff, p))
    held = [c for c, _, d, p in results if d > margin and p < corrected]
    best = max(results, key=lambda r: r[2])
    statistic = (f"NL-PPO P(own) vs NL-PPO {fmt_pm(*mean_sem(b))} (n={len(b)}); per cell vs Recip − vs NL-PPO: "
                 + ", ".join(f"{c} {d:+.3f} (p={p:.2g}, n={len(a)})" for c, a, d, p in results))
    return Verdict(statistic, threshold, bool(held),
                   f"best cell {best[0]}" + (f"; reproduced in {', '.join(held)}" if held else ""),
                   key=f"{best[2]:+.3f} {fmt_p(best[3])}")


@claim("DIAG-RECIP-coins-confirm", DIAGNOSTIC, "Coins confirmation (tables/recip_coins_confirm)",
       "Diagnostic (not a paper claim): in the one cell chosen beforehand from the Coins diagnosis, on seeds "
       "that were not trained when it was chosen, an NL-PPO trained against a Reciprocator ends with a higher "
       "P(own coin) than one trained against another NL-PPO (RECIP-C4a's test, once: no correction).",
       ("recip_coins_diagnosis",))
def confirmed_cell_reproduces_c4a(frames, cfg):
    conf = cfg["coins_confirm"]
    fraction, margin, alpha = cfg["coins_final_fraction"], cfg["coins_margin"], cfg["coins_alpha"]
    threshold = (f"mean(vs Recip) − mean(vs NL-PPO) > {margin:g} and one-sided Welch p < {alpha:g} "
                 f"(NL-PPO P(own coin), last {fraction:.0%} of episodes, fresh seeds only)")
    if not conf["cell"]:
        return Verdict("no confirmation configured (recip_coins_diagnosis.confirm.cell is null; "
                       "config/coins_confirm.yaml sets one)", threshold, False, "", ran=False)
    d = frames["recip_coins_diagnosis"]
    d = d[(d.budget == 1) & d.seed.isin(conf["seeds"]) & (d.cell == conf["cell"])]
    a = final_values(d, "reciprocator_vs_nl", "p_own", (1,), "mean", fraction)
    b = final_values(d, "nl_vs_nl", "p_own", (1,), "mean", fraction)
    if len(a) < 2 or len(b) < 2:
        return Verdict(f"missing runs: {len(a)} / {len(b)} of the fresh seeds", threshold, False, "", ran=False)
    diff, p, ok = test(a, b, margin, alpha)
    statistic = (f"cell {conf['cell']}, seeds {seed_span(conf['seeds'])}: NL-PPO P(own) vs Recip "
                 f"{fmt_pm(*mean_sem(a))} (n={len(a)}), vs NL-PPO {fmt_pm(*mean_sem(b))} (n={len(b)}); "
                 f"difference {diff:+.3f}, p = {p:.2g}")
    chosen = seed_span(range(conf["chosen_seeds"]))
    return Verdict(statistic, threshold, ok, f"cell {conf['cell']} chosen on seeds {chosen}",
                   key=f"{diff:+.3f} {fmt_p(p)}")
