"""Seconds per epoch and peak memory of MicroTSClassifier, with and without soft-DTW.

200 generated cases of 1 to 250 frames with 1,280 features (EfficientNet-Lite0 size), the
default network. Each configuration trains in its own process, so that its peak resident
memory is its own; the share of the epoch spent in soft-DTW (forward and backward, cost
included) is timed around the engine.

    python benchmarks/bench_training.py
    python benchmarks/bench_training.py --epochs 5 --device cuda
"""

import argparse
import json
import platform
import resource
import subprocess
import sys
import time

import numpy as np

CONFIGS = {
    "MicroTSClassifier (full loss)": {},
    "same network, soft-DTW term off": {"lambda_dtw": 0.0},
}


def worker(name, epochs, device):
    import torch

    from sklearn_microts import MicroTSClassifier
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

    engine_of = _api._engine

    def timed_engine(engine_name):
        engine = engine_of(engine_name)

        class Timed:
            soft_dtw = staticmethod(timed(engine.soft_dtw))
            soft_dtw_backward = staticmethod(timed(engine.soft_dtw_backward))

        return Timed

    _api._engine = timed_engine
    X, y = make_microscopy_sequences(
        n_cases=200, n_features=1280, min_length=1, max_length=250, random_state=0
    )
    X = [x.astype(np.float32) for x in X]
    clf = MicroTSClassifier(
        max_epochs=epochs, patience=None, device=device, random_state=0, **CONFIGS[name]
    )
    start = time.perf_counter()
    clf.fit(X, y)
    total = time.perf_counter() - start
    epoch_seconds = [row["dur"] for row in clf.history_]
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
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.epochs, args.device)))
        return

    lines = [
        f"200 cases, 1..250 frames, 1280 features, default network, batch 16, median epoch "
        f"of {args.epochs}; {args.device}, {platform.machine()}",
        "",
        "| configuration | s / epoch | soft-DTW share | peak RSS (MB) | x no-DTW |",
        "|---|---:|---:|---:|---:|",
    ]
    results = {}
    for name in CONFIGS:
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                name,
                "--epochs",
                str(args.epochs),
                "--device",
                args.device,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results[name] = json.loads(completed.stdout.strip().splitlines()[-1])
    baseline = results["same network, soft-DTW term off"]["epoch_seconds"]
    for name, result in results.items():
        lines.append(
            f"| {name} | {result['epoch_seconds']:.2f} | {result['softdtw_share']:.1%} | "
            f"{result['peak_rss_mb']:.0f} | {result['epoch_seconds'] / baseline:.2f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.output:
        with open(args.output, "w") as file:
            file.write(text + "\n")


if __name__ == "__main__":
    main()
