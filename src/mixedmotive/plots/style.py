"""Shared method names and colours so every figure labels methods the same way."""

from __future__ import annotations

import seaborn as sns

LABELS = {
    "simul_ind": "Simul-Ind", "simul_co": "Simul-Co", "cga": "CGA", "sga": "SGA",
    "svo": "SVO", "sl": "SL", "aga": "AgA",
}
ORDER = ["simul_ind", "cga", "sga", "svo", "simul_co", "sl", "aga"]


def label(method: str) -> str:
    return LABELS.get(method, method)


def colours() -> dict[str, tuple]:
    return dict(zip(ORDER, sns.color_palette("colorblind", len(ORDER))))


def ordered(methods) -> list[str]:
    methods = list(dict.fromkeys(methods))
    return sorted(methods, key=lambda m: ORDER.index(m) if m in ORDER else len(ORDER))


LINESTYLES = {"simul_ind": "-", "cga": "--", "sga": ":", "svo": "-.", "simul_co": "-", "sl": "--", "aga": "-."}


def linestyle(method: str) -> str:
    return LINESTYLES.get(method, "-")


def lam_text(lam: dict) -> str:
    return ", ".join(f"λ_{label(m)}={v:g}" for m, v in lam.items())
