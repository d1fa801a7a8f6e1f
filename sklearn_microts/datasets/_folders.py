"""Image sequences from a user's own folders: one sub-folder per case."""

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn_compat import StrOptions, validate_params

ORDERS = ("name", "mtime", "capture_time")
# EXIF tags (Exif 2.3): the capture time, to the second, and its fraction of a second; the
# time of the file's last change (IFD0) with its fraction is the fallback.
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL, _SUBSEC_TIME_ORIGINAL = 36867, 37521
_DATE_TIME, _SUBSEC_TIME = 306, 37520


@validate_params(
    {"root": [str, os.PathLike], "pattern": [str], "order": [StrOptions(set(ORDERS))]},
    prefer_skip_nested_validation=True,
)
def load_image_sequences(root, *, pattern="*.png", order="name"):
    r"""One case per sub-folder of ``root``: its images matching ``pattern``, in order.

    Parameters
    ----------
    root : str or Path
        Folder with one sub-folder per case (slide, session).
    pattern : str, default="\*.png"
        Glob pattern of the images inside each case folder.
    order : {"name", "mtime", "capture_time"}, default="name"
        Acquisition order of the frames of a case:

        - ``"name"``: file name in natural order (``frame_2`` before ``frame_10``: cameras
          number their frames without zero padding);
        - ``"mtime"``: file modification time;
        - ``"capture_time"``: the EXIF capture time, ``DateTimeOriginal`` (tag 36867, or
          ``DateTime``, 306, without it) with its fraction of a second
          (``SubSecTimeOriginal``, 37521) where given, read with Pillow; a case none of
          whose frames has an EXIF time is ordered by modification time. A case where some
          frames have an EXIF time and others do not is an error (naming the case and a
          file without one): a camera's clock and file times cannot be compared.

        Frames of equal time keep natural file-name order, so the order is deterministic.

    Returns
    -------
    data : Bunch
        ``data``: list of lists of image paths, one per case; ``case``: ndarray of the
        case folder names, in natural order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_microts.datasets import load_image_sequences
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for case, frames in {"slide_a": ["2.png", "1.png"], "slide_b": ["1.png"]}.items():
    ...     (root / case).mkdir()
    ...     for frame in frames:
    ...         _ = (root / case / frame).write_bytes(b"")
    >>> bunch = load_image_sequences(root)
    >>> bunch.case.tolist(), [[p.split("/")[-1] for p in c] for c in bunch.data]
    (['slide_a', 'slide_b'], [['1.png', '2.png'], ['1.png']])
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{str(root)!r} is not a folder.")
    cases, data = [], []
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), key=_natural_key):
        # Natural order first: the sorts by time below are stable, so it breaks their ties.
        images = sorted(folder.glob(pattern), key=_natural_key)
        if not images:
            raise ValueError(f"Case folder {str(folder)!r} has no image matching {pattern!r}.")
        if order == "mtime":
            images = sorted(images, key=lambda path: path.stat().st_mtime)
        elif order == "capture_time":
            images = _by_capture_time(images, folder.name)
        cases.append(folder.name)
        data.append([str(path) for path in images])
    if not data:
        raise ValueError(f"{str(root)!r} has no case sub-folder.")
    return Bunch(data=data, case=np.array(cases))


def _natural_key(path):
    """Sort key reading the digit runs of a file name as numbers: ``2`` before ``10``.

    Names that read the same (``1`` and ``01``) fall back to plain text order.
    """
    parts = re.split(r"(\d+)", path.name)
    return [int(part) if i % 2 else part for i, part in enumerate(parts)], path.name


def _by_capture_time(images, case):
    """``images`` (in natural order) by EXIF capture time, or all by modification time."""
    times = [_exif_time(path) for path in images]
    missing = [path for path, time in zip(images, times, strict=True) if time is None]
    if len(missing) == len(images):
        times = [path.stat().st_mtime for path in images]
    elif missing:
        having = next(path for path, time in zip(images, times, strict=True) if time is not None)
        raise ValueError(
            f"Case {case!r}: {missing[0].name} has no EXIF capture time (DateTimeOriginal or "
            f"DateTime) but {having.name} has one ({len(missing)} of {len(images)} frames "
            "lack one); a camera's clock and file modification times cannot be compared. "
            "Give every frame of the case an EXIF time, or none, or order by name."
        )
    return [path for _, path in sorted(zip(times, images, strict=True), key=lambda t: t[0])]


def _exif_time(path):
    """The EXIF capture time of the image ``path`` as a datetime, or ``None`` if it has
    none (the EXIF date of an unset clock, blank or zeros, is none)."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "order='capture_time' reads EXIF with Pillow: pip install 'sklearn-microts[images]'."
        ) from exc
    try:
        with Image.open(path) as image:
            exif = image.getexif()
            details = exif.get_ifd(_EXIF_IFD)
    except OSError as exc:  # also Pillow's UnidentifiedImageError
        raise ValueError(f"Cannot read the capture time of {path}: {exc}") from exc
    for tag, subsec_tag in (
        (_DATE_TIME_ORIGINAL, _SUBSEC_TIME_ORIGINAL),
        (_DATE_TIME, _SUBSEC_TIME),
    ):
        # Each tag belongs to one IFD, but some writers put it in the other one.
        text = _exif_text(details.get(tag, exif.get(tag)))
        if not text.strip("0: "):
            continue
        try:
            time = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
        except ValueError:
            raise ValueError(
                f"{path}: EXIF tag {tag} is {text!r}, not a time 'YYYY:MM:DD HH:MM:SS'."
            ) from None
        subsec = _exif_text(details.get(subsec_tag, exif.get(subsec_tag)))
        if subsec and not subsec.isdigit():
            raise ValueError(f"{path}: EXIF tag {subsec_tag} is {subsec!r}, not digits.")
        if subsec:
            time += timedelta(seconds=int(subsec) / 10 ** len(subsec))
        return time
    return None


def _exif_text(value):
    """An EXIF ASCII value as text, without the padding some cameras leave."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    return str(value).strip("\x00 ")
