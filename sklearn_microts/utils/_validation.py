"""Validation of sequence datasets and parameters at the public boundary.

Every estimator and public function of the package funnels its ``X`` through
:func:`check_sequences` (or its ragged twin :func:`check_frames`), so the accepted input
formats and the error messages are the same everywhere.
"""

import numbers

import numpy as np
from scipy.sparse import issparse
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

from ._ragged import case_starts, split_frames
from ._sklearn_compat import HasMethods, Interval, validate_parameter_constraints

FLOAT_DTYPES = (np.float64, np.float32)
# The largest magnitude a frame value may have. Every network of the package computes in
# float32, so a float64 beyond this turns into infinity there: refused at the boundary, whatever
# the estimator, so that a pipeline fails at its first step rather than at its classifier.
FLOAT32_MAX = float(np.finfo(np.float32).max)


class NumberInterval(Interval):
    """scikit-learn's :class:`~sklearn.utils._param_validation.Interval`, refusing booleans.

    scikit-learn reads ``True`` as the integer 1; torch refuses it as a batch size or a
    learning rate, deep inside training. A boolean is no count nor a rate here.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)


class PandasDataFrame(HasMethods):
    """A :class:`pandas.DataFrame`, recognised without importing pandas (an optional
    dependency). A :class:`~sklearn.utils._param_validation.HasMethods` only because
    scikit-learn's validation takes no constraint of a kind of its own."""

    def __init__(self):
        super().__init__(["sort_values", "groupby"])

    def is_satisfied_by(self, val):
        return any(
            cls.__qualname__ == "DataFrame" and cls.__module__.split(".")[0] == "pandas"
            for cls in type(val).__mro__
        )

    def __str__(self):
        return "a pandas DataFrame"


class ResolvedAtFitMixin:
    """Parameters that ``fit`` copies into fitted attributes, the only ones read after it.

    ``_resolved_at_fit`` names them; :meth:`_resolve_params`, called in ``fit`` once they
    are validated, sets ``<name>_`` for each. What a fitted estimator computes then depends
    on what it was fitted with alone: a parameter set after ``fit`` takes effect at the next
    fit, instead of changing the outputs of a network or threshold learned with another
    value.

    An estimator saved (pickled, or in a model file) before it resolved a parameter lacks
    the attribute: read, the attribute is the parameter as saved, which is what the version
    that saved it computed with. Put it before
    :class:`~sklearn_microts.utils._persistence.VersionedPickleMixin` in the bases: that
    mixin tells a loaded estimator lacking a fitted attribute apart.
    """

    _resolved_at_fit = ()

    def _resolve_params(self):
        for name in self._resolved_at_fit:
            setattr(self, f"{name}_", getattr(self, name))

    def _resolved(self, name):
        """The value of the parameter ``name`` that ``fit`` resolved; before any fit (for
        what is built from an unfitted estimator), the parameter's."""
        return getattr(self, f"{name}_", getattr(self, name))

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except NotFittedError:  # loaded and fitted, without the attribute
            if name[:-1] not in self._resolved_at_fit:
                raise
            return getattr(self, name[:-1])


def validate_params_in_use(estimator, names):
    """Check the parameters ``names`` of ``estimator`` against its ``_parameter_constraints``.

    For the parameters read after ``fit`` (at prediction time), which ``set_params`` or a
    model file may have changed since ``fit`` validated them.

    Raises
    ------
    InvalidParameterError
        A ``ValueError``, in scikit-learn's words, naming the parameter and its value.
    """
    validate_parameter_constraints(
        {name: estimator._parameter_constraints[name] for name in names},
        {name: getattr(estimator, name) for name in names},
        caller_name=type(estimator).__name__,
    )


