"""AgA on Selfish-MMM2: multi-agent PPO (centralised critic on the global state), one (variant, seed) per run.

The backend is the config's top-level ``mmm2_backend``: ``embedded`` (our batched simulator,
:mod:`mixedmotive.envs.mmm2`) or ``sc2`` (oxwhirl SMAC on StarCraft II,
:mod:`mixedmotive.envs.smac_backend`; fails with a message naming what is missing).  Loop,
learner and row columns: :mod:`mixedmotive.experiments.marl`, plus, from the task
(:class:`mixedmotive.tasks.mmm2.MMM2Task`), per-episode

* ``win_rate``: fraction of finished episodes won;
* ``team_return``: SMAC's own (scaled) team reward per episode (embedded: ``smac_reward``).

Config (section ``aga_mmm2``): ``variants``, ``n_seeds``, ``batch``, ``horizon``, ``updates``,
``episode_limit``, ``threads``, ``network``, ``mappo``, ``backend``.
"""

from __future__ import annotations

from ..tasks.mmm2 import MMM2Task
from ..threads import torch_threads
from .marl import train


def run(cfg: dict, method: str, seed: int = 0, device: str = "cpu"):
    with torch_threads(cfg.get("threads", 1)):
        task = MMM2Task(cfg, seed, device)
        return train(task, method, cfg, seed, device, "aga_mmm2")
