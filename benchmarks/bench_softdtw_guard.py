"""Speed guard of the numba soft-DTW kernels: ns per DP cell against a generous ceiling.

The kernels are fast only while LLVM vectorises their loops over the pairs, which rests on
what no correctness test observes: plain indexing, ``inline="always"``, bounds in locals,
the hand-written ``exp`` and ``log`` (see :mod:`sklearn_microts.softdtw._numba_kernels`). A
change that loses it keeps every result and costs 3 to 8 times the time. This script times
``forward_sequences`` and ``backward_sequences`` alone (the layout prepared once, as the
CPU engine does) on a fixed batch, B = 32 pairs of 250 x 75 frames of 2 channels, gamma =
0.1: the best of ``REPEAT`` calls after a warm-up, one thread. It prints ns per DP cell, the
CPU model and the load average, and exits with status 1 when a kernel is above its ceiling.

Measured on this project's 2-core virtual machine (AMD EPYC, family 25, model 17: Zen 4),
shared, load average 1 to 6; ns per cell, forward / backward, best of 15, several runs:

- as it is: 2.9 to 3.9 / 3.8 to 5.1;
- ``_exp_nonpositive`` returning ``math.exp(x)``: 11.6 to 18.7 / 12.0 to 18.0;
- ``_log_1_to_3`` returning ``math.log(s)``: 10.8 to 18.1 / 4.2 (the backward takes no log);
- ``_new_table`` without ``inline="always"``: 22.9 to 24.5 / 3.8 to 5.0.

(Without ``inline="always"`` on ``_soft_cell`` or ``_row_weights``, or with row views in
``_soft_cell``, numba 0.68 still vectorises: within the first line.) The ceiling, 10 ns per
cell for either kernel, is twice the slowest figure of the first line, room for a slower
or busier machine, an AVX2-only CPU included (compiled for one, the whole call, both
passes and the layout, took 7 to 10 ns per cell: docs/benchmarks.rst), and below every
cliff above: lost vectorisation fails the run, a slow machine does not. Not a test: no
test is ever timed.

    python benchmarks/bench_softdtw_guard.py
"""

import sys

import torch
from _harness import load_average
from bench_softdtw import GAMMA, machine_line, make_case, seconds_per_call

from sklearn_microts.softdtw import _numba_engine, _numba_kernels

CASE = "B=32 250x75"
REPEAT = 15
TIME_LIMIT = 60.0  # seconds per kernel, warm-up (compilation included) and repeats
CEILING = 10.0  # ns per DP cell, for either kernel; chosen in the module docstring


def kernel_calls():
    """The two kernels on the fixed batch, as calls without arguments, and its cell count."""
    x, y, x_lengths = make_case(CASE, torch.float64, "cpu")
    y_lengths = torch.full_like(x_lengths, y.shape[1])
    layout = _numba_engine._Layout(x_lengths, y_lengths, x.shape[1])
    xs, ys = layout.pairs_last(x), layout.pairs_last(y)
    common = (layout.x_lengths, layout.y_lengths, layout.active, GAMMA)
    _, table = _numba_kernels.forward_sequences(xs, ys, *common)
    grad_values = _numba_engine._scale(layout, torch.ones(layout.batch))
    calls = {
        "forward": lambda: _numba_kernels.forward_sequences(xs, ys, *common),
        "backward": lambda: _numba_kernels.backward_sequences(table, xs, ys, *common, grad_values),
    }
    return calls, float(x_lengths.sum()) * y.shape[1]


def main():
    torch.set_num_threads(1)
    print(machine_line("cpu"), flush=True)
    calls, cells = kernel_calls()
    slow = []
    for name, call in calls.items():
        ns_per_cell = min(seconds_per_call(call, REPEAT, "cpu", TIME_LIMIT)) / cells * 1e9
        verdict = "ok" if ns_per_cell <= CEILING else "ABOVE THE CEILING"
        print(
            f"{name}: {ns_per_cell:.2f} ns per cell (best of {REPEAT}, {CASE}, {cells:.0f} "
            f"cells), ceiling {CEILING:.0f}: {verdict}",
            flush=True,
        )
        if ns_per_cell > CEILING:
            slow.append(name)
    print(f"At the end: {load_average()}.")
    if slow:
        sys.exit(
            f"soft-DTW {' and '.join(slow)} slower than the ceiling: a kernel has likely lost "
            "its vectorisation (see the docstring of sklearn_microts/softdtw/_numba_kernels.py)."
        )


if __name__ == "__main__":
    main()
