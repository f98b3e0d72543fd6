"""The smoke fingerprint: one hash per raw result of the smoke DAG, so a refactor can prove it kept every number.

A raw result's path under ``results/smoke/`` names its rule and wildcards (``aga_ssd/cleanup/simul_ind/seed0``);
its hash is taken over the table's values and column names, not the parquet file's bytes (which carry library
versions).  Runs are deterministic per seed on one kind of CPU, not across kinds (docs/decisions.md W10), so the
committed fingerprint, :data:`FINGERPRINT`, holds one set of hashes per CPU kind (:func:`cpu_kind`).

* ``python -m mixedmotive fingerprint compare [--results results/smoke]``: every raw result against this CPU kind's
  hashes; names the first output that differs (exit 1), or says that this CPU kind has no fingerprint yet;
* ``python -m mixedmotive fingerprint write [--results results/smoke]``: record this CPU kind's hashes.  A change
  that alters numbers on purpose rewrites the fingerprint in the same commit and says so in its message.

The test suite compares the smoke DAG it builds (tests/test_workflow.py) with the fingerprint, and
:mod:`mixedmotive.snapshot` uses an unchanged fingerprint as one part of the evidence that a changed training file
left an area's numbers as they were (docs/decisions.md W12).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .config import ROOT

FINGERPRINT = ROOT / "tests" / "fingerprints" / "smoke.json"


def cpu_kind() -> str:
    """The CPU model and the vector instructions torch dispatches to: runs agree bit for bit within one kind."""
    import torch

    from .results import cpu_name

    name = cpu_name().split(" (")[0]  # without the core count
    return f"{name} / {torch.backends.cpu.get_cpu_capability()}"


def table_hash(path: Path) -> str:
    """sha256 (16 hex digits) of a raw table's column names, dtypes and values (row order included)."""
    import pandas as pd

    frame = pd.read_parquet(path)
    digest = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


# experiments whose raw tables are measured times (Table 3's step times), which no two runs share: left out
TIMED = ("aga_runtime",)


def compute(results: Path) -> dict[str, str]:
    """``{'<experiment>/<wildcards>/seedS': hash}`` for every raw table under ``results`` (:data:`TIMED` left out)."""
    results = Path(results)
    return {str(p.relative_to(results).with_suffix("")): table_hash(p) for p in sorted(results.rglob("*.parquet"))
            if p.relative_to(results).parts[0] not in TIMED}


def load(path: Path = FINGERPRINT) -> dict:
    return json.loads(Path(path).read_text()) if Path(path).exists() else {}


def differences(ours: dict[str, str], ref: dict[str, str]) -> list[str]:
    """One line per raw result that differs, is missing or is new, in path order (the first is the first that
    differs)."""
    lines = []
    for key in sorted(set(ours) | set(ref)):
        if key not in ours:
            lines.append(f"missing  {key} (in the fingerprint, not built)")
        elif key not in ref:
            lines.append(f"new      {key} (built, not in the fingerprint)")
        elif ours[key] != ref[key]:
            lines.append(f"differs  {key}")
    return lines


def compare(results: Path, path: Path = FINGERPRINT, kind: str | None = None) -> tuple[str, list[str]]:
    """(``'same'`` | ``'different'`` | ``'no fingerprint'``, the differing lines) for this CPU kind."""
    kind = kind or cpu_kind()
    entry = load(path).get(kind)
    if entry is None:
        return "no fingerprint", []
    lines = differences(compute(results), entry["hashes"])
    return ("different" if lines else "same"), lines


def write(results: Path, path: Path = FINGERPRINT, kind: str | None = None) -> dict:
    """Record this CPU kind's hashes (other kinds' entries are kept)."""
    from .results import versions

    data = load(path)
    kind = kind or cpu_kind()
    commits = sorted({json.loads(p.read_text()).get("git_sha", "?") for p in Path(results).rglob("*.json")})
    data[kind] = {"commits": commits, "torch": versions()["torch"], "hashes": compute(results)}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(dict(sorted(data.items())), indent=1, sort_keys=True) + "\n")
    return data[kind]
