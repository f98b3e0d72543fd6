"""Tests of the claims registry and the AgA claim checks on synthetic raw results.

The frames are built by hand with the columns the experiments write (see
mixedmotive/experiments/*.py; ``seed`` and ``method`` are present in every frame
once read back with ``results.read_many``).  Each claim gets a frame that must
make it pass and variants that must make it fail.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from mixedmotive import config, results
from mixedmotive.analysis import claims as claims_mod
from mixedmotive.analysis.claims import Verdict, evaluate, load_registry
from mixedmotive.plots import claims as plots_claims
from mixedmotive.plots.claims import write_claims
from mixedmotive.plots.tables import to_tex, write_table

AGA_IDS = {"AGA-C2a", "AGA-C2b", "AGA-C3a", "AGA-C3b", "AGA-C3c", "AGA-C6"}
DG_METHODS = ("simul_ind", "cga", "sga", "simul_co", "aga")
PGG_METHODS = ("simul_ind", "cga", "sga", "svo", "simul_co", "sl", "aga")


@pytest.fixture(scope="module")
def cfg() -> dict:
    return config.load()["claims"]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def check(registry, cid, frames, cfg) -> Verdict:
    v = registry[cid].check(frames, cfg)
    assert isinstance(v, Verdict)
    assert isinstance(v.statistic, str) and isinstance(v.threshold, str)
    assert isinstance(v.reproduced, bool)
    return v


# ------------------------------------------------------------------ synthetic frames


def diffgame_frame(final: dict[str, list[tuple[float, float]]], highlight_final=(0.0, 0.0)) -> pd.DataFrame:
    """Trajectories of the diffgame: per method the final (r1, r2) of each grid start.

    Start 0 is the highlighted (plotted) start; its rewards are ``highlight_final``
    and must be ignored by the claims.  Step 0 is a bad point (r = (-1, -1)) for
    every start so that only the last step can make a claim pass.  Rows are shuffled.
    """
    rows = []
    for m, finals in final.items():
        starts = [highlight_final] + list(finals)
        for s, (r1, r2) in enumerate(starts):
            for step, (x1, x2) in ((0, (-1.0, -1.0)), (1, (0.0, 0.0)), (2, (r1, r2))):
                rows.append({"start": s, "highlight": s == 0, "step": step, "a1": 0.1 * s, "a2": -0.1 * s,
                             "r1": x1, "r2": x2, "lam": 0.0 if step == 0 else 0.01, "method": m, "seed": 0})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)


def diffgame_pass() -> pd.DataFrame:
    opt = (1.0, 1.0)  # r1 + r2 = 2: social optimum
    return diffgame_frame({
        "simul_ind": [(0.2, 0.5), (-0.5, 0.9), (1.0, 0.0)],
        "cga": [(0.2, 0.5), (0.9, 0.5), (1.0, 0.0)],
        "sga": [(0.5, 0.5), (0.0, 1.0), (opt)],          # 1/3 of the starts hit
        "simul_co": [opt, opt, (-0.4, 1.0)],               # 2/3 hit, player 1 ignored on one start
        "aga": [opt, opt, opt],                            # 3/3 hit
    }, highlight_final=(-1.0, -1.0))


PGG_COLUMNS = ["run", "step", "a1", "a2", "r1", "r2", "lam", "steps_to_converge", "method", "seed"]


def pgg_frame(final: dict[str, list[tuple[float, float]]], k: float = 1.5) -> pd.DataFrame:
    """Public goods runs: per method the final (a1, a2) of each run; step 0 starts at (0.5, 0.5)."""
    rows = []
    for m, finals in final.items():
        for run, (a1, a2) in enumerate(finals):
            for step, (x1, x2) in ((0, (0.5, 0.5)), (3, (a1, a2))):
                pot = k / 2 * (x1 + x2)
                rows.append({"run": run, "step": step, "a1": x1, "a2": x2, "r1": 1 - x1 + pot,
                             "r2": 1 - x2 + pot, "lam": 0.0, "steps_to_converge": 3, "method": m, "seed": 0})
    return pd.DataFrame(rows, columns=PGG_COLUMNS).sample(frac=1.0, random_state=1).reset_index(drop=True)


def pgg_finals(**override) -> dict[str, list[tuple[float, float]]]:
    finals = {m: [(0.01, 0.02), (0.02, 0.01), (0.0, 0.03)] for m in PGG_METHODS}
    finals["simul_co"] = [(0.97, 0.96), (0.95, 0.99), (0.96, 0.97)]  # mean distance to (1,1) ~ 0.04
    finals["aga"] = [(0.99, 0.99), (0.995, 0.99), (0.99, 0.995)]     # ~ 0.012, tighter
    finals.update(override)
    return finals


def runtime_frame(aga_ratio: float | None = 1.4, base_ms: float = 0.5, aga_iqr: tuple[float, float] | None = None
                  ) -> pd.DataFrame:
    """What aga_runtime writes: medians and quartiles over the timing rounds (quartiles +-5% unless given)."""
    ratios = {m: 1.1 for m in PGG_METHODS}
    ratios["simul_ind"] = 1.0
    if aga_ratio is None:
        ratios.pop("aga")
    else:
        ratios["aga"] = aga_ratio
    rows = []
    for m, r in ratios.items():
        q1, q3 = aga_iqr if (m == "aga" and aga_iqr) else ((1.0, 1.0) if m == "simul_ind" else (0.95 * r, 1.05 * r))
        ms = r * base_ms
        rows.append({"method": m, "duration_s": ms * 20 / 1000, "duration_q1_s": 0.9 * ms * 20 / 1000,
                     "duration_q3_s": 1.1 * ms * 20 / 1000, "steps_executed": 20, "steps_to_converge": 20.0,
                     "step_time_ms": ms, "step_time_q1_ms": 0.9 * ms, "step_time_q3_ms": 1.1 * ms,
                     "ratio_to_simul_ind": r, "ratio_q1": q1, "ratio_q3": q3,
                     "runs_per_batch": 50, "repeats": 60, "clock": "cpu",
                     "device": "Test CPU (4 logical cores)", "seed": 0})
    return pd.DataFrame(rows)


def all_frames() -> dict[str, pd.DataFrame]:
    return {"aga_diffgame": diffgame_pass(), "aga_public_goods": pgg_frame(pgg_finals()),
            "aga_runtime": runtime_frame()}


# ------------------------------------------------------------------ registry


def test_registry_has_aga_claims(registry):
    assert AGA_IDS <= set(registry)
    assert registry is claims_mod.REGISTRY
    for cid in AGA_IDS:
        c = registry[cid]
        assert c.id == cid and c.paper == "AgA" and c.statement and c.source
    assert registry["AGA-C2a"].experiments == ("aga_diffgame",)
    assert registry["AGA-C2b"].experiments == ("aga_diffgame",)
    for cid in ("AGA-C3a", "AGA-C3b", "AGA-C3c"):
        assert registry[cid].experiments == ("aga_public_goods",)
    assert registry["AGA-C6"].experiments == ("aga_runtime",)


def test_load_registry_idempotent(registry):
    n = len(registry)
    assert len(load_registry()) == n


def test_duplicate_claim_id_rejected(registry):
    with pytest.raises(ValueError, match="twice"):
        claims_mod.claim("AGA-C2a", "AgA", "x", "y", ("aga_diffgame",))(lambda f, c: None)


# ------------------------------------------------------------------ AGA-C2a: only Simul-Co and AgA reach the optimum


def test_c2a_passes(registry, cfg):
    v = check(registry, "AGA-C2a", {"aga_diffgame": diffgame_pass()}, cfg)
    assert v.reproduced
    assert "3 start points" in v.detail  # the highlighted start is excluded
    assert "aga=1.000" in v.statistic and "simul_co=0.667" in v.statistic and "sga=0.333" in v.statistic


def test_c2a_fails_when_a_baseline_reaches_optimum_as_often(registry, cfg):
    f = diffgame_frame({
        "simul_ind": [(1.0, 1.0), (1.0, 1.0), (1.0, 1.0)],
        "cga": [(0.0, 0.0)] * 3, "sga": [(0.0, 0.0)] * 3,
        "simul_co": [(1.0, 1.0)] * 3, "aga": [(1.0, 1.0)] * 3,
    })
    assert not check(registry, "AGA-C2a", {"aga_diffgame": f}, cfg).reproduced


def test_c2a_fails_when_simul_co_misses(registry, cfg):
    f = diffgame_frame({
        "simul_ind": [(0.0, 0.0)] * 3, "cga": [(0.0, 0.0)] * 3, "sga": [(1.0, 1.0), (0.0, 0.0), (0.0, 0.0)],
        "simul_co": [(1.0, 1.0), (0.0, 0.0), (0.0, 0.0)],  # ties SGA's 1/3: not strictly better
        "aga": [(1.0, 1.0)] * 3,
    })
    assert not check(registry, "AGA-C2a", {"aga_diffgame": f}, cfg).reproduced


def test_c2a_uses_tolerance(registry, cfg):
    tol = cfg["optimum_tol"]
    near = (1.0, 1.0 - tol / 2)    # r1 + r2 = 2 - tol/2 >= 2 - tol: counts
    short = (1.0, 1.0 - 2 * tol)   # 2 - 2 tol: does not
    base = {"simul_ind": [short] * 2, "cga": [short] * 2, "sga": [short] * 2}
    assert check(registry, "AGA-C2a", {"aga_diffgame": diffgame_frame(
        {**base, "simul_co": [near] * 2, "aga": [near] * 2})}, cfg).reproduced
    assert not check(registry, "AGA-C2a", {"aga_diffgame": diffgame_frame(
        {**base, "simul_co": [short] * 2, "aga": [near] * 2})}, cfg).reproduced


def test_c2a_ignores_highlighted_start_and_early_steps(registry, cfg):
    # baselines reach the optimum only on the highlighted start: still excluded
    f = diffgame_pass()
    f.loc[(f.start == 0) & f.method.isin(["simul_ind", "cga", "sga"]), ["r1", "r2"]] = 1.0
    assert check(registry, "AGA-C2a", {"aga_diffgame": f}, cfg).reproduced
    # AgA at the optimum only before the last step: not counted
    f = diffgame_pass()
    f.loc[(f.method == "aga") & (f.step == 2), ["r1", "r2"]] = 0.0
    f.loc[(f.method == "aga") & (f.step == 1), ["r1", "r2"]] = 1.0
    assert not check(registry, "AGA-C2a", {"aga_diffgame": f}, cfg).reproduced


def test_c2a_fails_without_baselines(registry, cfg):
    f = diffgame_frame({"simul_co": [(1.0, 1.0)], "aga": [(1.0, 1.0)]})
    assert not check(registry, "AGA-C2a", {"aga_diffgame": f}, cfg).reproduced


# ------------------------------------------------------------------ AGA-C2b: AgA keeps player 1


def test_c2b_passes(registry, cfg):
    # mean final r1 over grid starts: AgA (1 + 1 + 1)/3 = 1, Simul-Co (1 + 1 - 0.4)/3 = 0.533
    v = check(registry, "AGA-C2b", {"aga_diffgame": diffgame_pass()}, cfg)
    assert v.reproduced
    assert "AgA=1.000" in v.statistic and "Simul-Co=0.533" in v.statistic
    assert "+0.467" in v.detail


def test_c2b_fails_when_r1_equal(registry, cfg):
    f = diffgame_frame({"simul_co": [(1.0, 1.0)] * 3, "aga": [(1.0, 1.0)] * 3})
    assert not check(registry, "AGA-C2b", {"aga_diffgame": f}, cfg).reproduced


def test_c2b_margin(registry, cfg):
    m = cfg["player1_margin"]
    below = diffgame_frame({"simul_co": [(0.5, 1.0)] * 2, "aga": [(0.5 + m / 2, 1.0)] * 2})
    above = diffgame_frame({"simul_co": [(0.5, 1.0)] * 2, "aga": [(0.5 + 2 * m, 1.0)] * 2})
    assert not check(registry, "AGA-C2b", {"aga_diffgame": below}, cfg).reproduced
    assert check(registry, "AGA-C2b", {"aga_diffgame": above}, cfg).reproduced


def test_c2b_fails_when_aga_worse_or_missing(registry, cfg):
    worse = diffgame_frame({"simul_co": [(1.0, 1.0)] * 2, "aga": [(0.2, 1.0)] * 2})
    assert not check(registry, "AGA-C2b", {"aga_diffgame": worse}, cfg).reproduced
    missing = diffgame_frame({"simul_co": [(0.0, 1.0)] * 2, "simul_ind": [(1.0, 0.0)] * 2})
    assert not check(registry, "AGA-C2b", {"aga_diffgame": missing}, cfg).reproduced


def test_c2b_ignores_highlighted_start(registry, cfg):
    f = diffgame_frame({"simul_co": [(1.0, 1.0)] * 2, "aga": [(1.0, 1.0)] * 2})
    f.loc[(f.start == 0) & (f.method == "aga"), "r1"] = 50.0  # would dominate the mean if included
    assert not check(registry, "AGA-C2b", {"aga_diffgame": f}, cfg).reproduced


# ------------------------------------------------------------------ AGA-C3a: baselines defect


def test_c3a_passes(registry, cfg):
    v = check(registry, "AGA-C3a", {"aga_public_goods": pgg_frame(pgg_finals())}, cfg)
    assert v.reproduced
    assert v.detail == ""
    # mean distance of simul_ind: (hypot(.01,.02) + hypot(.02,.01) + .03) / 3
    d = (2 * math.hypot(0.01, 0.02) + 0.03) / 3
    assert f"simul_ind={d:.3f}" in v.statistic
    assert "simul_co" not in v.statistic and "aga=" not in v.statistic


@pytest.mark.parametrize("method", ["simul_ind", "cga", "sga", "svo", "sl"])
def test_c3a_fails_when_one_baseline_cooperates(registry, cfg, method):
    finals = pgg_finals(**{method: [(0.5, 0.5), (0.4, 0.6), (0.5, 0.5)]})
    v = check(registry, "AGA-C3a", {"aga_public_goods": pgg_frame(finals)}, cfg)
    assert not v.reproduced
    assert method in v.detail


def test_c3a_threshold_is_near_tol(registry, cfg):
    tol = cfg["near_tol"]
    inside = pgg_finals(svo=[(0.0, 0.9 * tol)] * 3)
    outside = pgg_finals(svo=[(0.0, 1.1 * tol)] * 3)
    assert check(registry, "AGA-C3a", {"aga_public_goods": pgg_frame(inside)}, cfg).reproduced
    assert not check(registry, "AGA-C3a", {"aga_public_goods": pgg_frame(outside)}, cfg).reproduced


def test_c3a_uses_final_step(registry, cfg):
    f = pgg_frame(pgg_finals())
    # move the sl runs' last step back to (0.5, 0.5): the early near-(0,0) steps do not count
    f.loc[(f.method == "sl") & (f.step == 3), ["a1", "a2"]] = 0.5
    f = pd.concat([f, f[(f.method == "sl") & (f.step == 0)].assign(step=1, a1=0.0, a2=0.0)], ignore_index=True)
    assert not check(registry, "AGA-C3a", {"aga_public_goods": f}, cfg).reproduced


def test_c3a_ignores_simul_co_and_aga(registry, cfg):
    finals = pgg_finals(simul_co=[(1.0, 1.0)] * 3, aga=[(0.5, 0.5)] * 3)
    assert check(registry, "AGA-C3a", {"aga_public_goods": pgg_frame(finals)}, cfg).reproduced


# ------------------------------------------------------------------ AGA-C3b: AgA and Simul-Co cooperate


def test_c3b_passes(registry, cfg):
    v = check(registry, "AGA-C3b", {"aga_public_goods": pgg_frame(pgg_finals())}, cfg)
    assert v.reproduced


@pytest.mark.parametrize("method", ["aga", "simul_co"])
def test_c3b_fails_when_one_does_not_cooperate(registry, cfg, method):
    finals = pgg_finals(**{method: [(0.8, 0.8)] * 3})  # distance sqrt(0.08) ~ 0.28 > 0.1
    assert not check(registry, "AGA-C3b", {"aga_public_goods": pgg_frame(finals)}, cfg).reproduced


@pytest.mark.parametrize("method", ["aga", "simul_co"])
def test_c3b_fails_when_one_is_missing(registry, cfg, method):
    finals = pgg_finals()
    finals.pop(method)
    assert not check(registry, "AGA-C3b", {"aga_public_goods": pgg_frame(finals)}, cfg).reproduced


# ------------------------------------------------------------------ AGA-C3c: AgA tighter around (1,1)


def test_c3c_passes(registry, cfg):
    f = pgg_frame(pgg_finals())
    v = check(registry, "AGA-C3c", {"aga_public_goods": f}, cfg)
    assert v.reproduced
    assert "3 runs per method" in v.detail


def test_c3c_fails_when_simul_co_closer(registry, cfg):
    finals = pgg_finals(simul_co=[(0.999, 0.999)] * 3)
    assert not check(registry, "AGA-C3c", {"aga_public_goods": pgg_frame(finals)}, cfg).reproduced


def test_c3c_fails_on_tie_and_when_missing(registry, cfg):
    same = [(0.98, 0.98)] * 3
    assert not check(registry, "AGA-C3c", {"aga_public_goods": pgg_frame(pgg_finals(aga=same, simul_co=same))},
                     cfg).reproduced
    for method in ("aga", "simul_co"):
        finals = pgg_finals()
        finals.pop(method)
        assert not check(registry, "AGA-C3c", {"aga_public_goods": pgg_frame(finals)}, cfg).reproduced


# ------------------------------------------------------------------ AGA-C6: AgA's step time


def test_c6_passes(registry, cfg):
    v = check(registry, "AGA-C6", {"aga_runtime": runtime_frame(1.4)}, cfg)
    assert v.reproduced
    assert "1.40" in v.statistic
    assert "Test CPU" in v.detail


def test_c6_reports_rounds_iqr_and_clock(registry, cfg):
    v = check(registry, "AGA-C6", {"aga_runtime": runtime_frame(1.4, aga_iqr=(1.31, 1.52))}, cfg)
    assert "median" in v.statistic
    assert "60 interleaved repeats" in v.detail and "IQR [1.31, 1.52]" in v.detail and "cpu time" in v.detail
    assert "straddles" not in v.detail


def test_c6_decided_on_the_median_ratio_even_when_the_iqr_straddles(registry, cfg):
    limit = cfg["runtime_ratio_max"]
    below = check(registry, "AGA-C6", {"aga_runtime": runtime_frame(limit - 0.1, aga_iqr=(limit - 0.5, limit + 0.4))},
                  cfg)
    above = check(registry, "AGA-C6", {"aga_runtime": runtime_frame(limit + 0.1, aga_iqr=(limit - 0.4, limit + 0.5))},
                  cfg)
    assert below.reproduced and not above.reproduced
    assert "straddles" in below.detail and "straddles" in above.detail


def test_c6_boundary_and_failure(registry, cfg):
    limit = cfg["runtime_ratio_max"]
    assert check(registry, "AGA-C6", {"aga_runtime": runtime_frame(limit)}, cfg).reproduced
    assert not check(registry, "AGA-C6", {"aga_runtime": runtime_frame(limit + 0.5)}, cfg).reproduced
    assert not check(registry, "AGA-C6", {"aga_runtime": runtime_frame(None)}, cfg).reproduced


# ------------------------------------------------------------------ evaluate


def test_evaluate_all_reproduced(cfg):
    table = evaluate(all_frames(), cfg)
    assert list(table.columns) == ["id", "paper", "source", "claim", "budget", "statistic", "threshold", "verdict",
                                   "key", "detail", "decisions", "diagnosis"]
    assert (table.budget == "default").all() and table.id.is_unique  # no larger budget configured: one row each
    aga = table[table.id.isin(AGA_IDS)].set_index("id")
    assert set(aga.index) == AGA_IDS
    assert (aga.verdict == "reproduced").all(), aga.verdict.to_dict()


def test_evaluate_not_reproduced(cfg):
    frames = all_frames()
    frames["aga_runtime"] = runtime_frame(10.0)
    table = evaluate(frames, cfg).set_index("id")
    assert table.loc["AGA-C6", "verdict"] == "not reproduced"
    assert table.loc["AGA-C2a", "verdict"] == "reproduced"


def test_evaluate_marks_missing_experiments_not_run(cfg):
    table = evaluate({"aga_public_goods": pgg_frame(pgg_finals())}, cfg).set_index("id")
    for cid in ("AGA-C2a", "AGA-C2b"):
        assert table.loc[cid, "verdict"] == "not run"
        assert table.loc[cid, "detail"] == "needs aga_diffgame"
        assert table.loc[cid, "statistic"] == "" and table.loc[cid, "threshold"] == ""
    assert table.loc["AGA-C6", "verdict"] == "not run"
    assert table.loc["AGA-C6", "detail"] == "needs aga_runtime"
    for cid in ("AGA-C3a", "AGA-C3b", "AGA-C3c"):
        assert table.loc[cid, "verdict"] == "reproduced"


def test_evaluate_with_nothing(cfg):
    table = evaluate({}, cfg)
    assert (table.verdict == "not run").all()
    assert AGA_IDS <= set(table.id)


# ------------------------------------------------------------------ writing


def _write_raw(tmp_path) -> list[str]:
    """Raw results as the workflow writes them: one parquet per (experiment, method, seed)."""
    paths = []
    frames = all_frames()
    for exp in ("aga_diffgame", "aga_public_goods"):
        for m, f in frames[exp].groupby("method"):
            p = tmp_path / "results" / exp / m / "seed0.parquet"
            # the experiment frames of aga_diffgame carry no seed column: read_many adds it
            f = f.drop(columns=["seed"]) if exp == "aga_diffgame" else f
            results.write(f.reset_index(drop=True), p, {"experiment": exp, "method": m, "seed": 0})
            paths.append(str(p))
    p = tmp_path / "results" / "aga_runtime" / "all" / "seed0.parquet"
    results.write(frames["aga_runtime"], p, {"experiment": "aga_runtime", "method": None, "seed": 0})
    paths.append(str(p))
    return paths


def test_group_by_experiment(tmp_path):
    grouped = claims_mod.group_by_experiment(_write_raw(tmp_path))
    assert set(grouped) == {"aga_diffgame", "aga_public_goods", "aga_runtime"}
    assert set(grouped["aga_diffgame"].method) == set(DG_METHODS)
    assert (grouped["aga_diffgame"].seed == 0).all()
    assert len(grouped["aga_runtime"]) == len(PGG_METHODS)


def test_write_claims_outputs(tmp_path, cfg):
    out = tmp_path / "tables" / "claims.pdf"
    table = write_claims(_write_raw(tmp_path), out, cfg)
    assert out.read_bytes().startswith(b"%PDF")
    csv = pd.read_csv(out.with_suffix(".csv"), keep_default_na=False)
    assert list(csv.id) == list(table.id)
    aga = csv[csv.id.isin(AGA_IDS)]
    assert (aga.verdict == "reproduced").all(), aga[["id", "verdict", "statistic"]].to_dict("records")
    tex = out.with_suffix(".tex").read_text()
    assert r"\begin{tabular}" in tex and r"\end{table}" in tex
    assert "AGA-C2a" in tex
    assert r"\_" in tex  # underscores (simul_co ...) escaped
    leftovers = [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_write_claims_only_some_experiments(tmp_path, cfg):
    paths = [p for p in _write_raw(tmp_path) if "aga_runtime" in p]
    out = tmp_path / "claims.pdf"
    table = write_claims(paths, out, cfg).set_index("id")
    assert table.loc["AGA-C6", "verdict"] == "reproduced"
    assert table.loc["AGA-C3a", "verdict"] == "not run"
    assert out.read_bytes()[:4] == b"%PDF"


def test_claims_pdf_is_landscape_a4_pages_with_a_footer(tmp_path, cfg):
    from mixedmotive.plots import footer

    out = tmp_path / "claims.pdf"
    with footer.use("mixedmotive · scale smoke · plotted at abc"):
        table = write_claims(_write_raw(tmp_path), out, cfg)
    data = out.read_bytes()
    n_pages = len(re.findall(rb"/Type /Page\b", data))
    boxes = set(re.findall(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", data))
    assert boxes == {(b"841.68", b"595.44")}, boxes  # 11.69 x 8.27 in: A4 landscape, every page
    figs = plots_claims.pages(table)
    assert n_pages == len(figs) > 1  # every claim of the registry does not fit one readable page
    assert b"scale smoke; plotted at abc" in data


def test_claims_table_says_na_not_nan():
    frame = pd.DataFrame({"statistic": ["difference -0.009, p = nan", "p=nan (n=1)", "0.5 ± nan", "nanometre"],
                          "verdict": ["not reproduced"] * 4})
    smoke = plots_claims.unavailable(frame, "smoke")
    assert list(smoke.statistic) == ["difference -0.009, p = n/a (smoke)", "p=n/a (smoke) (n=1)",
                                     "0.5 ± n/a (smoke)", "nanometre"]
    assert plots_claims.unavailable(frame, "default").statistic[0] == "difference -0.009, p = n/a"


def test_margin_thresholds_print_as_the_config_writes_them():
    assert claims_mod.at_least(0.0) == "≥ 0.0" and claims_mod.at_least(0.5) == "≥ -0.5"
    assert [claims_mod.fmt_p(p) for p in (0.0712, 0.00051, math.nan)] == ["p=.071", "p<.001", "p n/a"]


def test_write_table_three_files(tmp_path):
    frame = pd.DataFrame({"method": ["simul_ind", "aga"], "reward": ["1.000 ± 0.100", "1.5 ≥ 1"],
                          "share": ["50%", "a & b"], "missing": [np.nan, "x"]})
    pdf = tmp_path / "t" / "table1.pdf"
    write_table(frame, pdf, title="Table #1: λ_test", note="a note", wrap={"method": 5})
    assert pdf.read_bytes().startswith(b"%PDF")
    back = pd.read_csv(pdf.with_suffix(".csv"))
    assert list(back.columns) == list(frame.columns)
    assert list(back.method) == ["simul_ind", "aga"]
    tex = pdf.with_suffix(".tex").read_text()
    assert r"simul\_ind" in tex
    assert r"1.000 $\pm$ 0.100" in tex
    assert r"50\%" in tex and r"a \& b" in tex and r"$\geq$" in tex
    assert r"\caption{Table \#1: $\lambda$\_test}" in tex
    assert r"\begin{tabular}{llll}" in tex


def test_write_table_empty_frame(tmp_path):
    pdf = tmp_path / "empty.pdf"
    write_table(pd.DataFrame({"a": [], "b": []}), pdf, title="empty")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.with_suffix(".csv").exists() and pdf.with_suffix(".tex").exists()


def test_to_tex_rows():
    tex = to_tex(pd.DataFrame({"x": [1, 2], "y": ["a", None]}), "T")
    lines = tex.splitlines()
    assert r"x & y \\" in lines
    assert r"1 & a \\" in lines
    assert r"2 &  \\" in lines


def test_table3_shows_median_and_iqr(tmp_path):
    from mixedmotive.plots.aga_public_goods import table3
    from mixedmotive.plots.style import label

    paths = [p for p in _write_raw(tmp_path) if "aga_runtime" in p]
    out = tmp_path / "tables" / "aga_table3_runtime.pdf"
    table3(paths, out, {})
    assert out.read_bytes()[:4] == b"%PDF"
    csv = pd.read_csv(out.with_suffix(".csv"), dtype=str).set_index("method")
    assert list(csv.columns) == ["steps to converge", "duration (s)", "duration IQR (s)", "step time (ms)",
                                 "step time IQR (ms)", "ratio to Simul-Ind", "ratio IQR"]
    assert set(csv.index) == {label(m) for m in PGG_METHODS}
    aga, ind = csv.loc[label("aga")], csv.loc[label("simul_ind")]
    assert (aga["ratio to Simul-Ind"], aga["ratio IQR"]) == ("1.40", "1.33–1.47")
    assert (ind["ratio to Simul-Ind"], ind["ratio IQR"]) == ("1.00", "1.00–1.00")
    assert (aga["step time (ms)"], aga["step time IQR (ms)"]) == ("0.700", "0.630–0.770")
    assert aga["duration IQR (s)"] == "0.013–0.015"
    assert "ratio IQR" in out.with_suffix(".tex").read_text()


def test_every_claim_names_decision_entries_that_exist():
    import re

    from mixedmotive.analysis.claims import DECISIONS
    from mixedmotive.config import ROOT

    entries = set(re.findall(r"^\| ([A-Z]\d+) \|", (ROOT / "docs" / "decisions.md").read_text(), flags=re.M))
    registry = load_registry()
    assert set(DECISIONS) == set(registry), set(DECISIONS) ^ set(registry)
    for cid, names in DECISIONS.items():
        assert names and set(names) <= entries, (cid, set(names) - entries)
