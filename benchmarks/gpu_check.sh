#!/usr/bin/env bash
# GPU readiness check (issue 15), < 8 minutes on one GPU: the smoke DAG with device=cuda, then the
# training-throughput benchmark on the GPU at the default and paper settings.  Prints the figures
# to record in benchmarks/README.md (with the GPU's name).  Run from the repository root in an
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
echo "total: $(( $(date +%s) - start )) s"
