"""Tests of AgA Fig. 5 (the Selfish-MMM2 line-up schematic): a PDF is written and its title's
counts come from ``mmm2_units.scenario()`` (hand fact: 1 Medivac, 2 Marauders, 7 Marines vs
1 Medivac, 3 Marauders, 8 Marines)."""

from __future__ import annotations

import copy

from mixedmotive.envs.mmm2_units import scenario
from mixedmotive.plots import aga_mmm2


def test_title_from_scenario():
    assert aga_mmm2.title() == ("Selfish-MMM2: 1 Medivac, 2 Marauders, 7 Marines vs "
                                "1 Medivac, 3 Marauders, 8 Marines")


def test_fig5_writes_pdf(tmp_path):
    out = tmp_path / "figures" / "aga_fig5_mmm2_units.pdf"
    out.parent.mkdir()
    aga_mmm2.fig5([], out, {})
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000
    assert b"Selfish-MMM2: 1 Medivac, 2 Marauders, 7 Marines vs 1 Medivac, 3 Marauders, 8 Marines" in data
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left behind


def test_counts_are_not_hard_coded(tmp_path, monkeypatch):
    sc = copy.deepcopy(scenario())
    sc["enemies"]["counts"] = {"medivac": 2, "marine": 1, "marauder": 3}
    monkeypatch.setattr(aga_mmm2, "scenario", lambda: sc)
    out = tmp_path / "f.pdf"
    aga_mmm2.fig5(None, out, {})
    assert b"vs 2 Medivacs, 3 Marauders, 1 Marine" in out.read_bytes()
