"""Seconds per epoch and peak memory of MicroTSClassifier (with and without its soft-DTW
loss) and of the paper's baselines.

200 generated cases of 1 to 250 frames with 1,280 features (EfficientNet-Lite0 size), each
model with its default parameters (TransMIL with 64 Nystrom landmarks instead of 256: on
a CPU, 256 cost ~1.3 s per bag). Each configuration trains in its own process, so that its
peak resident memory is its own, within a time limit (a configuration that runs out of
time or fails is a row of the table); the share of the time spent in soft-DTW (forward and
backward, cost included) is timed around the engine.

    python benchmarks/bench_training.py
    python benchmarks/bench_training.py --epochs 5 --device cuda
"""

import argparse
import json
import platform
import resource
import time

import numpy as np
from _harness import Table, run_isolated

# name: (estimator class, its import path, parameters)
# The network without its soft-DTW term first: the last column divides by its epoch.
CONFIGS = {
    "same network, soft-DTW term off": (
        "MicroTSClassifier",
        "sklearn_microts",
        {"lambda_dtw": 0.0},
    ),
    "MicroTSClassifier (full loss)": ("MicroTSClassifier", "sklearn_microts", {}),
    "LSTMClassifier": ("LSTMClassifier", "sklearn_microts.baselines", {}),
    "GRUClassifier": ("GRUClassifier", "sklearn_microts.baselines", {}),
    "TransformerClassifier": ("TransformerClassifier", "sklearn_microts.baselines", {}),
    "ABMILClassifier": ("ABMILClassifier", "sklearn_microts.baselines", {}),
    "TransMILClassifier (64 landmarks)": (
        "TransMILClassifier",
        "sklearn_microts.baselines",
        {"n_landmarks": 64},
    ),
}


def worker(name, epochs, device):
    import importlib

    import torch

    from sklearn_microts.datasets import make_microscopy_sequences
    from sklearn_microts.softdtw import _api

    spent = {"softdtw": 0.0}

    def timed(function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent["softdtw"] += time.perf_counter() - start

        return wrapper

    engine_of = _api.get_engine

    def timed_engine(engine_name):
        engine = engine_of(engine_name)

        class Timed:
            soft_dtw = staticmethod(timed(engine.soft_dtw))
            soft_dtw_backward = staticmethod(timed(engine.soft_dtw_backward))

        return Timed

    _api.get_engine = timed_engine
    X, y = make_microscopy_sequences(
        n_cases=200, n_features=1280, min_length=1, max_length=250, random_state=0
    )
    X = [x.astype(np.float32) for x in X]
    class_name, module, params = CONFIGS[name]
    estimator = getattr(importlib.import_module(module), class_name)
    clf = estimator(max_epochs=epochs, patience=None, device=device, random_state=0, **params)
    start = time.perf_counter()
    clf.fit(X, y)
    total = time.perf_counter() - start
    # The first epoch compiles kernels (Triton's on a GPU) and warms caches: not counted
    epoch_seconds = [row["dur"] for row in clf.history_][1:] or [clf.history_[0]["dur"]]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
    return {
        "epoch_seconds": float(np.median(epoch_seconds)),
        "softdtw_share": spent["softdtw"] / total,
        "peak_rss_mb": peak_mb,
        "peak_gpu_mb": gpu_mb,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", help="also write the table to this file")
    parser.add_argument(
        "--time-limit", type=float, default=600.0, help="seconds per configuration, at most"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.epochs, args.device)))
        return

    table = Table(args.output)
    table.add(
        f"200 cases, 1..250 frames, 1280 features, default parameters, batch 16, median "
        f"epoch of epochs 2 to {args.epochs}; {args.device}, {platform.machine()}, at most "
        f"{args.time_limit:.0f} s per configuration",
        "",
        "| configuration | s / epoch | soft-DTW share | peak RSS (MB) | x MicroTS no-DTW |",
        "|---|---:|---:|---:|---:|",
    )
    baseline = None
    for name in CONFIGS:
        arguments = ["--worker", name, "--epochs", str(args.epochs), "--device", args.device]
        result = run_isolated(__file__, arguments, args.time_limit)
        if name == "same network, soft-DTW term off" and isinstance(result, dict):
            baseline = result["epoch_seconds"]
        if isinstance(result, str):  # ran out of time or failed: a result too
            table.add(f"| {name} | {result} | - | - | - |")
            continue
        ratio = "-" if baseline is None else f"{result['epoch_seconds'] / baseline:.2f}"
        table.add(
            f"| {name} | {result['epoch_seconds']:.2f} | {result['softdtw_share']:.1%} | "
            f"{result['peak_rss_mb']:.0f} | {ratio} |"
        )


if __name__ == "__main__":
    main()