# The ranges most hyper-parameters take, for the estimators' ``_parameter_constraints``.
POSITIVE_INT = NumberInterval(numbers.Integral, 1, None, closed="left")
NON_NEGATIVE = NumberInterval(numbers.Real, 0, None, closed="left")
FINITE_NON_NEGATIVE = NumberInterval(numbers.Real, 0, np.finfo(np.float64).max, closed="both")
AT_LEAST_TWO = NumberInterval(numbers.Integral, 2, None, closed="left")  # classes, a period
PROBABILITY = NumberInterval(numbers.Real, 0, 1, closed="both")
SHARE = NumberInterval(numbers.Real, 0, 1, closed="left")  # a probability of dropping, a fraction
# Rates and weights that torch turns into float32 (a learning rate, a loss weight): a larger
# value overflows there, deep inside training, so it is refused here.
POSITIVE_FLOAT32 = NumberInterval(numbers.Real, 0, FLOAT32_MAX, closed="right")
NON_NEGATIVE_FLOAT32 = NumberInterval(numbers.Real, 0, FLOAT32_MAX, closed="both")


def check_sequences(X, *, dtype=FLOAT_DTYPES, ensure_all_finite=True, input_name="X"):
    """Validate a dataset of cases and return it as a list of 2-D float arrays.

    Accepted inputs, for ``n_cases`` cases of ``n_i`` frames with ``n_features`` each:

    - a list (or tuple) of 2-D array-likes of shape ``(n_i, n_features)``: the canonical form;
    - a 1-D object array of such arrays;
    - a dense 3-D array ``(n_cases, n_frames, n_features)`` in which trailing frames that are
      entirely NaN are padding (the tslearn convention);
    - a 2-D array-like ``(n_cases, n_features)``, read as cases of a single frame.

    Parameters
    ----------
    X : list of array-like, ndarray or DataFrame
        The cases.
    dtype : dtype or tuple of dtypes, default=(np.float64, np.float32)
        Allowed float dtypes. Input of a dtype in the tuple keeps it; anything else is
        converted to the first one.
    ensure_all_finite : bool, default=True
        Raise on NaN, infinity or a magnitude beyond the float32 range (about 3.4e38, what
        the package's networks compute in) in a real (non-padding) frame.
    input_name : str, default="X"
        Name used in error messages.

    Returns
    -------
    sequences : list of ndarray of shape (n_i, n_features)
        New arrays: the caller's data are never modified nor aliased.

    Raises
    ------
    ValueError
        For an empty dataset, an empty or ragged case, mixed feature sizes, non-finite
        values or values beyond float32, complex or non-numeric data, or an array of the
        wrong number of dimensions. The message names the offending case.
    TypeError
        For objects that are not array-likes of numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts.utils import check_sequences
    >>> X = check_sequences([np.zeros((3, 2)), np.ones((5, 2))])
    >>> [x.shape for x in X]
    [(3, 2), (5, 2)]
    """
    frames, lengths = check_frames(
        X, dtype=dtype, ensure_all_finite=ensure_all_finite, input_name=input_name
    )
    return split_frames(frames, lengths)


def check_frames(X, *, dtype=FLOAT_DTYPES, ensure_all_finite=True, input_name="X"):
    """Validate ``X`` like :func:`check_sequences`, returning the ragged layout.

    Returns
    -------
    frames : ndarray of shape (n_frames_total, n_features)
        All frames, case after case, in a new array.
    lengths : ndarray of shape (n_cases,)
        Number of frames of each case.
    """
    dtypes = tuple(np.dtype(t) for t in (dtype if isinstance(dtype, tuple) else (dtype,)))
    if issparse(X):
        raise TypeError(
            f"Sparse data was passed for {input_name}, but dense data is required: frames "
            "are dense feature vectors. Use X.toarray() to convert."
        )
    if hasattr(X, "columns") and any(getattr(t, "kind", "O") not in "biuf" for t in X.dtypes):
        raise ValueError(
            f"{input_name} is a table with non-numeric columns: a table of one row per image "
            "(case id, order, features) becomes cases with "
            "sklearn_microts.utils.from_long_dataframe(df, case_col, order_col, label_col)."
        )
    if hasattr(X, "columns") or (hasattr(X, "__array__") and not isinstance(X, np.ndarray)):
        X = np.asarray(X)  # a DataFrame or another array container: read its values
    if isinstance(X, list | tuple) and len(X) > 0 and _is_row(X[0]):
        X = _rows_as_array(X, input_name)
    if isinstance(X, np.ndarray) and (X.dtype != object or X.ndim == 2):
        frames, lengths = _frames_from_array(_as_float(X, input_name), dtypes, input_name)
        if ensure_all_finite:
            _check_finite(frames, lengths, input_name)
        return frames, lengths
    cases = _as_case_list(X, input_name)
    return _frames_from_cases(cases, dtypes, input_name, ensure_all_finite)


