"""The smoke fingerprint (mixedmotive.fingerprint): hashes of raw tables, and the comparison that names the first
raw result that differs.  The comparison of a whole smoke build is in tests/test_workflow.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mixedmotive import fingerprint


def _write(path, frame):
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)


def test_table_hash_follows_values_not_file_bytes(tmp_path):
    frame = pd.DataFrame({"update": [0, 1, 2], "ret": [1.0, np.nan, 3.0], "method": ["a", "a", "a"]})
    _write(tmp_path / "a.parquet", frame)
    frame.to_parquet(tmp_path / "b.parquet", compression="gzip")  # other bytes, same table
    assert (tmp_path / "a.parquet").read_bytes() != (tmp_path / "b.parquet").read_bytes()
    assert fingerprint.table_hash(tmp_path / "a.parquet") == fingerprint.table_hash(tmp_path / "b.parquet")
    for changed in (frame.assign(ret=[1.0, np.nan, 3.0000001]),  # one value in the last digits
                    frame.rename(columns={"ret": "return"}),  # a column name
                    frame.astype({"update": "int32"}),  # a dtype
                    frame.iloc[::-1].reset_index(drop=True)):  # the row order
        _write(tmp_path / "c.parquet", changed)
        assert fingerprint.table_hash(tmp_path / "c.parquet") != fingerprint.table_hash(tmp_path / "a.parquet")


def test_compare_names_the_first_raw_result_that_differs(tmp_path):
    results = tmp_path / "results"
    for key, value in (("aga_ssd/cleanup/simul_ind/seed0", 1.0), ("aga_ssd/harvest/simul_ind/seed0", 2.0),
                       ("recip_coins/nl_vs_nl/seed0", 3.0)):
        _write(results / f"{key}.parquet", pd.DataFrame({"x": [value]}))
        (results / f"{key}.json").write_text(json.dumps({"git_sha": "abc"}))
    fp = tmp_path / "fp.json"
    assert fingerprint.compare(results, fp, kind="K") == ("no fingerprint", [])
    entry = fingerprint.write(results, fp, kind="K")
    assert entry["commits"] == ["abc"] and len(entry["hashes"]) == 3
    assert fingerprint.compare(results, fp, kind="K") == ("same", [])
    assert fingerprint.compare(results, fp, kind="other CPU") == ("no fingerprint", [])
    _write(results / "aga_ssd/harvest/simul_ind/seed0.parquet", pd.DataFrame({"x": [2.5]}))
    _write(results / "recip_coins/nl_vs_nl/seed0.parquet", pd.DataFrame({"x": [3.5]}))
    (results / "aga_ssd/cleanup/simul_ind/seed0.parquet").unlink()
    _write(results / "new/seed0.parquet", pd.DataFrame({"x": [0.0]}))
    status, lines = fingerprint.compare(results, fp, kind="K")
    assert status == "different"
    assert lines == ["missing  aga_ssd/cleanup/simul_ind/seed0 (in the fingerprint, not built)",
                     "differs  aga_ssd/harvest/simul_ind/seed0", "new      new/seed0 (built, not in the fingerprint)",
                     "differs  recip_coins/nl_vs_nl/seed0"]
    fingerprint.write(results, fp, kind="other CPU")  # another kind's entry leaves this kind's alone
    assert set(fingerprint.load(fp)) == {"K", "other CPU"}
    assert fingerprint.compare(results, fp, kind="K")[0] == "different"


def test_measured_times_are_left_out(tmp_path):
    """Table 3's runtime job records step times, which differ between any two runs: the fingerprint skips it."""
    results = tmp_path / "results"
    _write(results / "aga_runtime/all/seed0.parquet", pd.DataFrame({"seconds": [0.1]}))
    _write(results / "aga_public_goods/aga/seed0.parquet", pd.DataFrame({"x": [1.0]}))
    assert list(fingerprint.compute(results)) == ["aga_public_goods/aga/seed0"]
