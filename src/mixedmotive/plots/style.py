"""Method names, colours, line styles and markers, so every figure draws a method the same way.

All of them come from the method registry (:mod:`mixedmotive.methods`), whose order is the order of legends.
"""

from __future__ import annotations

import numpy as np

from ..methods import METHODS

LABELS = {n: m.label for n, m in METHODS.items()}
ORDER = list(METHODS)
COLOURS = {n: m.colour for n, m in METHODS.items()}
LINESTYLES = {n: m.linestyle for n, m in METHODS.items()}
MARKERS = {n: m.marker for n, m in METHODS.items()}


def label(method: str) -> str:
    return LABELS.get(method, method)


def colours() -> dict[str, str]:
    return dict(COLOURS)


def ordered(methods) -> list[str]:
    methods = list(dict.fromkeys(methods))
    return sorted(methods, key=lambda m: ORDER.index(m) if m in ORDER else len(ORDER))


def linestyle(method: str):
    return LINESTYLES.get(method, "-")


def marker(method: str) -> str:
    return MARKERS.get(method, "o")


def lam_text(lam: dict) -> str:
    return ", ".join(f"λ_{label(m)}={v:g}" for m, v in lam.items())


def nesting(points, near: float) -> list[int]:
    """For each point, how many later points lie within ``near`` of it.

    Markers sized by this nest where several methods end at one place: the first drawn is the
    largest, each later one smaller and on top, so none hides another.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    return [int((np.hypot(*(pts[i + 1:] - pts[i]).T) < near).sum()) for i in range(len(pts))]
