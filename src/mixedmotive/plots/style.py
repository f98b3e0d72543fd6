"""Method names, colours, line styles and markers, so every figure draws a method the same way.

All of them come from the method registry (:mod:`mixedmotive.methods`), whose order is the order of legends.
"""

from __future__ import annotations

import numpy as np

from ..methods import METHODS

# read at call time, so a method registered later (a test, a user's extension) is drawn like the others


def label(method: str) -> str:
    return METHODS[method].label if method in METHODS else method


def colours() -> dict[str, str]:
    return {n: m.colour for n, m in METHODS.items()}


def colour(method: str) -> str:
    return METHODS[method].colour


def ordered(methods) -> list[str]:
    order = list(METHODS)
    methods = list(dict.fromkeys(methods))
    return sorted(methods, key=lambda m: order.index(m) if m in order else len(order))


def linestyle(method: str):
    return METHODS[method].linestyle if method in METHODS else "-"


def marker(method: str) -> str:
    return METHODS[method].marker if method in METHODS else "o"


def lam_text(lam: dict) -> str:
    return ", ".join(f"λ_{label(m)}={v:g}" for m, v in lam.items())


def nesting(points, near: float) -> list[int]:
    """For each point, how many later points lie within ``near`` of it.

    Markers sized by this nest where several methods end at one place: the first drawn is the
    largest, each later one smaller and on top, so none hides another.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    return [int((np.hypot(*(pts[i + 1:] - pts[i]).T) < near).sum()) for i in range(len(pts))]
