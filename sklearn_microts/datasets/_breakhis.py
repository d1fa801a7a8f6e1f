"""BreakHis (Spanhol et al., 2016), read from its original folder layout or file names.

Each image is named ``SOB_<B|M>_<subtype>-<year>-<slide>-<magnification>-<number>.png``;
the patient is ``<year>-<slide>``. A case is one patient at one magnification (and one
subtype: BreakHis files patient 14-13412 under both ductal and lobular carcinoma, each with
its own running numbers, and the official folds may put the two in different groups): the
images ordered by their running number, which follows acquisition. BreakHis is for research use
only; cite Spanhol et al., IEEE TBME 2016.
"""

import fnmatch
import numbers
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn_compat import Options, StrOptions, validate_params

SUBTYPES = {
    "A": "adenosis",
    "F": "fibroadenoma",
    "PT": "phyllodes_tumor",
    "TA": "tubular_adenoma",
    "DC": "ductal_carcinoma",
    "LC": "lobular_carcinoma",
    "MC": "mucinous_carcinoma",
    "PC": "papillary_carcinoma",
}
MAGNIFICATIONS = (40, 100, 200, 400)
_NAME = re.compile(
    r"^SOB_(?P<tumor>[BM])_(?P<subtype>[A-Z]+)-(?P<patient>\d+-[0-9A-Z]+)"
    r"-(?P<magnification>\d+)-(?P<number>\d+)\.png$"
)


@validate_params({"name": [str]}, prefer_skip_nested_validation=True)
def parse_breakhis_name(name):
    """Parse the fields of a BreakHis file name.

    Parameters
    ----------
    name : str
        A BreakHis image file name, such as ``"SOB_M_DC-14-5287-200-001.png"``.

    Returns
    -------
    fields : dict
        ``tumor`` (``"benign"`` or ``"malignant"``), ``subtype`` (e.g.
        ``"ductal_carcinoma"``), ``patient`` (str), ``magnification`` and ``number`` (int).

    Raises
    ------
    ValueError
        When ``name`` is not a BreakHis file name; the message names it.

    Examples
    --------
    >>> from sklearn_microts.datasets import parse_breakhis_name
    >>> fields = parse_breakhis_name("SOB_M_DC-14-5287-200-001.png")
    >>> fields["patient"], fields["magnification"], fields["number"], fields["subtype"]
    ('14-5287', 200, 1, 'ductal_carcinoma')
    """
    match = _NAME.match(name)
    if match is None or match["subtype"] not in SUBTYPES:
        raise ValueError(
            f"{name!r} is not a BreakHis file name "
            "(SOB_<B|M>_<subtype>-<year>-<slide>-<magnification>-<number>.png)."
        )
    return {
        "tumor": "benign" if match["tumor"] == "B" else "malignant",
        "subtype": SUBTYPES[match["subtype"]],
        "patient": match["patient"],
        "magnification": int(match["magnification"]),
        "number": int(match["number"]),
    }


