"""The wavelet split of cases into stable and rapid parts, shared by
:class:`~sklearn_microts.WaveletTransformer` and :class:`~sklearn_microts.MicroTSClassifier`
(Hong et al.; the method page of the docs, :ref:`method_wavelet`)."""

import warnings

import numpy as np
import pywt

from ._ragged import case_starts
from ._validation import first_value_beyond


def as_wavelet(wavelet):
    """``wavelet`` as a :class:`pywt.Wavelet`: a name must be a discrete wavelet of pywt.

    Raises
    ------
    ValueError
        For a name that :func:`pywt.wavelist` with ``kind="discrete"`` does not hold.
    """
    if isinstance(wavelet, pywt.Wavelet):
        return wavelet
    if wavelet not in pywt.wavelist(kind="discrete"):
        raise ValueError(
            f"wavelet must be the name of a discrete wavelet known to PyWavelets "
            f"(pywt.wavelist(kind='discrete'), e.g. 'haar', 'db2', 'sym4'), got {wavelet!r}."
        )
    return pywt.Wavelet(wavelet)


def stable_part(frames, lengths, wavelet, level, method, out):
    """Write the approximation component of every case into ``out`` (ragged layout).

    Cases of equal length share their decomposition level, so each distinct length is one
    batched transform over a ``(n_cases_of_that_length, d, length)`` block: the loop runs
    over distinct lengths, never over frames. Time goes on the last, contiguous axis, where
    pywt is about 3x faster than along a strided one.
    """
    starts = case_starts(lengths)
    for length in np.unique(lengths):
        rows = starts[lengths == length][:, None] + np.arange(length)  # (n_cases, length)
        case_level = min(level, pywt.dwt_max_level(int(length), wavelet.dec_len))
        if case_level == 0:  # too short for any level: all stable
            out[rows] = frames[rows]
            continue
        block = np.ascontiguousarray(frames[rows].transpose(0, 2, 1))
        # float32 is transformed in float32 for speed; near its largest value a sum inside
        # the filters overflows where float64 does not: then the block is redone in float64.
        with np.errstate(over="ignore", invalid="ignore"):
            approximation = _approximation(block, wavelet, case_level, method)
        if not np.isfinite(approximation).all():
            approximation = _approximation(block.astype(np.float64), wavelet, case_level, method)
        with np.errstate(over="ignore"):  # beyond out's dtype: check_split_representable
            out[rows] = approximation[..., :length].transpose(0, 2, 1)
    return out


def check_split_representable(part, lengths, dtype, input_name="X"):
    """Raise if a part of the split does not fit in ``dtype``.

    A wavelet other than Haar overshoots: the stable part of a case near float32's largest
    value, or the rapid part ``X - X_stb``, can lie beyond it.

    Raises
    ------
    ValueError
        Naming the first case whose part holds a value beyond ``dtype``'s range.
    """
    found = first_value_beyond(part, lengths, np.finfo(dtype).max)
    if found is None:
        return
    raise ValueError(
        f"The wavelet split of {input_name} case {found[0]} overflows {np.dtype(dtype)}: its "
        "stable or rapid part lies beyond the largest value of that type. Rescale the "
        "features, e.g. with a StandardScaler fitted on the training frames."
    )


def _approximation(block, wavelet, level, method):
    """The first component of ``pywt.mra(block, axis=-1)``, length possibly padded."""
    if method == "dwt":
        # pywt.mra would also rebuild every detail component; the rapid part is taken as the
        # remainder, so rebuilding the approximation alone halves the work.
        coeffs = pywt.wavedec(block, wavelet, level=level, axis=-1, mode="periodization")
        # Zero details (not None): their lengths tell waverec how to crop odd lengths.
        details = [np.zeros_like(detail) for detail in coeffs[1:]]
        return pywt.waverec([coeffs[0], *details], wavelet, axis=-1, mode="periodization")
    length = block.shape[-1]  # the stationary analysis needs a multiple of 2**level frames
    padded = -(-length // 2**level) * 2**level
    block = np.pad(block, ((0, 0), (0, 0), (0, padded - length)), mode="symmetric")
    with warnings.catch_warnings():
        # pywt warns that a biorthogonal wavelet does not preserve energy under its
        # normalised stationary transform; the split we take from it stays exactly additive.
        warnings.filterwarnings("ignore", "norm=True, but the wavelet is not orthogonal")
        return pywt.mra(block, wavelet, level=level, axis=-1, transform="swt")[0]
