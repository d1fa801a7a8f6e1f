"""Prediction time of MicroTSClassifier's four strategies, memory with a long case, and the
cost of the knn strategy against a large training set, exact and bounded.

1. A default MicroTSClassifier trained for one epoch on 200 generated cases of 1 to 250
   frames with 1,280 features predicts the same 200 cases with each strategy: the network's
   forward pass, which every strategy shares, then the strategy itself (median of 3).
2. Peak resident memory of predict (``vote``, which includes ``knn``) on 30 cases of 5 to
   15 frames with 8 features plus one long case of 300, 600 or 1,500 frames, the model
   trained on the 30 short cases.
3. The knn strategy's DTW work against 20,000 training cases: ``cdist_dtw`` between 100
   test and 20,000 training sequences of class probabilities (2 channels, 1 to 250 frames),
   against all of them (exact search) and against ``knn_reference_size=1000`` of them.

Every configuration runs in its own process within ``--time-limit`` seconds; one that runs
out of time or fails is a row of the table.

    python benchmarks/bench_inference.py
    python benchmarks/bench_inference.py --device cuda
"""

import argparse
import json
import platform
import resource
import time

import numpy as np
from _harness import Table, cpu_model, load_average, run_isolated

STRATEGIES = ("ap", "dtw", "knn", "vote")
LONG_CASES = (300, 600, 1500)
N_TRAIN, N_TEST, REFERENCE_SIZE = 20_000, 100, 1_000


def predict_times(device):
    from sklearn_microts import MicroTSClassifier
    from sklearn_microts.datasets import make_microscopy_sequences

    X, y = make_microscopy_sequences(
        n_cases=200, n_features=1280, min_length=1, max_length=250, random_state=0
    )
    X = [x.astype(np.float32) for x in X]
    clf = MicroTSClassifier(max_epochs=1, patience=None, device=device, random_state=0)
    clf.fit(X, y)
    # predict = the network's forward pass, shared by every strategy, + the strategy
    clf.predict(X[:10])  # warm-up: kernels compiled, caches filled
    start = time.perf_counter()
    outputs, lengths = clf._forward(X)
    times = {"forward": time.perf_counter() - start}
    for strategy in STRATEGIES:
        clf.set_params(strategy=strategy)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            clf._proba_from_outputs(outputs, lengths)
            runs.append(time.perf_counter() - start)
        times[strategy] = float(np.median(runs))
    return times


def long_case_memory(device, long_case):
    from sklearn_microts import MicroTSClassifier

    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 8)) for n in rng.integers(5, 16, size=30)]
    clf = MicroTSClassifier(
        d_model=24, mlp_dim=48, max_epochs=2, patience=None, device=device, random_state=0
    )
    clf.fit(X, np.arange(len(X)) % 2)  # short cases only: the peak below is predict's
    X.append(rng.normal(size=(long_case, 8)))
    start = time.perf_counter()
    clf.predict(X)
    return {
        "predict_seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def knn_work(device, reference_size):
    import torch

    from sklearn_microts.classifiers._microts import _reference_cases
    from sklearn_microts.softdtw import cdist_dtw

    rng = np.random.default_rng(0)

    def probabilities(n_cases):
        lengths = rng.integers(1, 251, size=n_cases)
        first = rng.random((n_cases, 250, 1))
        return torch.from_numpy(np.concatenate([first, 1 - first], 2)).to(device), lengths

    test, test_lengths = probabilities(N_TEST)
    train, train_lengths = probabilities(N_TRAIN)
    labels = rng.integers(0, 2, size=N_TRAIN)
    start = time.perf_counter()
    reference = _reference_cases(labels, reference_size)
    cdist_dtw(
        test,
        train[torch.from_numpy(reference).to(device)],
        x_lengths=test_lengths,
        y_lengths=train_lengths[reference],
    )
    return {"seconds": time.perf_counter() - start, "reference": int(reference.sum())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per row")
    parser.add_argument("--output", help="also write the tables to this file")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *values = args.worker
        if kind == "predict":
            result = predict_times(args.device)
        elif kind == "memory":
            result = long_case_memory(args.device, int(values[0]))
        else:
            result = knn_work(args.device, None if values[0] == "all" else int(values[0]))
        print(json.dumps(result))
        return

    def run(*worker):
        arguments = ["--device", args.device, "--worker", *map(str, worker)]
        return run_isolated(__file__, arguments, args.time_limit)

    table = Table(args.output)
    table.add(
        f"{args.device}, {cpu_model()}, {platform.machine()}, {load_average()}; "
        f"{args.time_limit:.0f} s per row at most",
        "",
    )
    table.add(
        "| strategy | forward (s) | strategy (s) | predict 200 cases (s) | x dtw |",
        "|---|---:|---:|---:|---:|",
    )
    times = run("predict")
    for strategy in STRATEGIES:
        if isinstance(times, str):
            table.add(f"| {strategy} | {times} | - | - | - |")
            continue
        forward, own = times["forward"], times[strategy]
        total, ratio = forward + own, (forward + own) / (forward + times["dtw"])
        table.add(f"| {strategy} | {forward:.2f} | {own:.3f} | {total:.2f} | {ratio:.2f} |")
    table.add("", "| long case (frames) | peak RSS of predict (MB) | predict (s) |")
    table.add("|---:|---:|---:|")
    for long_case in LONG_CASES:
        result = run("memory", long_case)
        if isinstance(result, str):
            table.add(f"| {long_case} | {result} | - |")
        else:
            rss, seconds = result["peak_rss_mb"], result["predict_seconds"]
            table.add(f"| {long_case} | {rss:.0f} | {seconds:.2f} |")
    table.add(
        "", f"| knn search, {N_TEST} test cases | reference cases | seconds |", "|---|---:|---:|"
    )
    for label, size in [("exact", "all"), ("knn_reference_size", REFERENCE_SIZE)]:
        result = run("knn", size)
        if isinstance(result, str):
            table.add(f"| {label} | {N_TRAIN if size == 'all' else size} | {result} |")
        else:
            table.add(f"| {label} | {result['reference']} | {result['seconds']:.2f} |")
    table.add("", f"At the end: {load_average()}.")


if __name__ == "__main__":
    main()