def validate_sequence_data(estimator, X, *, reset, dtype=FLOAT_DTYPES):
    """Validate ``X`` for ``estimator`` and record or check its number of features.

    The sequence counterpart of :func:`sklearn.utils.validation.validate_data`: with
    ``reset=True`` (in ``fit``) it sets ``n_features_in_`` (and ``feature_names_in_`` for a
    DataFrame, or for cases given as DataFrames of the same columns); otherwise it checks
    that ``X`` matches them, as scikit-learn does: other names, or the same in another
    order, are an error; unnamed features where names were fitted (or the reverse) a
    warning.

    Returns
    -------
    frames, lengths : ndarray
        The ragged layout of ``X``, see :func:`check_frames`.
    """
    # Before the frames are read: cases of other columns are told apart by name, where the
    # frames would only show a count of features.
    table = _named_table(X)
    frames, lengths = check_frames(X, dtype=dtype)
    # sklearn's own checks (and messages) on the feature count and names; without a table,
    # the 2-D frame array stands for X, features without names.
    validate_data(
        estimator, X=frames if table is None else table, reset=reset, skip_check_array=True
    )
    return frames, lengths


def _named_table(X, input_name="X"):
    """``X`` when it is a table, its first case when its cases are tables, else None.

    Frames are read by column position: cases given as DataFrames must all hold the same
    columns in the same order, or a feature of one case would be matched with another
    feature of another.

    Raises
    ------
    ValueError
        Naming the first case whose columns differ from case 0's (missing, extra or in
        another order), or that is a table where case 0 is not, or the reverse.
    """
    if hasattr(X, "columns"):
        return X
    is_case_list = isinstance(X, list | tuple) or (
        isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1
    )
    if not (is_case_list and len(X) > 0):
        return None
    first = X[0]
    for i, case in enumerate(X):
        if hasattr(case, "columns") != hasattr(first, "columns"):
            table, array = (0, i) if hasattr(first, "columns") else (i, 0)
            raise ValueError(
                f"{input_name} case {table} is a DataFrame but case {array} is not: give "
                "every case as a DataFrame of the same columns, or every case as an array."
            )
        if hasattr(case, "columns") and list(case.columns) != list(first.columns):
            raise ValueError(
                f"The columns of {input_name} case {i} should match those of case 0: the "
                "frames of every case are read by column position.\n"
                + _column_differences(list(case.columns), list(first.columns))
            )
    return first if hasattr(first, "columns") else None


def _column_differences(columns, reference):
    """The ``columns`` that case 0's ``reference`` lacks and the reverse, or that only their
    order differs: in the words and layout of scikit-learn's feature name check."""
    unseen = [name for name in columns if name not in reference]
    missing = [name for name in reference if name not in columns]
    message = ""
    if unseen:
        message += "Columns unseen in case 0:\n" + "".join(f"- {name}\n" for name in unseen)
    if missing:
        message += "Columns of case 0, yet missing here:\n" + "".join(
            f"- {name}\n" for name in missing
        )
    return message or "Columns must be in the same order as in case 0.\n"


def check_case_labels(y, n_cases):
    """Validate the labels ``y`` of ``n_cases`` cases for a classifier; return them 1-D.

    On top of scikit-learn's checks, labels of mixed kinds are refused by name, see
    :func:`check_label_kinds`.
    """
    y = check_label_kinds(column_or_1d(y, warn=True))
    check_classification_targets(y)
    if len(y) != n_cases:
        raise ValueError(f"X has {n_cases} cases but y has {len(y)} labels.")
    return y


