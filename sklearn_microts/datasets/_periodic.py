"""A generator of long univariate series of many classes: periodic signatures."""

import numpy as np
from sklearn.utils import check_random_state

from ..utils._sklearn_compat import validate_params
from ..utils._validation import AT_LEAST_TWO, FINITE_NON_NEGATIVE, POSITIVE_INT, check_at_least


@validate_params(
    {
        "n_cases": [POSITIVE_INT],
        "n_classes": [AT_LEAST_TWO],
        "min_length": [POSITIVE_INT],
        "max_length": [POSITIVE_INT],
        "n_harmonics": [POSITIVE_INT],
        "min_period": [AT_LEAST_TWO],
        "max_period": [AT_LEAST_TWO],
        "noise": [FINITE_NON_NEGATIVE],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_periodic_sequences(
    n_cases=100,
    *,
    n_classes=11,
    min_length=100,
    max_length=1400,
    n_harmonics=3,
    min_period=10,
    max_period=40,
    noise=0.1,
    random_state=None,
):
    """Generate long univariate series whose class is the shape of a repeated waveform.

    The other end of the data the package meets from its microscope sessions: one feature,
    many classes, hundreds to thousands of frames, like appliance current signatures or
    other sensor recordings. Each class has its own waveform, a sum of ``n_harmonics``
    sines of random amplitudes and phases over a period drawn from ``[min_period,
    max_period]``. A case repeats its class's waveform from a random phase, scaled by a
    random gain in [0.8, 1.25], with Gaussian ``noise``; lengths are drawn uniformly from
    ``[min_length, max_length]``. Classes differ in the shape and the values of their
    waveforms, not in their lengths.

    Parameters
    ----------
    n_cases : int, default=100
        Number of cases.
    n_classes : int, default=11
        Number of classes (>= 2).
    min_length, max_length : int, default=100, 1400
        Case lengths are drawn uniformly from ``[min_length, max_length]``.
    n_harmonics : int, default=3
        Sines in each class's waveform.
    min_period, max_period : int, default=10, 40
        Range of the classes' periods, in frames (>= 2).
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each frame.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : list of ndarray of shape (n_frames_i, 1)
        The cases.
    y : ndarray of shape (n_cases,)
        Integer labels ``0 .. n_classes - 1``, balanced.

    Examples
    --------
    >>> from sklearn_microts.datasets import make_periodic_sequences
    >>> X, y = make_periodic_sequences(n_cases=4, n_classes=3, random_state=0)
    >>> len(X), X[0].shape[1], sorted(set(y.tolist()))
    (4, 1, [0, 1, 2])
    """
    check_at_least(max_length, "max_length", min_length, "min_length")
    check_at_least(max_period, "max_period", min_period, "min_period")
    rng = check_random_state(random_state)
    periods = rng.randint(min_period, max_period + 1, size=n_classes)
    amplitudes = rng.standard_normal((n_classes, n_harmonics))
    phases = rng.uniform(0, 2 * np.pi, size=(n_classes, n_harmonics))
    harmonics = np.arange(1, n_harmonics + 1)
    y = rng.permutation(np.arange(n_cases) % n_classes)
    lengths = rng.randint(min_length, max_length + 1, size=n_cases)
    X = []
    for label, length in zip(y, lengths, strict=True):
        start = rng.uniform(0, periods[label])
        angle = 2 * np.pi * (np.arange(length) + start) / periods[label]
        wave = np.sin(angle[:, None] * harmonics + phases[label]) @ amplitudes[label]
        gain = np.exp(rng.uniform(np.log(0.8), np.log(1.25)))
        X.append((gain * wave + noise * rng.standard_normal(length))[:, None])
    return X, y
