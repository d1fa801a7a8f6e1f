"""A generator of labelled frame sequences that behave like microscope sessions."""

import numpy as np
from sklearn.utils import check_random_state

from ..utils._onset import SIGNAL_ONSET
from ..utils._sklearn_compat import validate_params
from ..utils._validation import (
    AT_LEAST_TWO,
    FINITE_NON_NEGATIVE,
    POSITIVE_INT,
    PROBABILITY,
    check_at_least,
)


@validate_params(
    {
        "n_cases": [POSITIVE_INT],
        "n_features": [POSITIVE_INT],
        "n_classes": [AT_LEAST_TWO],
        "min_length": [POSITIVE_INT],
        "max_length": [POSITIVE_INT],
        "jump_probability": [PROBABILITY],
        "duplicate_probability": [PROBABILITY],
        "signal_probability": [PROBABILITY],
        "class_sep": [FINITE_NON_NEGATIVE],
        "noise": [FINITE_NON_NEGATIVE],
        "duplicate_noise": [FINITE_NON_NEGATIVE],
        "weights": ["array-like", None],
        "return_frame_signal": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_microscopy_sequences(
    n_cases=100,
    n_features=32,
    *,
    n_classes=2,
    min_length=5,
    max_length=60,
    jump_probability=0.15,
    duplicate_probability=0.3,
    signal_probability=0.3,
    class_sep=2.0,
    noise=0.3,
    duplicate_noise=0.01,
    weights=None,
    return_frame_signal=False,
    random_state=None,
):
    """Generate labelled cases that behave like microscope sessions.

    A pathologist moves over a slide while a camera takes a frame at a fixed interval. Each
    case is a walk over tissue regions: every frame either stays in the current region (a
    new view of it: region vector plus ``noise``), repeats the previous frame almost exactly
    (a near-duplicate: ``duplicate_noise``), or jumps to a new region. Regions are random
    feature vectors shared by all classes. The case label is weak: only the frames of some
    regions, the diagnostic ones, carry the class signal (``class_sep`` times a class
    direction added to the frame), and a region starting at relative time ``t`` in the
    case is diagnostic with probability ``signal_probability * F(t)``, ``F`` the CDF of
    Beta(3, 20), so the signal appears after the first frames as in the method's implicit
    target (:ref:`method_targets`). Every case has at least one diagnostic region (its last
    one if none was drawn).

    Parameters
    ----------
    n_cases : int, default=100
        Number of cases.
    n_features : int, default=32
        Number of features of each frame.
    n_classes : int, default=2
        Number of classes (>= 2).
    min_length, max_length : int, default=5, 60
        Case lengths are drawn uniformly from ``[min_length, max_length]``.
    jump_probability : float, default=0.15
        Probability that the next frame shows a new region.
    duplicate_probability : float, default=0.3
        Probability that the next frame is a near-duplicate of the previous one.
        ``jump_probability + duplicate_probability`` must not exceed 1.
    signal_probability : float, default=0.3
        Probability that a region (after the onset of the signal) is diagnostic.
    class_sep : float, default=2.0
        Norm of the class signal added to diagnostic frames; region vectors have unit
        variance per feature.
    noise : float, default=0.3
        Standard deviation, per feature, of the difference between two views of a region.
    duplicate_noise : float, default=0.01
        Standard deviation, per feature, of the difference between near-duplicates.
    weights : array-like of shape (n_classes,), default=None
        Class proportions; ``None`` gives balanced classes.
    return_frame_signal : bool, default=False
        Also return, for each case, which frames carry the class signal.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : list of ndarray of shape (n_frames_i, n_features)
        The cases.
    y : ndarray of shape (n_cases,)
        Integer labels ``0 .. n_classes - 1``.
    frame_signal : list of ndarray of shape (n_frames_i,)
        Boolean masks of the diagnostic frames; only with ``return_frame_signal=True``.

    Examples
    --------
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> X, y = make_microscopy_sequences(n_cases=4, n_features=8, random_state=0)
    >>> len(X), X[0].shape[1], y.tolist()
    (4, 8, [0, 1, 1, 0])
    """
    check_at_least(max_length, "max_length", min_length, "min_length")
    if jump_probability + duplicate_probability > 1:
        raise ValueError("jump_probability + duplicate_probability must not exceed 1.")
    probabilities = {
        "jump_probability": jump_probability,
        "duplicate_probability": duplicate_probability,
        "signal_probability": signal_probability,
    }
    rng = check_random_state(random_state)
    y = _draw_labels(n_cases, n_classes, weights, rng)

    directions = rng.standard_normal((n_classes, n_features))
    directions *= class_sep / np.linalg.norm(directions, axis=1, keepdims=True)
    lengths = rng.randint(min_length, max_length + 1, size=n_cases)
    X, frame_signal = [], []
    for label, length in zip(y, lengths, strict=True):
        frames, signal = _session(
            length, directions[label], probabilities, noise, duplicate_noise, rng
        )
        X.append(frames)
        frame_signal.append(signal)
    if return_frame_signal:
        return X, y, frame_signal
    return X, y


def _draw_labels(n_cases, n_classes, weights, rng):
    if weights is None:
        return rng.permutation(np.arange(n_cases) % n_classes)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (n_classes,) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(
            f"weights must be {n_classes} non-negative class proportions, got {weights}."
        )
    return rng.choice(n_classes, size=n_cases, p=weights / weights.sum())


def _session(length, direction, probabilities, noise, duplicate_noise, rng):
    """One case: frames of shape (length, d) and the mask of its diagnostic frames."""
    n_features = len(direction)
    move = rng.uniform(size=length)
    jumps = move < probabilities["jump_probability"]
    jumps[0] = True  # the first frame opens the first region
    duplicates = ~jumps & (
        move < probabilities["jump_probability"] + probabilities["duplicate_probability"]
    )
    region = np.cumsum(jumps) - 1
    region_start = np.flatnonzero(jumps)

    onset = SIGNAL_ONSET.cdf(region_start / max(length - 1, 1))
    diagnostic = rng.uniform(size=len(region_start)) < probabilities["signal_probability"] * onset
    if not diagnostic.any():
        diagnostic[-1] = True
    signal = diagnostic[region]

    views = rng.standard_normal((len(region_start), n_features))[region]
    views += noise * rng.standard_normal((length, n_features))
    views[signal] += direction
    # A near-duplicate re-takes the last real view, with only camera noise on top.
    source = np.maximum.accumulate(np.where(duplicates, 0, np.arange(length)))
    frames = views[source] + duplicate_noise * rng.standard_normal((length, n_features))
    return frames, signal
