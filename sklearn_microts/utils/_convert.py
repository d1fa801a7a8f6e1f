"""Conversions between our sequence data model and padded arrays, sktime, tslearn and tables.

Our canonical ``X`` is a list of ``(n_frames_i, n_features)`` arrays: time is the FIRST axis of
each case. tslearn uses the same orientation in a NaN-padded 3-D array; sktime's ``numpy3D``
puts time LAST (``(n_cases, n_features, n_timepoints)``) and its DataFrame mtypes put time on
the rows.
"""

from collections.abc import Hashable
from numbers import Real

import numpy as np

from ._docstring import SEQUENCE_DOCS, Substitution
from ._ragged import pad_frames, split_frames
from ._sklearn_compat import StrOptions, validate_params
from ._validation import POSITIVE_INT, PandasDataFrame, check_frames, check_sequences

SKTIME_MTYPES = ("df-list", "numpy3D", "nested_univ", "pd-multiindex")


# X is validated in the body, by check_sequences, whose errors name the case at fault.
@validate_params(
    {"X": "no_validation", "length": [POSITIVE_INT, None], "fill_value": [Real]},
    prefer_skip_nested_validation=True,
)
def pad_sequences(X, *, length=None, fill_value=np.nan):
    """Pad cases of different lengths into one 3-D array.

    Parameters
    ----------
    X : list of array-like of shape (n_frames_i, n_features)
        The cases, in any form :func:`check_sequences` accepts.
    length : int, default=None
        Length of the padded axis. ``None`` pads to the longest case; a shorter ``length``
        truncates longer cases to their first ``length`` frames.
    fill_value : float, default=np.nan
        Value of the padding frames. With NaN, the result reads back as the same cases
        through :func:`check_sequences`.

    Returns
    -------
    padded : ndarray of shape (n_cases, length, n_features)
        Frames of case ``i`` in ``padded[i, :lengths[i]]``.
    lengths : ndarray of shape (n_cases,)
        Number of real frames kept of each case.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts.utils import pad_sequences
    >>> padded, lengths = pad_sequences([np.ones((2, 3)), np.ones((4, 3))])
    >>> padded.shape, lengths.tolist()
    ((2, 4, 3), [2, 4])
    """
    frames, lengths = check_frames(X)
    return pad_frames(frames, lengths, length=length, fill_value=fill_value)


@Substitution(**SEQUENCE_DOCS)
def to_tslearn(X):
    """Convert cases to tslearn's time-series dataset: a NaN-padded ``(n, max_len, d)`` array.

    Parameters
    ----------
    {X}

    Returns
    -------
    X_tslearn : ndarray of shape (n_cases, max_len, n_features)
        The frames of case ``i`` in ``X_tslearn[i, :n_frames_i]``, NaN after them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts.utils import to_tslearn
    >>> to_tslearn([np.zeros((1, 2)), np.zeros((3, 2))]).shape
    (2, 3, 2)
    """
    return pad_sequences(X)[0]


def from_tslearn(X):
    """Convert a tslearn time-series dataset (NaN-padded ``(n, max_len, d)``) to cases.

    Trailing all-NaN frames of each series are padding and are removed; a NaN anywhere else
    is an error.

    Parameters
    ----------
    X : array-like of shape (n_ts, sz, d)
        A tslearn time-series dataset.

    Returns
    -------
    X_new : list of ndarray of shape (n_frames_i, d)
        The cases, without their padding.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts.utils import from_tslearn
    >>> X = np.array([[[1.0], [2.0]], [[3.0], [np.nan]]])
    >>> [x.ravel().tolist() for x in from_tslearn(X)]
    [[1.0, 2.0], [3.0]]
    """
    try:
        n_dims = np.ndim(X)
    except ValueError:  # numpy's words for nested sequences of different lengths
        raise ValueError(
            "A tslearn dataset is a 3-D array (n_ts, sz, d) of NaN-padded series; X nests "
            "sequences of different lengths."
        ) from None
    if n_dims != 3:
        raise ValueError(
            f"A tslearn dataset is a 3-D array (n_ts, sz, d), got {n_dims} dimension(s)."
        )
    return check_sequences(X)


@validate_params(
    {"X": "no_validation", "mtype": [StrOptions(set(SKTIME_MTYPES))]},
    prefer_skip_nested_validation=True,
)
@Substitution(**SEQUENCE_DOCS)
def to_sktime(X, *, mtype="df-list"):
    """Convert cases to an sktime Panel container.

    Parameters
    ----------
    {X}
    mtype : {"df-list", "numpy3D", "nested_univ", "pd-multiindex"}, default="df-list"
        The sktime machine type. ``"df-list"``: one DataFrame per case, time on the rows.
        ``"numpy3D"``: ``(n_cases, n_features, n_timepoints)``, time LAST, equal lengths
        only. ``"nested_univ"``: one row per case, one ``pd.Series`` cell per feature.
        ``"pd-multiindex"``: one row per frame under a (case, time) index.

    Returns
    -------
    X_sktime : list of DataFrame, ndarray or DataFrame
        The same data in the requested mtype.
    """
    convert_to = _sktime_convert_to()
    import pandas as pd

    df_list = [pd.DataFrame(case) for case in check_sequences(X)]
    if mtype == "df-list":
        return df_list
    if mtype == "numpy3D" and len({len(df) for df in df_list}) > 1:
        raise ValueError(
            "mtype='numpy3D' needs cases of equal length; pad them first with "
            "pad_sequences(X, fill_value=...) or use 'df-list'."
        )
    return convert_to(df_list, to_type=mtype, as_scitype="Panel")


