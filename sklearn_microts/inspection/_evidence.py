"""The evidence of a fitted model on cases: every strategy's probabilities, the per-frame
outputs, and where each frame the classifier saw came from."""

import copy
from dataclasses import dataclass, field

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._sklearn_compat import validate_params
from ..utils._validation import check_sequences

# The name of the one way a classifier without inference strategies predicts.
OWN_PREDICTION = "model"


@dataclass
class CaseEvidence:
    """What a fitted model says about each case; lists and arrays are indexed by case.

    Made by :func:`case_evidence`; each parameter is an attribute of the same name.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        The classifier's class labels, the columns of every probability below.
    proba : ndarray of shape (n_cases, n_classes)
        The model's own decision: the class probabilities of its configured strategy.
    strategy_proba : dict of str to ndarray of shape (n_cases, n_classes)
        The class probabilities of each inference strategy asked for (``"model"`` for a
        classifier without strategies).
    n_frames : list of int
        Frames of each original case.
    positions : list of ndarray of int
        For each case, the position in the original case of every frame the classifier saw
        (de-duplication may have removed the others).
    frame_proba : list of ndarray of shape (n_seen_i, n_classes) or None
        Per-frame class probabilities of each case; ``None`` where the classifier has none.
    pooling_weights : list of ndarray of shape (n_seen_i,) or None
        Attention pooling weights of each case's frames; ``None`` where the classifier has
        none.
    target_sequences : ndarray of shape (n_classes, target_length, n_classes) or None
        The class targets the per-frame probabilities were trained against; ``None`` where
        the classifier has none.
    classifier : estimator
        The fitted classifier that gave all of the above (the pipeline's last step).
    """

    classes: np.ndarray
    proba: np.ndarray
    strategy_proba: dict
    n_frames: list
    positions: list
    frame_proba: list | None
    pooling_weights: list | None
    target_sequences: np.ndarray | None
    classifier: object = field(repr=False)


@validate_params(
    {"estimator": [object], "X": ["array-like"], "strategies": [list, tuple, None]},
    prefer_skip_nested_validation=True,
)
@Substitution(**SEQUENCE_DOCS)
def case_evidence(estimator, X, *, strategies=None):
    """The evidence of a fitted model on cases: what it decided and which frames drove it.

    Parameters
    ----------
    estimator : estimator
        A fitted classifier with ``predict_proba`` (a
        :class:`~sklearn_microts.MicroTSClassifier`, a baseline, any scikit-learn
        classifier of cases), or a pipeline ending in one.
    {X}
    strategies : list of str, default=None
        The inference strategies whose probabilities to compute; ``None``: every one the
        classifier offers (its ``strategies_``).

    Returns
    -------
    evidence : CaseEvidence
        Each strategy's class probabilities, the per-frame outputs the classifier has
        (``predict_frame_proba``, ``pooling_weights``) and the original position of each
        frame it saw.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_microts import DedupTransformer, MicroTSClassifier
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> from sklearn_microts.inspection import case_evidence
    >>> X, y = make_microscopy_sequences(n_cases=40, n_features=8, random_state=0)
    >>> model = make_pipeline(DedupTransformer(drop_fraction=0.2),
    ...     MicroTSClassifier(d_model=24, mlp_dim=48, max_epochs=3, random_state=0)).fit(X, y)
    >>> evidence = case_evidence(model, X[:2])
    >>> sorted(evidence.strategy_proba)
    ['ap', 'dtw', 'knn', 'vote']
    >>> len(evidence.positions[0]) <= evidence.n_frames[0]
    True
    """
    steps, classifier = _split_model(estimator)
    X = check_sequences(X)
    seen, positions = _transform_cases(steps, X)
    # A classifier has the per-frame outputs of the branches it has (hasattr says which).
    frame_proba = pooling_weights = None
    if hasattr(classifier, "predict_frame_proba"):
        frame_proba = classifier.predict_frame_proba(seen)
    if hasattr(classifier, "pooling_weights"):
        pooling_weights = classifier.pooling_weights(seen)
    return CaseEvidence(
        classes=classifier.classes_,
        proba=classifier.predict_proba(seen),
        strategy_proba=_strategy_proba(classifier, seen, strategies),
        n_frames=[len(case) for case in X],
        positions=positions,
        frame_proba=frame_proba,
        pooling_weights=pooling_weights,
        target_sequences=getattr(classifier, "target_sequences_", None),
        classifier=classifier,
    )


