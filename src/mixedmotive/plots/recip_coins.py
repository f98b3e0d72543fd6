"""Reciprocators Coins figures (pp. 7, 8, 14), the payoff figure (Fig. 1) and the hyper-parameter table.

Every function is ``f(inputs, out, cfg)``: ``inputs`` are raw results of the experiment
``recip_coins`` (one row per pairing, seed, episode and player; see
:mod:`mixedmotive.experiments.recip_coins`), ``out`` the PDF to write, ``cfg`` the config
section ``recip_coins`` (``hyperparameters`` takes a dict of three sections instead and
``fig1_payoffs`` reads no results).

x axis (all curves): environment episodes played
--------------------------------------------------
* Non-MFOS pairings: one point per episode at x = episode + 1 (the rollout of 0-based
  episode e is the (e+1)-th episode played).  Each seed's per-episode values are
  smoothed by a centred rolling mean over ``cfg['smooth']`` episodes (``min_periods=1``,
  NaN ignored), then the curve is the mean ± SEM over seeds.
* MFOS pairings (``meta_episode >= 0``) are plotted per meta-episode, with markers: the
  NL opponent is re-initialised every meta-episode, so the per-episode values are
  averaged within each meta-episode (no rolling mean) and placed at
  x = (meta_episode + 1) * inner_episodes, the environment episodes played by the end of
  that meta-episode (``inner_episodes`` from ``cfg['mfos']``, else inferred from the data);
  then mean ± SEM over seeds.
* SEM = std(ddof=1) / sqrt(n) over the n seeds that have a value at that x; no band for
  n = 1.  P(own coin) of a point is the mean of the ``p_own`` rows (NaN ignored).

Combining the two players of one run (``player="sum"`` / ``"mean"`` in :func:`curve`)
happens per episode, before the smoothing or meta-episode averaging.

Colours: Reciprocator tab:blue, MFOS tab:green, NL-PPO tab:orange.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from .. import results  # noqa: E402
from .footer import save_pdf  # noqa: E402
from .tables import fmt_value, write_table  # noqa: E402

COLOURS = {"reciprocator": "tab:blue", "mfos": "tab:green", "nl": "tab:orange"}
NAMES = {"reciprocator": "Reciprocator", "mfos": "MFOS", "nl": "NL-PPO"}
VS_NL = ("reciprocator_vs_nl", "mfos_vs_nl", "nl_vs_nl")
SYMMETRIC = ("reciprocator_vs_reciprocator", "mfos_vs_mfos", "nl_vs_nl")
COIN_STYLES = {"own": "-", "other": "--", "total": ":"}
PLAYER_STYLES = ("-", "--")
AGENT_COLOURS = ("tab:red", "tab:blue")  # Coins agent 1 / agent 2 and their coins
NA = "—"
OBS_CHANNELS = 4  # a Coins observation: 2 agents' positions + 2 coins' (experiments.recip_coins.make_player)


# ------------------------------------------------------------------------- data helpers


def is_meta(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` (one pairing) is an MFOS run with meta-episodes."""
    return "meta_episode" in frame.columns and bool((frame.meta_episode >= 0).any())


