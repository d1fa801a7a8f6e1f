"""Fit and score every method on every split, a failing method a row of the results."""

import time

import pandas as pd
from tqdm.auto import tqdm

from sklearn_microts.classifiers import STRATEGIES
from sklearn_microts.metrics import case_scores

from .cache import run_key
from .models import OURS


def split_seed(split):
    """The seed of the stochastic methods on ``split``: its number (a seed or a fold)."""
    return split.split if isinstance(split.split, int) else 0


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


def run_all(splits, models_for, cache=None):
    """Results of every model of ``models_for(split)`` on every split, one row a method (or
    strategy) and split; a method that fails leaves a row with its error. With ``cache``
    (a :class:`~_compare.cache.ResultCache`), runs already stored are read, not computed."""
    rows = []
    plans = [(split, models_for(split)) for split in splits]
    progress = tqdm(total=sum(len(models) for _, models in plans), desc="runs")
    for split, models in plans:
        for name, model in models.items():
            progress.set_postfix_str(f"{split.dataset} / {split.split} / {name}")
            labels = {"dataset": split.dataset, "split": split.split}
            key = None if cache is None else run_key(split, name, model)
            stored = None if key is None else cache.get(key)
            try:
                runs = stored if stored is not None else score_model(model, name, split)
            except Exception as exc:  # one method failing on some data must not end the run
                tqdm.write(f"{name} failed on {split.dataset} split {split.split}: {exc!r}")
                rows.append({**labels, "method": name, "error": repr(exc)})
            else:
                if stored is None and key is not None:
                    cache.put(key, runs)
                rows += [{**labels, **row, "cached": stored is not None} for row in runs]
            progress.update()
    progress.close()
    return pd.DataFrame(rows)
