#!/usr/bin/env bash
# The GPU checks of issue 5, in one script for a lent GPU machine (see docs/performance.md):
#   bash benchmarks/gpu_check.sh
# Runs the CUDA tests, the CUDA benchmark and one real `gancurve train --device cuda`.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
# The GPU machine has no network: bring safetensors as a wheel in .whl/ (carried with the run):
#   pip download --no-deps safetensors -d .whl
python3 -c "import safetensors" 2>/dev/null || python3 -m pip install -q --no-index --find-links .whl safetensors || exit 1
python3 -c "import gancurve" 2>/dev/null || python3 -m pip install -q --no-deps -e . || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())"
echo "== CUDA tests"
python3 -m pytest -q -p no:cacheprovider tests/test_engines.py -k "cuda or graph" -rs
echo "== CUDA benchmark"
python3 benchmarks/bench_gpu.py --steps 10000
echo "== gancurve train --device cuda (end to end)"
runs=$(mktemp -d)
/usr/bin/time -f "wall %e s" python3 -m gancurve train --steps 10000 --device cuda --runs-dir "$runs" --json \
  | python3 -c "import json,sys; d=json.load(sys.stdin); print('train:', d['seconds'], 's', d['final'].get('w1'), d['warnings'])"
python3 -m gancurve evaluate --runs-dir "$runs" -n 10000
