"""Image files read as the models and the displays see them: RGB, 8 bits, square.

Pixel values of any bit depth are brought to the 8 bits the backbones were trained on. Only
regular files are read (a pipe named ``*.png`` would block the read forever), and a file is
refused from its header, before it is decoded, when it declares more pixels than a cap: a
PNG of 62 bytes can declare 100000 x 100000 pixels.
"""

import warnings

import numpy as np

from ._files import open_regular_file

# The most pixels an image file may declare, by default: 8192 x 8192, 192 MiB decoded as
# 8-bit RGB, several times the frame of a microscope camera (5 to 20 megapixels).
MAX_PIXELS = 8192 * 8192
# Pillow modes of one integer channel: 16-bit PNG and TIFF ("I;16..."), and "I" (32-bit
# signed), in which Pillow also hands out 16-bit samples. All are read as 16-bit data.
SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


def to_uint8(pixels, where):
    """``pixels`` scaled by their bit depth to uint8, rounding to the nearest level.

    uint8 passes as is; other unsigned integers are scaled by their dtype's range (a 16-bit
    40000 becomes round(40000 / 65535 * 255) = 156, not a saturated 255); floats are read
    as intensities in [0, 1] and clipped. Anything else is a ``TypeError`` naming ``where``.
    """
    pixels = np.asarray(pixels)
    if pixels.dtype == np.uint8:
        return pixels
    if pixels.dtype.kind == "f":
        return (np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8)
    if pixels.dtype.kind != "u":
        raise TypeError(
            f"{where} has pixels of dtype {pixels.dtype}: use unsigned integers (8 or 16-bit) "
            "or floats in [0, 1]."
        )
    return np.rint(pixels / np.iinfo(pixels.dtype).max * 255).astype(np.uint8)


def sixteen_bit_to_uint8(pixels, where):
    """The samples of a one-channel image of a ``SIXTEEN_BIT_MODES`` mode, as uint8.

    A sample outside [0, 65535] (possible in mode "I") is an error naming ``where``: its bit
    depth is unknown.
    """
    pixels = np.asarray(pixels)
    if pixels.size and (pixels.min() < 0 or pixels.max() > np.iinfo(np.uint16).max):
        raise ValueError(
            f"{where} holds pixel values from {pixels.min()} to {pixels.max()}, outside the "
            "16-bit range [0, 65535]: their bit depth is unknown; save it as 8 or 16-bit."
        )
    return to_uint8(pixels.astype(np.uint16), where)


def open_image_file(path):
    """The image file ``path`` opened for binary reading; errors name it.

    Raises
    ------
    FileNotFoundError
        There is no file at ``path``.
    ValueError
        ``path`` is not a regular file (a folder, a pipe, a device), or cannot be opened.
    """
    try:
        return open_regular_file(path)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Image not found: {path}") from exc
    except (ValueError, OSError) as exc:  # not a regular file; permissions, a disk error
        raise ValueError(f"Cannot read image {path}: {exc}") from exc


def read_image(image, size, *, max_pixels=MAX_PIXELS):
    """One image as a (size, size, 3) uint8 array, scaled by its bit depth; errors name the
    file.

    A file that declares more than ``max_pixels`` pixels is refused before it is decoded;
    an array, already in memory, is not checked.
    """
    from PIL import Image

    if isinstance(image, np.ndarray):
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(f"An image array must be (H, W, 3), got shape {array.shape}.")
        picture = Image.fromarray(to_uint8(array, "An image array"))
    else:
        picture = _decode(image, max_pixels)
    if picture.size != (size, size):
        picture = picture.resize((size, size), Image.BILINEAR)
    return np.asarray(picture, dtype=np.uint8)


def _decode(path, max_pixels):
    """The image file ``path`` as an RGB Pillow image, refused unread beyond
    ``max_pixels``."""
    from PIL import Image

    with open_image_file(path) as file, warnings.catch_warnings():
        # ``max_pixels`` is the cap: Pillow's warning at its own, of about 89 million
        # pixels, would only repeat it (Pillow still refuses twice that, whatever the cap).
        # The filter is the process's while this runs: it silences that one warning only.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        opened = _with_pillow(path, Image.open, file)
        with opened:
            width, height = opened.size  # from the header: nothing is decoded yet
            if width * height > max_pixels:
                raise ValueError(
                    f"Image {path} declares {width} x {height} pixels, more than the "
                    f"{max_pixels} allowed (max_pixels): it is refused without decoding."
                )
            _with_pillow(path, opened.load)
            if opened.mode in SIXTEEN_BIT_MODES:  # convert("RGB") would saturate them
                gray = sixteen_bit_to_uint8(np.asarray(opened), f"Image {path}")
                return Image.fromarray(gray).convert("RGB")
            return opened.convert("RGB")


def _with_pillow(path, step, *args):
    """``step(*args)``, the errors Pillow raises on a damaged or hostile file made one that
    names it."""
    from PIL import Image

    try:
        return step(*args)
    except Image.DecompressionBombError as exc:
        raise ValueError(f"Image {path} declares too many pixels to decode: {exc}") from exc
    # A truncated or damaged file: mostly OSError, and a SyntaxError or ValueError from
    # some plugins' parsers (PNG chunks, TIFF dimensions).
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"Cannot read image {path}: {exc}") from exc