def curve(frame: pd.DataFrame, pairing: str, player, column: str, smooth: int = 1,
          inner: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, mean over seeds and SEM over seeds of ``column`` in ``pairing`` (x-axis rule: module doc).

    ``player``: 0 or 1, ``"sum"`` (sum over both players per episode) or ``"mean"`` (mean
    over both players per episode, NaN ignored).  SEM is NaN where fewer than 2 seeds.
    Empty arrays when the pairing (or player) has no rows.
    """
    f = frame[frame.pairing == pairing]
    if isinstance(player, str):
        if player not in ("sum", "mean"):
            raise ValueError(f"player must be 0, 1, 'sum' or 'mean', got {player!r}")
        how = player
    else:
        f, how = f[f.player == player], "mean"
    empty = np.array([], dtype=float)
    if f.empty:
        return empty, empty, empty
    meta = is_meta(f)
    keys = ["seed", "episode"] + (["meta_episode"] if meta else [])
    grouped = f.groupby(keys)[column]
    per_ep = (grouped.sum(min_count=1) if how == "sum" else grouped.mean()).reset_index()
    if meta:
        if inner is None:
            inner = int(f.groupby(["seed", "meta_episode"]).episode.nunique().max())
        pts = per_ep.groupby(["seed", "meta_episode"])[column].mean().reset_index()
        pts["x"] = (pts.meta_episode + 1) * int(inner)
    else:
        window = max(1, int(smooth or 1))
        parts = []
        for seed, s in per_ep.groupby("seed"):
            s = s.sort_values("episode")
            y = s[column].rolling(window, center=True, min_periods=1).mean()
            parts.append(pd.DataFrame({"seed": seed, "x": s.episode.to_numpy() + 1, column: y.to_numpy()}))
        pts = pd.concat(parts, ignore_index=True)
    wide = pts.pivot(index="x", columns="seed", values=column).sort_index()
    n = wide.count(axis=1)
    mean = wide.mean(axis=1)
    sem = wide.std(axis=1, ddof=1) / np.sqrt(n)
    sem[n < 2] = np.nan
    return wide.index.to_numpy(dtype=float), mean.to_numpy(dtype=float), sem.to_numpy(dtype=float)


def _kinds(pairing: str) -> tuple[str, str]:
    a, _, b = pairing.partition("_vs_")
    return a, b


def pairing_label(pairing: str) -> str:
    a, b = _kinds(pairing)
    return f"{NAMES.get(a, a)} vs {NAMES.get(b, b)}"


def seeds_text(frame: pd.DataFrame, pairings) -> str:
    """'3 seeds' or '2–3 seeds' over the pairings present."""
    counts = sorted({int(frame[frame.pairing == p].seed.nunique()) for p in pairings if (frame.pairing == p).any()})
    if not counts:
        return "0 seeds"
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"{n} seed{'s' if counts[-1] != 1 else ''}"


def _read(inputs) -> pd.DataFrame:
    frame = results.read_many(inputs)
    if frame.empty:
        raise ValueError("no Coins results to plot")
    return frame


def _settings(cfg: dict) -> tuple[int, int | None]:
    smooth = int(cfg.get("smooth", 1) or 1)
    inner = (cfg.get("mfos") or {}).get("inner_episodes")
    return smooth, (int(inner) if inner else None)


def _draw(ax, x, mean, sem, colour, label=None, ls="-", meta=False, lw=1.5) -> None:
    if len(x) == 0:
        return
    ax.plot(x, mean, color=colour, ls=ls, lw=lw, label=label, marker="o" if meta else None, ms=3.5)
    ok = np.isfinite(sem)
    if ok.any():
        ax.fill_between(x, np.where(ok, mean - sem, np.nan), np.where(ok, mean + sem, np.nan), color=colour,
                        alpha=0.18, lw=0)


def _plot(ax, frame, pairing, player, column, smooth, inner, colour, label=None, ls="-") -> bool:
    f = frame[frame.pairing == pairing]
    if f.empty:
        return False
    x, m, s = curve(frame, pairing, player, column, smooth, inner)
    _draw(ax, x, m, s, colour, label, ls, meta=is_meta(f))
    return len(x) > 0


def _coins_label(cfg: dict, what: str = "") -> str:
    steps = f"{cfg['T']} Steps" if cfg.get("T") else "per Episode"
    return f"Average {what}Coin Count ({steps})"


def _reward_label(cfg: dict, prefix: str = "Total Reward") -> str:
    return f"{prefix} ({cfg['T']} steps)" if cfg.get("T") else f"{prefix} (per episode)"


def _axis_note(smooth: int, inner: int | None) -> str:
    m = f"{inner} episodes" if inner else "inner episodes"
    return (f"x: environment episodes played; {smooth}-episode centred rolling mean per seed; "
            f"MFOS (markers): mean per meta-episode of {m}")


def _missing(ax, text="no data") -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.5")


def _save(fig, out) -> None:
    save_pdf(fig, Path(out))
    plt.close(fig)


def _finish(fig, axes, title, smooth, inner) -> None:
    for ax in axes:
        ax.set_xlabel("Environment episodes played")
        ax.grid(alpha=0.25, lw=0.5)
    fig.suptitle(f"{title}\n{_axis_note(smooth, inner)}", fontsize=9.5)


# ------------------------------------------------------------------------------ figures


def fig3(inputs, out, cfg: dict) -> None:
    """NL-PPO P(own coin) against three opponents; own/other/total coins in Reciprocator vs NL-PPO."""
    frame = _read(inputs)
    smooth, inner = _settings(cfg)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    any_left = False
    for p in VS_NL:
        any_left |= _plot(left, frame, p, 1, "p_own", smooth, inner, COLOURS[_kinds(p)[0]],
                          f"vs {NAMES[_kinds(p)[0]]}")
    left.axhline(0.5, color="0.4", ls="--", lw=1, label="0.5")
    left.set(ylim=(0, 1), ylabel="NL-PPO P(Own Coin)",
             title=f"NL-PPO P(own coin) ({seeds_text(frame, VS_NL)}, mean ± SEM)")
    left.legend(fontsize=8, loc="lower left")
    if not any_left:
        _missing(left)
    p = "reciprocator_vs_nl"
    drawn = False
    for player in (0, 1):
        for col, ls in COIN_STYLES.items():
            drawn |= _plot(right, frame, p, player, col, smooth, inner, COLOURS[_kinds(p)[player]], ls=ls)
    right.set(ylabel=_coins_label(cfg), ylim=(0, None),
              title=f"Reciprocator vs NL-PPO ({seeds_text(frame, [p])}, mean ± SEM)")
    handles = [Line2D([], [], color=COLOURS[k], label=NAMES[k]) for k in ("reciprocator", "nl")]
    handles += [Line2D([], [], color="0.3", ls=ls, label=col) for col, ls in COIN_STYLES.items()]
    right.legend(handles=handles, fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    if not drawn:
        _missing(right)
    at = f" at {cfg['budget']}" if cfg.get("budget") else ""  # e.g. the paper's settings (docs/decisions.md A16)
    _finish(fig, (left, right), f"Coins: NL-PPO against Reciprocator, MFOS and NL-PPO{at}", smooth, inner)
    _save(fig, out)


def fig4(inputs, out, cfg: dict) -> None:
    """Symmetric pairings: total reward of both players and their mean P(own coin)."""
    frame = _read(inputs)
    smooth, inner = _settings(cfg)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    drawn = False
    for p in SYMMETRIC:
        c = COLOURS[_kinds(p)[0]]
        drawn |= _plot(left, frame, p, "sum", "reward", smooth, inner, c, pairing_label(p))
        _plot(right, frame, p, "mean", "p_own", smooth, inner, c, pairing_label(p))
    if not drawn:
        _missing(left), _missing(right)
    n = seeds_text(frame, SYMMETRIC)
    left.set(ylabel=_reward_label(cfg), title=f"Total reward of both players ({n}, mean ± SEM)")
    right.axhline(0.5, color="0.4", ls="--", lw=1, label="0.5")
    right.set(ylim=(0, 1), ylabel="P(Own Coin)", title=f"P(own coin), mean of both players ({n}, mean ± SEM)")
    if drawn:
        left.legend(fontsize=8, loc="best")
    right.legend(fontsize=8, loc="lower left")
    _finish(fig, (left, right), "Coins: head-to-head (symmetric pairings)", smooth, inner)
    _save(fig, out)


def fig_a_symmetric(inputs, out, cfg: dict) -> None:
    """Appendix: per-player reward, P(own coin), own and other coins in each symmetric pairing."""
    frame = _read(inputs)
    smooth, inner = _settings(cfg)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)
    panels = [("reward", _reward_label(cfg, "Reward")), ("p_own", "P(Own Coin)"),
              ("own", _coins_label(cfg, "Own ")), ("other", _coins_label(cfg, "Other's "))]
    n = seeds_text(frame, SYMMETRIC)
    titles = {"reward": "Extrinsic reward per player", "p_own": "P(own coin) per player",
              "own": "Own coins per player", "other": "Other's coins per player"}
    drawn = False
    for ax, (col, ylabel) in zip(axes.flat, panels, strict=True):
        for p in SYMMETRIC:
            for player in (0, 1):
                drawn |= _plot(ax, frame, p, player, col, smooth, inner, COLOURS[_kinds(p)[0]],
                               ls=PLAYER_STYLES[player])
        if col == "p_own":
            ax.axhline(0.5, color="0.4", ls=":", lw=1)
            ax.set_ylim(0, 1)
        elif col != "reward":
            ax.set_ylim(0, None)
        ax.set(ylabel=ylabel, title=f"{titles[col]} ({n}, mean ± SEM)")
    if not drawn:
        for ax in axes.flat:
            _missing(ax)
    handles = [Line2D([], [], color=COLOURS[_kinds(p)[0]], label=pairing_label(p)) for p in SYMMETRIC]
    handles += [Line2D([], [], color="0.3", ls=ls, label=f"player {i + 1}") for i, ls in enumerate(PLAYER_STYLES)]
    fig.legend(handles=handles, fontsize=8, ncol=5, loc="outside lower center", frameon=False)
    _finish(fig, axes.flat, "Coins: symmetric pairings per player", smooth, inner)
    _save(fig, out)


def fig_a_vs_nl(inputs, out, cfg: dict) -> None:
    """Appendix: the NL-PPO's P(own coin) and total coins (opponents' total coins dashed)."""
    frame = _read(inputs)
    smooth, inner = _settings(cfg)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    drawn = False
    for p in VS_NL:
        opp = _kinds(p)[0]
        c = COLOURS[opp]
        drawn |= _plot(left, frame, p, 1, "p_own", smooth, inner, c, f"vs {NAMES[opp]}")
        _plot(right, frame, p, 1, "total", smooth, inner, c, f"vs {NAMES[opp]}")
        _plot(right, frame, p, 0, "total", smooth, inner, c, ls="--")
    if not drawn:
        _missing(left), _missing(right)
    n = seeds_text(frame, VS_NL)
    left.axhline(0.5, color="0.4", ls="--", lw=1, label="0.5")
    left.set(ylim=(0, 1), ylabel="NL-PPO P(Own Coin)", title=f"NL-PPO P(own coin) ({n}, mean ± SEM)")
    left.legend(fontsize=8, loc="lower left")
    right.set(ylim=(0, None), ylabel="NL-PPO Total Coins",
              title=f"Total coins per episode ({n}, mean ± SEM)")
    handles = [Line2D([], [], color=COLOURS[_kinds(p)[0]], label=f"vs {NAMES[_kinds(p)[0]]}") for p in VS_NL]
    handles += [Line2D([], [], color="0.3", ls="-", label="NL-PPO"),
                Line2D([], [], color="0.3", ls="--", label="opponent")]
    right.legend(handles=handles, fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    _finish(fig, (left, right), "Coins: the NL-PPO against three opponents", smooth, inner)
    _save(fig, out)


# ---------------------------------------------------------------------- Fig. 1 payoffs


def payoff_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(IPD, Coins) payoffs from the environments' definitions.

    IPD: index player 1's action ("C", "D"), columns player 2's; each cell the tuple
    (player 1's, player 2's) payoff from ``envs.ipd.PAYOFF_ROW/PAYOFF_COL`` (row-view
    states CC, CD, DC, DD).  Coins: index the events of ``envs.coins.reward_table()``,
    columns "agent 1 (red)", "agent 2 (blue)".
    """
    from ..envs.coins import reward_table
    from ..envs.ipd import PAYOFF_COL, PAYOFF_ROW

    acts = ("C", "D")
    ipd = pd.DataFrame([[(PAYOFF_ROW[2 * i + j], PAYOFF_COL[2 * i + j]) for j in range(2)] for i in range(2)],
                       index=pd.Index(acts, name="player 1"), columns=pd.Index(acts, name="player 2"))
    table = reward_table(2)
    coins = pd.DataFrame([list(v) for v in table.values()], index=pd.Index(list(table), name="event"),
                         columns=["agent 1 (red)", "agent 2 (blue)"])
    return ipd, coins


