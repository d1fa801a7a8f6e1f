"""How should the three voters of ``strategy="vote"`` combine? The paper's majority against
the log-linear pool that ``vote_weights="auto"`` learns on the validation cases.

One fit per dataset and seed (``DedupTransformer(drop_fraction=0.05)`` and a default
``MicroTSClassifier``, as ``compare.py`` runs it): the test score of each single strategy,
of the majority vote (``vote_weights="equal"``, switched after the fit, no retraining) and
of the learned pool (``"auto"``), with the pool's weights. Data as in ``compare.py``:
generated microscope sessions (F1 of class 1) and JapaneseVowels (accuracy).

    python benchmarks/bench_vote.py                      # 100-epoch defaults, 3 seeds
    python benchmarks/bench_vote.py --epochs 15          # compare.py --quick's budget
"""

import argparse
import time

import numpy as np
from _compare.data import generated, japanese_vowels
from _compare.models import epochs_param, microts_pipeline
from _harness import Table, cpu_model
from sklearn.metrics import accuracy_score, f1_score

from sklearn_microts import MicroTSClassifier

SINGLE = ("ap", "dtw", "knn")
RULES = {"majority": "equal", "learned pool": "auto"}


def score(split, predicted):
    """F1 of the positive class for a two-class dataset (the paper's metric), else accuracy."""
    if split.pos_label is None:
        return accuracy_score(split.y_test, predicted)
    return f1_score(split.y_test, predicted, pos_label=split.pos_label)


def split_row(split, epochs):
    """Every strategy's and rule's test score on one split, and the pool's weights."""
    model = microts_pipeline(
        MicroTSClassifier(random_state=split.split, n_threads=1, **epochs_param(epochs))
    ).fit(split.X_train, split.y_train)
    classifier = model[-1]
    row = {}
    for name in SINGLE:
        classifier.set_params(strategy=name)
        row[name] = score(split, model.predict(split.X_test))
    classifier.set_params(strategy="vote")
    for name, weights in RULES.items():
        classifier.set_params(vote_weights=weights)
        row[name] = score(split, model.predict(split.X_test))
    pooled = classifier.vote_pooling_ == "log-linear"
    weights = ", ".join(f"{k} {v:.2f}" for k, v in classifier.vote_weights_.items())
    row["pool weights"] = weights if pooled else "(no validation cases: majority)"
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help="max_epochs (default: the estimator's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()

    table = Table(args.output)
    table.add(
        f"{cpu_model()}; max_epochs {args.epochs or 'default'}; seeds {args.seeds}",
        "",
    )
    columns = [*SINGLE, *RULES]
    for source, metric in ((generated, "F1 (class 1)"), (japanese_vowels, "accuracy")):
        start, rows, name = time.perf_counter(), [], None
        for split in source(args.seeds):
            name = split.dataset
            rows.append(split_row(split, args.epochs))
            print(split.dataset, split.split, rows[-1], flush=True)
        scores = np.array([[row[c] for c in columns] for row in rows])
        table.add(
            f"{name}, {metric}, {time.perf_counter() - start:.0f} s",
            "",
            "| seed | " + " | ".join(columns) + " | pool weights |",
            "|---|" + "---:|" * len(columns) + "---|",
        )
        for seed, row in zip(args.seeds, rows, strict=True):
            cells = " | ".join(f"{row[c]:.3f}" for c in columns)
            table.add(f"| {seed} | {cells} | {row['pool weights']} |")
        means = " | ".join(
            f"**{m:.3f}** ± {s:.3f}" for m, s in zip(scores.mean(0), scores.std(0), strict=True)
        )
        table.add(f"| mean ± std | {means} | |", "")


if __name__ == "__main__":
    main()
