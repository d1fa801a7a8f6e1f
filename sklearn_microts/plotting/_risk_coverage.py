"""RiskCoverageDisplay: the error left among the decided cases as a model refers more."""

import numpy as np

from ..metrics import risk_coverage_auc, risk_coverage_curve
from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ._axes import import_pyplot


class RiskCoverageDisplay:
    """Risk-coverage curve: error rate among the decided cases against the share decided.

    A model decides its most confident cases and refers the others to a pathologist; the
    curve shows what each share of decided cases costs in errors. Lower is better; a flat
    curve means the confidence says nothing about the errors. Create it with
    :meth:`from_estimator` or :meth:`from_predictions`; the constructor takes precomputed
    values.

    Parameters
    ----------
    coverage : ndarray of shape (n_thresholds,)
        Share of the cases decided, increasing to 1.
    risk : ndarray of shape (n_thresholds,)
        Error rate among them.
    aurc : float, default=None
        Area under the curve, shown in the legend.
    name : str, default=None
        Name of the model, shown in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.
    ax_ : matplotlib Axes
        Axes with the curve.
    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    sklearn_microts.metrics.risk_coverage_curve : The curve's values.
    sklearn_microts.uncertainty.ReferralClassifier : Decide or refer, at a chosen coverage.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_microts.plotting import RiskCoverageDisplay
    >>> display = RiskCoverageDisplay.from_predictions(
    ...     [0, 1, 1, 0], [0, 1, 0, 0], [0.9, 0.8, 0.6, 0.7], name="model")
    >>> display.risk.tolist()
    [0.0, 0.0, 0.0, 0.25]
    """

    def __init__(self, *, coverage, risk, aurc=None, name=None):
        self.coverage = coverage
        self.risk = risk
        self.aurc = aurc
        self.name = name

    @classmethod
    @Substitution(**SEQUENCE_DOCS)
    def from_estimator(cls, estimator, X, y, *, name=None, ax=None, **kwargs):
        """The curve of a fitted classifier.

        Its confidence in a case is the probability of the class it predicts.

        Parameters
        ----------
        estimator : classifier
            Fitted, with ``predict_proba`` and ``classes_`` (a pipeline ending in one).
        {X}
        {y_test}
        name : str, default=None
            Legend name; the estimator's class name if None.
        ax : matplotlib Axes, default=None
            Axes to draw in; a new figure if None.
        **kwargs : dict
            Passed to matplotlib's ``step``.

        Returns
        -------
        display : RiskCoverageDisplay
            The plotted display.
        """
        proba = estimator.predict_proba(X)
        y_pred = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(y, y_pred, proba.max(axis=1), name=name, ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, y_true, y_pred, confidence, *, name=None, ax=None, **kwargs):
        """The curve of given predictions and their confidence.

        Parameters
        ----------
        y_true : array-like of shape (n_cases,)
            True labels.
        y_pred : array-like of shape (n_cases,)
            Predicted labels.
        confidence : array-like of shape (n_cases,)
            How sure the model is of each case; higher is decided first.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Axes to draw in; a new figure if None.
        **kwargs : dict
            Passed to matplotlib's ``step``.

        Returns
        -------
        display : RiskCoverageDisplay
            The plotted display.
        """
        coverage, risk, _ = risk_coverage_curve(y_true, y_pred, confidence)
        aurc = risk_coverage_auc(y_true, y_pred, confidence)
        return cls(coverage=coverage, risk=risk, aurc=aurc, name=name).plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, name=None, **kwargs):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw in; a new figure if None.
        name : str, default=None
            Legend name; ``self.name`` if None.
        **kwargs : dict
            Passed to matplotlib's ``step``.

        Returns
        -------
        display : RiskCoverageDisplay
            ``self``, with ``line_``, ``ax_`` and ``figure_``.
        """
        if ax is None:
            _, ax = import_pyplot().subplots(figsize=(5, 4), layout="constrained")
        name = self.name if name is None else name
        label = name
        if self.aurc is not None:
            label = f"AURC {self.aurc:.3f}" if name is None else f"{name} (AURC {self.aurc:.3f})"
        # Each threshold's risk holds over the coverage it adds: a step from the left.
        (self.line_,) = ax.step(self.coverage, self.risk, where="post", label=label, **kwargs)
        ax.set_xlim(0, 1.02)
        # Fixed limits stop autoscaling: a curve drawn later on the same axes must still
        # fit, so the top is the highest of the limit so far and this curve's peak.
        ax.set_ylim(0, max(ax.get_ylim()[1], 1.05 * float(np.max(self.risk, initial=0.0))))
        ax.set_xlabel("coverage (share of cases decided)")
        ax.set_ylabel("error among decided cases")
        if label is not None:
            ax.legend(loc="upper left")
        self.ax_, self.figure_ = ax, ax.figure
        return self
