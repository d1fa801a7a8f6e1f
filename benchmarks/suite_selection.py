"""Choose a default by inner cross-validation on the suite's training cases only.

For every dataset, the training cases of its first split (a bag set: the first fold's
training bags; a series set: the archive's training series) are cut into ``--inner-folds``
stratified folds (seed 0); each candidate recipe of ``MicroTSClassifier`` is fitted on the
other inner folds, behind ``DedupTransformer`` as the README's pipeline has it, and scored
on the held-out one, every strategy from one fit. No test case of the suite is read. The
candidates are ranked per dataset by the inner accuracy of the vote, and by mean rank over
the datasets; the suite (``suite.py``) then judges the chosen default on the test cases.

    python benchmarks/suite_selection.py --candidate narrow='{"d_model": 64, "n_heads": 2}'

Outputs in ``--out`` (default ``benchmarks/results/selection``): ``inner.csv`` (every inner
fold) and ``inner.md`` (the means and ranks). Inner runs are cached as the suite's are.
"""

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _compare.cache import ResultCache
from _compare.data import cross_validation_splits
from _compare.models import OURS, microts_pipeline
from _compare.ranks import ranks
from _compare.run import run_all
from _harness import Table, add_cache_option, cpu_model, load_average
from suite import DATASETS, QUICK, chosen_datasets, suite_splits

from sklearn_microts import MicroTSClassifier


def candidate(text):
    """``NAME=JSON``: a recipe's name and the parameters it gives ``MicroTSClassifier``."""
    name, _, params = text.partition("=")
    return name, json.loads(params or "{}")


def inner_splits(split, n_folds):
    """The inner folds of one outer split's training cases (its test cases are not read)."""
    return cross_validation_splits(
        split.dataset, split.X_train, split.y_train, n_folds, 1, split.pos_label
    )


def inner_table(results):
    """Markdown: each recipe's inner vote accuracy per dataset, its mean rank and mean,
    the seconds all its fits took, then each strategy's mean inner accuracy."""
    vote = results[results["method"] == f"{OURS} (vote)"]
    means = vote.pivot_table(index="dataset", columns="recipe", values="accuracy", sort=False)
    lines = [
        "| dataset (vote accuracy) | " + " | ".join(means.columns) + " |",
        "|---|" + "---:|" * len(means.columns),
    ]
    for dataset, row in means.iterrows():
        lines.append(f"| {dataset} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    mean_rank = ranks(means).mean()
    lines.append("| mean rank | " + " | ".join(f"{mean_rank[c]:.2f}" for c in means) + " |")
    lines.append("| mean | " + " | ".join(f"{means[c].mean():.3f}" for c in means) + " |")
    fit = results.groupby("recipe", sort=False)["fit_seconds"].sum()
    lines.append("| fit s, all | " + " | ".join(f"{fit[c]:.0f}" for c in means) + " |")
    strategies = results.pivot_table(
        index="recipe", columns="method", values="accuracy", aggfunc=np.mean, sort=False
    )
    lines += ["", "Inner accuracy of each strategy, mean over all inner folds:", ""]
    lines += [strategies.round(3).to_markdown()]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--candidate",
        action="append",
        type=candidate,
        default=[],
        help="NAME=JSON of MicroTSClassifier parameters (repeatable); 'default' is added",
    )
    parser.add_argument(
        "--dataset",
        action="append",
        choices=DATASETS,
        help=f"datasets (default: {', '.join(QUICK)})",
    )
    parser.add_argument("--inner-folds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--breakhis", help="BreakHis folder: adds BreakHis 200X")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "selection"))
    parser.add_argument("--results-cache", help="folder of the cached runs (default: OUT/cache)")
    add_cache_option(parser)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(args.threads)
    print(f"{cpu_model()}, {load_average()}, {args.threads} torch thread(s)", flush=True)
    candidates = {"default": {}, **dict(args.candidate)}
    firsts = {}
    names = chosen_datasets(parser, args, QUICK)
    for split in suite_splits(names, 10, 1, 1, args.breakhis, args.cache):
        firsts.setdefault(split.dataset, split)
    splits = [
        inner for split in firsts.values() for inner in inner_splits(split, args.inner_folds)
    ]

    def recipes(split):
        return {
            name: microts_pipeline(MicroTSClassifier(random_state=split.split, **params))
            for name, params in candidates.items()
        }

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    cache = ResultCache(args.results_cache or out / "cache")
    for name in candidates:  # one name at a time: each is "MicroTS" to the runner

        def one(split, name=name):
            return {OURS: recipes(split)[name]}

        result = run_all(splits, one, cache)
        result["recipe"] = name
        rows.append(result)
    results = pd.concat(rows, ignore_index=True)
    results.to_csv(out / "inner.csv", index=False)
    Table(out / "inner.md").add(
        f"Inner {args.inner_folds}-fold CV on training cases only; {cpu_model()}",
        "",
        inner_table(results),
    )


if __name__ == "__main__":
    main()
