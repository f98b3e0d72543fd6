"""Play every generated theta0 against NL with the round robin's evaluation (ours; no reference code needed).

From the repository root, with its venv:  python /tmp/ref/drivers/mmaml_vs_nl.py OUT   (OUT: mfos_generate_mamaml.py's folder)
100 updates, 8192 games seeded with the id, NL lr 1; M-MAML steps with lr 1 (M-FOS's evaluation) and with its
learned alpha.  Prints one markdown row per (batch, id).
"""
import glob, json, sys
import torch
from mixedmotive.agents.ipd_analytic import NaiveLearner, play
from mixedmotive.agents.ipd_meta import MMAMLAgent
torch.set_num_threads(1)


def vs_nl(theta0, lr, i):
    out = play(MMAMLAgent(theta0, lr), NaiveLearner(1.0), n_updates=100, batch=8192, seed=i, gamma=0.96)
    return out["mean_1"], out["mean_2"]


recs = sorted((json.load(open(f)) for f in glob.glob(sys.argv[1] + "/theta0_*.json")),
              key=lambda r: (r["batch"], r["seed"]))
for r in recs:
    th, i = torch.tensor(r["theta0"], dtype=torch.float32), r["seed"]
    (own, nl), (own_a, _) = vs_nl(th, 1.0, i), vs_nl(th, r["alpha"], i)
    p = ", ".join(f"{v:.2f}" for v in torch.sigmoid(th.double()).tolist())
    print(f"| {r['batch']} | {i} | {p} | {r['alpha']:.2f} | {own:.3f} / {nl:.3f} | {own_a:.3f} | "
          f"{'yes' if own >= -1.5 else 'no'} |")
