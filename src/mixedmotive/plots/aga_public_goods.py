"""AgA Table 1 (returns and equality) and Fig. 4 (final contributions) on the public goods game."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .. import results  # noqa: E402
from ..analysis.aga_claims import final_rows  # noqa: E402
from ..analysis.metrics import equality, fmt_pm, mean_ci95  # noqa: E402
from .footer import save_pdf  # noqa: E402
from .style import colours, label, lam_text, marker, nesting, ordered  # noqa: E402
from .tables import write_table  # noqa: E402


def finals(inputs) -> pd.DataFrame:
    fin = final_rows(results.read_many(inputs), "run")
    fin["sw"] = fin.r1 + fin.r2
    fin["E"] = equality(fin[["r1", "r2"]].to_numpy())
    return fin


def table1(inputs, out, cfg: dict) -> None:
    fin = finals(inputs)
    rows = []
    for m in ordered(fin.method.unique()):
        f = fin[fin.method == m]
        row = {"method": label(m)}
        for col, name in (("r1", "r1"), ("r2", "r2"), ("sw", "SW"), ("E", "E")):
            row[name] = fmt_pm(*mean_ci95(f[col]))
        row["runs"] = len(f)
        row["E undefined"] = int(f.E.isna().sum())
        rows.append(row)
    write_table(pd.DataFrame(rows), Path(out),
                title="Public goods game: final rewards, SW = r1 + r2 and equality E (mean ± 95% CI over runs)",
                note=(f"k={cfg['k']}, endowment={cfg['endowment']}, lr={cfg['lr']}, ≤{cfg['max_steps']} steps, "
                      f"{lam_text(cfg['lam'])}; E = 1 - ΣΣ|ri-rj| / (2N Σ ri)"))


ZOOM_SHARE = 0.25  # methods whose mean is within this of (1, 1) in both coordinates appear in the zoom panel


def _scatter_runs(ax, fin, methods, col, size) -> None:
    for m in methods:
        f = fin[fin.method == m]
        ax.scatter(f.a1, f.a2, s=size, alpha=0.85, color=col[m], marker=marker(m), edgecolor="white", lw=0.3,
                   label=label(m), zorder=2)


def _scatter_means(ax, fin, methods, col, near: float) -> None:
    """Hollow mean markers; where means lie within ``near`` of each other they nest, the first method's largest."""
    means = fin.groupby("method")[["a1", "a2"]].mean().loc[methods].to_numpy()
    for rank, (m, depth) in enumerate(zip(methods, nesting(means, near), strict=True)):
        ax.scatter(*means[rank], marker=marker(m), s=(10 + 7 * depth) ** 2, facecolor="none",
                   edgecolor=col[m], lw=2.0, zorder=5 + rank,
                   path_effects=[pe.Stroke(linewidth=3.4, foreground="white"), pe.Normal()])


def _zoom_window(fin, methods) -> tuple[list[str], float | None]:
    """Methods ending near (1, 1) and the lower edge of a square window around their runs (None: no such method)."""
    near = [m for m in methods if (1 - fin[fin.method == m][["a1", "a2"]].mean() < ZOOM_SHARE).all()]
    if not near:
        return [], None
    pts = fin[fin.method.isin(near)][["a1", "a2"]].to_numpy()
    lo = float(np.clip(pts.min(), 1 - ZOOM_SHARE, 1 - 2e-3))
    return near, lo - 0.12 * (1 - lo)


def _zoom_panel(ax, main, fin, methods, col) -> None:
    near, lo = _zoom_window(fin, methods)
    if lo is None:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no method ends near (1, 1)", ha="center", va="center", transform=ax.transAxes)
        return
    hi = 1 + 0.12 * (1 - lo)
    _scatter_runs(ax, fin[fin.method.isin(near)], near, col, size=30)
    _scatter_means(ax, fin, near, col, near=0.08 * (hi - lo))
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal", xlabel="$a_1$", ylabel="$a_2$",
           title="(b) zoom at (1, 1)")
    main.indicate_inset_zoom(ax, edgecolor="0.3")
    dist = {m: np.hypot(1 - fin[fin.method == m].a1, 1 - fin[fin.method == m].a2).mean() for m in near}
    ax.text(0.03, 0.97, "mean distance to (1, 1):\n" + "\n".join(f"{label(m)}: {d:.4f}" for m, d in dist.items()),
            transform=ax.transAxes, fontsize=8, va="top", bbox=dict(fc="white", ec="0.7", alpha=0.9))


def fig4(inputs, out, cfg: dict) -> None:
    fin = finals(inputs)
    col = colours()
    methods = ordered(fin.method.unique())
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(11, 5.0), constrained_layout=True)
    _scatter_runs(ax, fin, methods, col, size=30)
    _scatter_means(ax, fin, methods, col, near=0.08)
    ax.set(xlim=(-0.03, 1.03), ylim=(-0.03, 1.03), aspect="equal", xlabel="player 1 contribution $a_1$",
           ylabel="player 2 contribution $a_2$", title="(a) all runs")
    ax.plot([0, 1], [0, 1], color="0.85", lw=0.8, zorder=0)
    _zoom_panel(zoom, ax, fin, methods, col)
    fig.legend(handles=ax.get_legend_handles_labels()[0], loc="outside right center", fontsize=9,
               title="small filled: one run\nlarge hollow: mean", title_fontsize=8, frameon=False)
    fig.suptitle(f"Public goods game: final contributions of {fin.run.nunique()} runs per method", fontsize=11)
    save_pdf(fig, Path(out), bbox_inches="tight")
    plt.close(fig)


def table3(inputs, out, cfg: dict) -> None:
    t = results.read_many(inputs)
    t = t.set_index("method").loc[ordered(t.method)].reset_index()

    def iqr(q1, q3, digits):  # quartiles over the timing rounds, as "q1–q3"
        return [f"{a:.{digits}f}–{b:.{digits}f}" for a, b in zip(q1, q3, strict=True)]

    table = pd.DataFrame({
        "method": t.method.map(label),
        "steps to converge": t.steps_to_converge.map(lambda v: f"{v:.1f}"),
        "duration (s)": t.duration_s.map(lambda v: f"{v:.3f}"),
        "duration IQR (s)": iqr(t.duration_q1_s, t.duration_q3_s, 3),
        "step time (ms)": t.step_time_ms.map(lambda v: f"{v:.3f}"),
        "step time IQR (ms)": iqr(t.step_time_q1_ms, t.step_time_q3_ms, 3),
        "ratio to Simul-Ind": t.ratio_to_simul_ind.map(lambda v: f"{v:.2f}"),
        "ratio IQR": iqr(t.ratio_q1, t.ratio_q3, 2),
    })
    clock = {"cpu": "process CPU time", "wall": "wall-clock time"}.get(t.clock.iloc[0], t.clock.iloc[0])
    write_table(table, Path(out), title="Runtime on the public goods game",
                note=(f"{int(t.runs_per_batch.iloc[0])} runs as one batch; {int(t.repeats.iloc[0])} rounds, each "
                      "timing every method once (round-robin, order rotated every round), after one warm-up; "
                      f"{clock}, one thread; device: {t.device.iloc[0]}. Median and IQR (25th-75th percentile) "
                      "over rounds; step time = duration / steps executed; ratio = median over rounds of the "
                      "step time / Simul-Ind's step time in the same round. Steps to converge: first step where "
                      "no contribution moves by more than tol (mean over runs; max_steps if never)."))
