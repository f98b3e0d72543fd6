"""The training loop shared by the multi-agent PPO experiments (Harvest, Cleanup, Selfish-MMM2).

A *task* wraps a batched environment behind one interface: :class:`mixedmotive.tasks.base.MultiAgentTask`.

Every update: roll out ``horizon`` steps of all ``batch`` games, then one
:meth:`MAPPO.update`.  One row per update: environment steps so far, the learner's
statistics and the means over the episodes that finished during the rollout
(``episodes``: how many; NaN metrics when none finished):

* ``collective``: sum over agents of the episode return; ``return_mean``: its mean per agent;
* ``equality``: E of the agents' episode returns (per episode, then averaged; episodes whose
  collective return is <= 0 give NaN and are counted in ``equality_undefined``);
* the task's own statistics (e.g. win rate, sustainability).

Checkpoints are taken between updates; a resumed run restarts the games that were in flight.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from .. import checkpoint
from ..agents.mappo import MAPPO, mappo_config, shape_rewards
from ..analysis.metrics import equality


def make_learner(task, variant: str, cfg: dict, device) -> MAPPO:
    net = cfg["network"]
    # the conv sizes matter only for image inputs; the config sets them wherever they do
    convs = {k: net[k] for k in ("actor_channels", "critic_channels") if k in net}
    return MAPPO(variant, task.n_agents, task.obs_shape, task.state_shape, task.n_actions, mappo_config(cfg["mappo"]),
                 actor_hidden=tuple(net["actor_hidden"]), critic_hidden=tuple(net["critic_hidden"]), device=device,
                 **convs)


class EpisodeTracker:
    """Per-game running returns and task statistics; collects the episodes that finish."""

    def __init__(self, task, batch: int, n_agents: int, device):
        self.task = task
        self.returns = torch.zeros(batch, n_agents, device=device)
        self.extras: dict[str, torch.Tensor] = {}
        self.finished: list[np.ndarray] = []
        self.finished_extras: list[dict] = []

    def step(self, rewards, done, info) -> None:
        self.returns += rewards
        for k, v in self.task.episode_extras(info).items():
            self.extras[k] = self.extras.get(k, 0) + v
        if bool(done.any()):
            idx = torch.nonzero(done).flatten()
            self.finished.append(self.returns[idx].cpu().numpy())
            for i in idx.tolist():
                self.finished_extras.append(self.task.finish({k: v[i] for k, v in self.extras.items()}))
            self.returns[idx] = 0
            for v in self.extras.values():
                v[idx] = 0

    def flush(self) -> dict:
        if not self.finished:
            out = {"episodes": 0, "collective": math.nan, "return_mean": math.nan, "equality": math.nan,
                   "equality_undefined": 0}
            out.update({k: math.nan for k in self.task.extra_columns})
            return out
        r = np.concatenate(self.finished)
        e = equality(r)
        out = {"episodes": len(r), "collective": float(r.sum(1).mean()), "return_mean": float(r.mean()),
               "equality": float(np.nanmean(e)) if np.isfinite(e).any() else math.nan,
               "equality_undefined": int(np.isnan(e).sum())}
        for k in self.task.extra_columns:
            vals = [x[k] for x in self.finished_extras]
            out[k] = float(np.nanmean(vals)) if np.isfinite(vals).any() else math.nan
        self.finished, self.finished_extras = [], []
        return out


def collect(task, learner: MAPPO, horizon: int, start, tracker: EpisodeTracker | None = None):
    """Roll out ``horizon`` steps of every game from ``start`` = (obs, state, avail).

    Returns (the batch :meth:`MAPPO.update` takes, the (obs, state, avail) to continue from).
    Rewards are shaped for SVO/SL learners; ``team`` is the sum of the raw rewards.
    """
    obs, state, avail = start
    buf = {"obs": [], "state": [state], "actions": [], "logp": [], "rewards": [], "team": [], "dones": []}
    if avail is not None:
        buf["avail"] = []
    for _ in range(horizon):
        actions, logp = learner.act(obs, avail, task.generator)
        buf["obs"].append(obs)
        buf["actions"].append(actions)
        buf["logp"].append(logp)
        if avail is not None:
            buf["avail"].append(avail)
        obs, state, avail, rewards, done, info = task.step(actions)
        if tracker is not None:
            tracker.step(rewards, done, info)
        buf["state"].append(state)
        buf["rewards"].append(shape_rewards(learner.method, rewards, learner.cfg))
        buf["team"].append(rewards.sum(-1))
        buf["dones"].append(done)
    return {k: torch.stack(v) for k, v in buf.items()}, (obs, state, avail)


def train(task, variant: str, cfg: dict, seed: int, device, experiment: str) -> pd.DataFrame:
    """Train ``variant`` on ``task`` for ``cfg['updates']`` updates of ``cfg['horizon']`` steps."""
    torch.manual_seed(seed)
    gen = task.generator
    learner = make_learner(task, variant, cfg, device)
    horizon, n_updates, B = int(cfg["horizon"]), int(cfg["updates"]), task.batch
    ckpt = checkpoint.active()
    saved = ckpt.load()
    start, rows = 0, []
    if saved is not None:
        learner.load_state_dict(saved["learner"])
        checkpoint.set_rng_state(saved["rng"], gen)
        start, rows = saved["step"], list(saved["rows"])
    tracker = EpisodeTracker(task, B, task.n_agents, device)
    obs, state, avail = task.reset()
    for update in range(start, n_updates):
        batch, (obs, state, avail) = collect(task, learner, horizon, (obs, state, avail), tracker)
        stats = learner.update(batch)
        rows.append({"experiment": experiment, "variant": variant, "method": learner.method, "lam": learner.lam,
                     "seed": seed, "update": update, "env_steps": (update + 1) * horizon * B,
                     **tracker.flush(), **stats})
        ckpt.maybe_save(update + 1, lambda update=update: dict(step=update + 1, rows=list(rows),
                                                               learner=learner.state_dict(),
                                                               rng=checkpoint.rng_state(gen)), total=n_updates)
    return pd.DataFrame(rows)