@validate_params(
    {"estimator": [object], "X": ["array-like"], "strategies": [list, tuple, None]},
    prefer_skip_nested_validation=True,
)
@Substitution(**SEQUENCE_DOCS)
def strategy_proba(estimator, X, *, strategies=None):
    """The class probabilities of each inference strategy of a fitted model.

    Each strategy predicts from a shallow copy of the classifier: the model's own
    ``strategy`` is left as it was.

    Parameters
    ----------
    estimator : estimator
        A fitted classifier with ``predict_proba``, or a pipeline ending in one.
    {X}
    strategies : list of str, default=None
        The strategies to compute; ``None``: every one the classifier offers (its
        ``strategies_``; ``"model"``, its own prediction, for a classifier without them).

    Returns
    -------
    proba : dict of str to ndarray of shape (n_cases, n_classes)
        The class probabilities of each strategy, columns as the classifier's ``classes_``.

    Examples
    --------
    >>> from sklearn_microts import MicroTSClassifier
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> from sklearn_microts.inspection import strategy_proba
    >>> X, y = make_microscopy_sequences(n_cases=40, n_features=8, random_state=0)
    >>> clf = MicroTSClassifier(d_model=24, mlp_dim=48, max_epochs=3, random_state=0)
    >>> proba = strategy_proba(clf.fit(X, y), X[:3], strategies=["ap", "dtw"])
    >>> {name: p.shape for name, p in proba.items()}
    {'ap': (3, 2), 'dtw': (3, 2)}
    """
    steps, classifier = _split_model(estimator)
    seen, _ = _transform_cases(steps, check_sequences(X))
    return _strategy_proba(classifier, seen, strategies)


def _strategy_proba(classifier, X, strategies):
    offered = getattr(classifier, "strategies_", (OWN_PREDICTION,))
    strategies = offered if strategies is None else tuple(strategies)
    unknown = [name for name in strategies if name not in offered]
    if unknown:
        raise ValueError(f"Unknown strategies {unknown}: this classifier offers {list(offered)}.")
    proba = {}
    for name in strategies:
        model = classifier
        if name != OWN_PREDICTION:
            model = copy.copy(classifier).set_params(strategy=name)
        proba[name] = model.predict_proba(X)
    return proba


def _split_model(estimator):
    """The fitted preprocessing steps and the final classifier of ``estimator``."""
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps[:-1] if step not in (None, "passthrough")]
        classifier = estimator.steps[-1][1]
    else:
        steps, classifier = [], estimator
    if not hasattr(classifier, "predict_proba"):
        raise TypeError(
            f"The model must end in a classifier with predict_proba, got "
            f"{type(classifier).__name__}."
        )
    check_is_fitted(classifier)
    return steps, classifier


def _transform_cases(steps, X):
    """The cases as the classifier sees them, and the position in the original case of
    every frame of theirs (``X`` validated)."""
    positions = [np.arange(len(case)) for case in X]
    for step in steps:
        if hasattr(step, "kept_indices"):
            kept = step.kept_indices(X)
            positions = [where[k] for where, k in zip(positions, kept, strict=True)]
        X = step.transform(X)
        for i, (case, where) in enumerate(zip(X, positions, strict=True)):
            if len(case) != len(where):
                raise ValueError(
                    f"{type(step).__name__} changes the number of frames of case {i} without "
                    "telling which it kept (kept_indices): its frames cannot be mapped back."
                )
    return X, positions
