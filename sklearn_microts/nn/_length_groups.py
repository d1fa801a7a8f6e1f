"""Run a frame-wise branch of a network on groups of cases of similar length.

A padded batch costs its size times its longest case, and attention the square of that:
one case of 1,300 frames among cases of 300 made an epoch of long series spend most of its
time on padding. Cutting the batch into groups of similar length, each truncated to its own
longest case, costs the real frames instead, while the batch, and so every optimisation step,
stays the same. Groups are not free (each runs the branch's operators once more), so a
batch of short cases stays whole.
"""

import numpy as np
import torch
from torch.nn import functional as F

# The cost model of a group of g cases whose longest has L frames, in units of one
# frame-pair of attention: g * L * (L + LINEAR_FRAMES) + GROUP_COST. LINEAR_FRAMES weighs the
# per-frame work (projections, MLP) against the per-pair work of attention; GROUP_COST is
# the fixed cost of running the branch once more. Both were measured for MicroTSModule at
# its default width on one CPU thread, forward and backward: a frame cost about 600 pairs and
# a call about 20,000. GROUP_COST is set five times higher, so that a split must save well
# more than it costs (smaller matrix products also run less efficiently): batches of similar
# lengths stay whole, while the long ragged batches this is for save far more either way.
LINEAR_FRAMES = 600
GROUP_COST = 100_000


def length_groups(lengths, *, linear_frames=LINEAR_FRAMES, group_cost=GROUP_COST):
    """The partition of a batch into groups of cases of similar length that costs least.

    Cases are sorted by decreasing length and cut into contiguous groups, the cut chosen by
    dynamic programming over the cost model above (``O(B^2)`` for ``B`` cases).

    Parameters
    ----------
    lengths : array-like of int, shape (n_cases,)
        Real frames of each case.
    linear_frames, group_cost : float
        The cost model's constants.

    Returns
    -------
    groups : list of (ndarray of int, int)
        Each group's case indices (into ``lengths``) and its longest length.
    """
    lengths = np.asarray(lengths)
    order = np.argsort(-lengths, kind="stable")
    longest = lengths[order]  # longest[i]: the length of a group that starts at case i
    n = len(order)
    # best[j]: the least cost of the first j cases; start[j]: where its last group starts.
    best = np.zeros(n + 1)
    start = np.zeros(n + 1, dtype=int)
    first = np.arange(n)
    for j in range(1, n + 1):
        costs = best[:j] + (j - first[:j]) * longest[:j] * (longest[:j] + linear_frames)
        start[j] = int(np.argmin(costs))
        best[j] = costs[start[j]] + group_cost
    groups = []
    j = n
    while j > 0:
        groups.append((order[start[j] : j], int(longest[start[j]])))
        j = start[j]
    return groups[::-1]


def by_length_groups(branch, mask, *tensors):
    """``branch(*tensors, mask)`` computed group by group (:func:`length_groups`).

    Parameters
    ----------
    branch : callable
        Maps padded tensors of shape (B, N, ...) and the mask (B, N) to an output of shape
        (B, N, ...) whose rows at real frames depend on their own case only, and which
        ignores padded frames (attention masked by keys, frame-wise layers).
    mask : torch.Tensor of shape (B, N)
        True at real frames.
    *tensors : torch.Tensor of shape (B, N, ...)
        The padded inputs.

    Returns
    -------
    output : torch.Tensor of shape (B, N, ...)
        The branch's output at real frames; padded frames hold values that nothing may read
        (as in any padded batch). With one group, the branch's output on the whole batch.
    """
    groups = length_groups(mask.sum(1).cpu().numpy())
    padded_length = mask.shape[1]
    if len(groups) == 1 and groups[0][1] == padded_length:
        return branch(*tensors, mask)
    outputs = []
    for index, longest in groups:
        rows = torch.as_tensor(index, device=mask.device)
        output = branch(*(t[rows, :longest] for t in tensors), mask[rows, :longest])
        # Pad the frame axis (1) back to the batch's length: F.pad counts axes from the last.
        outputs.append(F.pad(output, (0, 0) * (output.dim() - 2) + (0, padded_length - longest)))
    order = np.concatenate([index for index, _ in groups])
    return torch.cat(outputs)[torch.as_tensor(np.argsort(order), device=mask.device)]
