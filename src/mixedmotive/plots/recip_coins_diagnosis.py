"""Coins diagnosis (docs/decisions.md C10): tables/recip_coins_diagnosis, figures/recip_coins_diagnosis and, with a
budget trend, tables/recip_coins_diagnosis_trend and figures/recip_coins_diagnosis_trend; with a
confirmation, tables/recip_coins_confirm.  The
numbers come from :mod:`mixedmotive.analysis.recip_coins_diagnosis`; this module only draws them."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..analysis.recip_coins_diagnosis import baselines, confirmation, prefix, seed_span, summary, tag_runs, trend  # noqa: E402
from ..jobs import coins_cell  # noqa: E402
from .recip_coins import _draw, _read, _save, curve  # noqa: E402
from .tables import write_table  # noqa: E402

CELL_STYLES = {False: ("tab:blue", "-", "r_RR raw"), True: ("tab:purple", "--", "r_RR z-normalised")}
BASELINES = {"nl_vs_nl": ("0.35", "-", "vs NL-PPO"), "mfos_vs_nl": ("tab:green", ":", "vs MFOS")}


def _scope(cfg: dict) -> str:
    return (f"{cfg.get('scale', '?')} scale, {cfg['episodes']} episodes per run; per run: mean over the last "
            f"{cfg['coins_final_fraction']:.0%} of episodes; mean ± SEM over seeds")


def table(inputs, out, cfg: dict) -> None:
    t = _read(inputs)
    frame = summary(t, cfg)
    note = (f"{_scope(cfg)}. Cells: the Reciprocator's r_RR weight w and whether r_RR is z-normalised over each "
            f"(T, batch) block; the cell marked (recip_coins) is the runs of the paper figures. Claim columns: "
            f"difference of the seed means and one-sided Welch p; a claim holds when the difference exceeds "
            f"{cfg['coins_margin']:g} and p is below the column's threshold: uncorrected (each cell alone), or "
            f"Bonferroni-corrected over the diagnosis cells, the test of the claims table's DIAG-RECIP-coins-cells, "
            f"which decides its verdict. C5* need Reciprocator pairs per cell "
            f"(recip_coins_diagnosis.pairings). Baselines (recip_coins' runs): {baselines(t, cfg)}.")
    write_table(frame, Path(out), title="Coins diagnosis: does any r_RR weight or normalisation reproduce the "
                "Coins claims? (diagnostic)", note=note, wrap={"cell": 18, "NL / Recip reward": 12},
                col_wrap=16)


def figure(inputs, out, cfg: dict) -> None:
    t = tag_runs(_read(inputs), cfg["main_cell"])
    t = t[t.budget == 1]
    smooth = int(cfg.get("smooth", 1) or 1)
    weights = cfg["rr_weights"]
    rows = [("p_own", 1, "NL-PPO P(own coin)"), ("p_own", 0, "Reciprocator P(own coin)")]
    fig, axes = plt.subplots(len(rows), len(weights), figsize=(4.0 * len(weights), 3.2 * len(rows)),
                             squeeze=False, sharey="row")
    for c, w in enumerate(weights):
        for r, (column, player, name) in enumerate(rows):
            ax = axes[r, c]
            for normalise in cfg["rr_normalise"]:
                colour, ls, label = CELL_STYLES[normalise]
                cell = coins_cell(w, normalise)
                x, m, s = curve(t[t.cell == cell], "reciprocator_vs_nl", player, column, smooth)
                _draw(ax, x, m, s, colour, f"vs Reciprocator, {label}" if player == 1 else label, ls)
            if player == 1:
                for pairing, (colour, ls, label) in BASELINES.items():
                    x, m, s = curve(t, pairing, 1, column, smooth)
                    _draw(ax, x, m, s, colour, label, ls, lw=1.1)
            ax.axhline(0.5, color="0.6", lw=0.6, ls=":")
            ax.set(title=f"w = {w:g}: {name}", xlabel="environment episodes played")
            ax.grid(alpha=0.25, lw=0.5)
    axes[0, 0].legend(fontsize=6.5)
    axes[1, 0].legend(fontsize=6.5)
    fig.suptitle(f"Coins diagnosis (diagnostic; {cfg.get('scale', '?')} scale, {smooth}-episode rolling mean, "
                 f"mean ± SEM over seeds; 0.5 = no preference)", fontsize=9.5)
    fig.tight_layout()
    _save(fig, out)


def _trend_note(cfg: dict) -> str:
    return (f"{cfg.get('scale', '?')} scale; recip_coins' own r_RR weight and normalisation ({cfg['main_cell']}); "
            f"{cfg['trend']['n_seeds']} seed(s): no test. Only the largest budget is trained; a smaller one is that "
            f"run's first episodes (nothing in a run depends on its length). Per budget: mean over the last "
            f"{cfg['coins_final_fraction']:.0%} of its episodes.")


def trend_table(inputs, out, cfg: dict) -> None:
    write_table(trend(_read(inputs), cfg), Path(out), title="Coins diagnosis: budget trend of NL-PPO's P(own coin) "
                "(diagnostic)", note=_trend_note(cfg))


def trend_figure(inputs, out, cfg: dict) -> None:
    t = tag_runs(_read(inputs), cfg["main_cell"])
    longest = int(t.budget.max())
    t = prefix(t[t.budget == longest], longest * cfg["episodes"])
    smooth = int(cfg.get("smooth", 1) or 1)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4), squeeze=False)
    for ax, (player, name) in zip(axes[0], ((1, "NL-PPO P(own coin)"), (0, "player 1's P(own coin)")), strict=True):
        for pairing, colour, label in (("reciprocator_vs_nl", "tab:blue", "Reciprocator vs NL-PPO"),
                                       ("nl_vs_nl", "0.35", "NL-PPO vs NL-PPO")):
            x, m, s = curve(t, pairing, player, "p_own", smooth)
            _draw(ax, x, m, s, colour, label)
        for m_ in sorted({1, *cfg["trend"]["multipliers"]}):
            if m_ < longest:
                ax.axvline(m_ * cfg["episodes"], color="0.7", lw=0.6, ls="--")
        ax.axhline(0.5, color="0.6", lw=0.6, ls=":")
        ax.set(title=name, xlabel="environment episodes played")
        ax.grid(alpha=0.25, lw=0.5)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Coins diagnosis: {longest}× the default episodes (dashed: the smaller budgets' ends; "
                 f"{smooth}-episode rolling mean)", fontsize=9.5)
    fig.tight_layout()
    _save(fig, out)


def confirm_table(inputs, out, cfg: dict) -> None:
    conf = cfg["confirm"]
    note = (f"{_scope(cfg)}. The cell {conf['cell']} (recip_coins_diagnosis.confirm.cell) is chosen from the cells' "
            f"table on seeds {seed_span(range(cfg['n_seeds']))} before its fresh seeds are trained, and tested once "
            f"on them: "
            f"RECIP-C4a's statistic, NL-PPO's P(own coin) against the cell's Reciprocator minus against another "
            f"NL-PPO; it holds when the difference exceeds {cfg['coins_margin']:g} and the one-sided Welch "
            f"p < {cfg['coins_alpha']:g} (no correction: one test). The other rows are context, not tests: the "
            f"diagnosis' seeds chose the cell, so their p is biased low.")
    write_table(confirmation(_read(inputs), cfg), Path(out), title=f"Coins confirmation: the cell {conf['cell']} "
                "re-tested on fresh seeds (diagnostic)", note=note, wrap={"seeds": 22, "NL / Recip reward": 12})
