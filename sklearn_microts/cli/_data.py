"""The command line's data: cases from an image folder or a feature table, and back.

A feature table has one row per image: ``case``, ``order`` (acquisition order), ``image``
(its path), ``label`` (empty where unknown) and the features ``f0, f1, ...``. It is written
as CSV, or as Parquet when the file name ends in ``.parquet`` (needs pyarrow).

Tables are read as they were written: the text columns stay text (a case ``001`` is not the
number 1), only an empty cell is missing, and ``order`` must hold numbers (a frame number
written as text is read as the number). Tables are written through a temporary file in the
target folder, renamed over the target once complete, so that an interrupted write leaves
the old table whole. In a CSV, a text cell that a spreadsheet would run as a formula (one
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, other than a number)
is written with a ``'`` in front, as OWASP advises against CSV injection; reading a table
takes it off again.
"""

import csv
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..datasets import load_breakhis, load_image_sequences
from ..preprocessing import ImageFeatureExtractor
from ..utils import from_long_dataframe
from ..utils._cache import default_cache  # noqa: F401 (the default of --cache)
from ..utils._files import check_replaceable, write_atomically
from ._errors import UsageError

FEATURE_COLUMN = re.compile(r"^f\d+$")
TABLE_SUFFIXES = (".csv", ".parquet")
# The columns of the tables the command line reads that hold text (names, paths, labels).
TEXT_COLUMNS = ("case", "patient", "image", "label")
# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A number written as text, which a spreadsheet reads as a number even after a + or -.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# How many names an error about feature columns lists.
_SHOWN = 3


@dataclass
class Cases:
    """Cases with their names, labels (or ``None``), images (or ``None``), patients and the
    names of their feature columns (by default the extractor's: ``f0, f1, ...``)."""

    names: np.ndarray
    X: list
    y: np.ndarray | None
    images: list | None
    patients: np.ndarray
    feature_names: list | None = None

    def __post_init__(self):
        if self.feature_names is None:
            self.feature_names = [f"f{j}" for j in range(self.X[0].shape[1])]


def image_cases(root, *, labels=None, magnification=None, pattern="*.png", order="name"):
    """Names, image paths, labels and patients of the cases under ``root``.

    ``root`` in BreakHis' layout (any ``SOB_*.png`` below it) gives one case per patient and
    magnification (and subtype), named ``<patient>@<magnification>X``, labelled
    benign/malignant, frames in the order of their running number; otherwise each
    sub-folder is a case, its images matching ``pattern`` in the ``order`` of
    :func:`~sklearn_microts.datasets.load_image_sequences` (``"name"`` or
    ``"capture_time"``), labelled from the ``labels`` CSV (columns ``case``, ``label``) when
    given.
    """
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{str(root)!r} is not a folder.")
    if next(root.rglob("SOB_*.png"), None) is not None:
        if order != "name":
            raise UsageError(
                f"{str(root)!r} is in BreakHis' layout, whose frames are ordered by their "
                "running number: --order applies to a folder of case sub-folders."
            )
        bunch = load_breakhis(root, magnification=magnification)
        names = [f"{p}@{m}X" for p, m in zip(bunch.patient, bunch.magnification, strict=True)]
        # A patient filed under two subtypes is two cases: their names say which is which.
        repeated = {name for name in names if names.count(name) > 1}
        names = [
            f"{name} {subtype}" if name in repeated else name
            for name, subtype in zip(names, bunch.subtype, strict=True)
        ]
        return np.array(names), bunch.data, bunch.target, bunch.patient
    bunch = load_image_sequences(root, pattern=pattern, order=order)
    y = None if labels is None else _read_labels(labels, bunch.case)
    return bunch.case, bunch.data, y, bunch.case


def _read_labels(path, names):
    """The label of each case of ``names`` from the table ``path``: one row per case, each
    with a name and a label (the text as written: ``001`` is not ``1``)."""
    table = read_table(path, text=("case", "label"))
    if not {"case", "label"} <= set(table.columns):
        raise UsageError(f"{path} must have the columns 'case' and 'label'.")
    for column, what in (("case", "a label without a case name"), ("label", "no label")):
        empty = table[column].isna() | (table[column].str.strip() == "")
        if empty.any():
            row = table[empty].iloc[0]
            subject = f"the case {row['case']!r}" if column == "label" else "a row"
            raise UsageError(
                f"{path}: {subject} has {what} (row {row.name + 1} below the header)."
            )
    repeated = table["case"][table["case"].duplicated()]
    if len(repeated):
        name = repeated.iloc[0]
        given = sorted(set(table.loc[table["case"] == name, "label"]))
        raise UsageError(
            f"{path} lists the case {name!r} twice (labels {', '.join(map(repr, given))}): "
            "give each case one row."
        )
    labels = dict(zip(table["case"], table["label"], strict=True))
    missing = [name for name in names if name not in labels]
    if missing:
        shown = _some([repr(str(name)) for name in missing])
        raise UsageError(f"{path} has no label for the case(s) {shown}.")
    return np.array([labels[name] for name in names])


