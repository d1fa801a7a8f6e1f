"""Target sequences of the soft-DTW loss (Hong et al., 2025, Eq. 6 and Fig. 3)."""

import numpy as np
import torch

from ..utils._onset import SIGNAL_ONSET, relative_times


def class_profiles(times, n_classes, kind):
    """Target probabilities at relative times ``times`` for every true class.

    Returns an array (n_classes, len(times), n_classes): entry ``[c, j]`` is the target
    distribution at time ``times[j]`` for a case of class ``c``. ``"implicit"``: the true
    class rises along the CDF ``F`` of Beta(3, 20), the others share ``1 - F``;
    ``"explicit"``: one-hot at every step.
    """
    if kind == "explicit":
        return np.tile(np.eye(n_classes)[:, None, :], (1, len(times), 1))
    rise = SIGNAL_ONSET.cdf(times)
    profiles = np.repeat(((1.0 - rise) / (n_classes - 1))[None, :, None], n_classes, axis=0)
    profiles = np.repeat(profiles, n_classes, axis=2)
    for c in range(n_classes):
        profiles[c, :, c] = rise
    return profiles


def target_sequences(n_classes, length, kind):
    """The fixed-length targets ``y_l`` of every class, (n_classes, length, n_classes)."""
    return torch.as_tensor(class_profiles(relative_times(length), n_classes, kind))


def ideal_sequences(labels, lengths, n_classes, kind, max_length):
    """``y_ideal`` of every case: its class profile sampled at its own length, padded.

    All cases at once (one call of the Beta CDF per batch, not one per case: this runs in
    every training step).
    """
    labels, lengths = np.asarray(labels), np.asarray(lengths)
    steps = np.arange(max_length)
    # relative_times of every case: steps * (1 / (n - 1)) as np.linspace, ending at 1 exactly
    times = steps * (1.0 / np.maximum(lengths - 1, 1))[:, None]
    times[np.arange(len(lengths)), lengths - 1] = 1.0
    rise = np.ones_like(times) if kind == "explicit" else SIGNAL_ONSET.cdf(times)
    out = np.repeat(((1.0 - rise) / (n_classes - 1))[..., None], n_classes, axis=2)
    out[np.arange(len(labels)), :, labels] = rise
    out[steps >= lengths[:, None]] = 0.0
    return torch.from_numpy(out)
