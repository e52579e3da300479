#!/usr/bin/env bash
# The GPU checks (issues 5 and 12), in one script for a lent GPU machine (see docs/performance.md):
#   bash benchmarks/gpu_check.sh
# Runs the CUDA tests, the CUDA benchmark, one real `gancurve train --device cuda`, the batched
# engine on the GPU for N = 64..4096 members and one real `gancurve sweep --device cuda`.
# numba (the CPU engine) must be importable too: bring it as wheels in .whl/ like safetensors.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
# The GPU machine has no network: bring safetensors as a wheel in .whl/ (carried with the run):
#   pip download --no-deps safetensors -d .whl
python3 -c "import safetensors" 2>/dev/null || python3 -m pip install -q --no-index --find-links .whl safetensors || exit 1
python3 -c "import numba" 2>/dev/null || python3 -m pip install -q --no-index --find-links .whl numba || exit 1
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
echo "== the batched engine on the GPU (model-steps/s; goal >= 1,000,000 at N = 4096)"
python3 benchmarks/bench_sweep.py --device cuda --members 64,1024,4096 --steps 256 --repeats 2
echo "== gancurve sweep --device cuda (end to end, 100 seeds)"
/usr/bin/time -f "wall %e s" python3 -m gancurve sweep --seeds 1-100 --device cuda --runs-dir "$runs" --name gpu --json \
  | python3 -c "import json,sys; d=json.load(sys.stdin); a=d['aggregate']; print('sweep:', d['seconds'], 's', a['converged'], 'of', a['members'], 'W1 median', a['w1_median'])"
echo "== the recipes on CUDA (issue 13): penalties' double backward inside a CUDA graph, a grid"
python3 -m gancurve train --steps 2000 --device cuda --loss wasserstein-gp --d-steps 5 --ema 0.999 --runs-dir "$runs" \
  --name wgan --json | python3 -c "import json,sys; d=json.load(sys.stdin); print('wgan-gp:', d['seconds'], 's', d['final'].get('w1'), d['warnings'])"
python3 -m gancurve sweep --seeds 20 --steps 2000 --device cuda --recipe tutorial,best --r1 0,1 --runs-dir "$runs" \
  --name grid --json | python3 -c "import json,sys; d=json.load(sys.stdin); print('grid:', d['seconds'], 's', [(r['recipe'], r['aggregate']['w1_median']) for r in d['recipes']])"
echo "== the conditional GAN on CUDA (issue 14): a label and a requested a, one run and one sweep each"
python3 -m gancurve train --steps 5000 --device cuda --condition label --runs-dir "$runs" --name cond-label --json \
  | python3 -c "import json,sys; d=json.load(sys.stdin); print('label:', d['seconds'], 's', d['final'].get('w1_label_0'), d['final'].get('w1_label_1'), d['warnings'])"
python3 -m gancurve sweep --seeds 20 --steps 5000 --device cuda --condition a --runs-dir "$runs" --name cond-a --json \
  | python3 -c "import json,sys; d=json.load(sys.stdin); a=d['aggregate']; print('a sweep:', d['seconds'], 's', a['a_error_mean'], a['converged'], 'of', a['members'])"
