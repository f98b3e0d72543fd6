"""Modules of the package as of an older commit, loaded from ``git show`` into temporary modules, so that a benchmark
can time today's code against an earlier version in the same run.  Needs the repository's git history."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_from_git(name: str, path: str, commit: str, replace: dict[str, str] | None = None,
                    package: str = "mixedmotive.agents"):
    """Module ``name`` (in ``package``) from ``git show commit:path``, with textual replacements."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"], check=True, capture_output=True,
                         text=True).stdout
    for a, b in (replace or {}).items():
        src = src.replace(a, b)
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader=None))
    mod.__package__ = package
    sys.modules[name] = mod
    exec(compile(src, f"{commit}:{path}", "exec"), mod.__dict__)
    return mod


def mappo_at(commit: str):
    """``mixedmotive.agents.mappo`` as of ``commit``."""
    return module_from_git(f"mixedmotive.agents._mappo_{commit}", "src/mixedmotive/agents/mappo.py", commit)
