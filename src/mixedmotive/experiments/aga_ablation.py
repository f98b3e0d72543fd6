"""AgA ablation (docs/decisions.md A12): which of the paper's open readings makes AgA
learn in Harvest, Cleanup and Selfish-MMM2.

``method`` is ``<game>:<variant>:x<multiplier>``, e.g. ``harvest:aga_no_hamiltonian:x1``: one
named variant of ``aga_ablation.variants`` (an engine method plus MAPPO options: the sign rule,
the H_c xi_c term, the normalised mix, mean or sum collective loss, Adam or SGD) on one game at
``multiplier`` times the game's budget.  The job's settings (:func:`mixedmotive.jobs.job_settings`)
are the game's own section (``aga_ssd`` or ``aga_mmm2``) with those options applied and the
MAPPO variant string in ``variant``; the loop is :func:`mixedmotive.experiments.marl.train`, so
every row carries the per-layer gradient norms and the sign shares of the update.
"""

from __future__ import annotations

from ..tasks.mmm2 import MMM2Task
from ..tasks.ssd import SSDTask
from ..threads import torch_threads
from ..wildcards import AblationRun
from .marl import train

GAMES = ("harvest", "cleanup", "mmm2")


def run(cfg: dict, method: str, seed: int = 0, device: str = "cpu"):
    game, name, multiplier = AblationRun.parse(method, games=GAMES)
    with torch_threads(cfg.get("threads", 1)):
        task = MMM2Task(cfg, seed, device) if game == "mmm2" else SSDTask(game, cfg, seed, device)
        frame = train(task, cfg["variant"], cfg, seed, device, "aga_ablation")
    frame["variant"] = name
    frame.insert(1, "game", game)
    frame.insert(2, "budget", multiplier)
    return frame
