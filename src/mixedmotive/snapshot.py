"""The results snapshot in ``docs/results/``: collect it, and check that it is current.

``docs/results/`` holds the default-scale figures and tables plus, under ``raw/``, the raw
results and provenance sidecars they were made from.  :func:`check` says, per area, whether
those results come from the training code HEAD has:

* the *training code* of an experiment is its module in ``experiments/`` and every module of the
  package it imports, directly or inside a function, followed transitively (package
  ``__init__`` files included, but not the registry ``experiments/__init__.py``).  Left
  out, because they change no number or are checked otherwise: the CLI (seeds torch, writes
  files; seeding is covered by the determinism tests), ``results.py`` (writes files),
  ``config.py`` (loads the config: the settings themselves are compared below) and
  ``checkpoint.py`` (a resumed run is bit-identical, tested in tests/test_checkpoint.py).  Data
  files an experiment reads (:data:`DATA_FILES`) count as its training code;
* an area is **current** when every sidecar names a clean commit (no ``-dirty``), none of its
  training files differs in code between that commit and HEAD (comments, docstrings and layout do
  not count: :func:`code_of`), and every job's recorded settings equal what the job would read
  from today's config with :data:`SNAPSHOT_CONFIGFILES` merged in
  (:func:`mixedmotive.jobs.job_settings`);
* it is **current (equivalent)** when, in addition, the training code of some sidecars changed but
  a record in :data:`EQUIVALENCE_FILE` covers each of them: it names the sidecar's commit
  (``from``), a pattern matching the job, and a commit (``to``) since which no training file of
  the area changed, with the evidence that the jobs' numbers are the same at ``from`` and ``to``:
  an unchanged smoke fingerprint (:mod:`mixedmotive.fingerprint`) and a default job re-trained at
  both commits on one machine, bit-identical (docs/decisions.md W12);
* otherwise it is **stale**, with the reasons; an area without sidecars is **missing**.

A job's area is its experiment's (:func:`mixedmotive.jobs.areas`), except in a folder of
:data:`RESCALED_FOLDERS`: runs of an experiment made with another scale's settings (Coins at the paper's
settings), an area of their own whose settings are compared with that scale's section.

Command line: ``python -m mixedmotive snapshot check`` (``--strict``: exit 1 unless all are
current) and ``python -m mixedmotive snapshot collect`` (copy the default-scale outputs and raw
results into ``docs/results/``).

:func:`compare` answers another question: does *this machine* reproduce the snapshot?  After
re-training some jobs (``snakemake results/default/aga_ssd/harvest/simul_ind/seed0.parquet``),
``python -m mixedmotive snapshot compare`` lists every raw table found both under ``results/default/``
and under ``docs/results/raw/``: bit-identical, or the first row where the two part, with the
CPU and commit of each side.  Runs are deterministic per seed on one machine
(tests/test_workflow.py), not across CPU kinds: docs/decisions.md W10.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from fnmatch import fnmatch
from pathlib import Path

from .config import ROOT
from .jobs import areas

PACKAGE = ROOT / "src" / "mixedmotive"
AREAS = areas()  # {area: its experiments}, from the experiment registry (mixedmotive.jobs)
# see the module docstring
NOT_TRAINING = {PACKAGE / name for name in ("results.py", "config.py", "checkpoint.py", "experiments/__init__.py")}
# the --configfile files docs/results/ is built with (its README gives the command); the check compares every
# job's recorded settings with what this config gives it
SNAPSHOT_CONFIGFILES = ("config/budget_trend.yaml", "config/coins_trend.yaml", "config/coins_confirm.yaml",
                        "config/mmaml_study.yaml", "config/budget_8x.yaml", "config/mmm2_4x.yaml")
# data files an experiment reads besides code (their numbers change its results like code does)
DATA_FILES = {"recip_ipd_mmaml_eval": (PACKAGE / "data" / "mfos_mamaml_ipd.json",)}
# folders of raw/ whose jobs ran an experiment with another scale's section of its settings (the workflow rule of
# the folder's name): folder -> (experiment, that scale, its area).  The sidecars name the experiment and the run's
# scale, so the folder says which settings to compare with and keeps them out of the experiment's own area.
RESCALED_FOLDERS = {"recip_coins_paper": ("recip_coins", "paper",
                                          "Reciprocators Coins at the paper's settings (RECIP-C4a, C4b; budget paper)")}
# raw results whose training code changed in code after they were trained, with the evidence that their numbers
# did not change (docs/decisions.md W12): a list of {from, to, jobs, evidence}
EQUIVALENCE_FILE = "equivalence.yaml"


def _module_file(dotted: str) -> Path | None:
    """``mixedmotive.agents.mappo`` -> its file (module or package ``__init__``), None outside the package."""
    parts = dotted.split(".")
    if parts[0] != "mixedmotive":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _dotted(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[Path]:
    """Package files ``path`` imports anywhere (module level or inside functions), with their packages."""
    tree = ast.parse(path.read_text())
    here = _dotted(path)
    pkg = here if path.name == "__init__.py" else here.rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)  # `from . import x` imports module x
    out = set()
    for name in names:
        parts = name.split(".")
        for i in range(2, len(parts) + 1):  # the module and every package above it
            f = _module_file(".".join(parts[:i]))
            if f is not None:
                out.add(f)
    return out


def training_files(experiment: str) -> list[str]:
    """Repository paths of the training code of ``experiment`` (see the module docstring)."""
    start = PACKAGE / "experiments" / f"{experiment}.py"
    seen, todo = set(), [start, PACKAGE / "__init__.py"]
    while todo:
        f = todo.pop()
        if f in seen or f in NOT_TRAINING:
            continue
        seen.add(f)
        todo.extend(_imports(f) - seen)
    seen.update(DATA_FILES.get(experiment, ()))
    return sorted(str(f.relative_to(ROOT)) for f in seen)


def code_of(text: str) -> str:
    """A Python file's code without its comments, docstrings and layout (``ast.dump``); SyntaxError -> the text."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _show(sha: str, path: str, repo: Path) -> str | None:
    proc = subprocess.run(["git", "show", f"{sha}:{path}"], cwd=repo, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def changed_files(sha: str, files, repo: Path = ROOT) -> list[str]:
    """Which of ``files`` differ in code between commit ``sha`` and HEAD (all of them if ``sha`` is unknown).

    A Python file whose only changes are to comments, docstrings or layout is unchanged (:func:`code_of`): such
    an edit cannot change a number.  Other files (data) are compared byte for byte."""
    proc = subprocess.run(["git", "diff", "--name-only", sha, "HEAD", "--", *files], cwd=repo,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return list(files)
    changed = []
    for path in proc.stdout.split():
        old, new = _show(sha, path, repo), _show("HEAD", path, repo)
        if not (path.endswith(".py") and old is not None and new is not None and code_of(old) == code_of(new)):
            changed.append(path)
    return sorted(changed)


def _settings_match(meta: dict, cfg: dict) -> bool:
    from .jobs import job_settings

    recorded = {k: v for k, v in meta["config"].items() if k != "artifacts"}
    try:
        expected = job_settings(meta["experiment"], cfg, meta.get("method"))
    except (KeyError, ValueError):
        return False
    return json.loads(json.dumps(expected)) == recorded


def equivalences(snapshot: Path) -> list[dict]:
    """The records of :data:`EQUIVALENCE_FILE` in ``snapshot`` (none if it is absent)."""
    import yaml

    path = Path(snapshot) / EQUIVALENCE_FILE
    return (yaml.safe_load(path.read_text()) or []) if path.exists() else []


def _covered(sha: str, job: str, records: list[dict], files, repo: Path) -> bool:
    """Whether a record says that ``job``, trained at ``sha``, gives the same numbers with HEAD's training code:
    it names that commit and a pattern matching the job, and no training file changed in code since its ``to``."""
    return any(sha.removesuffix("-dirty") == str(r["from"]) and any(fnmatch(job, pat) for pat in r["jobs"])
               and not changed_files(str(r["to"]), files, repo) for r in records)


def _folder(job: str, folder: str | None) -> bool:
    """Whether ``job`` (its path under raw/) belongs to ``folder`` of :data:`RESCALED_FOLDERS`, or, for None, to
    none of them."""
    top = job.split("/")[0]
    return top == folder if folder else top not in RESCALED_FOLDERS


def check(snapshot: Path = ROOT / "docs" / "results", scale: str = "default", repo: Path = ROOT) -> list[dict]:
    """One row per area: status current / current (equivalent) / stale / missing, commits, reasons."""
    from .config import load

    def config(of_scale=None):
        return load(repo / "config" / "config.yaml", scale=of_scale or scale,
                    extra=[repo / f for f in SNAPSHOT_CONFIGFILES])

    cfg = config()
    raw = Path(snapshot) / "raw"
    sidecars = [{**json.loads(p.read_text()), "_job": str(p.relative_to(raw).with_suffix(""))}
                for p in sorted(raw.rglob("*.json"))]
    records = equivalences(snapshot)
    areas = {area: (experiments, None, cfg) for area, experiments in AREAS.items()}
    for folder, (experiment, section_scale, area) in RESCALED_FOLDERS.items():
        areas[area] = ((experiment,), folder, {**cfg, experiment: config(section_scale)[experiment]})
    rows = []
    for area, (experiments, folder, area_cfg) in areas.items():
        metas = [m for m in sidecars if m.get("experiment") in experiments and m.get("scale") == scale
                 and _folder(m["_job"], folder)]
        if not metas:
            rows.append({"area": area, "status": "missing", "commits": "", "reasons": "no raw results"})
            continue
        shas = sorted({m["git_sha"] for m in metas})
        reasons = [f"{sha} is dirty" for sha in shas if sha.endswith("-dirty")]
        files = sorted({f for e in experiments for f in training_files(e)})
        equivalent = False
        for sha in shas:
            changed = changed_files(sha.removesuffix("-dirty"), files, repo)
            if not changed:
                continue
            jobs = [m["_job"] for m in metas if m["git_sha"] == sha]
            if all(_covered(sha, job, records, files, repo) for job in jobs):
                equivalent = True
                continue
            reasons.append(f"since {sha[:10]}: {', '.join(changed)}")
        mismatched = sorted({f"{m['experiment']}/{m.get('method')}" for m in metas if not _settings_match(m, area_cfg)})
        if mismatched:
            reasons.append("settings differ from today's config: " + ", ".join(mismatched))
        missing = sorted(set(experiments) - {m["experiment"] for m in metas})
        if missing:
            reasons.append("no raw results of " + ", ".join(missing))
        status = "stale" if reasons else ("current (equivalent)" if equivalent else "current")
        rows.append({"area": area, "status": status, "commits": ", ".join(s[:10] for s in shas),
                     "reasons": "; ".join(reasons)})
    return rows


RAW_MAX_BYTES = 1_000_000  # larger raw tables (Fig. 1's trajectories, ~15 MB each) stay out; their sidecars go in


# what collect() copies from figures/ and tables/ (the scorecard's PNG is for the README)
FIGURE_PATTERNS = ("*.pdf", "*.png")
TABLE_PATTERNS = ("*.pdf", "*.csv", "*.tex")


def output_dirs(outputs: Path = ROOT, scale: str = "default") -> dict[str, Path]:
    """Where the workflow writes ``scale``'s figures and tables (workflow/rules/common.smk: FIG, TAB)."""
    sub = "" if scale == "default" else scale
    return {"figures": Path(outputs) / "figures" / sub, "tables": Path(outputs) / "tables" / sub}


def collect(results: Path = ROOT / "results" / "default", dest: Path = ROOT / "docs" / "results",
            outputs: Path = ROOT, scale: str = "default") -> list[Path]:
    """Copy ``scale``'s figures into ``dest/figures/``, its tables into ``dest/tables/`` and, under ``dest/raw/``,
    every provenance sidecar and every raw table of at most :data:`RAW_MAX_BYTES` (the check needs only the
    sidecars): the snapshot mirrors the layout, so a figure and a table of the same stem are both kept."""
    copied = []
    for kind, patterns in (("figures", FIGURE_PATTERNS), ("tables", TABLE_PATTERNS)):
        source = output_dirs(outputs, scale)[kind]
        for src in sorted(p for pattern in patterns for p in source.glob(pattern)):
            target = Path(dest) / kind / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            copied.append(Path(shutil.copy2(src, target)))
    for src in sorted(Path(results).rglob("*")):
        if src.suffix == ".json" or (src.suffix == ".parquet" and src.stat().st_size <= RAW_MAX_BYTES):
            target = Path(dest) / "raw" / src.relative_to(results)
            target.parent.mkdir(parents=True, exist_ok=True)
            copied.append(Path(shutil.copy2(src, target)))
    return copied


PROGRESS_COLUMNS = ("update", "episode", "step")  # the first one a raw table has names its rows


def compare_frames(ours, ref) -> dict:
    """``identical``; ``differs`` with the first row where a numeric column differs (NaN equals NaN),
    the largest relative difference in that row (rounding is ~1e-7 in float32) and how many numeric
    columns differ anywhere; or ``shape differs``."""
    import numpy as np

    empty = {"first_row": None, "at": None, "rel": None}
    if list(ours.columns) != list(ref.columns) or len(ours) != len(ref):
        return {"status": "shape differs", **empty, "columns": None}
    numeric = [c for c in ours.columns if ours[c].dtype.kind in "fiub"]
    unequal = np.zeros(len(ours), dtype=bool)
    n_cols = 0
    for c in numeric:
        a, b = ours[c].to_numpy(), ref[c].to_numpy()
        same = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b
        n_cols += int(not same.all())
        unequal |= ~same
    others = [c for c in ours.columns if c not in numeric]
    if not unequal.any():
        status = "identical" if all(ours[c].equals(ref[c]) for c in others) else "differs"
        return {"status": status, **empty, "columns": 0}
    first = int(np.argmax(unequal))
    with np.errstate(invalid="ignore", divide="ignore"):
        a = ours[numeric].iloc[first].to_numpy(dtype=float)
        b = ref[numeric].iloc[first].to_numpy(dtype=float)
        rel = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    rel = float(np.nanmax(np.where(np.isnan(a) != np.isnan(b), np.inf, rel)))
    progress = next((c for c in PROGRESS_COLUMNS if c in ours.columns), None)
    at = None if progress is None else f"{progress} {ours[progress].iloc[first]}"
    return {"status": "differs", "first_row": first, "at": at, "rel": rel, "columns": n_cols}


def compare(results: Path = ROOT / "results" / "default", snapshot: Path = ROOT / "docs" / "results") -> list[dict]:
    """One row per raw table present in both ``results`` and the snapshot's ``raw/`` (see the module docstring)."""
    import pandas as pd

    rows = []
    for ours in sorted(Path(results).rglob("*.parquet")):
        rel = ours.relative_to(results)
        ref = Path(snapshot) / "raw" / rel
        if not ref.exists():
            continue
        metas = []
        for path in (ours, ref):
            side = path.with_suffix(".json")
            metas.append(json.loads(side.read_text()) if side.exists() else {})
        row = {"file": str(rel), **compare_frames(pd.read_parquet(ours), pd.read_parquet(ref))}
        for name, meta in zip(("ours", "snapshot"), metas, strict=True):
            row[name] = f"{meta.get('git_sha', '?')[:10]} on {meta.get('device_name', '?')}"
        row["same_settings"] = bool(metas[0]) and metas[0].get("config") == metas[1].get("config")
        rows.append(row)
    return rows


def compare_report(rows: list[dict]) -> str:
    if not rows:
        return "no raw table is in both results/default/ and docs/results/raw/: train some jobs first"
    lines = []
    for r in rows:
        where = "" if r["first_row"] is None else (
            f" from row {r['first_row']} ({r['at'] + '; ' if r['at'] else ''}relative difference {r['rel']:.1g}),"
            f" {r['columns']} numeric columns")
        caveat = "" if r["same_settings"] else " [settings differ]"
        lines.append(f"{r['status']:13s} {r['file']}{where}{caveat}: ours {r['ours']}; snapshot {r['snapshot']}")
    return "\n".join(lines)


def report(rows: list[dict]) -> str:
    return "\n".join(f"{r['status']:8s} {r['area']}" + (f" [{r['commits']}]" if r["commits"] else "")
                     + (f": {r['reasons']}" if r["reasons"] else "") for r in rows)
