"""Helpers for models that read a case as a bag of frames."""

import torch


def shuffle_bags(x, mask):
    """Randomly reorder the real frames of every bag (padding stays at the end).

    Multiple-instance models should not learn from the acquisition order; the paper
    shuffles the frames of each bag in training. Uses torch's global generator, so it is
    reproducible under ``torch.manual_seed``.
    """
    keys = torch.rand(mask.shape, device=x.device).masked_fill(~mask, 2.0)
    order = keys.argsort(dim=1)
    return torch.take_along_dim(x, order[..., None], dim=1)
