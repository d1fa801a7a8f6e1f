"""The figures: ``compare.png`` (scores per method) and ``ablation.png`` (Fig. 4).

Drawn on :class:`matplotlib.figure.Figure` objects rather than through pyplot: no backend
to choose, no window, and no figure left open in pyplot's registry after saving.
"""

from matplotlib.artist import setp
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .ablations import ablation_drops
from .metrics import dataset_metrics, primary_metric
from .models import OURS
from .ranks import critical_difference, ranks


def plot_scores(results, pos_labels, path):
    """Each dataset's primary score per method (mean, std as error bars, the value written
    beside it), the axis zoomed on the scores' range."""
    datasets = list(dict.fromkeys(results["dataset"]))
    n_methods = results["method"].nunique()
    fig = Figure(figsize=(6.5 * len(datasets), 0.35 * n_methods + 2))
    axes = fig.subplots(1, len(datasets), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        metric = primary_metric(pos_labels.get(dataset))
        scores = results[results["dataset"] == dataset].groupby("method", sort=False)[metric]
        means, stds = scores.mean().dropna(), scores.std().fillna(0.0)
        stds = stds.reindex(means.index)
        colors = ["tab:orange" if m.startswith(OURS) else "tab:blue" for m in means.index]
        ax.barh(means.index, means.values, xerr=stds.values, color=colors, capsize=2)
        for y, (mean, std) in enumerate(zip(means.values, stds.values, strict=True)):
            ax.text(min(mean + std, 1.0) + 0.005, y, f"{mean:.3f}", va="center", fontsize=8)
        # Zoomed on the scores, so that 0.85 against 0.95 shows; the axis says where it starts.
        low = max(0.0, float((means - stds).min()) - 0.05)
        ax.set_xlim(low, 1.04)
        ax.set_title(f"{dataset} ({scores.size().iloc[0]} split(s))")
        header = dataset_metrics(pos_labels.get(dataset))[metric]
        ax.set_xlabel(f"{header} (mean ± std; axis from {low:.2f})")
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
    fig.savefig(path, dpi=100)


def plot_ablations(ablations, path):
    """The drop of each ablation against the full model, a zero drop marked as well."""
    drops = ablation_drops(ablations)
    mean, std = drops.mean(), drops.std().fillna(0.0)
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
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
    setp(ax.get_xticklabels(), rotation=20, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_ranks(scores, path):
    """Each method's mean rank over the datasets (1 is best; the number of datasets beside
    it), ours highlighted, with the critical difference of the methods that ran on every
    dataset drawn as a bar from the best rank: a method beyond it is worse than the best."""
    ranked = ranks(scores)
    mean = ranked.mean().sort_values()
    fig = Figure(figsize=(7, 0.35 * len(mean) + 2.1))
    ax = fig.subplots()
    colors = ["tab:orange" if m.startswith(OURS) else "tab:blue" for m in mean.index]
    ax.barh(mean.index, mean.values, color=colors)
    for y, (method, rank) in enumerate(mean.items()):
        ax.text(
            rank + 0.05,
            y,
            f"{rank:.2f} ({int(scores[method].notna().sum())})",
            va="center",
            fontsize=8,
        )
    complete = scores.dropna(axis=1)
    title = f"Mean rank over {len(scores)} datasets (datasets run in brackets)"
    if complete.shape[1] > 1:
        cd = critical_difference(complete.shape[1], len(complete))
        best = ranks(complete).mean().min()
        ax.axvspan(best, best + cd, color="grey", alpha=0.2, lw=0)
        title += (
            f"\nshaded: within the critical difference {cd:.2f} (Nemenyi, 0.05) of the best"
            f"\nof the {complete.shape[1]} methods run on all, ranked among them ({best:.2f})"
        )
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("mean rank (lower is better)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
