"""Write one table as PDF (rendered), CSV and TeX side by side."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..results import _atomic_write  # noqa: E402
from .footer import current as current_footer  # noqa: E402
from .footer import save_pdf  # noqa: E402


def fmt_value(v) -> str:
    """A config value as table text: floats in %g, everything else as str."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _wrap(value, width: int | None) -> str:
    text = "" if pd.isna(value) else str(value)
    return "\n".join(textwrap.wrap(text, width)) if width and text else text


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("±", r"$\pm$"), ("λ", r"$\lambda$"), ("≥", r"$\geq$"), ("≤", r"$\leq$")):
        text = text.replace(a, b)
    return text


def to_tex(frame: pd.DataFrame, title: str) -> str:
    cols = list(frame.columns)
    lines = [
        r"\begin{table}[ht]", r"\centering", rf"\caption{{{_latex_escape(title)}}}",
        r"\begin{tabular}{" + "l" * len(cols) + "}", r"\hline",
        " & ".join(_latex_escape(str(c)) for c in cols) + r" \\", r"\hline",
    ]
    for _, row in frame.iterrows():
        lines.append(" & ".join(_latex_escape("" if pd.isna(v) else str(v)) for v in row) + r" \\")
    lines += [r"\hline", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(lines)


def write_table(frame: pd.DataFrame, pdf_path: Path, title: str, note: str = "",
                wrap: dict[str, int] | None = None, col_wrap: int | None = None) -> None:
    """Write ``frame`` to ``<stem>.pdf``, ``<stem>.csv`` and ``<stem>.tex``; in the PDF, ``wrap`` wraps a column's
    cells and ``col_wrap`` every column's name at that many characters."""
    pdf_path = Path(pdf_path)
    wrap = wrap or {}
    _atomic_write(pdf_path.with_suffix(".csv"), lambda tmp: frame.to_csv(tmp, index=False))
    tex = to_tex(frame, title)
    if current_footer():
        tex = f"% {current_footer()}\n{tex}"
    _atomic_write(pdf_path.with_suffix(".tex"), lambda tmp: Path(tmp).write_text(tex))

    cells = [[_wrap(v, wrap.get(c)) for c, v in row.items()] for _, row in frame.iterrows()]
    labels = [_wrap(c, col_wrap) for c in frame.columns]
    header_lines = max([1, *(lb.count("\n") + 1 for lb in labels)])
    lines_per_row = [max(1, *(c.count("\n") + 1 for c in r)) for r in cells] or [1]
    width = min(22.0, max(6.0, 1.5 * len(frame.columns) + sum(wrap.values()) * 0.06))
    height = 1.2 + 0.22 * (sum(lines_per_row) + 1 + header_lines) + (0.3 if note else 0)
    fig, ax = plt.subplots(figsize=(width, height))
    ax.axis("off")
    ax.set_title(title, fontsize=11, loc="left")
    table = ax.table(cellText=cells or [[""] * len(frame.columns)], colLabels=labels,
                     loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(len(frame.columns))))
    for (r, _), cell in table.get_celld().items():
        n = header_lines if r == 0 else lines_per_row[r - 1]
        cell.set_height(0.045 * n * 6.0 / height)
        if r == 0:
            cell.set_text_props(weight="bold")
    if note:  # directly under the table; bbox_inches="tight" trims the rest
        fig.canvas.draw()
        box = table.get_window_extent(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted())
        fig.text(box.x0, box.y0 - 0.02, "\n".join(textwrap.wrap(note, 150)), fontsize=7, va="top")
    save_pdf(fig, pdf_path, bbox_inches="tight")
    plt.close(fig)
