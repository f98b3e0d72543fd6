#!/usr/bin/env bash
# GPU readiness check, < 30 minutes on one GPU: the smoke DAG with device=cuda, the
# training-throughput benchmark on the GPU at the default and paper settings, then the paper-scale
# preflight on the GPU (docs/cluster.md): each training rule's costliest job for two units, its
# projected time and peak memory.  Prints the figures to record in benchmarks/README.md and
# docs/cluster.md (with the GPU's name); the preflight's table is also in logs/paper/preflight/cuda.txt
# (it does not write workflow/costs.yaml, whose paper entries are CPU measurements).  Run from the repository root in an
# environment with the CUDA build of torch:  bash benchmarks/gpu_check.sh
set -euo pipefail
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print('GPU:', torch.cuda.get_device_name(0), '| torch', torch.__version__)"
start=$(date +%s)
echo "== smoke DAG with device=cuda (outputs in figures/smoke, tables/smoke) =="
timeout 300 snakemake --cores 4 --config scale=smoke device=cuda --forceall -q rules
echo "smoke DAG on cuda: $(( $(date +%s) - start )) s"
python - <<'PY'
import glob, json
devices = {json.load(open(p)).get("device") for p in glob.glob("results/smoke/**/*.json", recursive=True)}
print("devices recorded in the smoke sidecars:", sorted(d for d in devices if d))
PY
echo "== training throughput on cuda (default and paper settings) =="
timeout 240 python benchmarks/bench_train.py --device cuda --rounds 2 --updates 1 --paper
echo "== paper-scale preflight on cuda (rules pinned to cpu, e.g. the IPD ones, run on cpu) =="
timeout 1200 python -m mixedmotive preflight --scale paper --device cuda --no-write \
  --out logs/paper/preflight/cuda.txt \
  || echo "preflight: exit $? (a request too small, or a job that could not be measured: see its table)"
echo "total: $(( $(date +%s) - start )) s"
