"""mixedmotive.snapshot: which areas of docs/results/ were trained by HEAD's code and config."""

from __future__ import annotations

import json
import subprocess

import pytest

from mixedmotive import snapshot
from mixedmotive.config import ROOT, load
from mixedmotive.jobs import job_settings

CFG = load(ROOT / "config" / "config.yaml", scale="default")


def _head() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_training_files_follow_imports_of_one_experiment():
    ssd = snapshot.training_files("aga_ssd")
    for f in ("experiments/aga_ssd.py", "experiments/marl.py", "agents/mappo.py", "envs/harvest.py",
              "envs/cleanup.py", "gradients/engine.py", "analysis/metrics.py", "gradients/__init__.py"):
        assert f"src/mixedmotive/{f}" in ssd, f
    for f in ("envs/coins.py", "plots/aga_marl.py", "experiments/__init__.py", "results.py", "cli.py"):
        assert f"src/mixedmotive/{f}" not in ssd, f
    coins = snapshot.training_files("recip_coins")
    assert "src/mixedmotive/agents/coins.py" in coins and "src/mixedmotive/agents/mappo.py" not in coins
    # imports inside functions count: the SC2 backend is imported lazily by the MMM2 experiment
    assert "src/mixedmotive/envs/smac_backend.py" in snapshot.training_files("aga_mmm2")


def test_changed_files_between_two_commits(tmp_path):
    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    git("config", "user.email", "t@t"), git("config", "user.name", "t")
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 1\n")
    git("add", "."), git("commit", "-qm", "one")
    first = git("rev-parse", "HEAD")
    (tmp_path / "a.py").write_text("x = 2\n")
    git("commit", "-qam", "two")
    assert snapshot.changed_files(first, ["a.py", "b.py"], tmp_path) == ["a.py"]
    assert snapshot.changed_files("0" * 40, ["a.py", "b.py"], tmp_path) == ["a.py", "b.py"]  # unknown commit