_EVENT_TEXT = {"own coin": "agent 1 takes\nits own coin", "other's coin": "agent 1 takes\nagent 2's coin",
               "same coin": "both take\nagent 1's coin"}


def _g(v: float) -> str:
    return f"{v:+g}" if v else "0"


def _grid_drawing(ax) -> None:
    g = 3
    for r in range(g):
        for c in range(g):
            ax.add_patch(Rectangle((c, g - 1 - r), 1, 1, fill=False, lw=1, color="0.5"))
    # agent = filled circle, coin = small ring of the same colour
    for (r, c), colour in zip(((0, 0), (2, 1)), AGENT_COLOURS, strict=True):
        ax.add_patch(Circle((c + 0.5, g - 0.5 - r), 0.32, color=colour))
    for (r, c), colour in zip(((1, 2), (0, 2)), AGENT_COLOURS, strict=True):
        ax.add_patch(Circle((c + 0.5, g - 0.5 - r), 0.18, facecolor="gold", edgecolor=colour, lw=3))
    ax.set(xlim=(-0.1, g + 0.1), ylim=(-0.1, g + 0.1), aspect="equal")
    ax.axis("off")
    ax.set_title(f"(c) Coins grid, {g}×{g} torus:\nagents (discs), coins\n(rings, owner's colour)", fontsize=10,
                 y=-0.08, va="top")


