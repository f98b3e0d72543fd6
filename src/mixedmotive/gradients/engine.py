"""One gradient-adjustment engine for differentiable games and RL surrogate losses.

Conventions
-----------
* ``params`` holds one entry per player; an entry is a tensor or a list of tensors
  (e.g. ``list(module.parameters())``).  Every tensor must require grad.
* ``losses`` holds one loss tensor per player, computed from ``params`` with the
  autograd graph attached.  A loss may have any shape: the engine differentiates
  its sum.  With ``batched=True`` every parameter tensor's first dimension indexes
  independent games (runs) and each loss element belongs to one game; the game
  Hessian is then block-diagonal over games, so HVPs of the summed losses are
  per-game HVPs, and every inner product used by a sign rule is taken per game.
* Directions are for *descent*: ``w <- w - lr * direction``.

Hessian-vector products use double back-propagation; no dense Hessian is built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from .. import methods as registry
from .shaping import sl_losses, svo_losses

Tensor = torch.Tensor

METHODS = registry.NAMES

#: AgA's readings (docs/decisions.md A12): where the sign of lambda comes from, and how xi and
#: H_c xi_c are scaled before lambda mixes them.
AGA_SIGNS = ("global", "per_player", "off")
AGA_NORMALISE = ("none", "global", "per_tensor")
_NORM_EPS = 1e-12

#: Balduzzi et al. (2018), Algorithm 1: sign(<xi, grad H><A^T xi, grad H>/d + eps).
SGA_ALIGN_EPS = 0.1


@dataclass
class DirectionInfo:
    """Diagnostics of one ``direction`` call (filled in place when passed)."""

    lam: Tensor | None = None  # the signed lambda actually used (per game if batched; per player for per_player)
    # the raw pieces, flat lists of detached tensors in parameter order (filled when computed):
    # "xi" (individual gradients), "xi_c" (collective gradient), "h_xi_c" (H_c xi_c)
    extras: dict = field(default_factory=dict)


def _players(params) -> list[list[Tensor]]:
    out = []
    for p in params:
        if isinstance(p, Tensor):
            out.append([p])
        else:
            out.append(list(p))
    return out


def _restore(structure, flat_per_player: list[list[Tensor]]):
    out = []
    for p, g in zip(structure, flat_per_player, strict=True):
        out.append(g[0] if isinstance(p, Tensor) else list(g))
    return out


def _grad(scalar: Tensor, tensors: list[Tensor], create_graph: bool = False) -> list[Tensor]:
    grads = torch.autograd.grad(
        scalar, tensors, retain_graph=True, create_graph=create_graph, allow_unused=True
    )
    return [torch.zeros_like(t) if g is None else g for t, g in zip(tensors, grads, strict=True)]


def _split(flat: list[Tensor], sizes: list[int]) -> list[list[Tensor]]:
    out, i = [], 0
    for n in sizes:
        out.append(flat[i : i + n])
        i += n
    return out


def _dot(a: list[Tensor], b: list[Tensor], batched: bool) -> Tensor:
    if batched:
        terms = [(x * y).reshape(x.shape[0], -1).sum(1) for x, y in zip(a, b, strict=True)]
    else:
        terms = [(x * y).sum() for x, y in zip(a, b, strict=True)]
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def _scale(lam: Tensor | float, v: list[Tensor], batched: bool) -> list[Tensor]:
    if batched and isinstance(lam, Tensor) and lam.dim() == 1:
        return [lam.view(-1, *([1] * (x.dim() - 1))) * x for x in v]
    return [lam * x for x in v]


def _add(a: list[Tensor], b: list[Tensor]) -> list[Tensor]:
    return [x + y for x, y in zip(a, b, strict=True)]


def _individual(losses, players, create_graph, separable: bool = False) -> list[list[Tensor]]:
    """xi: each player's gradient of its own loss w.r.t. its own parameters.

    ``separable``: every loss depends on its own player's parameters only, so one backward
    pass of the summed losses gives every player's gradient (instead of one pass per player).
    """
    if separable:
        flat = [t for p in players for t in p]
        return _split(_grad(sum(loss.sum() for loss in losses), flat, create_graph), [len(p) for p in players])
    return [_grad(loss.sum(), p, create_graph) for loss, p in zip(losses, players, strict=True)]


def _hvp_of_half_norm(vec: list[Tensor], flat_params: list[Tensor]) -> list[Tensor]:
    """grad_w of 1/2 ||vec(w)||^2 = J_vec^T vec (vec built with create_graph=True).

    One vector-Jacobian product of ``vec`` with cotangent ``vec``: the same backward
    pass as differentiating 1/2 ||vec||^2, without building the square-and-sum nodes.
    """
    live = [v for v in vec if v.requires_grad]  # constant entries have zero Jacobian rows
    if not live:
        return [torch.zeros_like(p) for p in flat_params]
    grads = torch.autograd.grad(
        live, flat_params, grad_outputs=[v.detach() for v in live], retain_graph=True,
        allow_unused=True,
    )
    return [torch.zeros_like(p) if g is None else g for p, g in zip(flat_params, grads, strict=True)]


def _jvp_of_field(field_: list[Tensor], flat_params: list[Tensor], v: list[Tensor]) -> list[Tensor]:
    """J v for a vector field built with create_graph=True, by the double-backward trick."""
    live = [f for f in field_ if f.requires_grad]  # constant entries have zero Jacobian rows
    if not live:
        return [torch.zeros_like(f) for f in field_]
    dummies = [torch.zeros_like(f, requires_grad=True) for f in live]
    jt_u = torch.autograd.grad(
        live, flat_params, grad_outputs=dummies, create_graph=True, retain_graph=True,
        allow_unused=True,
    )
    pairs = [(g, vv) for g, vv in zip(jt_u, v, strict=True) if g is not None and g.requires_grad]
    if not pairs:
        return [torch.zeros_like(f) for f in field_]
    jv = torch.autograd.grad(
        [g for g, _ in pairs], dummies, grad_outputs=[vv for _, vv in pairs],
        retain_graph=True, allow_unused=True,
    )
    jv_live = iter(torch.zeros_like(d) if g is None else g for d, g in zip(dummies, jv, strict=True))
    return [next(jv_live) if f.requires_grad else torch.zeros_like(f) for f in field_]


def _sign(x: Tensor) -> Tensor:
    return torch.sign(x)


def _rescaled(v: list[Tensor], ref: list[Tensor], how: str, batched: bool) -> list[Tensor]:
    """``v`` rescaled to the norm of ``ref``: over all tensors (``global``, per game if batched)
    or tensor by tensor (``per_tensor``); a zero ``v`` stays zero."""
    if how == "none":
        return v
    if how == "global":
        factor = (_dot(ref, ref, batched).sqrt() / (_dot(v, v, batched).sqrt() + _NORM_EPS))
        return _scale(factor, v, batched)
    out = []
    for x, r in zip(v, ref, strict=True):
        nx, nr = _dot([x], [x], batched).sqrt(), _dot([r], [r], batched).sqrt()
        out.append(_scale(nr / (nx + _NORM_EPS), [x], batched)[0])
    return out


def _aga(losses, players, flat, sizes, lam, collective_loss, batched, separable, sign, hamiltonian,
         normalise, info):
    """xi_c + lam' (xi + H_c xi_c) and its ablations (see :func:`direction`)."""
    if sign not in AGA_SIGNS:
        raise ValueError(f"aga_sign must be one of {', '.join(AGA_SIGNS)}, got {sign!r}")
    if normalise not in AGA_NORMALISE:
        raise ValueError(f"aga_normalise must be one of {', '.join(AGA_NORMALISE)}, got {normalise!r}")
    need_h = hamiltonian or sign != "off"
    xi_c = _grad(collective_loss.sum(), flat, create_graph=need_h)
    xi = [g.detach() for g in sum(_individual(losses, players, create_graph=False, separable=separable), [])]
    g = _hvp_of_half_norm(xi_c, flat) if need_h else None  # H_c xi_c
    xi_c = [x.detach() for x in xi_c]
    if sign == "off":
        lam_signed = torch.as_tensor(abs(lam), dtype=xi_c[0].dtype)
    elif sign == "global":
        lam_signed = abs(lam) * _sign(_dot(xi_c, g, batched) * (_dot(xi, g, batched) + _dot(g, g, batched)))
    else:  # one sign per player, from the player's own blocks of xi_c, xi and H_c xi_c
        blocks = [_split(v, sizes) for v in (xi_c, xi, g)]
        lam_signed = torch.stack([
            abs(lam) * _sign(_dot(c, h, batched) * (_dot(x, h, batched) + _dot(h, h, batched)))
            for c, x, h in zip(*blocks, strict=True)])
    if info is not None:
        info.lam = lam_signed.detach()
        info.extras.update(xi=xi, xi_c=xi_c, **({"h_xi_c": g} if g is not None else {}))
    adj = _rescaled(xi, xi_c, normalise, batched)
    if hamiltonian:
        adj = _add(adj, _rescaled(g, xi_c, normalise, batched))
    if sign == "per_player":
        out = [c + lam_i.view(-1, *([1] * (a.dim() - 1))) * a if batched else c + lam_i * a
               for lam_i, cs, as_ in zip(lam_signed, _split(xi_c, sizes), _split(adj, sizes), strict=True)
               for c, a in zip(cs, as_, strict=True)]
    else:
        out = _add(xi_c, _scale(lam_signed, adj, batched))
    return _split(out, sizes)


