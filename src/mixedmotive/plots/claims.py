"""The claims table (tables/claims.*): the analysis decides the verdicts, this writes them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.claims import claims_table
from .tables import write_table


def write_claims(paths, out_pdf, cfg: dict) -> pd.DataFrame:
    table = claims_table(paths, cfg)
    write_table(table, Path(out_pdf), title="Paper claims checked on this run's raw results",
                note="decisions: the entries of docs/decisions.md that explain each claim's set-up and verdict; "
                     "diagnosis: the pipeline's diagnostic outputs that explain it. Rows of paper 'AgA (diagnostic)' "
                     "and 'Reciprocators (diagnostic)' are diagnostics (the AgA ablation, docs/decisions.md A12; the "
                     "Coins diagnosis, C10), not claims of the papers.",
                wrap={"claim": 44, "statistic": 34, "threshold": 26, "detail": 40, "decisions": 12, "diagnosis": 22})
    return table
