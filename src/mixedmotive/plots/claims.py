"""The claims table (tables/claims.*): the analysis decides the verdicts, this writes them.

The PDF is set on landscape A4 pages readable at 100 % (wrapped cells, as many pages as the rows need); the CSV
and TeX hold every column unwrapped.  A p-value that could not be computed (fewer than 2 seeds a side, as at the
smoke scale) prints as "n/a (smoke)" at the smoke scale and "n/a" otherwise, never as ``nan``.
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

from ..analysis.claims import claims_table  # noqa: E402
from ..results import _atomic_write  # noqa: E402
from .footer import current as current_footer  # noqa: E402
from .footer import save_pdf_pages  # noqa: E402
from .tables import to_tex  # noqa: E402

TITLE = "Paper claims checked on this run's raw results"
NOTE = ("decisions: the entries of docs/decisions.md that explain each claim's set-up and verdict; diagnosis: the "
        "pipeline's diagnostic outputs that explain it. Rows of paper 'AgA (diagnostic)' and 'Reciprocators "
        "(diagnostic)' are diagnostics (the AgA ablation, docs/decisions.md A12; the Coins diagnosis, C10), not "
        "claims of the papers.")
VERDICT_COLOURS = {"reproduced": "#1a7f37", "not reproduced": "#cf222e", "not run": "#6e7781"}

PAGE = (11.69, 8.27)  # A4 landscape, inches
MARGIN = 0.45  # inches on every side (the footer sits in the bottom one)
FONT = 6.5  # points
LINE = FONT * 1.3 / 72  # inches per text line
CHAR = FONT * 0.58 / 72  # inches per character, on average, of the sans-serif font
# PDF columns: heading, width in characters, and the text of a row
COLUMNS = (
    ("claim", 22, lambda r: f"{r['id']}\n{r['paper']}: {r['source']}\nbudget: {r['budget']}"),
    ("statement", 44, lambda r: r["claim"]),
    ("statistic", 46, lambda r: r["statistic"]),
    ("threshold", 34, lambda r: r["threshold"]),
    ("verdict", 15, lambda r: r["verdict"] + (f"\n{r['key']}" if r.get("key") else "")),
    ("detail; decisions; diagnosis", 33, lambda r: "\n".join(
        filter(None, [r["detail"], r["decisions"] and f"decisions: {r['decisions']}",
                      r["diagnosis"] and f"diagnosis: {r['diagnosis']}"]))),
)


def unavailable(frame: pd.DataFrame, scale: str | None) -> pd.DataFrame:
    """``frame`` with every ``nan`` in its text ("p = nan", "p=nan", "nan ± nan") as "n/a (smoke)" at the smoke
    scale (one seed per pairing: no test), "n/a" at the others."""
    word = "n/a (smoke)" if scale == "smoke" else "n/a"
    return frame.apply(lambda col: col.map(lambda v: re.sub(r"\bnan\b", word, v) if isinstance(v, str) else v))


def _wrapped(text: str, width: int) -> list[str]:
    out = []
    for para in str(text).split("\n"):
        out += textwrap.wrap(para, width, break_long_words=True) or [""]
    return out


def pages(frame: pd.DataFrame, title: str = TITLE, note: str = NOTE) -> list:
    """The figures of the PDF: one landscape A4 page per block of rows that fits, the header on every page."""
    x, xs = MARGIN, []
    for _, width, _ in COLUMNS:
        xs.append(x)
        x += width * CHAR + 0.12
    usable = PAGE[1] - 2 * MARGIN - 0.35  # the title line
    rows = [[_wrapped(text(r), width) for _, width, text in COLUMNS] for r in frame.to_dict("records")]
    heights = [max(len(c) for c in cells) * LINE + 0.06 for cells in rows]
    note_lines = _wrapped(note, int((x - MARGIN) / CHAR)) if note else []
    figs, start = [], 0
    while start < len(rows) or not figs:
        fig = plt.figure(figsize=PAGE)
        n_page = len(figs) + 1
        fig.text(MARGIN / PAGE[0], 1 - MARGIN / PAGE[1], f"{title} (page {n_page})", fontsize=10, va="top",
                 weight="bold")
        y = PAGE[1] - MARGIN - 0.35
        for (name, _, _), x0 in zip(COLUMNS, xs, strict=True):
            fig.text(x0 / PAGE[0], y / PAGE[1], name, fontsize=FONT + 0.5, weight="bold", va="top")
        y -= LINE + 0.08
        fig.add_artist(plt.Line2D([MARGIN / PAGE[0], x / PAGE[0]], [(y + 0.04) / PAGE[1]] * 2, color="0.3", lw=0.6))
        end = start
        while end < len(rows) and (end == start or y - heights[end] >= PAGE[1] - MARGIN - usable):
            record = frame.iloc[end]
            if (end - start) % 2:
                fig.add_artist(plt.Rectangle((MARGIN / PAGE[0], (y - heights[end] + 0.03) / PAGE[1]),
                                             (x - MARGIN) / PAGE[0], heights[end] / PAGE[1], color="0.94", lw=0))
            for (name, _, _), x0, cell in zip(COLUMNS, xs, rows[end], strict=True):
                colour = VERDICT_COLOURS.get(record["verdict"], "black") if name == "verdict" else "black"
                fig.text(x0 / PAGE[0], y / PAGE[1], "\n".join(cell), fontsize=FONT, va="top", color=colour,
                         linespacing=1.3, weight="bold" if name == "verdict" else "normal")
            y -= heights[end]
            end += 1
        if end == len(rows) and note_lines and y - (len(note_lines) + 1) * LINE >= MARGIN:
            fig.text(MARGIN / PAGE[0], (y - LINE) / PAGE[1], "\n".join(note_lines), fontsize=FONT, va="top",
                     color="0.25", linespacing=1.3)
        elif end == len(rows) and note_lines:  # no room left for the note: a page of its own
            figs.append(fig)
            fig = plt.figure(figsize=PAGE)
            fig.text(MARGIN / PAGE[0], 1 - MARGIN / PAGE[1], "\n".join(note_lines), fontsize=FONT, va="top",
                     color="0.25", linespacing=1.3)
        figs.append(fig)
        start = end
    return figs


def write_claims(paths, out_pdf, cfg: dict) -> pd.DataFrame:
    """The claims table of ``paths``; the rows of the scale's own runs have budget ``cfg["scale"]`` (else
    ``$MIXEDMOTIVE_SCALE``, else ``default``)."""
    scale = cfg.get("scale") or os.environ.get("MIXEDMOTIVE_SCALE") or "default"
    table = unavailable(claims_table(paths, {**cfg, "scale": scale}), scale)
    out_pdf = Path(out_pdf)
    _atomic_write(out_pdf.with_suffix(".csv"), lambda tmp: table.to_csv(tmp, index=False))
    tex = to_tex(table, TITLE)
    if current_footer():
        tex = f"% {current_footer()}\n{tex}"
    _atomic_write(out_pdf.with_suffix(".tex"), lambda tmp: Path(tmp).write_text(tex))
    figs = pages(table)
    save_pdf_pages(figs, out_pdf)
    for fig in figs:
        plt.close(fig)
    return table