def direction(
    method: str,
    losses: Sequence[Tensor],
    params,
    lam: float = 1.0,
    collective_loss: Tensor | None = None,
    *,
    batched: bool = False,
    sga_align: bool = True,
    svo_angle: float = math.pi / 4,
    svo_weight: float = 0.2,
    sl_self_interest: float | None = None,
    separable: bool = False,
    aga_sign: str = "global",
    aga_hamiltonian: bool = True,
    aga_normalise: str = "none",
    individual_via=None,
    info: DirectionInfo | None = None,
):
    """Update direction (for descent) of a gradient-based multi-player learner.

    Parameters
    ----------
    method:
        A name of the method registry (:mod:`mixedmotive.methods`); its ``direction``:
        ``individual``  xi, each player's gradient of its own loss;
        ``collective``  xi_c, gradient of the collective loss;
        ``consensus``   xi + lam * H^T xi (consensus / Hamiltonian correction);
        ``symplectic``  xi + lam * A^T xi, A the antisymmetric part of the game
                        Hessian; with ``sga_align`` lam's sign follows Balduzzi
                        et al. (2018): sign(<xi, H^T xi><A^T xi, H^T xi>/d + 0.1);
        ``altruistic``  xi_c + lam' (xi + H_c xi_c), lam' = |lam| * sign(<xi_c, g>
                        (<xi, g> + ||g||^2)) with g = H_c xi_c; lam' = 0 when
                        that sign is 0 (it then equals the collective direction);
                        Ablations (docs/decisions.md A12): ``aga_sign`` ``per_player``
                        takes that sign from each player's own blocks of xi_c,
                        xi and g, ``off`` fixes lam' = +|lam|; ``aga_hamiltonian``
                        False drops g from the mix (it is still computed when a
                        sign needs it); ``aga_normalise`` ``global`` rescales xi
                        and g each to ||xi_c|| before lam' mixes them,
                        ``per_tensor`` does so parameter tensor by tensor.
        A method with a ``shaping`` first shapes the losses: Social Value Orientation
        (``svo_angle``, ``svo_weight``) or self-interest-level reward exchange
        (``sl_self_interest``), then follows its direction.
    losses:
        One loss tensor per player (graph attached). See module docstring.
    params:
        One tensor or list of tensors per player.
    lam:
        Magnitude of the adjustment of the consensus, symplectic and altruistic directions.
    collective_loss:
        Defaults to the (elementwise) sum of the players' losses.
    batched:
        First dimension of every parameter indexes independent games.
    separable:
        Promise that each player's loss depends on no other player's parameters (e.g.
        per-agent RL surrogates without cross-agent terms); the individual gradients then
        take one backward pass instead of one per player.  Wrong results otherwise.
    aga_sign, aga_hamiltonian, aga_normalise:
        AgA's ablation options (see ``altruistic`` above); the defaults are the paper's reading.
    individual_via:
        For the consensus and symplectic directions: tensors shaped like ``params`` (aliases of them, e.g.
        ``p.view_as(p)``) through which each player's loss reaches its *own* parameters, while its dependence on the
        other players' parameters goes through ``params`` directly.  The individual gradients xi are
        then the gradients of the summed losses w.r.t. these aliases: one backward pass instead of one
        per player, with the same values (and the same graph for the Hessian terms, which are still
        taken w.r.t. ``params``).  Wrong results if a loss reaches another player's aliases.
    info:
        Optional :class:`DirectionInfo`, filled with the signed lambda used and the raw
        pieces (``extras``).

    Returns
    -------
    Directions shaped like ``params``.
    """
    m = registry.get(method)
    players = _players(params)
    if len(losses) != len(players):
        raise ValueError(f"got {len(losses)} losses for {len(players)} players")
    sizes = [len(p) for p in players]
    flat = [t for p in players for t in p]

    if m.shaping == "social_value_orientation":
        losses = svo_losses(losses, angle=svo_angle, weight=svo_weight)
    elif m.shaping == "self_interest_level":
        if sl_self_interest is None:
            raise ValueError(f"method {method!r} needs sl_self_interest (the share s of own reward kept)")
        losses = sl_losses(losses, s=sl_self_interest)
    if m.shaping is not None:
        separable = False  # shaping mixes every player's loss into every other's

    if m.direction == "individual":
        xi = _individual(losses, players, create_graph=False, separable=separable)
        if info is not None:
            info.extras["xi"] = [x.detach() for x in sum(xi, [])]
        return _restore(params, xi)

    if collective_loss is None and m.collective:
        collective_loss = sum(losses)
    if m.direction == "collective":
        xi_c = _grad(collective_loss.sum(), flat)
        if info is not None:
            info.extras["xi_c"] = [x.detach() for x in xi_c]
        return _restore(params, _split(xi_c, sizes))
    if m.direction == "altruistic":
        return _restore(params, _aga(losses, players, flat, sizes, lam, collective_loss, batched, separable,
                                     aga_sign, aga_hamiltonian, aga_normalise, info))

    # consensus / symplectic: corrections built from the individual game's Hessian H
    if individual_via is not None:
        via = [t for p in _players(individual_via) for t in p]
        xi_graph = _grad(sum(loss.sum() for loss in losses), via, create_graph=True)
    else:
        xi_graph = sum(_individual(losses, players, create_graph=True, separable=separable), [])
    ht_xi = _hvp_of_half_norm(xi_graph, flat)  # H^T xi = grad of Hamiltonian
    xi = [x.detach() for x in xi_graph]
    if m.direction == "consensus":
        if info is not None:
            info.lam = torch.as_tensor(lam, dtype=xi[0].dtype)
        return _restore(params, _split(_add(xi, _scale(lam, ht_xi, batched)), sizes))

    h_xi = _jvp_of_field(xi_graph, flat, xi)  # H xi
    at_xi = [0.5 * (a - b) for a, b in zip(ht_xi, h_xi, strict=True)]  # A^T xi = (H^T - H) xi / 2
    lam_signed: Tensor | float = lam
    if sga_align:
        d = sum(x[0].numel() if batched else x.numel() for x in xi)
        align = _dot(xi, ht_xi, batched) * _dot(at_xi, ht_xi, batched) / d + SGA_ALIGN_EPS
        lam_signed = abs(lam) * _sign(align)
    if info is not None:
        info.lam = torch.as_tensor(lam_signed, dtype=xi[0].dtype).detach()
    return _restore(params, _split(_add(xi, _scale(lam_signed, at_xi, batched)), sizes))
