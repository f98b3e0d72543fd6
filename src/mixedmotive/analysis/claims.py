"""Registry of the papers' claims and the checker that tests them on our raw results.

A claim names the experiments whose raw results it reads and a ``check`` that
returns the statistic, the threshold and the verdict.  Claims whose experiments
have no results in the inputs are listed as "not run".  Later experiments add
claims with :func:`claim` in their own module of ``mixedmotive.analysis``.

Every row carries a ``budget``: the scale's own runs (``default``, ``smoke``, ``paper``) and, for the larger
budgets in ``cfg["budgets"]`` (docs/decisions.md A16), the same claims decided by the same check on the runs of
that budget.  A module registers with :func:`budget` how a kind of larger budget turns the raw results into the
frames a claim's check reads (e.g. the AgA ablation's 8x runs as Table 2's ``aga_ssd`` rows).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .. import results
from ..jobs import EXPERIMENTS


@dataclass(frozen=True)
class Verdict:
    """A claim's check.  ``ran=False``: the claim's experiments have results, but not the runs the
    check needs (a pairing or variant absent); the table says "not run", not "not reproduced"."""

    statistic: str
    threshold: str
    reproduced: bool
    detail: str = ""
    ran: bool = True
    key: str = ""  # the key number in a few characters (the verdict scorecard's cell), e.g. "+0.021 p=.07"


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    source: str
    statement: str
    experiments: tuple[str, ...]
    check: Callable[[dict[str, pd.DataFrame], dict], Verdict]


REGISTRY: dict[str, Claim] = {}

#: the docs/decisions.md entries that explain each claim's set-up and verdict (tested to exist)
DECISIONS = {
    "AGA-C2a": ("G1", "D1", "D3"), "AGA-C2b": ("D1", "D8"),
    "AGA-C3a": ("G9", "D2", "D4"), "AGA-C3b": ("D2", "D4"), "AGA-C3c": ("D2", "D4"),
    "AGA-C6": ("D7", "D8"),
    **{f"AGA-C4-{g}-{t}": ("A1", "A5", "A7", "A8", "A9") for g in ("harvest", "cleanup") for t in ("E", "SW")},
    "AGA-C5-win": ("A5", "A7", "A9", "A10"), "AGA-C5-return": ("A5", "A7", "A9", "A10"),
    "RECIP-C2a": ("R1", "R2", "R3", "R5", "R6"), "RECIP-C2b": ("R1", "R2", "R3"),
    "RECIP-C3": ("R8", "R9", "R10"),
    **{c: ("C4", "C5", "C6", "C9") for c in ("RECIP-C4a", "RECIP-C4b", "RECIP-C5a", "RECIP-C5b", "RECIP-C5c")},
    **{f"DIAG-AGA-{k}": ("A5", "A12") for k in ("harvest-H", "harvest-sign", "harvest-per-agent",
                                                  "harvest-normalised", "harvest-sum", "harvest-sgd", "cleanup-H",
                                                  "mmm2-H", "harvest-neither", "cleanup-neither", "mmm2-neither")},
    "DIAG-RECIP-coins-cells": ("C4", "C9", "C10"),
    "DIAG-RECIP-coins-confirm": ("C10", "C11"),
    "DIAG-RECIP-mmaml-mfos": ("R6", "R12"),
    "DIAG-RECIP-mmaml-batch": ("R6", "R12"),
    "DIAG-RECIP-mmaml-fixed-lr": ("R6", "R12"),
}

#: the diagnostic outputs (experiments the pipeline reruns) that explain a claim's verdict
DIAGNOSIS = {
    **{f"AGA-C4-{g}-{t}": f"tables/aga_ablation, figures/aga_ablation_curves (DIAG-AGA-{g}-*)"
       for g in ("harvest", "cleanup") for t in ("E", "SW")},
    **{c: "tables/aga_ablation, figures/aga_ablation_curves (DIAG-AGA-mmm2-H)"
       for c in ("AGA-C5-win", "AGA-C5-return")},
    "RECIP-C3": "tables/recip_ipd_rollout_sensitivity",
    **{c: "tables/recip_coins_diagnosis, figures/recip_coins_diagnosis (DIAG-RECIP-coins-cells)"
       for c in ("RECIP-C4b", "RECIP-C5a", "RECIP-C5b", "RECIP-C5c")},
    "RECIP-C4a": ("tables/recip_coins_diagnosis, figures/recip_coins_diagnosis (DIAG-RECIP-coins-cells); "
                  "tables/recip_coins_confirm (DIAG-RECIP-coins-confirm)"),
}

#: modules that register claims when imported: each experiment's (the experiment registry, mixedmotive.jobs), in
#: the registry's order, which is the claims table's
CLAIM_MODULES = tuple(dict.fromkeys(f"mixedmotive.analysis.{e.claims}" for e in EXPERIMENTS.values()))


#: kinds of larger budget: kind -> function(frames, cfg, spec) -> {claim id: the frames its check reads at that
#: budget, or a sentence saying which runs are missing (the row is then "not run")}
BUDGETS: dict[str, Callable[[dict[str, pd.DataFrame], dict, dict], dict[str, dict[str, pd.DataFrame] | str]]] = {}


def budget(kind: str):
    """Decorator registering how the larger budgets of ``kind`` (``cfg["budgets"][i]["kind"]``) are decided."""

    def register(frames_at_budget):
        BUDGETS[kind] = frames_at_budget
        return frames_at_budget

    return register


def claim(id: str, paper: str, source: str, statement: str, experiments: tuple[str, ...]):
    """Decorator registering ``check`` as the test of one paper claim."""

    def register(check):
        if id in REGISTRY:
            raise ValueError(f"claim {id} registered twice")
        REGISTRY[id] = Claim(id, paper, source, statement, tuple(experiments), check)
        return check

    return register


def welch_greater(a, b) -> float:
    """One-sided Welch t-test p of mean(a) > mean(b), NaNs dropped; NaN with fewer than 2 values a side."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return math.nan
    return float(stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue)


