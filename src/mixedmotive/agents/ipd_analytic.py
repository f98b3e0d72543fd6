"""Analytic IPD learners (IPD-Analytic; docs/papers.md) on batches of games.

Interface
=========
Every learner is an :class:`AnalyticAgent`.  A policy is a tensor ``theta`` of shape
(B, 5): B independent games, each a memory-1 policy given as logits of P(cooperate)
in the start state and after CC, CD, DC, DD *as seen by its owner* (own action
first; see :mod:`mixedmotive.envs.ipd`).

``init(batch, generator, dtype=torch.float32) -> theta``
    Initial parameters (B, 5).  Default: N(0, 1) per entry drawn from ``generator``
    (M-FOS protocol).  Agents with a learned initialisation (M-MAML) override it.
``step(theta_own, theta_opp, gamma=0.96) -> new theta_own``
    One learning update of the own parameters given the current pair.  Both players
    of a game step *simultaneously* from the same pair: ``play`` calls
    ``agent_1.step(theta_1, theta_2)`` and ``agent_2.step(theta_2, theta_1)`` before
    replacing either.  Inputs are plain tensors (they may or may not require grad);
    implementations must not modify them in place and must return a new tensor
    that does not require grad.  The opponent is always passed in its *own* frame
    (exactly what it would pass as ``theta_own``); :func:`analytic_payoffs`
    ``(theta_own, theta_opp)[0]`` is the own value.
``reset_state()``
    Forget everything learned about the current match (buffers, counters).  Called
    by :func:`play` before the first update.  Stateless agents inherit a no-op.

Values and learning rates follow M-FOS: gradients are taken of the *discounted*
return ``V = sum_t gamma^t r_t = analytic_payoffs / (1 - gamma)`` (M-FOS' ``-L``),
with lr = 1; the reward reported per update is the average reward per step
``(1 - gamma) V`` (in [-3, 0]; -1 mutual cooperation, -2 mutual defection).

Agents here: ``NL``, ``LOLA``, ``Reciprocator``; :func:`make_agent` builds one by
name and :func:`register_agent` lets other modules (M-MAML, MFOS) add theirs.
:func:`play` runs a match.

Reciprocator (analytic)
=======================
The Reciprocator i ascends its augmented discounted return

    V_RC = sum_{t>=0} gamma^t E[ R_i(a_t) + w * VI^{j->i}_{t-1} * VI^{i->j}_t ],

with the one-step influence balance of IPD (§3.2: the balance is the previous
step's VI^{j->i}, 0 at t = 0) and one-step values of influence computed exactly
from the payoff matrix and *baseline* policies b_i, b_j (P(C) per memory state):

    VI^{j->i}(s, a) = R_i(a_i, a_j) - E_{a'_j ~ b_j(s)} R_i(a_i, a'_j)
    VI^{i->j}(s, a) = R_j(a_i, a_j) - E_{a'_i ~ b_i(s)} R_j(a'_i, a_j)

where s is the memory state in which the joint action a = (a_i, a_j) was taken.
The reward at t depends on (s_{t-1}, s_t, a_t) = (a_{t-2}, a_{t-1}, a_t): this is
the 64-state augmented MDP of §3.5.  Because the chain over joint actions is
Markov, its value reduces exactly to the 4-state chain (no 64x64 solve):

    V_RC = m.r_i + w * [ gamma (start o g_0) . H + gamma^2 m^T (P o G) H ],
    H(a) = sum_a' P(a, a') VI^{i->j}(a, a')         (expected next-step VI^{i->j})

with m = start^T (I - gamma P)^-1 the discounted occupancy, G[s, a] =
VI^{j->i}(s, a), g_0[a] = VI^{j->i}(start, a) and o the elementwise product.  The
tests check this against an explicit 64-state augmented MDP and a Monte-Carlo
rollout.  Baselines are constants (no gradient flows through them); the gradient
is exact and taken w.r.t. the own parameters only (the opponent is not
differentiated through, C1).

Decisions
---------
(Recorded in docs/decisions.md.)

* **Reward counted from t = 0.**  The reference module evaluates
  ``S3 (I - gamma T2)^-1 R_full``, i.e. sum_{t>=2} gamma^(t-2) E[R_full], dropping
  the extrinsic rewards of steps 0 and 1 (including the start policy's direct
  payoff) and the reciprocal reward of step 1.  We count every step from t = 0
  with discount gamma^t: step 0 earns R_i(a_0) only (balance 0 at t = 0), step 1
  earns R_i(a_1) + w VI^{j->i}_0 VI^{i->j}_1 where VI^{j->i}_0 uses the baseline's
  *start-state* entry.  The extrinsic part is then exactly the NL objective.
  ``count_from=2`` reproduces the reference convention for ablations.
* **Indexing bug 1 fixed.**  Baseline lookups by the memory state s in
  {CC, CD, DC, DD} use policy entries 1..4 (entry 0 is the start state); the
  reference indexed 0..3, so after CC it used the start-state probability etc.
* **Indexing bug 2 fixed.**  Joint-state indices decode own-major,
  idx = 2 * own + opp (CC, CD, DC, DD), consistent with how the chain is built;
  the reference decoded ``[idx % 2, idx // 2]`` (own and opponent swapped for
  CD/DC).  ``legacy_indexing=True`` reproduces both reference lookups (with
  ``count_from=2`` the reference's value); it does not reproduce the reference's
  deque seeded with the 0.5 baseline or its episode-counter offset.
* **Baseline schedule.**  Both baselines start at P(C) = 0.5 in every state.  After
  each update the Reciprocator pushes the policies *played* in that update
  (sigmoid of the pre-update own and opponent parameters, the opponent's mapped
  into the Reciprocator's frame) into deques of length ``buffer_size``; after every
  ``target_period``-th update (counted from 1) each baseline is set to the mean of
  its deque (tau = 1).  Unlike the reference, the deque does not start with the
  initial 0.5 baseline: it holds observed policies only.  Baselines are per game.
* **Defaults w = 5, buffer_size = 3, target_period = 3.**  Not tuned.  In IPD
  VI^{j->i} = 2 (1[a_j = C] - b_j(s)) and VI^{i->j} = 2 (1[a_i = C] - b_i(s)).  With
  baselines at 0.5 both are +-1, and the reciprocal reward separates reciprocating
  from not by 2w per step against a temptation of 1 per step (D earns 1 more than C
  whatever the opponent does), so w > 0.5 already makes reciprocity dominate; but
  once baselines track cooperative policies (b ~ 0.9) the VIs shrink to ~0.2 and
  the gap to ~0.4 w, so w must be >= 2.5 for reciprocity to still outweigh the
  temptation.  w = 5 is the authors' value for IPD-Rollout, which uses the same
  immediate-reward VI, the same one-step balance and the same payoffs, and clears
  that bound with margin.  target_period = 3 is the authors' IPD-Rollout period
  (one analytic update plays the role of one episode); buffer_size =
  target_period makes each refreshed baseline the mean policy of exactly the
  updates since the previous refresh (non-overlapping windows, every played
  policy used once), the analytic analogue of IPD-Rollout's one-episode FIFO.
* **Learning rate 1, un-normalised value** (as NL and LOLA in M-FOS and as the
  reference's ``L_rr``): ascent on V_RC itself, not on (1 - gamma) V_RC.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable

import torch

from ..envs.ipd import PAYOFF_ROW, SWAP_POLICY, analytic_payoffs, markov_chain

__all__ = [
    "AnalyticAgent", "NaiveLearner", "LOLA", "Reciprocator", "AGENTS",
    "make_agent", "register_agent", "play", "discounted_values",
    "lola_correction", "influence_tables", "reciprocator_value", "own_value_grad", "nl_step",
]


def discounted_values(theta_1: torch.Tensor, theta_2: torch.Tensor, gamma: float = 0.96):
    """Discounted returns ``sum_t gamma^t r_t`` of both players (M-FOS' ``-L``), batch-shaped."""
    v1, v2 = analytic_payoffs(theta_1, theta_2, gamma)
    return v1 / (1 - gamma), v2 / (1 - gamma)


def own_value_grad(theta_own: torch.Tensor, theta_opp: torch.Tensor, gamma: float = 0.96,
                   create_graph: bool = False) -> torch.Tensor:
    """grad wrt theta_own of the own discounted value V = v / (1 - gamma) (M-FOS loss units).

    ``theta_opp`` is held fixed (a partial derivative); with ``create_graph`` the result is
    differentiable (through both arguments), e.g. for M-MAML's meta-gradient.
    """
    with torch.enable_grad():
        own = theta_own if (create_graph and theta_own.requires_grad) else theta_own.detach().requires_grad_(True)
        opp = theta_opp if create_graph else theta_opp.detach()
        v, _ = analytic_payoffs(own, opp, gamma)
        (g,) = torch.autograd.grad(v.sum(), own, create_graph=create_graph)
    return g / (1.0 - gamma)


def nl_step(theta_own: torch.Tensor, theta_opp: torch.Tensor, lr: float = 1.0, gamma: float = 0.96) -> torch.Tensor:
    """One naive-learner step: theta_own + lr * grad V_own (no graph kept)."""
    return (theta_own.detach() + lr * own_value_grad(theta_own, theta_opp, gamma)).detach()


def _leaf(theta: torch.Tensor) -> torch.Tensor:
    return theta.detach().clone().requires_grad_(True)


class AnalyticAgent(ABC):
    """Base class of analytic IPD learners; see the module docstring for the contract."""

    #: canonical name (used by :func:`make_agent` and in result tables)
    name: str = "agent"

    def init(self, batch: int, generator: torch.Generator, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Initial logits (batch, 5); default N(0, 1) per entry."""
        return torch.randn(batch, 5, generator=generator, dtype=dtype)

    def reset_state(self) -> None:
        """Forget per-match state (no-op for stateless agents)."""
        return

    @abstractmethod
    def step(self, theta_own: torch.Tensor, theta_opp: torch.Tensor, gamma: float = 0.96) -> torch.Tensor:
        """One update of the own logits from the current pair; returns new (B, 5) logits."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NaiveLearner(AnalyticAgent):
    """NL: ``theta <- theta + lr * grad_theta V_own`` (exact gradient, lr 1)."""

    name = "NL"

    def __init__(self, lr: float = 1.0):
        self.lr = float(lr)

    def step(self, theta_own, theta_opp, gamma=0.96):
        return nl_step(theta_own, theta_opp, self.lr, gamma)

    def __repr__(self) -> str:
        return f"NaiveLearner(lr={self.lr})"


def lola_correction(theta_own: torch.Tensor, theta_opp: torch.Tensor, gamma: float = 0.96):
    """``(grad_own V_own, grad_own (grad_opp V_own . grad_opp V_opp))`` per game, by double backprop."""
    own, opp = _leaf(theta_own), _leaf(theta_opp)
    v_own, v_opp = discounted_values(own, opp, gamma)
    (g_own,) = torch.autograd.grad(v_own.sum(), own, retain_graph=True)
    (dopp_vown,) = torch.autograd.grad(v_own.sum(), opp, create_graph=True, retain_graph=True)
    (dopp_vopp,) = torch.autograd.grad(v_opp.sum(), opp, create_graph=True)
    term = (dopp_vown * dopp_vopp).sum()  # games are independent: the sum separates
    (corr,) = torch.autograd.grad(term, own)
    return g_own, corr


class LOLA(AnalyticAgent):
    """Exact first-order LOLA (M-FOS), in reward terms:

    ``theta <- theta + lr * (grad_own V_own + lr * grad_own(grad_opp V_own . grad_opp V_opp))``

    (M-FOS: ``grad L1 - lr grad(grad_2 L1 . grad_2 L2)`` with ``L = -V``; the
    opponent's look-ahead step uses the same lr.)
    """

    name = "LOLA"

    def __init__(self, lr: float = 1.0):
        self.lr = float(lr)

    def step(self, theta_own, theta_opp, gamma=0.96):
        g_own, corr = lola_correction(theta_own, theta_opp, gamma)
        return (theta_own.detach() + self.lr * (g_own + self.lr * corr)).detach()

    def __repr__(self) -> str:
        return f"LOLA(lr={self.lr})"


# ---------------------------------------------------------------------------
# Reciprocator
# ---------------------------------------------------------------------------
def influence_tables(b_own: torch.Tensor, b_opp: torch.Tensor, legacy_indexing: bool = False):
    """One-step values of influence from baseline P(C) vectors (B, 5), Reciprocator's frame.

    Returns ``(g0, G, H)``:

    * ``g0`` (B, 4): VI^{j->i}(start, a) for the first joint action a;
    * ``G`` (B, 4, 4): ``G[s, a]`` = VI^{j->i}(s, a), opponent's influence on the
      Reciprocator's reward when joint action a is taken in memory state s;
    * ``H`` (B, 4, 4): ``H[s, a]`` = VI^{i->j}(s, a), the Reciprocator's influence on
      the opponent's reward.

    Joint states/actions are indexed own-major (CC, CD, DC, DD).
    ``legacy_indexing=True`` reproduces the reference module's lookups (baseline
    entries 0..3 for the memory states, and the ``[idx % 2, idx // 2]`` decoding).
    """
    dtype, device = b_own.dtype, b_own.device
    R = torch.tensor(PAYOFF_ROW, dtype=dtype, device=device).reshape(2, 2)  # R[own action, opp action]
    idx = torch.arange(4, device=device)
    if legacy_indexing:
        own_act, opp_act, offset = idx % 2, idx // 2, 0
    else:
        own_act, opp_act, offset = idx // 2, idx % 2, 1
    # reward of player i / j for each joint action a, and the counterfactual rows
    r_i = R[own_act, opp_act]  # (4,)
    r_j = R[opp_act, own_act]
    r_i_vs_c, r_i_vs_d = R[own_act, 0], R[own_act, 1]  # i's reward had j played C / D
    r_j_vs_c, r_j_vs_d = R[opp_act, 0], R[opp_act, 1]  # j's reward had i played C / D

    def vi_opp_on_own(q):  # q: (..., 1) opponent baseline P(C) in the state
        return r_i - (q * r_i_vs_c + (1 - q) * r_i_vs_d)

    def vi_own_on_opp(p):
        return r_j - (p * r_j_vs_c + (1 - p) * r_j_vs_d)

    g0 = vi_opp_on_own(b_opp[:, 0:1])  # (B, 4)
    states = b_opp[:, offset:offset + 4].unsqueeze(-1)  # (B, 4 s, 1)
    G = vi_opp_on_own(states)  # (B, 4 s, 4 a)
    H = vi_own_on_opp(b_own[:, offset:offset + 4].unsqueeze(-1))
    return g0, G, H


def reciprocator_value(theta_own, theta_opp, b_own, b_opp, w: float = 5.0, gamma: float = 0.96,
                       count_from: int = 0, legacy_indexing: bool = False):
    """The Reciprocator's augmented discounted return V_RC per game (B,), differentiable.

    ``b_own``, ``b_opp``: baseline P(C) (B, 5), both in the Reciprocator's frame.
    ``count_from=0`` (default): ``sum_{t>=0} gamma^t E[R_i + w RR_t]``;
    ``count_from=2``: the reference's ``sum_{t>=2} gamma^(t-2) E[R_full]``.
    """
    if count_from not in (0, 2):
        raise ValueError(f"count_from must be 0 or 2, got {count_from}")
    start, P, m = markov_chain(theta_own, theta_opp, gamma)  # (B, 4), (B, 4, 4), (B, 4)
    g0, G, Hvi = influence_tables(b_own.to(P.dtype), b_opp.to(P.dtype), legacy_indexing)
    r_i = torch.tensor(PAYOFF_ROW, dtype=P.dtype, device=P.device)
    H = (P * Hvi).sum(-1)  # (B, 4): E[VI^{i->j} at the next step | current joint state]
    later = (m.unsqueeze(-2) @ ((P * G) @ H.unsqueeze(-1))).squeeze(-1).squeeze(-1)  # m^T (P o G) H
    extrinsic = m @ r_i
    if count_from == 0:
        first = (start * g0 * H).sum(-1)
        return extrinsic + w * (gamma * first + gamma**2 * later)
    d1 = (start.unsqueeze(-2) @ P).squeeze(-2)
    extrinsic_2 = (extrinsic - start @ r_i - gamma * (d1 @ r_i)) / gamma**2
    return extrinsic_2 + w * later


class Reciprocator(AnalyticAgent):
    """Analytic Reciprocator: exact gradient ascent on :func:`reciprocator_value` (see module doc).

    Parameters: ``w`` reciprocal-reward weight, ``buffer_size`` length of the deques
    of played policies, ``target_period`` number of updates between baseline
    refreshes, ``lr`` learning rate, ``count_from`` and ``legacy_indexing`` as in
    :func:`reciprocator_value`.  State (reset by :meth:`reset_state`): the two
    baselines (B, 5), the two deques and the update counter.
    """

    name = "Reciprocator"

    def __init__(self, w: float = 5.0, buffer_size: int = 3, target_period: int = 3, lr: float = 1.0,
                 count_from: int = 0, legacy_indexing: bool = False):
        if buffer_size < 1 or target_period < 1:
            raise ValueError("buffer_size and target_period must be >= 1")
        if count_from not in (0, 2):
            raise ValueError(f"count_from must be 0 or 2, got {count_from}")
        self.w = float(w)
        self.buffer_size = int(buffer_size)
        self.target_period = int(target_period)
        self.lr = float(lr)
        self.count_from = count_from
        self.legacy_indexing = bool(legacy_indexing)
        self.reset_state()

    def reset_state(self) -> None:
        self.baseline_own: torch.Tensor | None = None  # P(C), (B, 5), own frame
        self.baseline_opp: torch.Tensor | None = None  # P(C), (B, 5), own frame
        self.buffer_own: deque = deque(maxlen=self.buffer_size)
        self.buffer_opp: deque = deque(maxlen=self.buffer_size)
        self.updates = 0

    def _ensure_baselines(self, theta_own: torch.Tensor) -> None:
        if self.baseline_own is None or self.baseline_own.shape != theta_own.shape:
            half = torch.full(theta_own.shape, 0.5, dtype=theta_own.dtype, device=theta_own.device)
            self.baseline_own, self.baseline_opp = half, half.clone()

    def value(self, theta_own, theta_opp, gamma=0.96):
        """V_RC under the current baselines (B,)."""
        self._ensure_baselines(theta_own)
        return reciprocator_value(theta_own, theta_opp, self.baseline_own, self.baseline_opp, self.w, gamma,
                                  self.count_from, self.legacy_indexing)

    def step(self, theta_own, theta_opp, gamma=0.96):
        own = _leaf(theta_own)
        v = self.value(own, theta_opp.detach(), gamma)
        (grad,) = torch.autograd.grad(v.sum(), own)
        new = (theta_own.detach() + self.lr * grad).detach()
        # baselines: record the policies just played, refresh every target_period updates
        with torch.no_grad():
            self.buffer_own.append(torch.sigmoid(theta_own.detach()))
            self.buffer_opp.append(torch.sigmoid(theta_opp.detach())[..., list(SWAP_POLICY)])
            self.updates += 1
            if self.updates % self.target_period == 0:
                self.baseline_own = torch.stack(list(self.buffer_own)).mean(0)
                self.baseline_opp = torch.stack(list(self.buffer_opp)).mean(0)
        return new

    def __repr__(self) -> str:
        return (f"Reciprocator(w={self.w}, buffer_size={self.buffer_size}, target_period={self.target_period}, "
                f"lr={self.lr}, count_from={self.count_from}, legacy_indexing={self.legacy_indexing})")


# ---------------------------------------------------------------------------
# registry, factory, matches
# ---------------------------------------------------------------------------
#: lower-case name -> constructor; extended by :func:`register_agent`
AGENTS: dict[str, Callable[..., AnalyticAgent]] = {
    "nl": NaiveLearner,
    "lola": LOLA,
    "reciprocator": Reciprocator,
}


def register_agent(name: str, factory: Callable[..., AnalyticAgent]) -> None:
    """Make ``make_agent(name, **kw)`` build ``factory(**kw)`` (names are case-insensitive)."""
    AGENTS[name.lower()] = factory


def make_agent(name: str, **kwargs) -> AnalyticAgent:
    """Build a registered agent by (case-insensitive) name, e.g. ``make_agent("LOLA", lr=1.0)``."""
    try:
        factory = AGENTS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown IPD-Analytic agent {name!r}; valid names: {', '.join(sorted(AGENTS))}") from None
    return factory(**kwargs)


def play(agent_1: AnalyticAgent, agent_2: AnalyticAgent, n_updates: int = 100, batch: int = 8192,
         seed: int = 0, gamma: float = 0.96, dtype: torch.dtype = torch.float32) -> dict:
    """A match of ``n_updates`` simultaneous updates on ``batch`` independent games.

    Both agents' state is reset first; ``agent_1`` then ``agent_2`` draw their initial
    logits from one ``torch.Generator`` seeded with ``seed``.  At update k = 0..n-1 the
    rewards of the current pair are recorded, then both agents step from that same
    pair (M-FOS protocol: the reward of an update is that of the parameters before
    it).  If the same object is passed twice, player 2 gets a deep copy.

    Returns a dict of tensors:
    ``reward_1``, ``reward_2`` (n_updates,): batch-mean reward per step at each update;
    ``per_game_1``, ``per_game_2`` (B,): each game's reward per step averaged over updates;
    ``final_1``, ``final_2`` (B,): reward per step of the parameters after the last update;
    ``theta_1``, ``theta_2`` (B, 5): final logits; and floats ``mean_1``, ``mean_2``, the
    round-robin entries (reward per step averaged over updates and games).
    """
    if agent_2 is agent_1:
        agent_2 = copy.deepcopy(agent_1)
    agent_1.reset_state()
    agent_2.reset_state()
    generator = torch.Generator().manual_seed(int(seed))
    theta_1 = agent_1.init(batch, generator, dtype=dtype).detach()
    theta_2 = agent_2.init(batch, generator, dtype=dtype).detach()
    per_update_1, per_update_2 = [], []
    sum_1 = torch.zeros(batch, dtype=dtype)
    sum_2 = torch.zeros(batch, dtype=dtype)
    for _ in range(n_updates):
        with torch.no_grad():
            r1, r2 = analytic_payoffs(theta_1, theta_2, gamma)
        per_update_1.append(r1.mean())
        per_update_2.append(r2.mean())
        sum_1 += r1
        sum_2 += r2
        new_1 = agent_1.step(theta_1, theta_2, gamma)
        new_2 = agent_2.step(theta_2, theta_1, gamma)
        theta_1, theta_2 = new_1.detach(), new_2.detach()
    with torch.no_grad():
        final_1, final_2 = analytic_payoffs(theta_1, theta_2, gamma)
    reward_1 = torch.stack(per_update_1) if per_update_1 else torch.zeros(0, dtype=dtype)
    reward_2 = torch.stack(per_update_2) if per_update_2 else torch.zeros(0, dtype=dtype)
    n = max(n_updates, 1)
    return {
        "reward_1": reward_1, "reward_2": reward_2,
        "per_game_1": sum_1 / n, "per_game_2": sum_2 / n,
        "final_1": final_1, "final_2": final_2,
        "theta_1": theta_1, "theta_2": theta_2,
        "mean_1": float(reward_1.mean()) if n_updates else float("nan"),
        "mean_2": float(reward_2.mean()) if n_updates else float("nan"),
    }
