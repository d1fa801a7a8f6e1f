"""The Markdown tables of ``table.md``: scores per dataset, timings, the ablations."""

import numpy as np

from .ablations import ablation_drops
from .metrics import dataset_metrics

# Published numbers printed beside ours (accuracy for JapaneseVowels, F1 for BreakHis).
REFERENCES = {
    "JapaneseVowels": {
        "FCN (Fawaz et al. 2019)": 0.993,
        "ResNet (Fawaz et al. 2019)": 0.992,
        "MiniRocket (measured, notes)": 0.989,
        "1-NN DTW": 0.949,
    },
    "PLAID": {"1-NN DTW (UCR archive)": 0.836},
    # Bags: 10x10-fold CV, Carbonneau et al. 2018 (Pattern Recognition), supplementary Table 4.
    "Musk1": {"MInD": 0.901, "EMD kernel": 0.870, "MILES": 0.847, "MI-SVM": 0.851},
    "Musk2": {"MInD": 0.924, "EMD kernel": 0.907, "MILES": 0.876, "MI-SVM": 0.805},
    "Elephant": {"MInD": 0.868, "EMD kernel": 0.883, "MILES": 0.795, "MI-SVM": 0.803},
    "BreakHis 40X": {"paper, vote F1": 0.964},
    "BreakHis 100X": {"paper, vote F1": 0.952},
    "BreakHis 200X": {"paper, vote F1": 0.958},
    "BreakHis 400X": {"paper, vote F1": 0.964},
}


def markdown_table(results, pos_labels):
    """One table per dataset (methods by scores, mean ± std over splits), then timings and
    the published reference numbers; ``pos_labels`` names the two-class datasets."""
    lines = []
    for dataset, rows in results.groupby("dataset", sort=False):
        pos_label = pos_labels.get(dataset)
        metrics = dataset_metrics(pos_label)
        positive = "" if pos_label is None else f" (positive class: {pos_label})"
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
            scores = scores.reindex(columns=list(metrics))  # a score no method gave: NaN
            if scores.isna().all().all():
                cells = ["failed"] * len(metrics)
            else:
                cells = [_cell(scores[m]) for m in metrics]
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


def ablation_table(ablations):
    """The drop of each ablation's primary score against the full model, in points."""
    lines = [
        "Ablations (Fig. 4): drop of the primary score against the full model, points",
        "",
        "| ablation | drop (mean ± std) | splits |",
        "|---|---:|---:|",
    ]
    for name, values in ablation_drops(ablations):
        spread = "" if len(values) < 2 else f" ± {values.std():.1f}"
        lines.append(f"| {name} | {values.mean():+.1f}{spread} | {len(values)} |")
    return "\n".join(lines)


def _cell(values):
    """Mean ± std of a score over the splits; "-" where the method gave none (no
    probabilities, say)."""
    if values.isna().all():
        return "-"
    return f"{values.mean():.3f}{_spread(values.std())}"


def _spread(std):
    """`` ± std``, or nothing for a single split (whose std is NaN)."""
    return "" if np.isnan(std) else f" ± {std:.3f}"
