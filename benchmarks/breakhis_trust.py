"""Can a pathologist trust the calls on BreakHis? Calibration, referral and prediction sets.

On each official fold (patient level, one magnification), with every choice made on that
fold's training patients only, what ``microts fit --calibrate`` builds
(``sklearn_microts.cli._trust.fit_trusted``): one stratified cross-fitting of every
training patient (``--inner-folds``, 5), the pipeline fitted on all of them, and, from the
out-of-fold probabilities,

- calibration: a temperature (``TemperatureScaledClassifier``; no call changes, nor the
  order of a fold's patients), used where nested cross-fitting finds that it lowers the
  Brier score; ECE (beside the ECE that exactly right probabilities would show on as few
  patients), Brier score, accuracy and ROC AUC of the test patients before and after, and
  the ROC AUC of the mean-pool floor (each patient's mean frame into a logistic
  regression);
- referral by doubt (``ReferralClassifier(coverage=0.8)``, referrals shared by the classes
  of the calls in proportion to their out-of-fold errors) and, from the same probabilities,
  one threshold for all (``by_class=False``): the share of test patients decided, the error
  among them, and the share of each class's calls referred; beside the error among the 80%
  most confident test patients (the risk-coverage curve read at 0.8);
- prediction sets at ``alpha=0.1``, class by class (``ConformalClassifier``, the default)
  and over all patients (``conditional="marginal"``): the share of each class's test
  patients whose set holds their class, and the mean set size.

    python benchmarks/breakhis_trust.py /path/to/breakhis --out trust/   # 80 fits, ~6 min

Outputs in ``--out``: ``trust.csv`` (one row a fold, and one for all test patients
together), ``trust.md`` (the table), ``test_patients.csv`` (each test patient's
probability of malignancy before and after, call, referrals and set),
``reliability.png`` (reliability diagram of the test patients of all folds, before and
after) and ``risk_coverage.png``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _compare.data import breakhis
from _compare.models import mean_pooling_floor, microts_pipeline
from _harness import (
    Table,
    add_cache_option,
    add_image_root,
    agg_pyplot,
    cpu_model,
    load_average,
    require_image_root,
)
from sklearn.calibration import CalibrationDisplay
from sklearn.metrics import roc_auc_score

from sklearn_microts import MicroTSClassifier
from sklearn_microts.cli._trust import fit_trusted
from sklearn_microts.metrics import case_scores, expected_calibration_error
from sklearn_microts.plotting import RiskCoverageDisplay
from sklearn_microts.uncertainty import ConformalClassifier, ReferralClassifier
from sklearn_microts.uncertainty._calibration import fit_temperature

COVERAGE, ALPHA = 0.8, 0.1
CLASSES = ("benign", "malignant")
POSITIVE = "malignant"


def fold_patients(split, strategy, inner_folds):
    """One row per test patient of the fold, and what the fold's fit chose."""
    pipeline = microts_pipeline(
        MicroTSClassifier(strategy=strategy, random_state=split.split, n_threads=1)
    )
    model, trust = fit_trusted(
        pipeline,
        split.X_train,
        split.y_train,
        folds=inner_folds,
        coverage=COVERAGE,
        alpha=ALPHA,
        random_state=split.split,
    )
    assert list(trust.calibrated.classes_) == list(CLASSES)
    raw = model.predict_proba(split.X_test)
    calibrated = trust.calibrated.predict_proba(split.X_test)
    # The other rules, read from the same out-of-fold probabilities: no more fits.
    frozen, held_out = trust.calibrated, trust.calibrated.held_out_proba_
    one_threshold = ReferralClassifier(frozen, coverage=COVERAGE, by_class=False)
    one_threshold._fit_held_out(frozen, held_out, split.y_train)
    marginal = ConformalClassifier(frozen, alpha=ALPHA, conditional="marginal")
    marginal._fit_held_out(frozen, held_out, split.y_train)
    floor = mean_pooling_floor().fit(split.X_train, split.y_train)
    patients = pd.DataFrame(
        {
            "fold": split.split,
            "truth": split.y_test,
            "raw": raw[:, 1],
            "calibrated": calibrated[:, 1],
            "floor": floor.predict_proba(split.X_test)[:, 1],
            "call": np.asarray(CLASSES)[calibrated.argmax(1)],
            "refer (by doubt)": trust.referral._referred(calibrated),
            "refer (one threshold)": one_threshold._referred(calibrated),
        }
    )
    for name, conformal in (("class", trust.conformal), ("marginal", marginal)):
        sets = conformal._sets(calibrated)
        for c, label in enumerate(CLASSES):
            patients[f"set ({name}) holds {label}"] = sets[:, c]
    fitted = {
        "training patients": len(split.y_train),
        "training benign": int(np.sum(split.y_train == "benign")),
        "temperature fitted": fit_temperature(
            trust.calibrated.held_out_proba_, np.searchsorted(CLASSES, split.y_train)
        )
        if trust.calibrated.method_ == "none"
        else trust.calibrated.temperature_,
        "temperature used": trust.calibrated.method_ == "temperature",
        "nested Brier, raw": trust.calibrated.nested_brier_["none"],
        "nested Brier, scaled": trust.calibrated.nested_brier_["temperature"],
        "out-of-fold accuracy": trust.n_right() / trust.n_held_out,
        "sets always hold benign": "benign" in trust.conformal.classes_always_in_set(),
    }
    return patients, fitted


