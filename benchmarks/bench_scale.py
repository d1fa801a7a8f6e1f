"""Time and peak memory of MicroTSClassifier as the data grow: many short cases, one long
case among short ones, and long univariate series of many classes; fit and each inference
strategy's predict, with growth exponents.

- cases: 1,000, 5,000 and 20,000 generated cases of 5 to 30 frames with 64 features,
  predicted on as many new cases;
- long case: 63 cases of 20 to 100 frames and one case of 500, 2,000 or 5,000 frames, with
  1,280 features (EfficientNet-Lite0 size), predicted on the same 64 cases;
- long univariate: 500 training cases of 100 to 1,400 frames, 1 feature and 11 classes
  (:func:`~sklearn_microts.datasets.make_periodic_sequences`), predicted on 500 new cases
  of the same classes; also the seconds per epoch and each strategy's accuracy.

Default MicroTSClassifier apart from ``max_epochs`` (``--epochs``) and no early stopping
(the long univariate group keeps its early stopping: its accuracy is read at the defaults
with ``--epochs 100``).
Each fit, and each strategy's predict (on the fitted model loaded from a pickle), runs in a
fresh process: its peak memory is that process's peak resident set size (``ru_maxrss``,
Python and torch included, about 0.4 GB), and a configuration that runs out of time or
fails is a row of the table. The exponent is the least-squares slope of log(seconds) and
log(peak RSS) against log(size) over the sizes that finished.

    python benchmarks/bench_scale.py --quick
    python benchmarks/bench_scale.py --epochs 2 --output scale.md
"""

import argparse
import json
import os
import pickle
import resource
import tempfile
import time

import numpy as np
import torch
from _harness import Table, cpu_model, load_average, run_isolated

STRATEGIES = ("ap", "dtw", "knn", "vote")
SIZES = {
    "cases": (1000, 5000, 20000),
    "long case": (500, 2000, 5000),
    "long univariate": (500,),
}
QUICK_SIZES = {"cases": (100, 300), "long case": (100, 300), "long univariate": (50,)}
N_FEATURES = {"cases": 64, "long case": 1280, "long univariate": 1}
SCORED = ("long univariate",)  # the groups whose accuracy is measured


def make_data(group, size, seed):
    """Cases and labels of a configuration; the same for the same seed."""
    from sklearn_microts.datasets import make_microscopy_sequences, make_periodic_sequences

    if group == "long univariate":
        # One draw of twice the cases, so that the new cases share the classes' waveforms:
        # the first half trains (seed 0), the second is predicted (seed 1).
        X, y = make_periodic_sequences(2 * size, random_state=0)
        half = slice(None, size) if seed == 0 else slice(size, None)
        return X[half], y[half]
    n_features = N_FEATURES[group]
    if group == "cases":
        return make_microscopy_sequences(
            n_cases=size, n_features=n_features, min_length=5, max_length=30, random_state=seed
        )
    X, y = make_microscopy_sequences(
        n_cases=63, n_features=n_features, min_length=20, max_length=100, random_state=seed
    )
    long_X, long_y = make_microscopy_sequences(
        n_cases=1, n_features=n_features, min_length=size, max_length=size, random_state=seed
    )
    return X + long_X, np.concatenate([y, long_y])


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fit_worker(group, size, epochs, model_path):
    from sklearn_microts import MicroTSClassifier

    X, y = make_data(group, size, seed=0)
    early_stopping = {} if group in SCORED else {"patience": None}
    clf = MicroTSClassifier(max_epochs=epochs, device="cpu", random_state=0, **early_stopping)
    start = time.perf_counter()
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    with open(model_path, "wb") as file:
        pickle.dump(clf, file)
    epoch_seconds = [row["dur"] for row in clf.history_]
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "epochs": len(epoch_seconds),
        "epoch_seconds": float(np.median(epoch_seconds)),
    }


