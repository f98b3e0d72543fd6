"""Helpers shared by the end-to-end tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def repo_files() -> list[str]:
    """Tracked plus untracked, non-ignored files of the checkout."""
    out = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, text=True, check=True,
    ).stdout
    return [p for p in out.split("\0") if p]


def copy_repo(dest: Path, git: bool = False) -> Path:
    """Copy the repository's files into ``dest``; with ``git``, make it a one-commit repo.

    The commit gives the provenance sidecars a real sha to record (the package finds it
    from its own location, which is the copy).  Nothing is done to the original checkout.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for rel in repo_files():
        src = REPO / rel
        if src.is_file():  # tracked files deleted in the working tree are skipped
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if git:
        ident = ["-c", "user.name=mixedmotive tests", "-c", "user.email=tests@invalid", "-c", "commit.gpgsign=false"]
        for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "test copy"]):
            subprocess.run(["git", *ident, *cmd], cwd=dest, check=True, capture_output=True)
    return dest
