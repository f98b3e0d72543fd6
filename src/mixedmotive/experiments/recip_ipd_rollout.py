"""Reciprocators IPD-Rollout figure (p. 6): one Reciprocator (player 1) vs one NL-PPO (player 2).

Each episode: reset ``batch`` parallel games, roll out ``T`` steps with both policies
sampling, then each agent learns once from the episode (the Reciprocator refreshes
its baseline and adds w * r_RR first; see :mod:`mixedmotive.agents.ipd_rollout`).
One row per episode:

========================  ============================================================
episode                   0-based episode index (the row logs the rollout *before* the update)
recip_rr_mean             mean w * r_RR per step over T x batch (the figure's left axis)
p_coop_recip, p_coop_nl   P(cooperate) = 1 - P(defect) of each policy, averaged over the
                          visited states of all T steps and the batch (the figure's right
                          axis; its expectation equals the authors' empirical action mean)
reward_recip, reward_nl   mean extrinsic reward per step
coop_rate_recip/_nl       empirical fraction of C actions (the authors' logged quantity)
recip_voi_on_other        mean VI^{i->j};  recip_voi_from_other: mean VI^{j->i}
baseline_refreshed        whether the influence baseline was refreshed this episode
pc_recip_<s>, pc_nl_<s>   each policy's P(cooperate) in own-view state s = start, CC, CD, DC, DD
seed                      the seed
========================  ============================================================

Config keys (the experiment's section ``recip_ipd_rollout`` of config/config.yaml, where the
smoke/default/paper values live):

=================  ======================================================================
key                meaning
=================  ======================================================================
episodes           training episodes (README: 1000, later 500)
batch              parallel games
T                  steps per episode
lr                 Adam learning rate (both agents)
epochs             PPO epochs (full-batch Adam steps) per episode
clip               PPO clip epsilon
gamma              discount
entropy_coef       entropy bonus
value_coef         critic MSE weight (optional, default 0.5)
return_norm_eps    eps of the return z-normalisation (optional)
latent             hidden units of the encoders (optional)
state_encoding     onehot5 | raw2 (optional, see agents)
threads            torch CPU threads during the run (optional, default 1: the ops are tiny, and on a loaded
                   2-core box 2 threads ran ~10x slower)
rr_weight          w, reciprocal-reward weight
buffer_episodes    baseline FIFO buffer, in episodes
target_period      baseline refresh period, in episodes
return_norm        block | per_step | none (optional, see PPO)
max_grad_norm      gradient-norm clip (optional, off)
=================  ======================================================================

The plot (:mod:`mixedmotive.plots.recip_ipd_rollout`) also reads the optional
``smooth`` (default target_period) and ``rr_ylim`` (paper: [-0.075, 0.15]).

Scales (values in the config): ``paper`` is the authors' IPD config (batch 2048) with the
first README's 1000 episodes.  ``default`` is the smallest setting that showed the
oscillation clearly here: with batch 512, P(cooperate) of the Reciprocator first rises to
~0.9 with NL-PPO's, collapses once (around episode 150-200) and then oscillates with a
period of ~50-70 episodes (seeds 0-3; also at batch 256 and 2048); 500 episodes take
35-55 s on one thread of a loaded 2-core box.  ``smoke`` only exercises the code.

``method`` is ignored (there is one pairing); ``seed`` seeds the network
initialisation (``torch.manual_seed``) and the action sampling (a
``torch.Generator`` on ``device``).  Deterministic on CPU for a seed.

Under the CLI the loop checkpoints every ``checkpoint_every_s`` (networks, Adam states,
episode counters, the influence baseline and its buffer, RNG states, the rows so far) and
a rerun resumes from the last checkpoint, bit-identically on CPU (:mod:`mixedmotive.checkpoint`).
"""

from __future__ import annotations

import pandas as pd
import torch

from .. import checkpoint
from ..agents.ipd_rollout import NLPPO, Episode, Reciprocator
from ..agents.ppo import ppo_config
from ..envs.ipd_rollout import IPDRolloutEnv
from ..threads import torch_threads

RECIP, NL = 0, 1  # player index of each agent
STATE_NAMES = ("start", "CC", "CD", "DC", "DD")  # own view, own action first


def make_agents(cfg: dict, device: str = "cpu") -> tuple[Reciprocator, NLPPO]:
    ppo_cfg = ppo_config(cfg)
    enc, latent = cfg.get("state_encoding", "onehot5"), cfg.get("latent", 2)
    recip = Reciprocator(RECIP, ppo_cfg, rr_weight=cfg["rr_weight"], buffer_episodes=cfg["buffer_episodes"],
                         target_period=cfg["target_period"], encoding=enc, latent=latent, device=device)
    nl = NLPPO(NL, ppo_cfg, encoding=enc, latent=latent, device=device)
    return recip, nl


