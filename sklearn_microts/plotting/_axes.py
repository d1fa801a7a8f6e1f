"""Axes of the multi-panel displays: a new figure, one Axes split in panels, or one per panel."""

import numpy as np


def import_pyplot():
    """matplotlib.pyplot, or an ImportError that says which extra installs it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The displays need matplotlib: pip install matplotlib (or, in the root of the "
            "sklearn-microts checkout, pip install '.[plot]')."
        ) from exc
    return plt


def panel_axes(ax, n_panels, *, vertical, ratios=None, figsize, sharex=False):
    """The figure and the ``n_panels`` Axes a display draws in.

    Parameters
    ----------
    ax : None, matplotlib Axes or sequence of Axes
        ``None``: a new figure. One Axes: its area is split into the panels (scikit-learn's
        ``PartialDependenceDisplay`` does the same) and the Axes itself is hidden. A
        sequence: one Axes per panel, used as they are.
    n_panels : int
        Number of panels.
    vertical : bool
        Stack the panels top to bottom (else left to right).
    ratios : list of float, default=None
        Relative heights (vertical) or widths of the panels.
    figsize : tuple
        Size of a new figure.
    sharex : bool, default=False
        Share the x axis between new panels.

    Returns
    -------
    figure : matplotlib Figure
    axes : ndarray of Axes of shape (n_panels,)
    """
    plt = import_pyplot()
    from matplotlib.axes import Axes

    shape = (n_panels, 1) if vertical else (1, n_panels)
    ratio_kw = {("height_ratios" if vertical else "width_ratios"): ratios}
    if ax is None:
        figure = plt.figure(figsize=figsize, layout="constrained")
        grid = figure.add_gridspec(*shape, **ratio_kw)
    elif isinstance(ax, Axes):
        spec = ax.get_subplotspec()
        if spec is None:
            raise ValueError(
                "ax must be a subplot (e.g. from plt.subplots) to be split into the display's "
                f"{n_panels} panels, or a sequence of {n_panels} Axes."
            )
        figure = ax.figure
        ax.set_axis_off()
        grid = spec.subgridspec(*shape, **ratio_kw)
    else:
        axes = np.asarray(ax, dtype=object).ravel()
        if len(axes) != n_panels or not all(isinstance(a, Axes) for a in axes):
            raise ValueError(f"ax must be one Axes or a sequence of {n_panels} Axes.")
        return axes[0].figure, axes
    axes = []
    for i in range(n_panels):
        share = axes[0] if sharex and axes else None
        axes.append(figure.add_subplot(grid[i], sharex=share))
    return figure, np.array(axes, dtype=object)
