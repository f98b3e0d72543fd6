"""AgA Table 2 and Fig. 3 (Harvest, Cleanup) and Fig. 6 (Selfish-MMM2) from the MAPPO runs' rows.

Table 2 and Fig. 3 at a larger budget (docs/decisions.md A16) are drawn by the same functions from the AgA
ablation's runs at that budget: ``cfg["budget"]`` = ``{"multiplier": m, "lam": λ, "games": {game: {ablation
variant: Table 2 variant}}}``; a variant without a Table 2 counterpart (ξ_c + 100ξ) is labelled by what it is."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .. import results  # noqa: E402
from ..analysis.aga_ablation import describe  # noqa: E402
from ..analysis.marl import as_table2, final_values  # noqa: E402
from ..analysis.metrics import fmt_pm, mean_sem  # noqa: E402
from ..methods import HEADLINE, TABLE2_BASELINES, parse_variant  # noqa: E402
from .footer import save_pdf  # noqa: E402
from .style import label  # noqa: E402
from .tables import fmt_value, write_table  # noqa: E402


def _parsed(variant: str):
    try:
        return parse_variant(variant)
    except ValueError:  # an ablation variant without a Table 2 counterpart
        return None


def variant_label(variant: str, lam: float | None = None) -> str:
    """``AgA (λ=100)``, ``Simul-Co``; an ablation variant by what it computes, with ``lam`` for its λ."""
    parsed = _parsed(variant)
    if parsed is None:
        return describe(variant).replace("λξ", f"{lam:g}ξ" if lam is not None else "λξ")
    method, lam = parsed
    return f"{label(method)} (λ={lam:g})" if lam is not None else label(method)


def variant_order(variants) -> list[str]:
    """Baselines in the paper's Table 2 order, then AgA by increasing lambda, then ablation variants."""
    base = list(TABLE2_BASELINES)
    vs = list(dict.fromkeys(variants))

    def key(v):
        parsed = _parsed(v)
        if parsed is None:
            return (2, 0, 0.0, v)
        return (int(parsed[0] == HEADLINE), base.index(v) if v in base else 99, parsed[1] or 0.0, v)

    return sorted(vs, key=key)