def scores(patients):
    """Every measure of the table, on some test patients (a fold's or all)."""
    truth = patients["truth"].to_numpy()
    row = {"test patients": len(patients)}
    for name in ("raw", "calibrated"):
        positive = patients[name].to_numpy()
        proba = np.column_stack([1 - positive, positive])
        predicted = np.asarray(CLASSES)[proba.argmax(1)]
        measured = case_scores(truth, predicted, proba, CLASSES, pos_label=POSITIVE)
        row |= {f"{name} {key}": value for key, value in measured.items()}
        if name == "calibrated":
            row["ece of exact probabilities (simulated)"] = _ece_of_exact(proba)
    row["floor roc_auc"] = _auc(truth, patients["floor"])
    calls = patients["call"].to_numpy()
    wrong = calls != truth
    row["error of deciding all"] = wrong.mean()
    for rule in ("by doubt", "one threshold"):
        referred = patients[f"refer ({rule})"].to_numpy(bool)
        row[f"referral {rule}: decided"] = 1 - referred.mean()
        row[f"referral {rule}: error among decided"] = (
            wrong[~referred].mean() if (~referred).any() else np.nan
        )
        for label in CLASSES:
            mine = calls == label
            row[f"referral {rule}: {label} calls referred"] = (
                referred[mine].mean() if mine.any() else np.nan
            )
    for name in ("class", "marginal"):
        holds = np.zeros(len(truth), bool)
        size = np.zeros(len(truth))
        for label in CLASSES:
            in_set = patients[f"set ({name}) holds {label}"].to_numpy(bool)
            holds |= in_set & (truth == label)
            size += in_set
        for label in CLASSES:
            mine = truth == label
            row[f"sets ({name}): coverage of {label}"] = (
                holds[mine].mean() if mine.any() else np.nan
            )
        row[f"sets ({name}): mean size"] = size.mean()
    return row


def _ece_of_exact(proba, draws=1000):
    """The mean ECE of probabilities that are exactly right, on as many patients: each
    draw's classes drawn from ``proba`` itself. On a dozen patients a fold, binning alone
    gives an ECE this large; no calibration can go below it but by chance."""
    rng = np.random.default_rng(0)
    eces = [
        expected_calibration_error(
            np.asarray(CLASSES)[(rng.random(len(proba)) < proba[:, 1]).astype(int)],
            proba,
            classes=CLASSES,
        )
        for _ in range(draws)
    ]
    return float(np.mean(eces))


