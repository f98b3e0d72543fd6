"""The M-MAML study's training (docs/decisions.md R12): M-MAML meta-trained by the one trainer
(:func:`mixedmotive.experiments.recip_ipd_meta.run`) at another outer batch than the round robin's
or with the inner lr fixed (method ``b<batch>`` or ``b<batch>-lr<x>``; seed = M-MAML id).  Its evaluation:
:mod:`.recip_ipd_mmaml_eval`.
"""

from __future__ import annotations

from ..wildcards import StudyArm
from . import recip_ipd_meta


def run(cfg: dict, method: str, seed: int, device: str = "cpu"):
    expected = str(StudyArm(cfg["mmaml"]["batch"], cfg["mmaml"]["inner_lr"]))
    if method != expected:
        raise ValueError(f"arm {method!r} does not match the configured M-MAML settings ({expected})")
    return recip_ipd_meta.run(cfg, "mmaml", seed, device)
