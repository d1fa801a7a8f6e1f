"""Threads and parallel workers: torch's thread count on a busy machine, and a grid search's
``n_jobs``.

- busy machine: fit MicroTSClassifier on ``--cases`` generated cases of 5 to 30 frames
  (64 features, ``--epochs`` epochs, no early stopping) while ``--busy`` processes spin on
  the cores, with ``n_threads=None`` (torch's count, one per core) and ``n_threads=1``;
- grid search: ``GridSearchCV`` over a DedupTransformer + MicroTSClassifier pipeline
  (2 values of ``drop_fraction`` x 2 of ``lr``, 3 folds, 300 cases of 5 to 60 frames,
  10 epochs), with ``n_jobs=1``, ``n_jobs=2`` (joblib's loky processes) and ``n_jobs=2`` on
  the threading backend, on a quiet machine.

Each configuration runs in a fresh process (imports and worker start-up included in
nothing but the grid search, where they are part of what ``n_jobs`` costs).

    python benchmarks/bench_threads.py --quick
    python benchmarks/bench_threads.py --cases 20000 --output threads.md
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

from _harness import Table, run_isolated

GRID = {"deduptransformer__drop_fraction": [0.05, 0.2], "microtsclassifier__lr": [1e-3, 3e-3]}
SEARCHES = {
    "n_jobs=1": (1, "loky"),
    "n_jobs=2": (2, "loky"),
    "n_jobs=2, threading": (2, "threading"),
}


def busy_fit_worker(n_cases, epochs, n_threads):
    from sklearn_microts import MicroTSClassifier
    from sklearn_microts.datasets import make_microscopy_sequences

    X, y = make_microscopy_sequences(
        n_cases=n_cases, n_features=64, min_length=5, max_length=30, random_state=0
    )
    clf = MicroTSClassifier(
        max_epochs=epochs, patience=None, n_threads=n_threads, device="cpu", random_state=0
    )
    start = time.perf_counter()
    clf.fit(X, y)
    return {"seconds": time.perf_counter() - start}


def search_worker(n_jobs, backend, epochs):
    import joblib
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from sklearn_microts import DedupTransformer, MicroTSClassifier
    from sklearn_microts.datasets import make_microscopy_sequences

    X, y = make_microscopy_sequences(n_cases=300, n_features=64, random_state=0)
    pipeline = make_pipeline(
        DedupTransformer(), MicroTSClassifier(max_epochs=epochs, patience=None, random_state=0)
    )
    search = GridSearchCV(pipeline, GRID, cv=3, n_jobs=n_jobs)
    start = time.perf_counter()
    with joblib.parallel_backend(backend):
        search.fit(X, y)
    return {"seconds": time.perf_counter() - start, "best_score": search.best_score_}


def spin_forever():
    while True:
        pass


def busy_rows(table, args):
    table.add(
        "",
        f"### fit on a busy machine ({args.cases:,} cases, {args.epochs} epoch(s), "
        f"{args.busy} spinning process(es))",
        "",
        "| n_threads | seconds |",
        "|---|---:|",
    )
    spinners = [
        subprocess.Popen([sys.executable, __file__, "--worker", "spin"]) for _ in range(args.busy)
    ]
    try:
        for n_threads in ("None", "1"):
            worker_args = ["--worker", "busy-fit", "--cases", str(args.cases)]
            worker_args += ["--epochs", str(args.epochs), "--n-threads", n_threads]
            result = run_isolated(__file__, worker_args, args.time_limit)
            cell = result if isinstance(result, str) else f"{result['seconds']:.1f}"
            table.add(f"| {n_threads} | {cell} |")
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def search_rows(table, args):
    table.add(
        "",
        f"### GridSearchCV, 4 candidates x 3 folds, {args.search_epochs} epochs, quiet machine",
        "",
        "| n_jobs | seconds | best score |",
        "|---|---:|---:|",
    )
    for name, (n_jobs, backend) in SEARCHES.items():
        worker_args = ["--worker", "search", "--n-jobs", str(n_jobs), "--backend", backend]
        worker_args += ["--epochs", str(args.search_epochs)]
        result = run_isolated(__file__, worker_args, args.time_limit)
        cells = (
            [result, "-"]
            if isinstance(result, str)
            else [f"{result['seconds']:.1f}", f"{result['best_score']:.3f}"]
        )
        table.add(f"| {name} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000, help="cases of the busy-machine fit")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the busy-machine fit")
    parser.add_argument("--busy", type=int, default=2, help="spinning processes (default: 2)")
    parser.add_argument("--search-epochs", type=int, default=10, help="epochs of each search fit")
    parser.add_argument("--quick", action="store_true", help="500 cases, 1 epoch, 2-epoch search")
    parser.add_argument("--output", help="also write the table to this file")
    parser.add_argument(
        "--time-limit", type=float, default=1800.0, help="seconds per process, at most"
    )
    parser.add_argument("--worker", choices=("busy-fit", "search", "spin"), help=argparse.SUPPRESS)
    parser.add_argument("--n-threads", help=argparse.SUPPRESS)
    parser.add_argument("--n-jobs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "spin":
        spin_forever()
    if args.worker == "busy-fit":
        n_threads = None if args.n_threads == "None" else int(args.n_threads)
        print(json.dumps(busy_fit_worker(args.cases, args.epochs, n_threads)))
        return
    if args.worker == "search":
        print(json.dumps(search_worker(args.n_jobs, args.backend, args.epochs)))
        return

    if args.quick:
        args.cases, args.epochs, args.search_epochs = 500, 1, 2
    table = Table(args.output)
    table.add(
        f"cpu, {platform.machine()}, {os.cpu_count()} cores; seconds of fit (busy machine) or "
        "of GridSearchCV.fit, each configuration in a fresh process"
    )
    busy_rows(table, args)
    search_rows(table, args)


if __name__ == "__main__":
    main()
