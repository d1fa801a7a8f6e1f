"""De-duplication of near-identical frames by time-series differencing (Eq. 1 of the paper;
:ref:`method_dedup` in the docs)."""

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._persistence import VersionedPickleMixin
from ..utils._ragged import case_starts, position_in_case, split_frames
from ..utils._sklearn_compat import StrOptions, _fit_context
from ..utils._validation import (
    NON_NEGATIVE,
    SHARE,
    ResolvedAtFitMixin,
    validate_sequence_data,
)
from ._base import SequenceTransformerMixin

# Rows per block when computing distances: a block of differences stays in the CPU cache
# instead of streaming a full-size temporary through memory.
_BLOCK_BYTES = 1 << 20


@Substitution(**SEQUENCE_DOCS)
class DedupTransformer(
    ResolvedAtFitMixin,
    VersionedPickleMixin,
    SequenceTransformerMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Drop near-duplicate frames of each case by time-series differencing.

    Frames are read in acquisition order. The first frame of a case is always kept; a later
    frame is dropped when its squared Euclidean distance to the last KEPT frame is below
    ``threshold`` (Hong et al., Eq. 1). Comparing with the last kept frame rather than the raw
    neighbour makes the transform idempotent and stops a slow drift from erasing a whole
    region; the paper's literal reading is ``compare="previous"``.

    A parameter set after :meth:`fit` takes effect at the next fit: :meth:`transform`
    reads what ``fit`` used (``threshold_``, ``compare_``).

    Read more in the method page, :ref:`method_dedup`.

    Parameters
    ----------
    threshold : float, default=None
        Squared-distance threshold ``tau`` (>= 0). ``None`` learns it in :meth:`fit` so that
        at least ``drop_fraction`` of the training frames are dropped; a given value wins.
    drop_fraction : float, default=0.05
        Least fraction of the training frames to drop when ``threshold`` is ``None``, in
        ``[0, 1)``: the learned threshold is the smallest that drops at least this share.
        Frames that no threshold tells apart (exact repeats, all at distance 0) go together,
        so the share dropped can exceed it; it falls short only where the cases have too
        few frames to drop (the first frame of a case is always kept). The paper drops 5%
        on BreakHis and 25% on its private set.
    compare : {"last_kept", "previous"}, default="last_kept"
        Which frame a frame is compared with: the last kept frame of its case, or its raw
        predecessor (the paper's literal Eq. 1, not idempotent).

    Attributes
    ----------
    threshold_ : float
        The threshold used by :meth:`transform`.
    compare_ : {"last_kept", "previous"}
        The ``compare`` rule used by :meth:`transform` (and to learn ``threshold_``).
    drop_fraction_ : float
        Fraction of the training frames dropped at ``threshold_``.
    n_dropped_ : ndarray of shape (n_cases,)
        Number of frames dropped from each training case.
    {features_in}

    See Also
    --------
    WaveletTransformer : Split each case into stable and rapid parts.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts import DedupTransformer
    >>> X = [np.array([[0.0], [0.01], [1.0], [1.02], [3.0]])]
    >>> dedup = DedupTransformer(threshold=0.1).fit(X)
    >>> dedup.transform(X)[0].ravel().tolist()
    [0.0, 1.0, 3.0]
    >>> dedup.kept_indices(X)[0].tolist()
    [0, 2, 4]
    """

    _parameter_constraints: ClassVar[dict] = {
        "threshold": [NON_NEGATIVE, None],
        "drop_fraction": [SHARE],
        "compare": [StrOptions({"last_kept", "previous"})],
    }
    # The threshold is learned under the rule: the two go together.
    _resolved_at_fit = ("compare",)

    def __init__(self, *, threshold=None, drop_fraction=0.05, compare="last_kept"):
        self.threshold = threshold
        self.drop_fraction = drop_fraction
        self.compare = compare

    @_fit_context(prefer_skip_nested_validation=True)
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y=None):
        """Learn (or take) the threshold and record what it drops from ``X``.

        Parameters
        ----------
        {X_train}
        {y_ignored}

        Returns
        -------
        self : DedupTransformer
            The fitted transformer.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @Substitution(**SEQUENCE_DOCS)
    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return its de-duplicated cases, computing distances once.

        Parameters
        ----------
        {X_train}
        {y_ignored}

        Returns
        -------
        X_new : list of ndarray of shape (n_kept_i, n_features)
            The kept frames of each case, in order.
        """
        frames, lengths, keep = self._fit(X)
        return _kept_cases(frames, lengths, keep)

    @Substitution(**SEQUENCE_DOCS)
    def transform(self, X):
        """Drop the near-duplicate frames of each case.

        Parameters
        ----------
        {X}

        Returns
        -------
        X_new : list of ndarray of shape (n_kept_i, n_features)
            The kept frames of each case, in order; new arrays.
        """
        frames, lengths, keep = self._validated_keep(X)
        return _kept_cases(frames, lengths, keep)

    @Substitution(**SEQUENCE_DOCS)
    def kept_indices(self, X):
        """Return the positions of the frames that :meth:`transform` keeps, per case.

        Use them to map the result back to image files or timestamps.

        Parameters
        ----------
        {X}

        Returns
        -------
        indices : list of ndarray of shape (n_kept_i,)
            Increasing frame positions; each starts with 0.
        """
        _, lengths, keep = self._validated_keep(X)
        return split_frames(position_in_case(lengths)[keep], _kept_lengths(lengths, keep))

    def _fit(self, X):
        self._resolve_params()
        frames, lengths = validate_sequence_data(self, X, reset=True)
        neighbour = _neighbour_sq_distances(frames, lengths)
        if self.threshold is None:
            self.threshold_ = _learn_threshold(
                frames, lengths, neighbour, self.drop_fraction, self.compare_
            )
        else:
            self.threshold_ = float(self.threshold)
        keep = _keep_mask(frames, lengths, self.threshold_, self.compare_, neighbour)
        self.n_dropped_ = lengths - _kept_lengths(lengths, keep)
        self.drop_fraction_ = float(self.n_dropped_.sum() / len(frames))
        return frames, lengths, keep

    def _validated_keep(self, X):
        """The validated ``frames`` and ``lengths`` of ``X``, and the keep mask over them."""
        check_is_fitted(self)
        frames, lengths = validate_sequence_data(self, X, reset=False)
        neighbour = _neighbour_sq_distances(frames, lengths)
        return (
            frames,
            lengths,
            _keep_mask(frames, lengths, self.threshold_, self.compare_, neighbour),
        )


def _kept_lengths(lengths, keep):
    return np.add.reduceat(keep, case_starts(lengths)).astype(np.intp)


def _kept_cases(frames, lengths, keep):
    return split_frames(frames[keep], _kept_lengths(lengths, keep))


def _sq_distances(frames, later, earlier):
    """``||frames[later[k]] - frames[earlier[k]]||^2`` for every ``k``, block by block.

    ``later`` and ``earlier`` are index arrays, or ``range`` objects whose blocks are read as
    slices (no gather copy). Blocks keep the differences in the CPU cache.
    """
    out = np.empty(len(later), dtype=np.float64)
    block = max(1, _BLOCK_BYTES // max(1, frames.shape[1] * frames.itemsize))
    for start in range(0, len(later), block):
        rows = [index[start : start + block] for index in (later, earlier)]
        a, b = (frames[r.start : r.stop] if isinstance(r, range) else frames[r] for r in rows)
        diff = a - b
        out[start : start + len(diff)] = np.einsum("ij,ij->i", diff, diff)
    return out


def _neighbour_sq_distances(frames, lengths):
    """Squared distance of every frame to the next frame of its case; inf after a case's end.

    The infinity makes "the next frame is far" true at case ends, where there is no next
    frame, so no caller has to special-case boundaries.
    """
    n_frames = len(frames)
    distances = np.empty(n_frames, dtype=np.float64)
    distances[:-1] = _sq_distances(frames, range(1, n_frames), range(n_frames - 1))
    distances[np.cumsum(lengths) - 1] = np.inf
    return distances


def _keep_mask(frames, lengths, threshold, compare, neighbour):
    """Boolean mask over ``frames`` of the frames the transform keeps."""
    if compare == "previous":
        keep = np.empty(len(frames), dtype=bool)
        keep[1:] = neighbour[:-1] >= threshold
        keep[case_starts(lengths)] = True
        return keep
    return _keep_mask_last_kept(frames, lengths, threshold, neighbour)


def _keep_mask_last_kept(frames, lengths, threshold, neighbour):
    """Keep mask for the "compare with the last kept frame" rule.

    The rule is sequential inside a case but independent across cases, so all cases advance
    together, one frame position per step (at most ``max(lengths)`` vectorised steps). While
    a case's previous frame was kept, the distance to compare is the precomputed neighbour
    distance; only frames that follow a drop need a new distance, to their case's last kept
    frame. Every frame is compared exactly once: the work is linear in the data.
    """
    order = np.argsort(-lengths, kind="stable")  # longest first: active cases are a prefix
    starts = case_starts(lengths)[order]
    n_active = np.searchsorted(-lengths[order], -np.arange(lengths.max()), side="left")
    keep = np.zeros(len(frames), dtype=bool)
    keep[starts] = True
    anchor = starts.copy()  # last kept frame of each case
    for position in range(1, int(lengths.max())):
        active = n_active[position]
        current = starts[:active] + position
        anchors = anchor[:active]
        after_drop = np.flatnonzero(anchors != current - 1)
        distance = neighbour[current - 1]
        distance[after_drop] = _sq_distances(frames, current[after_drop], anchors[after_drop])
        far = distance >= threshold
        keep[current[far]] = True
        anchor[:active][far] = current[far]
    return keep


def _learn_threshold(frames, lengths, neighbour, drop_fraction, compare):
    """The smallest threshold that drops at least ``drop_fraction`` of the training frames.

    "At least" rather than "nearest": where a third of the frames are exact repeats, every
    positive threshold drops them all, and the nearest count to a 5% target would be the
    threshold 0, which drops nothing, not even the repeats.

    The candidates are 0 and the midpoints between consecutive distinct distances of
    neighbouring frames (a margin on both sides for new data). Under the "previous" rule
    only those distances separate two outcomes, and the drop count, monotone in the
    threshold, is read off by counting. Under "last_kept" a frame may be compared with an
    earlier frame, so every within-case distance can matter: see
    :func:`_learn_last_kept_threshold`.
    """
    within = np.sort(neighbour[np.isfinite(neighbour)])
    if drop_fraction == 0 or within.size == 0:
        return 0.0
    distinct = np.unique(within)
    candidates = np.r_[0.0, (distinct[:-1] + distinct[1:]) / 2, np.nextafter(distinct[-1], np.inf)]
    target = drop_fraction * len(frames)
    if compare == "previous":
        dropped = np.searchsorted(within, candidates, side="left")
        first_reaching = min(np.searchsorted(dropped, target, side="left"), len(candidates) - 1)
        return float(candidates[first_reaching])

    def n_dropped(threshold):
        return len(frames) - _keep_mask_last_kept(frames, lengths, threshold, neighbour).sum()

    return _learn_last_kept_threshold(n_dropped, candidates, target, len(frames) - len(lengths))


def _learn_last_kept_threshold(n_dropped, candidates, target, droppable):
    """Under "last_kept": a bisection over the candidates brackets the ``target`` count (the
    candidates extended above the largest neighbour distance only if needed), and a
    bisection on the threshold itself then closes in on the smallest count that reaches it.

    ``n_dropped(threshold)`` counts the frames a threshold drops, monotone in it;
    ``droppable`` is the most that any threshold drops (every frame but the first of each
    case).
    """
    low, high = 0, len(candidates) - 1
    if (dropped := n_dropped(candidates[high])) < target:
        top, dropped = _double_until_target(
            n_dropped, candidates[high], dropped, target, droppable
        )
        if dropped < target:
            return float(top)
        candidates = np.r_[candidates, top]
        low, high = len(candidates) - 2, len(candidates) - 1
    while high - low > 1:  # invariant: n_dropped(low) < target <= n_dropped(high)
        middle = (low + high) // 2
        if n_dropped(candidates[middle]) >= target:
            high = middle
        else:
            low = middle
    return _smallest_count_reaching(n_dropped, candidates[low], candidates[high], target)


def _double_until_target(n_dropped, top, dropped, target, droppable):
    """Thresholds above every neighbour distance can still drop frames that are far from
    their neighbour but near the last kept frame: double ``top`` until the target is
    reached, or nothing more can drop; ``dropped`` is ``n_dropped(top)``. Returns the last
    threshold tried and its count. (Large thresholds make long runs of pending frames, so
    they are tried only here.)"""
    for _ in range(64):
        if dropped >= target or dropped == droppable:
            break
        top = 2 * max(top, np.finfo(float).tiny)
        dropped = n_dropped(top)
    return top, dropped


def _smallest_count_reaching(n_dropped, low, high, target):
    """Bisect the threshold between ``low`` (short of ``target``) and ``high`` (reaching
    it) for the smallest drop count that reaches the target.

    The answer moves down only for a smaller count: a lower threshold that drops as many
    frames (exact repeats, all at distance 0) would only give up the candidate's margin.
    """
    dropped_low, dropped_high = n_dropped(low), n_dropped(high)
    best, dropped_best = high, dropped_high
    for _ in range(60):  # float bisection: at most ~60 halvings separate two doubles
        middle = (low + high) / 2
        if dropped_high - dropped_low <= 1 or not low < middle < high:
            break
        if (dropped_middle := n_dropped(middle)) >= target:
            high, dropped_high = middle, dropped_middle
            if dropped_middle < dropped_best:
                best, dropped_best = middle, dropped_middle
        else:
            low, dropped_low = middle, dropped_middle
    return float(best)
