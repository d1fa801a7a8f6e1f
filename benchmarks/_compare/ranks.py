"""How methods compare across datasets: their ranks, the critical difference of those ranks,
and the wins, ties and losses of the default against each other method.

Each dataset is scored by its ranking metric (``Split.metric``, else the first score it
reports), the mean over its splits. Ranks are 1 for the best; ties share the mean rank. A
method's mean rank is over the datasets it ran on; methods that ran on fewer datasets (the
series peers skip the bags) are ranked among those present there.
"""

import numpy as np
import pandas as pd
from scipy.stats import rankdata, studentized_range

from .metrics import primary_metric
from .models import OURS

# The default of the package, the row every other method is held against.
DEFAULT = f"{OURS} (vote)"
# Two mean scores closer than this are a tie in the win/tie/loss counts.
TIE = 0.01


def ranking_metrics(splits):
    """``{dataset: column}`` of the score each dataset ranks methods by."""
    return {s.dataset: s.metric or primary_metric(s.pos_label) for s in splits}


def dataset_scores(results, metrics):
    """A datasets x methods frame of mean ranking scores over the splits (NaN: not run or
    failed); the strategies of ours other than the default are left out."""
    results = results[
        ~results["method"].str.startswith(f"{OURS} (") | (results["method"] == DEFAULT)
    ]
    columns = {}
    for dataset, rows in results.groupby("dataset", sort=False):
        metric = metrics[dataset]
        if metric in rows:
            columns[dataset] = rows.groupby("method", sort=False)[metric].mean()
    return pd.DataFrame(columns).T


def ranks(scores):
    """The rank of each method on each dataset among the methods that ran there."""
    ranked = scores.copy()
    for dataset, row in scores.iterrows():
        present = row.dropna()
        ranked.loc[dataset, present.index] = rankdata(-present.to_numpy())
    return ranked


def critical_difference(n_methods, n_datasets, alpha=0.05):
    """Nemenyi's critical difference of mean ranks (Demsar, JMLR 2006): two methods whose
    mean ranks differ by less are not told apart at level ``alpha``."""
    q = studentized_range.ppf(1 - alpha, n_methods, np.inf) / np.sqrt(2)
    return q * np.sqrt(n_methods * (n_methods + 1) / (6 * n_datasets))


def win_tie_loss(scores, reference=DEFAULT, tie=TIE):
    """For each other method: on how many datasets ``reference`` scores higher by more than
    ``tie``, within ``tie``, or lower, over the datasets both ran on."""
    counts = {}
    for method in scores.columns.drop(reference):
        both = scores[[reference, method]].dropna()
        difference = both[reference] - both[method]
        counts[method] = {
            "wins": int((difference > tie).sum()),
            "ties": int((difference.abs() <= tie).sum()),
            "losses": int((difference < -tie).sum()),
        }
    return pd.DataFrame(counts).T


def summary_table(scores):
    """Markdown: each method's mean rank and datasets, and the default's wins/ties/losses."""
    ranked = ranks(scores)
    mean = ranked.mean().sort_values()
    counts = win_tie_loss(scores) if DEFAULT in scores else None
    complete = scores.dropna(axis=1)  # methods that ran on every dataset: the diagram's
    lines = [
        "| method | mean rank | datasets | default wins / ties / losses |",
        "|---|---:|---:|---:|",
    ]
    for method, rank in mean.items():
        record = (
            ""
            if counts is None or method not in counts.index
            else "{} / {} / {}".format(*counts.loc[method])
        )
        lines.append(f"| {method} | {rank:.2f} | {int(scores[method].notna().sum())} | {record} |")
    if complete.shape[1] > 1:
        cd = critical_difference(complete.shape[1], len(complete))
        lines += [
            "",
            f"Critical difference of mean ranks (Nemenyi, 0.05) among the {complete.shape[1]} "
            f"methods that ran on all {len(complete)} datasets: {cd:.2f}. A tie in the last "
            f"column is a difference of mean scores within {TIE}.",
        ]
    shared = scores.dropna()  # the datasets on which every method ran
    if len(shared) and len(shared) < len(scores):
        lines += [
            "",
            f"Mean ranks among all {scores.shape[1]} methods on the {len(shared)} datasets "
            f"where every one ran ({', '.join(shared.index)}):",
            "",
            "| method | mean rank |",
            "|---|---:|",
        ]
        lines += [f"| {m} | {r:.2f} |" for m, r in ranks(shared).mean().sort_values().items()]
    return "\n".join(lines)


def voice_table(results, metrics):
    """Markdown: on each dataset, the default vote's score beside its best single voice
    (``ap``, ``dtw`` or ``knn``, from the same fit) and the gap between them."""
    lines = ["| dataset | vote | best voice | gap |", "|---|---:|---:|---:|"]
    for dataset, rows in results.groupby("dataset", sort=False):
        metric = metrics[dataset]
        ours = rows[rows["method"].str.startswith(f"{OURS} (")]
        if metric not in ours or DEFAULT not in set(ours["method"]):
            continue
        means = ours.groupby("method")[metric].mean()
        voices = means.drop(DEFAULT)
        best = voices.idxmax()
        gap = means[DEFAULT] - voices[best]
        name = best.removeprefix(f"{OURS} (").removesuffix(")")
        vote = means[DEFAULT]
        lines.append(f"| {dataset} | {vote:.3f} | {name} {voices[best]:.3f} | {gap:+.3f} |")
    return "\n".join(lines)
