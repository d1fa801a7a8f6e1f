"""Sequence data model: validation, padding and conversion to and from other libraries."""

from ._convert import (
    from_long_dataframe,
    from_sktime,
    from_tslearn,
    pad_sequences,
    to_sktime,
    to_tslearn,
)
from ._validation import check_sequences

__all__ = [
    "check_sequences",
    "from_long_dataframe",
    "from_sktime",
    "from_tslearn",
    "pad_sequences",
    "to_sktime",
    "to_tslearn",
]
