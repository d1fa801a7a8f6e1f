"""Image files read as the models and the displays see them: RGB, 8 bits, square.

Pixel values of any bit depth are brought to the 8 bits the backbones were trained on.
"""

import numpy as np

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


def read_image(image, size):
    """One image as a (size, size, 3) uint8 array, scaled by its bit depth; errors name the
    file."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(image, np.ndarray):
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(f"An image array must be (H, W, 3), got shape {array.shape}.")
        picture = Image.fromarray(to_uint8(array, "An image array"))
    else:
        try:
            with Image.open(image) as opened:
                if opened.mode in SIXTEEN_BIT_MODES:  # convert("RGB") would saturate them
                    gray = sixteen_bit_to_uint8(np.asarray(opened), f"Image {image}")
                    picture = Image.fromarray(gray).convert("RGB")
                else:
                    picture = opened.convert("RGB")
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"Image not found: {image}") from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"Cannot read image {image}: {exc}") from exc
    if picture.size != (size, size):
        picture = picture.resize((size, size), Image.BILINEAR)
    return np.asarray(picture, dtype=np.uint8)
