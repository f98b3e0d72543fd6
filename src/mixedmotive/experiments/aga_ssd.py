"""AgA Table 2 / Fig. 3: multi-agent PPO on Harvest or Cleanup, one (game, method variant, seed) per run.

``method`` is ``<game>:<variant>``, e.g. ``harvest:aga_lam100`` or ``cleanup:simul_ind`` (games:
:data:`mixedmotive.tasks.ssd.GAMES`)
(variants: :func:`mixedmotive.agents.mappo.parse_variant`).  The loop, the learner and the
row columns are those of :mod:`mixedmotive.experiments.marl`; the task
(:class:`mixedmotive.tasks.ssd.SSDTask`) adds two per-episode statistics:

* ``sustainability``: mean over agents of the average time step at which the agent ate an
  apple (Perolat et al. 2017; NaN for an agent that ate none); higher = apples last longer;
* ``hits``: beam hits per episode (all agents), a cheap inverse of "peace".

Config (section ``aga_ssd``): ``games``, ``variants``, ``n_seeds``, ``n_agents``, ``T`` (episode
length), ``batch``, ``horizon``, ``updates``, ``threads``, ``network``, ``mappo`` and
``harvest_regrowth_window``.
"""

from __future__ import annotations

from ..tasks.ssd import SSDTask
from ..threads import torch_threads
from ..wildcards import SSDRun
from .marl import train


def run(cfg: dict, method: str, seed: int = 0, device: str = "cpu"):
    game, variant = SSDRun.parse(method)
    with torch_threads(cfg.get("threads", 1)):
        task = SSDTask(game, cfg, seed, device)
        frame = train(task, variant, cfg, seed, device, "aga_ssd")
    frame.insert(1, "game", game)
    return frame
