"""Reciprocators IPD-Analytic round-robin table (5 x 5, row agent's reward per step)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import results
from .tables import write_table

LABELS = {"nl": "NL", "lola": "LOLA", "mmaml": "M-MAML", "mfos": "MFOS", "reciprocator": "Reciprocator"}


def cell_samples(frame: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """Per-game rewards of the row agent against the column agent, pooled over seeds.

    A match a_vs_b fills (a, b) with player 1's rewards and (b, a) with player 2's; a
    self-match a_vs_a fills (a, a) with both players' rewards.
    """
    cells: dict[tuple[str, str], list] = {}
    for (a, b), f in frame.groupby(["agent_1", "agent_2"]):
        cells.setdefault((a, b), []).append(f.reward_1.to_numpy())
        cells.setdefault((b, a), []).append(f.reward_2.to_numpy())
    return {k: np.concatenate(v) for k, v in cells.items()}


def round_robin_means(frame: pd.DataFrame, agents) -> pd.DataFrame:
    cells = cell_samples(frame)
    return pd.DataFrame([[cells[(r, c)].mean() if (r, c) in cells else np.nan for c in agents] for r in agents],
                        index=list(agents), columns=list(agents))


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
