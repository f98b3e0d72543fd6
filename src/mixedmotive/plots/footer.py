"""The small footer every figure and table carries: its scale and the commit that made it.

The CLI (``plot``, ``claims``) installs the footer text for the duration of one plot with
:func:`use`; every plot saves through :func:`save_pdf`, which stamps it under everything
else on the page.  Outside :func:`use` (tests, notebooks) nothing is stamped.

Text: ``mixedmotive · scale default · plotted at <sha> · trained at <sha>[, <sha>]``; the
"trained at" part lists the commits in the inputs' provenance sidecars and is left out when it
equals the plotting commit.
"""

from __future__ import annotations

import contextvars
import json
from pathlib import Path

from ..context import bound
from ..results import _atomic_write, git_sha, sidecar

_TEXT: contextvars.ContextVar[str] = contextvars.ContextVar("footer", default="")


def _short(sha: str) -> str:
    base, dirty = (sha[:-6], "-dirty") if sha.endswith("-dirty") else (sha, "")
    return base[:10] + dirty


def training_commits(inputs) -> list[str]:
    """Commits (short) recorded in the provenance sidecars of ``inputs`` (files without one are skipped)."""
    shas = set()
    for path in inputs:
        meta = sidecar(path)
        if meta.exists() and Path(path).suffix == ".parquet":
            shas.add(_short(str(json.loads(meta.read_text()).get("git_sha", "unknown"))))
    return sorted(shas)


def text_for(scale: str | None, inputs=(), plotted_at: str | None = None) -> str:
    plotted = _short(plotted_at or git_sha())
    parts = ["mixedmotive", f"scale {scale or 'unknown'}", f"plotted at {plotted}"]
    trained = training_commits(inputs)
    if trained and trained != [plotted]:
        parts.append("trained at " + ", ".join(trained))
    return " · ".join(parts)


def current() -> str:
    return _TEXT.get()


def use(text: str):
    """Stamp ``text`` on every figure and table saved inside the ``with`` block."""
    return bound(_TEXT, text)


def _freeze_layout(fig, renderer) -> None:
    """Keep everything where the layout engine put it: a figure legend hangs off the figure's edge, and
    saving with ``bbox_inches="tight"`` moves that edge down to the footer, dragging the legend onto it."""
    fig.set_layout_engine("none")
    for leg in fig.legends:
        box = leg.get_window_extent(renderer).transformed(fig.transFigure.inverted())
        leg.set_bbox_to_anchor(box, transform=fig.transFigure)
        leg.set_loc("center")


def stamp(fig) -> None:
    """Write the current footer under everything already on ``fig`` (nothing outside :func:`use`)."""
    text = current()
    if not text:
        return
    fig.draw_without_rendering()  # runs the layout engine, so figure legends sit where they will be drawn
    renderer = fig.canvas.get_renderer()
    _freeze_layout(fig, renderer)
    box = fig.get_tightbbox(renderer)  # inches
    y = box.y0 / fig.get_figheight() - 0.01
    fig.text(box.x1 / fig.get_figwidth(), y, text, ha="right", va="top", fontsize=6, color="0.35")


def save_pdf(fig, out, **savefig_kwargs) -> None:
    """Stamp the footer and write ``fig`` to ``out`` as PDF (cropped to its content), atomically."""
    savefig_kwargs.setdefault("bbox_inches", "tight")  # keeps the footer, which sits under the content
    if current():  # also in the PDF's metadata, where tools (and tests) can read it as plain text
        savefig_kwargs["metadata"] = {**savefig_kwargs.get("metadata", {}), "Subject": current().replace(" · ", "; ")}
    stamp(fig)
    _atomic_write(Path(out), lambda tmp: fig.savefig(tmp, format="pdf", **savefig_kwargs))


def save_pdf_pages(figs, out) -> None:
    """Stamp the footer on every page in ``figs`` and write them to ``out`` as one multi-page PDF, atomically."""
    from matplotlib.backends.backend_pdf import PdfPages

    metadata = {"Subject": current().replace(" · ", "; ")} if current() else {}

    def write(tmp):
        with PdfPages(tmp, metadata=metadata) as pdf:
            for fig in figs:
                stamp(fig)
                pdf.savefig(fig)

    _atomic_write(Path(out), write)
