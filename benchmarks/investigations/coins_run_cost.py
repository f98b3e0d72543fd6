#!/usr/bin/env python
"""Investigation: projected wall time of a Coins run per pairing and budget (decision A16).

Usage::

    python benchmarks/investigations/coins_run_cost.py                       # every pairing, default and paper
    python benchmarks/investigations/coins_run_cost.py --runs paper:reciprocator_vs_reciprocator:8

Each run is ``recip_coins.run`` with the resolved config of its scale and the episodes cut to the given number; the
seconds per episode are timed from the end of the warm-up (MFOS pairings: the whole run over its episodes, meta
updates included) and multiplied by the scale's episodes.  One thread; run it on a core of its own.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mixedmotive.config import load
from mixedmotive.experiments import recip_coins
from mixedmotive.jobs import job_settings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RUNS = ["default:reciprocator_vs_reciprocator:8", "default:mfos_vs_mfos:10", "default:nl_vs_nl:8",
                "default:mfos_vs_nl:10", "paper:reciprocator_vs_reciprocator:8", "paper:nl_vs_nl:8",
                "paper:mfos_vs_mfos:16", "paper:mfos_vs_nl:16"]


def seconds_per_episode(scale: str, pairing: str, episodes: int) -> tuple[float, int]:
    """(seconds per episode, the scale's episodes per run) of ``pairing`` at ``scale``."""
    cfg = load(ROOT / "config" / "config.yaml", scale=scale)
    settings = {**job_settings("recip_coins", cfg, pairing), "episodes": episodes}
    stamps = []
    rows = recip_coins.episode_rows

    def timed(*args, **kwargs):
        stamps.append(time.perf_counter())
        return rows(*args, **kwargs)

    recip_coins.episode_rows = timed
    try:
        start = time.perf_counter()
        recip_coins.run(settings, pairing, seed=0)
        end = time.perf_counter()
    finally:
        recip_coins.episode_rows = rows
    if "mfos" in pairing:
        per_episode = (end - start) / len(stamps)
    else:
        warm = settings["reciprocator"]["init_episodes"]
        per_episode = (stamps[-1] - stamps[warm]) / (len(stamps) - 1 - warm)
    return per_episode, int(cfg["recip_coins"]["episodes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=DEFAULT_RUNS, help="scale:pairing:episodes to time")
    args = parser.parse_args()
    for spec in args.runs:
        scale, pairing, episodes = spec.split(":")
        sec, full = seconds_per_episode(scale, pairing, int(episodes))
        print(f"{scale:8s} {pairing:30s} {sec:7.2f} s/episode  x {full} episodes = {sec * full / 3600:5.2f} h"
              f"  (10x: {sec * 10 * full / 3600:5.2f} h)", flush=True)


if __name__ == "__main__":
    main()
