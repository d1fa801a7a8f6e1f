"""CaseEvidenceDisplay: which frames drove the decision on one case."""

import numpy as np

from ..inspection import case_evidence
from ..utils._docstring import Substitution
from ..utils._image_files import read_image
from ._axes import panel_axes
from ._validation import check_one_case

# The parameters that both constructors take after the case itself.
_CASE_DOCS = {
    "case_labels": """\
images : list of (str, Path or ndarray), default=None
    The case's images, one per frame of the original case.
y_true : object, default=None
    True label of the case.
case_name : str, default=None
    Name of the case.
ax : matplotlib Axes or sequence of Axes, default=None
    Where to draw, see :meth:`plot`.
{style}""",
    "style": """\
line_kw : dict, default=None
    Keyword arguments of matplotlib's ``plot`` for each class's probability line, over the
    defaults (``marker="."``).
bar_kw : dict, default=None
    Keyword arguments of matplotlib's ``bar`` for the pooling weights, over the defaults
    (``width=0.8``).""",
}

# Side in pixels of the thumbnails drawn in the strip (small: a strip holds dozens).
THUMBNAIL_SIZE = 64


class CaseEvidenceDisplay:
    """One case: its frames, their class probabilities and pooling weights, the decision.

    The panels share the frame axis (positions in the original case, in acquisition order):
    a strip of frame thumbnails when images are given, the per-frame class probabilities
    ``y_attn``, and the attention pooling weights. Frames that de-duplication removed
    before the classifier saw them are shaded (and faded in the strip): they have no
    probability and no weight. The title gives the case's prediction under each inference
    strategy.

    Create it with :meth:`from_estimator`, or :meth:`from_evidence` from a
    :class:`~sklearn_microts.inspection.CaseEvidence` already computed; the constructor
    takes precomputed values.

    Parameters
    ----------
    n_frames : int
        Number of frames of the original case.
    frame_positions : array-like of int of shape (n_seen,)
        Positions of the frames the classifier saw (the others were removed).
    classes : array-like of shape (n_classes,)
        Class labels.
    predictions : dict of str to array-like of shape (n_classes,)
        Class probabilities of the case per strategy.
    frame_proba : array-like of shape (n_seen, n_classes), default=None
        Per-frame class probabilities; ``None`` omits the panel.
    pooling_weights : array-like of shape (n_seen,), default=None
        Pooling weights; ``None`` omits the panel.
    images : list of (str, Path or ndarray), default=None
        The case's ``n_frames`` images, drawn as thumbnails; ``None`` omits the strip.
    y_true : object, default=None
        True label of the case, shown in the title.
    case_name : str, default=None
        Name of the case in the title.

    Attributes
    ----------
    thumbnails_ : list of matplotlib AxesImage
        One per frame (empty without images).
    proba_lines_ : list of matplotlib Line2D
        One per class (empty without ``frame_proba``).
    weight_bars_ : matplotlib BarContainer or None
        The pooling weights.
    removed_spans_ : list of matplotlib Patch
        One shading per removed frame, in every panel.
    axes_ : ndarray of matplotlib Axes
        The panels, top to bottom.
    figure_ : matplotlib Figure
        The figure.

    See Also
    --------
    AlignmentDisplay : The per-frame probabilities aligned with the class target.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_microts import DedupTransformer, MicroTSClassifier
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> from sklearn_microts.plotting import CaseEvidenceDisplay
    >>> X, y = make_microscopy_sequences(n_cases=40, n_features=8, random_state=0)
    >>> model = make_pipeline(DedupTransformer(drop_fraction=0.2),
    ...     MicroTSClassifier(d_model=24, mlp_dim=48, max_epochs=3, random_state=0)).fit(X, y)
    >>> display = CaseEvidenceDisplay.from_estimator(model, X[0], y_true=y[0])
    >>> len(display.proba_lines_), len(display.axes_)
    (2, 2)
    """

    def __init__(
        self,
        *,
        n_frames,
        frame_positions,
        classes,
        predictions,
        frame_proba=None,
        pooling_weights=None,
        images=None,
        y_true=None,
        case_name=None,
    ):
        self.n_frames = n_frames
        self.frame_positions = frame_positions
        self.classes = classes
        self.predictions = predictions
        self.frame_proba = frame_proba
        self.pooling_weights = pooling_weights
        self.images = images
        self.y_true = y_true
        self.case_name = case_name

    @classmethod
    @Substitution(**_CASE_DOCS)
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        strategies=None,
        images=None,
        y_true=None,
        case_name=None,
        ax=None,
        line_kw=None,
        bar_kw=None,
    ):
        """Compute and plot the evidence of a fitted model on one case.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~sklearn_microts.MicroTSClassifier`, or a pipeline ending in
            one (its de-duplication is mapped back to the original frames).
        X : array-like of shape (n_frames, n_features)
            One case.
        strategies : list of str, default=None
            Strategies whose prediction the title gives; ``None``: every one the
            classifier offers.
        {case_labels}

        Returns
        -------
        display : CaseEvidenceDisplay
            The plotted display.
        """
        evidence = case_evidence(estimator, check_one_case(X), strategies=strategies)
        return cls.from_evidence(
            evidence,
            0,
            images=images,
            y_true=y_true,
            case_name=case_name,
            ax=ax,
            line_kw=line_kw,
            bar_kw=bar_kw,
        )

    @classmethod
    @Substitution(**_CASE_DOCS)
    def from_evidence(
        cls,
        evidence,
        index=0,
        *,
        images=None,
        y_true=None,
        case_name=None,
        ax=None,
        line_kw=None,
        bar_kw=None,
    ):
        """Plot one case of evidence already computed.

        Parameters
        ----------
        evidence : CaseEvidence
            The evidence of a model on cases, from
            :func:`~sklearn_microts.inspection.case_evidence`.
        index : int, default=0
            The case of ``evidence`` to show.
        {case_labels}

        Returns
        -------
        display : CaseEvidenceDisplay
            The plotted display.
        """
        if evidence.frame_proba is None and evidence.pooling_weights is None:
            raise ValueError(
                f"{type(evidence.classifier).__name__} gives neither per-frame probabilities "
                "nor pooling weights: there is no frame evidence to show."
            )
        n_frames = evidence.n_frames[index]
        if images is not None and len(images) != n_frames:
            raise ValueError(
                f"images has {len(images)} entries but case {index} has {n_frames} frames."
            )

        def of_case(outputs):
            return None if outputs is None else outputs[index]

        return cls(
            n_frames=n_frames,
            frame_positions=evidence.positions[index],
            classes=evidence.classes,
            predictions={name: proba[index] for name, proba in evidence.strategy_proba.items()},
            frame_proba=of_case(evidence.frame_proba),
            pooling_weights=of_case(evidence.pooling_weights),
            images=images,
            y_true=y_true,
            case_name=case_name,
        ).plot(ax=ax, line_kw=line_kw, bar_kw=bar_kw)

    @property
    def figsize(self):
        """Size in inches of the figure :meth:`plot` makes when given no Axes.

        Wider for a longer case, within reason.
        """
        return (min(16.0, max(8.0, 4.0 + 0.3 * self.n_frames)), 5.0)

    @Substitution(**_CASE_DOCS)
    def plot(self, *, ax=None, line_kw=None, bar_kw=None):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of Axes, default=None
            ``None``: a new figure; one Axes: split into the panels; a sequence: one Axes per
            panel (strip, probabilities, weights, those present).
        {style}

        Returns
        -------
        display : CaseEvidenceDisplay
            The display, with its artists as attributes.
        """
        positions = np.asarray(self.frame_positions)
        removed = np.setdiff1d(np.arange(self.n_frames), positions)
        panels = [
            name
            for name, value in (
                ("images", self.images),
                ("proba", self.frame_proba),
                ("weights", self.pooling_weights),
            )
            if value is not None
        ]
        from matplotlib.ticker import MaxNLocator

        ratios = [{"images": 1.0, "proba": 2.0, "weights": 1.4}[name] for name in panels]
        self.figure_, self.axes_ = panel_axes(
            ax,
            len(panels),
            vertical=True,
            ratios=ratios,
            figsize=self.figsize,
            sharex=True,
        )
        panel = dict(zip(panels, self.axes_, strict=True))
        self.thumbnails_, self.proba_lines_, self.weight_bars_ = [], [], None
        self.removed_spans_ = [
            axes.axvspan(i - 0.5, i + 0.5, color="0.85", lw=0, zorder=0)
            for axes in self.axes_
            for i in removed
        ]
        if "images" in panel:
            self._plot_strip(panel["images"], set(removed.tolist()))
        if "proba" in panel:
            axes = panel["proba"]
            for c, label in enumerate(self.classes):
                (line,) = axes.plot(
                    positions,
                    np.asarray(self.frame_proba)[:, c],
                    **{"marker": ".", "label": f"P({label})", **(line_kw or {})},
                )
                self.proba_lines_.append(line)
            axes.set_ylim(-0.05, 1.05)
            axes.set_ylabel("frame probability")
            axes.legend(loc="best", fontsize="small", ncols=min(4, len(self.classes)))
        if "weights" in panel:
            axes = panel["weights"]
            self.weight_bars_ = axes.bar(
                positions, self.pooling_weights, **{"width": 0.8, **(bar_kw or {})}
            )
            axes.set_ylabel("pooling weight")
        self.axes_[-1].set_xlabel("frame (acquisition order; shaded: removed as a duplicate)")
        self.axes_[-1].set_xlim(-0.5, self.n_frames - 0.5)
        self.axes_[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
        self.axes_[0].set_title(self._title(), fontsize="medium", loc="left")
        return self

    def _plot_strip(self, axes, removed):
        for i, image in enumerate(self.images):
            thumbnail = read_image(image, THUMBNAIL_SIZE)
            self.thumbnails_.append(
                axes.imshow(
                    thumbnail,
                    extent=(i - 0.45, i + 0.45, 0.0, 1.0),
                    alpha=0.3 if i in removed else 1.0,
                    aspect="auto",
                )
            )
        axes.set_ylim(0.0, 1.0)
        axes.set_yticks([])
        axes.tick_params(axis="x", labelbottom=False)
        for side in axes.spines.values():
            side.set_visible(False)

    def _title(self):
        case = "   ".join(
            text
            for text, value in (
                (self.case_name, self.case_name),
                (f"true: {self.y_true}", self.y_true),
            )
            if value is not None
        )
        calls = "   ".join(
            f"{strategy}: {self.classes[np.argmax(proba)]} ({np.max(proba):.2f})"
            for strategy, proba in self.predictions.items()
        )
        return f"{case}\n{calls}" if case else calls
