"""Compare MicroTSClassifier with the paper's baselines and sktime peers (Table 2, Fig. 4).

Datasets: sktime's JapaneseVowels (real, unequal lengths, 9 classes, its own 270/370 split)
and generated microscope sessions by default; ``--breakhis PATH`` adds BreakHis (every
magnification present, official folds 1-5, patient level); ``--data FILE`` a table of your
own (one row per frame: case, order, label, features).

Methods: ours behind ``DedupTransformer`` (one fit, four strategies: ap, dtw, knn, vote),
our LSTM, GRU, Transformer, ABMIL and TransMIL baselines, sktime's MiniRocket, 1-NN DTW,
Catch22 and TimeSeriesForest (on padded/truncated series), and a mean+max pooling logistic
regression floor.

Scores are case (patient) level. Two-class data report the F1 of the positive class first
(the paper's metric; ``"malignant"`` for BreakHis, ``--pos-label`` for a table of your own),
then macro F1, balanced accuracy, ROC AUC and accuracy; multi-class data macro F1 and
accuracy. Each is the mean ± std over seeds or folds, with the number of test cases.

Outputs (``--out``, default ``benchmarks/results``): ``results.csv`` (every run),
``table.md`` (the scores per dataset, fit and predict seconds, published reference
numbers), ``compare.png`` (scores as bars) and ``ablation.png`` (Fig. 4: the drop of each
ablation against the full model).

    python benchmarks/compare.py --quick                 # < 10 minutes on 2 cores
    python benchmarks/compare.py                         # the full run
    python benchmarks/compare.py --breakhis /path/to/breakhis
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from sklearn_microts import DedupTransformer, MicroTSClassifier, SequencePooler
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)
from sklearn_microts.classifiers import STRATEGIES
from sklearn_microts.datasets import load_breakhis, make_microscopy_sequences
from sklearn_microts.metrics import SCORE_NAMES, case_scores
from sklearn_microts.utils import from_long_dataframe, from_sktime, pad_sequences

# Published numbers printed beside ours (accuracy for JapaneseVowels, F1 for BreakHis).
REFERENCES = {
    "JapaneseVowels": {
        "FCN (Fawaz et al. 2019)": 0.993,
        "ResNet (Fawaz et al. 2019)": 0.992,
        "MiniRocket (measured, notes)": 0.989,
        "1-NN DTW": 0.949,
    },
    "BreakHis 40X": {"paper, vote F1": 0.964},
    "BreakHis 100X": {"paper, vote F1": 0.952},
    "BreakHis 200X": {"paper, vote F1": 0.958},
    "BreakHis 400X": {"paper, vote F1": 0.964},
}
ABLATIONS = {
    "(i) no wavelet": {"wavelet": None},
    "(ii) explicit target": {"target": "explicit"},
    "(iii) no reference": {"reference": False},
    "(iv) no L_align": {"lambda_align": 0.0},
    "(v) no attention": {"attention": False},
    "(vi) no AP": {"pooling": False},
}


# -- datasets: each yields (dataset, split, X_train, y_train, X_test, y_test) ------------------
# The positive class of each two-class dataset, whose F1 comes first (the paper's metric).
POS_LABELS = {"generated": 1}
BREAKHIS_POS_LABEL = "malignant"


def japanese_vowels(seeds):
    from sktime.datasets import load_japanese_vowels

    X_train, y_train = load_japanese_vowels(split="train", return_type="df-list")
    X_test, y_test = load_japanese_vowels(split="test", return_type="df-list")
    X_train, X_test = from_sktime(X_train), from_sktime(X_test)
    for seed in seeds:  # one official split; seeds vary the stochastic methods
        yield "JapaneseVowels", seed, X_train, np.asarray(y_train), X_test, np.asarray(y_test)


def generated(seeds):
    for seed in seeds:
        X, y = make_microscopy_sequences(
            n_cases=300,
            n_features=32,
            class_sep=4.0,
            signal_probability=0.15,
            min_length=20,
            max_length=60,
            random_state=seed,
        )
        yield "generated", seed, X[:200], y[:200], X[200:], y[200:]


def breakhis(root, cache, magnifications=None):
    from sklearn_microts.preprocessing import ImageFeatureExtractor

    extractor = ImageFeatureExtractor(cache=cache, verbose=1).fit()
    present = set(load_breakhis(root, magnification=None).magnification.tolist())
    for magnification in sorted(present if magnifications is None else magnifications):
        for fold in range(1, 6):
            bunch = load_breakhis(root, magnification=magnification, fold=fold)
            train, test = bunch.group == "train", bunch.group == "test"
            if len(set(bunch.target[train])) < 2 or not test.any():
                continue  # a magnification with too few patients in this copy of the data
            X = extractor.transform(bunch.data)
            POS_LABELS[f"BreakHis {magnification}X"] = BREAKHIS_POS_LABEL
            yield (
                f"BreakHis {magnification}X",
                fold,
                [x for x, keep in zip(X, train, strict=True) if keep],
                bunch.target[train],
                [x for x, keep in zip(X, test, strict=True) if keep],
                bunch.target[test],
            )


def user_table(path, case_col, order_col, label_col, split_col, seeds, pos_label=None):
    table = pd.read_csv(path) if str(path).endswith(".csv") else pd.read_parquet(path)
    feature_cols = [
        c for c in table.columns if c not in (case_col, order_col, label_col, split_col)
    ]
    X, y, cases = from_long_dataframe(table, case_col, order_col, label_col, feature_cols)
    name = Path(path).stem
    if pos_label is not None:
        POS_LABELS[name] = pos_label
    if split_col:
        split = table.groupby(case_col)[split_col].first().loc[cases].to_numpy()
        train = split == "train"
        for seed in seeds:
            yield (
                name,
                seed,
                [X[i] for i in np.flatnonzero(train)],
                y[train],
                [X[i] for i in np.flatnonzero(~train)],
                y[~train],
            )
        return
    folds = StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
    for fold, (train, test) in enumerate(folds, start=1):
        yield name, fold, [X[i] for i in train], y[train], [X[i] for i in test], y[test]


# -- methods ----------------------------------------------------------------------------------


class SktimePeer:
    """An sktime classifier on series padded (zeros) or truncated to one length.

    sktime's padding transformers pad to the longest training series and then fail on a
    longer test series: the length is fixed here from the training set (its longest case).
    ``concatenate=True`` makes one univariate series of the channels, for univariate-only
    methods such as TimeSeriesForest.
    """

    def __init__(self, estimator, concatenate=False, min_length=9):
        # 9 time points at least: MiniRocket's smallest input.
        self.estimator, self.concatenate, self.min_length = estimator, concatenate, min_length

    def _series(self, X):
        padded, _ = pad_sequences(X, length=self.length_, fill_value=0.0)
        series = padded.transpose(0, 2, 1)  # sktime's numpy3D: time last
        return series.reshape(len(X), 1, -1) if self.concatenate else series

    def fit(self, X, y):
        self.length_ = max(self.min_length, *(len(x) for x in X))
        self.fitted_ = clone(self.estimator).fit(self._series(X), y)
        return self

    def predict(self, X):
        return self.fitted_.predict(self._series(X))

    def predict_proba(self, X):
        return self.fitted_.predict_proba(self._series(X))

    @property
    def classes_(self):
        return self.fitted_.classes_


def mean_pooling_floor():
    """The floor every method must beat: each case's mean frame, standardised, into a
    logistic regression."""
    return make_pipeline(
        SequencePooler(statistics=("mean",)), StandardScaler(), LogisticRegression(max_iter=5000)
    )


def epochs_param(epochs):
    """Every neural model trains at its defaults, but for the epochs of a quick run."""
    return {} if epochs is None else {"max_epochs": epochs}


def methods(quick, epochs, seed):
    """name -> unfitted model; ours is a pipeline whose strategies are read after one fit."""
    train = {"random_state": seed, **epochs_param(epochs)}
    models = {
        "MicroTS": make_pipeline(
            DedupTransformer(drop_fraction=0.05),
            MicroTSClassifier(**train),
        ),
        "LSTM": LSTMClassifier(**train),
        "GRU": GRUClassifier(**train),
        "Transformer": TransformerClassifier(lr=1e-3, **train),
        "ABMIL": ABMILClassifier(**train),
        # Exact attention: these bags are short (tens of frames), where Nystrom approximates
        # nothing worth its cost; Nystrom bags also go one at a time (~0.15 s each on a CPU
        # with 64 landmarks), which made one JapaneseVowels fit take tens of minutes.
        "TransMIL": TransMILClassifier(attention="exact", **train),
        "mean LR (floor)": mean_pooling_floor(),
        "mean+max LR": make_pipeline(
            SequencePooler(), StandardScaler(), LogisticRegression(max_iter=5000)
        ),
    }
    from sktime.classification.distance_based import KNeighborsTimeSeriesClassifier
    from sktime.classification.kernel_based import RocketClassifier

    models["MiniRocket"] = SktimePeer(
        RocketClassifier(rocket_transform="minirocket", random_state=seed)
    )
    models["1-NN DTW"] = SktimePeer(KNeighborsTimeSeriesClassifier(n_neighbors=1))
    if not quick:
        from sktime.classification.feature_based import Catch22Classifier
        from sktime.classification.interval_based import TimeSeriesForestClassifier

        models["Catch22"] = SktimePeer(Catch22Classifier(random_state=seed))
        models["TimeSeriesForest"] = SktimePeer(
            TimeSeriesForestClassifier(random_state=seed), concatenate=True
        )
    return models


def run(model, name, X_train, y_train, X_test, y_test, pos_label=None):
    """Rows of results: one per strategy for ours, one otherwise."""
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    variants = [(f"{name} ({s})", s) for s in STRATEGIES] if name == "MicroTS" else [(name, None)]
    rows = []
    for label, strategy in variants:
        if strategy:
            model.set_params(microtsclassifier__strategy=strategy)
        start = time.perf_counter()
        predicted = model.predict(X_test)
        seconds = time.perf_counter() - start
        proba = model.predict_proba(X_test) if pos_label is not None else None
        scores = case_scores(y_test, predicted, proba, model.classes_, pos_label=pos_label)
        rows.append(
            {
                "method": label,
                **scores,
                "n_test_cases": len(y_test),
                "fit_seconds": fit_seconds,
                "predict_seconds": seconds,
            }
        )
    return rows


def ablation_rows(splits, epochs, seed):
    """Vote F1 of the full model and of each ablation (METHOD.md section 7)."""
    rows = []
    variants = {"full model": {}, **ABLATIONS}
    progress = tqdm(total=len(splits) * len(variants), desc="ablations")
    for dataset, split, X_train, y_train, X_test, y_test in splits:
        for name, params in variants.items():
            progress.set_postfix_str(f"{dataset} / {name}")
            model = MicroTSClassifier(random_state=seed, **epochs_param(epochs), **params)
            model.fit(X_train, y_train)
            predicted = model.predict(X_test)  # the ablation's own strategy where it fixes one
            scores = case_scores(y_test, predicted, pos_label=POS_LABELS.get(dataset))
            rows.append(
                {
                    "dataset": dataset,
                    "split": split,
                    "ablation": name,
                    "f1": scores[primary_metric(dataset)],
                }
            )
            progress.update()
    progress.close()
    return pd.DataFrame(rows)


# -- outputs ----------------------------------------------------------------------------------


# Column names and headers, the dataset's primary metric first.
BINARY_METRICS = SCORE_NAMES
MULTICLASS_METRICS = {name: SCORE_NAMES[name] for name in ("accuracy", "f1_macro")}


def dataset_metrics(dataset):
    return BINARY_METRICS if dataset in POS_LABELS else MULTICLASS_METRICS


def primary_metric(dataset):
    return next(iter(dataset_metrics(dataset)))


def markdown_table(results):
    """One table per dataset (methods by scores, mean ± std over splits), then timings."""
    lines = []
    spread = lambda s: "" if np.isnan(s) else f" ± {s:.3f}"  # noqa: E731
    for dataset, rows in results.groupby("dataset", sort=False):
        metrics = dataset_metrics(dataset)
        positive = f" (positive class: {POS_LABELS[dataset]})" if dataset in POS_LABELS else ""
        n_test = rows.groupby("split")["n_test_cases"].first()
        lines += [
            f"### {dataset}{positive}",
            "",
            f"{len(n_test)} split(s), {int(n_test.sum())} test cases in all "
            f"({int(n_test.min())}-{int(n_test.max())} per split); case level.",
            "",
            "| method | " + " | ".join(metrics.values()) + " |",
            "|---|" + "---:|" * len(metrics),
        ]
        for method, scores in rows.groupby("method", sort=False):
            if scores[list(metrics)].isna().all().all():
                lines.append(f"| {method} | " + " | ".join(["failed"] * len(metrics)) + " |")
                continue
            cells = [f"{scores[m].mean():.3f}{spread(scores[m].std())}" for m in metrics]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    summary = results.groupby(["dataset", "method"], sort=False).agg(
        fit=("fit_seconds", "mean"), predict=("predict_seconds", "mean"), runs=("method", "size")
    )
    lines += ["Mean seconds per run (fit / predict):", ""]
    lines += ["| dataset | method | fit s | predict s | runs |", "|---|---|---:|---:|---:|"]
    for (dataset, method), row in summary.iterrows():
        lines.append(
            f"| {dataset} | {method} | {row.fit:.1f} | {row.predict:.2f} | {int(row.runs)} |"
        )
    datasets = list(dict.fromkeys(results["dataset"]))
    references = [(d, r) for d, r in REFERENCES.items() if d in datasets]
    if references:
        lines += ["", "Published reference numbers:", ""]
        for dataset, numbers in references:
            lines += [f"- {dataset}: " + ", ".join(f"{k} {v:.3f}" for k, v in numbers.items())]
    return "\n".join(lines)


def plots(results, ablations, out):
    """``compare.png``: each dataset's primary score per method (mean, std as error bars,
    the value written beside it), the axis zoomed on the scores' range; ``ablation.png``:
    the drop of each ablation, a zero drop marked as well."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    datasets = list(dict.fromkeys(results["dataset"]))
    n_methods = results["method"].nunique()
    fig, axes = plt.subplots(
        1, len(datasets), figsize=(6.5 * len(datasets), 0.35 * n_methods + 2), squeeze=False
    )
    for ax, dataset in zip(axes[0], datasets, strict=True):
        metric = primary_metric(dataset)
        scores = results[results["dataset"] == dataset].groupby("method", sort=False)[metric]
        means, stds = scores.mean().dropna(), scores.std().fillna(0.0)
        stds = stds.reindex(means.index)
        colors = ["tab:orange" if m.startswith("MicroTS") else "tab:blue" for m in means.index]
        ax.barh(means.index, means.values, xerr=stds.values, color=colors, capsize=2)
        for y, (mean, std) in enumerate(zip(means.values, stds.values, strict=True)):
            ax.text(min(mean + std, 1.0) + 0.005, y, f"{mean:.3f}", va="center", fontsize=8)
        # Zoomed on the scores, so that 0.85 against 0.95 shows; the axis says where it starts.
        low = max(0.0, float((means - stds).min()) - 0.05)
        ax.set_xlim(low, 1.04)
        ax.set_title(f"{dataset} ({scores.size().iloc[0]} split(s))")
        ax.set_xlabel(f"{dataset_metrics(dataset)[metric]} (mean ± std; axis from {low:.2f})")
        ax.invert_yaxis()
    fig.legend(
        handles=[
            Patch(color="tab:orange", label="MicroTS (ours)"),
            Patch(color="tab:blue", label="baselines, peers, floors"),
        ],
        loc="lower center",
        ncol=2,
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(out / "compare.png", dpi=100)

    if len(ablations):
        drops = ablation_drops(ablations)
        mean, std = drops.mean(), drops.std().fillna(0.0)
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.bar(mean.index, mean.values, yerr=std.values, color="tab:red", capsize=3)
        ax.plot(mean.index, mean.values, "k_", markersize=18)  # a zero drop stays visible
        for x, value in enumerate(mean.values):
            ax.annotate(  # right of the bar's centre, clear of the error bar
                f"{value:+.1f}",
                (x, value),
                textcoords="offset points",
                xytext=(8, 3),
                ha="left",
                fontsize=8,
            )
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("drop of the primary score vs full model (points)")
        ax.set_title("Ablations (Fig. 4): " + ", ".join(dict.fromkeys(ablations["dataset"])))
        plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
        fig.tight_layout()
        fig.savefig(out / "ablation.png", dpi=100)


def ablation_drops(ablations):
    """Points lost by each ablation against the full model of the same split, per split."""
    full = ablations[ablations["ablation"] == "full model"].set_index(["dataset", "split"])
    drops = ablations[ablations["ablation"] != "full model"].copy()
    drops["drop"] = [
        100 * (full.loc[(d, s), "f1"] - f1)
        for d, s, f1 in zip(drops["dataset"], drops["split"], drops["f1"], strict=True)
    ]
    return drops.groupby("ablation", sort=False)["drop"]


def ablation_table(ablations):
    drops = ablation_drops(ablations)
    lines = [
        "Ablations (Fig. 4): drop of the primary score against the full model, points",
        "",
        "| ablation | drop (mean ± std) | splits |",
        "|---|---:|---:|",
    ]
    for name, values in drops:
        spread = "" if len(values) < 2 else f" ± {values.std():.1f}"
        lines.append(f"| {name} | {values.mean():+.1f}{spread} | {len(values)} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, seeds and peers")
    parser.add_argument("--breakhis", help="BreakHis folder (adds it to the datasets)")
    parser.add_argument(
        "--magnification",
        type=int,
        action="append",
        help="BreakHis magnification to run (repeatable; default: every one present)",
    )
    parser.add_argument("--data", help="a CSV/parquet table, one row per frame")
    parser.add_argument("--case-col", default="case", help="--data column naming the case")
    parser.add_argument(
        "--order-col", default="order", help="--data column ordering frames within a case"
    )
    parser.add_argument("--label-col", default="label", help="--data column of the case label")
    parser.add_argument("--split-col", help="column with train/test per case (else 5-fold CV)")
    parser.add_argument(
        "--pos-label", help="positive class of a two-class --data table (its F1 comes first)"
    )
    parser.add_argument("--no-defaults", action="store_true", help="skip the default datasets")
    parser.add_argument(
        "--method",
        action="append",
        help="run only this method, by its name in the table (repeatable; default: all)",
    )
    parser.add_argument("--no-ablations", action="store_true", help="skip the ablations (Fig. 4)")
    parser.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results"),
        help="folder for results.csv, table.md and the plots",
    )
    parser.add_argument(
        "--cache",
        default=os.path.join(os.path.expanduser("~"), ".cache", "sklearn_microts"),
        help="folder of the BreakHis feature cache",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    seeds = [0] if args.quick else [0, 1, 2]
    epochs = 15 if args.quick else None  # None: each estimator's own max_epochs
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    sources = []
    if not args.no_defaults:
        sources += [japanese_vowels(seeds), generated(seeds)]
    if args.breakhis:
        sources.append(breakhis(args.breakhis, args.cache, args.magnification))
    if args.data:
        sources.append(
            user_table(
                args.data,
                args.case_col,
                args.order_col,
                args.label_col,
                args.split_col,
                seeds,
                args.pos_label,
            )
        )
    splits = [split for source in sources for split in source]
    rows = []

    def chosen(seed):
        every = methods(args.quick, epochs, seed)
        unknown = set(args.method or ()) - set(every)
        if unknown:
            parser.error(f"unknown --method {sorted(unknown)}; choose from {sorted(every)}")
        return {k: v for k, v in every.items() if not args.method or k in args.method}

    progress = tqdm(total=len(splits) * len(chosen(0)), desc="runs")
    for dataset, split, X_train, y_train, X_test, y_test in splits:
        seed = split if isinstance(split, int) else 0
        for name, model in chosen(seed).items():
            progress.set_postfix_str(f"{dataset} / {name}")
            try:
                pos_label = POS_LABELS.get(dataset)
                for row in run(model, name, X_train, y_train, X_test, y_test, pos_label):
                    rows.append({"dataset": dataset, "split": split, **row})
            except Exception as exc:  # one method failing on some data must not end the run
                tqdm.write(f"{name} failed on {dataset} split {split}: {exc!r}")
                rows.append(
                    {"dataset": dataset, "split": split, "method": name, "error": repr(exc)}
                )
            progress.update()
    progress.close()
    results = pd.DataFrame(rows)
    results.to_csv(out / "results.csv", index=False)

    ablations = pd.DataFrame()
    if not args.no_ablations:
        ablation_splits = [s for s in splits if s[0] in ("generated",) or args.no_defaults][:3]
        ablation_splits = ablation_splits[:1] if args.quick else ablation_splits
        ablations = ablation_rows(ablation_splits, epochs, 0)
        ablations.to_csv(out / "ablations.csv", index=False)
    table = markdown_table(results)
    if len(ablations):
        table += "\n\n" + ablation_table(ablations)
    (out / "table.md").write_text(table + "\n")
    plots(results, ablations, out)
    print(table)
    print(f"\nwall time {time.perf_counter() - start:.0f} s; outputs in {out}")


if __name__ == "__main__":
    main()
