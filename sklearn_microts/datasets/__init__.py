"""Datasets: generated microscope sessions and long periodic series, BreakHis, and a user's
own image folders."""

from ._breakhis import load_breakhis, parse_breakhis_name
from ._folders import load_image_sequences
from ._periodic import make_periodic_sequences
from ._synthetic import make_microscopy_sequences

__all__ = [
    "load_breakhis",
    "load_image_sequences",
    "make_microscopy_sequences",
    "make_periodic_sequences",
    "parse_breakhis_name",
]
