"""Can a pathologist trust the calls on BreakHis? Calibration, referral and prediction sets.

On each official fold (patient level, one magnification), with every choice made on that
fold's training patients only:

- calibration: ``CalibratedClassifierCV(pipeline, method="sigmoid", cv=3, ensemble=False)``
  (Platt scaling fitted on out-of-fold probabilities of the training patients, applied to
  the pipeline fitted on all of them); ECE and Brier score of the test patients before and
  after;
- referral: ``ReferralClassifier(pipeline, coverage=0.8, cv=3)`` (the confidence threshold
  that decides 80% of the training patients out of fold); the share of test patients it
  decides and the error among them, beside the error among the 80% most confident test
  patients (the risk-coverage curve read at 0.8);
- prediction sets: ``ConformalClassifier(pipeline, alpha=0.1, calibration_size=0.3)``; the
  share of test patients whose set holds their class, and the mean set size.

    python benchmarks/breakhis_trust.py /path/to/breakhis --out trust/   # ~45 fits

Outputs in ``--out``: ``trust.csv`` (one row a fold), ``trust.md`` (the table),
``test_probabilities.csv`` (each test patient's probability of malignancy, before and after),
``reliability.png`` (reliability diagram, test patients of all folds, before and after) and
``risk_coverage.png``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _compare.data import breakhis
from _compare.models import microts_pipeline
from _harness import Table, add_cache_option, add_image_root, agg_pyplot, require_image_root
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay
from sklearn.model_selection import StratifiedKFold

from sklearn_microts import MicroTSClassifier
from sklearn_microts.metrics import case_scores
from sklearn_microts.plotting import RiskCoverageDisplay
from sklearn_microts.uncertainty import ConformalClassifier, ReferralClassifier

COVERAGE, ALPHA = 0.8, 0.1


def fold_row(split, strategy, inner_folds):
    """The trust figures of one fold, and the test patients' probabilities before/after."""
    pipeline = microts_pipeline(
        MicroTSClassifier(strategy=strategy, random_state=split.split, n_threads=1)
    )
    inner = StratifiedKFold(inner_folds, shuffle=True, random_state=split.split)
    classes = np.unique(split.y_train)
    calibrated = CalibratedClassifierCV(pipeline, method="sigmoid", cv=inner, ensemble=False)
    calibrated.fit(split.X_train, split.y_train)
    model = calibrated.calibrated_classifiers_[0].estimator  # fitted on all training patients
    raw = model.predict_proba(split.X_test)
    after = calibrated.predict_proba(split.X_test)
    row = {"fold": split.split, "test patients": len(split.y_test)}
    for name, proba in (("raw", raw), ("calibrated", after)):
        predicted = classes[proba.argmax(1)]
        scores = case_scores(split.y_test, predicted, proba, classes, pos_label=split.pos_label)
        row |= {f"{name} {key}": value for key, value in scores.items()}

    referral = ReferralClassifier(pipeline, coverage=COVERAGE, cv=inner)
    calls = referral.fit(split.X_train, split.y_train).predict(split.X_test)
    decided = calls != referral.refer_label
    row["referral: decided"] = decided.mean()
    row["referral: error among decided"] = (
        np.mean(calls[decided] != split.y_test[decided]) if decided.any() else np.nan
    )

    conformal = ConformalClassifier(
        pipeline, alpha=ALPHA, calibration_size=0.3, random_state=split.split
    ).fit(split.X_train, split.y_train)
    sets = conformal.predict_set(split.X_test)
    truth = np.searchsorted(conformal.classes_, split.y_test)
    row["conformal: coverage"] = sets[np.arange(len(truth)), truth].mean()
    row["conformal: mean set size"] = sets.sum(1).mean()
    return row, raw, after, classes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_image_root(parser, "the BreakHis folder")
    add_cache_option(parser)
    parser.add_argument("--magnification", type=int, default=200)
    parser.add_argument("--strategy", default="vote", help="the inference strategy scored")
    parser.add_argument("--inner-folds", type=int, default=3)
    parser.add_argument("--out", default="trust", help="output folder")
    args = parser.parse_args()
    require_image_root(parser, args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    rows, pooled = [], {"truth": [], "raw": [], "calibrated": []}
    for split in breakhis(args.root, args.cache, [args.magnification]):
        row, raw, after, classes = fold_row(split, args.strategy, args.inner_folds)
        rows.append(row)
        print(row, flush=True)
        pooled["truth"].append(split.y_test == split.pos_label)
        pooled["raw"].append(raw[:, list(classes).index(split.pos_label)])
        pooled["calibrated"].append(after[:, list(classes).index(split.pos_label)])
    results = pd.DataFrame(rows)
    results.to_csv(out / "trust.csv", index=False)

    table = Table(out / "trust.md")
    table.add(
        f"BreakHis {args.magnification}X, strategy {args.strategy!r}, "
        f"{len(results)} folds, {int(results['test patients'].sum())} test patients; "
        f"mean ± std over the folds; {time.perf_counter() - start:.0f} s",
        "",
        "| measure | mean ± std |",
        "|---|---:|",
    )
    for column in results.columns.drop(["fold", "test patients"]):
        table.add(f"| {column} | {results[column].mean():.3f} ± {results[column].std():.3f} |")

    pooled = {name: np.concatenate(values) for name, values in pooled.items()}
    pd.DataFrame(pooled).to_csv(out / "test_probabilities.csv", index=False)
    plt = agg_pyplot()
    truth = pooled["truth"]
    figure, ax = plt.subplots(figsize=(5, 5), layout="constrained")
    for name in ("raw", "calibrated"):
        CalibrationDisplay.from_predictions(truth, pooled[name], n_bins=5, name=name, ax=ax)
    ax.set_title(f"test patients of the {len(results)} folds")
    figure.savefig(out / "reliability.png", dpi=120)
    figure, ax = plt.subplots(figsize=(5, 4), layout="constrained")
    for name in ("raw", "calibrated"):
        positive = pooled[name]
        RiskCoverageDisplay.from_predictions(
            truth, positive >= 0.5, np.maximum(positive, 1 - positive), name=name, ax=ax
        )
    figure.savefig(out / "risk_coverage.png", dpi=120)


if __name__ == "__main__":
    main()