def check_label_kinds(y, name="y"):
    """Refuse a 1-D ``y`` unless its labels are all numbers or all strings; return it.

    numpy cannot sort other labels (``None``, strings beside numbers), and its error, raised
    deep inside scikit-learn, names no label.
    """
    if y.dtype == object:
        kinds = {_label_kind(label) for label in y}
        if len(kinds) > 1 or not kinds <= {"numbers", "strings"}:
            raise TypeError(
                f"{name} holds labels of kinds {sorted(kinds)}: labels must be all numbers or "
                "all strings."
            )
    return y


def _label_kind(label):
    if isinstance(label, numbers.Number):
        return "numbers"
    return "strings" if isinstance(label, str) else type(label).__name__


def check_at_least(value, name, bound, bound_name):
    """Refuse ``value`` below another parameter's value (a relation that ``validate_params``
    and ``_parameter_constraints``, which check each parameter alone, cannot state)."""
    if value < bound:
        raise ValueError(f"{name} must be at least {bound_name} ({bound}), got {value}.")


def _as_case_list(X, input_name):
    """Read ``X`` (list, tuple or 1-D object array) as a list of per-case array-likes."""
    if isinstance(X, np.ndarray):  # object dtype
        if X.ndim != 1:
            raise ValueError(
                f"{input_name} as an object array must be 1-D (one case per entry), "
                f"got shape {X.shape}."
            )
    elif not isinstance(X, list | tuple):
        raise TypeError(
            f"{input_name} must be a list of 2-D arrays (one per case), a 3-D array or a 2-D "
            f"array; got {type(X).__name__}."
        )
    if len(X) == 0:
        raise ValueError(f"{input_name} contains no cases: at least one is required.")
    return list(X)


def _is_row(item):
    """Whether ``item`` is a number or a 1-D row of features, i.e. ``X`` is a 2-D table.

    A ragged nested list is no row: it is a malformed case, reported with its index later.
    """
    try:
        return np.ndim(item) <= 1
    except ValueError:
        return False


def _rows_as_array(X, input_name):
    """A list of 1-D feature rows (e.g. ``X_2d.tolist()``), read as cases of one frame."""
    try:
        return np.asarray(X)
    except ValueError as exc:
        raise ValueError(
            f"{input_name} is a list of 1-D rows of different sizes. Each case must be 2-D "
            "(n_frames, n_features): reshape a univariate series to (n_frames, 1)."
        ) from exc


def _frames_from_array(X, dtypes, input_name):
    """Ragged layout of a numeric 2-D (one-frame cases) or 3-D (NaN-padded) array."""
    if X.ndim == 2:
        if X.shape[0] == 0:
            raise ValueError(f"{input_name} contains no cases: at least one is required.")
        frames = _checked_case(X, 0, dtypes, input_name, one_frame_cases=True)
        return frames, np.ones(len(frames), dtype=np.intp)
    if X.ndim != 3:
        raise ValueError(
            f"{input_name} must be a list of 2-D arrays (one per case), a 3-D array "
            f"(n_cases, n_frames, n_features) or a 2-D array (n_cases, n_features); got an "
            f"array with {X.ndim} dimension(s) of shape {X.shape}. Reshape your data."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{input_name} contains no cases: at least one is required.")
    if X.shape[2] == 0:
        raise ValueError(_no_features_message(input_name, X.shape))
    if X.shape[1] == 0:
        raise ValueError(f"{input_name} case 0 has no frames (shape {X.shape}).")
    # Trailing frames that are all NaN are padding; the case ends after its last real frame.
    is_padding = np.isnan(X).all(axis=2) if X.dtype.kind == "f" else np.zeros(X.shape[:2], bool)
    lengths = X.shape[1] - np.argmin(is_padding[:, ::-1], axis=1)
    lengths[is_padding.all(axis=1)] = 0
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise ValueError(f"{input_name} case {empty[0]} has no frames (all of it is NaN padding).")
    real = np.arange(X.shape[1]) < lengths[:, None]
    frames = X[real].astype(_target_dtype(X.dtype, dtypes), copy=False)
    return frames, lengths.astype(np.intp)


def _frames_from_cases(cases, dtypes, input_name, ensure_all_finite):
    """Ragged layout of a list of per-case array-likes, copied into one new array.

    Each case is checked for non-finite values right after its copy, while it is still in
    the CPU cache.
    """
    arrays = [_checked_case(case, i, dtypes, input_name) for i, case in enumerate(cases)]
    n_features = arrays[0].shape[1]
    for i, array in enumerate(arrays):
        if array.shape[1] != n_features:
            raise ValueError(
                f"All cases of {input_name} must have the same number of features: case 0 "
                f"has {n_features}, case {i} has {array.shape[1]}."
            )
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.intp, count=len(arrays))
    out_dtype = np.result_type(*(a.dtype for a in arrays))
    frames = np.empty((lengths.sum(), n_features), dtype=out_dtype)
    for i, (array, start) in enumerate(zip(arrays, case_starts(lengths), strict=True)):
        segment = frames[start : start + len(array)]
        segment[...] = array
        if ensure_all_finite:
            _check_finite(segment, lengths[i : i + 1], input_name, first_case=i)
    return frames, lengths