def fig1_payoffs(inputs, out, cfg: dict) -> None:
    """(a) the IPD payoff matrix, (b) the Coins rewards, (c) a sketch of the Coins grid; inputs unused."""
    ipd, coins = payoff_frames()
    fig = plt.figure(figsize=(11, 3.6), constrained_layout=True)
    gs = fig.add_gridspec(1, 3, width_ratios=[1.0, 1.35, 0.6])
    ax = fig.add_subplot(gs[0])
    for i, a in enumerate(ipd.index):
        for j, b in enumerate(ipd.columns):
            ax.add_patch(Rectangle((j, 1 - i), 1, 1, fill=False, lw=1.2))
            r, c = ipd.loc[a, b]
            ax.text(j + 0.5, 1.5 - i, f"({r:g}, {c:g})", ha="center", va="center", fontsize=12)
        ax.text(-0.08, 1.5 - i, a, ha="right", va="center", fontsize=12, weight="bold")
    for j, b in enumerate(ipd.columns):
        ax.text(j + 0.5, 2.08, b, ha="center", va="bottom", fontsize=12, weight="bold")
    ax.text(-0.45, 1, "player 1", rotation=90, ha="center", va="center", fontsize=10)
    ax.text(1, 2.42, "player 2", ha="center", va="center", fontsize=10)
    ax.set(xlim=(-0.6, 2.1), ylim=(-0.1, 2.6), aspect="equal")
    ax.axis("off")
    ax.set_title("(a) IPD payoffs (player 1, player 2)", fontsize=10, y=-0.08)

    ax = fig.add_subplot(gs[1])
    ax.axis("off")
    cells = [[_EVENT_TEXT.get(e, e)] + [_g(v) for v in row]
             for e, row in zip(coins.index, coins.to_numpy(), strict=True)]
    table = ax.table(cellText=cells, colLabels=["event (one step)"] + list(coins.columns), loc="center",
                     cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    for (r, c), cell in table.get_celld().items():
        cell.set_height(0.2 if r else 0.11)
        cell.set_width(0.36 if c == 0 else 0.3)
        if r == 0:
            cell.set_text_props(weight="bold", color=AGENT_COLOURS[c - 1] if c else "k")
    ax.set_title("(b) Coins rewards of each agent", fontsize=10, y=-0.08)
    _grid_drawing(fig.add_subplot(gs[2]))
    _save(fig, out)


# ------------------------------------------------------------------ hyper-parameter table


def _count(n, unit: str) -> str:
    return f"{fmt_value(n)} {unit}{'' if n == 1 else 's'}"


def hyperparameter_frame(cfg: dict) -> pd.DataFrame:
    """One frame of Tables A (PPO), B (Reciprocator) and D (MFOS, Coins), every value from ``cfg``.

    ``cfg``: {"recip_ipd_analytic": ..., "recip_ipd_rollout": ..., "recip_coins": ...}.
    Columns: table, parameter, IPD-Analytic, IPD-Rollout, Coins ("—" = not applicable).
    """
    from ..agents.coins_mfos import META_CHANNELS
    from ..agents.ipd_rollout import ENCODINGS
    from ..envs.coins import ACTION_NAMES

    an, ro, co = cfg["recip_ipd_analytic"], cfg["recip_ipd_rollout"], cfg["recip_coins"]
    ar, pp, rc, mf = an["reciprocator"], co["ppo"], co["reciprocator"], co["mfos"]
    f = fmt_value
    grid, n_act = co["grid"], len(ACTION_NAMES)
    enc = ro.get("state_encoding", "onehot5")
    d, lat = ENCODINGS.get(enc, enc), ro["latent"]

    def conv(p, c_in):
        return f"2 × 3×3 circular conv ({c_in} → {p['channels']} → {p['channels']} ch), ReLU"

    def linear(p):
        return f"Linear({p['channels']}·{grid}·{grid} → {p['latent']}), ReLU"

    def gru(p):
        return f"GRU({p['latent']} → {p['latent']}), ReLU; heads Linear → {n_act} actions / 1 value"

    A, B, D = "A: PPO", "B: Reciprocator", "D: MFOS (Coins)"
    rows = [
        (A, "conv layers (actor, critic separate)", NA, NA, conv(pp, OBS_CHANNELS)),
        (A, "linear layers", NA, f"Linear({d} → {lat}), ReLU, Linear({lat} → {lat}), ReLU, Linear({lat} → 1) "
                                 f"[{enc} input]", linear(pp)),
        (A, "GRU", NA, NA, gru(pp)),
        (A, "episode length T", NA, f(ro["T"]), f(co["T"])),
        (A, "training episodes", NA, f(ro["episodes"]), f(co["episodes"])),
        (A, "Adam lr", NA, f(ro["lr"]), f(pp["lr"])),
        (A, "PPO epochs per episode", NA, f(ro["epochs"]), f(pp["epochs"])),
        (A, "clip ε", NA, f(ro["clip"]), f(pp["clip"])),
        (A, "γ", NA, f(ro["gamma"]), f(pp["gamma"])),
        (A, "entropy coefficient", NA, f(ro["entropy_coef"]), f(pp["entropy_coef"])),
        (A, "value-loss coefficient", NA, f(ro["value_coef"]), f(pp["value_coef"])),
        (A, "return normalisation ε", NA, f(ro["return_norm_eps"]), f(pp["return_norm_eps"])),
        (A, "batch (parallel envs)", NA, f(ro["batch"]), f(co["batch"])),
        (B, "reciprocal-reward weight w", f(ar["w"]), f(ro["rr_weight"]), f(rc["rr_weight"])),
        (B, "r_RR z-normalised over the (T, batch) block", NA, NA, "yes" if rc["rr_normalise"] else "no"),
        (B, "buffer", _count(ar["buffer_size"], "update"), _count(ro["buffer_episodes"], "episode"),
         _count(rc["buffer_episodes"], "episode")),
        (B, "target update period", _count(ar["target_period"], "update"), _count(ro["target_period"], "episode"),
         _count(rc["target_period"], "episode")),
        (B, "init episodes (refit every episode)", NA, NA, f(rc["init_episodes"])),
        (B, "target batch (refit minibatch)", NA, NA, f(rc["refit_batch"])),
        (B, "target batches per refit", NA, NA, f(rc["refit_batches"])),
        (B, "target epochs", NA, NA, f(rc["refit_epochs"])),
        (B, "influence MLP hidden size", NA, NA, f(rc["hidden"])),
        (B, "influence lr", NA, NA, f(rc["lr"])),
        (B, "influence value net", NA, NA,
         f"2 × 3×3 circular conv, {rc['value_channels']} ch; Linear → {rc['value_latent']}"),
        (B, "γ of influence value and balance", NA, NA, f(rc["gamma"])),
        (B, "policy lr (exact gradient)", f(ar["lr"]), NA, NA),
        (D, "inner episodes per meta-episode", NA, NA, f(mf["inner_episodes"])),
        (D, "conv layers", NA, NA, conv(mf, OBS_CHANNELS + META_CHANNELS)),
        (D, "linear layers", NA, NA, linear(mf)),
        (D, "GRU (across the meta-episode)", NA, NA, gru(mf)),
        (D, "Adam lr", NA, NA, f(mf["lr"])),
        (D, "PPO epochs per meta-episode", NA, NA, f(mf["epochs"])),
        (D, "clip ε", NA, NA, f(mf["clip"])),
        (D, "γ", NA, NA, f(mf["gamma"])),
        (D, "entropy coefficient", NA, NA, f(mf["entropy_coef"])),
        (D, "value-loss coefficient", NA, NA, f(mf["value_coef"])),
        (D, "return normalisation ε", NA, NA, f(mf["return_norm_eps"])),
    ]
    return pd.DataFrame(rows, columns=["table", "parameter", "IPD-Analytic", "IPD-Rollout", "Coins"])


def hyperparameters(inputs, out, cfg: dict) -> None:
    """tables/recip_hyperparameters.{pdf,csv,tex}; inputs unused."""
    scale = f"the {cfg['scale']} scale" if cfg.get("scale") else "an unnamed scale"
    write_table(hyperparameter_frame(cfg), Path(out),
                title=(f"Reciprocators hyper-parameters used at {scale} (grouped as the paper's Tables A: PPO, "
                       "B: Reciprocator, D: MFOS in Coins)"),
                note=("— = not applicable. IPD-Analytic learners take exact policy-gradient steps (no PPO); "
                      "its buffer and target period count updates. Values are the live config "
                      "(sections recip_ipd_analytic, recip_ipd_rollout, recip_coins)."),
                wrap={"parameter": 28, "IPD-Rollout": 34, "Coins": 40})
