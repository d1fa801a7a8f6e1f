"""The datasets of the comparison: each source yields the :class:`Split` s it is scored on."""

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from sklearn_microts.cli._data import FEATURE_COLUMN
from sklearn_microts.datasets import load_breakhis, make_microscopy_sequences
from sklearn_microts.utils import from_long_dataframe, from_sktime


class Split(NamedTuple):
    """One train/test split of a dataset.

    ``split`` is the seed or the fold number; ``pos_label`` the positive class of a
    two-class dataset (its F1 comes first, the paper's metric), ``None`` for data reported
    with the multi-class scores; ``metric`` the score methods are ranked by, where it is
    not the first of those (accuracy on the archives, as the literature reports them).
    """

    dataset: str
    split: int
    X_train: list
    y_train: np.ndarray
    X_test: list
    y_test: np.ndarray
    pos_label: Any = None
    metric: str | None = None


def pos_labels(splits):
    """``{dataset: positive class}`` of the two-class datasets among ``splits``."""
    return {s.dataset: s.pos_label for s in splits if s.pos_label is not None}


def japanese_vowels(seeds):
    """sktime's JapaneseVowels in its own 270/370 split, once per seed."""
    from sktime.datasets import load_japanese_vowels

    X_train, y_train = load_japanese_vowels(split="train", return_type="df-list")
    X_test, y_test = load_japanese_vowels(split="test", return_type="df-list")
    X_train, X_test = from_sktime(X_train), from_sktime(X_test)
    for seed in seeds:  # one official split; seeds vary the stochastic methods
        yield Split(
            "JapaneseVowels", seed, X_train, np.asarray(y_train), X_test, np.asarray(y_test)
        )


def generated(seeds):
    """Generated microscope sessions, 200 training and 100 test cases per seed."""
    for seed in seeds:
        X, y = make_microscopy_sequences(
            n_cases=300,
            n_features=32,
            class_sep=4.0,
            signal_probability=0.15,
            min_length=20,
            max_length=60,
            random_state=seed,
        )
        yield Split("generated", seed, X[:200], y[:200], X[200:], y[200:], pos_label=1)


def breakhis(root, cache, magnifications=None):
    """BreakHis' official folds 1-5 at each magnification, patient level."""
    from sklearn_microts.preprocessing import ImageFeatureExtractor

    extractor = ImageFeatureExtractor(cache=cache, verbose=1).fit()
    present = set(load_breakhis(root, magnification=None).magnification.tolist())
    for magnification in sorted(present if magnifications is None else magnifications):
        for fold in range(1, 6):
            bunch = load_breakhis(root, magnification=magnification, fold=fold)
            train, test = bunch.group == "train", bunch.group == "test"
            if len(set(bunch.target[train])) < 2 or not test.any():
                continue  # a magnification with too few patients in this copy of the data
            X = extractor.transform(bunch.data)
            yield Split(
                f"BreakHis {magnification}X",
                fold,
                take(X, train),
                bunch.target[train],
                take(X, test),
                bunch.target[test],
                pos_label="malignant",
            )


def user_table(path, case_col, order_col, label_col, split_col, seeds, pos_label=None):
    """A table of one's own, one row per frame: its train/test column once per seed, or
    a stratified 5-fold cross-validation.

    The features are the columns ``f0, f1, ...`` when the table has them, as the tables of
    ``microts features`` do (their ``patient`` and ``image`` columns are no features);
    otherwise every column but the case, order, label and split ones. A ``.parquet`` table
    needs pyarrow (``pip install pyarrow``).
    """
    table = pd.read_csv(path) if str(path).endswith(".csv") else pd.read_parquet(path)
    feature_cols = [c for c in table.columns if FEATURE_COLUMN.match(str(c))] or [
        c for c in table.columns if c not in (case_col, order_col, label_col, split_col)
    ]
    X, y, cases = from_long_dataframe(table, case_col, order_col, label_col, feature_cols)
    name = Path(path).stem
    if not split_col:
        yield from cross_validation_splits(name, X, y, 5, 1, pos_label)
        return
    train = table.groupby(case_col)[split_col].first().loc[cases].to_numpy() == "train"
    for seed in seeds:
        yield Split(name, seed, take(X, train), y[train], take(X, ~train), y[~train], pos_label)


def cross_validation_splits(dataset, X, y, n_folds, repeats, pos_label=None, metric=None):
    """Stratified ``n_folds``-fold cross-validation, ``repeats`` times, each repeat shuffled
    with its own fixed seed (the repeat number): the same folds for every method and run.
    Splits are numbered ``repeat * n_folds + fold``; ``metric`` is the score they are ranked
    by (``Split.metric``)."""
    y = np.asarray(y)
    for repeat in range(repeats):
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=repeat)
        for fold, (train, test) in enumerate(folds.split(np.zeros(len(y)), y)):
            yield Split(
                dataset,
                repeat * n_folds + fold,
                take(X, train),
                y[train],
                take(X, test),
                y[test],
                pos_label,
                metric=metric,
            )


def take(X, index):
    """The cases of ``X`` at ``index`` (a boolean mask or positions)."""
    index = np.asarray(index)
    if index.dtype == bool:
        index = np.flatnonzero(index)
    return [X[i] for i in index]
