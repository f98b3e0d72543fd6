"""RECIP-C3 (IPD-Rollout oscillation): the swing count, the claim and its sensitivity table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mixedmotive.analysis.recip_claims import oscillation_sensitivity, rollout_oscillates, swing_counts, swings

CFG = {"smooth_episodes": 1, "swing_amplitude": 0.1, "min_swings": 3}


def test_swings_by_hand():
    assert swings([0.0, 0.2, 0.4], 0.1) == 1  # one rise
    assert swings([0.0, 0.3, 0.1], 0.1) == 2  # rise, fall
    assert swings([0.0, 0.3, 0.1, 0.35, 0.3], 0.1) == 3  # up-down-up; the last 0.05 dip is below the amplitude
    assert swings([0.5, 0.55, 0.5, 0.55], 0.1) == 0


def _frame(series_recip: dict[int, list], series_nl: dict[int, list]) -> pd.DataFrame:
    rows = []
    for seed in series_recip:
        for e, (a, b) in enumerate(zip(series_recip[seed], series_nl[seed], strict=True)):
            rows.append({"seed": seed, "episode": e, "p_coop_recip": a, "p_coop_nl": b})
    return pd.DataFrame(rows)


ZIGZAG = [0.2, 0.5] * 5  # 9 swings of 0.3 unsmoothed; a 2-episode mean is 0.35 but for one edge value (1 swing)
FLAT = [0.4] * 10


def test_claim_needs_both_agents_in_a_majority_of_seeds():
    both = _frame({0: ZIGZAG, 1: ZIGZAG, 2: FLAT}, {0: ZIGZAG, 1: ZIGZAG, 2: ZIGZAG})
    assert swing_counts(both, 1, 0.1) == {0: (9, 9), 1: (9, 9), 2: (0, 9)}
    v = rollout_oscillates({"recip_ipd_rollout": both}, CFG)
    assert v.reproduced and "seed 2: 0, 9" in v.statistic and "sensitivity" in v.detail
    one = _frame({0: ZIGZAG, 1: FLAT}, {0: ZIGZAG, 1: ZIGZAG})
    assert not rollout_oscillates({"recip_ipd_rollout": one}, CFG).reproduced  # 1 of 2 is no majority


def test_sensitivity_over_windows_and_amplitudes():
    frame = _frame({0: ZIGZAG, 1: ZIGZAG}, {0: ZIGZAG, 1: ZIGZAG})
    table = oscillation_sensitivity(frame, windows=[1, 2], amplitudes=[0.1, 0.5], need=3)
    got = {(r.window, r.amplitude): (r.seeds_oscillating, r.majority, r.swings_recip) for r in table.itertuples()}
    assert got == {(1, 0.1): (2, True, "9 9"), (1, 0.5): (0, False, "0 0"),
                   (2, 0.1): (0, False, "1 1"), (2, 0.5): (0, False, "0 0")}


def test_sensitivity_table_marks_the_registered_row(tmp_path):
    from mixedmotive import results
    from mixedmotive.plots.recip_ipd_rollout import sensitivity

    frame = _frame({0: list(np.tile([0.2, 0.5], 5))}, {0: ZIGZAG})
    paths = []
    for seed, g in frame.groupby("seed"):
        p = tmp_path / f"seed{seed}.parquet"
        results.write(g, p, {"seed": int(seed), "method": "reciprocator_vs_nl"})
        paths.append(p)
    out = tmp_path / "sens.pdf"
    cfg = {**CFG, "rollout_sensitivity_windows": [1, 2], "rollout_sensitivity_amplitudes": [0.1, 0.2]}
    sensitivity(paths, out, cfg)
    csv = pd.read_csv(out.with_suffix(".csv"))
    assert list(csv.setting) == ["pre-registered (claim)", "diagnostic", "diagnostic", "diagnostic"]
    assert list(csv["majority of seeds"]) == ["yes", "yes", "no", "no"]
    assert out.read_bytes()[:4] == b"%PDF"