def predict_worker(group, size, strategy, model_path):
    with open(model_path, "rb") as file:
        clf = pickle.load(file)
    # New cases for many short ones and long series; the training cases around a long case.
    X, y = make_data(group, size, seed=0 if group == "long case" else 1)
    clf.set_params(strategy=strategy)
    clf.predict(X[:2])  # compiles the DTW kernels: a one-time cost, not the strategy's
    start = time.perf_counter()
    predicted = clf.predict(X)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "accuracy": float(np.mean(predicted == y)),
    }


def exponent(sizes, values):
    """Least-squares slope of log(value) against log(size); '-' with fewer than 2 points."""
    points = [(s, v) for s, v in zip(sizes, values, strict=True) if v is not None]
    if len(points) < 2:
        return "-"
    slope = np.polyfit(*np.log(np.array(points, dtype=float)).T, 1)[0]
    return f"{slope:.2f}"


def cell(result, scored):
    if isinstance(result, str):
        return result
    text = f"{result['seconds']:.1f} s, {result['peak_rss_mb']:.0f} MB"
    if scored and "epochs" in result:
        text += f", {result['epochs']} epochs of {result['epoch_seconds']:.1f} s"
    if scored and "accuracy" in result:
        text += f", accuracy {result['accuracy']:.3f}"
    return text


def run_group(table, group, sizes, args):
    phases = ("fit", *STRATEGIES)
    table.add(
        "",
        f"### {group} ({N_FEATURES[group]} features)",
        "",
        f"| {group} | " + " | ".join(phases) + " |",
        "|---:|" + "---:|" * len(phases),
    )
    results = {phase: [] for phase in phases}
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            model_path = os.path.join(folder, "model.pkl")
            common = ["--group", group, "--size", str(size), "--model", model_path]
            fit_args = ["--worker", "fit", "--epochs", str(args.epochs), *common]
            row = {"fit": run_isolated(__file__, fit_args, args.time_limit)}
            for strategy in STRATEGIES:
                if isinstance(row["fit"], str):
                    row[strategy] = "no model"
                    continue
                predict_args = ["--worker", "predict", "--strategy", strategy, *common]
                row[strategy] = run_isolated(__file__, predict_args, args.time_limit)
        for phase in phases:
            results[phase].append(row[phase] if isinstance(row[phase], dict) else None)
        cells = (cell(row[phase], group in SCORED) for phase in phases)
        table.add(f"| {size:,} | " + " | ".join(cells) + " |")
    for measure, unit in (("seconds", "time"), ("peak_rss_mb", "peak RSS")):
        slopes = [exponent(sizes, [r and r[measure] for r in results[phase]]) for phase in phases]
        table.add(f"| exponent of {unit} | " + " | ".join(slopes) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="training epochs (default: 2)")
    parser.add_argument("--quick", action="store_true", help="small sizes, one epoch")
    parser.add_argument("--group", choices=sorted(SIZES), help="only this group (default: both)")
    parser.add_argument("--output", help="also write the table to this file")
    parser.add_argument(
        "--time-limit", type=float, default=900.0, help="seconds per process, at most"
    )
    parser.add_argument("--worker", choices=("fit", "predict"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--strategy", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "fit":
        print(json.dumps(fit_worker(args.group, args.size, args.epochs, args.model)))
        return
    if args.worker == "predict":
        print(json.dumps(predict_worker(args.group, args.size, args.strategy, args.model)))
        return

    if args.quick:
        args.epochs = 1
    sizes = QUICK_SIZES if args.quick else SIZES
    table = Table(args.output)
    table.add(
        f"MicroTSClassifier defaults, {args.epochs} epoch(s), no early stopping (but in the "
        f"scored groups); cpu, {cpu_model()}, {os.cpu_count()} logical CPUs, "
        f"{torch.get_num_threads()} torch thread(s), "
        f"{load_average()} at the start; each cell: seconds and peak RSS of its own "
        f"process; at most {args.time_limit:.0f} s per process"
    )
    for group in [args.group] if args.group else SIZES:
        run_group(table, group, sizes[group], args)


if __name__ == "__main__":
    main()
