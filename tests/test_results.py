"""Tests of ``mixedmotive.results``: parquet + JSON sidecar, atomic writes, provenance."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixedmotive import results
from mixedmotive.config import config_hash


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "run": np.arange(4, dtype=np.int64),
        "a1": [0.1, 0.2, 0.3, 0.4],
        "method": ["aga", "aga", "simul_co", "simul_co"],
        "highlight": [True, False, False, True],
    })


def _temp_leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp") or p.name.startswith("."))


def test_sidecar_path():
    assert results.sidecar("results/x/seed0.parquet") == Path("results/x/seed0.json")


def test_write_read_round_trip(tmp_path):
    path = tmp_path / "deep" / "dir" / "seed0.parquet"  # parents are created
    meta = {"experiment": "aga_public_goods", "method": "aga", "seed": 3, "nested": {"x": [1, 2]}}
    results.write(_frame(), path, meta)
    assert path.exists() and path.with_suffix(".json").exists()
    frame, got_meta = results.read(path)
    pd.testing.assert_frame_equal(frame, _frame())
    assert got_meta == meta
    assert json.loads(path.with_suffix(".json").read_text()) == meta
    assert _temp_leftovers(path.parent) == []


def test_write_overwrites_atomically(tmp_path):
    path = tmp_path / "r.parquet"
    results.write(_frame(), path, {"v": 1})
    new = _frame().assign(a1=[9.0, 8.0, 7.0, 6.0])
    results.write(new, path, {"v": 2})
    frame, meta = results.read(path)
    pd.testing.assert_frame_equal(frame, new)
    assert meta == {"v": 2}
    assert _temp_leftovers(tmp_path) == []


def test_meta_with_non_json_values_is_stringified(tmp_path):
    path = tmp_path / "r.parquet"
    results.write(_frame(), path, {"p": Path("/a/b")})
    assert results.read(path)[1] == {"p": "/a/b"}


def _failing_to_parquet(self, path, *args, **kwargs):
    Path(path).write_bytes(b"PAR1 partial")  # half-written file at the temp path
    raise OSError("disk full")


def test_failed_parquet_write_leaves_no_target_and_no_temp(tmp_path, monkeypatch):
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _failing_to_parquet)
    path = tmp_path / "seed0.parquet"
    with pytest.raises(OSError, match="disk full"):
        results.write(_frame(), path, {"experiment": "e"})
    assert not path.exists()
    assert _temp_leftovers(tmp_path) == []
    # neither file is renamed into place unless both were written
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_previous_parquet(tmp_path, monkeypatch):
    path = tmp_path / "seed0.parquet"
    results.write(_frame(), path, {"v": 1})
    monkeypatch.setattr(pd.DataFrame, "to_parquet", _failing_to_parquet)
    with pytest.raises(OSError):
        results.write(_frame().assign(a1=0.0), path, {"v": 2})
    monkeypatch.undo()
    pd.testing.assert_frame_equal(pd.read_parquet(path), _frame())
    assert results.read(path)[1] == {"v": 1}  # the sidecar still describes the kept data
    assert _temp_leftovers(tmp_path) == []


def test_failed_sidecar_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(self, *a, **k):
        raise RuntimeError("no json for you")

    path = tmp_path / "seed0.parquet"
    monkeypatch.setattr(Path, "write_text", boom)
    with pytest.raises(RuntimeError):
        results.write(_frame(), path, {"v": 1})
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_also_cleans_temp(tmp_path, monkeypatch):
    def interrupted(self, path, *a, **k):
        Path(path).write_bytes(b"xx")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    path = tmp_path / "seed0.parquet"
    with pytest.raises(KeyboardInterrupt):
        results.write(_frame(), path, {})
    assert not path.exists()
    assert _temp_leftovers(tmp_path) == []


def test_read_many_adds_method_and_seed_from_sidecar(tmp_path):
    f = pd.DataFrame({"x": [1.0, 2.0]})
    results.write(f, tmp_path / "a.parquet", {"method": "aga", "seed": 0})
    results.write(f.assign(method="cga", seed=7), tmp_path / "b.parquet", {"method": "sga", "seed": 1})
    results.write(f, tmp_path / "c.parquet", {"method": None, "seed": None})
    out = results.read_many([tmp_path / "a.parquet", tmp_path / "b.parquet"])
    assert list(out.method) == ["aga", "aga", "cga", "cga"]  # existing columns win
    assert list(out.seed) == [0, 0, 7, 7]
    assert list(out.x) == [1.0, 2.0, 1.0, 2.0]
    assert "method" not in results.read_many([tmp_path / "c.parquet"]).columns
    assert results.read_many([]).empty


# ------------------------------------------------------------------ provenance


def _prov(cfg, started=None, seed=4):
    return results.provenance(experiment="aga_public_goods", method="aga", seed=seed, cfg=cfg,
                              device="cpu", started=time.time() - 2.0 if started is None else started)


def test_provenance_fields():
    cfg = {"runs": 8, "lr": 1.0, "scale": "smoke", "lam": {"aga": 1.0}}
    started = time.time() - 2.0
    meta = _prov(cfg, started)
    assert meta["experiment"] == "aga_public_goods"
    assert meta["method"] == "aga"
    assert meta["seed"] == 4
    assert meta["scale"] == "smoke"
    assert meta["config"] == cfg
    assert re.fullmatch(r"[0-9a-f]{16}", meta["config_hash"])
    sha = meta["git_sha"]
    assert sha == "unknown" or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", sha)
    v = meta["versions"]
    for pkg in ("python", "torch", "numpy", "pandas"):
        assert v[pkg], pkg
    import numpy
    import torch

    assert v["torch"] == torch.__version__.split("+")[0] or v["torch"] == torch.__version__
    assert v["numpy"] == numpy.__version__
    assert meta["device"] == "cpu"
    assert "logical cores" in meta["device_name"]
    assert meta["host"]
    ts = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}"
    assert re.fullmatch(ts, meta["started"]) and re.fullmatch(ts, meta["finished"])
    assert meta["started"] <= meta["finished"]
    assert 2.0 <= meta["wall_s"] < 30.0
    json.dumps(meta)  # serialisable as is


def test_provenance_scale_none_when_absent():
    assert _prov({"runs": 1})["scale"] is None


def test_config_hash_equal_for_equal_configs():
    a = {"runs": 8, "lr": 1.0, "lam": {"aga": 1.0, "cga": 1.0}, "methods": ["aga", "cga"]}
    b = {"runs": 8, "lr": 1.0, "lam": {"aga": 1.0, "cga": 1.0}, "methods": ["aga", "cga"]}
    assert config_hash(a) == config_hash(b)
    assert _prov(a)["config_hash"] == _prov(b, seed=9)["config_hash"]  # seed is not part of it


def test_config_hash_independent_of_key_order():
    a = {"runs": 8, "lr": 1.0, "lam": {"aga": 1.0, "cga": 2.0}}
    b = {"lam": {"cga": 2.0, "aga": 1.0}, "lr": 1.0, "runs": 8}
    assert config_hash(a) == config_hash(b)
    assert _prov(a)["config_hash"] == _prov(b)["config_hash"]


@pytest.mark.parametrize("change", [
    lambda c: c.__setitem__("runs", 9),
    lambda c: c.__setitem__("lr", 0.5),
    lambda c: c["lam"].__setitem__("aga", 2.0),
    lambda c: c.__setitem__("extra", None),
    lambda c: c.__setitem__("methods", ["cga", "aga"]),  # list order is meaningful
])
def test_config_hash_changes_with_values(change):
    a = {"runs": 8, "lr": 1.0, "lam": {"aga": 1.0}, "methods": ["aga", "cga"]}
    b = json.loads(json.dumps(a))
    change(b)
    assert config_hash(a) != config_hash(b)
    assert _prov(a)["config_hash"] != _prov(b)["config_hash"]


def test_versions_and_device_name():
    v = results.versions()
    assert set(v) >= {"python", "mixedmotive", "torch", "numpy", "pandas", "matplotlib", "snakemake"}
    assert "logical cores" in results.device_name("cpu")


def test_outputs_follow_the_umask_not_mkstemps_0600(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        path = tmp_path / "seed0.parquet"
        results.write(_frame(), path, {"v": 1})
        assert (path.stat().st_mode & 0o777) == 0o644
        assert (results.sidecar(path).stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(old)
