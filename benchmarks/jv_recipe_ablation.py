"""Which default of the training recipe moves MicroTS on JapaneseVowels, one change at a time.

The recipe's defaults were chosen by nested cross-validation on BreakHis' training patients
(``breakhis_study.py``). On JapaneseVowels (its official 270/370 split) the vote strategy
fell by a point with them; this script undoes each default in turn, a few seeds each, and
prints the accuracy of every strategy and the epoch early stopping ended at.

    python benchmarks/jv_recipe_ablation.py [--seeds 3] [--variant NAME ...] [--output FILE]
"""

import argparse
import time

import numpy as np
from _compare.data import japanese_vowels
from _compare.models import microts_pipeline
from _harness import Table

from sklearn_microts import MicroTSClassifier
from sklearn_microts.classifiers import STRATEGIES

# Each variant changes the defaults of MicroTSClassifier by these parameters.
VARIANTS = {
    "defaults": {},
    "standardize=False": {"standardize": False},
    "class_weight=None": {"class_weight": None},
    "max_epochs=60": {"max_epochs": 60},
    "patience=20": {"patience": 20},
    "no early stopping": {"validation_fraction": 0.0},
    "lr=3e-4": {"lr": 3e-4},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per variant")
    parser.add_argument(
        "--variant", action="append", choices=list(VARIANTS), help="run only this (repeatable)"
    )
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()

    table = Table(args.output)
    table.add(
        "| variant | seed | epochs | " + " | ".join(STRATEGIES) + " | fit s |",
        "|---|---:|---:|" + "---:|" * len(STRATEGIES) + "---:|",
    )
    for name in args.variant or VARIANTS:
        for split in japanese_vowels(range(args.seeds)):
            start = time.perf_counter()
            classifier = MicroTSClassifier(random_state=split.split, **VARIANTS[name])
            model = microts_pipeline(classifier).fit(split.X_train, split.y_train)
            seconds = time.perf_counter() - start
            X_kept = model[0].transform(split.X_test)
            accuracies = []
            for strategy in STRATEGIES:
                classifier.set_params(strategy=strategy)
                accuracies.append(np.mean(classifier.predict(X_kept) == split.y_test))
            table.add(
                f"| {name} | {split.split} | {len(classifier.history_)} | "
                + " | ".join(f"{value:.3f}" for value in accuracies)
                + f" | {seconds:.0f} |"
            )


if __name__ == "__main__":
    main()
