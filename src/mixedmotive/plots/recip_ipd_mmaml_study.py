"""M-MAML study (diagnostic, docs/decisions.md R12): tables/recip_ipd_mmaml_study and
figures/recip_ipd_mmaml_study.  The numbers come from :mod:`mixedmotive.analysis.recip_ipd_mmaml_study`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..analysis.recip_ipd_mmaml_study import (  # noqa: E402
    REFERENCE_ARM,
    arm_label,
    arm_order,
    cooperative,
    split,
    table_frame,
)
from .footer import save_pdf  # noqa: E402
from .tables import write_table  # noqa: E402

COOP, NOT_COOP = "tab:blue", "tab:red"


def table(inputs, out, cfg: dict) -> None:
    evals, curves = split(inputs, cfg["own_arm"])
    frame = table_frame(evals, curves, cfg)
    note = (f"{cfg.get('scale', '?')} scale. Each id is one M-MAML parameter set: ours meta-trained from seed = id at "
            f"the round robin's settings and at each other outer batch (the same initial parameters), M-FOS's the "
            f"pre-generated data/mamaml_IPD_<id>.th of its repository (commit 3efb169; no inner lr). Each is played "
            f"against NL with the round robin's match settings (games seeded with the id), stepping with the NL lr 1 "
            f"as M-FOS evaluates M-MAML, and (ours) with the learned inner lr as our round robin does. Cooperative "
            f"start: reward per step vs NL (lr 1) >= {cfg['threshold']:g}. First rows: per arm, the ids with the "
            f"cooperative start (ours also with the learned lr). Per id: P(cooperate) "
            f"of the initial policy in the states start, CC, CD, DC, DD; the first outer episode at which the "
            f"meta-objective's {cfg['smooth']}-episode trailing mean reached the threshold; its mean over the last "
            f"10 % of outer episodes.")
    write_table(frame, Path(out), title="M-MAML study: how often does meta-training reach the cooperative "
                "start? (diagnostic)", note=note, wrap={"arm": 16, "cooperative start": 26})


def figure(inputs, out, cfg: dict) -> None:
    own, threshold, smooth = cfg["own_arm"], cfg["threshold"], int(cfg["smooth"])
    evals, curves = split(inputs, own)
    arms = arm_order(evals["arm"], own)
    ours = [a for a in arms if a != REFERENCE_ARM]
    fig, axes = plt.subplots(1, len(ours) + 1, figsize=(4.2 * (len(ours) + 1), 3.4), squeeze=False)
    for ax, arm in zip(axes[0], ours, strict=False):
        e = evals[evals.arm == arm].set_index("id")
        for i, c in curves[curves.arm == arm].groupby("seed"):
            c = c.sort_values("episode")
            y = c.objective.rolling(smooth, min_periods=1).mean()
            coop = bool(e.loc[i, "reward_vs_nl"] >= threshold) if i in e.index else False
            ax.plot(c.episode, y, color=COOP if coop else NOT_COOP, lw=0.9, alpha=0.8)
            ax.annotate(str(int(i)), (c.episode.iloc[-1], y.iloc[-1]), fontsize=6, xytext=(2, 0),
                        textcoords="offset points", va="center")
        ax.axhline(threshold, color="0.5", lw=0.6, ls="--")
        ax.set(title=arm_label(arm, own), xlabel="outer episode", ylabel="meta-objective (reward per step)")
        ax.grid(alpha=0.25, lw=0.5)
    ax = axes[0, -1]
    for x, arm in enumerate(arms):
        e = evals[evals.arm == arm]
        coop = cooperative(e, threshold)
        ax.scatter([x] * len(e), e.reward_vs_nl, c=[COOP if v else NOT_COOP for v in coop], s=16, alpha=0.8)
    ax.axhline(threshold, color="0.5", lw=0.6, ls="--")
    ax.set_xticks(range(len(arms)),
                  ["M-FOS\n(3efb169)" if a == REFERENCE_ARM else a + ("\n(round robin)" if a == own else "")
                   for a in arms], fontsize=7)
    ax.set(title="M-MAML's reward per step vs NL (lr 1)", xlim=(-0.5, len(arms) - 0.5))
    ax.grid(alpha=0.25, lw=0.5)
    fig.suptitle(f"M-MAML study (diagnostic; {cfg.get('scale', '?')} scale): blue = cooperative start (vs NL >= "
                 f"{threshold:g}), red = not; curves: {smooth}-episode trailing mean, labelled by id; "
                 f"b<outer batch>, -lr<fixed inner lr>", fontsize=9)
    fig.tight_layout()
    save_pdf(fig, Path(out))
    plt.close(fig)
