"""The verdict scorecard (figures/claims_scorecard.pdf and .png): the claims table read in ten seconds.

One row per claim, grouped by paper and by the figure or table it comes from; one column per budget checked (a
``budget`` column of the claims table where it has one, else one column named after the scale); each cell coloured
by its verdict, with the claim's key number and a mark (†) where a diagnostic output explains the verdict.  The
diagnostics (ids ``DIAG-...``) are a panel of their own.  Everything is read from the claims table's CSV.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..results import _atomic_write  # noqa: E402
from .footer import save_pdf  # noqa: E402

VERDICT_COLOURS = {"reproduced": "#8fd19e", "not reproduced": "#f4a3a3", "not run": "#dcdcdc"}
DIAGNOSED = "†"
PNG_DPI = 110  # ~1300 px wide: readable at 100 % on a laptop screen

ROW = 0.24  # inches per row
WIDTHS = {"group": 0.2, "id": 2.0, "claim": 6.3, "cell": 1.45}  # inches: the indent under a group's label, ...


def budgets(frame: pd.DataFrame, scale: str) -> list[str]:
    """The scorecard's columns: the claims table's budgets, else the scale alone.  The first budget (the scale's
    own) stays first; the larger ones follow from the smallest multiple (``4x`` before ``8x``) to named ones
    (``paper``), which keep their order of appearance."""
    if "budget" not in frame.columns:
        return [scale]
    seen = list(dict.fromkeys(str(b) for b in frame["budget"]))

    def size(name: str):
        number = re.fullmatch(r"(\d+)\s*[x×]", name)
        return (0, int(number.group(1))) if number else (1, seen.index(name))

    return seen[:1] + sorted(seen[1:], key=size)


def _cells(frame: pd.DataFrame, scale: str) -> dict[tuple[str, str], dict]:
    """(claim id, budget) -> the row of the claims table."""
    rows = frame.to_dict("records")
    return {(r["id"], str(r["budget"]) if "budget" in frame.columns else scale): r for r in rows}


def _short(text: str, width: int) -> str:
    return textwrap.shorten(str(text), width, placeholder=" …")


def _panel(ax, frame: pd.DataFrame, columns: list[str], cells: dict, title: str) -> None:
    """Draw one panel: group labels, ids, the claims shortened to one line, and a coloured cell per budget."""
    claims = frame.drop_duplicates("id")
    groups = list(dict.fromkeys(zip(claims.paper, claims.source, strict=True)))
    n_lines = len(claims) + len(groups)
    x_cells = WIDTHS["group"] + WIDTHS["id"] + WIDTHS["claim"]
    width = x_cells + WIDTHS["cell"] * len(columns)
    ax.set_xlim(0, width)
    ax.set_ylim(n_lines + 1.2, 0)
    ax.axis("off")
    ax.text(0, 0.1, title, fontsize=10, weight="bold", va="top")
    for j, budget in enumerate(columns):
        ax.text(x_cells + WIDTHS["cell"] * (j + 0.5), 0.55, budget, ha="center", va="top", fontsize=8.5,
                weight="bold")
    y = 1.2
    for paper, source in groups:
        ax.text(0, y + 0.5, _short(f"{paper}: {source}", 120), fontsize=8, weight="bold", va="center",
                color="0.25")
        ax.plot([0, width], [y + 0.05] * 2, color="0.75", lw=0.5)
        y += 1
        for record in claims[(claims.paper == paper) & (claims.source == source)].to_dict("records"):
            ax.text(WIDTHS["group"], y + 0.5, record["id"], fontsize=8, va="center", gid=f"id:{record['id']}")
            statement = str(record["claim"])
            for prefix in ("Diagnostic (not a paper claim): ", "Diagnostic: "):
                statement = statement.removeprefix(prefix)
            ax.text(WIDTHS["group"] + WIDTHS["id"], y + 0.5, _short(statement, 108), fontsize=7.5,
                    va="center", color="0.2")
            for j, budget in enumerate(columns):
                row = cells.get((record["id"], budget))
                verdict = row["verdict"] if row else "not run"
                x0 = x_cells + WIDTHS["cell"] * j
                ax.add_patch(plt.Rectangle((x0 + 0.04, y + 0.06), WIDTHS["cell"] - 0.08, 0.88,
                                           facecolor=VERDICT_COLOURS[verdict], edgecolor="white",
                                           gid=f"cell:{record['id']}@{budget}"))
                key = str(row.get("key") or "") if row else ""
                mark = f" {DIAGNOSED}" if row and str(row.get("diagnosis") or "") else ""
                ax.text(x0 + WIDTHS["cell"] / 2, y + 0.5, _short(key, 16) + mark if (key or mark) else "–",
                        ha="center", va="center", fontsize=7.5)
            y += 1


def scorecard(frame: pd.DataFrame, scale: str):
    """The scorecard figure of the claims table ``frame`` (columns id, paper, source, claim, verdict and, where
    present, key, diagnosis and budget)."""
    frame = frame.fillna("")
    columns = budgets(frame, scale)
    cells = _cells(frame, scale)
    diag = frame["id"].str.startswith("DIAG-")
    panels = [(frame[~diag], "Paper claims"), (frame[diag], "Diagnostics (not claims of the papers)")]
    panels = [(f, t) for f, t in panels if len(f)]
    heights = [len(f.drop_duplicates("id")) + len(f.drop_duplicates(["paper", "source"])) + 1.2 for f, _ in panels]
    width = WIDTHS["group"] + WIDTHS["id"] + WIDTHS["claim"] + WIDTHS["cell"] * len(columns)
    fig, axes = plt.subplots(len(panels), 1, figsize=(width, ROW * sum(heights) + 0.9), squeeze=False,
                             gridspec_kw={"height_ratios": heights, "hspace": 0.02})
    for ax, (part, title) in zip(axes[:, 0], panels, strict=True):
        _panel(ax, part, columns, cells, title)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=c) for c in VERDICT_COLOURS.values()]
    fig.legend(handles, list(VERDICT_COLOURS), loc="lower left", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.0, 0.0), title=None)
    fig.text(0.99, 0.012, f"cell: the key number of the claim's statistic; {DIAGNOSED}: a diagnostic output explains "
             "the verdict (tables/claims, column diagnosis)", ha="right", fontsize=7.5, color="0.3")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.6 / (ROW * sum(heights) + 0.9))
    return fig


def plot(inputs, out, cfg: dict) -> None:
    """``inputs``: the claims table's CSV; writes ``out`` (PDF) and the PNG beside it."""
    scale = cfg.get("scale") or os.environ.get("MIXEDMOTIVE_SCALE") or "default"
    frame = pd.read_csv(inputs[0], keep_default_na=False)
    fig = scorecard(frame, scale)
    out = Path(out)
    save_pdf(fig, out)  # stamps the footer under the legend
    _atomic_write(out.with_suffix(".png"),
                  lambda tmp: fig.savefig(tmp, format="png", dpi=PNG_DPI, bbox_inches="tight", pad_inches=0.1))
    plt.close(fig)