def fmt_p(p: float) -> str:
    """A p-value in a few characters for a key number: ``p=.029``, ``p<.001``, ``p n/a`` (fewer than 2 seeds)."""
    if p != p:  # NaN
        return "p n/a"
    return "p<.001" if p < 0.001 else "p=" + f"{p:.2g}".removeprefix("0")


def at_least(margin: float) -> str:
    """``≥ -margin`` as the config writes the margin (``≥ 0.0``, not ``≥ -0.0``)."""
    return f"≥ {margin}" if margin == 0 else f"≥ -{margin}"


def load_registry() -> dict[str, Claim]:
    for name in CLAIM_MODULES:
        importlib.import_module(name)
    return REGISTRY


def group_by_experiment(paths) -> dict[str, pd.DataFrame]:
    by_exp: dict[str, list[str]] = {}
    for p in paths:
        _, meta = results.read(p)
        by_exp.setdefault(meta["experiment"], []).append(p)
    return {exp: results.read_many(ps) for exp, ps in by_exp.items()}


def _row(c: Claim, frames: dict[str, pd.DataFrame] | str, cfg: dict, budget_name: str, larger=False) -> dict:
    """One row of the claims table: claim ``c`` checked on ``frames`` (a string: the runs that are missing);
    ``larger``: a row at a larger budget (decision A16 explains those)."""
    row = {"id": c.id, "paper": c.paper, "source": c.source, "claim": c.statement, "budget": budget_name}
    if isinstance(frames, str):
        row.update(statistic="", threshold="", verdict="not run", key="", detail=frames)
    elif all(e in frames for e in c.experiments):
        v = c.check(frames, cfg)
        verdict = "not run" if not v.ran else "reproduced" if v.reproduced else "not reproduced"
        row.update(statistic=v.statistic, threshold=v.threshold, verdict=verdict, key=v.key if v.ran else "",
                   detail=v.detail)
    else:
        row.update(statistic="", threshold="", verdict="not run", key="",
                   detail="needs " + ", ".join(e for e in c.experiments if e not in frames))
    row["decisions"] = ", ".join(DECISIONS.get(c.id, ()) + (("A16",) if larger else ()))
    row["diagnosis"] = DIAGNOSIS.get(c.id, "")
    return row


def evaluate(frames: dict[str, pd.DataFrame], cfg: dict) -> pd.DataFrame:
    """Every registered claim on ``frames`` (budget ``cfg["scale"]``, default ``default``), each followed by its
    rows at the larger budgets of ``cfg["budgets"]``: specs ``{"name": "8x", "kind": ..., ...}`` (see
    :func:`budget`)."""
    registry = load_registry()
    base = cfg.get("scale", "default")
    extra: dict[str, list[dict]] = {}
    for spec in cfg.get("budgets") or ():
        if spec["kind"] not in BUDGETS:
            raise KeyError(f"no larger budget of kind {spec['kind']!r} is registered ({', '.join(BUDGETS)})")
        for cid, at_budget in BUDGETS[spec["kind"]](frames, cfg, spec).items():
            extra.setdefault(cid, []).append(_row(registry[cid], at_budget, cfg, spec["name"], larger=True))
    rows = []
    for c in registry.values():
        rows += [_row(c, frames, cfg, base), *extra.get(c.id, [])]
    return pd.DataFrame(rows)


def claims_table(paths, cfg: dict) -> pd.DataFrame:
    """The claims table of the raw results ``paths`` (written by ``plots.claims.write``).  A larger budget whose
    spec lists its own ``paths`` (runs of an experiment at other settings, e.g. Coins at the paper's) gets those
    runs, grouped by experiment, as ``spec["frames"]``; they are left out of the scale's own frames."""
    own = {str(p) for spec in cfg.get("budgets") or () for p in spec.get("paths", ())}
    specs = [{**spec, "frames": group_by_experiment([p for p in paths if str(p) in set(map(str, spec["paths"]))])}
             if "paths" in spec else spec for spec in cfg.get("budgets") or ()]
    return evaluate(group_by_experiment([p for p in paths if str(p) not in own]), {**cfg, "budgets": specs})
