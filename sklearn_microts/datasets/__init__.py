"""Datasets: generated microscope-like sessions (real-image loaders come with issue 6)."""

from ._synthetic import make_microscopy_sequences

__all__ = ["make_microscopy_sequences"]
