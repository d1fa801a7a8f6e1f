"""The image feature cache holds numbers only: an entry never runs code, and one that is
damaged, tampered with or not a regular file is ignored, with a warning, and computed again.

A named backbone is replaced by a small convolution as wide as its features, so that these
tests need no weights and run in a fraction of a second.
"""

import os
import pickle
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from joblib import Memory
from safetensors.numpy import load_file, save_file

from sklearn_microts.preprocessing import ImageFeatureExtractor, _images
from sklearn_microts.utils import _array_cache

from ..pipes import run_beside_a_pipe

Image = pytest.importorskip("PIL.Image")
# Long enough for a transform of two tiny images on a busy machine, short next to a hang.
TIMEOUT = 30


@pytest.fixture(autouse=True)
def small_backbone(monkeypatch):
    """Every named backbone loads as a 3x3 convolution with the named backbones' width."""
    torch.manual_seed(0)
    network = torch.nn.Conv2d(3, _images.N_FEATURES, 3)
    monkeypatch.setattr(_images, "_load_backbone", lambda backbone: network)


@pytest.fixture
def images(tmp_path):
    rng = np.random.RandomState(0)
    paths = []
    for i in range(2):
        path = tmp_path / f"frame{i}.png"
        Image.fromarray(rng.randint(0, 256, (12, 12, 3)).astype(np.uint8)).save(path)
        paths.append(path)
    return [paths]


def _extractor(cache, **options):
    return ImageFeatureExtractor(image_size=8, cache=cache, **options).fit()


def _entries(cache):
    return sorted(Path(cache).rglob("*.safetensors"))


def _cached_once(images, cache):
    """Features of ``images`` without a cache, after a transform that stored them in
    ``cache``; and the one entry it stored."""
    _extractor(cache).transform(images)
    (entry,) = _entries(cache)
    return _extractor(None).transform(images)[0], entry


def _served(images, cache, match):
    """Features of a transform through ``cache``, which must warn that an entry is ignored,
    with ``match`` in the warning."""
    with pytest.warns(UserWarning, match=rf"Ignored the cache entry .*{match}"):
        return _extractor(cache).transform(images)[0]


def _computed_never(self, batch):
    raise AssertionError("the backbone ran although the cache holds the batch")


def _store(entry, array, *, key=None, **others):
    """Write an entry at ``entry`` with a checksum that matches: only the other checks can
    find what is wrong with it."""
    key = entry.name.split(".")[0] if key is None else key
    checksum = np.frombuffer(_array_cache._checksum(key, array), np.uint8)
    save_file({"array": array, "sha256": checksum, **others}, entry)


