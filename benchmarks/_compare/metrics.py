"""Which scores a dataset reports: the paper's five and four of the probabilities for two
classes, all but those of a positive class for more."""

from sklearn_microts.metrics import MULTICLASS_SCORES, SCORE_NAMES

# Column names and headers, the dataset's primary metric first.
BINARY_METRICS = SCORE_NAMES
MULTICLASS_METRICS = {name: SCORE_NAMES[name] for name in MULTICLASS_SCORES}


def dataset_metrics(pos_label):
    """``{column: header}`` of a dataset whose positive class is ``pos_label`` (``None``:
    multi-class)."""
    return BINARY_METRICS if pos_label is not None else MULTICLASS_METRICS


def primary_metric(pos_label):
    """The column of the score a dataset is ranked by."""
    return next(iter(dataset_metrics(pos_label)))
