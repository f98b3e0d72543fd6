"""Multi-agent PPO whose actor update direction comes from :func:`mixedmotive.gradients.direction`.

Shared by the sequential social dilemmas (Harvest, Cleanup) and Selfish-MMM2.

* **Actors**: one policy per agent, with separate parameters, evaluated for all agents at
  once (:class:`AgentActors`: a grouped convolution and batched matrix products over
  stacked per-agent weights).  Each agent's parameters stay separate leaf tensors, so
  the gradient engine sees one player per agent.
* **Critic**: one centralised critic on the global state (MAPPO) with N + 1 outputs:
  every agent's individual value and the collective value (of the sum of the agents'
  rewards).  Targets are GAE(lambda) returns, z-normalised by running statistics.
* **Actor losses** (docs/decisions.md, A1-A3): agent i's loss is its PPO clipped
  surrogate with individual advantages, minus the entropy bonus.  With ``cross_terms``
  the surrogate of every sample is multiplied by a DiCE "magic box"
  ``exp(s - stop_grad(s))`` of the other agents' log-probabilities ``s``: its value is 1
  and it leaves every first-order gradient of the agent's own loss unchanged, but the
  Hessian gains the cross-agent policy-gradient blocks
  ``d2 l_i / d th_i d th_j = -E[d surr_i/d th_i  (grad log pi_j)^T]``.  The collective
  loss is the mean over agents of the same boxed surrogates with the collective
  advantage, whose gradient (at ratio 1) is ``-E[A_c grad log pi_i]``: the policy
  gradient of the collective return.  Without ``cross_terms`` the Hessians are
  block-diagonal over agents.
* **Methods** (:mod:`mixedmotive.methods`, those with ``marl``): a method's direction takes
  those losses in the engine; a method with a ``shaping`` (SVO, SL) shapes the per-step
  rewards (``gradients.shaping``) before the individual advantages and then follows its
  direction on the unshaped method's losses.  The direction is handed to Adam
  (after clipping its global norm); the critic takes plain Adam steps on its MSE loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .. import methods as registry
from ..gradients import direction
from ..gradients.engine import DirectionInfo
from ..gradients.shaping import sl_rewards, svo_rewards
from ..methods import parse_variant  # noqa: F401  (the variants' parser, re-exported for the learner's users)
from .ppo import from_section


@dataclass
class MAPPOConfig:
    lr: float = 5e-4
    critic_lr: float = 1e-3
    epochs: int = 4
    clip: float = 0.2
    gamma: float = 0.99
    gae_lambda: float = 0.95
    entropy_coef: float = 0.01
    max_grad_norm: float = 10.0
    cross_terms: bool = True
    cga_lam: float = 1.0
    svo_angle_deg: float = 45.0
    svo_weight: float = 0.2
    sl_self_interest: float = 0.5
    # AgA's readings and ablations (docs/decisions.md A12); the defaults are the paper's reading
    aga_sign: str = "global"        # global | per_player (one sign per agent) | off (lambda' = +|lambda|)
    aga_hamiltonian: bool = True    # False: H_c xi_c left out of the mix
    aga_normalise: str = "none"     # none | global | per_tensor: xi and H_c xi_c rescaled to ||xi_c|| first
    collective: str = "mean"        # mean | sum over agents of the collective surrogates
    optimiser: str = "adam"         # adam (lr) | sgd (sgd_lr; divided by 1 + |lam| for AgA) for the actors
    sgd_lr: float = 0.05


def mappo_config(section: dict) -> MAPPOConfig:
    """The MAPPOConfig of a config section (keys named like its fields; others are ignored)."""
    return from_section(MAPPOConfig, section)


# ---------------------------------------------------------------------------- networks
def _uniform(shape, bound):
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class AgentActors(nn.Module):
    """N separate policies ``obs (M, N, *obs_shape) -> logits (M, N, A)``.

    ``obs_shape`` (C, H, W) with ``channels`` > 0 gives conv(3x3, ``channels``) -> ReLU -> MLP;
    otherwise the flattened observation goes straight into the MLP.
    """

    def __init__(self, n_agents: int, obs_shape: tuple, n_actions: int, hidden=(64, 64), channels: int = 6,
                 kernel: int = 3):
        super().__init__()
        self.n_agents, self.obs_shape = n_agents, tuple(obs_shape)
        self.conv = len(obs_shape) == 3 and channels > 0
        if self.conv:
            c, h, w = obs_shape
            feat = channels * (h - kernel + 1) * (w - kernel + 1)
        else:
            feat = math.prod(obs_shape)
        sizes = [feat, *hidden, n_actions]
        self.agents = nn.ModuleList()
        for _ in range(n_agents):
            p = nn.ParameterDict()
            if self.conv:
                bound = 1 / math.sqrt(c * kernel * kernel)
                p["conv_w"], p["conv_b"] = _uniform((channels, c, kernel, kernel), bound), _uniform((channels,), bound)
            for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
                last = k == len(sizes) - 2
                bound = 1 / math.sqrt(i)
                p[f"w{k}"] = _uniform((i, o), bound * (0.01 if last else 1.0))  # small last layer: near-uniform start
                p[f"b{k}"] = nn.Parameter(torch.zeros(o))
            self.agents.append(p)
        self.n_layers = len(sizes) - 1

    def agent_params(self) -> list[list[torch.Tensor]]:
        return [list(p.values()) for p in self.agents]

    def layer_names(self) -> list[str]:
        """The layer of every tensor of one agent's :meth:`agent_params`: ``conv``, ``l0``, ``l1``, ..."""
        return ["conv" if k.startswith("conv") else f"l{k[1:]}" for k in self.agents[0].keys()]

    def stacked(self, params: list[list[torch.Tensor]] | None = None) -> dict[str, torch.Tensor]:
        """Every parameter name -> the N agents' tensors stacked on a leading axis; ``params``: tensors
        to stack in place of the parameters, shaped like :meth:`agent_params` (e.g. aliases of them)."""
        params = self.agent_params() if params is None else params
        return {name: torch.stack([p[k] for p in params]) for k, name in enumerate(self.agents[0])}

    def forward(self, obs: torch.Tensor, avail: torch.Tensor | None = None,
                weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """``weights``: :meth:`stacked` computed earlier for the current parameters (the rollout reuses
        it between updates); by default stacked here, inside the autograd graph."""
        m, n = obs.shape[:2]
        w_ = self.stacked() if weights is None else weights
        if self.conv:
            c, h, w = self.obs_shape
            wc = w_["conv_w"]
            x = F.conv2d(obs.reshape(m, n * c, h, w), wc.reshape(-1, *wc.shape[2:]),
                         w_["conv_b"].reshape(-1), groups=n)
            x = F.relu(x).reshape(m, n, -1)
        else:
            x = obs.reshape(m, n, -1)
        for k in range(self.n_layers):
            x = torch.baddbmm(w_[f"b{k}"].unsqueeze(1), x.transpose(0, 1), w_[f"w{k}"])
            x = x.transpose(0, 1)
            if k < self.n_layers - 1:
                x = F.relu(x)
        if avail is not None:
            x = x.masked_fill(~avail, -1e9)
        return x


class CentralCritic(nn.Module):
    """Global state (M, *state_shape) -> (M, n_out) values; conv(3x3) + MLP for map states, MLP otherwise."""

    def __init__(self, state_shape: tuple, n_out: int, hidden=(64, 64), channels: int = 8):
        super().__init__()
        layers: list[nn.Module] = []
        if len(state_shape) == 3:
            c, h, w = state_shape
            layers += [nn.Conv2d(c, channels, 3, stride=2), nn.ReLU(), nn.Flatten()]
            feat = channels * ((h - 3) // 2 + 1) * ((w - 3) // 2 + 1)
        else:
            feat = state_shape[0]
        for o in hidden:
            layers += [nn.Linear(feat, o), nn.ReLU()]
            feat = o
        layers.append(nn.Linear(feat, n_out))
        self.net = nn.Sequential(*layers)

    @staticmethod
    def layout(state):
        """Map states (M, C, H, W) in channels-last memory: PyTorch's CPU convolution is faster on it for
        these shapes on some CPUs (benchmarks/README.md). A copy, so :meth:`MAPPO.update` makes it once."""
        return state.contiguous(memory_format=torch.channels_last) if state.dim() == 4 else state

    def forward(self, state):
        return self.net(self.layout(state))  # no copy when the states are laid out already


class RunningNorm(nn.Module):
    """Running mean / variance per output column (MAPPO's value normalisation)."""

    def __init__(self, n: int, beta: float = 0.999):
        super().__init__()
        self.beta = beta
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("sq", torch.zeros(n))
        self.register_buffer("debias", torch.zeros(()))

    def update(self, x: torch.Tensor) -> None:
        x = x.reshape(-1, x.shape[-1])
        b = self.beta
        self.mean.mul_(b).add_(x.mean(0), alpha=1 - b)
        self.sq.mul_(b).add_((x * x).mean(0), alpha=1 - b)
        self.debias.mul_(b).add_(1 - b)

    def _stats(self):
        d = self.debias.clamp(min=1e-5)
        mean, sq = self.mean / d, self.sq / d
        return mean, (sq - mean * mean).clamp(min=1e-2).sqrt()

    def normalise(self, x):
        mean, std = self._stats()
        return (x - mean) / std

    def denormalise(self, x):
        mean, std = self._stats()
        return x * std + mean


def gae(rewards: torch.Tensor, values: torch.Tensor, dones: torch.Tensor, gamma: float, lam: float):
    """GAE(lambda) advantages of (T, B, K) rewards, (T + 1, B, K) values, (T, B) bool ``done after step t``."""
    adv = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        live = (~dones[t]).to(rewards.dtype).unsqueeze(-1)
        delta = rewards[t] + gamma * values[t + 1] * live - values[t]
        last = delta + gamma * lam * live * last
        adv[t] = last
    return adv


def shape_rewards(method: str, rewards: torch.Tensor, cfg: MAPPOConfig) -> torch.Tensor:
    """(..., N) rewards the individual critic learns: SVO / SL transformed, else unchanged."""
    per_agent = list(rewards.unbind(-1))
    shaping = registry.get(method).shaping
    if shaping == "social_value_orientation":
        return torch.stack(svo_rewards(per_agent, angle=math.radians(cfg.svo_angle_deg), weight=cfg.svo_weight), -1)
    if shaping == "self_interest_level":
        return torch.stack(sl_rewards(per_agent, cfg.sl_self_interest), -1)
    return rewards


# ---------------------------------------------------------------------------- losses
def actor_losses(logits, actions, old_logp, adv_ind, adv_col, clip: float, entropy_coef: float,
                 cross_terms: bool, collective: str = "mean", box_logits=None) -> dict:
    """Actor losses of one batch: ``own`` and ``boxed`` (lists of N per-agent scalars) and ``collective``.

    ``logits`` (M, N, A), ``actions`` / ``old_logp`` / ``adv_ind`` (M, N), ``adv_col`` (M,).
    ``own``: each agent's clipped surrogate minus its entropy bonus (depends on its own
    parameters only); ``boxed``: the same times the magic box of the others' log-probs (same
    values and same own-parameter gradients, plus the cross-agent Hessian blocks; equal to
    ``own`` without ``cross_terms``); ``collective``: the boxed surrogates with the
    collective advantage, averaged over agents (summed without ``cross_terms``), so that its
    gradient is the collective policy gradient; ``collective='sum'`` multiplies those surrogates
    by N (the sum over agents of the boxed surrogates).  The entropy bonuses are summed either way.
    ``box_logits``: the same logits computed by a second path (see :meth:`MAPPO.direction`), from which
    the magic box takes the others' log-probs; by default ``logits``.
    """
    if collective not in ("mean", "sum"):
        raise ValueError(f"collective must be 'mean' or 'sum', got {collective!r}")
    dist = torch.distributions.Categorical(logits=logits)
    logp = dist.log_prob(actions)
    ratio = torch.exp(logp - old_logp)
    clipped = ratio.clamp(1 - clip, 1 + clip)
    n = logp.shape[1]
    entropy = dist.entropy().mean(0)  # (N,)

    def surrogate(adv):
        return torch.minimum(ratio * adv, clipped * adv)

    own = -surrogate(adv_ind).mean(0) - entropy_coef * entropy
    scale = n if collective == "sum" else 1
    if not cross_terms:
        col = -scale * surrogate(adv_col.unsqueeze(1)).mean(0).sum() - entropy_coef * entropy.sum()
        return {"own": list(own.unbind(0)), "boxed": list(own.unbind(0)), "collective": col}
    logp_box = logp if box_logits is None else torch.distributions.Categorical(logits=box_logits).log_prob(actions)
    others = logp_box.sum(1, keepdim=True) - logp_box
    box = torch.exp(others - others.detach())
    boxed = -(surrogate(adv_ind) * box).mean(0) - entropy_coef * entropy
    col = -(surrogate(adv_col.unsqueeze(1)) * box).mean(0).sum() * scale / n - entropy_coef * entropy.sum()
    return {"own": list(own.unbind(0)), "boxed": list(boxed.unbind(0)), "collective": col}


class MAPPO:
    """Multi-agent PPO learner; ``update(batch)`` takes one rollout (see :meth:`update`)."""

    def __init__(self, variant: str, n_agents: int, obs_shape, state_shape, n_actions: int, cfg: MAPPOConfig,
                 actor_hidden=(64, 64), actor_channels: int = 0, critic_hidden=(64, 64), critic_channels: int = 8,
                 device="cpu"):
        self.variant = variant
        self.method, lam = parse_variant(variant)
        spec = registry.get(self.method)
        self.lam = lam if lam is not None else (getattr(cfg, spec.lam_key) if spec.lam_key else 1.0)
        # the engine's method on the learner's losses (rewards are shaped before the advantages), whether it needs
        # the collective loss, and whether it differentiates the individual gradients (the consensus correction)
        self.engine_method, self.needs_collective = registry.unshaped(self.method), spec.collective
        self.consensus = spec.direction == "consensus"
        self.cfg, self.n_agents = cfg, n_agents
        self.actors = AgentActors(n_agents, obs_shape, n_actions, actor_hidden, actor_channels).to(device)
        self.critic = CentralCritic(state_shape, n_agents + 1, critic_hidden, critic_channels).to(device)
        self.value_norm = RunningNorm(n_agents + 1).to(device)
        if cfg.optimiser == "adam":
            self.actor_opt = torch.optim.Adam(self.actors.parameters(), lr=cfg.lr, eps=1e-5)
        elif cfg.optimiser == "sgd":  # AgA's direction xi_c + lam'(xi + H_c xi_c) is ~(1 + |lam|) x Simul-Ind's
            lr = cfg.sgd_lr / (1 + abs(self.lam)) if spec.direction == "altruistic" else cfg.sgd_lr
            self.actor_opt = torch.optim.SGD(self.actors.parameters(), lr=lr)
        else:
            raise ValueError(f"optimiser must be 'adam' or 'sgd', got {cfg.optimiser!r}")
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_lr, eps=1e-5)

    # ------------------------------------------------------------------ acting
    @torch.no_grad()
    def act(self, obs, avail=None, generator=None):
        """(M, N, ...) observations -> (actions (M, N), log-probs (M, N))."""
        logits = self.actors(obs, avail, self._rollout_weights())
        probs = torch.softmax(logits, -1)
        a = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator).view(probs.shape[:-1])
        return a, torch.log(probs.gather(-1, a.unsqueeze(-1)).squeeze(-1).clamp(min=1e-30))

    def _rollout_weights(self) -> dict[str, torch.Tensor]:
        """The actors' stacked parameters, stacked again only after a parameter changed (an optimiser
        step or a load bumps the tensors' version counters): once per update instead of once per step."""
        versions = tuple(p._version for p in self.actors.parameters())
        if getattr(self, "_stacked_at", None) != versions:
            self._stacked, self._stacked_at = self.actors.stacked(), versions
        return self._stacked

    @torch.no_grad()
    def values(self, state):
        """(M, N + 1) values in reward units (individual, then collective)."""
        return self.value_norm.denormalise(self.critic(state))

    # ------------------------------------------------------------------ learning
    def direction(self, losses: dict, info: DirectionInfo | None = None, via=None):
        """The engine's direction for this learner's method from :func:`actor_losses` output.

        Only CGA's correction differentiates the individual gradients, so only CGA needs
        the boxed losses; every other method takes the own losses, whose gradients come
        from one backward pass.  ``via``: aliases of the actors' parameters through which
        each boxed loss reaches its own agent's parameters (:meth:`update` builds them), so
        that CGA's individual gradients also take one backward pass (the engine's
        ``individual_via``) instead of one per agent.
        """
        cross = self.consensus and self.cfg.cross_terms
        cfg = self.cfg
        return direction(self.engine_method, losses["boxed"] if cross else losses["own"], self.actors.agent_params(),
                         self.lam, losses["collective"] if self.needs_collective else None,
                         separable=not cross, aga_sign=cfg.aga_sign, aga_hamiltonian=cfg.aga_hamiltonian,
                         aga_normalise=cfg.aga_normalise, individual_via=via if cross else None, info=info)

    def gradient_norms(self, extras: dict) -> dict:
        """Per-layer norms (over all agents) of the engine's pieces, and the share of coordinates
        where |H_c xi_c| > |xi|: ``norm_xi_<layer>``, ``norm_xi_c_<layer>``, ``norm_h_xi_c_<layer>``,
        ``h_gt_xi_<layer>`` (NaN where the method does not compute that piece)."""
        names = self.actors.layer_names() * self.n_agents
        layers = list(dict.fromkeys(names))
        out = {}
        for piece in ("xi", "xi_c", "h_xi_c"):
            vecs = extras.get(piece)
            for layer in layers:
                out[f"norm_{piece}_{layer}"] = math.nan if vecs is None else math.sqrt(
                    sum(float((v * v).sum()) for v, n in zip(vecs, names, strict=True) if n == layer))
        for layer in layers:
            if "xi" in extras and "h_xi_c" in extras:
                pairs = [(x, h) for x, h, n in zip(extras["xi"], extras["h_xi_c"], names, strict=True) if n == layer]
                out[f"h_gt_xi_{layer}"] = (sum(float((h.abs() > x.abs()).sum()) for x, h in pairs)
                                           / sum(x.numel() for x, _ in pairs))
            else:
                out[f"h_gt_xi_{layer}"] = math.nan
        return out

    def update(self, batch: dict) -> dict:
        """One PPO update on a rollout.

        ``batch`` holds (T, B, ...) tensors: ``obs`` (T, B, N, ...), ``state`` (T + 1, B, ...),
        ``actions`` / ``logp`` (T, B, N), ``rewards`` (T, B, N) (already shaped for SVO/SL),
        ``team`` (T, B) collective reward, ``dones`` (T, B) and optionally ``avail`` (T, B, N, A).
        """
        cfg = self.cfg
        T, B, N = batch["actions"].shape
        states = self.critic.layout(batch["state"].flatten(0, 1))  # one layout copy for every pass below
        with torch.no_grad():
            v = self.values(states).view(T + 1, B, N + 1)
            r = torch.cat([batch["rewards"], batch["team"].unsqueeze(-1)], -1)
            adv = gae(r, v, batch["dones"], cfg.gamma, cfg.gae_lambda)
            targets = adv + v[:-1]
            self.value_norm.update(targets)
            target_n = self.value_norm.normalise(targets).flatten(0, 1)
            adv = adv.flatten(0, 1)
            adv = (adv - adv.mean(0)) / (adv.std(0) + 1e-8)
        obs = batch["obs"].flatten(0, 1)
        state = states[:T * B]  # the states the actions were taken in (time-major rows)
        actions, old_logp = batch["actions"].flatten(0, 1), batch["logp"].flatten(0, 1)
        avail = batch["avail"].flatten(0, 1) if "avail" in batch else None
        params = [p for ps in self.actors.agent_params() for p in ps]
        lam_signs, norms = [], []
        two_paths = self.consensus and cfg.cross_terms  # see direction()
        for _ in range(cfg.epochs):
            via = box_logits = None
            if two_paths:
                via = [[p.view_as(p) for p in ps] for ps in self.actors.agent_params()]
                logits = self.actors(obs, avail, self.actors.stacked(via))  # each agent's own path
                box_logits = self.actors(obs, avail)  # the path to the other agents' parameters
            else:
                logits = self.actors(obs, avail)
            losses = actor_losses(logits, actions, old_logp, adv[:, :N], adv[:, N], cfg.clip,
                                  cfg.entropy_coef, cfg.cross_terms, cfg.collective, box_logits)
            info = DirectionInfo()
            d = self.direction(losses, info, via)
            if info.lam is not None:
                lam_signs.extend(torch.sign(info.lam).reshape(-1).tolist())
            norms.append(self.gradient_norms(info.extras))
            for p, g in zip(params, (g for gs in d for g in gs), strict=True):
                p.grad = g.detach()
            nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            self.actor_opt.step()
            self.actor_opt.zero_grad(set_to_none=True)
            value_loss = F.mse_loss(self.critic(state), target_n)
            self.critic_opt.zero_grad(set_to_none=True)
            value_loss.backward()
            nn.utils.clip_grad_norm_(self.critic.parameters(), cfg.max_grad_norm)
            self.critic_opt.step()
        with torch.no_grad():
            ent = torch.distributions.Categorical(logits=logits).entropy().mean()
        out = {"value_loss": float(value_loss.detach()), "entropy": float(ent),
               "policy_loss": float(sum(losses["own"]).detach()) / N}
        if lam_signs:  # shares over epochs (and agents, for one sign per agent)
            out["lam_positive"] = sum(s > 0 for s in lam_signs) / len(lam_signs)
            out["lam_zero"] = sum(s == 0 for s in lam_signs) / len(lam_signs)
        out.update({k: sum(n[k] for n in norms) / len(norms) for k in norms[0]})  # means over the epochs
        return out

    def state_dict(self) -> dict:
        return {"actors": self.actors.state_dict(), "critic": self.critic.state_dict(),
                "value_norm": self.value_norm.state_dict(), "actor_opt": self.actor_opt.state_dict(),
                "critic_opt": self.critic_opt.state_dict()}

    def load_state_dict(self, s: dict) -> None:
        self.actors.load_state_dict(s["actors"])
        self.critic.load_state_dict(s["critic"])
        self.value_norm.load_state_dict(s["value_norm"])
        self.actor_opt.load_state_dict(s["actor_opt"])
        self.critic_opt.load_state_dict(s["critic_opt"])
