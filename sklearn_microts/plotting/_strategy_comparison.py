"""StrategyComparisonDisplay: the inference strategies side by side, per patient."""

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, confusion_matrix, f1_score
from sklearn.utils.validation import column_or_1d

from ..inspection import strategy_proba
from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._validation import check_sequences
from ._axes import panel_axes

# The style keywords that the constructors pass on to :meth:`plot`.
_STYLE_DOCS = {
    "style": """\
cmap : str or matplotlib Colormap, default="Blues"
    Colour map of the matrices.
im_kw : dict, default=None
    Keyword arguments of matplotlib's ``imshow`` for each matrix.
text_kw : dict, default=None
    Keyword arguments of matplotlib's ``text`` for the counts.""",
}


class StrategyComparisonDisplay:
    """Confusion matrices and scores of several inference strategies, side by side.

    Create it with :meth:`from_estimator` (which can pool cases into patients) or
    :meth:`from_predictions`; the constructor takes precomputed values.

    Parameters
    ----------
    confusion_matrices : dict of str to ndarray of shape (n_classes, n_classes)
        One matrix per strategy (rows: true class, columns: predicted).
    scores : dict of str to dict
        Per strategy, ``{"accuracy": float, "macro F1": float}``.
    display_labels : array-like of shape (n_classes,)
        Class labels.

    Attributes
    ----------
    confusion_matrix_displays_ : dict of str to ConfusionMatrixDisplay
        The matrix of each strategy.
    axes_ : ndarray of matplotlib Axes
        One per strategy.
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_microts.plotting import StrategyComparisonDisplay
    >>> y = ["benign", "malignant", "malignant"]
    >>> display = StrategyComparisonDisplay.from_predictions(
    ...     y, {"ap": ["benign", "malignant", "benign"], "dtw": y})
    >>> display.scores["dtw"]["accuracy"]
    1.0
    """

    def __init__(self, *, confusion_matrices, scores, display_labels):
        self.confusion_matrices = confusion_matrices
        self.scores = scores
        self.display_labels = display_labels

    @classmethod
    @Substitution(**SEQUENCE_DOCS, **_STYLE_DOCS)
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        groups=None,
        strategies=None,
        ax=None,
        cmap="Blues",
        im_kw=None,
        text_kw=None,
    ):
        """Score every strategy of a fitted model, per case or per patient.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~sklearn_microts.MicroTSClassifier`, or a pipeline ending in
            one.
        {X}
        {y_test}
        groups : array-like of shape (n_cases,), default=None
            Patient of each case (BreakHis has one case per patient and magnification). The
            class probabilities of a patient's cases are averaged, and the patient scored
            once; every case of a patient must carry the same label. ``None``: each case
            on its own.
        strategies : list of str, default=None
            Strategies to compare; ``None``: every one the classifier offers.
        ax : matplotlib Axes or sequence of Axes, default=None
            Where to draw, see :meth:`plot`.
        {style}

        Returns
        -------
        display : StrategyComparisonDisplay
            The plotted display.
        """
        X, y = check_sequences(X), column_or_1d(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} cases but y has {len(y)} labels.")
        probas = strategy_proba(estimator, X, strategies=strategies)
        if groups is not None:
            y, probas = _per_patient(y, probas, groups)
        classes = estimator.classes_
        predictions = {name: classes[proba.argmax(1)] for name, proba in probas.items()}
        return cls.from_predictions(
            y, predictions, labels=classes, ax=ax, cmap=cmap, im_kw=im_kw, text_kw=text_kw
        )

    @classmethod
    @Substitution(**_STYLE_DOCS)
    def from_predictions(
        cls, y_true, y_pred, *, labels=None, ax=None, cmap="Blues", im_kw=None, text_kw=None
    ):
        """Compare strategies from their predictions.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_pred : dict of str to array-like of shape (n_samples,)
            Predicted labels per strategy.
        labels : array-like, default=None
            Class order; ``None``: the sorted labels present.
        ax : matplotlib Axes or sequence of Axes, default=None
            Where to draw, see :meth:`plot`.
        {style}

        Returns
        -------
        display : StrategyComparisonDisplay
            The plotted display.
        """
        if not isinstance(y_pred, dict) or not y_pred:
            raise TypeError("y_pred must be a non-empty dict {strategy: predicted labels}.")
        y_true = column_or_1d(y_true)
        if labels is None:
            labels = np.unique(np.concatenate([y_true, *map(np.asarray, y_pred.values())]))
        matrices, scores = {}, {}
        for name, predicted in y_pred.items():
            predicted = column_or_1d(predicted)
            if len(predicted) != len(y_true):
                raise ValueError(
                    f"y_pred[{name!r}] has {len(predicted)} labels, y_true has {len(y_true)}."
                )
            matrices[name] = confusion_matrix(y_true, predicted, labels=labels)
            scores[name] = {
                "accuracy": float(accuracy_score(y_true, predicted)),
                "macro F1": float(
                    f1_score(y_true, predicted, labels=labels, average="macro", zero_division=0)
                ),
            }
        return cls(confusion_matrices=matrices, scores=scores, display_labels=labels).plot(
            ax=ax, cmap=cmap, im_kw=im_kw, text_kw=text_kw
        )

    @Substitution(**_STYLE_DOCS)
    def plot(self, *, ax=None, cmap="Blues", im_kw=None, text_kw=None):
        """Draw one confusion matrix per strategy, its scores in its title.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of Axes, default=None
            ``None``: a new figure; one Axes: split into one panel per strategy; a sequence:
            one Axes per strategy.
        {style}

        Returns
        -------
        display : StrategyComparisonDisplay
            The display, with its artists as attributes.
        """
        n = len(self.confusion_matrices)
        self.figure_, self.axes_ = panel_axes(ax, n, vertical=False, figsize=(3.0 * n + 0.5, 4.0))
        self.confusion_matrix_displays_ = {}
        for axes, (name, matrix) in zip(self.axes_, self.confusion_matrices.items(), strict=True):
            display = ConfusionMatrixDisplay(matrix, display_labels=self.display_labels)
            display.plot(ax=axes, cmap=cmap, colorbar=False, im_kw=im_kw, text_kw=text_kw)
            scores = ", ".join(
                f"{metric} {value:.3f}" for metric, value in self.scores[name].items()
            )
            axes.set_title(f"{name}\n{scores}", fontsize="medium")
            self.confusion_matrix_displays_[name] = display
        return self


def _per_patient(y, probas, groups):
    """Labels and mean class probabilities per patient (patients in sorted order)."""
    groups = column_or_1d(groups)
    if len(groups) != len(y):
        raise ValueError(f"groups has {len(groups)} entries but there are {len(y)} cases.")
    patients, index = np.unique(groups, return_inverse=True)
    labels = []
    for p, patient in enumerate(patients):
        patient_labels = np.unique(y[index == p])
        if len(patient_labels) > 1:
            raise ValueError(
                f"Patient {patient!r} has cases of several labels {list(patient_labels)}: "
                "a patient-level score needs one label per patient."
            )
        labels.append(patient_labels[0])
    counts = np.bincount(index)[:, None]
    pooled = {}
    for name, proba in probas.items():
        sums = np.zeros((len(patients), proba.shape[1]))
        np.add.at(sums, index, proba)
        pooled[name] = sums / counts
    return np.array(labels), pooled
