"""Raw results on disk: a parquet table plus a JSON provenance sidecar, written atomically."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path

import pandas as pd

from .config import ROOT, config_hash

_PACKAGES = ("mixedmotive", "torch", "numpy", "pandas", "matplotlib", "snakemake")


def git_sha() -> str:
    """HEAD's sha, suffixed '-dirty' when tracked files differ; 'unknown' outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return f"{cpu_name()} ({os.cpu_count()} logical cores)"


def provenance(*, experiment: str, method: str | None, seed: int | None, cfg: dict, device: str,
               started: float) -> dict:
    return {
        "experiment": experiment,
        "method": method,
        "seed": seed,
        "scale": cfg.get("scale"),
        "config_hash": config_hash(cfg),
        "config": cfg,
        "git_sha": git_sha(),
        "versions": versions(),
        "device": device,
        "device_name": device_name(device),
        "host": platform.node(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_s": round(time.time() - started, 3),
    }


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_beside(path: Path) -> Path:
    """An empty temp file next to ``path`` with the permissions a plain open() would give.

    (mkstemp creates 0600 files; without the chmod every output would be private.)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return Path(tmp)


def remove_temps(path: str | Path) -> None:
    """Delete the temps :func:`_temp_beside` made for ``path`` that a killed process left behind.

    (A kill cannot be caught, so a write interrupted by one leaves its hidden temp; the
    target itself is never partial.)  Only call this while nobody else writes ``path``.
    """
    path = Path(path)
    if path.parent.is_dir():
        for tmp in path.parent.glob(f".{path.name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def _atomic_write(path: Path, write) -> None:
    """Write through ``write(tmp_path)`` and rename into place; on failure nothing is left."""
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        write(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sidecar(path: str | Path) -> Path:
    return Path(path).with_suffix(".json")


def write(frame: pd.DataFrame, path: str | Path, meta: dict) -> None:
    """Write ``frame`` to ``path`` (parquet) and ``meta`` to its .json sidecar, atomically.

    Both files are written to temporaries first; only when both succeeded are they
    renamed into place (sidecar first), so a failed write changes neither file.
    """
    path = Path(path)
    tmp_meta, tmp_frame = _temp_beside(sidecar(path)), _temp_beside(path)
    try:
        tmp_meta.write_text(json.dumps(meta, indent=2, default=str))
        frame.to_parquet(str(tmp_frame), index=False)
        os.replace(tmp_meta, sidecar(path))
        os.replace(tmp_frame, path)
    except BaseException:
        tmp_meta.unlink(missing_ok=True)
        tmp_frame.unlink(missing_ok=True)
        raise


def artifact_path(path: str | Path) -> Path:
    """Where the torch artifact (e.g. trained parameters) of a raw result lives."""
    return Path(path).with_suffix(".pt")


def write_artifact(obj, path: str | Path) -> None:
    import torch

    _atomic_write(Path(path), lambda tmp: torch.save(obj, tmp))


def read_artifact(path: str | Path):
    import torch

    return torch.load(path, map_location="cpu", weights_only=False)


def read(path: str | Path) -> tuple[pd.DataFrame, dict]:
    path = Path(path)
    return pd.read_parquet(path), json.loads(sidecar(path).read_text())


def read_many(paths) -> pd.DataFrame:
    """Concatenate raw results, adding method/seed columns from the sidecars when absent."""
    frames = []
    for p in paths:
        frame, meta = read(p)
        for key in ("method", "seed"):
            if key not in frame.columns and meta.get(key) is not None:
                frame[key] = meta[key]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
