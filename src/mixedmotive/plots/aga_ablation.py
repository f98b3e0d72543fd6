"""AgA ablation (docs/decisions.md A12): tables/aga_ablation, figures/aga_ablation_curves and, with a budget
trend, tables/aga_ablation_trend and figures/aga_ablation_trend.  The numbers come from
:mod:`mixedmotive.analysis.aga_ablation`; this module only draws them."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

from .. import results  # noqa: E402
from ..analysis.aga_ablation import (  # noqa: E402
    GAME_TITLES,
    describe,
    layers,
    runs_at_budget,
    summary,
    trend,
    with_prefixes,
    with_reused,
)
from ..analysis.marl import final_values  # noqa: E402
from ..methods import COLLECTIVE, HEADLINE, INDIVIDUAL  # noqa: E402
from .aga_marl import _curve, _save, _smooth  # noqa: E402
from .style import colour  # noqa: E402
from .tables import write_table  # noqa: E402

# the references in the package's method colours, the paper's AgA in black and thick, every other
# variant a colour of its own and a dashed or dotted line (SGD variants dotted)
FIXED = {m: colour(m) for m in (INDIVIDUAL, COLLECTIVE, HEADLINE)}
OTHERS = ["#E69F00", "#D55E00", "#CC79A7", "#56B4E9", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd"]
PIECES = {"xi": ("ξ", "#0072B2"), "xi_c": ("ξ_c", "#009E73"), "h_xi_c": ("H_cξ_c", "#D55E00")}
LAYER_STYLES = ["-", "--", ":", "-."]


def _colour_map(variants) -> dict:
    out, rest = {}, iter(OTHERS * 3)
    for v in variants:
        out[v] = FIXED.get(v) or next(rest)
    return out


def _line(v: str) -> dict:
    if v == HEADLINE:
        return {"lw": 2.4, "ls": "-"}
    if v.endswith("sgd"):
        return {"lw": 1.3, "ls": ":"}
    return {"lw": 1.3, "ls": "-" if v in FIXED else "--"}


def _note(cfg: dict, fraction: float) -> str:
    return (f"{cfg.get('scale', '?')} scale; |λ| = {cfg.get('lam', 100):g}; each game at the budget of its Table 2 / "
            f"Fig. 6 runs. Per run: mean over the last {fraction:.0%} of updates (collective return, E, policy "
            "entropy; uniform policy: ln 8 = 2.08 in Harvest, ln 9 = 2.20 in Cleanup); P(λ' > 0), ‖H_cξ_c‖/‖ξ‖ "
            "and the share of coordinates with |H_cξ_c| > |ξ|: means over all updates, for the hidden layers (input "
            "side first; the 0.01-initialised output layer is left out). Δ vs Simul-Ind: difference of the means of "
            "the collective return, with the one-sided Welch p of 'better than Simul-Ind'. mean ± SEM over seeds.")


def table(inputs, out, cfg: dict) -> None:
    t = with_reused(results.read_many(inputs), cfg.get("reuse"))
    fraction = cfg["final_fraction"]
    frame = summary(t, cfg["games"], fraction)
    write_table(frame, Path(out),
                title="AgA ablation: which reading of AgA learns (collective return, higher is better)",
                note=_note(cfg, fraction),
                wrap={"what": 26, "‖H_cξ_c‖/‖ξ‖ hidden": 16, "|H_cξ_c|>|ξ| share hidden": 12})


def _norm_panel(ax, g) -> None:
    """Per-layer norms of the paper's AgA's ξ, ξ_c and H_cξ_c (mean over seeds) against environment steps."""
    a = g[g.variant == HEADLINE]
    if a.empty:
        ax.text(0.5, 0.5, "no run of the paper's AgA", ha="center", va="center", transform=ax.transAxes)
        return
    for k, layer in enumerate(layers(a)):
        for piece, (name, piece_colour) in PIECES.items():
            col = f"norm_{piece}_{layer}"
            if col in a and a[col].notna().any():
                m = a.groupby("env_steps")[col].mean()
                ax.plot(m.index, m.values, color=piece_colour, ls=LAYER_STYLES[k % 4], lw=1.2,
                        label=f"{name} {layer}")
    ax.set_yscale("log")
    ax.legend(fontsize=6, ncol=3)


def curves(inputs, out, cfg: dict) -> None:
    t = runs_at_budget(with_reused(results.read_many(inputs), cfg.get("reuse")))
    games = [g for g in GAME_TITLES if g in cfg["games"] and g in set(t.game)]
    order = list(dict.fromkeys(v for g in games for v in cfg["games"][g]))
    colour = _colour_map(order)
    panels = [("collective", "collective return per episode"), ("equality", "equality E"),
              ("entropy", "policy entropy"), (None, "AgA (paper's reading): per-layer gradient norms")]
    fig, axes = plt.subplots(len(games), len(panels), figsize=(4.4 * len(panels), 3.5 * len(games)), squeeze=False)
    for r, game in enumerate(games):
        g = t[t.game == game]
        smooth = _smooth(g)
        for c, (column, name) in enumerate(panels):
            ax = axes[r, c]
            if column is None:
                _norm_panel(ax, g)
            else:
                for v in cfg["games"][game]:
                    _curve(ax, g[g.variant == v], column, colour[v], smooth, label=describe(v), **_line(v))
                if column == "equality":
                    ax.set_ylim(max(-1.0, ax.get_ylim()[0]), 1.02)
            ax.set(title=f"{GAME_TITLES.get(game, game)}: {name}", xlabel="environment steps")
            ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
            ax.grid(alpha=0.3)
    handles = {}
    for ax in axes[:, 0]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center", ncol=3, fontsize=8,
               bbox_to_anchor=(0.5, -0.01 - 0.025 * max(0, (len(handles) - 9) // 3)))
    n_seeds = t.groupby(["game", "variant"]).seed.nunique().min()
    fig.suptitle(f"AgA ablation ({cfg.get('scale', '?')} scale, |λ| = {cfg.get('lam', 100):g}; mean ± SEM over "
                 f"{n_seeds} seeds, moving mean of {_smooth(t)} updates)", fontsize=10)
    fig.tight_layout(rect=(0, 0.06 + 0.012 * len(handles) / 3, 1, 1))
    _save(fig, out)


def trend_table(inputs, out, cfg: dict) -> None:
    tr = cfg["trend"]
    t = with_reused(results.read_many(inputs), cfg.get("reuse"))
    frame = trend(t, tr["game"], tr["variants"], cfg["final_fraction"], tr["multipliers"])
    write_table(frame, Path(out), title=f"AgA ablation: budget trend in {GAME_TITLES.get(tr['game'], tr['game'])} "
                "(collective return; is the gap to Simul-Ind closing?)",
                note=(f"{cfg.get('scale', '?')} scale; budget = multiple of the game's default updates; per run: mean "
                      f"over the last {cfg['final_fraction']:.0%} of updates; mean ± SEM over seeds (the 1× row uses "
                      f"the ablation's {cfg.get('n_seeds', 'all')} seeds, larger budgets {tr['n_seeds']} seed(s): "
                      "no SEM with one). Only the largest budget is trained; a smaller one is that run's first "
                      "updates (runs are deterministic per seed and do not depend on their length)."),
                wrap={"what": 34})


def trend_curves(inputs, out, cfg: dict) -> None:
    tr = cfg["trend"]
    t = with_reused(results.read_many(inputs), cfg.get("reuse"))
    t = with_prefixes(t[t.game == tr["game"]], tr["multipliers"])
    budgets = sorted(t["budget"].unique())
    colour = _colour_map(tr["variants"])
    n_cols = min(3, len(budgets) + 1)
    n_rows = -(-(len(budgets) + 1) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.4 * n_cols, 3.6 * n_rows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(budgets) + 1:]:
        ax.set_visible(False)
    for k, b in enumerate(budgets):
        ax = axes[k]
        g = t[t["budget"] == b]
        for v in tr["variants"]:
            _curve(ax, g[g.variant == v], "collective", colour[v], _smooth(g), label=describe(v), **_line(v))
        ax.set(title=f"{b:g}× budget: collective return", xlabel="environment steps")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
        ax.grid(alpha=0.3)
    ax = axes[len(budgets)]
    for v in tr["variants"]:
        pts = []
        for b in budgets:
            f = final_values(t[(t["budget"] == b) & (t.variant == v)], "collective", cfg["final_fraction"])
            if len(f):
                pts.append((b, f["collective"].mean()))
        if pts:
            x, y = np.array(pts).T
            ax.plot(x, y, marker="o", color=colour[v], label=describe(v), **_line(v))
    ax.set(xscale="log", title="end-of-training collective return vs budget", xlabel="budget (× default updates)")
    ax.set_xticks(budgets, [f"{b:g}×" for b in budgets])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"AgA ablation: budget trend in {GAME_TITLES.get(tr['game'], tr['game'])} "
                 f"({cfg.get('scale', '?')} scale; larger budgets {tr['n_seeds']} seed(s))", fontsize=10)
    fig.tight_layout()
    _save(fig, out)