def at_budget(t: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """The rows Table 2 / Fig. 3 draw: ``t`` itself, or at a larger budget (``cfg["budget"]``, see the module
    docstring) the AgA ablation's runs of that budget under their Table 2 names."""
    b = cfg.get("budget")
    if not b:
        return t
    return pd.concat([as_table2(t, game, b["multiplier"], names) for game, names in b["games"].items()],
                     ignore_index=True)


def _games_text(cfg: dict) -> str:
    """``Harvest and Cleanup``: the games the table draws, in words."""
    names = [{"harvest": "Harvest", "cleanup": "Cleanup"}.get(g, g) for g in cfg.get("games") or ("harvest", "cleanup")]
    return " and ".join(names)


def budget_text(cfg: dict) -> str:
    """`` at 8× the default updates`` at a larger budget, else nothing."""
    b = cfg.get("budget")
    return f" at {b['multiplier']}× the default updates" if b else ""


def _colours(variants) -> dict:
    return dict(zip(variants, sns.color_palette("tab10", len(variants)), strict=True))


def _style(variant: str, headline: str | None) -> dict:
    if variant == headline:
        return {"lw": 2.4, "ls": "-"}
    return {"lw": 1.3, "ls": "--" if variant.startswith(HEADLINE) else "-"}


def _curve(ax, frame, column, colour, smooth, **kw) -> bool:
    """Mean ± SEM over seeds of ``column`` against environment steps (moving mean of ``smooth`` updates)."""
    per_seed = frame.pivot_table(index="env_steps", columns="seed", values=column)
    per_seed = per_seed.rolling(smooth, min_periods=1).mean()
    if per_seed.notna().sum().sum() == 0:
        return False
    mean = per_seed.mean(axis=1)
    sem = per_seed.std(axis=1, ddof=1) / np.sqrt(per_seed.notna().sum(axis=1)) if per_seed.shape[1] > 1 else None
    ax.plot(mean.index, mean.values, color=colour, **kw)
    if sem is not None:
        ax.fill_between(mean.index, (mean - sem).values, (mean + sem).values, color=colour, alpha=0.15, lw=0)
    return True


def _save(fig, out) -> None:
    save_pdf(fig, Path(out), bbox_inches="tight")
    plt.close(fig)


def _smooth(frame) -> int:
    return max(1, frame["update"].nunique() // 20)


def fig3(inputs, out, cfg: dict) -> None:
    """Collective return, equality, sustainability and beam hits against environment steps, per game."""
    t = at_budget(results.read_many(inputs), cfg)
    lam = (cfg.get("budget") or {}).get("lam")
    games = [g for g in cfg.get("games", t.game.unique()) if g in set(t.game)]
    variants = variant_order(t.variant.unique())
    col = _colours(variants)
    panels = [("collective", "collective return per episode"), ("equality", "equality E"),
              ("sustainability", "sustainability (mean apple time)"), ("hits", "beam hits per episode")]
    fig, axes = plt.subplots(len(games), len(panels), figsize=(4.2 * len(panels), 3.4 * len(games)), squeeze=False)
    for r, game in enumerate(games):
        g = t[t.game == game]
        smooth = _smooth(g)
        for c, (column, name) in enumerate(panels):
            ax = axes[r, c]
            drawn = [_curve(ax, g[g.variant == v], column, col[v], smooth, label=variant_label(v, lam),
                            **_style(v, cfg.get("headline"))) for v in variants]
            if not any(drawn):
                ax.text(0.5, 0.5, "undefined in every update\n(E needs a positive collective return)"
                        if column == "equality" else "no data", ha="center", va="center", transform=ax.transAxes)
            ax.set(title=f"{game.capitalize()}: {name}", xlabel="environment steps")
            if column == "equality":  # E is unbounded below when some agents' returns are negative
                ax.set_ylim(max(-1.0, ax.get_ylim()[0]), 1.02)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, ncol=2)
    n_seeds = t.groupby("variant").seed.nunique().min()
    fig.suptitle(f"AgA in the sequential social dilemmas{budget_text(cfg)} ({cfg.get('scale', '?')} scale: "
                 f"{cfg.get('n_agents')} agents, "
                 f"episodes of {cfg.get('T')} steps; mean ± SEM over {n_seeds} seeds, moving mean of "
                 f"{_smooth(t)} updates)", fontsize=10)
    fig.tight_layout()
    _save(fig, out)


UNDEFINED_E = "undefined (Σr ≤ 0)"


def _mean_sem_cell(values: pd.Series, digits: int, undefined: str) -> str:
    """'mean ± SEM' over the seeds with a value; ``undefined`` when no seed has one."""
    return fmt_pm(*mean_sem(values), digits=digits) if values.notna().any() else undefined


def table2_frame(t: pd.DataFrame, fraction: float, games=None, lam: float | None = None) -> pd.DataFrame:
    rows = []
    games = [g for g in games if g in set(t.game)] if games else sorted(set(t.game), key=lambda g: g != "harvest")
    finals = {(g, c): final_values(t[t.game == g], c, fraction) for g in games for c in ("equality", "collective")}
    for v in variant_order(t.variant.unique()):
        row = {"method": variant_label(v, lam)}
        for g in games:
            e = finals[g, "equality"]
            e = e[e.variant == v]["equality"]
            sw = finals[g, "collective"]
            sw = sw[sw.variant == v]["collective"]
            row[f"{g.capitalize()} E"] = _mean_sem_cell(e, 3, UNDEFINED_E)
            row[f"{g.capitalize()} collective return"] = _mean_sem_cell(sw, 1, "no data")
            row[f"{g.capitalize()} seeds"] = f"{int(e.notna().sum())}/{len(e)}"
        rows.append(row)
    return pd.DataFrame(rows)


def table2(inputs, out, cfg: dict) -> None:
    t = at_budget(results.read_many(inputs), cfg)
    fraction = cfg["final_fraction"]
    b = cfg.get("budget")
    runs = (f"runs: the AgA ablation's at {b['multiplier']}× ({b['multiplier'] * cfg['updates']} updates of "
            f"{cfg['horizon'] * cfg['batch']} environment steps; docs/decisions.md A16); " if b else "")
    write_table(table2_frame(t, fraction, cfg.get("games"), (b or {}).get("lam")), Path(out),
                title=f"Table 2{budget_text(cfg)}: average equality E in {_games_text(cfg)} (mean ± SEM over seeds; "
                "higher is better)",
                note=(f"{cfg.get('scale', '?')} scale; {runs}per run: mean over the last {fraction:.0%} of updates "
                      "of the "
                      "per-episode E = 1 - ΣΣ|ri-rj| / (2N Σ ri) (episodes with Σ ri ≤ 0 skipped; E < 0 when some "
                      "agents' returns are negative); "
                      f"{UNDEFINED_E} = no episode in that window of any seed had a positive collective return; "
                      "seeds = runs with a defined E / runs; collective return = Σ_i episode return; "
                      "± SEM = std(ddof=1) / √n over seeds, left out with one seed"))


def fig6(inputs, out, cfg: dict) -> None:
    """Win rate and mean per-agent return against environment steps, every variant."""
    t = results.read_many(inputs)
    variants = variant_order(t.variant.unique())
    col = _colours(variants)
    smooth = _smooth(t)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    for v in variants:
        for ax, column in zip(axes, ("win_rate", "return_mean"), strict=True):
            _curve(ax, t[t.variant == v], column, col[v], smooth, label=variant_label(v),
                   **_style(v, cfg.get("headline")))
    axes[0].set(title="(a) win rate", xlabel="environment steps", ylim=(-0.02, 1.02))
    axes[1].set(title="(b) mean per-agent (selfish) return per episode", xlabel="environment steps")
    for ax in axes:
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
        ax.grid(alpha=0.3)
    # one legend for both panels
    shared = {lab: h for ax in axes for h, lab in zip(*ax.get_legend_handles_labels(), strict=True)}
    fig.legend(shared.values(), shared.keys(), loc="outside lower center", ncol=min(len(shared), 6), fontsize=8,
               frameon=False)
    fig.suptitle(f"Selfish-MMM2 ({cfg.get('backend', 'embedded')} backend, {cfg.get('scale', '?')} scale; "
                 f"mean ± SEM over {t.groupby('variant').seed.nunique().min()} seeds, "
                 f"moving mean of {smooth} updates)", fontsize=10)
    _save(fig, out)


def hyperparameter_frame(cfg: dict) -> pd.DataFrame:
    """Multi-agent PPO settings of Harvest/Cleanup and Selfish-MMM2, every value from ``cfg``.

    ``cfg``: {"aga_ssd": ..., "aga_mmm2": ..., "mmm2_backend": ...}.
    """
    ssd, mm, f = cfg["aga_ssd"], cfg["aga_mmm2"], fmt_value

    def actor(net, obs):
        conv = (f"3×3 conv, {net['actor_channels']} ch per agent, ReLU; " if net.get("actor_channels", 0) else "")
        return f"{conv}{obs} → MLP {net['actor_hidden']} (ReLU) → logits"

    def critic(net, state):
        conv = (f"3×3 conv stride 2, {net['critic_channels']} ch, ReLU; "
                if "critic_channels" in net and state == "map" else "")
        return f"{conv}{state} → MLP {net['critic_hidden']} → N + 1 values"

    rows = [
        ("variants", ", ".join(ssd["variants"]), ", ".join(mm["variants"])),
        ("seeds", f(ssd["n_seeds"]), f(mm["n_seeds"])),
        ("agents", f(ssd["n_agents"]), "10 (vs 12 scripted)"),
        ("episode length", f(ssd["T"]), f"≤ {mm['episode_limit']}"),
        ("parallel games", f(ssd["batch"]), f(mm["batch"])),
        ("rollout steps per update", f(ssd["horizon"]), f(mm["horizon"])),
        ("updates", f(ssd["updates"]), f(mm["updates"])),
        ("environment steps per run", f(ssd["updates"] * ssd["horizon"] * ssd["batch"]),
         f(mm["updates"] * mm["horizon"] * mm["batch"])),
        ("actor (one per agent)", actor(ssd["network"], "15×15 egocentric view"),
         actor(mm["network"], "176-dim observation")),
        ("critic (centralised)", critic(ssd["network"], "map"), critic(mm["network"], "322-dim state")),
        ("backend", "embedded", cfg.get("mmm2_backend", "embedded")),
        ("Harvest regrowth window", f(ssd["harvest_regrowth_window"]), "—"),
    ]
    for key in ssd["mappo"]:
        rows.append((f"mappo.{key}", f(ssd["mappo"][key]), f(mm["mappo"].get(key, "—"))))
    return pd.DataFrame(rows, columns=["parameter", "Harvest / Cleanup", "Selfish-MMM2"])


def hyperparameters(inputs, out, cfg: dict) -> None:
    """tables/aga_hyperparameters.{pdf,csv,tex}; inputs unused."""
    write_table(hyperparameter_frame(cfg), Path(out),
                title=f"AgA multi-agent PPO hyper-parameters ({cfg.get('scale', '?')} scale)",
                note="Values are the live config (sections aga_ssd, aga_mmm2, mmm2_backend); choices: "
                     "docs/decisions.md A1-A11.",
                wrap={"parameter": 26, "Harvest / Cleanup": 44, "Selfish-MMM2": 44})
