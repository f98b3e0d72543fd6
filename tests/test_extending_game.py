"""The "add a game" recipe, as a test: a new game trains with the package's MAPPO in three steps.

1. the game as a *task*: a batched environment with the interface of
   :class:`mixedmotive.tasks.base.MultiAgentTask` (here: the iterated prisoner's dilemma, written below;
   in the package, the environment goes under ``envs/`` and the task under ``tasks/``);
2. a config: the training budget (``batch``, ``horizon``, ``updates``) plus the ``network`` and
   ``mappo`` blocks, here copied from the smoke-scale Selfish-MMM2 section (a vector-observation game
   like this one); in the package, a section of config/config.yaml and of its schema;
3. train: :func:`mixedmotive.experiments.marl.train` runs any MAPPO method variant (Simul-Ind, AgA, ...)
   on the task and returns one row per update; in the package, an ``experiments/`` module whose ``run``
   does this, and its registry entry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mixedmotive import config
from mixedmotive.experiments.marl import train
from mixedmotive.tasks.base import MultiAgentTask

pytestmark = pytest.mark.usefixtures("one_thread")

COOPERATE, DEFECT = 0, 1
# PAYOFF[a0, a1] = (reward of agent 0, reward of agent 1): temptation 5 > reward 3 > punishment 1 > sucker 0
PAYOFF = torch.tensor([[[3.0, 3.0], [0.0, 5.0]], [[5.0, 0.0], [1.0, 1.0]]])


# ---- 1. the game as a task ---------------------------------------------------------------------------------------
class IteratedPD:
    """``batch`` iterated prisoner's dilemmas of ``T`` rounds, played at once.  Both agents observe the last joint
    action (one-hot of 4, plus a fifth entry set in the first round); the critic's state is the same vector."""

    n_agents, n_actions = 2, 2
    obs_shape = state_shape = (5,)
    extra_columns = ("cooperation",)  # per episode: the share of the agents' moves that cooperate

    def __init__(self, batch: int, T: int, seed: int, device="cpu"):
        self.batch, self.T, self.device = batch, T, device
        self.generator = torch.Generator(device=device).manual_seed(seed)  # MAPPO samples the actions from it
        self.t = 0

    def _observe(self, last):  # last: (B,) index of the last joint action, or None in the first round
        state = torch.zeros(self.batch, 5, device=self.device)
        if last is None:
            state[:, 4] = 1
        else:
            state[torch.arange(self.batch), last] = 1
        return state.unsqueeze(1).expand(-1, self.n_agents, -1), state

    def reset(self):
        self.t = 0
        obs, state = self._observe(None)
        return obs, state, None  # None: every action is available

    def step(self, actions):
        rewards = PAYOFF.to(self.device)[actions[:, 0], actions[:, 1]]
        info = {"cooperated": (actions == COOPERATE).float()}
        self.t += 1
        done = torch.full((self.batch,), self.t == self.T, dtype=torch.bool, device=self.device)
        if self.t == self.T:  # every game ends together; the observations returned belong to the new games
            obs, state, avail = self.reset()
        else:
            (obs, state), avail = self._observe(actions[:, 0] * 2 + actions[:, 1]), None
        return obs, state, avail, rewards, done, info

    def episode_extras(self, info):  # summed per game over its episode
        return {"cooperated": info["cooperated"].sum(-1)}

    def finish(self, stats):  # one finished game's sums -> its values of extra_columns
        return {"cooperation": float(stats["cooperated"]) / (self.n_agents * self.T)}


# ---- 2. the config -----------------------------------------------------------------------------------------------
def game_cfg(updates: int = 3) -> dict:
    smoke = config.load(scale="smoke")["aga_mmm2"]
    return {"batch": 8, "T": 10, "horizon": 10, "updates": updates,
            "network": smoke["network"], "mappo": smoke["mappo"]}


# ---- 3. train ----------------------------------------------------------------------------------------------------
def run(variant: str, seed: int, cfg: dict | None = None) -> pd.DataFrame:
    cfg = cfg or game_cfg()
    task = IteratedPD(cfg["batch"], cfg["T"], seed)
    return train(task, variant, cfg, seed, "cpu", "iterated_pd")


def test_the_toy_task_has_the_task_interface():
    task = IteratedPD(batch=3, T=2, seed=0)
    assert isinstance(task, MultiAgentTask)
    obs, state, avail = task.reset()
    assert obs.shape == (3, 2, 5) and state.shape == (3, 5) and avail is None
    obs, state, _, rewards, done, _ = task.step(torch.tensor([[COOPERATE, COOPERATE], [COOPERATE, DEFECT],
                                                              [DEFECT, DEFECT]]))
    assert rewards.tolist() == [[3, 3], [0, 5], [1, 1]] and not done.any()
    assert state.argmax(-1).tolist() == [0, 1, 3] and torch.equal(obs[:, 0], state)
    *_, done, _ = task.step(torch.zeros(3, 2, dtype=torch.long))
    assert done.all() and task.reset()[1][:, 4].all()
    assert not isinstance(object(), MultiAgentTask)


@pytest.mark.parametrize("variant", ["simul_ind", "aga_lam100"])
def test_a_new_game_trains_with_mappo(variant):
    cfg = game_cfg()
    frame = run(variant, seed=0, cfg=cfg)
    B, T, horizon = cfg["batch"], cfg["T"], cfg["horizon"]
    assert frame["update"].tolist() == [0, 1, 2]
    assert frame["env_steps"].tolist() == [horizon * B, 2 * horizon * B, 3 * horizon * B]
    assert (frame["episodes"] == B).all()  # horizon == T: every game finishes once per rollout
    assert {"experiment", "variant", "method", "lam", "seed", "collective", "return_mean", "equality",
            "cooperation", "value_loss", "policy_loss", "entropy"} <= set(frame.columns)
    assert (frame["experiment"] == "iterated_pd").all() and (frame["variant"] == variant).all()
    # finite numbers, except the learner's diagnostics of the collective gradient where a method has none (NaN)
    numbers = frame.select_dtypes("number")
    collective_pieces = [c for c in numbers if c.startswith(("norm_xi_c_", "norm_h_xi_c_", "h_gt_xi_"))]
    assert collective_pieces
    undefined = collective_pieces if variant == "simul_ind" else []
    assert numbers[undefined].isna().all().all()
    assert np.isfinite(numbers.drop(columns=undefined).to_numpy(dtype=float)).all()
    # per round the two agents earn 2 (both defect) to 6 (both cooperate) together
    assert frame["collective"].between(2 * T, 6 * T).all() and frame["cooperation"].between(0, 1).all()
    assert (frame["return_mean"] * 2 == frame["collective"]).all()


def test_training_is_deterministic_per_seed_and_aga_differs_from_simul_ind():
    a = run("aga_lam100", seed=0)
    pd.testing.assert_frame_equal(a, run("aga_lam100", seed=0))
    assert not a["collective"].equals(run("aga_lam100", seed=1)["collective"])
    # AgA adds the collective loss (with lambda = 100): same first rollout, another update
    simul_ind = run("simul_ind", seed=0)
    assert a.loc[0, "collective"] == simul_ind.loc[0, "collective"]
    assert a.loc[0, "policy_loss"] != simul_ind.loc[0, "policy_loss"]
    assert (a["method"] == "aga").all() and (a["lam"] == 100).all()
