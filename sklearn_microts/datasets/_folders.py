"""Image sequences from a user's own folders: one sub-folder per case."""

import re
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch


def load_image_sequences(root, *, pattern="*.png", order="name"):
    r"""One case per sub-folder of ``root``: its images matching ``pattern``, in order.

    Parameters
    ----------
    root : str or Path
        Folder with one sub-folder per case (slide, session).
    pattern : str, default="\*.png"
        Glob pattern of the images inside each case folder.
    order : {"name", "mtime"}, default="name"
        Acquisition order: by file name in natural order (``frame_2`` before ``frame_10``:
        cameras number their frames without zero padding) or by modification time.

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
    if order not in ("name", "mtime"):
        raise ValueError(f"order must be 'name' or 'mtime', got {order!r}.")
    key = _natural_key if order == "name" else (lambda path: path.stat().st_mtime)
    cases, data = [], []
    for folder in sorted((p for p in root.iterdir() if p.is_dir()), key=_natural_key):
        images = sorted(folder.glob(pattern), key=key)
        if not images:
            raise ValueError(f"Case folder {str(folder)!r} has no image matching {pattern!r}.")
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
