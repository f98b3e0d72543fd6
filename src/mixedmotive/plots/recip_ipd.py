"""Reciprocators IPD-Analytic round-robin table (5 x 5, row agent's reward per step)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import results
from ..analysis.ipd_round_robin import LABELS, cell_samples
from .tables import write_table


def table(inputs, out, cfg: dict) -> None:
    frame = results.read_many(inputs)
    agents = cfg["agents"]
    cells = cell_samples(frame)
    rows = []
    for r in agents:
        row = {"row agent \\ column agent": LABELS.get(r, r)}
        for c in agents:
            v = cells.get((r, c))
            row[LABELS.get(c, c)] = "" if v is None else f"{v.mean():.3f} ± {v.std(ddof=1):.3f}"
        rows.append(row)
    seeds = frame.seed.nunique()
    write_table(pd.DataFrame(rows), Path(out),
                title="IPD-Analytic round robin: row agent's average reward per step against the column agent",
                note=(f"mean ± std over games: {cfg['batch']} games x {seeds} seed(s) per cell, each game's reward "
                      f"per step averaged over {cfg['n_updates']} simultaneous updates (γ={cfg['gamma']}). "
                      "Mutual cooperation = -1, mutual defection = -2."))
