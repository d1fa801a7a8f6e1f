"""The ragged layout every estimator works on: all frames in one array plus case lengths.

A dataset of cases ``X[i]`` of shape ``(n_i, d)`` is held as ``frames`` of shape
``(sum(n_i), d)`` (the cases one after another) and ``lengths`` of shape ``(n_cases,)``.
Vectorised code runs over ``frames`` once instead of looping over cases; these helpers move
between that layout, the canonical list of arrays and a padded 3-D array.
"""

import numpy as np


def case_starts(lengths):
    """Index in ``frames`` of the first frame of each case."""
    starts = np.zeros(len(lengths), dtype=np.intp)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts


def position_in_case(lengths):
    """For every frame, its position (0-based) inside its own case."""
    total = int(lengths.sum())
    return np.arange(total, dtype=np.intp) - np.repeat(case_starts(lengths), lengths)


def split_frames(frames, lengths):
    """Cut the concatenated ``frames`` back into a list of per-case views."""
    return np.split(frames, np.cumsum(lengths)[:-1])


def pad_frames(frames, lengths, *, length=None, fill_value=np.nan):
    """Scatter concatenated frames into a padded ``(n_cases, length, d)`` array.

    Cases longer than ``length`` are truncated to their first ``length`` frames; the returned
    lengths are the ones kept.
    """
    max_length = int(lengths.max()) if length is None else int(length)
    kept_lengths = np.minimum(lengths, max_length)
    keep = position_in_case(lengths) < max_length
    padded = np.full((len(lengths), max_length, frames.shape[1]), fill_value, dtype=frames.dtype)
    real = np.arange(max_length) < kept_lengths[:, None]
    padded[real] = frames[keep]
    return padded, kept_lengths