def from_sktime(X):
    """Convert an sktime Panel container to a list of ``(n_timepoints_i, n_features)`` cases.

    sktime's ``numpy3D`` is ``(n_cases, n_features, n_timepoints)``: its LAST axis is time, and
    it becomes the first axis of each returned case.

    Parameters
    ----------
    X : sktime Panel container
        Cases in any Panel mtype, e.g. ``df-list``, ``numpy3D``, ``nested_univ`` or
        ``pd-multiindex``.

    Returns
    -------
    X_new : list of ndarray of shape (n_timepoints_i, n_features)
        The cases, time on the first axis.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts.utils import from_sktime
    >>> X = from_sktime(np.zeros((4, 2, 7)))  # 4 cases, 2 variables, 7 time points
    >>> X[0].shape
    (7, 2)
    """
    convert_to = _sktime_convert_to()
    try:
        df_list = convert_to(X, to_type="df-list", as_scitype="Panel")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X is not a valid sktime Panel container: {exc}") from exc
    return check_sequences([df.to_numpy() for df in df_list])


@validate_params(
    {
        "df": [PandasDataFrame()],
        "case_col": [Hashable],
        "order_col": [Hashable],
        "label_col": [Hashable, None],
        "feature_cols": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def from_long_dataframe(df, case_col, order_col, label_col=None, feature_cols=None):
    """Build cases from a "one row per frame" table, such as a list of images with features.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per frame.
    case_col : str
        Column identifying the case (slide, patient, session).
    order_col : str
        Column giving the acquisition order inside a case (a frame number or a timestamp).
    label_col : str, default=None
        Column holding the case label; it must be constant within each case.
    feature_cols : list of str, default=None
        Feature columns; by default every other column, which must then all be numeric.

    Returns
    -------
    X : list of ndarray of shape (n_frames_i, n_features)
        One case per distinct ``case_col`` value, sorted by case id, frames ordered by
        ``order_col``.
    y : ndarray of shape (n_cases,) or None
        Case labels, ``None`` without ``label_col``.
    case_ids : ndarray of shape (n_cases,)
        The case id of each entry of ``X``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_microts.utils import from_long_dataframe
    >>> df = pd.DataFrame({"slide": ["a", "a", "b"], "t": [2, 1, 1],
    ...                    "label": ["tumour", "tumour", "normal"],
    ...                    "f0": [0.2, 0.1, 0.5], "f1": [1.0, 1.1, 0.7]})
    >>> X, y, ids = from_long_dataframe(df, "slide", "t", "label")
    >>> X[0].tolist(), y.tolist(), ids.tolist()
    ([[0.1, 1.1], [0.2, 1.0]], ['tumour', 'normal'], ['a', 'b'])
    """
    key_cols = [c for c in (case_col, order_col, label_col) if c is not None]
    missing = [c for c in key_cols + list(feature_cols or []) if c not in df.columns]
    if missing:
        raise ValueError(f"Columns not found in df: {missing}.")
    if feature_cols is None:
        feature_cols = [c for c in df.columns if c not in key_cols]
        non_numeric = [c for c in feature_cols if df[c].dtype.kind not in "biuf"]
        if non_numeric:
            raise ValueError(
                f"Columns {non_numeric} are not numeric: pass feature_cols explicitly."
            )
    if len(feature_cols) == 0:
        raise ValueError("df has no feature columns.")
    if len(df) == 0:
        raise ValueError("df has no rows: at least one case is required.")
    if df[[case_col, order_col]].isna().any().any():
        raise ValueError(
            f"Columns {case_col!r} and {order_col!r} must not contain missing values."
        )

    ordered = df.sort_values([case_col, order_col], kind="stable")
    duplicated = ordered.duplicated([case_col, order_col])
    if duplicated.any():
        row = ordered[duplicated].iloc[0]
        raise ValueError(
            f"Case {row[case_col]!r} has two frames with {order_col} = {row[order_col]!r}: "
            "the acquisition order is ambiguous."
        )
    case_values = ordered[case_col].to_numpy()
    is_start = np.r_[True, case_values[1:] != case_values[:-1]]
    lengths = np.diff(np.r_[np.flatnonzero(is_start), len(ordered)])
    frames = ordered[feature_cols].to_numpy(dtype=np.float64)
    X = check_sequences(split_frames(frames, lengths))

    y = None
    if label_col is not None:
        labels = ordered.groupby(case_col, sort=True)[label_col]
        mixed = labels.nunique(dropna=False) > 1
        if mixed.any():
            raise ValueError(
                f"Case {mixed.index[mixed.to_numpy()][0]!r} has more than one {label_col!r}: "
                "a case carries a single (weak) label."
            )
        y = labels.first().to_numpy()
    return X, y, case_values[is_start]


def _sktime_convert_to():
    try:
        from sktime.datatypes import convert_to
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sktime is needed for this conversion: pip install sktime (or, in the root of the "
            "sklearn-microts checkout, pip install '.[sktime]')."
        ) from exc
    return convert_to
