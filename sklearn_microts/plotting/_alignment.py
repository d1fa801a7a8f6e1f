"""AlignmentDisplay: a case's per-frame probabilities aligned by DTW with a class target."""

import numpy as np
import torch

from ..inspection import case_evidence
from ..softdtw import dtw_path
from ..utils._docstring import Substitution
from ..utils._onset import relative_times
from ._axes import import_pyplot
from ._validation import check_one_case

# The parameters of every method that draws.
_DRAWING_DOCS = {
    "drawing": """\
ax : matplotlib Axes, default=None
    Where to draw; ``None`` makes a new figure.
**kwargs : dict
    Passed to matplotlib's ``plot`` for the case's curve.""",
}


class AlignmentDisplay:
    """The per-frame class probabilities ``y_attn`` of one case against a class target.

    :class:`~sklearn_microts.MicroTSClassifier` is trained to make ``y_attn`` follow the
    target sequence of the case's class in (soft-)DTW, and its ``"dtw"`` strategy predicts
    the class whose target is nearest. This display draws the probability of one class
    along the case (frames at relative times ``i / (n - 1)``) and along the target (``l``
    steps), joined by the optimal DTW alignment of the two whole sequences: where the
    network's evidence rises compared with where the target expects it.

    Create it with :meth:`from_estimator`, or :meth:`from_predictions` from per-frame
    probabilities and a target already computed; the constructor takes precomputed values.

    Parameters
    ----------
    frame_proba : array-like of shape (n_seen, n_classes)
        Per-frame class probabilities of the case.
    target : array-like of shape (target_length, n_classes)
        The target sequence of the class shown.
    path : array-like of int of shape (path_length, 2)
        DTW alignment: pairs ``(frame, target step)``.
    class_index : int
        Column of the class shown.
    classes : array-like of shape (n_classes,)
        Class labels.

    Attributes
    ----------
    frame_line_ : matplotlib Line2D
        The case's probability of the class.
    target_line_ : matplotlib Line2D
        The target's probability of the class.
    path_lines_ : matplotlib LineCollection
        One segment per aligned pair.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    CaseEvidenceDisplay : The frames, their probabilities and weights.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_microts import MicroTSClassifier
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> from sklearn_microts.plotting import AlignmentDisplay
    >>> X, y = make_microscopy_sequences(n_cases=40, n_features=8, random_state=0)
    >>> clf = MicroTSClassifier(d_model=24, mlp_dim=48, max_epochs=3, random_state=0).fit(X, y)
    >>> display = AlignmentDisplay.from_estimator(clf, X[0])
    >>> len(display.path_lines_.get_segments()) == len(display.path)
    True
    """

    def __init__(self, *, frame_proba, target, path, class_index, classes):
        self.frame_proba = frame_proba
        self.target = target
        self.path = path
        self.class_index = class_index
        self.classes = classes

    @classmethod
    @Substitution(**_DRAWING_DOCS)
    def from_estimator(cls, estimator, X, *, label=None, ax=None, **kwargs):
        """Align the per-frame probabilities of one case with a class target and plot them.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~sklearn_microts.MicroTSClassifier` (with its attention branch),
            or a pipeline ending in one.
        X : array-like of shape (n_frames, n_features)
            One case.
        label : object, default=None
            The class whose target to align with; ``None``: the predicted class.
        {drawing}

        Returns
        -------
        display : AlignmentDisplay
            The plotted display.
        """
        evidence = case_evidence(estimator, check_one_case(X), strategies=())
        if evidence.frame_proba is None or evidence.target_sequences is None:
            raise ValueError(
                f"{type(evidence.classifier).__name__} has no per-frame probabilities trained "
                "against a target sequence: there is no alignment to show."
            )
        classes = evidence.classes
        if label is None:
            label = classes[evidence.proba[0].argmax()]
        matches = np.flatnonzero(classes == label)
        if len(matches) == 0:
            raise ValueError(f"label {label!r} is not a class of the model: {list(classes)}.")
        class_index = int(matches[0])
        return cls.from_predictions(
            evidence.frame_proba[0],
            evidence.target_sequences[class_index],
            class_index=class_index,
            classes=classes,
            ax=ax,
            **kwargs,
        )

    @classmethod
    @Substitution(**_DRAWING_DOCS)
    def from_predictions(
        cls, frame_proba, target, *, class_index, classes=None, ax=None, **kwargs
    ):
        """Align given per-frame probabilities with a class target and plot them.

        Parameters
        ----------
        frame_proba : array-like of shape (n_frames, n_classes)
            Per-frame class probabilities of one case (``predict_frame_proba``).
        target : array-like of shape (target_length, n_classes)
            The target sequence of the class to align with (a row of a fitted
            classifier's ``target_sequences_``).
        class_index : int
            The column of ``frame_proba`` and ``target`` to draw.
        classes : array-like of shape (n_classes,), default=None
            Class labels; ``None``: the column numbers.
        {drawing}

        Returns
        -------
        display : AlignmentDisplay
            The plotted display.
        """
        frame_proba = _check_proba(frame_proba, "frame_proba")
        target = _check_proba(target, "target")
        n_classes = frame_proba.shape[1]
        if target.shape[1] != n_classes:
            raise ValueError(
                f"frame_proba has {n_classes} classes but target has {target.shape[1]}."
            )
        classes = np.arange(n_classes) if classes is None else np.asarray(classes)
        if len(classes) != n_classes:
            raise ValueError(f"classes has {len(classes)} labels for {n_classes} columns.")
        if not 0 <= class_index < n_classes:
            raise ValueError(f"class_index must be in [0, {n_classes}), got {class_index}.")
        (path,) = dtw_path(torch.from_numpy(frame_proba[None]), torch.from_numpy(target))
        return cls(
            frame_proba=frame_proba,
            target=target,
            path=path,
            class_index=class_index,
            classes=classes,
        ).plot(ax=ax, **kwargs)

    @Substitution(**_DRAWING_DOCS)
    def plot(self, *, ax=None, **kwargs):
        """Draw the two probability curves and the alignment.

        Parameters
        ----------
        {drawing}

        Returns
        -------
        display : AlignmentDisplay
            The display, with its artists as attributes.
        """
        plt = import_pyplot()
        from matplotlib.collections import LineCollection

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
        c = self.class_index
        frames = np.asarray(self.frame_proba)[:, c]
        target = np.asarray(self.target)[:, c]
        frame_times, target_times = relative_times(len(frames)), relative_times(len(target))
        path = np.asarray(self.path)
        segments = np.stack(
            [
                np.column_stack([frame_times[path[:, 0]], frames[path[:, 0]]]),
                np.column_stack([target_times[path[:, 1]], target[path[:, 1]]]),
            ],
            axis=1,
        )
        self.path_lines_ = ax.add_collection(
            LineCollection(segments, colors="0.6", linewidths=0.8, label="DTW alignment")
        )
        label = self.classes[c]
        (self.frame_line_,) = ax.plot(
            frame_times, frames, **{"marker": "o", "label": f"case: P({label})", **kwargs}
        )
        (self.target_line_,) = ax.plot(
            target_times, target, "s--", markersize=3, label=f"target of {label}"
        )
        ax.set_xlabel("relative time in the case")
        ax.set_ylabel(f"P({label})")
        ax.set_ylim(-0.05, 1.05)
        ax.legend(loc="upper left", fontsize="small")
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _check_proba(values, name):
    """``values`` as a finite 2-D float64 array of probabilities, or a ValueError naming it."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or not array.size:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {array.shape}.")
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise ValueError(f"{name} must hold probabilities in [0, 1], without NaN.")
    return array
