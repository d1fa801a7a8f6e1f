"""Cases as a torch Dataset, and the collate that pads a batch and builds its mask.

Both live at module level so that a fitted estimator, which keeps them in its skorch net,
pickles.
"""

import numpy as np
import torch

from ..utils._ragged import case_starts


class SequenceDataset(torch.utils.data.Dataset):
    """Cases in the ragged layout: frame arrays sliced per case, plus the labels.

    Parameters
    ----------
    parts : dict of str to ndarray of shape (n_frames_total, n_features)
        Aligned frame arrays (e.g. ``x``, ``stable``, ``rapid``), one row per frame.
    lengths : ndarray of shape (n_cases,)
        Frames per case.
    labels : ndarray of shape (n_cases,), default=None
        Encoded labels; ``None`` at prediction time.
    """

    def __init__(self, parts, lengths, labels=None):
        self.parts = parts
        self.lengths = np.asarray(lengths)
        self.starts = case_starts(self.lengths)
        self.labels = labels

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, index):
        start, stop = self.starts[index], self.starts[index] + self.lengths[index]
        case = {name: values[start:stop] for name, values in self.parts.items()}
        label = -1 if self.labels is None else int(self.labels[index])
        return case, label


def pad_collate(batch):
    """Pad the cases of a batch with zeros: ``({name: (B, N, d), "mask": (B, N)}, labels)``."""
    cases, labels = zip(*batch, strict=True)
    lengths = [len(next(iter(case.values()))) for case in cases]
    longest = max(lengths)
    mask = torch.arange(longest)[None, :] < torch.tensor(lengths)[:, None]
    padded = {}
    for name in cases[0]:
        width = cases[0][name].shape[1]
        out = np.zeros((len(cases), longest, width), dtype=np.float32)
        for i, case in enumerate(cases):
            out[i, : lengths[i]] = case[name]
        padded[name] = torch.from_numpy(out)
    padded["mask"] = mask
    return padded, torch.tensor(labels, dtype=torch.int64)
