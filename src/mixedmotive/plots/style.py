"""Shared method names, colours, line styles and markers so every figure draws a method the same way.

Colours are the Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008) without its yellow, which
vanishes on white; every method also has its own marker and line style, so no figure relies on
colour alone.
"""

from __future__ import annotations

import numpy as np

LABELS = {
    "simul_ind": "Simul-Ind", "simul_co": "Simul-Co", "cga": "CGA", "sga": "SGA",
    "svo": "SVO", "sl": "SL", "aga": "AgA",
}
ORDER = ["simul_ind", "cga", "sga", "svo", "simul_co", "sl", "aga"]

COLOURS = {"simul_ind": "#0072B2", "cga": "#E69F00", "sga": "#56B4E9", "svo": "#D55E00",
           "simul_co": "#009E73", "sl": "#CC79A7", "aga": "#000000"}
LINESTYLES = {"simul_ind": "-", "cga": "--", "sga": (0, (1, 1.5)), "svo": "-.", "simul_co": "-", "sl": "--",
              "aga": (0, (5, 2, 1, 2, 1, 2))}
MARKERS = {"simul_ind": "o", "cga": "s", "sga": "^", "svo": "D", "simul_co": "v", "sl": "P", "aga": "X"}


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
