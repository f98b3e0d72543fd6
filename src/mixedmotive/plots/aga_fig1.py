"""AgA Fig. 1: trajectories on the two-player game over its reward landscapes.

Several methods share a path (Simul-Co and AgA; Simul-Ind and SGA), so each trajectory has its
own colour, line style and width (wider ones drawn first, underneath) and its own marker at
regular distances along the path, staggered between methods; the shared start is a black
dot and each method's end its marker, nested (the first drawn largest) where ends coincide
and hollow on the frame where a path leaves the plotted range.  The paper shows
panel (a) as a 3-D surface; here it is a filled contour map like (b) and (c).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .. import results  # noqa: E402
from ..games import diffgame  # noqa: E402
from .footer import save_pdf  # noqa: E402
from .style import colours, label, lam_text, linestyle, marker, nesting, ordered  # noqa: E402

MARK_SPACING = 0.07  # markers every 7 % of the axes diagonal along each path


def _draw_path(ax, traj, rank: int, n: int, method: str, colour) -> None:
    """One trajectory: the line (earlier methods wider, underneath; a light halo against the landscape), then
    its markers at regular distances, each method's shifted along the path so shared paths show every marker."""
    lw = 1.2 + 0.7 * (n - 1 - rank)
    ax.plot(traj.a1, traj.a2, color=colour, lw=lw, ls=linestyle(method), zorder=3 + rank,
            path_effects=[pe.Stroke(linewidth=lw + 1.2, foreground="white", alpha=0.6), pe.Normal()])
    ax.plot(traj.a1, traj.a2, ls="none", marker=marker(method), ms=5.5, color=colour, mec="white", mew=0.6,
            markevery=(MARK_SPACING * (rank + 0.5) / n, MARK_SPACING), zorder=10 + rank)


def _draw_ends(ax, ends: dict, col, lim) -> None:
    """Each method's last point, nested where several coincide; off the plotted range: hollow, on the frame."""
    lo, hi = lim
    points = np.array(list(ends.values()))
    for rank, ((m, end), depth) in enumerate(zip(ends.items(), nesting(points, 0.04 * (hi - lo)), strict=True)):
        shown = np.clip(end, lo, hi)
        inside = np.allclose(shown, end)
        ax.plot(*shown, ls="none", marker=marker(m), ms=8 + 4 * depth, mfc=col[m] if inside else "none",
                mec="k" if inside else col[m], mew=0.8 if inside else 2.0, clip_on=False, zorder=20 + rank)


def _legend_handles(methods, col) -> list:
    handles = [Line2D([], [], color=col[m], ls=linestyle(m), marker=marker(m), lw=1.8, ms=6, mec="white",
                      label=label(m)) for m in methods]
    handles.append(Line2D([], [], color="k", marker="o", ls="none", ms=5, label="start"))
    handles.append(Line2D([], [], color="0.5", marker="o", ls="none", ms=9, mec="k",
                          label="end (hollow on the frame: beyond the plotted range)"))
    return handles


def plot(inputs, out, cfg: dict) -> None:
    frame = results.read_many(inputs)
    shown = frame[frame.highlight]
    lo, hi = cfg["plot_range"]
    axis = np.linspace(lo, hi, 301)
    a1, a2 = np.meshgrid(axis, axis, indexing="xy")
    r1, r2 = (r.numpy() for r in diffgame.rewards(torch.from_numpy(a1), torch.from_numpy(a2)))
    panels = [("(a) collective reward $r_1+r_2$\n(contour map; the paper draws a 3-D landscape)", r1 + r2),
              ("(b) player 1 reward $r_1$", r1), ("(c) player 2 reward $r_2$", r2)]
    col = colours()
    methods = ordered(shown.method.unique())
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.4), constrained_layout=True)
    for ax, (title, z) in zip(axes, panels, strict=True):
        cs = ax.contourf(a1, a2, z, levels=24, cmap="viridis")
        cs.set_rasterized(True)  # the landscape as an image, axes and trajectories stay vector (2.8 MB -> small)
        fig.colorbar(cs, ax=ax, shrink=0.85)
        for _, runs in shown.groupby("start"):
            ends = {}
            for rank, m in enumerate(methods):
                traj = runs[runs.method == m].sort_values("step")
                _draw_path(ax, traj, rank, len(methods), m, col[m])
                ends[m] = traj[["a1", "a2"]].to_numpy()[-1]
            _draw_ends(ax, ends, col, (lo, hi))
        first = shown[shown.step == 0].drop_duplicates("start")
        ax.plot(first.a1, first.a2, "ko", ms=5, mec="white", mew=0.8, zorder=40)
        ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="$a_1$ (player 1)", ylabel="$a_2$ (player 2)")
        ax.set_title(title, fontsize=11)
    fig.legend(handles=_legend_handles(methods, col), loc="outside lower center", ncol=len(methods) + 2,
               fontsize=9, frameon=False)
    fig.suptitle(f"Two-player differentiable game, SGD lr={cfg['lr']:g}, {cfg['steps']} steps, "
                 f"{lam_text(cfg['lam'])}; markers every {MARK_SPACING:.0%} of the axes diagonal along each path",
                 fontsize=10)
    save_pdf(fig, Path(out))
    plt.close(fig)
