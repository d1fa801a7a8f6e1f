"""The one default folder of the image feature cache, for the command line, the benchmarks
and the examples."""

import os
from pathlib import Path

CACHE_VARIABLE = "SKLEARN_MICROTS_CACHE"


def default_cache():
    """Where image features are cached when no folder is given.

    ``$SKLEARN_MICROTS_CACHE`` when set, else ``sklearn-microts`` in the user cache folder
    (``$XDG_CACHE_HOME``, by default ``~/.cache``).

    Returns
    -------
    path : str
    """
    return os.environ.get(CACHE_VARIABLE) or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sklearn-microts"
    )
