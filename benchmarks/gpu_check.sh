#!/usr/bin/env bash
# The GPU checks of one short run on a CUDA machine, outputs in $OUT (or ./gpu_check):
# what the machine has, the GPU and Triton tests, bench_softdtw, bench_inference and
# bench_training with --device cuda (each step and each configuration within a time limit,
# so that every table comes out), and a profile of one training epoch. It exits with 1 when
# any step failed or ran out of time (each step's status is in the log: "=== NAME: exit N").
#
# The machine's own torch, Triton, numpy and numba are used as they are (never replaced);
# packages it lacks travel as wheels in .whl/ (pip download ... -d .whl skorch PyWavelets
# nystrom-attention) and are installed beside it, and the package is read from the checkout.
#
#     bash benchmarks/gpu_check.sh
set -u -o pipefail
OUT=${OUT:-gpu_check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
log="$OUT/log.txt"
failed=0

step() {  # step SECONDS NAME COMMAND...: one step, its output in the log, never fatal
    local seconds=$1 name=$2
    shift 2
    echo "=== $name ($(date +%T), at most ${seconds} s)" | tee -a "$log"
    timeout "$seconds" "$@" 2>&1 | tee -a "$log"
    local status=${PIPESTATUS[0]}
    echo "=== $name: exit $status" | tee -a "$log"
    [ "$status" -eq 0 ] || failed=1
}

if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl 2>&1 | tee -a "$log"
    export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
step 30 environment python3 -c "
import sys, numpy, numba, torch, triton
print(sys.version.split()[0], 'torch', torch.__version__, 'triton', triton.__version__,
      'numpy', numpy.__version__, 'numba', numba.__version__)
print(torch.cuda.get_device_name(), torch.cuda.get_device_properties(0).total_memory // 2**30, 'GiB')"
step 50 tests_gpu python3 -m pytest -q -p no:cacheprovider -m gpu tests/softdtw/test_api.py \
    tests/softdtw/test_triton_recursion.py tests/nn/test_data.py tests/classifiers/test_microts.py
step 60 tests_triton python3 -m pytest -q -p no:cacheprovider tests/softdtw/test_triton_recursion.py
step 40 tests_inference python3 -m pytest -q -p no:cacheprovider tests/classifiers/test_microts_inference.py
step 150 bench_training python3 benchmarks/bench_training.py --device cuda --epochs 2 \
    --time-limit 30 --output "$OUT/bench_training_cuda.txt"
step 90 bench_inference python3 benchmarks/bench_inference.py --device cuda \
    --time-limit 40 --output "$OUT/bench_inference_cuda.txt"
step 90 bench_softdtw python3 benchmarks/bench_softdtw.py --device cuda --repeat 7 \
    --time-limit 4 --output "$OUT/bench_softdtw_cuda.txt"
step 40 profile python3 benchmarks/profile_epoch.py --device cuda \
    --output "$OUT/profile_epoch_cuda.txt"
exit $failed
