"""Compare M-FOS's printed per-episode loss (batch 64) with our round-robin runs' meta-objective curves.

From the repository root, with its venv:  python /tmp/ref/drivers/mmaml_curves.py LOGDIR
LOGDIR holds log_b64_s<id>.txt, the stdout of mfos_generate_mamaml.py.  M-FOS prints the summed loss
-sum V over 64 games and 100 steps; ours is the mean reward per step (1 - gamma) V (D-c2), so ours = -0.04 * loss / 6400.
"""
import re, sys
import numpy as np
import pandas as pd

number = re.compile(r"^-?\d+(\.\d+)?(e[-+]?\d+)?$")
for i in range(10):
    ours = pd.read_parquet(f"docs/results/raw/recip_ipd_meta/mmaml/seed{i}.parquet").sort_values("episode").objective.to_numpy()
    loss = [float(line) for line in open(f"{sys.argv[1]}/log_b64_s{i}.txt") if number.match(line.strip())]
    theirs = -np.array(loss) * (1 - 0.96) / (64 * 100)
    diff = np.abs(ours - theirs[:len(ours)])
    print(f"id {i}: episode 0 differs by {diff[0]:.1e}; first difference > 1e-3 at episode {int(np.argmax(diff > 1e-3))}")
