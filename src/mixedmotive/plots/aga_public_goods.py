"""AgA Table 1 (returns and equality) and Fig. 4 (final contributions) on the public goods game."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .. import results  # noqa: E402
from ..analysis.aga_claims import final_rows  # noqa: E402
from ..analysis.metrics import equality, fmt_pm, mean_ci95  # noqa: E402
from .footer import save_pdf  # noqa: E402
from .style import colours, label, ordered  # noqa: E402
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
                      f"λ={cfg['lam']}; E = 1 - ΣΣ|ri-rj| / (2N Σ ri)"))


def fig4(inputs, out, cfg: dict) -> None:
    fin = finals(inputs)
    col = colours()
    methods = ordered(fin.method.unique())
    fig, ax = plt.subplots(figsize=(6.2, 6))
    for m in methods:
        f = fin[fin.method == m]
        ax.scatter(f.a1, f.a2, s=18, alpha=0.55, color=col[m], label=label(m))
    for m in methods:
        f = fin[fin.method == m]
        ax.scatter(f.a1.mean(), f.a2.mean(), marker="X", s=160, color=col[m], edgecolor="k", lw=0.8)
    ax.set(xlim=(-0.03, 1.03), ylim=(-0.03, 1.03), xlabel="player 1 contribution $a_1$",
           ylabel="player 2 contribution $a_2$",
           title=f"Final contributions of {fin.run.nunique()} runs per method (X = mean)")
    ax.plot([0, 1], [0, 1], color="0.85", lw=0.8, zorder=0)
    ax.legend(fontsize=8, loc="center left")
    save_pdf(fig, Path(out), bbox_inches="tight")
    plt.close(fig)


def table3(inputs, out, cfg: dict) -> None:
    t = results.read_many(inputs)
    t = t.set_index("method").loc[ordered(t.method)].reset_index()
    table = pd.DataFrame({
        "method": t.method.map(label),
        "duration (s)": t.duration_s.map(lambda v: f"{v:.3f}"),
        "steps to converge": t.steps_to_converge.map(lambda v: f"{v:.1f}"),
        "step time (ms)": t.step_time_ms.map(lambda v: f"{v:.3f}"),
        "ratio to Simul-Ind": t.ratio_to_simul_ind.map(lambda v: f"{v:.2f}"),
    })
    write_table(table, Path(out), title="Runtime on the public goods game",
                note=(f"{int(t.runs_per_batch.iloc[0])} runs as one batch, median of {int(t.repeats.iloc[0])} "
                      f"repeats, one thread; device: {t.device.iloc[0]}. Steps to converge: first step where "
                      "no contribution moves by more than tol (mean over runs; max_steps if never)."))
