"""Ragged batches of sequences shared by the soft-DTW tests of every engine."""

import numpy as np
import torch


def ragged_batch(seed, batch=5, n=8, m=6, channels=3, padding=np.nan):
    """Sequences padded with ``padding``, their lengths, and the unpadded pieces."""
    rng = np.random.default_rng(seed)
    x_lengths = rng.integers(1, n + 1, size=batch)
    y_lengths = rng.integers(1, m + 1, size=batch)
    x = rng.normal(size=(batch, n, channels))
    y = rng.normal(size=(batch, m, channels))
    for b in range(batch):
        x[b, x_lengths[b] :] = padding
        y[b, y_lengths[b] :] = padding
    x = torch.tensor(x, requires_grad=True)
    y = torch.tensor(y, requires_grad=True)
    return x, y, torch.tensor(x_lengths), torch.tensor(y_lengths)