def _auc(truth, positive):
    return roc_auc_score(truth == POSITIVE, positive) if len(set(truth)) == 2 else np.nan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_image_root(parser, "the BreakHis folder")
    add_cache_option(parser)
    parser.add_argument("--magnification", type=int, default=200)
    parser.add_argument("--strategy", default="vote", help="the inference strategy scored")
    parser.add_argument("--inner-folds", type=int, default=5)
    parser.add_argument("--out", default="trust", help="output folder")
    args = parser.parse_args()
    require_image_root(parser, args)
    import torch

    torch.set_num_threads(1)  # one fit at a time, each on one thread: timings comparable
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    rows, every = [], []
    for split in breakhis(args.root, args.cache, [args.magnification]):
        patients, fitted = fold_patients(split, args.strategy, args.inner_folds)
        every.append(patients)
        rows.append({"fold": split.split, **fitted, **scores(patients)})
        print(rows[-1], flush=True)
    patients = pd.concat(every, ignore_index=True)
    patients.to_csv(out / "test_patients.csv", index=False)
    folds = pd.DataFrame(rows)
    pooled = {"fold": "all", **scores(patients)}
    pd.concat([folds, pd.DataFrame([pooled])], ignore_index=True).to_csv(
        out / "trust.csv", index=False
    )

    k = args.inner_folds
    fits = k + 1 + k * (k - 1) // 2  # the folds, all the patients, the pairs of folds
    table = Table(out / "trust.md")
    table.add(
        f"BreakHis {args.magnification}X, strategy {args.strategy!r}, {len(folds)} folds, "
        f"{len(patients)} test patients ({folds['training patients'].min()}-"
        f"{folds['training patients'].max()} training patients a fold, "
        f"{folds['training benign'].min()}-{folds['training benign'].max()} of them benign); "
        f"{args.inner_folds}-fold cross-fitting, nested; {len(folds) * fits} fits in "
        f"{time.perf_counter() - start:.0f} s on {cpu_model()}, {load_average()}",
        "",
        "| measure | mean ± std over the folds | all test patients |",
        "|---|---:|---:|",
    )
    for column in folds.columns.drop(["fold", "test patients", "training benign"]):
        values = folds[column].astype(float)
        whole = pooled.get(column)
        whole = "" if whole is None else f"{whole:.3f}"
        table.add(f"| {column} | {values.mean():.3f} ± {values.std():.3f} | {whole} |")

    plt = agg_pyplot()
    truth = patients["truth"].to_numpy() == POSITIVE
    figure, ax = plt.subplots(figsize=(5, 5), layout="constrained")
    for name in ("raw", "calibrated"):
        CalibrationDisplay.from_predictions(truth, patients[name], n_bins=5, name=name, ax=ax)
    ax.set_title(f"{len(patients)} test patients of the {len(folds)} folds")
    ax.set_xlabel("mean probability of malignancy (5 bins)")
    ax.set_ylabel("share of the patients malignant")
    figure.savefig(out / "reliability.png", dpi=120)
    figure, ax = plt.subplots(figsize=(5, 4), layout="constrained")
    # Temperature keeps the order of the patients by confidence: one curve for both.
    positive = patients["calibrated"].to_numpy()
    RiskCoverageDisplay.from_predictions(
        truth, positive >= 0.5, np.maximum(positive, 1 - positive), name="vote", ax=ax
    )
    for rule, marker in (("by doubt", "o"), ("one threshold", "s")):
        ax.plot(
            pooled[f"referral {rule}: decided"],
            pooled[f"referral {rule}: error among decided"],
            marker,
            label=f"referral {rule}",
        )
    ax.legend(loc="upper left")
    figure.savefig(out / "risk_coverage.png", dpi=120)


if __name__ == "__main__":
    main()
