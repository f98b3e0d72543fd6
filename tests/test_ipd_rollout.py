"""Tests of IPD-Rollout: the batched env, the Reciprocator's reciprocal reward, the experiment and its plot.

Hand facts (actions 0 = C, 1 = D; row player first):
* payoffs CC (-1, -1), CD (-3, 0), DC (0, -3), DD (-2, -2);
* own-view states 1..4 = CC, CD, DC, DD (own action first): after the row-view joint action CD,
  player 1 sees CD (2) and player 2 sees DC (3);
* with the initial baseline P(defect) = 0.5 everywhere: if j defects while i cooperates,
  r^i = -3 and E_{a^j}[R^i(C, a^j)] = (-1 - 3)/2 = -2, so VI^{j->i} = -1 < 0; if then i defects
  while j cooperates, r^j = -3 and E_{a^i}[R^j(a^i, C)] = -2, so VI^{i->j} = -1 and
  r_RR = VI^{j->i}_{t-1} VI^{i->j}_t = +1 > 0 (cooperating instead: VI^{i->j} = +1, r_RR = -1).
* if the baseline expected j to cooperate (P(defect) = 0), VI^{j->i} = -3 - (-1) = -2.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

from mixedmotive import results
from mixedmotive.agents.ipd_rollout import (
    NLPPO,
    Episode,
    InfluenceBaseline,
    IPDActorCritic,
    Reciprocator,
    reciprocal_reward,
)
from mixedmotive.agents.ppo import ppo_config
from mixedmotive.envs.ipd_rollout import IPDRolloutEnv
from mixedmotive.experiments import recip_ipd_rollout
from mixedmotive.plots import recip_ipd_rollout as recip_plot

SMOKE = dict(episodes=6, batch=64, T=8, lr=0.005, epochs=10, clip=0.1, gamma=0.96, entropy_coef=0.02,
             rr_weight=5.0, buffer_episodes=1, target_period=3)
ALL_JOINT = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])  # CC, CD, DC, DD (row view)
COLUMNS = {"episode", "recip_rr_mean", "p_coop_recip", "p_coop_nl", "reward_recip", "reward_nl", "seed"}


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


@pytest.fixture(scope="module")
def smoke_run() -> pd.DataFrame:
    torch.set_num_threads(1)
    return recip_ipd_rollout.run(SMOKE, None, 0, "cpu")


# ----------------------------------------------------------------------------------- env


def test_env_payoffs_both_players():
    env = IPDRolloutEnv(4, T=3)
    env.reset()
    _, rewards, done, _ = env.step(ALL_JOINT)
    assert rewards.tolist() == [[-1.0, -1.0], [-3.0, 0.0], [0.0, -3.0], [-2.0, -2.0]]
    assert not done


def test_env_observations_own_view():
    env = IPDRolloutEnv(4, T=2)
    obs = env.reset()
    assert obs.shape == (4, 2, 5)
    assert torch.equal(obs.argmax(-1), torch.zeros(4, 2, dtype=torch.long))  # start state
    assert torch.equal(obs.sum(-1), torch.ones(4, 2))
    obs, _, _, info = env.step(ALL_JOINT)
    # player 1: CC, CD, DC, DD -> 1, 2, 3, 4; player 2 sees CD as DC and DC as CD
    assert obs[:, 0].argmax(-1).tolist() == [1, 2, 3, 4]
    assert obs[:, 1].argmax(-1).tolist() == [1, 3, 2, 4]
    assert info["state"].tolist() == [1, 2, 3, 4] and env.state.tolist() == [1, 2, 3, 4]
    # the next observation is the previous joint action again
    obs, _, done, _ = env.step(ALL_JOINT.flip(0))
    assert obs[:, 0].argmax(-1).tolist() == [4, 3, 2, 1]
    assert obs[:, 1].argmax(-1).tolist() == [4, 2, 3, 1]
    assert done


def test_env_done_after_T_and_reset():
    env = IPDRolloutEnv(3, T=5)
    env.reset()
    dones = [env.step(torch.zeros(3, 2, dtype=torch.long))[2] for _ in range(5)]
    assert dones == [False] * 4 + [True]
    with pytest.raises(RuntimeError):
        env.step(torch.zeros(3, 2, dtype=torch.long))
    obs = env.reset()
    assert env.t == 0 and obs[:, :, 0].eq(1).all()
    with pytest.raises(ValueError):
        env.step(torch.zeros(2, 2, dtype=torch.long))


# ------------------------------------------------------------------------- policy


@pytest.mark.parametrize("encoding", ["onehot5", "raw2"])
def test_tabulated_policy_equals_direct_evaluation(encoding):
    torch.manual_seed(0)
    net = IPDActorCritic(encoding)
    obs = torch.eye(5)[torch.randint(0, 5, (7, 3))]
    logit, value = net.heads(obs)
    x = net.encode(obs)
    assert torch.allclose(logit, net.actor(x).squeeze(-1), atol=1e-6)
    assert torch.allclose(value, net.critic(x).squeeze(-1), atol=1e-6)
    dist, v = net(obs)
    assert dist.log_prob(torch.ones(7, 3)).shape == (7, 3) and v.shape == (7, 3)
    if encoding == "raw2":  # start = (-1, 0), CD = own C, opponent D = (0, 1)
        assert net.encode(torch.eye(5))[[0, 2]].tolist() == [[-1.0, 0.0], [0.0, 1.0]]


# ------------------------------------------------------------- reciprocal reward


def _two_step(a_prev, a_now):
    """Two steps starting from CC (state 1), (T=2, B=1) tensors in row view."""
    actions = torch.tensor([[a_prev], [a_now]])  # (T, B, 2)
    payoff = torch.tensor([[-1.0, -1.0], [-3.0, 0.0], [0.0, -3.0], [-2.0, -2.0]])
    rewards = payoff[2 * actions[..., 0] + actions[..., 1]]
    states = torch.tensor([[1], [1 + 2 * a_prev[0] + a_prev[1]]])
    return states, actions, rewards


def test_reciprocal_reward_sign_hand_cases():
    base = InfluenceBaseline()
    # j (column) defected at t-1 while i (row) cooperated; i retaliates at t
    s, a, r = _two_step((0, 1), (1, 0))
    vi_ji = base.voi(1, 0, s, a, r)
    vi_ij = base.voi(0, 1, s, a, r)
    assert vi_ji[0].item() == pytest.approx(-1.0)
    assert vi_ij[1].item() == pytest.approx(-1.0)
    rr = reciprocal_reward(vi_ji, vi_ij)
    assert rr[0].item() == 0.0  # no balance at t = 0
    assert rr[1].item() == pytest.approx(1.0)  # retaliation is rewarded
    # cooperating after being exploited is penalised
    s, a, r = _two_step((0, 1), (0, 0))
    rr = reciprocal_reward(base.voi(1, 0, s, a, r), base.voi(0, 1, s, a, r))
    assert rr[1].item() == pytest.approx(-1.0)
    # a baseline that expected cooperation from j makes the defection hurt more
    base.p_defect[1, 1] = 0.0
    assert base.voi(1, 0, s, a, r)[0].item() == pytest.approx(-2.0)


def test_reciprocator_as_column_player_is_symmetric():
    cfg = ppo_config(SMOKE)
    row = Reciprocator(0, cfg, rr_weight=2.0)
    col = Reciprocator(1, cfg, rr_weight=2.0)
    s, a, r = _two_step((0, 1), (1, 0))
    swap = torch.tensor([0, 1, 3, 2, 4])  # row-view state index seen from the other side
    obs = torch.zeros(2, 1, 2, 5)
    ep = Episode(obs=obs, actions=a, rewards=r, states=s)
    ep_swapped = Episode(obs=obs, actions=a.flip(-1), rewards=r.flip(-1), states=swap[s])
    rr_row = row.reciprocal_reward(ep)[0]
    rr_col = col.reciprocal_reward(ep_swapped)[0]
    assert torch.allclose(rr_row, rr_col) and rr_row[1].item() == pytest.approx(1.0)
    # the training reward is r_ext + w * r_RR
    shaped, log = row.training_rewards(ep)
    assert log["baseline_refreshed"]  # episode 0 refreshes (from the current episode)
    rr, _, _ = row.reciprocal_reward(ep)
    assert torch.allclose(shaped, r[..., 0] + 2.0 * rr)


def test_baseline_refresh_from_buffer():
    base = InfluenceBaseline(buffer_episodes=2)
    states = torch.tensor([[0, 0], [1, 1]])
    actions = torch.tensor([[[1, 0], [1, 1]], [[0, 0], [1, 0]]])
    base.push(states, actions)
    base.refresh()
    assert base.p_defect[0].tolist() == [1.0, 0.5, 0.5, 0.5, 0.5]  # unseen states keep 0.5
    assert base.p_defect[1].tolist()[:2] == [0.5, 0.0]
    base.push(torch.tensor([[0]]), torch.tensor([[[0, 0]]]))  # FIFO of 2 episodes
    base.refresh()
    assert base.p_defect[0, 0].item() == pytest.approx(2 / 3)
    base.push(torch.tensor([[0]]), torch.tensor([[[0, 1]]]))  # the first episode drops out
    base.refresh()
    assert base.p_defect[0, 0].item() == 0.0 and base.p_defect[1, 0].item() == 0.5


# --------------------------------------------------------------------- experiment


def test_smoke_run(smoke_run):
    df = smoke_run
    assert COLUMNS <= set(df.columns)
    assert df.episode.tolist() == list(range(SMOKE["episodes"]))
    assert df.baseline_refreshed.tolist() == [e % 3 == 0 for e in range(SMOKE["episodes"])]
    for c in ("p_coop_recip", "p_coop_nl"):
        assert df[c].between(0, 1).all()
    for c in ("reward_recip", "reward_nl"):
        assert df[c].between(-3, 0).all()
    assert df.select_dtypes("number").apply(lambda c: c.map(math.isfinite)).all().all()
    assert (df.seed == 0).all()


def test_determinism_per_seed(smoke_run):
    again = recip_ipd_rollout.run(SMOKE, None, 0, "cpu")
    pd.testing.assert_frame_equal(smoke_run, again)
    other = recip_ipd_rollout.run(dict(SMOKE, episodes=2), None, 1, "cpu")
    assert not other.p_coop_recip.equals(smoke_run.p_coop_recip.iloc[:2])


def test_nl_learns_to_defect_against_fixed_cooperator():
    torch.manual_seed(0)
    nl = NLPPO(1, ppo_config(dict(SMOKE, lr=0.05)))

    class Cooperator:
        def act(self, obs, generator=None):
            return torch.zeros(obs.shape[0], dtype=torch.long), torch.zeros(obs.shape[0])

    env = IPDRolloutEnv(64, T=4)
    gen = torch.Generator().manual_seed(0)
    for _ in range(15):
        ep = recip_ipd_rollout.rollout(env, (Cooperator(), nl), gen)
        nl.learn(ep)
    assert ep.p_defect[..., 1].mean() > 0.8


def test_plot_writes_pdf(smoke_run, tmp_path):
    paths = []
    for seed, frame in [(0, smoke_run), (1, smoke_run.assign(seed=1))]:
        p = tmp_path / f"ipd_{seed}.parquet"
        results.write(frame, p, {"seed": seed})
        paths.append(str(p))
    out = tmp_path / "fig.pdf"
    recip_plot.plot(paths, str(out), dict(SMOKE, rr_ylim=[-0.075, 0.15]))
    assert out.read_bytes()[:4] == b"%PDF"


def _spiky_run(episodes=200) -> pd.DataFrame:
    """An early spike to 0.6 in the first 10 episodes, then oscillations of amplitude 0.1."""
    ep = pd.Series(range(episodes))
    rr = 0.1 * (ep / 7.0).map(math.sin)
    rr[3:8] = [0.3, 0.5, 0.6, 0.45, 0.2]
    return pd.DataFrame({"episode": ep, "recip_rr_mean": rr, "p_coop_recip": 0.5, "p_coop_nl": 0.5, "seed": 0})


def test_rr_axis_leaves_out_the_early_spike_and_says_so():
    run = _spiky_run()
    lo, hi, note = recip_plot.rr_limits(run.episode, run.recip_rr_mean)
    assert 0.099 <= hi < 0.2  # shows the later oscillations in full, well below the spike
    assert -0.2 < lo <= -0.099
    assert note == f"axis clipped at {hi:.3g}; early spike to 0.6 not shown"
    calm = run.assign(recip_rr_mean=0.1 * (run.episode / 7.0).map(math.sin))
    assert recip_plot.rr_limits(calm.episode, calm.recip_rr_mean)[2] == ""  # nothing clipped: no note


def test_plot_clips_the_left_axis_by_default_and_notes_it(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(recip_plot, "save_pdf", lambda fig, out: saved.append(fig))
    p = tmp_path / "ipd_0.parquet"
    results.write(_spiky_run(), p, {"seed": 0})
    recip_plot.plot([str(p)], str(tmp_path / "fig.pdf"), dict(SMOKE, episodes=200))
    ax = saved[0].axes[0]
    assert ax.get_ylim()[1] < 0.2
    assert ax.get_title(loc="right").startswith("axis clipped at") and "0.6 not shown" in ax.get_title(loc="right")
    recip_plot.plot([str(p)], str(tmp_path / "fig.pdf"), dict(SMOKE, rr_ylim=[-0.075, 0.15]))
    assert saved[1].axes[0].get_ylim() == (-0.075, 0.15) and saved[1].axes[0].get_title(loc="right") == ""
