"""How should the vote pool its three voices where ``fit`` holds out no validation cases?

One fit of the README's pipeline (``MicroTSClassifier(random_state=0)`` behind
``DedupTransformer(drop_fraction=0.05)``, one torch thread) per split of the suite's
datasets; each voice's test probabilities are kept (``--probas``, so that a rerun fits
nothing), and every pooling rule is scored on them: the same fits, only the rule differs.
The rules: the paper's majority of the three calls, the equal linear pool (the mean of the
probabilities), the equal geometric pool, and the linear pool with ``ap`` at 1/2 and the two
frame-wise voices at 1/4 each (the default's rule without validation cases). "vote" is the
default as fitted, which learns a log-linear pool where there are validation cases.

    python benchmarks/suite_vote_rules.py --breakhis PATH --out results/vote_rules
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch
from _compare.models import microts_pipeline
from _harness import add_cache_option, cpu_model, load_average
from reproduce_docs import SUITE_NAMES
from sklearn.metrics import log_loss
from suite import suite_splits

from sklearn_microts import MicroTSClassifier
from sklearn_microts.classifiers._vote import VOTERS, linear_pool, log_linear_pool

RULES = {
    "majority": None,  # the fitted model's own, read with vote_weights="equal"
    "equal linear": lambda p: linear_pool(p, dict.fromkeys(VOTERS, 1.0)),
    "equal geometric": lambda p: log_linear_pool(p, dict.fromkeys(VOTERS, 1 / 3)),
    "linear 1/2, 1/4, 1/4": lambda p: linear_pool(p, {"ap": 0.5, "dtw": 0.25, "knn": 0.25}),
}


def split_probas(split, folder):
    """Each voice's, the fitted vote's and the majority's test probabilities on ``split``."""
    path = Path(folder) / f"{split.dataset}__{split.split}.npz"
    if not path.exists():
        model = microts_pipeline(MicroTSClassifier(random_state=0))
        model.fit(split.X_train, split.y_train)
        classifier, probas = model[-1], {}
        for strategy in (*VOTERS, "vote"):
            classifier.set_params(strategy=strategy)
            probas[strategy] = model.predict_proba(split.X_test)
        classifier.set_params(strategy="vote", vote_weights="equal")
        probas["majority"] = model.predict_proba(split.X_test)
        y = np.searchsorted(classifier.classes_, np.asarray(split.y_test))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, y=y, **probas)
    stored = np.load(path)
    return stored["y"], {name: stored[name] for name in (*VOTERS, "vote", "majority")}


def scores(y, probas):
    """Accuracy and log-loss of every voice and rule."""
    pooled = dict(probas)
    for name, rule in RULES.items():
        if rule is not None:
            pooled[name] = rule({voice: probas[voice] for voice in VOTERS})
    labels = range(probas["ap"].shape[1])
    return {
        name: (np.mean(p.argmax(1) == y), log_loss(y, np.clip(p, 1e-6, 1), labels=labels))
        for name, p in pooled.items()
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", help="datasets (default: the suite's)")
    parser.add_argument("--breakhis", help="BreakHis folder (adds BreakHis 200X)")
    parser.add_argument("--probas", default="results/vote_rules/probas", help="kept fits")
    parser.add_argument("--out", default="results/vote_rules", help="folder of the table")
    add_cache_option(parser)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    names = list(args.dataset or SUITE_NAMES) + (["BreakHis 200X"] if args.breakhis else [])
    per_dataset = {}
    for split in suite_splits(names, 10, 1, 1, args.breakhis, args.cache):
        y, probas = split_probas(split, args.probas)
        per_dataset.setdefault(split.dataset, []).append(scores(y, probas))
    columns = [*VOTERS, "vote", *RULES]
    lines = [
        f"{cpu_model()}, {load_average()}; accuracy (log-loss), mean over splits; gap: to "
        "the best voice of the dataset.",
        "",
        "| dataset | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    gaps = {name: [] for name in columns}
    for dataset, runs in per_dataset.items():
        mean = {name: np.mean([run[name] for run in runs], axis=0) for name in columns}
        best = max(mean[voice][0] for voice in VOTERS)
        for name in columns:
            gaps[name].append(mean[name][0] - best)
        cells = [f"{mean[name][0]:.3f} ({mean[name][1]:.2f})" for name in columns]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    for label, summary in (("mean gap", np.mean), ("worst gap", np.min)):
        cells = [f"{summary(gaps[name]):+.3f}" for name in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    below = [str(int(np.sum(np.array(gaps[name]) < -0.02))) for name in columns]
    lines.append("| datasets > 0.02 below the best voice | " + " | ".join(below) + " |")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "vote_rules.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
