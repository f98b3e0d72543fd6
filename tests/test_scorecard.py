"""The verdict scorecard (mixedmotive.plots.scorecard): every claim once, each cell coloured by its verdict."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

from mixedmotive.analysis.claims import load_registry
from mixedmotive.plots import scorecard as sc

VERDICTS = ("reproduced", "not reproduced", "not run")


def _table(budget: str | None = None) -> pd.DataFrame:
    """One row per registered claim, verdicts in turn, a key number and, on every third, a diagnosis."""
    rows = []
    for i, c in enumerate(load_registry().values()):
        rows.append({"id": c.id, "paper": c.paper, "source": c.source, "claim": c.statement,
                     "verdict": VERDICTS[i % 3], "key": f"+0.{i:03d}", "diagnosis": "tables/x" if i % 3 == 0 else "",
                     **({"budget": budget} if budget else {})})
    return pd.DataFrame(rows)


def _artists(fig, prefix: str):
    found = []
    for ax in fig.axes:
        found += [a for a in [*ax.texts, *ax.patches] if (a.get_gid() or "").startswith(prefix)]
    return found


def test_every_claim_appears_once_and_each_cell_follows_its_verdict():
    table = _table()
    fig = sc.scorecard(table, "default")
    ids = Counter(a.get_gid().removeprefix("id:") for a in _artists(fig, "id:"))
    assert sorted(ids) == sorted(table.id) and set(ids.values()) == {1}
    cells = {a.get_gid().removeprefix("cell:"): a for a in _artists(fig, "cell:")}
    assert sorted(cells) == sorted(f"{i}@default" for i in table.id)  # one column, named after the scale
    for row in table.itertuples():
        assert cells[f"{row.id}@default"].get_facecolor() == to_rgba(sc.VERDICT_COLOURS[row.verdict]), row.id


def test_diagnostics_are_a_panel_of_their_own():
    table = _table()
    fig = sc.scorecard(table, "default")
    per_axis = [{a.get_gid().removeprefix("id:") for a in ax.texts if (a.get_gid() or "").startswith("id:")}
                for ax in fig.axes if ax.texts]
    assert len(per_axis) == 2
    assert all(not i.startswith("DIAG-") for i in per_axis[0]) and all(i.startswith("DIAG-") for i in per_axis[1])


def test_one_column_per_budget_and_a_claim_missing_at_a_budget_is_not_run():
    table = pd.concat([_table("1×"), _table("8×").iloc[:3].assign(verdict="reproduced")], ignore_index=True)
    assert sc.budgets(table, "default") == ["1×", "8×"]
    cells = {a.get_gid().removeprefix("cell:"): a for a in _artists(sc.scorecard(table, "default"), "cell:")}
    first, last = table.id.iloc[0], table.id.iloc[len(load_registry()) - 1]
    assert cells[f"{first}@8×"].get_facecolor() == to_rgba(sc.VERDICT_COLOURS["reproduced"])
    assert cells[f"{last}@8×"].get_facecolor() == to_rgba(sc.VERDICT_COLOURS["not run"])


def test_larger_budgets_are_columns_from_the_smallest_multiple_to_named_ones():
    table = pd.concat([_table("default"), _table("8x").iloc[:2], _table("paper").iloc[2:3], _table("4x").iloc[3:4]],
                      ignore_index=True)
    assert sc.budgets(table, "default") == ["default", "4x", "8x", "paper"]


def test_cell_text_is_the_key_number_with_a_mark_where_a_diagnosis_explains_it():
    table = _table().iloc[:2]
    texts = [t.get_text() for ax in sc.scorecard(table, "default").axes for t in ax.texts]
    assert "+0.000 †" in texts and "+0.001" in texts


@pytest.mark.parametrize("scale", ["smoke", "default"])
def test_plot_writes_a_pdf_and_a_png_readable_at_100_percent(tmp_path, scale):
    csv = tmp_path / "claims.csv"
    _table().to_csv(csv, index=False)
    out = tmp_path / "claims_scorecard.pdf"
    sc.plot([str(csv)], out, {"scale": scale})
    assert out.read_bytes()[:4] == b"%PDF"
    width, _ = Image.open(out.with_suffix(".png")).size
    assert 1000 <= width <= 1400, width
