"""Which training recipe and which image features suit BreakHis' 30-40 training patients?

A nested cross-validation on the official folds, patient level. For every outer fold, every
recipe is scored by an inner stratified 3-fold cross-validation on that fold's training
patients alone (predictions pooled over the inner folds), and also fitted on all of them and
scored on the fold's test patients. The recipe a fold's inner CV prefers is the one whose
test score counts as that fold's nested estimate: no choice ever sees a test patient.
Features are compared the same way with the mean-pooling floor and with our default recipe.

    python benchmarks/breakhis_study.py /path/to/breakhis --out study/   # ~1 h on 2 cores

Outputs in ``--out``: ``recipes.csv`` and ``features.csv`` (every score), and the tables
printed at the end (Markdown).
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _compare.models import mean_pooling_floor, microts_pipeline
from _harness import Table, add_cache_option, add_image_root, agg_pyplot, require_image_root
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.ensemble import VotingClassifier
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from sklearn_microts import MicroTSClassifier
from sklearn_microts.classifiers import STRATEGIES
from sklearn_microts.datasets import load_breakhis
from sklearn_microts.metrics import SCORE_NAMES, case_scores

# Round 1: one change at a time from a base recipe (every parameter it sets pinned, so that
# later changes of the package's defaults leave this comparison as it was), plus the
# paper's recipe for reference.
BASE = {
    "lr": 1e-3,
    "max_epochs": 60,
    "validation_fraction": "auto",
    "standardize": True,
    "class_weight": None,
    "frame_dropout": 0.0,
    "input_dropout": 0.0,
    "weight_decay": 0.0,
    "d_model": 192,
    "n_heads": 3,
    "mlp_dim": 768,
    "head_hidden": 192,
    "pool_hidden": 128,
}
NARROW = {"d_model": 64, "n_heads": 2, "mlp_dim": 128, "head_hidden": 64, "pool_hidden": 64}
CHANGES = {
    "base (lr 1e-3, 60 epochs)": {},
    "paper (lr 1e-4, 100 epochs, early stopping on 15%, raw features)": {
        "lr": 1e-4,
        "max_epochs": 100,
        "validation_fraction": 0.15,
        "standardize": False,
    },
    "raw features (standardize=False)": {"standardize": False},
    "30 epochs": {"max_epochs": 30},
    "120 epochs": {"max_epochs": 120},
    "narrow (d_model 64, mlp 128)": NARROW,
    "weight_decay 1e-2": {"weight_decay": 1e-2},
    "class_weight balanced": {"class_weight": "balanced"},
    "frame_dropout 0.3": {"frame_dropout": 0.3},
    "input_dropout 0.3": {"input_dropout": 0.3},
}
RECIPES = {name: {**BASE, **change} for name, change in CHANGES.items()}
# Round 2: the changes that won round 1's inner CV, together, at 100 epochs.
WINNERS = {**BASE, "max_epochs": 100, "class_weight": "balanced", "frame_dropout": 0.3}
COMBINATIONS = {
    "balanced + frame_dropout 0.3": WINNERS,
    "balanced": {**WINNERS, "frame_dropout": 0.0},
    "balanced + frame_dropout 0.3 + narrow": {**WINNERS, **NARROW},
    "balanced + frame_dropout 0.3 + weight_decay 1e-2": {**WINNERS, "weight_decay": 1e-2},
}
FEATURES = {  # in the order they are run: the likeliest levers first
    "lite0": {},
    "lite0 + dihedral": {"orientations": "dihedral"},
    "lite1": {"backbone": "efficientnet-lite1"},
    "lite2": {"backbone": "efficientnet-lite2"},
    "lite0 + Macenko": {"stain": "macenko"},
    "lite0 + flips": {"orientations": "flips"},
}


def ours(params, seed, n_seeds=1):
    """Our pipeline; with ``n_seeds`` > 1 a soft vote of networks trained from as many seeds
    (scikit-learn's VotingClassifier, which takes our ragged cases as they are)."""
    if n_seeds == 1:
        return microts_pipeline(MicroTSClassifier(random_state=seed, **params))
    members = [
        (f"seed{k}", MicroTSClassifier(random_state=seed * 100 + k, **params))
        for k in range(n_seeds)
    ]
    return microts_pipeline(VotingClassifier(members, voting="soft"))


def predictions(model, X_train, y_train, X_test):
    """Each strategy's predictions (ours: one fit, four strategies) or the model's."""
    with threadpool_limits(1):  # one thread per worker: the workers share the cores
        model.fit(X_train, y_train)
        knobs = [name for name in model.get_params() if name.endswith("__strategy")]
        if not knobs:
            return {"": (model.predict(X_test), model.predict_proba(X_test))}
        out = {}
        for strategy in STRATEGIES:
            model.set_params(**dict.fromkeys(knobs, strategy))
            out[strategy] = (model.predict(X_test), model.predict_proba(X_test))
        return out


def evaluate(model, X, y, train, test, inner_folds, seed):
    """Rows of scores: the test patients' ("outer") and the pooled inner CV's ("inner")."""
    take = lambda idx: [X[i] for i in idx]  # noqa: E731
    rows = []
    outer = predictions(clone(model), take(train), y[train], take(test))
    classes = np.unique(y[train])
    for strategy, (predicted, proba) in outer.items():
        rows.append(
            {
                "stage": "outer",
                "strategy": strategy,
                "n_cases": len(test),
                **case_scores(y[test], predicted, proba, classes, "malignant"),
            }
        )
    if inner_folds < 2:
        return rows
    splitter = StratifiedKFold(inner_folds, shuffle=True, random_state=seed)
    pooled = {}
    for inner_train, inner_test in splitter.split(np.zeros(len(train)), y[train]):
        fitted = predictions(
            clone(model),
            take(train[inner_train]),
            y[train[inner_train]],
            take(train[inner_test]),
        )
        for strategy, (predicted, proba) in fitted.items():
            pooled.setdefault(strategy, []).append((inner_test, predicted, proba))
    for strategy, parts in pooled.items():
        order = np.concatenate([p[0] for p in parts])
        predicted = np.concatenate([p[1] for p in parts])
        proba = np.concatenate([p[2] for p in parts])
        truth = y[train][order]
        rows.append(
            {
                "stage": "inner",
                "strategy": strategy,
                "n_cases": len(order),
                **case_scores(truth, predicted, proba, classes, "malignant"),
            }
        )
    return rows


def features_of(root, cache, options):
    from sklearn_microts.preprocessing import ImageFeatureExtractor

    bunch = load_breakhis(root, magnification=200)
    extractor = ImageFeatureExtractor(cache=cache, verbose=1, **options).fit()
    return bunch.patient, extractor.transform(bunch.data)


def folds(root):
    for fold in range(1, 6):
        bunch = load_breakhis(root, magnification=200, fold=fold)
        yield fold, bunch.patient, bunch.target, bunch.group


def run_tasks(tasks, n_jobs, path):
    """Run the tasks in order, rewriting ``path`` after each, so an interrupted study keeps
    what it measured."""
    rows = []
    results = Parallel(n_jobs=n_jobs, verbose=10, return_as="generator")(
        delayed(_run_one)(labels, call) for labels, call in tasks
    )
    for result in results:
        rows += result
        pd.DataFrame(rows).to_csv(path, index=False)


def _run_one(labels, call):
    return [{**labels, **row} for row in call[0](*call[1:])]


METRICS = {**SCORE_NAMES, "f1_pos": "F1 (malignant)"}
SELECT_BY = "f1_macro"  # the inner-CV score that chooses: both classes must be recognised


def _cell(values):
    return f"{values.mean():.3f} ± {values.std():.3f}"


def recipe_tables(frame, strategy="vote"):
    """Markdown: every recipe's inner and outer scores, then each fold's inner choice."""
    frame = frame.fillna({"strategy": ""})
    chosen_rows = frame[frame["strategy"].isin([strategy, ""])]
    lines = [
        f"| recipe ({strategy}) | inner {METRICS[SELECT_BY]} | "
        + " | ".join(f"test {m}" for m in METRICS.values())
        + " |",
        "|---|" + "---:|" * (len(METRICS) + 1),
    ]
    for recipe, rows in chosen_rows.groupby("recipe", sort=False):
        inner = rows[rows["stage"] == "inner"][SELECT_BY]
        outer = rows[rows["stage"] == "outer"]
        cells = [_cell(inner)] + [_cell(outer[m]) for m in METRICS]
        lines.append(f"| {recipe} | " + " | ".join(cells) + " |")
    ours = chosen_rows[chosen_rows["strategy"] == strategy]
    inner = ours[ours["stage"] == "inner"].set_index(["fold", "recipe"])[SELECT_BY]
    outer = ours[ours["stage"] == "outer"].set_index(["fold", "recipe"])
    lines += [
        "",
        f"| fold | recipe chosen by inner CV ({SELECT_BY}) | "
        + " | ".join(f"test {m}" for m in METRICS.values())
        + " |",
        "|---:|---|" + "---:|" * len(METRICS),
    ]
    nested = []
    for fold, scores in inner.groupby(level="fold"):
        recipe = scores.idxmax()[1]
        row = outer.loc[(fold, recipe)]
        nested.append(row)
        lines.append(
            f"| {fold} | {recipe} | " + " | ".join(f"{row[m]:.3f}" for m in METRICS) + " |"
        )
    nested = pd.DataFrame(nested)
    lines.append("| nested estimate | | " + " | ".join(_cell(nested[m]) for m in METRICS) + " |")
    return "\n".join(lines)


def strategy_table(frame, recipe):
    """Markdown: the four strategies of one recipe on the test patients."""
    rows = frame[(frame["recipe"] == recipe) & (frame["stage"] == "outer")]
    lines = [
        "| strategy | " + " | ".join(METRICS.values()) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for strategy, scores in rows.groupby("strategy", sort=False):
        lines.append(f"| {strategy} | " + " | ".join(_cell(scores[m]) for m in METRICS) + " |")
    return "\n".join(lines)


def feature_table(frame):
    """Markdown: each feature variant with the floor and with our default (vote)."""
    frame = frame.fillna({"strategy": ""})
    frame = frame[frame["strategy"].isin(["vote", ""])]
    lines = [
        "| features | method | " + " | ".join(METRICS.values()) + " |",
        "|---|---|" + "---:|" * len(METRICS),
    ]
    for (features, method), scores in frame.groupby(["features", "method"], sort=False):
        lines.append(
            f"| {features} | {method} | " + " | ".join(_cell(scores[m]) for m in METRICS) + " |"
        )
    return "\n".join(lines)


def plot(recipes, path):
    plt = agg_pyplot()
    frame = recipes.fillna({"strategy": ""})
    frame = frame[frame["strategy"].isin(["vote", ""])]
    names = list(dict.fromkeys(frame["recipe"]))
    fig, ax = plt.subplots(figsize=(12, 0.5 * len(names) + 1.8))
    for offset, (stage, color) in enumerate((("inner", "tab:gray"), ("outer", "tab:orange"))):
        rows = frame[frame["stage"] == stage].groupby("recipe", sort=False)[SELECT_BY]
        means, stds = rows.mean().reindex(names), rows.std().reindex(names)
        positions = np.arange(len(names)) + 0.2 * (2 * offset - 1)
        ax.barh(
            positions,
            means,
            xerr=stds,
            height=0.4,
            color=color,
            label="inner CV (training patients)" if stage == "inner" else "test patients",
        )
        for y, value, spread in zip(positions, means, stds.fillna(0), strict=True):
            # beside the error bar, so that neither hides the other
            ax.text(min(value + spread, 1.0) + 0.005, y, f"{value:.2f}", va="center", fontsize=8)
    ax.set_yticks(np.arange(len(names)), names)
    ax.invert_yaxis()
    lows = frame.groupby(["recipe", "stage"])[SELECT_BY].mean()
    ax.set_xlim(max(0.0, lows.min() - 0.15), 1.06)
    ax.set_xlabel(f"{METRICS[SELECT_BY]} of the vote strategy, mean ± std over the 5 folds")
    ax.set_title("BreakHis 200X, patient level: training recipes")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def report(out):
    """Print the tables of the parts measured so far, and write each to ``<part>.md``."""
    for part in ("recipes", "combinations", "features"):
        if not (out / f"{part}.csv").exists():
            continue
        frame = pd.read_csv(out / f"{part}.csv")
        if part == "features":
            text = feature_table(frame)
        else:
            first = frame["recipe"].iloc[0]
            text = recipe_tables(frame) + f"\n\nStrategies of {first}:\n\n"
            text += strategy_table(frame, first)
            plot(frame, out / f"{part}.png")
        print(f"## {part.capitalize()}\n")
        Table(out / f"{part}.md").add(text)
        print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_image_root(parser, "BreakHis folder (BreaKHis_v1/ and mkfold/)")
    parser.add_argument("--out", default="breakhis_study", help="folder for the CSV files")
    add_cache_option(parser)
    parser.add_argument(
        "--part",
        choices=["recipes", "combinations", "features", "both", "report"],
        default="both",
        help="which comparison to run (report: print the tables of --out only)",
    )
    parser.add_argument("--inner-folds", type=int, default=3, help="inner CV folds")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel fits")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.part == "report":
        report(out)
        return
    require_image_root(parser, args)
    start = time.perf_counter()
    patients, X = features_of(args.root, args.cache, FEATURES["lite0"])
    position = {p: i for i, p in enumerate(patients)}

    def split(fold_patients, target, group):
        index = np.array([position[p] for p in fold_patients])
        y = np.empty(len(patients), dtype=object)
        y[index] = target
        return y, index[group == "train"], index[group == "test"]

    for part, recipes in (("recipes", RECIPES), ("combinations", COMBINATIONS)):
        if args.part not in (part, "both"):
            continue
        tasks = []
        for fold, fold_patients, target, group in folds(args.root):
            y, train, test = split(fold_patients, target, group)
            for name, params in recipes.items():
                call = (evaluate, ours(params, fold), X, y, train, test, args.inner_folds, fold)
                tasks.append(({"fold": fold, "recipe": name}, call))
            call = (evaluate, mean_pooling_floor(), X, y, train, test, args.inner_folds, fold)
            tasks.append(({"fold": fold, "recipe": "mean pooling + LR (floor)"}, call))
        run_tasks(tasks, args.n_jobs, out / f"{part}.csv")
    if args.part in ("features", "both"):
        # The floor on every variant first (seconds), then ours variant by variant, then a
        # soft vote of five seeds: the cheap answers come first.
        methods = {
            "floor": lambda fold: mean_pooling_floor(),
            "ours": lambda fold: ours({}, fold),
            "ours, 5 seeds": lambda fold: ours({}, fold, n_seeds=5),
        }
        variants = {name: features_of(args.root, args.cache, o)[1] for name, o in FEATURES.items()}
        tasks = []
        for method, make in methods.items():
            for feature_name, X_variant in variants.items():
                if method == "ours, 5 seeds" and feature_name != "lite0":
                    continue
                for fold, fold_patients, target, group in folds(args.root):
                    y, train, test = split(fold_patients, target, group)
                    # Outer folds only: features are measured here, not chosen.
                    call = (evaluate, make(fold), X_variant, y, train, test, 0, fold)
                    labels = {"fold": fold, "features": feature_name, "method": method}
                    tasks.append((labels, call))
        run_tasks(tasks, args.n_jobs, out / "features.csv")
    report(out)
    print(f"wall time {time.perf_counter() - start:.0f} s; CSV files in {out}")


if __name__ == "__main__":
    main()
