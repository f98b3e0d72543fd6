"""AgA Fig. 1, Fig. 4 and Table 1 drawn from small synthetic result frames: every method stays visible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from mixedmotive import results
from mixedmotive.plots import aga_fig1, aga_public_goods, style

DIFFGAME_CFG = {"plot_range": [-2.5, 2.5], "lr": 0.002, "steps": 40, "lam": {"cga": 0.1, "sga": 0.1, "aga": 0.1}}
PGG_CFG = {"k": 1.5, "endowment": 1.0, "lr": 5.0, "max_steps": 20, "lam": {"aga": 1.0, "cga": 1.0, "sga": 1.0}}


@pytest.fixture
def saved(monkeypatch):
    """The figures the plots would save, kept open for inspection."""
    figs = []
    for module in (aga_fig1, aga_public_goods):
        monkeypatch.setattr(module, "save_pdf", lambda fig, out, **kw: figs.append(fig))
    return figs


def _write(tmp_path, frame: pd.DataFrame, experiment: str) -> list[str]:
    paths = []
    for m, f in frame.groupby("method"):
        p = tmp_path / experiment / m / "seed0.parquet"
        results.write(f.reset_index(drop=True), p, {"experiment": experiment, "method": m, "seed": 0})
        paths.append(str(p))
    return paths


def test_every_method_has_its_own_colour_marker_and_the_shared_paths_differ_in_line_style():
    methods = list(style.METHODS)
    assert len({style.colours()[m] for m in methods}) == len(methods)
    assert len({style.marker(m) for m in methods}) == len(methods)
    for a, b in (("simul_co", "aga"), ("simul_ind", "sga")):  # the pairs whose paths coincide in Fig. 1
        assert style.linestyle(a) != style.linestyle(b)


def test_nesting_counts_later_points_nearby():
    assert style.nesting([(0, 0), (0.01, 0), (0, 0.02), (1, 1)], near=0.05) == [2, 1, 0, 0]


def _diffgame(tmp_path) -> list[str]:
    """Simul-Co and AgA on one path, Simul-Ind and SGA on another that leaves the plotted range."""
    rows = []
    steps = np.linspace(0, 1, 41)
    paths = {"simul_co": (-0.5 + steps, 0.5 - 1.5 * steps), "aga": (-0.5 + steps, 0.5 - 1.5 * steps),
             "simul_ind": (-0.5 - 3 * steps, 0.5 - steps), "sga": (-0.5 - 3 * steps, 0.5 - steps)}
    for m, (a1, a2) in paths.items():
        rows += [{"start": 0, "highlight": True, "step": s, "a1": x, "a2": y, "r1": 0.0, "r2": 0.0, "lam": 0.0,
                  "method": m} for s, (x, y) in enumerate(zip(a1, a2, strict=True))]
    return _write(tmp_path, pd.DataFrame(rows), "aga_diffgame")


def test_fig1_draws_coinciding_paths_distinguishably(tmp_path, saved):
    aga_fig1.plot(_diffgame(tmp_path), tmp_path / "fig1.pdf", DIFFGAME_CFG)
    fig = saved[0]
    ax = fig.axes[0]
    assert "3-D" in ax.get_title()
    markers = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None" and ln.get_markevery() is not None]
    look = {(ln.get_marker(), str(ln.get_color())) for ln in markers}
    assert len(look) == 4  # every method has markers along its path, each its own
    offsets = sorted(ln.get_markevery()[0] for ln in markers)
    assert len(set(offsets)) == 4  # staggered, so markers on a shared path do not sit on each other
    ends = [ln for ln in ax.get_lines() if ln.get_markevery() is None and ln.get_markersize() >= 8]  # not the start
    sizes = {ln.get_marker(): ln.get_markersize() for ln in ends}
    assert sizes[style.marker("simul_co")] > sizes[style.marker("aga")]  # nested where the ends coincide
    off_range = [ln for ln in ends if ln.get_markerfacecolor() == "none"]
    assert {ln.get_marker() for ln in off_range} == {style.marker("simul_ind"), style.marker("sga")}
    assert all(ln.get_xdata()[0] == -2.5 for ln in off_range)  # drawn on the frame
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:4] == ["Simul-Ind", "SGA", "Simul-Co", "AgA"] and "start" in legend


def _pgg(tmp_path) -> list[str]:
    finals = {m: [(0.01, 0.02), (0.02, 0.01), (0.0, 0.03)] for m in ("simul_ind", "cga", "sga", "svo")}
    finals["simul_co"] = [(0.97, 0.96), (0.95, 0.99), (0.96, 0.97)]
    finals["aga"] = [(0.99, 0.99), (0.995, 0.99), (0.99, 0.995)]
    rows = []
    for m, points in finals.items():
        for run, (a1, a2) in enumerate(points):
            for step, (x1, x2) in ((0, (0.5, 0.5)), (3, (a1, a2))):
                rows.append({"run": run, "step": step, "a1": x1, "a2": x2, "r1": 1 - x1 + 0.75 * (x1 + x2),
                             "r2": 1 - x2 + 0.75 * (x1 + x2), "lam": 0.0, "steps_to_converge": 3, "method": m})
    return _write(tmp_path, pd.DataFrame(rows), "aga_public_goods")


def _means(ax) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets()) == 1]


def test_fig4_nests_coinciding_means_and_zooms_in_at_one_one(tmp_path, saved):
    aga_public_goods.fig4(_pgg(tmp_path), tmp_path / "fig4.pdf", {})
    main, zoom = saved[0].axes[:2]
    at_zero = [c for c in _means(main) if np.all(c.get_offsets()[0] < 0.1)]
    assert len(at_zero) == 4 and len({c.get_sizes()[0] for c in at_zero}) == 4  # four means, none hidden
    lo, hi = zoom.get_xlim()
    assert lo < 0.95 and 1.0 < hi < 1.02 and zoom.get_ylim() == (lo, hi)  # a close-up of (1, 1)
    assert {tuple(c.get_offsets()[0].round(3)) for c in _means(zoom)} == {(0.96, 0.973), (0.992, 0.992)}
    assert "AgA: 0.0" in " ".join(t.get_text() for t in zoom.texts)
    assert len({c.get_paths()[0].vertices.shape for c in _means(main)}) > 1  # methods differ in marker shape


def test_table1_note_is_readable_text(tmp_path, monkeypatch):
    notes = []
    monkeypatch.setattr(aga_public_goods, "write_table", lambda frame, out, title, note: notes.append(note))
    aga_public_goods.table1(_pgg(tmp_path), tmp_path / "table1.pdf", PGG_CFG)
    assert "λ_AgA=1, λ_CGA=1, λ_SGA=1" in notes[0] and "{" not in notes[0]
