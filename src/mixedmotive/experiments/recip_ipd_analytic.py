"""Reciprocators IPD-Analytic round robin: one match between two analytic learners.

``method`` names the pairing, ``<agent_1>_vs_<agent_2>``; agent_1 is player 1 (the
row agent), agent_2 player 2.  Meta-trained agents (mmaml, mfos) load the artifact
of their meta-training rule from ``cfg['artifacts'][name]``.
"""

from __future__ import annotations

import pandas as pd
import torch

from .. import results
from ..agents import ipd_analytic, ipd_meta

AGENTS = ("nl", "lola", "mmaml", "mfos", "reciprocator")


def split_pair(method: str) -> tuple[str, str]:
    a, sep, b = method.partition("_vs_")
    if not sep or a not in AGENTS or b not in AGENTS:
        raise ValueError(f"bad pairing {method!r}: expected '<a>_vs_<b>' with a, b in {', '.join(AGENTS)}")
    return a, b


def build(name: str, cfg: dict) -> ipd_analytic.AnalyticAgent:
    """An agent from its config section (and its meta-trained artifact, if any)."""
    if name == "mmaml":
        return ipd_meta.MMAMLAgent.from_result(results.read_artifact(cfg["artifacts"]["mmaml"]))
    if name == "mfos":
        return ipd_meta.MFOSAgent.from_result(results.read_artifact(cfg["artifacts"]["mfos"]))
    return ipd_analytic.make_agent(name, **cfg.get(name, {}))


def run(cfg: dict, method: str, seed: int, device: str = "cpu") -> pd.DataFrame:
    """Per-game rewards per step (averaged over the updates) of both players."""
    a, b = split_pair(method)
    torch.manual_seed(seed)
    out = ipd_analytic.play(build(a, cfg), build(b, cfg), n_updates=cfg["n_updates"], batch=cfg["batch"],
                            seed=seed, gamma=cfg["gamma"])
    return pd.DataFrame({
        "game": range(cfg["batch"]),
        "agent_1": a, "agent_2": b,
        "reward_1": out["per_game_1"].double().numpy(),
        "reward_2": out["per_game_2"].double().numpy(),
        "final_1": out["final_1"].double().numpy(),
        "final_2": out["final_2"].double().numpy(),
        "method": method, "seed": seed,
    })
