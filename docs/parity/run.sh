#!/usr/bin/env bash
# Re-run the parity comparisons of docs/parity.md against the reference code.  Not part of the test suite: it
# clones the two reference repositories at their pinned commits into a scratch folder (needs github.com), installs
# torch in a separate venv for them (never the project's), runs the drivers of docs/parity/drivers/ there, rewrites
# tests/fixtures/parity/*.json from their outputs (`git diff` then shows whether they are byte-identical), and runs
# our side.  Usage, from anywhere:
#     docs/parity/run.sh              # fixtures (~20 s of driver time) and tests/test_parity.py
#     docs/parity/run.sh --generator  # + M-FOS's M-MAML generator on ids 0-9 at batch 64 and 4096 (~3 min and
#                                     #   ~18 min per run, one thread each) and its evaluation against NL
# The scratch folder is /tmp/ref and the reference venv /tmp/refenv: the fixtures' `_source.command` names these.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
REF=/tmp/ref
VENV=/tmp/refenv
PY="${PYTHON:-python3}"   # the project's interpreter for our side (mixedmotive importable)

# 1. the references at pinned commits, and the drivers, in the scratch folder
mkdir -p "$REF/drivers" "$REF/out" "$REF/gen"
cp "$REPO"/docs/parity/drivers/*.py "$REF/drivers/"
cd "$REF"
[ -d reciprocator ] || git clone https://github.com/johnlyzhou/reciprocator.git reciprocator
git -C reciprocator checkout -q 0a9c30a0cd77995d9a348cb38342c939913d6c0d
[ -d mfos ] || git clone https://github.com/luchris429/model-free-opponent-shaping.git mfos
git -C mfos checkout -q 3efb169c39ece7acdaa3f742c5618b7bb11e93d6
# 2. a separate venv for the reference code
[ -x "$VENV/bin/python" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install torch==2.13.0 tqdm numpy; }
# 3. the deterministic comparisons: raw outputs, then the fixtures
(cd "$REF/reciprocator" && PYTHONPATH=. "$VENV/bin/python" "$REF/drivers/recip.py" "$REF/out")
(cd "$REF/mfos" && PYTHONPATH=src "$VENV/bin/python" "$REF/drivers/mfos_ipd.py" "$REF/ipd_mfos_raw.json")
python3 "$REF/drivers/header.py" "$REPO/tests/fixtures/parity"
# 3b. M-FOS's own M-MAML generator (optional, long)
if [ "${1:-}" = "--generator" ]; then
    for b in 64 4096; do for s in 0 1 2 3 4 5 6 7 8 9; do
        (cd "$REF/mfos" && PYTHONPATH=src "$VENV/bin/python" -u "$REF/drivers/mfos_generate_mamaml.py" "$s" "$b" \
            "$REF/gen" > "$REF/gen/log_b${b}_s$s.txt")
    done; done
fi
# 4. our side
cd "$REPO"
git status --short tests/fixtures/parity
PYTHONPATH="$REPO/src" "$PY" -m pytest -q tests/test_parity.py
if [ "${1:-}" = "--generator" ]; then
    PYTHONPATH="$REPO/src" "$PY" "$REF/drivers/mmaml_vs_nl.py" "$REF/gen"
    PYTHONPATH="$REPO/src" "$PY" "$REF/drivers/mmaml_curves.py" "$REF/gen"
fi
