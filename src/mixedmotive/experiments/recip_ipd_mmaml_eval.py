"""The M-MAML study's evaluation (docs/decisions.md R12): every M-MAML id of one arm played against NL.

:func:`run` plays each id with :func:`mixedmotive.agents.ipd_analytic.play` at the round robin's match
settings, games seeded with the id as in the round robin; our arms (``b<outer batch>``, read from
``cfg['artifacts']``) twice: stepping with the NL lr 1 as M-FOS evaluates M-MAML, and with the learned
inner lr as our round robin does.  The arm ``mfos`` plays M-FOS's pre-generated sets
(:func:`reference_theta0`, numbers in ``mixedmotive/data/mfos_mamaml_ipd.json``), which hold no inner lr.
"""

from __future__ import annotations

import json
from importlib import resources

import pandas as pd
import torch

from .. import results
from ..agents import ipd_analytic, ipd_meta

REFERENCE_FILE = "mfos_mamaml_ipd.json"
STATES = ("start", "cc", "cd", "dc", "dd")


def reference() -> dict:
    """The packaged record of M-FOS's pre-generated M-MAML sets (numbers and where they come from)."""
    return json.loads(resources.files("mixedmotive.data").joinpath(REFERENCE_FILE).read_text())


def reference_theta0() -> dict[int, torch.Tensor]:
    return {int(k): torch.tensor(v, dtype=torch.float32) for k, v in reference()["theta0"].items()}


def _match(theta0: torch.Tensor, inner_lr: float, game_seed: int, cfg: dict) -> tuple[float, float]:
    out = ipd_analytic.play(ipd_meta.MMAMLAgent(theta0, inner_lr), ipd_analytic.NaiveLearner(cfg["nl"]["lr"]),
                            n_updates=cfg["n_updates"], batch=cfg["batch"], seed=game_seed, gamma=cfg["gamma"])
    return out["mean_1"], out["mean_2"]


def run(cfg: dict, method: str, seed: int, device: str = "cpu") -> pd.DataFrame:
    """One row per M-MAML id 0..n_ids-1 of arm ``method``; our arms read ``cfg['artifacts'][str(id)]``."""
    ids = range(int(cfg["n_ids"]))
    if method == "mfos":
        ref = reference_theta0()
        missing = [i for i in ids if i not in ref]
        if missing:
            raise ValueError(f"M-FOS pre-generated {len(ref)} M-MAML sets; ids {missing} do not exist")
        sets = {i: (ref[i], None) for i in ids}
    else:
        arts = {i: results.read_artifact(cfg["artifacts"][str(i)]) for i in ids}
        sets = {i: (a["theta0"].float(), float(a["inner_lr"])) for i, a in arts.items()}
    rows = []
    for i, (theta0, alpha) in sets.items():
        own, nl = _match(theta0, 1.0, i, cfg)
        own_a, nl_a = _match(theta0, alpha, i, cfg) if alpha is not None else (float("nan"), float("nan"))
        p = torch.sigmoid(theta0.double()).tolist()
        rows.append({"arm": method, "id": i, **{f"p_{s}": v for s, v in zip(STATES, p, strict=True)},
                     "inner_lr": float("nan") if alpha is None else alpha,
                     "reward_vs_nl": own, "nl_reward": nl, "reward_vs_nl_alpha": own_a, "nl_reward_alpha": nl_a,
                     "seed": seed})
    return pd.DataFrame(rows)
