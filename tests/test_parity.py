"""Parity with the public reference implementations, against stored numbers.

The numbers in tests/fixtures/parity/*.json were produced by running the reference code
(johnlyzhou/reciprocator at 0a9c30a, luchris429/model-free-opponent-shaping at 3efb169)
outside this repository; each file's ``_source`` names the repository, the commit and the
command, and docs/parity/drivers/ holds the driver scripts (run by docs/parity/run.sh).  These tests need none
of that code: they run our implementation on the same inputs and compare.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from mixedmotive.agents.coins import InfluenceModels, influence_balance
from mixedmotive.agents.ipd_analytic import LOLA, NaiveLearner
from mixedmotive.agents.ipd_meta import MMAMLAgent, mfos_state, mmaml_objective
from mixedmotive.agents.ipd_rollout import Episode, Reciprocator, reciprocal_reward
from mixedmotive.agents.ppo import PPOConfig
from mixedmotive.envs.coins import CoinGame
from mixedmotive.envs.ipd import analytic_payoffs, markov_chain

FIX = Path(__file__).parent / "fixtures" / "parity"
F64 = torch.float64


def load(name: str) -> dict:
    return json.loads((FIX / name).read_text())


def t64(x) -> torch.Tensor:
    return torch.tensor(x, dtype=F64)


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_fixtures_name_their_source():
    for path in sorted(FIX.glob("*.json")):
        src = json.loads(path.read_text())["_source"]
        assert src["reference"].startswith("https://github.com/")
        assert len(src["commit"]) == 40 and src["command"]
        assert path.stat().st_size < 50_000


# ---------------------------------------------------------------------------
# M-FOS: IPD-Analytic values and baselines
# ---------------------------------------------------------------------------
def test_ipd_exact_values_match_mfos():
    v = load("ipd_mfos.json")["values"]
    t1, t2 = t64(v["theta_1"]), t64(v["theta_2"])
    v1, v2 = analytic_payoffs(t1, t2, 0.96)
    torch.testing.assert_close(v1, t64(v["v_1"]), rtol=0, atol=1e-12)
    torch.testing.assert_close(v2, t64(v["v_2"]), rtol=0, atol=1e-12)
    _, _, occupancy = markov_chain(t1, t2, 0.96)  # M-FOS's M = p (I - gamma P)^-1
    torch.testing.assert_close(occupancy, t64(v["occupancy"]), rtol=0, atol=1e-11)


def _agent(name: str, mamaml_theta0):
    if name == "NL":
        return NaiveLearner(lr=1.0)
    if name == "LOLA":
        return LOLA(lr=1.0)
    # M-FOS's round robin steps its M-MAML player with the NL lr 1 (the learned alpha is not stored)
    return MMAMLAgent(mamaml_theta0, inner_lr=1.0)


@pytest.mark.parametrize("k", range(6))
def test_baseline_matches_follow_mfos(k):
    """NonMfosMetaGames: th_ba = [p2, p1], so p2 is the row player; both update simultaneously."""
    d = load("ipd_mfos.json")
    m = d["matches"][k]
    p1 = _agent(m["p1"], d["mamaml_IPD_0"]["theta0"])
    p2 = _agent(m["p2"], d["mamaml_IPD_0"]["theta0"])
    x, y = t64(m["init_p1"]), t64(m["init_p2"])
    if m["p1"] == "MAMAML":
        torch.testing.assert_close(p1.init(x.shape[0]).to(F64), x, rtol=0, atol=0)
    for s in range(len(m["reward_p1"])):
        r_row, r_col = analytic_payoffs(y, x, 0.96)
        torch.testing.assert_close(r_col, t64(m["reward_p1"][s]), rtol=0, atol=1e-10)
        torch.testing.assert_close(r_row, t64(m["reward_p2"][s]), rtol=0, atol=1e-10)
        x, y = p1.step(x, y, 0.96), p2.step(y, x, 0.96)
    torch.testing.assert_close(x, t64(m["final_p1"]), rtol=0, atol=1e-9)
    torch.testing.assert_close(y, t64(m["final_p2"]), rtol=0, atol=1e-9)


def test_mfos_vs_nl_step_semantics():
    """MetaGames: state = sigmoid([outer, inner before the step]); rewards of the played pair; NL lr 1."""
    g = load("ipd_mfos.json")["metagames_nl"]
    inner = t64(g["inner_init"])
    nl = NaiveLearner(lr=1.0)
    for s, outer in enumerate(g["outer"]):
        outer = t64(outer)
        torch.testing.assert_close(mfos_state(outer, inner), t64(g["state"][s]), rtol=0, atol=1e-12)
        r_inner, r_outer = analytic_payoffs(inner, outer, 0.96)
        torch.testing.assert_close(r_outer, t64(g["reward_outer"][s]), rtol=0, atol=1e-10)
        torch.testing.assert_close(r_inner, t64(g["reward_inner"][s]), rtol=0, atol=1e-10)
        inner = nl.step(inner, outer, 0.96)
    torch.testing.assert_close(inner, t64(g["inner_final"]), rtol=0, atol=1e-9)


def test_mmaml_objective_is_mfos_loss_rescaled():
    """Ours: mean average reward per step; M-FOS: summed discounted loss.  obj = -(1-g)/(B n) * loss."""
    u = load("ipd_mfos.json")["mamaml_unroll"]
    theta0 = t64(u["theta0"]).requires_grad_(True)
    alpha = t64([u["alpha"]]).requires_grad_(True)
    opp = t64(u["opp_init"])
    obj = mmaml_objective(theta0, alpha, opp, u["inner_steps"], u["inner_lr_opp"], 0.96)
    scale = -(1 - 0.96) / (opp.shape[0] * u["inner_steps"])
    assert obj.item() == pytest.approx(scale * u["total_agent_loss"], rel=1e-12)
    obj.backward()
    torch.testing.assert_close(theta0.grad, scale * t64(u["grad_theta0"]), rtol=1e-9, atol=1e-12)
    assert alpha.grad.item() == pytest.approx(scale * u["grad_alpha"], rel=1e-9)


# ---------------------------------------------------------------------------
# Authors' Coins environment
# ---------------------------------------------------------------------------
def test_coins_transitions_match_authors_env():
    d = load("coins_env.json")
    env = CoinGame(d["batch"], n_agents=2, grid=3, T=d["T"], obs_order="roll")
    env.reset()
    for step in d["steps"]:
        pre, post = torch.tensor(step["pre"]), torch.tensor(step["post"])
        env.agents, env.coins = pre[:, :2], pre[:, 2:]
        _, rewards, done, info = env.step(torch.tensor(step["actions"]))
        torch.testing.assert_close(rewards, torch.tensor(step["rewards"]), rtol=0, atol=0)
        assert torch.equal(env.agents, post[:, :2])
        collected = info["collected"]  # (B, collector, owner)
        kept = ~collected.any(1)  # coins nobody stood on stay where they were
        assert torch.equal(env.coins[kept], post[:, 2:][kept])
        assert torch.equal(collected.sum(0), torch.tensor(step["counts"]))
        assert done == step["done"]
        # the authors' observation of the post-step state (respawned coins included): roll order
        env.coins = post[:, 2:]
        obs = env.observe()
        for b, per_agent in enumerate(step["obs_hot"]):
            for i, hot in enumerate(per_agent):
                assert torch.nonzero(obs[b, i].flatten()).flatten().tolist() == hot


def test_coins_fixture_covers_pickups():
    """The stored sequence exercises own, other and simultaneous pickups (so the test above can fail)."""
    d = load("coins_env.json")
    first = d["steps"][0]["rewards"]
    assert first[0] == [-1.0, 1.0]  # game 0: both stay on agent 0's coin: +1 each, and -2 to agent 0
    assert first[1] == [0.0, 1.0]  # game 1: agent 1 steps left onto its own coin
    counts = torch.tensor([s["counts"] for s in d["steps"]]).sum(0)
    assert counts.diagonal().min() > 0 and counts[0, 1] > 0 and counts[1, 0] > 0


# ---------------------------------------------------------------------------
# Authors' Coins value of influence, from identical (deterministic) weights
# ---------------------------------------------------------------------------
#: parameter shapes of the authors' CoinsVoI modules (2 agents, 3x3, hidden 64, critic 16 channels / 64 latent),
#: in named_parameters() order.  Inputs of the reference MLPs: [actions as raw floats, 36 state, T - 1 - t].
def _MLP(d_in, d_out):
    return [(64, d_in), (64,), (64, 64), (64,), (d_out, 64), (d_out,)]


_REF_SHAPES = {
    "reward": _MLP(39, 2), "transition": _MLP(39, 36), "cf_reward": _MLP(38, 2), "cf_transition": _MLP(38, 36),
    "value": [(16, 4, 3, 3), (16,), (16, 16, 3, 3), (16,), (64, 144), (64,), (2, 64), (2,)],
}


def _ref_weights(kind: str, tag: float) -> list[torch.Tensor]:
    """The fixture's fill rule: p.flat[i] = sin(0.731 i + 1.3 k + tag) / sqrt(fan_in), in float32."""
    out = []
    for k, shape in enumerate(_REF_SHAPES[kind]):
        n = math.prod(shape)
        fan_in = math.prod(shape[1:]) if len(shape) > 1 else n
        i = torch.arange(n, dtype=F64)
        out.append((torch.sin(0.731 * i + 1.3 * k + tag) / math.sqrt(fan_in)).reshape(shape).float())
    return out