@torch.no_grad()
def rollout(env: IPDRolloutEnv, agents, generator: torch.Generator | None = None) -> Episode:
    """Play one batch of T-step games; ``agents[k]`` is player k."""
    obs_t, act_t, rew_t, state_t, p_t = [], [], [], [], []
    obs = env.reset()
    done = False
    while not done:
        state_t.append(env.state)
        a0, p0 = agents[0].act(obs[:, 0], generator)
        a1, p1 = agents[1].act(obs[:, 1], generator)
        actions = torch.stack([a0, a1], dim=1)
        obs_t.append(obs)
        act_t.append(actions)
        p_t.append(torch.stack([p0, p1], dim=1))
        obs, rewards, done, _ = env.step(actions)
        rew_t.append(rewards)
    return Episode(obs=torch.stack(obs_t), actions=torch.stack(act_t), rewards=torch.stack(rew_t),
                   states=torch.stack(state_t), p_defect=torch.stack(p_t))


def run(cfg: dict, method: str | None = None, seed: int = 0, device: str = "cpu") -> pd.DataFrame:
    with torch_threads(cfg.get("threads", 1)):
        return _train(cfg, seed, device)


def _train(cfg: dict, seed: int, device: str) -> pd.DataFrame:
    torch.manual_seed(seed)
    recip, nl = make_agents(cfg, device)
    gen = torch.Generator(device=device).manual_seed(seed)
    env = IPDRolloutEnv(cfg["batch"], cfg["T"], device=device)
    rows, start, n_episodes = [], 0, int(cfg["episodes"])
    ckpt = checkpoint.active()
    saved = ckpt.load()
    if saved is not None:
        start, rows = saved["episode"], list(saved["rows"])
        for agent, s in zip((recip, nl), saved["agents"], strict=True):
            _restore(agent, s, device)
        checkpoint.set_rng_state(saved["rng"], gen)

    def state():
        return dict(episode=len(rows), rows=list(rows), agents=[_agent_state(a) for a in (recip, nl)],
                    rng=checkpoint.rng_state(gen))

    for episode in range(start, n_episodes):
        ep = rollout(env, (recip, nl), gen)
        p_coop = 1.0 - ep.p_defect.mean(dim=(0, 1))
        coop = 1.0 - ep.actions.float().mean(dim=(0, 1))
        reward = ep.rewards.mean(dim=(0, 1))
        with torch.no_grad():  # per-state P(cooperate) of the policies that played this episode (own view)
            tables = [1.0 - torch.sigmoid(agent.policy.table()[:, 0]) for agent in (recip, nl)]
        log_r = recip.learn(ep)
        nl.learn(ep)
        rows.append({
            "episode": episode,
            "recip_rr_mean": log_r["rr_mean"],
            "p_coop_recip": float(p_coop[RECIP]),
            "p_coop_nl": float(p_coop[NL]),
            "reward_recip": float(reward[RECIP]),
            "reward_nl": float(reward[NL]),
            "coop_rate_recip": float(coop[RECIP]),
            "coop_rate_nl": float(coop[NL]),
            "recip_voi_on_other": log_r["voi_on_other"],
            "recip_voi_from_other": log_r["voi_from_other"],
            "baseline_refreshed": bool(log_r["baseline_refreshed"]),
            **{f"pc_recip_{n}": float(v) for n, v in zip(STATE_NAMES, tables[0], strict=True)},
            **{f"pc_nl_{n}": float(v) for n, v in zip(STATE_NAMES, tables[1], strict=True)},
            "seed": seed,
        })
        ckpt.maybe_save(episode + 1, state, total=n_episodes)
    return pd.DataFrame(rows)


def _agent_state(agent) -> dict:
    """What a checkpoint needs of an NL-PPO / Reciprocator: network, Adam, episode count, baseline."""
    out = dict(policy=agent.policy.state_dict(), opt=agent.ppo.optimizer.state_dict(),
               episode_count=agent.episode_count)
    if isinstance(agent, Reciprocator):
        out["baseline"] = dict(p_defect=agent.baseline.p_defect.clone(), buffer=list(agent.baseline.buffer))
    return out


def _restore(agent, state: dict, device) -> None:
    agent.policy.load_state_dict(state["policy"])
    agent.ppo.optimizer.load_state_dict(state["opt"])
    agent.episode_count = state["episode_count"]
    if isinstance(agent, Reciprocator):
        agent.baseline.p_defect.copy_(state["baseline"]["p_defect"])
        agent.baseline.buffer.clear()
        agent.baseline.buffer.extend((s.to(device), a.to(device)) for s, a in state["baseline"]["buffer"])
