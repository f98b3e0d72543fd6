"""Job settings of the M-MAML study (docs/decisions.md R12) and the one lookup for any job's settings.

:func:`settings` is :func:`mixedmotive.jobs.job_settings` extended by the study's two experiments:

* ``recip_ipd_mmaml_study`` (method = an arm, ``b<batch>`` or ``b<batch>-lr<x>``; seed = M-MAML id):
  M-MAML meta-trained exactly as ``recip_ipd_meta`` does for the round robin, with only the outer batch,
  or the inner lr (fixed at x instead of meta-learned), changed;
* ``recip_ipd_mmaml_eval`` (method = an arm, or ``mfos``; seed 0): each M-MAML id of the arm played
  against NL with the round robin's match settings.

They live here, not in ``jobs.py``, because ``jobs.py`` is training code of the Coins diagnosis (its
experiment imports ``parse_coins_cell``): a change there marks that area of docs/results stale
(:mod:`mixedmotive.snapshot`) although none of its runs would change.
"""

from __future__ import annotations

import copy

from .jobs import job_settings

STUDY_EXPERIMENTS = ("recip_ipd_mmaml_study", "recip_ipd_mmaml_eval")
REFERENCE_ARM = "mfos"  # M-FOS's pre-generated parameter sets (mixedmotive/data/mfos_mamaml_ipd.json)


def parse_arm(arm: str) -> tuple[int, str | float]:
    """``b512`` -> (512, "learned"); ``b64-lr1`` -> (64, 1.0): the outer batch and the inner lr (meta-learned,
    or fixed at that value).  ValueError for anything else (``mfos`` included: it is no training arm)."""
    head, sep, lr = arm.partition("-lr")
    try:
        batch, value = int(head[1:]), (float(lr) if sep else "learned")
    except ValueError:
        batch, value = 0, 0.0
    if not head.startswith("b") or not head[1:].isdigit() or batch <= 0 or (sep and not value > 0):
        raise ValueError(f"bad M-MAML study arm {arm!r}: expected 'b<outer batch>', 'b<outer batch>-lr<fixed inner "
                         f"lr>' or {REFERENCE_ARM!r}")
    return batch, value


def arm_name(batch: int, inner_lr: str | float = "learned") -> str:
    return f"b{int(batch)}" + ("" if inner_lr == "learned" else f"-lr{float(inner_lr):g}")


def study_arms(cfg: dict) -> list[str]:
    """The arms the study compares in the resolved ``cfg``: the round robin's own M-MAML first, then the other
    outer batches (inner lr meta-learned), then the round robin's batch with each fixed inner lr, then M-FOS's
    sets; none when ``n_ids`` is 0 (the study is off).  Arms equal to the round robin's are dropped."""
    study = cfg["recip_ipd_mmaml_study"]
    if not study["n_ids"]:
        return []
    mmaml = cfg["recip_ipd_analytic"]["mmaml"]
    own = arm_name(mmaml["batch"], mmaml["inner_lr"])
    arms = [own, *(arm_name(b, mmaml["inner_lr"]) for b in study["batches"]),
            *(arm_name(mmaml["batch"], lr) for lr in study["fixed_inner_lrs"]), REFERENCE_ARM]
    return list(dict.fromkeys(arms))


def settings(experiment: str, cfg: dict, method: str | None = None) -> dict:
    """What job (``experiment``, ``method``) reads from the resolved config ``cfg``."""
    common = {"scale": cfg["scale"], "device": "cpu"}
    rr = cfg["recip_ipd_analytic"]
    if experiment == "recip_ipd_mmaml_study":
        batch, inner_lr = parse_arm(method)
        return {"mmaml": {**copy.deepcopy(rr["mmaml"]), "batch": batch, "inner_lr": inner_lr}, **common}
    if experiment == "recip_ipd_mmaml_eval":
        if method != REFERENCE_ARM:
            parse_arm(method)
        return {"n_ids": int(cfg["recip_ipd_mmaml_study"]["n_ids"]), "n_updates": rr["n_updates"],
                "batch": rr["batch"], "gamma": rr["gamma"], "nl": copy.deepcopy(rr["nl"]), **common}
    return job_settings(experiment, cfg, method)
