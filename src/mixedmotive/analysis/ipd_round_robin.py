"""IPD-Analytic round robin: per-cell rewards of the row agent against the column agent."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
