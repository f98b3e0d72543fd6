"""Run M-FOS's own M-MAML generator, `generate_mamaml` in src/environments.py, unmodified, on the CPU.

Run from the M-FOS checkout:  cd /tmp/ref/mfos && PYTHONPATH=src python /tmp/ref/drivers/mfos_generate_mamaml.py SEED BATCH OUT
Writes OUT/theta0_s<SEED>_b<BATCH>.json (theta0, the learned inner lr alpha, seconds); the per-episode loss the
function prints goes to stdout.  One thread; about 3 min at batch 64 and 18 min at batch 4096 on a 2-core AMD EPYC.
"""
import json, os, sys, time
import torch
torch.set_num_threads(1)
torch.Tensor.cuda = lambda self, *a, **k: self   # the function moves the opponents with .cuda(); keep them on the CPU
import environments as E

seed, b, out = int(sys.argv[1]), int(sys.argv[2]), os.path.abspath(sys.argv[3])
work = os.path.join(out, f"w_s{seed}_b{b}")
os.makedirs(work, exist_ok=True)
os.chdir(work)                                   # it saves mamaml_IPD.th into the working directory
torch.manual_seed(seed)
dims, game = E.ipd_batched(b, gamma_inner=0.96)
t = time.time()
E.generate_mamaml(b, dims[0], game, "IPD")       # 1000 outer episodes, 100 inner steps, Adam lr 0.01
mamaml, alpha = torch.load("mamaml_IPD.th", weights_only=False)
rec = dict(seed=seed, batch=b, theta0=mamaml.detach().reshape(-1).tolist(), alpha=float(alpha),
           seconds=time.time() - t)
json.dump(rec, open(os.path.join(out, f"theta0_s{seed}_b{b}.json"), "w"))
print("DONE", rec)
