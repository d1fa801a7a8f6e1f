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
import time
import warnings
from pathlib import Path

from _compare.ablations import ablation_rows, ablation_splits
from _compare.data import breakhis, generated, japanese_vowels, pos_labels, user_table
from _compare.models import methods
from _compare.plots import plot_ablations, plot_scores
from _compare.run import run_all, split_seed
from _compare.tables import ablation_table, markdown_table
from _harness import Table, add_cache_option


def build_parser():
    """The options of ``compare.py``."""
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
    add_cache_option(parser)
    return parser


def main():
    parser = build_parser()
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
    positives = pos_labels(splits)

    def chosen(split):
        every = methods(args.quick, epochs, split_seed(split))
        unknown = set(args.method or ()) - set(every)
        if unknown:
            parser.error(f"unknown --method {sorted(unknown)}; choose from {sorted(every)}")
        return {k: v for k, v in every.items() if not args.method or k in args.method}

    results = run_all(splits, chosen)
    results.to_csv(out / "results.csv", index=False)
    table = markdown_table(results, positives)
    plot_scores(results, positives, out / "compare.png")
    if not args.no_ablations:
        ablations = ablation_rows(ablation_splits(splits, args.quick, args.no_defaults), epochs, 0)
        ablations.to_csv(out / "ablations.csv", index=False)
        if len(ablations):
            table += "\n\n" + ablation_table(ablations)
            plot_ablations(ablations, out / "ablation.png")
    Table(out / "table.md").add(table)
    print(f"\nwall time {time.perf_counter() - start:.0f} s; outputs in {out}")


if __name__ == "__main__":
    main()