def test_a_cache_entry_is_numbers_only_and_served_again(images, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    assert entry.parent.parent == cache / "image-features"
    assert set(load_file(entry)) == {"array", "sha256"}
    monkeypatch.setattr(ImageFeatureExtractor, "_features", _computed_never)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(_extractor(cache).transform(images)[0], uncached)
    assert not list(entry.parent.glob(".*partial")), "a partial file was left behind"


class _Poison:
    """Unpickled, it leaves a file at ``marker``: proof that reading ran code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("form", ["pickle", "npy of objects"])
def test_a_poisoned_entry_never_runs_code(images, tmp_path, form):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    marker = tmp_path / "code-ran"
    with entry.open("wb") as file:
        if form == "pickle":
            pickle.dump(_Poison(marker), file)
        else:
            np.save(file, np.array([_Poison(marker)], dtype=object), allow_pickle=True)
    try:
        served = _served(images, cache, "not a safetensors file")
    finally:  # whatever else went wrong
        assert not marker.exists(), "reading the cache ran the entry's code"
    np.testing.assert_array_equal(served, uncached)
    # The entry computed again replaced the poisoned one.
    assert set(load_file(entry)) == {"array", "sha256"}


def test_a_tampered_entry_is_detected_and_computed_again(images, tmp_path):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    stored = load_file(entry)
    save_file({"array": stored["array"] + 1, "sha256": stored["sha256"]}, entry)
    np.testing.assert_array_equal(_served(images, cache, "do not match their SHA-256"), uncached)
    with warnings.catch_warnings():  # storing it again repaired the entry
        warnings.simplefilter("error")
        np.testing.assert_array_equal(_extractor(cache).transform(images)[0], uncached)


def test_an_entry_under_another_key_is_not_served(images, tmp_path):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    _store(entry, load_file(entry)["array"] + 1, key="0" * 64)
    np.testing.assert_array_equal(_served(images, cache, "do not match their SHA-256"), uncached)


@pytest.mark.parametrize(
    ("fault", "match"),
    [
        ("shape", r"float32 numbers of shape \(2, 7\), not float32 of shape \(2, 1280\)"),
        ("dtype", "float16 numbers of shape"),
        ("nan", "non-finite numbers"),
        ("extra array", r"holds the arrays \['array', 'extra', 'sha256'\]"),
    ],
)
def test_an_entry_of_the_wrong_shape_dtype_or_values_is_computed_again(
    images, tmp_path, fault, match
):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    wrong = uncached + 1  # served, it would show
    others = {}
    if fault == "shape":
        wrong = wrong[:, :7].copy()
    elif fault == "dtype":
        wrong = wrong.astype(np.float16)  # smaller: only the dtype is wrong
    elif fault == "nan":
        wrong[0, 0] = np.nan
    else:
        others = {"extra": np.zeros(1, np.float32)}
    _store(entry, wrong, **others)
    served = _served(images, cache, match)
    assert served.dtype == np.float32
    np.testing.assert_array_equal(served, uncached)


def test_a_symbolic_link_in_place_of_an_entry_is_not_followed(images, tmp_path):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    elsewhere = tmp_path / "elsewhere.safetensors"
    _store(elsewhere, uncached + 1, key=entry.name.split(".")[0])  # valid, but not in place
    entry.unlink()
    entry.symlink_to(elsewhere)
    np.testing.assert_array_equal(_served(images, cache, "is a symbolic link"), uncached)
    assert not entry.is_symlink(), "the entry computed again did not replace the link"
    np.testing.assert_array_equal(load_file(elsewhere)["array"], uncached + 1)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_in_place_of_an_entry_is_never_waited_on(images, tmp_path):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    entry.unlink()
    os.mkfifo(entry)
    served = run_beside_a_pipe(lambda: _served(images, cache, "not a regular file"), entry)
    np.testing.assert_array_equal(served, uncached)


def test_an_oversized_entry_is_not_read(images, tmp_path):
    cache = tmp_path / "cache"
    uncached, entry = _cached_once(images, cache)
    with entry.open("r+b") as file:  # sparse: no disk taken
        file.truncate(64 << 20)
    np.testing.assert_array_equal(_served(images, cache, "is larger than the"), uncached)


def test_concurrent_writers_never_show_a_partial_entry(tmp_path):
    store = _array_cache.ArrayCache(tmp_path)
    key = "ab" * 32
    versions = [np.full((64, 256), value, np.float32) for value in (1.0, 2.0)]
    store.put(key, versions[0])
    done = threading.Event()

    def write():
        while not done.is_set():
            for version in versions:
                store.put(key, version)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(300):
                read = store.get(key, (64, 256))
                assert any(np.array_equal(read, version) for version in versions)
    finally:
        done.set()
        writer.join()
    assert [path.name for path in tmp_path.rglob("*")] == [key[:2], f"{key}.safetensors"]


def test_a_cache_folder_that_cannot_be_written_is_one_warning(images, tmp_path):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file, where the cache folder should be")
    extractor = _extractor(not_a_folder, batch_size=1)
    with pytest.warns(UserWarning, match="Cannot store in the cache folder") as record:
        features = extractor.transform(images)[0]
    assert len(record) == 1
    np.testing.assert_array_equal(features, _extractor(None).transform(images)[0])


def test_arrays_of_the_same_bytes_in_other_shapes_are_other_entries(tmp_path):
    pixels = np.random.RandomState(0).randint(0, 256, 72).astype(np.uint8)
    tall, wide = pixels.reshape(4, 6, 3), pixels.reshape(6, 4, 3)
    cache = tmp_path / "cache"
    extractor = _extractor(cache, batch_size=1)
    first, second = extractor.transform([[tall], [wide]])
    assert len(_entries(cache)) == 2
    np.testing.assert_array_equal(extractor.transform([[wide]])[0], second)
    assert not np.array_equal(first, second)


def test_a_joblib_memory_is_refused():
    with pytest.raises(ValueError, match="'cache' parameter of ImageFeatureExtractor"):
        ImageFeatureExtractor(cache=Memory(None)).fit()
