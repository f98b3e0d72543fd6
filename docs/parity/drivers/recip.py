"""Parity numbers from the authors' code (johnlyzhou/reciprocator): Coins env, Coins VoI, IPD-Rollout VoI/r_RR.

Run from the checkout:  cd /tmp/ref/reciprocator && PYTHONPATH=. /tmp/refenv/bin/python /tmp/ref/drivers/recip.py /tmp/ref/out
pygame and lightning are imported by the reference modules but not used on these paths: stubbed.
"""
import json, math, sys, types
import torch
for name in ("pygame", "lightning"):
    sys.modules[name] = types.ModuleType(name)
sys.modules["lightning"].LightningModule = object
from src.environments.coin_game import CoinGame
from src.environments.ipd import IteratedPrisonersDilemma
from src.agents.coins_voi import CoinsVoI
from src.agents.matrix_games.matrix_reciprocator import MatrixReciprocator

outdir = sys.argv[1]
torch.manual_seed(0)
r6 = lambda x: [round(float(v), 7) for v in x]

# ---------------------------------------------------------------- (a) Coins transitions
B, T = 8, 24
env = CoinGame(B, T, torch.device("cpu"), num_agents=2, grid_size=3)
g = torch.Generator().manual_seed(1)
start = torch.randint(9, (B, 4), generator=g)
start[0] = torch.tensor([4, 4, 4, 0])      # both agents on agent 0's coin (joint pickup at once with 'stay')
start[1] = torch.tensor([0, 1, 1, 0])      # each agent next to the other's coin
env.agent_positions = env._get_coords(start[:, :2]).clone()
env.coin_positions = env._get_coords(start[:, 2:]).clone()
acts = torch.randint(5, (T, B, 2), generator=g)
acts[0, 0] = 4
acts[0, 1] = torch.tensor([1, 1])          # both move left: agent 0 -> cell 2, agent 1 -> cell 0 (coin 1)
cells = lambda c: env._flatten_coords(c)
steps = []
for t in range(T):
    pre = torch.cat([cells(env.agent_positions), cells(env.coin_positions)], 1)
    obs, rew, done, info = env.step(acts[t])
    post = torch.cat([cells(env.agent_positions), cells(env.coin_positions)], 1)
    # observations: indices of the hot entries of each agent's (4, 3, 3) view
    hot = [[torch.nonzero(obs[i][b].flatten()).flatten().tolist() for i in range(2)] for b in range(B)]
    steps.append(dict(pre=pre.tolist(), actions=acts[t].tolist(), rewards=rew.tolist(), post=post.tolist(),
                      counts=info.tolist(), obs_hot=hot, done=bool(done.all())))
json.dump(dict(batch=B, T=T, steps=steps), open(f"{outdir}/coins_env.json", "w"))

# ---------------------------------------------------------------- (iii) Coins VoI from fixed weights
def fill(module, tag):
    """Deterministic weights: p.flat[i] = s * sin(0.731 i + 1.3 k + tag) with s = 1/sqrt(fan_in) (k = parameter number)."""
    with torch.no_grad():
        for k, (name, p) in enumerate(module.named_parameters()):
            fan_in = p[0].numel() if p.dim() > 1 else p.numel()
            i = torch.arange(p.numel(), dtype=torch.float64)
            p.copy_((torch.sin(0.731 * i + 1.3 * k + tag) / math.sqrt(fan_in)).reshape(p.shape).to(p.dtype))

voi = CoinsVoI(2, (4, 3, 3), 0.99, torch.device("cpu"), rnn=False, n_latent_var=64, lr=0.01, tau=1.0)
fill(voi.reward_estimator, 1.0); fill(voi.transition_estimator, 2.0); fill(voi.state_value_estimator, 3.0)
for k in range(2):
    fill(voi.cf_reward_estimators[k], 4.0 + k); fill(voi.cf_transition_estimators[k], 6.0 + k)
