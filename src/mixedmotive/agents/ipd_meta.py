"""Meta-learning baselines for IPD-Analytic: M-MAML and MFOS (Reciprocators paper; docs/papers.md).

Both baselines come from M-FOS (Lu et al. 2022) and play memory-1 IPD policies
(5 logits of P(cooperate)) whose values are exact (:func:`mixedmotive.envs.ipd.analytic_payoffs`).

Units
-----
``analytic_payoffs`` returns the *average* reward per step, v = (1 - gamma) V, where V is the
discounted value.  M-FOS's naive learners (NL) step on the gradient of the discounted loss
-V with lr 1, i.e. ``theta <- theta + lr * grad V = theta + lr / (1 - gamma) * grad v``.
Every learning rate of an inner (naive) update in this module is in those M-FOS units
(:func:`mixedmotive.agents.ipd_analytic.own_value_grad` returns grad V), so "NL with lr 1" means exactly M-FOS's NL.
Rewards that are logged, optimised by the meta-learners or fed to PPO are average rewards
per step v (mutual cooperation -1, mutual defection -2), as in M-FOS.

M-MAML (:func:`meta_train_mmaml`, :class:`MMAMLAgent`)
------------------------------------------------------
Meta-learns an initial policy theta0 (5 logits) and an inner step size alpha
(M-FOS ``generate_mamaml``): per outer episode a batch of NL opponents is drawn with
theta ~ N(0, init_std^2); both players then take ``inner_steps`` simultaneous exact
gradient steps, the meta-learner with lr alpha, the NL with ``opp_lr``; the unroll is
fully differentiable (second order, also through the opponent's learning), and the
outer objective is the meta-learner's mean average reward over the unroll steps and
batch, maximised with Adam (``outer_lr``).  theta0 ~ N(0, 1) and alpha ~ U[0, 1) at start,
as in M-FOS.  M-FOS pre-generated 10 parameter sets (ids 0..9): train id k with ``seed=k``
(:func:`meta_train_mmaml_ids`).

Note (M-FOS code, for the record): M-FOS's round robin loads only theta0 and updates the
M-MAML player with the NL lr 1, not the learned alpha.  :class:`MMAMLAgent` uses the
learned alpha by default; pass ``inner_lr=1.0`` to get M-FOS's evaluation behaviour.

MFOS (:func:`meta_train_mfos`, :class:`MFOSAgent`)
--------------------------------------------------
A PPO meta-agent (M-FOS ``main_mfos_ppo.py`` with ``MetaGames``): each meta-step its action
is a 5-dim Gaussian sample, used as its theta for that inner step; its state is
sigmoid([theta_own, theta_opp]) of the pair played at the previous inner step (10 dims);
actor and critic are Linear(10, 256) -> Tanh -> Linear, the actor giving the mean and a
softplus *variance* (std = sqrt(softplus)).  A meta-episode (``inner_steps`` = 100 steps)
runs against a batch of NL learners (lr 1, theta ~ N(0, 1)).  Exactly as M-FOS's
``MetaGames.reset``, the episode starts from a random own theta ~ N(0, 1): the first state is
sigmoid([theta_rand, theta_opp_0]) and the NL has already taken one step against
theta_rand; that step's reward is not used.  Then for t = 0..T-1: a_t ~ pi(s_t), reward
r_t = v_own(a_t, theta_opp_t), the NL steps against a_t, s_{t+1} = sigmoid([a_t, theta_opp_t]).
PPO is :class:`mixedmotive.agents.ppo.PPO` (MC returns with gamma 0.99, one z-normalisation
over the (T, B) block with eps 1e-5, 4 full-batch Adam epochs, clip 0.2, entropy 0.01,
value coefficient 0.5).

Optional self-play stage (M-FOS ``main_mfos_self.py``), ``cfg["self_play"] = True``: two
MFOS agents with Adam lr ``selfplay_lr`` (0.0002); p_NL starts at 1 and falls by
``selfplay_anneal`` (0.0015) per meta-episode, before the draw; with probability 1 - p_NL
the two play each other (both from random theta, simultaneous, each observing
sigmoid([own, other])) and both are updated; otherwise each plays its own NL meta-episode.
The returned ``state_dict`` is agent 0's.

:class:`MFOSAgent` acts with the policy *mean* by default (deterministic evaluation; the
5-dim action is a vector of logits, and the mean is the policy's point estimate of the best
theta); ``sample=True`` samples as during training, from the generator given to ``init``.

Importing this module registers ``"M-MAML"`` (alias ``"mmaml"``) and ``"MFOS"`` with
:func:`mixedmotive.agents.ipd_analytic.make_agent` (kwargs: theta0, inner_lr / state_dict, sample).

Determinism: both trainers draw every random number from a ``torch.Generator`` seeded with
``seed`` (network initialisation inside ``torch.random.fork_rng`` with ``torch.manual_seed``),
so a seed gives bit-identical results on CPU; they return plain tensors / dicts (torch.save
friendly) and write no files of their own.  Under the CLI (``mixedmotive train``) they save
checkpoints through :func:`mixedmotive.checkpoint.active` (parameters, Adam states, generator
states, annealing, curves) and resume from the last one when rerun, bit-identically on CPU.
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torch.distributions import Independent, Normal

from mixedmotive import checkpoint
from mixedmotive.agents.ipd_analytic import AnalyticAgent, nl_step, register_agent
from mixedmotive.agents.ppo import PPO, PPOConfig
from mixedmotive.envs.ipd import analytic_payoffs
from mixedmotive.threads import torch_threads

GAMMA_INNER = 0.96
N_THETA = 5

# Settings: every key is required and comes from config/config.yaml (section recip_ipd_analytic,
# keys mmaml and mfos; smoke/default/paper values there): no second set of defaults lives here.
MMAML_KEYS = ("outer_episodes", "inner_steps", "batch", "outer_lr", "opp_lr", "init_std", "gamma", "inner_lr",
              "num_threads")
MFOS_KEYS = ("meta_episodes", "inner_steps", "batch", "lr", "epochs", "clip", "ppo_gamma", "entropy_coef",
             "value_coef", "return_norm_eps", "hidden", "opp_lr", "init_std", "gamma", "self_play",
             "selfplay_lr", "selfplay_anneal", "num_threads")


def _check_keys(cfg: dict, keys: tuple[str, ...]) -> None:
    unknown, missing = set(cfg) - set(keys), set(keys) - set(cfg)
    if unknown or missing:
        raise KeyError(f"cfg keys: unknown {sorted(unknown)}, missing {sorted(missing)}; expected {list(keys)}")


# --------------------------------------------------------------------------- exact gradients
def _joint_grads(own: torch.Tensor, opp: torch.Tensor, gamma: float):
    """Differentiable simultaneous gradients for both players in one pass.

    Uses the game's symmetry, v_opp(own, opp) = v_own(opp, own) (checked in the tests):
    stacks both viewpoints into one batch of size 2B.  Returns (v_own, grad V_own wrt own,
    grad V_opp wrt opp), all with graphs (create_graph=True).
    """
    b = own.shape[0]
    x = torch.cat([own, opp], 0)
    y = torch.cat([opp, own], 0)
    v, _ = analytic_payoffs(x, y, gamma)
    (g,) = torch.autograd.grad(v.sum(), x, create_graph=True)
    g = g / (1.0 - gamma)
    return v[:b], g[:b], g[b:]


# --------------------------------------------------------------------------- M-MAML
def mmaml_objective(theta0: torch.Tensor, inner_lr: torch.Tensor, opp_init: torch.Tensor,
                    inner_steps: int, opp_lr: float = 1.0, gamma: float = GAMMA_INNER) -> torch.Tensor:
    """M-MAML meta-objective: the meta-learner's mean average reward over an unroll.

    ``theta0`` (5,), ``inner_lr`` (1,) or scalar, ``opp_init`` (B, 5) the NL opponents'
    initial logits.  Step t = 0..inner_steps-1 scores the current pair, then both players
    take their simultaneous exact gradient steps (meta-learner lr ``inner_lr``, NL lr
    ``opp_lr``, M-FOS units).  Differentiable wrt theta0 and inner_lr (second order).
    """
    batch = opp_init.shape[0]
    own = theta0.reshape(1, N_THETA).expand(batch, N_THETA)
    opp = opp_init.detach().requires_grad_(True)
    lr = inner_lr.reshape(()) if torch.is_tensor(inner_lr) else inner_lr
    total = 0.0
    for _ in range(inner_steps):
        v_own, g_own, g_opp = _joint_grads(own, opp, gamma)
        total = total + v_own.mean()
        own = own + lr * g_own
        opp = opp + opp_lr * g_opp
    return total / inner_steps


def meta_train_mmaml(cfg: dict, seed: int = 0) -> dict:
    """Meta-train M-MAML (theta0 and inner lr) against NL learners; deterministic per seed.

    cfg keys (see :data:`MMAML_KEYS`; values in config/config.yaml): outer_episodes, inner_steps,
    batch, outer_lr, opp_lr, init_std, gamma, inner_lr, num_threads; all required.  ``inner_lr: "learned"``
    meta-learns the inner lr alongside theta0, unconstrained (it may even turn negative), as in M-FOS; a
    number fixes it there and meta-learns theta0 only (a diagnostic, docs/decisions.md R12).
    Returns dict(theta0=(5,) tensor, inner_lr=0-dim tensor, curve=(outer_episodes,) tensor of
    the meta-objective (mean own reward per step over the unroll) of each outer episode,
    before that episode's Adam step, theta0_init, inner_lr_init, cfg, seed, wall_s).
    """
    _check_keys(cfg, MMAML_KEYS)
    with torch_threads(cfg["num_threads"]):
        return _meta_train_mmaml(cfg, int(seed))


def _meta_train_mmaml(cfg: dict, seed: int) -> dict:
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(int(seed))
    theta0 = torch.randn(N_THETA, generator=gen).requires_grad_(True)
    alpha = torch.rand(1, generator=gen)  # drawn either way: theta0 and the opponents do not depend on the option
    learned = cfg["inner_lr"] == "learned"
    if learned:
        alpha.requires_grad_(True)
    else:  # diagnostic option (docs/decisions.md R12): the inner lr fixed, only theta0 meta-learned
        alpha = torch.full((1,), float(cfg["inner_lr"]))
    theta0_init, alpha_init = theta0.detach().clone(), alpha.detach().clone()
    opt = torch.optim.Adam([theta0, alpha] if learned else [theta0], lr=cfg["outer_lr"])
    curve, start, n = [], 0, int(cfg["outer_episodes"])
    ckpt = checkpoint.active()
    saved = ckpt.load()
    if saved is not None:  # resume: parameters, Adam, generators, curve
        with torch.no_grad():
            theta0.copy_(saved["theta0"])
            alpha.copy_(saved["alpha"])
        opt.load_state_dict(saved["opt"])
        checkpoint.set_rng_state(saved["rng"], gen)
        curve, start, t0 = list(saved["curve"]), saved["episode"], t0 - saved["wall_s"]

    def state():
        return dict(theta0=theta0.detach().clone(), alpha=alpha.detach().clone(), opt=opt.state_dict(),
                    rng=checkpoint.rng_state(gen), curve=list(curve), episode=len(curve),
                    wall_s=time.perf_counter() - t0)

    for episode in range(start, n):
        opp_init = cfg["init_std"] * torch.randn(int(cfg["batch"]), N_THETA, generator=gen)
        obj = mmaml_objective(theta0, alpha, opp_init, int(cfg["inner_steps"]), cfg["opp_lr"], cfg["gamma"])
        opt.zero_grad(set_to_none=True)
        (-obj).backward()
        opt.step()
        curve.append(float(obj.detach()))
        ckpt.maybe_save(episode + 1, state, total=n)
    return dict(
        theta0=theta0.detach().clone(), inner_lr=alpha.detach().reshape(()).clone(),
        curve=torch.tensor(curve), theta0_init=theta0_init, inner_lr_init=alpha_init.reshape(()),
        cfg=dict(cfg), seed=int(seed), wall_s=time.perf_counter() - t0,
    )


def meta_train_mmaml_ids(cfg: dict, ids=range(10)) -> list[dict]:
    """M-FOS's pre-generated parameter sets: one :func:`meta_train_mmaml` per id (seed = id)."""
    return [meta_train_mmaml(cfg, seed=i) for i in ids]


class MMAMLAgent(AnalyticAgent):
    """Analytic agent starting at the meta-learned theta0, then naive steps with ``inner_lr``.

    ``inner_lr`` is in M-FOS units (grad of the discounted value; NL uses 1).  ``init``
    returns theta0 broadcast to the batch (deterministic, the generator is unused).
    """

    name = "M-MAML"

    def __init__(self, theta0, inner_lr, gamma: float = GAMMA_INNER):
        self.theta0 = torch.as_tensor(theta0, dtype=torch.float32).detach().reshape(N_THETA).clone()
        self.inner_lr = float(torch.as_tensor(inner_lr).reshape(()))
        self.gamma = gamma

    @classmethod
    def from_result(cls, result: dict, **kw) -> MMAMLAgent:
        return cls(result["theta0"], result["inner_lr"], **kw)

    def init(self, batch: int, generator: torch.Generator | None = None,
             dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return self.theta0.to(dtype).reshape(1, N_THETA).expand(batch, N_THETA).clone()

    def step(self, theta_own: torch.Tensor, theta_opp: torch.Tensor, gamma: float | None = None) -> torch.Tensor:
        return nl_step(theta_own, theta_opp, self.inner_lr, self.gamma if gamma is None else gamma)

    def __repr__(self) -> str:
        return f"MMAMLAgent(theta0={self.theta0.tolist()}, inner_lr={self.inner_lr})"


# --------------------------------------------------------------------------- MFOS
class MFOSPolicy(nn.Module):
    """M-FOS actor-critic: Linear(10,256)-Tanh-Linear heads; Gaussian with softplus variance.

    ``forward(obs)`` takes (..., 10) states and returns (dist, value): ``dist`` an
    ``Independent(Normal(mean, sqrt(softplus(raw))), 1)`` over 5-dim actions (log_prob and
    entropy shaped like obs's leading dims), ``value`` shaped like the leading dims.
    """

    def __init__(self, state_dim: int = 2 * N_THETA, action_dim: int = N_THETA, hidden: int = 256):
        super().__init__()
        self.action_dim = action_dim
        self.actor = nn.Sequential(nn.Linear(state_dim, hidden), nn.Tanh(), nn.Linear(hidden, 2 * action_dim))
        self.critic = nn.Sequential(nn.Linear(state_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def mean_var(self, obs: torch.Tensor):
        mean, raw = torch.split(self.actor(obs), self.action_dim, dim=-1)
        # softplus variance as in M-FOS; the tiny floor only guards float underflow to 0
        return mean, nn.functional.softplus(raw).clamp_min(1e-12)

    def forward(self, obs: torch.Tensor):
        mean, var = self.mean_var(obs)
        dist = Independent(Normal(mean, var.sqrt(), validate_args=False), 1, validate_args=False)
        return dist, self.critic(obs).squeeze(-1)


def mfos_state(theta_own: torch.Tensor, theta_opp: torch.Tensor) -> torch.Tensor:
    """MFOS observation: sigmoid([theta_own, theta_opp]), shape (B, 10)."""
    return torch.sigmoid(torch.cat([theta_own, theta_opp], dim=-1)).detach()


def _sample(policy: MFOSPolicy, state: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    with torch.no_grad():
        mean, var = policy.mean_var(state)
        return mean + var.sqrt() * torch.randn(mean.shape, generator=gen)


def _make_policy(cfg: dict, seed: int) -> MFOSPolicy:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return MFOSPolicy(hidden=int(cfg["hidden"]))


def _ppo(policy: MFOSPolicy, cfg: dict, lr: float) -> PPO:
    return PPO(policy, PPOConfig(
        lr=lr, epochs=int(cfg["epochs"]), clip=cfg["clip"], gamma=cfg["ppo_gamma"],
        entropy_coef=cfg["entropy_coef"], value_coef=cfg["value_coef"],
        return_norm_eps=cfg["return_norm_eps"], return_norm="block",
    ))


def mfos_rollout_nl(policy: MFOSPolicy, cfg: dict, gen: torch.Generator, sample: bool = True):
    """One MFOS meta-episode against a batch of NL learners (M-FOS ``MetaGames``).

    Returns (obs (T,B,10), actions (T,B,5), rewards (T,B) own average reward per step,
    opp_rewards (T,B)).
    """
    b, t_max, std = int(cfg["batch"]), int(cfg["inner_steps"]), cfg["init_std"]
    gamma, lr = cfg["gamma"], cfg["opp_lr"]
    own = std * torch.randn(b, N_THETA, generator=gen)
    opp = std * torch.randn(b, N_THETA, generator=gen)
    state = mfos_state(own, opp)
    opp = nl_step(opp, own, lr, gamma)  # the NL's first step, against the random start (reward unused)
    obs, acts, rews, opp_rews = [], [], [], []
    for _ in range(t_max):
        if sample:
            a = _sample(policy, state, gen)
        else:
            with torch.no_grad():
                a = policy.mean_var(state)[0]
        with torch.no_grad():
            r_own, r_opp = analytic_payoffs(a, opp, gamma)
        obs.append(state)
        acts.append(a)
        rews.append(r_own)
        opp_rews.append(r_opp)
        state = mfos_state(a, opp)
        opp = nl_step(opp, a, lr, gamma)
    return torch.stack(obs), torch.stack(acts), torch.stack(rews), torch.stack(opp_rews)


def mfos_rollout_self(policies, cfg: dict, gen: torch.Generator):
    """One symmetric meta-episode between two MFOS agents (M-FOS ``SymmetricMetaGames``)."""
    b, t_max, std, gamma = int(cfg["batch"]), int(cfg["inner_steps"]), cfg["init_std"], cfg["gamma"]
    th = [std * torch.randn(b, N_THETA, generator=gen) for _ in range(2)]
    states = [mfos_state(th[0], th[1]), mfos_state(th[1], th[0])]
    out = [([], [], []) for _ in range(2)]
    for _ in range(t_max):
        acts = [_sample(p, s, gen) for p, s in zip(policies, states, strict=True)]
        with torch.no_grad():
            r = analytic_payoffs(acts[0], acts[1], gamma)
        for i in range(2):
            out[i][0].append(states[i])
            out[i][1].append(acts[i])
            out[i][2].append(r[i])
        states = [mfos_state(acts[0], acts[1]), mfos_state(acts[1], acts[0])]
    return [tuple(torch.stack(x) for x in o) for o in out]


def meta_train_mfos(cfg: dict, seed: int = 0) -> dict:
    """Meta-train MFOS with PPO against NL learners; deterministic per seed on CPU.

    cfg keys (see :data:`MFOS_KEYS`; values in config/config.yaml): meta_episodes, inner_steps,
    batch, lr, epochs, clip, ppo_gamma, entropy_coef, value_coef, return_norm_eps, hidden,
    opp_lr, init_std, gamma, self_play, selfplay_lr, selfplay_anneal, num_threads; all
    required.  The returned policy is the final one (no best-so-far
    selection).  Returns dict(state_dict=agent 0's policy state_dict (plain tensors),
    curve=(meta_episodes,) mean own reward per step of agent 0's meta-episode, opp_curve
    (the NL's; NaN for self-play episodes), vs_self=(meta_episodes,) bool, cfg, seed,
    wall_s; with self_play also state_dict_1).
    """
    _check_keys(cfg, MFOS_KEYS)
    with torch_threads(cfg["num_threads"]):
        return _meta_train_mfos(cfg, int(seed))


def _meta_train_mfos(cfg: dict, seed: int) -> dict:
    t0 = time.perf_counter()
    gen = torch.Generator().manual_seed(int(seed))
    n_agents = 2 if cfg["self_play"] else 1
    lr = cfg["selfplay_lr"] if cfg["self_play"] else cfg["lr"]
    policies = [_make_policy(cfg, int(seed) * 2 + i) for i in range(n_agents)]
    ppos = [_ppo(p, cfg, lr) for p in policies]
    p_nl, n, start = 1.0, int(cfg["meta_episodes"]), 0
    curve, opp_curve, vs_self, stats = [], [], [], []
    ckpt = checkpoint.active()
    saved = ckpt.load()
    if saved is not None:  # resume: policies, Adams, generators, annealing, logs
        for policy, ppo, sd, opt in zip(policies, ppos, saved["policies"], saved["opts"], strict=True):
            policy.load_state_dict(sd)
            ppo.optimizer.load_state_dict(opt)
        checkpoint.set_rng_state(saved["rng"], gen)
        p_nl, start, t0 = saved["p_nl"], saved["episode"], t0 - saved["wall_s"]
        curve, opp_curve, vs_self = list(saved["curve"]), list(saved["opp_curve"]), list(saved["vs_self"])
        stats = [saved["last_stats"]] if saved["last_stats"] is not None else []

    def state():
        return dict(policies=[p.state_dict() for p in policies], opts=[p.optimizer.state_dict() for p in ppos],
                    rng=checkpoint.rng_state(gen), p_nl=p_nl, episode=len(curve), curve=list(curve),
                    opp_curve=list(opp_curve), vs_self=list(vs_self), last_stats=stats[-1] if stats else None,
                    wall_s=time.perf_counter() - t0)

    for episode in range(start, n):
        self_episode = False
        if cfg["self_play"]:
            if p_nl > 0:
                p_nl -= cfg["selfplay_anneal"]
            self_episode = bool(torch.rand((), generator=gen) > p_nl)
        if self_episode:
            data = mfos_rollout_self(policies, cfg, gen)
            for ppo, (obs, acts, rews) in zip(ppos, data, strict=True):
                st = ppo.update(obs, acts, rews)
            curve.append(float(data[0][2].mean()))
            opp_curve.append(math.nan)
        else:
            for i, (policy, ppo) in enumerate(zip(policies, ppos, strict=True)):
                obs, acts, rews, opp_rews = mfos_rollout_nl(policy, cfg, gen)
                st = ppo.update(obs, acts, rews)
                if i == 0:
                    curve.append(float(rews.mean()))
                    opp_curve.append(float(opp_rews.mean()))
        vs_self.append(self_episode)
        stats.append(st)
        ckpt.maybe_save(episode + 1, state, total=n)
    out = dict(
        state_dict={k: v.detach().clone() for k, v in policies[0].state_dict().items()},
        curve=torch.tensor(curve), opp_curve=torch.tensor(opp_curve), vs_self=torch.tensor(vs_self),
        last_stats=stats[-1] if stats else {}, cfg=dict(cfg), seed=int(seed),
        wall_s=time.perf_counter() - t0,
    )
    if cfg["self_play"]:
        out["state_dict_1"] = {k: v.detach().clone() for k, v in policies[1].state_dict().items()}
    return out


class MFOSAgent(AnalyticAgent):
    """Analytic agent driven by a trained MFOS policy.

    ``init`` draws theta ~ N(0, init_std^2) from the generator (M-FOS's random start);
    ``step(theta_own, theta_opp)`` returns the policy mean (default) or a sample given
    sigmoid([theta_own, theta_opp]), the pair just played.
    """

    name = "MFOS"

    def __init__(self, state_dict: dict, sample: bool = False, init_std: float = 1.0):
        hidden = state_dict["actor.0.weight"].shape[0]
        self.policy = MFOSPolicy(hidden=hidden)
        self.policy.load_state_dict(state_dict)
        self.policy.eval()
        self.sample, self.init_std = sample, init_std
        self._gen: torch.Generator | None = None

    @classmethod
    def from_result(cls, result: dict, **kw) -> MFOSAgent:
        return cls(result["state_dict"], **kw)

    def init(self, batch: int, generator: torch.Generator | None = None,
             dtype: torch.dtype = torch.float32) -> torch.Tensor:
        self._gen = generator  # samples (sample=True) continue the match's generator
        return self.init_std * torch.randn(batch, N_THETA, generator=generator, dtype=dtype)

    def step(self, theta_own: torch.Tensor, theta_opp: torch.Tensor, gamma: float = GAMMA_INNER) -> torch.Tensor:
        """Next own logits; ``gamma`` is unused (the policy was trained at gamma 0.96)."""
        dtype = theta_own.dtype
        state = mfos_state(theta_own.float(), theta_opp.float())
        if self.sample:
            out = _sample(self.policy, state, self._gen)
        else:
            with torch.no_grad():
                out = self.policy.mean_var(state)[0]
        return out.to(dtype).detach()

    def __repr__(self) -> str:
        return f"MFOSAgent(sample={self.sample})"


register_agent("m-maml", MMAMLAgent)
register_agent("mmaml", MMAMLAgent)
register_agent("mfos", MFOSAgent)