def extract_features(images, *, cache, batch_size=32, device="auto", n_threads=None):
    """EfficientNet-Lite0 features of every image, with a progress bar, cached on content."""
    extractor = ImageFeatureExtractor(
        batch_size=batch_size, device=device, cache=cache, n_threads=n_threads, verbose=1
    )
    return extractor.fit().transform(images)


def cases_to_table(cases):
    """The long feature table of ``cases``: one row per image."""
    pandas = _pandas()
    lengths = [len(x) for x in cases.X]
    frames = np.concatenate(cases.X)
    columns = {
        "case": np.repeat(cases.names, lengths),
        "patient": np.repeat(cases.patients, lengths),
        "order": np.concatenate([np.arange(n) for n in lengths]),
        "image": np.concatenate(cases.images) if cases.images is not None else "",
        "label": np.repeat(cases.y, lengths) if cases.y is not None else None,
    }
    table = pandas.DataFrame(columns)
    features = pandas.DataFrame(frames, columns=cases.feature_names)
    return pandas.concat([table, features], axis=1)


def table_to_cases(table, *, source):
    """Cases of a long feature table (``source`` names it in errors), with its feature
    columns in the table's order."""
    missing = [column for column in ("case", "order") if column not in table.columns]
    features = [column for column in table.columns if FEATURE_COLUMN.match(str(column))]
    if missing or not features:
        raise UsageError(
            f"{source} is not a feature table of `microts features`: it lacks "
            f"{missing or 'feature columns f0, f1, ...'}."
        )
    table = table.assign(order=_frame_order(table["order"], source=source))
    has_labels = "label" in table.columns and table["label"].notna().all()
    try:
        X, y, names = from_long_dataframe(
            table, "case", "order", "label" if has_labels else None, feature_cols=features
        )
    except ValueError as exc:  # an empty case name, two frames of one order, ...
        raise UsageError(f"{source}: {exc}") from exc
    ordered = table.sort_values(["case", "order"], kind="stable").groupby("case", sort=True)
    images = None
    if "image" in table.columns and table["image"].notna().all():
        images = [list(group["image"]) for _, group in ordered]
    patients = ordered["patient"].first().to_numpy() if "patient" in table.columns else names
    return Cases(names=names, X=X, y=y, images=images, patients=patients, feature_names=features)


def _frame_order(order, *, source):
    """The ``order`` column as numbers (or timestamps, as Parquet stores them): text sorts
    frame 10 before frame 2, so text that is not a number is refused, not sorted."""
    if order.dtype.kind in "biufmM":
        return order
    numbers = _pandas().to_numeric(order, errors="coerce")
    text = numbers.isna() & order.notna()
    if text.any():
        raise UsageError(
            f"{source}: the column 'order' holds {order[text].iloc[0]!r}, which is not a "
            "number: it must give each frame's place in its case as a number (0, 1, 2, ...)."
        )
    return numbers


def match_features(cases, feature_names, *, source):
    """``cases`` with the feature columns ``feature_names`` (those a model was fitted on),
    in that order, whatever their order in ``source``; a feature missing from the cases,
    or one the model does not know, is refused by name. ``feature_names=None`` (a model
    file that does not record them) leaves the cases as they are."""
    if feature_names is None:
        return cases
    index = {name: j for j, name in enumerate(cases.feature_names)}
    missing = [name for name in feature_names if name not in index]
    extra = sorted(set(index) - set(feature_names), key=index.get)
    if missing or extra:
        lacks = f"lacks {_some(missing)}" if missing else ""
        has = f"has {_some(extra)}, which the model was not fitted on" if extra else ""
        raise UsageError(
            f"{source} does not have the features the model was fitted on: it "
            f"{' and '.join(part for part in (lacks, has) if part)}."
        )
    columns = [index[name] for name in feature_names]
    return replace(cases, X=[x[:, columns] for x in cases.X], feature_names=list(feature_names))