@validate_params(
    {
        "root": [str, os.PathLike],
        "magnification": [Options(numbers.Integral, set(MAGNIFICATIONS)), None],
        "fold": [Options(numbers.Integral, {1, 2, 3, 4, 5}), None],
        "subset": [StrOptions({"train", "test"}), None],
        "label": [StrOptions({"binary", "subtype"})],
    },
    prefer_skip_nested_validation=True,
)
def load_breakhis(root, *, magnification=200, fold=None, subset=None, label="binary"):
    """Load BreakHis as cases of image paths: one case per patient, magnification and subtype.

    Parameters
    ----------
    root : str or Path
        The folder holding ``BreaKHis_v1/`` (original layout) and ``mkfold/`` (the official
        fold lists), or any folder below which the images keep their original names.
    magnification : {40, 100, 200, 400} or None, default=200
        Keep one magnification; ``None`` keeps all (one case per patient and magnification).
    fold : {1, 2, 3, 4, 5} or None, default=None
        Official fold whose train/test group each case gets (``mkfold/dsfold{fold}.txt``).
    subset : {"train", "test"} or None, default=None
        Keep the cases of one group of ``fold``.
    label : {"binary", "subtype"}, default="binary"
        Target: ``"benign"``/``"malignant"``, or the 8 tumour types.

    Returns
    -------
    data : Bunch
        - ``data``: list of lists of image paths, one list per case, ordered by running
          number (gaps allowed);
        - ``target``: ndarray of labels;
        - ``patient``, ``magnification``, ``subtype``: ndarrays, one entry per case;
        - ``group``: ``"train"``/``"test"`` per case with ``fold``, else ``None``;
        - ``numbers``: list of arrays of the images' running numbers;
        - ``DESCR``: a description and the citation.

    Raises
    ------
    ValueError
        For an image name that is not BreakHis', two different images of one name, an image
        missing from the fold list, a malformed line or an unknown group in the fold list,
        two fold lists of one name, a patient split across train and test, or no image
        found: never a silent drop.

    Notes
    -----
    Folders are searched recursively, following symbolic links (a patient linked in from
    elsewhere is found); a folder reached twice, e.g. through a link to one of its parents,
    is read once.

    Examples
    --------
    >>> import os
    >>> from sklearn_microts.datasets import load_breakhis
    >>> root = os.environ.get("SKLEARN_MICROTS_BREAKHIS")
    >>> if root:  # doctest: +SKIP
    ...     bunch = load_breakhis(root, magnification=200, fold=1, subset="test")
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"BreakHis root {str(root)!r} is not a folder.")
    if subset is not None and fold is None:
        raise ValueError(f"subset={subset!r} needs a fold: the groups come from its list.")

    images = _find_images(root, magnification)
    groups = _fold_groups(root, fold, images) if fold is not None else {}
    cases = _cases(images, groups)
    if subset is not None:
        cases = [case for case in cases if case.group == subset]
    return Bunch(
        data=[[str(image.path) for image in case.images] for case in cases],
        target=np.array([case.tumor if label == "binary" else case.subtype for case in cases]),
        patient=np.array([case.patient for case in cases]),
        magnification=np.array([case.magnification for case in cases]),
        subtype=np.array([case.subtype for case in cases]),
        group=np.array([case.group for case in cases]) if fold is not None else None,
        numbers=[np.array([image.number for image in case.images]) for case in cases],
        DESCR=__doc__,
    )


class _Image(NamedTuple):
    path: Path
    number: int


class _Case(NamedTuple):
    patient: str
    magnification: int
    subtype: str
    tumor: str
    images: list  # of _Image, by running number
    group: str | None  # "train" or "test" in the fold list, or None without one


def _find_images(root, magnification):
    """``{file name: (path, parsed name)}`` of the BreakHis images below ``root`` at
    ``magnification`` (None: all)."""
    images = {}
    for path in _find_files(root, "SOB_*.png"):
        fields = parse_breakhis_name(path.name)
        if magnification is not None and fields["magnification"] != magnification:
            continue
        if path.name in images and not images[path.name][0].samefile(path):
            # The fold lists and the patient keys go by file name: two images of one name
            # would silently become one.
            raise ValueError(
                f"Two different images are named {path.name!r}: {images[path.name][0]} and "
                f"{path}. BreakHis names are unique; remove the copy."
            )
        images.setdefault(path.name, (path, fields))
    if not images:
        raise ValueError(f"No BreakHis image at magnification {magnification} under {root}.")
    return images


def _cases(images, groups):
    """The images grouped into cases (patient, magnification, subtype), in key order; each
    case's images by running number, and its one group of ``groups`` (file name to group)."""
    by_key = {}
    for name, (path, fields) in images.items():
        key = (fields["patient"], fields["magnification"], fields["subtype"])
        by_key.setdefault(key, []).append((name, path, fields))
    cases = []
    for (patient, magnification, subtype), members in sorted(by_key.items()):
        case_groups = {groups.get(name) for name, _, _ in members}
        if len(case_groups) > 1:
            raise ValueError(
                f"Patient {patient} ({subtype}) at {magnification}X is in both train and test."
            )
        members.sort(key=lambda member: member[2]["number"])
        cases.append(
            _Case(
                patient=patient,
                magnification=magnification,
                subtype=subtype,
                tumor=members[0][2]["tumor"],
                images=[_Image(path, fields["number"]) for _, path, fields in members],
                group=case_groups.pop(),
            )
        )
    return cases


def _find_files(root, pattern):
    """Files below ``root`` whose name matches ``pattern``, in a stable order.

    Symbolic links to folders are followed; each real folder is read once, so a link to a
    parent folder is no endless loop and a folder linked twice gives its files once.
    """
    visited, found = set(), []
    for folder, subfolders, names in os.walk(root, followlinks=True):
        status = os.stat(folder)
        if (status.st_dev, status.st_ino) in visited:
            subfolders.clear()
            continue
        visited.add((status.st_dev, status.st_ino))
        subfolders.sort()
        found += [Path(folder, name) for name in sorted(fnmatch.filter(names, pattern))]
    return found


def _fold_groups(root, fold, images):
    """``{file name: "train" | "test"}`` from the official fold list."""
    name = f"dsfold{fold}.txt"
    lists = _find_files(root, name)
    if not lists:
        raise ValueError(f"No fold list {name} under {root}.")
    if any(not path.samefile(lists[0]) for path in lists[1:]):
        raise ValueError(
            f"{len(lists)} fold lists named {name} under {root}: "
            f"{', '.join(map(str, lists))}. Keep one, or point root at the intended folder."
        )
    groups = {}
    for number, line in enumerate(lists[0].read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.strip().split("|")
        where = f"{lists[0]}, line {number}"
        if len(fields) != 4:
            raise ValueError(
                f"{where}: expected 'image name|magnification|fold|group', got {line!r}."
            )
        image, group = fields[0], fields[3]
        if group not in ("train", "test"):
            raise ValueError(f"{where}: unknown group {group!r}; it must be 'train' or 'test'.")
        if groups.setdefault(image, group) != group:
            raise ValueError(f"{where}: {image} is listed in both train and test.")
    missing = sorted(set(images) - set(groups))
    if missing:
        raise ValueError(
            f"{len(missing)} image(s) are not in {name}, e.g. {missing[:3]}: the fold "
            "list and the images do not match."
        )
    return groups
