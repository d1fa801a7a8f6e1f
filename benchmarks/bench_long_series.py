"""Long univariate series of many classes: does MicroTSClassifier learn them, how fast, and
with which of its defaults?

Data: ``plaid``, sktime's copy of a public set of appliance current signatures (537
training and 537 test cases, 1 feature, 11 classes, 100 to 1,344 frames), or
``generated``, :func:`~sklearn_microts.datasets.make_periodic_sequences` (500 training and
500 test cases, 100 to 1,400 frames, 11 classes). Each configuration is fitted once (all
cases, one torch thread) and prints the median seconds per epoch, the epochs run, and the
accuracy of each strategy beside the majority class and a pooling floor (mean, max and min
of each case into a logistic regression).

Configurations: ``defaults``; ``linear``, the paper's linear embedding of the one feature
in place of the defaults' Fourier features (``frame_embedding="linear"``, with
``standardize=True`` then a plain standardisation); ``paper``, the paper's text
(``frame_embedding="linear", attention_length=None, normalize_dtw=False,
vote_weights="equal"``); ``no-length-bias`` and ``no-dtw-scaling``,
one default back to the paper's each; ``quantile``, ``linear`` with
``standardize=QuantileTransformer(output_distribution="normal")`` (the scaling that the
defaults' Fourier embedding comes with).

    python benchmarks/bench_long_series.py --data plaid --config defaults linear
    python benchmarks/bench_long_series.py --data generated --epochs 20
"""

import argparse
import time

import numpy as np
from _harness import Table, cpu_model
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer, StandardScaler

from sklearn_microts import MicroTSClassifier, SequencePooler
from sklearn_microts.classifiers import STRATEGIES

CONFIGS = {
    "defaults": {},
    "linear": {"frame_embedding": "linear"},
    "paper": {
        "frame_embedding": "linear",
        "attention_length": None,
        "normalize_dtw": False,
        "vote_weights": "equal",
    },
    "no-length-bias": {"attention_length": None},
    "no-dtw-scaling": {"normalize_dtw": False},
    "quantile": {
        "frame_embedding": "linear",
        "standardize": QuantileTransformer(output_distribution="normal", random_state=0),
    },
}


def load(name):
    """(X_train, y_train, X_test, y_test)."""
    if name == "plaid":
        from sktime.datasets import load_plaid

        from sklearn_microts.utils import from_sktime

        X_train, y_train = load_plaid(split="train")
        X_test, y_test = load_plaid(split="test")
        return from_sktime(X_train), np.asarray(y_train), from_sktime(X_test), np.asarray(y_test)
    from sklearn_microts.datasets import make_periodic_sequences

    X, y = make_periodic_sequences(1000, random_state=0)
    return X[:500], y[:500], X[500:], y[500:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("plaid", "generated"), default="plaid")
    parser.add_argument("--config", nargs="+", choices=sorted(CONFIGS), default=["defaults"])
    parser.add_argument("--epochs", type=int, default=100, help="max_epochs (default: 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()
    X_train, y_train, X_test, y_test = load(args.data)
    lengths = np.array([len(x) for x in X_train])
    _, counts = np.unique(y_test, return_counts=True)
    floor = make_pipeline(
        SequencePooler(statistics=("mean", "max", "min")),
        StandardScaler(),
        LogisticRegression(max_iter=5000),
    ).fit(X_train, y_train)
    table = Table(args.output)
    table.add(
        f"{args.data}: {len(X_train)} training / {len(X_test)} test cases, "
        f"{len(counts)} classes, {lengths.min()} to {lengths.max()} frames (median "
        f"{np.median(lengths):.0f}); max_epochs {args.epochs}, early stopping at the defaults, "
        f"random_state {args.seed}, 1 torch thread; {cpu_model()}",
        f"majority class {counts.max() / counts.sum():.3f}, mean+max+min LR floor "
        f"{floor.score(X_test, y_test):.3f}",
        "",
        "| configuration | s / epoch | epochs | fit s | " + " | ".join(STRATEGIES) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(STRATEGIES),
    )
    for config in args.config:
        clf = MicroTSClassifier(
            max_epochs=args.epochs, random_state=args.seed, n_threads=1, **CONFIGS[config]
        )
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracies = [
            np.mean(clf.set_params(strategy=strategy).predict(X_test) == y_test)
            for strategy in STRATEGIES
        ]
        epoch = np.median([row["dur"] for row in clf.history_])
        table.add(
            f"| {config} | {epoch:.1f} | {len(clf.history_)} | {seconds:.0f} | "
            + " | ".join(f"{a:.3f}" for a in accuracies)
            + " |"
        )


if __name__ == "__main__":
    main()
