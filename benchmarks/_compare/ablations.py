"""The ablations of Fig. 4: the full model against each part removed."""

import pandas as pd
from tqdm.auto import tqdm

from sklearn_microts import MicroTSClassifier
from sklearn_microts.metrics import case_scores

from .metrics import primary_metric
from .models import epochs_param

ABLATIONS = {
    "(i) no wavelet": {"wavelet": None},
    "(ii) explicit target": {"target": "explicit"},
    "(iii) no reference": {"reference": False},
    "(iv) no L_align": {"lambda_align": 0.0},
    "(v) no attention": {"attention": False},
    "(vi) no AP": {"pooling": False},
}
FULL_MODEL = "full model"


def ablation_splits(splits, quick, only_own_data):
    """The splits the ablations run on: the generated data's (or, without the default
    datasets, the first ones given), three at most, one in a quick run."""
    chosen = [s for s in splits if s.dataset == "generated" or only_own_data][:3]
    return chosen[:1] if quick else chosen


def ablation_rows(splits, epochs, seed):
    """The primary score of the full model and of each ablation on each split (column
    ``f1``, whichever score is primary)."""
    rows = []
    variants = {FULL_MODEL: {}, **ABLATIONS}
    progress = tqdm(total=len(splits) * len(variants), desc="ablations")
    for split in splits:
        for name, params in variants.items():
            progress.set_postfix_str(f"{split.dataset} / {name}")
            model = MicroTSClassifier(random_state=seed, **epochs_param(epochs), **params)
            model.fit(split.X_train, split.y_train)
            predicted = model.predict(split.X_test)  # the ablation's own strategy if it fixes one
            scores = case_scores(split.y_test, predicted, pos_label=split.pos_label)
            rows.append(
                {
                    "dataset": split.dataset,
                    "split": split.split,
                    "ablation": name,
                    "f1": scores[primary_metric(split.pos_label)],
                }
            )
            progress.update()
    progress.close()
    return pd.DataFrame(rows)


def ablation_drops(ablations):
    """Points lost by each ablation against the full model of the same split, per split."""
    full = ablations[ablations["ablation"] == FULL_MODEL].set_index(["dataset", "split"])
    drops = ablations[ablations["ablation"] != FULL_MODEL].copy()
    drops["drop"] = [
        100 * (full.loc[(d, s), "f1"] - f1)
        for d, s, f1 in zip(drops["dataset"], drops["split"], drops["f1"], strict=True)
    ]
    return drops.groupby("ablation", sort=False)["drop"]