def _load_mlp(mlp: torch.nn.Sequential, ref: list[torch.Tensor], n_actions_in: int, T: int) -> None:
    """Map a reference MLP onto ours: raw action index a -> sum_k k * onehot_k; time T-1-t -> T * (T-1-t)/T."""
    w0 = ref[0]
    ours = torch.zeros(64, 36 + 5 * n_actions_in + 1)
    ours[:, :36] = w0[:, n_actions_in:n_actions_in + 36]
    for m in range(n_actions_in):
        ours[:, 36 + 5 * m:36 + 5 * (m + 1)] = w0[:, m:m + 1] * torch.arange(5.0)
    ours[:, -1] = w0[:, -1] * T
    with torch.no_grad():
        for layer, (w, b) in zip((mlp[0], mlp[2], mlp[4]), ((ours, ref[1]), (ref[2], ref[3]), (ref[4], ref[5])),
                                 strict=True):
            layer.weight.copy_(w)
            layer.bias.copy_(b)


def _models_like_reference(T: int) -> InfluenceModels:
    models = InfluenceModels(2, 3, T, hidden=64, value_channels=16, value_latent=64, gamma=0.99)
    _load_mlp(models.reward, _ref_weights("reward", 1.0), 2, T)
    _load_mlp(models.transition, _ref_weights("transition", 2.0), 2, T)
    for k in range(2):
        _load_mlp(models.reward_cf[k], _ref_weights("cf_reward", 4.0 + k), 1, T)
        _load_mlp(models.transition_cf[k], _ref_weights("cf_transition", 6.0 + k), 1, T)
    v = _ref_weights("value", 3.0)
    with torch.no_grad():
        for p, w in zip(models.value.parameters(), v, strict=True):
            p.copy_(w)
    return models


