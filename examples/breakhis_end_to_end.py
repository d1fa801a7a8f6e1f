"""
==============================================
BreakHis end to end: images to patient scores
==============================================

From the BreakHis folders to patient-level scores on an official fold: load the cases (one
patient at one magnification, images in acquisition order), extract EfficientNet-Lite0
features, de-duplicate, train :class:`~sklearn_microts.MicroTSClassifier` on the fold's
training patients, score its test patients with every inference strategy.

BreakHis is for research use only (Spanhol et al., IEEE TBME 2016) and is not shipped with
the package: point the script to it::

    python examples/breakhis_end_to_end.py /path/to/breakhis
    SKLEARN_MICROTS_BREAKHIS=/path/to/breakhis python examples/breakhis_end_to_end.py

The folder holds ``BreaKHis_v1/`` and ``mkfold/``. Features are cached (``--cache``), so a
second run starts at training.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, MicroTSClassifier
from sklearn_microts.datasets import load_breakhis
from sklearn_microts.preprocessing import ImageFeatureExtractor


def main():
    parser = argparse.ArgumentParser(description="BreakHis end to end with sklearn-microts.")
    parser.add_argument("root", nargs="?", default=os.environ.get("SKLEARN_MICROTS_BREAKHIS"))
    parser.add_argument("--fold", type=int, default=1)
    parser.add_argument("--magnification", type=int, default=200)
    parser.add_argument(
        "--cache", default=os.path.join(tempfile.gettempdir(), "sklearn_microts_features")
    )
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.root:
        sys.exit("Give the BreakHis folder as an argument or in SKLEARN_MICROTS_BREAKHIS.")

    start = time.perf_counter()
    bunch = load_breakhis(args.root, magnification=args.magnification, fold=args.fold)
    train, test = bunch.group == "train", bunch.group == "test"
    n_images = sum(len(case) for case in bunch.data)
    print(
        f"{len(bunch.data)} patients at {args.magnification}X ({n_images} images): "
        f"{train.sum()} train, {test.sum()} test in fold {args.fold}"
    )

    extractor = ImageFeatureExtractor(cache=args.cache, verbose=1).fit()
    tick = time.perf_counter()
    features = extractor.transform(bunch.data)
    print(f"features: {time.perf_counter() - tick:.1f} s ({features[0].shape[1]} per image)")

    X_train = [f for f, keep in zip(features, train, strict=True) if keep]
    X_test = [f for f, keep in zip(features, test, strict=True) if keep]
    y_train, y_test = bunch.target[train], bunch.target[test]
    pipeline = make_pipeline(
        DedupTransformer(drop_fraction=0.05),  # the paper's 5% on BreakHis
        MicroTSClassifier(
            target_length=25, max_epochs=args.epochs, random_state=args.seed, verbose=0
        ),
    )
    tick = time.perf_counter()
    pipeline.fit(X_train, y_train)
    print(f"training: {time.perf_counter() - tick:.1f} s")

    classifier = pipeline.named_steps["microtsclassifier"]
    print("\npatient-level scores on the test patients")
    print("| strategy | F1 (macro) | accuracy |")
    print("|---|---:|---:|")
    for strategy in ("ap", "dtw", "knn", "vote"):
        classifier.set_params(strategy=strategy)
        predicted = pipeline.predict(X_test)
        f1 = f1_score(y_test, predicted, average="macro")
        accuracy = accuracy_score(y_test, predicted)
        print(f"| {strategy} | {f1:.3f} | {accuracy:.3f} |")
    majority = np.full(len(y_test), max(set(y_train), key=list(y_train).count))
    print(
        f"| majority class | {f1_score(y_test, majority, average='macro'):.3f} | "
        f"{accuracy_score(y_test, majority):.3f} |"
    )
    print(f"\nwall time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