VT, VB = 32, 3
g = torch.Generator().manual_seed(2)
vstates = torch.randint(9, (VT, VB, 4), generator=g)
vacts = torch.randint(5, (VT, VB, 2), generator=g)
onehot = torch.zeros(VT, VB, 4, 9); onehot.scatter_(3, vstates.unsqueeze(-1), 1.0)
onehot = onehot.view(VT, VB, 4, 3, 3)
import contextlib, io
vo = {}
with contextlib.redirect_stdout(io.StringIO()):
    for k in range(2):
        for l in range(2):
            vo[f"{k}->{l}"] = r6(voi(onehot, vacts, k, l).flatten())
    vo["r_hat"] = [r6(x) for x in voi.reward_estimator(voi.preprocess_inputs(onehot, vacts).flatten(end_dim=1))]
    # reciprocal reward, rule petty_payoff, for player 0 and 1 (balance recursion and lag as in Reciprocator.petty_payoff_rr)
    rr = {}
    for i in range(2):
        j = 1 - i
        on_other = voi(onehot, vacts, i, j).reshape(VT, VB); on_self = voi(onehot, vacts, j, i).reshape(VT, VB)
        grudge = [torch.zeros(VB)]
        for t in range(VT):
            grudge.append(0.99 * grudge[-1] + on_self[t] - on_other[t])
        rr[str(i)] = r6((torch.stack(grudge[:-1]) * on_other).flatten())
json.dump(dict(T=VT, batch=VB, gamma=0.99, states=vstates.tolist(), actions=vacts.tolist(), voi=vo, rr=rr,
               fill="p.flat[i] = sin(0.731*i + 1.3*k + tag)/sqrt(fan_in), k = index in named_parameters(), "
                    "tag: reward 1, transition 2, value 3, cf_reward[k] 4+k, cf_transition[k] 6+k"),
          open(f"{outdir}/coins_voi.json", "w"))

# ---------------------------------------------------------------- (b) IPD-Rollout VoI and reciprocal reward
def ipd_run(buffer_episodes, period, episodes=5, B=8, T=8, seed=3):
    g = torch.Generator().manual_seed(seed)
    agents = [MatrixReciprocator(2, 2, 0.005, 0.96, 10, 0.1, 0.02, i, 5.0, torch.device("cpu"), batch_size=B,
                                 max_steps=T, buffer_episodes=buffer_episodes, target_update_period=period)
              for i in range(2)]
    env = IteratedPrisonersDilemma(B, T, torch.device("cpu"))
    p_def = torch.tensor([0.3, 0.65])
    eps = []
    for e in range(episodes):
        obs = env.reset()
        for a in agents:
            a.reset()
        actions_ep = []
        for t in range(T):
            act = (torch.rand(B, 2, generator=g) < p_def).long()
            # state-dependent: after a defection by the other, defect more often
            act = torch.where((obs[:, [1, 0]] == 1) & (torch.rand(B, 2, generator=g) < 0.5), 1, act)
            new_obs, rew, _, _ = env.step(act)
            for a in agents:
                a.memory.states.append(obs.float())     # act() would put the policy input here
                a.observe((obs, act, rew, None, None))
            actions_ep.append(act.tolist())
            obs = new_obs
        rec = dict(actions=actions_ep)
        with contextlib.redirect_stdout(io.StringIO()):
            for i, a in enumerate(agents):
                if a.episode_count % a.target_update_period == 0:
                    a.influence_estimator.update_baselines()
                rr, grudge, vi_ij = a.compute_reciprocal_reward(i)
                rec[f"rr_{i}"] = r6(rr.flatten()); rec[f"vi_ji_lagged_{i}"] = r6(grudge.flatten())
                rec[f"vi_ij_{i}"] = r6(vi_ij.flatten())
                a.memory.clear_memory()
        eps.append(rec)
    return dict(batch=B, T=T, buffer_episodes=buffer_episodes, target_period=period, episodes=eps,
                note="rr, vi arrays are (B, T) row-major; actions (T, B, 2)")
json.dump(dict(runs=[ipd_run(1, 3), ipd_run(2, 2)]), open(f"{outdir}/ipd_rollout.json", "w"))
print("done")
