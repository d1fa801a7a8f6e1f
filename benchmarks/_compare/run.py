"""Fit and score every method on every split, a failing method a row of the results."""

import time

import pandas as pd
from tqdm.auto import tqdm

from sklearn_microts.classifiers import STRATEGIES
from sklearn_microts.metrics import case_scores

from .models import OURS


def score_model(model, name, split):
    """Rows of results: one per strategy for ours (one fit, every strategy), one otherwise."""
    start = time.perf_counter()
    model.fit(split.X_train, split.y_train)
    fit_seconds = time.perf_counter() - start
    variants = [(f"{name} ({s})", s) for s in STRATEGIES] if name == OURS else [(name, None)]
    rows = []
    for label, strategy in variants:
        if strategy:
            model.set_params(microtsclassifier__strategy=strategy)
        start = time.perf_counter()
        predicted = model.predict(split.X_test)
        seconds = time.perf_counter() - start
        proba = model.predict_proba(split.X_test)
        scores = case_scores(
            split.y_test, predicted, proba, model.classes_, pos_label=split.pos_label
        )
        rows.append(
            {
                "method": label,
                **scores,
                "n_test_cases": len(split.y_test),
                "fit_seconds": fit_seconds,
                "predict_seconds": seconds,
            }
        )
    return rows


def run_all(splits, models_for):
    """Results of every model of ``models_for(seed)`` on every split, one row a method (or
    strategy) and split; a method that fails leaves a row with its error."""
    rows = []
    progress = tqdm(total=len(splits) * len(models_for(0)), desc="runs")
    for split in splits:
        seed = split.split if isinstance(split.split, int) else 0
        for name, model in models_for(seed).items():
            progress.set_postfix_str(f"{split.dataset} / {name}")
            labels = {"dataset": split.dataset, "split": split.split}
            try:
                rows += [{**labels, **row} for row in score_model(model, name, split)]
            except Exception as exc:  # one method failing on some data must not end the run
                tqdm.write(f"{name} failed on {split.dataset} split {split.split}: {exc!r}")
                rows.append({**labels, "method": name, "error": repr(exc)})
            progress.update()
    progress.close()
    return pd.DataFrame(rows)
