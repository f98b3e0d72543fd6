"""Batched gradient descent on a differentiable game through the gradient engine.

Every game of the batch (one per run / start point) steps together: parameters are
stacked along dimension 0 and the engine is called with ``batched=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .. import methods
from ..gradients import DirectionInfo, direction


@dataclass
class DescentLog:
    params: list[torch.Tensor] = field(default_factory=list)  # per step: (runs, players)
    lam: list[torch.Tensor] = field(default_factory=list)  # per step: (runs,)
    steps_to_converge: torch.Tensor | None = None  # (runs,), -1 when never converged


def method_kwargs(method: str, cfg: dict, sl_self_interest: float | None = None) -> dict:
    """Engine keyword arguments of ``method`` from an experiment config section."""
    import math

    m = methods.get(method)
    kwargs: dict = {"lam": cfg.get("lam", {}).get(method, 1.0)}
    if m.direction == "symplectic":
        kwargs["sga_align"] = cfg.get("sga_align", True)
    if m.shaping == "social_value_orientation":  # a shaping method's options: the section named after it
        kwargs["svo_angle"] = math.radians(cfg[method]["angle_deg"])
        kwargs["svo_weight"] = cfg[method]["weight"]
    if m.shaping == "self_interest_level":
        kwargs["sl_self_interest"] = sl_self_interest
    return kwargs


def descend(
    losses_fn: Callable[[list[torch.Tensor]], list[torch.Tensor]],
    init: torch.Tensor,
    method: str,
    *,
    lr: float,
    steps: int,
    engine_kwargs: dict,
    watch_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
    tol: float | None = None,
) -> DescentLog:
    """Run ``steps`` SGD steps from ``init`` (runs x players, one scalar per player).

    With ``tol``, a run counts as converged at the first step where the largest
    change of ``watch_fn(params)`` (default: the parameters) is below ``tol``; it is
    then frozen, and the loop ends early once every run has converged.
    """
    watch_fn = watch_fn or (lambda p: p)
    params = [init[:, i].clone().requires_grad_(True) for i in range(init.shape[1])]
    log = DescentLog(params=[init.clone()])
    runs = init.shape[0]
    done_at = torch.full((runs,), -1, dtype=torch.long)
    active = torch.ones(runs, dtype=torch.bool)
    for step in range(1, steps + 1):
        info = DirectionInfo()
        dirs = direction(method, losses_fn(params), params, info=info, batched=True, **engine_kwargs)
        with torch.no_grad():
            before = watch_fn(torch.stack(params, 1))
            for p, d in zip(params, dirs, strict=True):
                p.sub_(lr * d * active.to(d.dtype))
            now = torch.stack(params, 1)
            log.params.append(now.clone())
            lam = info.lam if info.lam is not None else torch.zeros(())
            log.lam.append(lam.expand(runs).clone() if lam.dim() == 0 else lam.clone())
            if tol is not None:
                change = (watch_fn(now) - before).abs().amax(1)
                newly = active & (change < tol)
                done_at[newly] = step
                active &= ~newly
                if not active.any():
                    break
    log.steps_to_converge = done_at
    return log
