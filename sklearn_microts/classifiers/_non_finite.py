"""Non-finite numbers in the networks: training stops on them, inference refuses them.

The networks compute in float32, where features that fit (1e20) can still overflow inside
(their squares in a layer norm): the result is NaN, which ``argmax`` reads as class 0.
"""

import math

import numpy as np
import torch
from skorch.callbacks import Callback


class StopOnNonFiniteLoss(Callback):
    """Stop training with a clear error as soon as a batch loss is NaN or infinite.

    A non-finite loss never recovers: its gradient turns every weight into NaN, and a fit that
    went on would return NaN probabilities, read as class 0 by ``argmax``. The error names the
    epoch and batch, and the largest input magnitude of that batch, so that the likely cause
    (features too large for float32 arithmetic, or a learning rate that diverges) can be told
    apart. skorch has already recorded the batch loss as a float: checking it costs nothing.
    """

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        phase = "train" if training else "valid"
        loss = net.history[-1, "batches", -1, f"{phase}_loss"]
        if math.isfinite(loss):
            return
        epoch = net.history[-1, "epoch"]
        batch_index = len(net.history[-1, "batches"])
        raise ValueError(
            f"The {'training' if training else 'validation'} loss became {loss} at epoch "
            f"{epoch}, batch {batch_index}; training stopped. The largest feature magnitude in "
            f"that batch is {_largest_magnitude(batch):.3g}. The networks compute in float32: "
            "features of large magnitude overflow there, so standardise them (e.g. a "
            "StandardScaler on the training frames); if they are already of order 1, the "
            "learning rate is likely too high."
        )


def _largest_magnitude(batch):
    """Largest absolute value among the float tensors of a batch ``(X, y)``."""
    X = batch[0]
    tensors = X.values() if isinstance(X, dict) else [X]
    return max(
        (float(t.detach().abs().max()) for t in tensors if torch.is_floating_point(t)),
        default=math.nan,
    )


def check_finite_proba(proba):
    """Return ``proba``, or raise a ``ValueError`` naming the cases whose probabilities are
    NaN or infinite."""
    bad = np.flatnonzero(~np.isfinite(proba).all(axis=1))
    if bad.size:
        raise ValueError(
            f"The network gave NaN or infinite probabilities for {bad.size} case(s), e.g. "
            f"case(s) {bad[:5].tolist()}. Their features are likely too large for float32 "
            "arithmetic: bring them to the scale of the training data."
        )
    return proba
