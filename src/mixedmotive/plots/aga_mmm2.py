"""AgA Fig. 5 (appendix): the Selfish-MMM2 line-up, a top-down schematic of the start positions.

Everything drawn comes from :func:`mixedmotive.envs.mmm2_units.scenario` (the embedded
simulator's map, the SMAClite ``mmm2.json`` layout): map size, pathable band, unit types,
counts and start positions, the enemies' attack point.  The title and legend counts are built
from the scenario, never typed in.  Left: the whole map; right: the two start formations
enlarged (units drawn at their true radii).  The real SC2 map places the groups similarly but
not identically.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from ..envs.mmm2_units import scenario  # noqa: E402
from .footer import save_pdf  # noqa: E402

#: legend / title order of the unit types and their display names (singular, plural)
TYPE_ORDER = ("medivac", "marauder", "marine")
NAMES = {"medivac": ("Medivac", "Medivacs"), "marauder": ("Marauder", "Marauders"), "marine": ("Marine", "Marines")}
MARKERS = {"medivac": "^", "marauder": "s", "marine": "o"}
TEAM_COLOURS = {"allies": "tab:blue", "enemies": "tab:red"}
TEAM_NAMES = {"allies": "agents", "enemies": "enemies (built-in AI)"}


def _ordered(counts: dict) -> list[str]:
    return sorted(counts, key=lambda t: TYPE_ORDER.index(t) if t in TYPE_ORDER else len(TYPE_ORDER))


def lineup(counts: dict) -> str:
    """``{"medivac": 1, "marine": 7, "marauder": 2}`` -> ``"1 Medivac, 2 Marauders, 7 Marines"``."""
    parts = []
    for t in _ordered(counts):
        one, many = NAMES.get(t, (t.capitalize(), t.capitalize() + "s"))
        parts.append(f"{counts[t]} {one if counts[t] == 1 else many}")
    return ", ".join(parts)


def title(sc: dict | None = None) -> str:
    sc = scenario() if sc is None else sc
    return f"Selfish-MMM2: {lineup(sc['allies']['counts'])} vs {lineup(sc['enemies']['counts'])}"


def _draw_units(ax, sc, true_size: bool) -> None:
    for team in ("allies", "enemies"):
        g, col = sc[team], TEAM_COLOURS[team]
        for t, (x, y), r in zip(g["types"], g["positions"], g["radius"], strict=True):
            if true_size:
                ax.add_patch(Circle((x, y), r, fc=col, ec="k", lw=0.4, alpha=0.25))
                ax.plot(x, y, MARKERS.get(t, "o"), color=col, mec="k", mew=0.4, ms=6)
            else:
                ax.plot(x, y, MARKERS.get(t, "o"), color=col, mec="k", mew=0.3, ms=3.5)


def fig5(inputs, out, cfg: dict) -> None:
    """Fig. 5: the MMM2 map schematic with both start formations; inputs unused."""
    sc = scenario()
    w, h = sc["map_size"]
    x0, x1, y0, y1 = sc["playable"]
    fig = plt.figure(figsize=(11, 5.0), constrained_layout=True)
    gs = fig.add_gridspec(1, 3, width_ratios=[1.25, 1, 1])
    ax = fig.add_subplot(gs[0])
    ax.add_patch(Rectangle((0, 0), w, h, fc="0.55", ec="k", lw=0.8))
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fc="0.95", ec="0.3", lw=0.6))
    ax.text(w / 2, y1 - 0.4, "pathable band", ha="center", va="top", fontsize=8, color="0.3")
    _draw_units(ax, sc, true_size=False)
    ax_pt = sc["attack_point"]
    ecx = sum(p[0] for p in sc["enemies"]["positions"]) / len(sc["enemies"]["positions"])
    ecy = sum(p[1] for p in sc["enemies"]["positions"]) / len(sc["enemies"]["positions"])
    ax.annotate("", xy=(ax_pt[0] + 2.5, ax_pt[1] - 2.2), xytext=(ecx - 2.5, ecy - 2.2),
                arrowprops=dict(arrowstyle="->", color=TEAM_COLOURS["enemies"], lw=1.0))
    ax.text((ax_pt[0] + ecx) / 2, ax_pt[1] - 3.0, "enemies attack-move", ha="center", va="top", fontsize=7,
            color=TEAM_COLOURS["enemies"])
    ax.set(xlim=(-0.5, w + 0.5), ylim=(-0.5, h + 0.5), aspect="equal", xlabel="x", ylabel="y")
    ax.set_title(f"(a) map {w:g} x {h:g}, pathable y in [{y0:g}, {y1:g})", fontsize=9, pad=4)
    for k, team in enumerate(("allies", "enemies")):
        ax = fig.add_subplot(gs[k + 1])
        pos = sc[team]["positions"]
        cx = sum(p[0] for p in pos) / len(pos)
        cy = sum(p[1] for p in pos) / len(pos)
        _draw_units(ax, sc, true_size=True)
        ax.set(xlim=(cx - 2.5, cx + 2.5), ylim=(cy - 2.5, cy + 2.5), aspect="equal", xlabel="x", ylabel="y")
        ax.grid(alpha=0.25, lw=0.5)
        ax.set_title(f"({'bc'[k]}) start formation of the {TEAM_NAMES[team]}", fontsize=9)
    handles = []
    for team in ("allies", "enemies"):
        for t in _ordered(sc[team]["counts"]):
            c = sc[team]["counts"][t]
            one, many = NAMES.get(t, (t, t + "s"))
            handles.append(Line2D([], [], ls="", marker=MARKERS.get(t, "o"), color=TEAM_COLOURS[team], mec="k",
                                  mew=0.4, ms=7,
                                  label=f"{TEAM_NAMES[team].split(' ')[0]}: {c} {one if c == 1 else many}"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    text = title(sc)
    fig.suptitle(text, fontsize=11)
    save_pdf(fig, Path(out), metadata={"Title": text})
    plt.close(fig)
