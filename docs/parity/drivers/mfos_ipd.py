"""Produce IPD-Analytic parity numbers from M-FOS (luchris429/model-free-opponent-shaping).

Run from the M-FOS checkout:  cd /tmp/ref/mfos && PYTHONPATH=src python /tmp/ref/drivers/mfos_ipd.py OUT.json
Everything in float64 (default dtype set before the reference module builds its payoff tensors).
"""
import json, math, sys
import torch
torch.set_default_dtype(torch.float64)
torch.Tensor.cuda = lambda self, *a, **k: self  # the reference calls .cuda() in places; CPU here
_load = torch.load
torch.load = lambda f, **k: _load(f, map_location="cpu", weights_only=False)  # files were saved from CUDA
import environments as E

G = 0.96
out = {}

def fixed_thetas(n, k):
    i = torch.arange(n * 5, dtype=torch.float64).reshape(n, 5)
    return 2.5 * torch.sin(1.3 * i + 0.7 * k) + 0.5 * torch.cos(0.37 * i * (k + 1))

# (1) exact values of memory-1 pairs
n = 12
t1, t2 = fixed_thetas(n, 1), fixed_thetas(n, 2)
t1[0], t2[0] = 0.0, 0.0           # both uniform
t1[1], t2[1] = 20.0, 20.0         # near always-cooperate
t1[2], t2[2] = -20.0, -20.0       # near always-defect
t1[3] = torch.tensor([20., 20., -20., 20., -20.]); t2[3] = t1[3]  # TFT-like pair
_, Ls = E.ipd_batched(n, gamma_inner=G)
l1, l2, M = Ls([t1, t2])
out["values"] = dict(theta_1=t1.tolist(), theta_2=t2.tolist(),
                     v_1=(-l1.squeeze(-1) * (1 - G)).tolist(), v_2=(-l2.squeeze(-1) * (1 - G)).tolist(),
                     occupancy=M.squeeze(1).tolist())

# (2) NonMfosMetaGames matches from fixed initial logits: per-update rewards and final logits
B, STEPS = 4, 10
def run_pair(p1, p2, init1, init2, init_mamaml=None):
    env = E.NonMfosMetaGames(B, p1=p1, p2=p2, game="IPD", mmapg_id=0)
    env.p1_th_ba = init1.clone().requires_grad_(True)
    env.p2_th_ba = init2.clone().requires_grad_(True)
    if init_mamaml is not None:   # as reset() does for MAMAML players: theta0 broadcast, non-leaf
        if p1 == "MAMAML":
            env.p1_th_ba = init_mamaml.detach() * torch.ones((B, 5), requires_grad=True)
        if p2 == "MAMAML":
            env.p2_th_ba = init_mamaml.detach() * torch.ones((B, 5), requires_grad=True)
    r_p1, r_p2 = [], []
    start1, start2 = env.p1_th_ba.detach().clone(), env.p2_th_ba.detach().clone()
    for _ in range(STEPS):
        _, r0, r1, _ = env.step()
        r_p1.append(r0.squeeze(-1).detach().tolist()); r_p2.append(r1.squeeze(-1).detach().tolist())
    return dict(p1=p1, p2=p2, init_p1=start1.tolist(), init_p2=start2.tolist(),
                reward_p1=r_p1, reward_p2=r_p2,
                final_p1=env.p1_th_ba.detach().tolist(), final_p2=env.p2_th_ba.detach().tolist())

mam0 = torch.load("data/mamaml_IPD_0.th", map_location="cpu", weights_only=False)  # a (1, 5) tensor
mam0 = mam0.detach().to(torch.float64)
a, b = 0.8 * fixed_thetas(B, 3), 0.8 * fixed_thetas(B, 4)
out["matches"] = [run_pair("NL", "NL", a, b), run_pair("LOLA", "NL", a, b), run_pair("NL", "LOLA", a, b),
                  run_pair("LOLA", "LOLA", a, b), run_pair("MAMAML", "NL", a, b, mam0),
                  run_pair("MAMAML", "LOLA", a, b, mam0)]
out["mamaml_IPD_0"] = dict(theta0=mam0.reshape(-1).tolist())

# (3) MetaGames (MFOS vs NL): reward/state semantics for a fixed sequence of outer (MFOS) logits
env = E.MetaGames(B, opponent="NL", game="IPD")
inner0 = 0.8 * fixed_thetas(B, 5)
env.inner_th_ba = inner0.clone().requires_grad_(True)
outers = [fixed_thetas(B, 6 + s) for s in range(5)]
states, r_out, r_in = [], [], []
for o in outers:
    s, ro, ri, _ = env.step(o)
    states.append(s.tolist()); r_out.append(ro.squeeze(-1).tolist()); r_in.append(ri.squeeze(-1).tolist())
out["metagames_nl"] = dict(inner_init=inner0.tolist(), outer=[o.tolist() for o in outers], state=states,
                           reward_outer=r_out, reward_inner=r_in, inner_final=env.inner_th_ba.detach().tolist())

# (4) the inner unroll of generate_mamaml (its outer loss and the gradient wrt (mamaml, alpha))
_, Ls = E.ipd_batched(B, gamma_inner=G)
mamaml = fixed_thetas(1, 7).clone().requires_grad_(True)
alpha = torch.tensor([0.6], requires_grad=True)
opp = (0.8 * fixed_thetas(B, 8)).clone().requires_grad_(True)
agent = mamaml.clone().repeat(B, 1)
total = 0
UNROLL = 10
for step in range(UNROLL):
    l1, l2, _ = Ls([opp, agent])
    total = total + l2.sum()
    og = E.get_gradient(l1.sum(), opp); ag = E.get_gradient(l2.sum(), agent)
    opp = opp - og * 1.0
    agent = agent - ag * alpha
total.sum().backward()
out["mamaml_unroll"] = dict(theta0=mamaml.detach().reshape(-1).tolist(), alpha=0.6,
                            opp_init=(0.8 * fixed_thetas(B, 8)).tolist(), inner_steps=UNROLL, inner_lr_opp=1.0,
                            total_agent_loss=float(total), grad_theta0=mamaml.grad.reshape(-1).tolist(),
                            grad_alpha=float(alpha.grad))
json.dump(out, open(sys.argv[1], "w"))
print("ok", len(json.dumps(out)))
