"""The command line's data: cases from an image folder or a feature table, and back.

A feature table has one row per image: ``case``, ``order`` (acquisition order), ``image``
(its path), ``label`` (empty where unknown) and the features ``f0, f1, ...``. It is written
as CSV, or as Parquet when the file name ends in ``.parquet`` (needs pyarrow).
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets import load_breakhis, load_image_sequences
from ..preprocessing import ImageFeatureExtractor
from ..utils import from_long_dataframe
from ..utils._cache import default_cache  # noqa: F401 (the default of --cache)
from ._errors import UsageError

FEATURE_COLUMN = re.compile(r"^f\d+$")
TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class Cases:
    """Cases with their names, labels (or ``None``), images (or ``None``) and patients."""

    names: np.ndarray
    X: list
    y: np.ndarray | None
    images: list | None
    patients: np.ndarray


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
    pandas = _pandas()
    table = read_table(path, pandas)
    if not {"case", "label"} <= set(table.columns):
        raise UsageError(f"{path} must have the columns 'case' and 'label'.")
    labels = dict(zip(table["case"].astype(str), table["label"], strict=True))
    missing = [name for name in names if name not in labels]
    if missing:
        raise UsageError(f"{path} has no label for the case(s) {missing[:3]}.")
    return np.array([labels[name] for name in names])


def extract_features(images, *, cache, batch_size=32, device="auto"):
    """EfficientNet-Lite0 features of every image, with a progress bar, cached on content."""
    extractor = ImageFeatureExtractor(batch_size=batch_size, device=device, cache=cache, verbose=1)
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
    features = pandas.DataFrame(frames, columns=[f"f{j}" for j in range(frames.shape[1])])
    return pandas.concat([table, features], axis=1)


def table_to_cases(table, *, source):
    """Cases of a long feature table (``source`` names it in errors)."""
    missing = [column for column in ("case", "order") if column not in table.columns]
    features = [column for column in table.columns if FEATURE_COLUMN.match(str(column))]
    if missing or not features:
        raise UsageError(
            f"{source} is not a feature table of `microts features`: it lacks "
            f"{missing or 'feature columns f0, f1, ...'}."
        )
    table = table.assign(case=table["case"].astype(str))
    has_labels = "label" in table.columns and table["label"].notna().all()
    X, y, names = from_long_dataframe(
        table, "case", "order", "label" if has_labels else None, feature_cols=features
    )
    ordered = table.sort_values(["case", "order"], kind="stable").groupby("case", sort=True)
    images = None
    if "image" in table.columns and table["image"].notna().all():
        images = [list(group["image"]) for _, group in ordered]
    patients = ordered["patient"].first().to_numpy() if "patient" in table.columns else names
    return Cases(names=names, X=X, y=y, images=images, patients=patients)


def read_table(path, pandas=None):
    """A CSV or Parquet file as a DataFrame; a missing or unreadable file is a UsageError."""
    pandas = pandas or _pandas()
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{str(path)!r} is not a file.")
    if path.suffix == ".parquet":
        _check_parquet()
        return pandas.read_parquet(path)
    return pandas.read_csv(path)


def check_table_path(path):
    """``path`` as a Path, if it names a table this package can write."""
    path = Path(path)
    if path.suffix not in TABLE_SUFFIXES:
        raise UsageError(f"{str(path)!r}: the output must end in .csv or .parquet.")
    if path.suffix == ".parquet":
        _check_parquet()
    return path


def write_table(table, path):
    """Write a DataFrame as CSV, or Parquet for a ``.parquet`` name."""
    path = check_table_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)


def load_cases(
    source,
    *,
    cache,
    batch_size=32,
    device="auto",
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
    X = extract_features(images, cache=cache, batch_size=batch_size, device=device)
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