def _checked_case(case, index, dtypes, input_name, *, one_frame_cases=False):
    """One case as a 2-D float array (possibly still a view of the caller's data)."""
    where = f"{input_name}" if one_frame_cases else f"{input_name} case {index}"
    try:
        array = np.asarray(case)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{where} is not a rectangular array of numbers: {exc}") from exc
    array = _as_float(array, where)
    if array.ndim != 2:
        hint = (
            " A 1-D case is ambiguous: reshape it to (n_frames, 1) for a univariate series "
            "or to (1, n_features) for a single frame."
            if array.ndim == 1
            else ""
        )
        raise ValueError(
            f"{where} must be a 2-D array (n_frames, n_features), got shape {array.shape}.{hint}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{where} has no frames: every case needs at least one.")
    if array.shape[1] == 0:
        raise ValueError(_no_features_message(where, array.shape))
    return array.astype(_target_dtype(array.dtype, dtypes), copy=one_frame_cases)


def _no_features_message(where, shape):
    # sklearn's wording, which its estimator checks look for.
    return f"{where} has 0 feature(s) (shape={shape}) while a minimum of 1 is required."


def _as_float(array, where):
    """Check that ``array`` holds numbers; convert an object array of numbers to float."""
    _check_numeric_kind(array.dtype, where)
    if array.dtype != object:
        return array
    try:
        return array.astype(np.float64)
    except TypeError as exc:
        raise TypeError(f"{where} could not be converted to float: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"{where} could not be converted to float: {exc}") from exc


def _check_numeric_kind(dtype, where):
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {where} has dtype {dtype}.")
    if dtype.kind not in "biufO":
        raise ValueError(f"{where} must hold numbers, got dtype {dtype}.")


def _target_dtype(dtype, dtypes):
    return dtype if dtype in dtypes else dtypes[0]


def first_value_beyond(frames, lengths, largest):
    """``(case, value)`` of the first value of ``frames`` (ragged layout) beyond
    ``+-largest`` or NaN; ``None`` when there is none."""
    # Two cheap reductions decide in the common case (NaN fails both comparisons); only a
    # failure pays for locating it.
    if frames.min() >= -largest and frames.max() <= largest:
        return None
    with np.errstate(invalid="ignore"):
        bad_values = ~(np.abs(frames) <= largest)
    first_bad_frame = np.flatnonzero(bad_values.any(axis=1))[0]
    case = int(np.searchsorted(np.cumsum(lengths), first_bad_frame, "right"))
    return case, frames[first_bad_frame][bad_values[first_bad_frame]][0]


def _check_finite(frames, lengths, input_name, first_case=0):
    found = first_value_beyond(frames, lengths, FLOAT32_MAX)
    if found is None:
        return
    bad_case, value = first_case + found[0], found[1]
    if np.isfinite(value):
        raise ValueError(
            f"{input_name} case {bad_case} holds {value:.3g}, beyond the float32 range "
            f"(+-{FLOAT32_MAX:.3g}) that the networks of this package compute in. Rescale the "
            "features, e.g. with a StandardScaler fitted on the training frames."
        )
    raise ValueError(
        f"{input_name} case {bad_case} contains NaN or infinity; only trailing all-NaN frames "
        "of a padded 3-D array are read as padding."
    )