def _some(names):
    """The first few of ``names``, and how many more."""
    shown = ", ".join(names[:_SHOWN])
    return shown if len(names) <= _SHOWN else f"{shown} and {len(names) - _SHOWN} more"


def read_table(path, *, text=TEXT_COLUMNS):
    """A CSV or Parquet file as a DataFrame, the columns ``text`` (those it has) as text
    (see the module's docstring); a missing or unreadable file is a UsageError."""
    pandas = _pandas()
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{str(path)!r} is not a file.")
    if path.suffix == ".parquet":
        _check_parquet()
        table = pandas.read_parquet(path)
        for column in set(text) & set(table.columns):
            table[column] = table[column].map(str, na_action="ignore")
        return table
    # A repeated column name, which pandas would rename ("f1" -> "f1.1") and so drop from
    # the feature columns without a word, is refused on the header as written.
    with path.open(newline="", encoding="utf-8", errors="replace") as file:
        names = next(csv.reader(file), [])
    repeated = sorted({name for name in names if names.count(name) > 1}, key=str)
    if repeated:
        raise UsageError(f"{path}: the columns {repeated[:3]} are named more than once.")
    # Only an empty cell is missing: a label "NA" or a case "None" is a name.
    table = pandas.read_csv(
        path, dtype=dict.fromkeys(text, str), keep_default_na=False, na_values=[""]
    )
    for column in set(text) & set(table.columns):
        table[column] = table[column].map(_restore_formula, na_action="ignore")
    return table


def check_table_path(path):
    """``path`` as a Path, if it names a table this package can write: a new file, or a
    regular file to replace (never a folder, a device or a pipe)."""
    path = Path(path)
    if path.suffix not in TABLE_SUFFIXES:
        raise UsageError(f"{str(path)!r}: the output must end in .csv or .parquet.")
    if path.suffix == ".parquet":
        _check_parquet()
    check_replaceable(path)
    return path


def write_table(table, path):
    """Write a DataFrame as CSV (text cells that would be formulas defused), or Parquet for
    a ``.parquet`` name, replacing ``path`` only once the table is complete."""
    path = check_table_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        write_atomically(path, lambda file: table.to_parquet(file, index=False))
    else:
        text = [name for name, column in table.items() if column.dtype.kind not in "biufcmM"]
        defused = table.assign(**{name: table[name].map(_defuse_formula) for name in text})
        write_atomically(path, lambda file: defused.to_csv(file, index=False))


def check_not_input(outputs, inputs):
    """Refuse to write any of ``outputs`` over one of ``inputs`` (paths, or ``None``): the
    same file under another name, a link or the same name. An output that does not exist
    yet overwrites nothing."""
    written = {key: output for output in outputs if (key := _file_key(output)) is not None}
    for source in inputs:
        output = None if source is None else written.get(_file_key(source))
        if output is not None:
            raise UsageError(
                f"writing {output} would destroy the input {source} (the same file): name "
                "another output."
            )


def _file_key(path):
    """What identifies the file ``path`` names (as :func:`os.path.samefile` compares), or
    ``None`` where there is none."""
    try:
        status = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return status.st_dev, status.st_ino


def _defuse_formula(value):
    """``value`` with a ``'`` in front if a spreadsheet would run it as a formula."""
    if _is_formula(value):
        return f"'{value}"
    return value


def _restore_formula(value):
    """The inverse of :func:`_defuse_formula` (a text that itself begins with ``'`` and a
    formula's first character loses its ``'``: the one text this cannot tell apart)."""
    if value.startswith("'") and _is_formula(value[1:]):
        return value[1:]
    return value


def _is_formula(value):
    """Whether a spreadsheet would run ``value`` as a formula (a number, even signed, it
    reads as a number)."""
    return (
        isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value)
    )


def load_cases(
    source,
    *,
    cache,
    batch_size=32,
    device="auto",
    n_threads=None,
    labels=None,
    magnification=None,
    pattern="*.png",
    order="name",
):
    """Cases from a feature table (a file) or an image folder (features extracted now)."""
    if Path(source).is_file():
        return table_to_cases(read_table(source), source=source)
    names, images, y, patients = image_cases(
        source, labels=labels, magnification=magnification, pattern=pattern, order=order
    )
    X = extract_features(
        images, cache=cache, batch_size=batch_size, device=device, n_threads=n_threads
    )
    return Cases(names=names, X=X, y=y, images=images, patients=patients)


def _check_parquet():
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            "Parquet needs pyarrow (pip install pyarrow); or name the file .csv."
        ) from exc


def _pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UsageError("The command line needs pandas: pip install pandas.") from exc
    return pandas