def test_comment_docstring_and_layout_changes_are_no_code_changes(tmp_path):
    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    git("config", "user.email", "t@t"), git("config", "user.name", "t")
    code = 'def f(x):\n    """Doc."""\n    return x + 1  # one\n\n\nclass A:\n    """A."""\n    y = "text"\n'
    files = {"a.py": code, "b.py": code, "c.py": code, "d.json": "[1]\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    git("add", "."), git("commit", "-qm", "one")
    first = git("rev-parse", "HEAD")
    (tmp_path / "a.py").write_text('"""Module doc."""\n' + code.replace("# one", "# two").replace('"""Doc."""',
                                   '"""Another doc,\n    on two lines."""').replace("x + 1", "(x\n            + 1)"))
    (tmp_path / "b.py").write_text(code.replace('y = "text"', 'y = "other text"'))  # a string that is no docstring
    (tmp_path / "c.py").write_text(code.replace('    """A."""\n', ""))  # the class's docstring removed
    (tmp_path / "d.json").write_text("[1] \n")  # data: byte for byte
    git("commit", "-qam", "two")
    assert snapshot.changed_files(first, sorted(files), tmp_path) == ["b.py", "d.json"]
    assert snapshot.code_of(code) == snapshot.code_of(code.replace("# one", ""))
    assert snapshot.code_of(code) != snapshot.code_of(code.replace("x + 1", "x + 2"))


def _write(dest, experiment, method, sha, cfg_change=None):
    cfg = job_settings(experiment, CFG, method)
    if cfg_change:
        cfg = {**cfg, **cfg_change}
    d = dest / "raw" / experiment / str(method)
    d.mkdir(parents=True, exist_ok=True)
    meta = {"experiment": experiment, "method": method, "scale": "default", "git_sha": sha, "config": cfg}
    (d / "seed0.json").write_text(json.dumps(meta))


MMM2 = "AgA Selfish-MMM2 (Fig. 6)"


@pytest.mark.parametrize("sha_suffix,cfg_change,status,reason", [
    ("", None, "current", ""),
    ("-dirty", None, "stale", "is dirty"),
    ("", {"updates": 1}, "stale", "settings differ from today's config: aga_mmm2/simul_ind"),
])
def test_check_marks_areas(tmp_path, sha_suffix, cfg_change, status, reason):
    _write(tmp_path, "aga_mmm2", "simul_ind", _head() + sha_suffix, cfg_change)
    rows = {r["area"]: r for r in snapshot.check(tmp_path)}
    assert rows[MMM2]["status"] == status and reason in rows[MMM2]["reasons"], rows[MMM2]
    assert rows["Reciprocators Coins"]["status"] == "missing"


def test_check_names_the_changed_training_files(tmp_path):
    _write(tmp_path, "aga_mmm2", "simul_ind", "0" * 40)  # a commit git does not know: every file counts as changed
    row = {r["area"]: r for r in snapshot.check(tmp_path)}[MMM2]
    assert row["status"] == "stale" and "src/mixedmotive/agents/mappo.py" in row["reasons"]
    assert "no raw results" not in row["reasons"]


def _equivalence(dest, records):
    import yaml

    (dest / snapshot.EQUIVALENCE_FILE).write_text(yaml.safe_dump(records))


def _first_commit_changing(path: str) -> str:
    """A commit before the last change of ``path``'s code (its parent): training code changed since."""
    log = subprocess.run(["git", "log", "--format=%H", "--", path], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    for sha in log:
        parent = subprocess.run(["git", "rev-parse", f"{sha}^"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        if snapshot.changed_files(parent, [path]):
            return parent
    pytest.skip(f"no commit in this clone changed the code of {path}")


def test_equivalence_record_makes_a_changed_area_current_for_the_jobs_it_covers(tmp_path):
    old = _first_commit_changing("src/mixedmotive/agents/mappo.py")
    _write(tmp_path, "aga_mmm2", "simul_ind", old)
    row = {r["area"]: r for r in snapshot.check(tmp_path)}[MMM2]
    assert row["status"] == "stale" and "agents/mappo.py" in row["reasons"]
    _equivalence(tmp_path, [{"from": old, "to": _head(), "jobs": ["aga_mmm2/simul_*"], "evidence": "test"}])
    row = {r["area"]: r for r in snapshot.check(tmp_path)}[MMM2]
    assert row["status"] == "current (equivalent)" and not row["reasons"], row
    # a job the record does not cover keeps the area stale
    _write(tmp_path, "aga_mmm2", "cga", old)
    assert {r["area"]: r for r in snapshot.check(tmp_path)}[MMM2]["status"] == "stale"
    # a record whose `to` is itself behind the training code proves nothing about HEAD
    _equivalence(tmp_path, [{"from": old, "to": old, "jobs": ["aga_mmm2/*"], "evidence": "test"}])
    assert {r["area"]: r for r in snapshot.check(tmp_path)}[MMM2]["status"] == "stale"
    _equivalence(tmp_path, [{"from": old, "to": _head(), "jobs": ["aga_mmm2/*"], "evidence": "test"}])
    assert {r["area"]: r for r in snapshot.check(tmp_path)}[MMM2]["status"] == "current (equivalent)"


def test_collect_copies_outputs_sidecars_and_small_raw_tables(tmp_path):
    results, outputs, dest = tmp_path / "results", tmp_path / "out", tmp_path / "dest"
    for name, size in (("small", 10), ("big", snapshot.RAW_MAX_BYTES + 1)):
        d = results / "exp" / name
        d.mkdir(parents=True)
        (d / "seed0.parquet").write_bytes(b"x" * size)
        (d / "seed0.json").write_text("{}")
    (outputs / "figures" / "smoke").mkdir(parents=True)
    (outputs / "tables").mkdir()
    (outputs / "figures" / "f.pdf").write_bytes(b"%PDF figure")
    (outputs / "figures" / "f.png").write_bytes(b"PNG")
    (outputs / "tables" / "f.pdf").write_bytes(b"%PDF table")  # a table of the same stem as a figure
    (outputs / "tables" / "t.csv").write_text("a\n1\n")
    (outputs / "figures" / "smoke" / "s.pdf").write_bytes(b"%PDF smoke")  # another scale's: not copied
    dest.mkdir()
    snapshot.collect(results, dest, outputs)
    got = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert got == ["figures/f.pdf", "figures/f.png", "raw/exp/big/seed0.json", "raw/exp/small/seed0.json",
                   "raw/exp/small/seed0.parquet", "tables/f.pdf", "tables/t.csv"]
    assert (dest / "figures" / "f.pdf").read_bytes() == b"%PDF figure"
    assert (dest / "tables" / "f.pdf").read_bytes() == b"%PDF table"


def test_collect_reads_another_scales_folders(tmp_path):
    outputs, dest = tmp_path / "out", tmp_path / "dest"
    (outputs / "figures" / "smoke").mkdir(parents=True)
    (outputs / "figures" / "f.pdf").write_bytes(b"%PDF default")
    (outputs / "figures" / "smoke" / "f.pdf").write_bytes(b"%PDF smoke")
    snapshot.collect(tmp_path / "no-results", dest, outputs, scale="smoke")
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == ["figures/f.pdf"]
    assert (dest / "figures" / "f.pdf").read_bytes() == b"%PDF smoke"


def _frame(n=8):
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"update": np.arange(n), "collective": np.linspace(-1.0, 1.0, n),
                         "entropy": np.full(n, np.nan), "method": "simul_ind"})


def test_compare_frames_finds_the_first_row_that_differs_by_one_ulp():
    import numpy as np

    ours, ref = _frame(), _frame()
    assert snapshot.compare_frames(ours, ref)["status"] == "identical"  # NaN == NaN here
    ours.loc[5, "collective"] = np.nextafter(ours.loc[5, "collective"], 2.0)
    ours.loc[7, "collective"] += 1.0
    got = snapshot.compare_frames(ours, ref)
    assert got.pop("rel") == pytest.approx(2.0**-53 / abs(ref.loc[5, "collective"]), rel=0.01)  # one ulp
    assert got == {"status": "differs", "first_row": 5, "at": "update 5", "columns": 1}
    assert snapshot.compare_frames(ours.iloc[:-1], ref)["status"] == "shape differs"
    other = _frame()
    other.loc[2, "method"] = "aga"
    assert snapshot.compare_frames(other, ref) == {"status": "differs", "first_row": None, "at": None, "rel": None,
                                                   "columns": 0}


def test_compare_pairs_raw_tables_of_both_sides_with_their_machines(tmp_path):
    results, snap = tmp_path / "results", tmp_path / "snap"
    for root, device, updates in ((results, "CPU A", 80), (snap / "raw", "CPU B", 80)):
        for method in ("simul_ind", "aga"):
            d = root / "aga_ssd" / "harvest" / method
            d.mkdir(parents=True)
            frame = _frame()
            if method == "aga" and root == results:
                frame.loc[3, "collective"] = 9.0
            frame.to_parquet(d / "seed0.parquet")
            meta = {"git_sha": "abcdef0123456789", "device_name": device, "config": {"updates": updates}}
            (d / "seed0.json").write_text(json.dumps(meta))
    only_ours = results / "aga_ssd" / "cleanup" / "simul_ind"
    only_ours.mkdir(parents=True)
    _frame().to_parquet(only_ours / "seed0.parquet")
    rows = snapshot.compare(results, snap)
    assert [(r["file"], r["status"], r["first_row"]) for r in rows] == [
        ("aga_ssd/harvest/aga/seed0.parquet", "differs", 3),
        ("aga_ssd/harvest/simul_ind/seed0.parquet", "identical", None)]
    assert rows[0]["ours"] == "abcdef0123 on CPU A" and rows[0]["snapshot"] == "abcdef0123 on CPU B"
    assert all(r["same_settings"] for r in rows)
    text = snapshot.compare_report(rows)
    assert ("differs       aga_ssd/harvest/aga/seed0.parquet from row 3 (update 3; relative difference 1), "
            "1 numeric columns") in text
    (results / "aga_ssd" / "harvest" / "aga" / "seed0.json").write_text(json.dumps({"config": {"updates": 1}}))
    assert "[settings differ]" in snapshot.compare_report(snapshot.compare(results, snap))
    assert "train some jobs first" in snapshot.compare_report(snapshot.compare(tmp_path / "none", snap))


@pytest.mark.parametrize("n_ids, differs", [(10, False), (9, True)])
def test_check_reads_the_settings_with_the_snapshots_configfiles(tmp_path, n_ids, differs):
    """docs/results is built with --configfile SNAPSHOT_CONFIGFILES: the M-MAML study's 10 ids are its settings."""
    from mixedmotive.config import ROOT, load
    from mixedmotive.jobs import job_settings as settings

    cfg = load(scale="default", extra=[ROOT / f for f in snapshot.SNAPSHOT_CONFIGFILES])
    assert cfg["recip_ipd_mmaml_study"]["n_ids"] == 10 and cfg["recip_coins_diagnosis"]["confirm"]["cell"]
    recorded = settings("recip_ipd_mmaml_eval", cfg, "mfos") | {"n_ids": n_ids}
    d = tmp_path / "raw" / "recip_ipd_mmaml_eval" / "mfos"
    d.mkdir(parents=True)
    (d / "seed0.json").write_text(json.dumps({"experiment": "recip_ipd_mmaml_eval", "method": "mfos",
                                              "scale": "default", "git_sha": _head(), "config": recorded}))
    row = {r["area"]: r for r in snapshot.check(tmp_path)}["Reciprocators IPD (round robin, IPD-Rollout)"]
    assert ("settings differ from today's config: recip_ipd_mmaml_eval/mfos" in row["reasons"]) == differs, row


@pytest.mark.parametrize("section_scale, status", [("paper", "current"), ("default", "stale")])
def test_runs_at_another_scales_settings_form_an_area_of_their_own(tmp_path, section_scale, status):
    """recip_coins_paper/ holds recip_coins runs (sidecar: experiment recip_coins, scale default) made with the paper
    scale's recip_coins section: the check compares them with that section, in their own area."""
    experiment, scale, area = snapshot.RESCALED_FOLDERS["recip_coins_paper"]
    extra = [ROOT / f for f in snapshot.SNAPSHOT_CONFIGFILES]
    cfg = load(scale="default", extra=extra)
    cfg = {**cfg, experiment: load(scale=section_scale, extra=extra)[experiment]}
    d = tmp_path / "raw" / "recip_coins_paper" / "nl_vs_nl"
    d.mkdir(parents=True)
    (d / "seed0.json").write_text(json.dumps({
        "experiment": experiment, "method": "nl_vs_nl", "scale": "default", "git_sha": _head(),
        "config": job_settings(experiment, cfg, "nl_vs_nl")}))
    rows = {r["area"]: r for r in snapshot.check(tmp_path)}
    assert scale == "paper" and rows[area]["status"] == status, rows[area]
    assert (status == "stale") == ("settings differ from today's config: recip_coins/nl_vs_nl" in rows[area]["reasons"])
    assert rows["Reciprocators Coins"]["status"] == "missing"  # the folder's runs are not the default Coins runs