def test_coins_voi_matches_authors_from_identical_weights():
    d = load("coins_voi.json")
    T, B = d["T"], d["batch"]
    models = _models_like_reference(T)
    states = torch.tensor(d["states"]).reshape(T * B, 4)
    actions = torch.tensor(d["actions"]).reshape(T * B, 2)
    t = torch.arange(T)[:, None].expand(T, B).reshape(-1)
    with torch.no_grad():
        r_hat = models.reward(models.features(states, actions, t)[0])
    torch.testing.assert_close(r_hat, torch.tensor(d["voi"]["r_hat"]), rtol=0, atol=2e-6)
    vi = models.voi(states, actions, t)  # (M, k, j)
    for k in range(2):
        for j in range(2):
            ref = torch.tensor(d["voi"][f"{k}->{j}"])
            assert ref.abs().max() > 0.05  # not a trivially small quantity
            torch.testing.assert_close(vi[:, k, j], ref, rtol=0, atol=2e-6)  # float32 agreement is ~2e-7


def test_coins_reciprocal_reward_matches_petty_payoff():
    """Balance b_t = g b_{t-1} + VI^{j->i} - VI^{i->j}, reset per episode, used lagged: r_RR = b_{t-1} VI^{i->j}."""
    d = load("coins_voi.json")
    T, B = d["T"], d["batch"]
    for i in range(2):
        j = 1 - i
        vi_ij = torch.tensor(d["voi"][f"{i}->{j}"]).reshape(T, B)
        vi_ji = torch.tensor(d["voi"][f"{j}->{i}"]).reshape(T, B)
        rr = reciprocal_reward(influence_balance(vi_ji, vi_ij, d["gamma"]), vi_ij)
        torch.testing.assert_close(rr.flatten(), torch.tensor(d["rr"][str(i)]), rtol=1e-6, atol=2e-6)  # |rr| up to ~10


# ---------------------------------------------------------------------------
# Authors' IPD-Rollout influence baseline and reciprocal reward
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("run", [0, 1])
def test_ipd_rollout_reciprocal_reward_matches_authors(run):
    r = load("ipd_rollout.json")["runs"][run]
    B, T = r["batch"], r["T"]
    agents = [Reciprocator(i, PPOConfig(), rr_weight=5.0, buffer_episodes=r["buffer_episodes"],
                           target_period=r["target_period"], encoding="raw2") for i in range(2)]
    for ep in r["episodes"]:
        actions = torch.tensor(ep["actions"])  # (T, B, 2)
        joint = 2 * actions[..., 0] + actions[..., 1]
        states = torch.cat([torch.zeros(1, B, dtype=torch.long), joint[:-1] + 1])  # row-view 0 = start, 1..4
        rewards = torch.tensor([[-1.0, -1.0], [-3.0, 0.0], [0.0, -3.0], [-2.0, -2.0]])[joint]
        episode = Episode(obs=torch.zeros(T, B, 2, 5), actions=actions, rewards=rewards, states=states)
        for i, agent in enumerate(agents):
            total, _ = agent.training_rewards(episode)
            rr, vi_ji, vi_ij = agent.reciprocal_reward(episode)
            lagged = torch.cat([torch.zeros(1, B), vi_ji[:-1]])
            # the authors' arrays are (B, T)
            torch.testing.assert_close(vi_ij.T.flatten(), torch.tensor(ep[f"vi_ij_{i}"]), rtol=0, atol=1e-6)
            torch.testing.assert_close(lagged.T.flatten(), torch.tensor(ep[f"vi_ji_lagged_{i}"]), rtol=0, atol=1e-6)
            torch.testing.assert_close(rr.T.flatten(), torch.tensor(ep[f"rr_{i}"]), rtol=0, atol=2e-6)
            torch.testing.assert_close(total, rewards[..., i] + 5.0 * rr, rtol=0, atol=1e-6)
            agent.episode_count += 1  # what learn() does after its PPO update (not run here)
