"""AgA Fig. 1: trajectories on the two-player game over its reward landscapes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from .. import results  # noqa: E402
from ..games import diffgame  # noqa: E402
from .footer import save_pdf  # noqa: E402
from .style import colours, label, lam_text, linestyle, ordered  # noqa: E402


def plot(inputs, out, cfg: dict) -> None:
    frame = results.read_many(inputs)
    shown = frame[frame.highlight]
    lo, hi = cfg["plot_range"]
    axis = np.linspace(lo, hi, 301)
    a1, a2 = np.meshgrid(axis, axis, indexing="xy")
    r1, r2 = (r.numpy() for r in diffgame.rewards(torch.from_numpy(a1), torch.from_numpy(a2)))
    panels = [("(a) collective reward $r_1+r_2$", r1 + r2), ("(b) player 1 reward $r_1$", r1),
              ("(c) player 2 reward $r_2$", r2)]
    col = colours()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), constrained_layout=True)
    for ax, (title, z) in zip(axes, panels):
        cs = ax.contourf(a1, a2, z, levels=24, cmap="viridis")
        cs.set_rasterized(True)  # the landscape as an image, axes and trajectories stay vector (2.8 MB -> small)
        fig.colorbar(cs, ax=ax, shrink=0.85)
        for m in ordered(shown.method.unique()):
            for _, traj in shown[shown.method == m].groupby("start"):
                traj = traj.sort_values("step")
                ax.plot(traj.a1, traj.a2, color=col[m], lw=2.0, ls=linestyle(m),
                        label=label(m) if traj.start.iloc[0] == shown.start.min() else None)
                ax.plot(traj.a1.iloc[-1], traj.a2.iloc[-1], marker="*", ms=11, color=col[m], mec="k", mew=0.5)
            first = shown[shown.step == 0].drop_duplicates("start")
            ax.plot(first.a1, first.a2, "ko", ms=5)
        ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="$a_1$ (player 1)", ylabel="$a_2$ (player 2)", title=title)
    axes[0].legend(loc="lower left", fontsize=8, framealpha=0.9)
    fig.suptitle(f"Two-player differentiable game, SGD lr={cfg['lr']:g}, {cfg['steps']} steps, "
                 f"{lam_text(cfg['lam'])}; dots = starts, stars = ends", fontsize=10)
    save_pdf(fig, Path(out))
    plt.close(fig)
