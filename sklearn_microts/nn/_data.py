"""Cases as a torch Dataset, the collate that pads a batch and builds its mask, and the
training iterator that batches cases of similar length.

All live at module level so that a fitted estimator, which keeps them in its skorch net,
pickles.
"""

import numpy as np
import torch

from ..utils._ragged import case_starts

# The docstring pieces of the torch modules (:class:`~sklearn_microts.utils._docstring.
# Substitution`): a batch is the padded layout :func:`pad_collate` makes.
MODULE_DOCS = {
    "n_features": """\
n_features : int
    Features per frame.""",
    "n_classes": """\
n_classes : int
    Number of classes.""",
    "x": """\
x : torch.Tensor of shape (B, N, n_features)
    The frames of a batch of ``B`` cases, zero-padded to ``N`` frames.""",
    "mask": """\
mask : torch.Tensor of bool of shape (B, N)
    True on the real frames, False on the padding.""",
    "case_outputs": """\
outputs : tuple of torch.Tensor
    One element: the case logits, of shape (B, n_classes).""",
    "labels": """\
labels : torch.Tensor of int64 of shape (B,)
    Class of each case, as an index.""",
}


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
    device : str or torch.device, default="cpu"
        Where the network runs. On a CUDA device with room for them, the frame arrays are
        copied there once and every batch is padded there: no copy from the host per batch
        (on an H200 the per-batch padding and copies took two thirds of an epoch).
    """

    def __init__(self, parts, lengths, labels=None, device="cpu"):
        self.parts = _on_device(parts, device)
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


# A pool of this many batches' worth of shuffled cases is sorted by length and cut into
# batches: enough cases for similar lengths to meet, few enough (on large data) that a batch
# does not hold the same cases every epoch.
POOL_BATCHES = 50


class LengthBucketSampler(torch.utils.data.Sampler):
    """Batches of cases of similar length, in random order: little padding per batch.

    Every epoch the cases are shuffled and cut into pools of ``pool_batches * batch_size``
    cases; each pool is sorted by length (ties in random order) and cut into batches of
    ``batch_size``, and the batches of all pools are shuffled together. Each case comes
    once per epoch. Without buckets, one long case pads every case of its batch to its
    length, and the memory and time of that batch grow with it.

    Parameters
    ----------
    lengths : array-like of shape (n_cases,)
        Frames per case.
    batch_size : int
        Cases per batch (the last batch of a pool may hold fewer).
    pool_batches : int, default=50
        Batches per pool.
    generator : torch.Generator or None, default=None
        Source of the shuffling; ``None`` draws from torch's global generator, as a
        ``DataLoader(shuffle=True)`` does, so that the seed set by ``fit`` decides it.
    """

    def __init__(self, lengths, batch_size, *, pool_batches=POOL_BATCHES, generator=None):
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.pool_size = pool_batches * batch_size
        self.generator = generator

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).numpy()
        batches = []
        for start in range(0, len(order), self.pool_size):
            pool = order[start : start + self.pool_size]
            # A stable sort of shuffled cases: cases of one length stay in random order.
            pool = pool[np.argsort(self.lengths[pool], kind="stable")]
            batches += np.array_split(pool, np.arange(self.batch_size, len(pool), self.batch_size))
        for index in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[index].tolist()

    def __len__(self):
        full_pools, rest = divmod(len(self.lengths), self.pool_size)
        return full_pools * -(-self.pool_size // self.batch_size) + -(-rest // self.batch_size)


class BucketedLoader(torch.utils.data.DataLoader):
    """The training iterator: a ``DataLoader`` whose batches come from a
    :class:`LengthBucketSampler` over the cases of ``dataset``.

    ``dataset`` is a :class:`SequenceDataset` or a ``Subset`` of one (skorch's validation
    split); the other keywords go to ``DataLoader``, and its ``generator`` (if any) shuffles
    the batches too.
    """

    def __init__(self, dataset, batch_size=1, **kwargs):
        sampler = LengthBucketSampler(
            _case_lengths(dataset), batch_size, generator=kwargs.get("generator")
        )
        super().__init__(dataset, batch_sampler=sampler, **kwargs)


def _case_lengths(dataset):
    if isinstance(dataset, torch.utils.data.Subset):
        return _case_lengths(dataset.dataset)[dataset.indices]
    return dataset.lengths


def _on_device(parts, device):
    """The frame arrays as tensors on ``device`` if it is a CUDA device where they take at
    most a quarter of the free memory; else the arrays as they are."""
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return parts
    free, _ = torch.cuda.mem_get_info(device)
    if sum(values.nbytes for values in parts.values()) > free // 4:
        return parts
    return {name: torch.from_numpy(values).to(device) for name, values in parts.items()}


def pad_collate(batch):
    """Pad the cases of a batch with zeros and build their mask.

    Cases given as tensors (a dataset on the GPU) are padded on their device.

    Parameters
    ----------
    batch : list of (dict of str to ndarray or torch.Tensor, int)
        The ``(case, label)`` items of a :class:`SequenceDataset`: each case a dict of
        aligned frame arrays of shape (n_frames_i, d).

    Returns
    -------
    X : dict of str to torch.Tensor
        Each part of the cases, zero-padded to the longest case: (B, N, d); and ``"mask"``,
        (B, N), True on the real frames.
    labels : torch.Tensor of int64 of shape (B,)
        The labels of the cases.
    """
    cases, labels = zip(*batch, strict=True)
    lengths = [len(next(iter(case.values()))) for case in cases]
    first = next(iter(cases[0].values()))
    device = first.device if torch.is_tensor(first) else None
    padded = {name: _padded([case[name] for case in cases], lengths) for name in cases[0]}
    padded["mask"] = (
        torch.arange(max(lengths), device=device)[None, :]
        < torch.tensor(lengths, device=device)[:, None]
    )
    return padded, torch.tensor(labels, dtype=torch.int64)


def _padded(frames, lengths):
    """(B, longest, d) float32 tensor of the cases' frames, zero-padded, on their device."""
    if torch.is_tensor(frames[0]):
        return torch.nn.utils.rnn.pad_sequence(frames, batch_first=True)
    out = np.zeros((len(frames), max(lengths), frames[0].shape[1]), dtype=np.float32)
    for i, case in enumerate(frames):
        out[i, : lengths[i]] = case
    return torch.from_numpy(out)


class FrameDropoutCollate:
    """The training collate: leave each frame out with probability ``rate``, then pad.

    An augmentation for weakly labelled cases: the label must survive the loss of any
    frame, so the network cannot memorise a case by one frame. At least one frame of each
    case is kept (a random one when all would go), and frames keep their order. With
    ``rate=0`` it is :func:`pad_collate`.

    Parameters
    ----------
    rate : float
        Probability that a frame is left out, in [0, 1).
    random_state : int
        Seed of the frames left out; the draws advance from batch to batch.
    """

    def __init__(self, rate, random_state):
        self.rate = rate
        self.rng = np.random.default_rng(random_state)

    def __call__(self, batch):
        if self.rate:
            batch = [(self._kept_frames(case), label) for case, label in batch]
        return pad_collate(batch)

    def _kept_frames(self, case):
        n = len(next(iter(case.values())))
        keep = self.rng.random(n) >= self.rate
        if not keep.any():
            keep[self.rng.integers(n)] = True
        return {name: values[keep] for name, values in case.items()}
