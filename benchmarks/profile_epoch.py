"""Where a training epoch of MicroTSClassifier spends its time, by Python function and by
torch operator, on bench_training's data (200 cases, 1 to 250 frames, 1,280 features), or
with ``--long`` on long univariate series (the 537 training cases of sktime's PLAID, 100 to
1,344 frames, 1 feature, 11 classes; one torch thread).

Two epochs are trained (the first warms up kernels and caches) under cProfile, then two
more under torch's profiler; the tables list the functions and operators that take most.

    python benchmarks/profile_epoch.py --device cuda --output profile.txt
    python benchmarks/profile_epoch.py --long
"""

import argparse
import cProfile
import io
import pstats
import time

import numpy as np
import torch
from _harness import Table

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rows", type=int, default=25)
    parser.add_argument("--output", help="also write the tables to this file")
    parser.add_argument("--long", action="store_true", help="long univariate series (PLAID)")
    args = parser.parse_args()
    if args.long:
        from bench_long_series import load

        X, y, _, _ = load("plaid")
        threads = {"n_threads": 1}
    else:
        X, y = make_microscopy_sequences(
            n_cases=200, n_features=1280, min_length=1, max_length=250, random_state=0
        )
        threads = {}
    X = [x.astype(np.float32) for x in X]

    def fit():
        clf = MicroTSClassifier(
            max_epochs=2, patience=None, device=args.device, random_state=0, **threads
        )
        start = time.perf_counter()
        clf.fit(X, y)
        return time.perf_counter() - start, [row["dur"] for row in clf.history_]

    profiler = cProfile.Profile()
    seconds, epochs = profiler.runcall(fit)
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(args.rows)
    lines = [f"cProfile: fit {seconds:.2f} s, epochs {epochs} s; {args.device}", stream.getvalue()]

    activities = [torch.profiler.ProfilerActivity.CPU]
    if args.device == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        seconds, epochs = fit()
    lines.append(f"torch.profiler: fit {seconds:.2f} s, epochs {epochs} s")
    lines.append(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))
    if args.device == "cuda":
        lines.append(prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=15))
    Table(args.output).add(*lines)


if __name__ == "__main__":
    main()
