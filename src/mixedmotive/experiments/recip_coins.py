"""Reciprocators in the Coins game (figures pp. 7, 8, 14): one run of one pairing.

``method`` is the pairing ``<player 1>_vs_<player 2>`` with players ``nl``,
``reciprocator`` and ``mfos``; the figures use ``reciprocator_vs_nl``,
``mfos_vs_nl``, ``nl_vs_nl``, ``reciprocator_vs_reciprocator`` and ``mfos_vs_mfos``.
Player 2 of the ``*_vs_nl`` runs is the NL-PPO whose P(own coin) Fig. 3 shows.

Loop (the authors' code), per episode: reset ``batch`` games, roll out ``T``
steps with every player sampling from its policy, then each player observes the
episode (a Reciprocator pushes it into its buffer and refits its influence models
when due) and, after the first ``reciprocator.init_episodes`` episodes (all
policies frozen, in every non-MFOS pairing so their x axes agree), learns with PPO.

MFOS pairings run ``episodes // mfos.inner_episodes`` meta-episodes of
``inner_episodes`` episodes each (the same number of environment episodes as the
other pairings; decisions.md C6): the NL opponent is re-initialised at every
meta-episode start and learns after every inner episode; the meta-agent learns
once per meta-episode.

One row per (episode, player):

==================  ==================================================================
episode             0-based environment episode (the rollout before that episode's update)
meta_episode        MFOS pairings: the meta-episode of that episode; -1 otherwise
player              0 or 1;  kind: nl | reciprocator | mfos
own, other, total   coins of its own colour / of the other's / both that the player took
                    per game in the episode (batch mean)
p_own               own / (own + other) over the batch (NaN if it took none)
reward              extrinsic return of the episode per game (sum over T steps, batch mean)
rr_mean             Reciprocator: mean w * r_RR per step; NaN for the others
voi_on_other        Reciprocator: mean VI^{i->j}; voi_from_other: mean VI^{j->i};
                    balance_end: mean end-of-episode balance b_{T-1}
pairing, seed       the run
==================  ==================================================================

Config (section ``recip_coins``; values in config/config.yaml): ``episodes``, ``batch``,
``T``, ``grid``, ``obs_order``, ``threads``, ``ppo`` (lr, epochs, clip, gamma,
entropy_coef, value_coef, return_norm_eps, channels, latent), ``reciprocator``
(rr_weight, rr_normalise, gamma, buffer_episodes, target_period, init_episodes, refit_batch,
refit_batches, refit_epochs, hidden, lr, value_channels, value_latent) and ``mfos``
(inner_episodes, lr, epochs, clip, gamma, entropy_coef, value_coef, return_norm_eps,
channels, latent).

``seed`` seeds network initialisation (``torch.manual_seed``) and a generator for
the environment, the action sampling and the model refits.  Deterministic on CPU.
Under the CLI the loop checkpoints (every episode boundary, or meta-episode boundary
for MFOS pairings, when due) and resumes bit-identically.
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from .. import checkpoint
from ..agents.coins import CoinsEpisode, CoinsNL, CoinsReciprocator, coin_counts
from ..agents.coins_mfos import CoinsMFOS
from ..agents.ppo import ppo_config
from ..envs.coins import CoinGame
from ..threads import torch_threads

KINDS = ("nl", "reciprocator", "mfos")
PAIRINGS = ("reciprocator_vs_nl", "mfos_vs_nl", "nl_vs_nl", "reciprocator_vs_reciprocator", "mfos_vs_mfos")


def parse_pairing(method: str) -> tuple[str, str]:
    kinds = tuple(method.split("_vs_"))
    if len(kinds) != 2 or any(k not in KINDS for k in kinds):
        raise ValueError(f"pairing must be '<a>_vs_<b>' with a, b in {KINDS}, got {method!r}")
    return kinds


def make_player(kind: str, index: int, cfg: dict, device: str = "cpu"):
    p = cfg["ppo"]
    if kind == "nl":
        return CoinsNL(index, ppo_config(p), 4, cfg["grid"], p["channels"], p["latent"], device)
    if kind == "reciprocator":
        return CoinsReciprocator(index, ppo_config(p), cfg["reciprocator"], cfg["T"], cfg["grid"], p["channels"],
                                 p["latent"], device)
    m = cfg["mfos"]
    return CoinsMFOS(index, ppo_config(m), cfg["grid"], m["channels"], m["latent"], device)


@torch.no_grad()
def rollout(env: CoinGame, players, generator: torch.Generator | None = None) -> CoinsEpisode:
    obs = env.reset()
    for p in players:
        p.start()
    prev = torch.zeros(env.batch, env.n_agents, device=env.device)
    obs_t, act_t, rew_t, state_t, coll_t = [], [], [], [env.state], []
    for t in range(env.T):
        actions = torch.stack([p.act(obs[:, i], prev, t == 0, generator) for i, p in enumerate(players)], 1)
        obs_t.append(obs)
        act_t.append(actions)
        obs, prev, _, info = env.step(actions)
        rew_t.append(prev)
        state_t.append(info["state"])
        coll_t.append(info["collected"])
    return CoinsEpisode(obs=torch.stack(obs_t), actions=torch.stack(act_t), rewards=torch.stack(rew_t),
                        states=torch.stack(state_t), collected=torch.stack(coll_t))


def episode_rows(ep: CoinsEpisode, players, logs, episode: int, meta_episode: int, pairing: str,
                 seed: int) -> list[dict]:
    counts = coin_counts(ep.collected)
    reward = ep.rewards.sum(0).mean(0)
    rows = []
    for i, p in enumerate(players):
        own, other = float(counts["own"][i]), float(counts["other"][i])
        log = logs[i]
        rows.append({
            "pairing": pairing, "seed": seed, "episode": episode, "meta_episode": meta_episode,
            "player": i, "kind": p.kind, "own": own, "other": other, "total": float(counts["total"][i]),
            "p_own": own / (own + other) if own + other > 0 else math.nan,
            "reward": float(reward[i]),
            **{k: float(log.get(k, math.nan)) for k in ("rr_mean", "voi_on_other", "voi_from_other", "balance_end")},
        })
    return rows


def run(cfg: dict, method: str, seed: int = 0, device: str = "cpu") -> pd.DataFrame:
    kinds = parse_pairing(method)
    with torch_threads(cfg.get("threads", 1)):
        if "mfos" in kinds:
            return _train_meta(cfg, method, kinds, seed, device)
        return _train(cfg, method, kinds, seed, device)


def _setup(cfg, seed, device):
    torch.manual_seed(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    env = CoinGame(cfg["batch"], 2, cfg["grid"], cfg["T"], cfg["obs_order"], device=device, generator=gen)
    return gen, env


def _resume(ckpt, learners, gen) -> tuple[int, list]:
    """(first step to run, rows so far), restoring ``learners`` and the RNGs from a checkpoint if there is one."""
    saved = ckpt.load()
    if saved is None:
        return 0, []
    for p, s in zip(learners, saved["learners"], strict=True):
        p.load_state_dict(s)
    checkpoint.set_rng_state(saved["rng"], gen)
    return saved["step"], list(saved["rows"])


def _snapshot(step: int, rows: list, learners, gen) -> dict:
    return dict(step=step, rows=list(rows), learners=[p.state_dict() for p in learners], rng=checkpoint.rng_state(gen))


def _train(cfg: dict, pairing: str, kinds, seed: int, device: str) -> pd.DataFrame:
    gen, env = _setup(cfg, seed, device)
    players = [make_player(k, i, cfg, device) for i, k in enumerate(kinds)]
    warmup = cfg["reciprocator"]["init_episodes"]
    n_episodes = int(cfg["episodes"])
    ckpt = checkpoint.active()
    start, rows = _resume(ckpt, players, gen)

    for episode in range(start, n_episodes):
        ep = rollout(env, players, gen)
        logs = [p.observe(ep, gen) for p in players]
        if episode >= warmup:
            logs = [{**log, **p.learn(ep)} for p, log in zip(players, logs, strict=True)]
        rows += episode_rows(ep, players, logs, episode, -1, pairing, seed)
        ckpt.maybe_save(episode + 1, lambda episode=episode, rows=rows: _snapshot(episode + 1, rows, players, gen),
                        total=n_episodes)
    return pd.DataFrame(rows)


def _train_meta(cfg: dict, pairing: str, kinds, seed: int, device: str) -> pd.DataFrame:
    gen, env = _setup(cfg, seed, device)
    inner = int(cfg["mfos"]["inner_episodes"])
    n_meta = max(1, int(cfg["episodes"]) // inner)
    players = [make_player(k, i, cfg, device) for i, k in enumerate(kinds)]
    metas = [p for p in players if isinstance(p, CoinsMFOS)]
    ckpt = checkpoint.active()
    start, rows = _resume(ckpt, metas, gen)  # the NL opponents are re-initialised every meta-episode anyway

    for meta in range(start, n_meta):
        # a fresh NL opponent every meta-episode; meta-agents keep learning
        players = [p if isinstance(p, CoinsMFOS) else make_player(p.kind, p.index, cfg, device) for p in players]
        for p in metas:
            p.start_meta()
        episodes = []
        for k in range(inner):
            ep = rollout(env, players, gen)
            episodes.append(ep)
            logs = [{} if isinstance(p, CoinsMFOS) else p.learn(ep) for p in players]
            rows += episode_rows(ep, players, logs, meta * inner + k, meta, pairing, seed)
        for p in metas:
            p.learn_meta(episodes)
        ckpt.maybe_save(meta + 1, lambda meta=meta, rows=rows: _snapshot(meta + 1, rows, metas, gen), total=n_meta)
    return pd.DataFrame(rows)
