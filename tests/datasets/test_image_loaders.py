"""Loaders of image sequences and the image feature extractor.

The BreakHis loader is tested on tiny generated images with BreakHis names everywhere; the
tests on the real data run where ``SKLEARN_MICROTS_BREAKHIS`` points to it (CI sets it).
"""

import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_microts.datasets import load_breakhis, load_image_sequences, parse_breakhis_name
from sklearn_microts.preprocessing import ImageFeatureExtractor, _images

from ..pipes import run_beside_a_pipe

Image = pytest.importorskip("PIL.Image")
REAL_ROOT = os.environ.get("SKLEARN_MICROTS_BREAKHIS")
needs_real_data = pytest.mark.skipif(
    not (REAL_ROOT and Path(REAL_ROOT).is_dir()),
    reason="set SKLEARN_MICROTS_BREAKHIS to the BreakHis folder",
)


def _image(path, size=(12, 9), value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path)


# (tumor, subtype code, subtype folder, patient, magnification, numbers, fold-1 group)
PATIENTS = [
    ("B", "A", "adenosis", "14-22549AB", 200, [3, 1, 2], "train"),
    ("M", "DC", "ductal_carcinoma", "14-5287", 200, [1, 4], "test"),
    ("M", "LC", "lobular_carcinoma", "14-12204", 200, [7], "train"),
    ("M", "LC", "lobular_carcinoma", "14-12204", 40, [1, 2], "train"),
]


@pytest.fixture
def breakhis(tmp_path):
    lines = []
    for tumor, code, folder, patient, magnification, numbers, group in PATIENTS:
        kind = "benign" if tumor == "B" else "malignant"
        case_dir = (
            tmp_path
            / "BreaKHis_v1"
            / "histology_slides"
            / "breast"
            / kind
            / "SOB"
            / folder
            / f"SOB_{tumor}_{code}_{patient}"
            / f"{magnification}X"
        )
        for number in numbers:
            name = f"SOB_{tumor}_{code}-{patient}-{magnification}-{number:03d}.png"
            _image(case_dir / name, value=number)
            lines.append(f"{name}|{magnification}|1|{group}")
    (tmp_path / "mkfold").mkdir()
    (tmp_path / "mkfold" / "dsfold1.txt").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_parse_breakhis_name():
    fields = parse_breakhis_name("SOB_B_TA-14-3411F-400-012.png")
    assert fields == {
        "tumor": "benign",
        "subtype": "tubular_adenoma",
        "patient": "14-3411F",
        "magnification": 400,
        "number": 12,
    }
    for bad in ("SOB_X_A-14-1-40-001.png", "SOB_B_ZZ-14-1-40-001.png", "image.png"):
        with pytest.raises(ValueError, match="not a BreakHis file name"):
            parse_breakhis_name(bad)
    with pytest.raises(TypeError, match="'name' parameter of parse_breakhis_name must be"):
        parse_breakhis_name(Path("SOB_B_TA-14-3411F-400-012.png"))


def test_load_breakhis_cases_in_acquisition_order(breakhis):
    bunch = load_breakhis(breakhis, magnification=200, fold=1)
    assert bunch.patient.tolist() == ["14-12204", "14-22549AB", "14-5287"]
    assert bunch.target.tolist() == ["malignant", "benign", "malignant"]
    assert bunch.group.tolist() == ["train", "train", "test"]
    assert [n.tolist() for n in bunch.numbers] == [[7], [1, 2, 3], [1, 4]]  # gaps allowed
    names = [Path(path).name for path in bunch.data[1]]
    assert names == [f"SOB_B_A-14-22549AB-200-{n:03d}.png" for n in (1, 2, 3)]
    subtype = load_breakhis(breakhis, label="subtype")
    assert subtype.target.tolist() == ["lobular_carcinoma", "adenosis", "ductal_carcinoma"]
    test = load_breakhis(breakhis, fold=1, subset="test")
    assert test.patient.tolist() == ["14-5287"]
    every = load_breakhis(breakhis, magnification=None)
    assert sorted(zip(every.patient, every.magnification, strict=True)) == [
        ("14-12204", 40),
        ("14-12204", 200),
        ("14-22549AB", 200),
        ("14-5287", 200),
    ]


def test_load_breakhis_from_a_flat_folder(breakhis, tmp_path_factory):
    flat = tmp_path_factory.mktemp("flat")
    for path in breakhis.rglob("*.png"):
        (flat / path.name).write_bytes(path.read_bytes())
    assert len(load_breakhis(flat).data) == 3


def test_load_breakhis_reports_problems(breakhis):
    _image(breakhis / "BreaKHis_v1" / "SOB_B_A-14-22549AB-200-009.png")
    with pytest.raises(ValueError, match=r"1 image\(s\) are not in dsfold1.txt"):
        load_breakhis(breakhis, fold=1)
    _image(breakhis / "BreaKHis_v1" / "SOB_B_QQ-14-1-200-001.png")
    with pytest.raises(ValueError, match="not a BreakHis file name"):
        load_breakhis(breakhis)
    with pytest.raises(ValueError, match="subset"):
        load_breakhis(breakhis, subset="test")
    with pytest.raises(ValueError, match="'fold' parameter of load_breakhis"):
        load_breakhis(breakhis, fold=6)
    with pytest.raises(ValueError, match="'magnification' parameter of load_breakhis"):
        load_breakhis(breakhis, magnification=300)
    with pytest.raises(ValueError, match="'label' parameter of load_breakhis"):
        load_breakhis(breakhis, label="grade")


def _patient_folder(root, patient):
    return next(path.parent for path in root.rglob(f"SOB_*-{patient}-200-*.png"))


def test_load_breakhis_follows_symlinked_folders_once(breakhis, tmp_path_factory):
    expected = load_breakhis(breakhis, fold=1)
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "14-5287"
    folder = _patient_folder(breakhis, "14-5287")
    folder.rename(elsewhere)
    folder.symlink_to(elsewhere, target_is_directory=True)
    # A link back up the tree, and a second link to the same patient: no loop, no repeat.
    (breakhis / "BreaKHis_v1" / "loop").symlink_to(breakhis, target_is_directory=True)
    (breakhis / "again").symlink_to(elsewhere, target_is_directory=True)
    bunch = load_breakhis(breakhis, fold=1)
    assert bunch.patient.tolist() == expected.patient.tolist()
    assert [len(case) for case in bunch.data] == [len(case) for case in expected.data]


def test_load_breakhis_refuses_two_images_of_one_name(breakhis):
    original = next(breakhis.rglob("SOB_M_DC-14-5287-200-001.png"))
    copy = breakhis / "extra" / original.name
    _image(copy, value=99)
    with pytest.raises(ValueError, match=r"Two different images are named .*001\.png.*extra"):
        load_breakhis(breakhis)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("SOB_B_A-14-22549AB-200-001.png|200|1", r"dsfold1\.txt, line 3: expected 'image"),
        ("SOB_B_A-14-22549AB-200-001.png|200|1|tset", r"dsfold1\.txt, line 3: unknown group"),
        ("SOB_B_A-14-22549AB-200-003.png|200|1|test", r"line 3: .*-003\.png is listed in both"),
    ],
)
def test_load_breakhis_names_the_bad_line_of_a_fold_list(breakhis, line, message):
    fold_list = breakhis / "mkfold" / "dsfold1.txt"
    lines = fold_list.read_text().splitlines()
    fold_list.write_text("\n".join([*lines[:2], line, *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match=message):
        load_breakhis(breakhis, fold=1)


def test_load_breakhis_refuses_two_fold_lists_of_one_name(breakhis):
    (breakhis / "old").mkdir()
    (breakhis / "old" / "dsfold1.txt").write_text("")
    with pytest.raises(ValueError, match=r"2 fold lists named dsfold1\.txt"):
        load_breakhis(breakhis, fold=1)


def test_load_image_sequences(tmp_path):
    frames = ["frame_2.png", "frame_10.png", "frame_1.png", "frame_01b.png"]
    for case, names in {"slide_10": frames, "slide_9": ["1.png"]}.items():
        for name in names:
            _image(tmp_path / case / name)
    for seconds, name in enumerate(frames):
        os.utime(tmp_path / "slide_10" / name, (seconds, seconds))
    by_name = load_image_sequences(tmp_path)
    # Natural order: camera counters are not zero-padded, and 10 comes after 9.
    assert by_name.case.tolist() == ["slide_9", "slide_10"]
    assert [Path(p).name for p in by_name.data[1]] == [
        "frame_1.png",
        "frame_01b.png",
        "frame_2.png",
        "frame_10.png",
    ]
    by_time = load_image_sequences(tmp_path, order="mtime")
    assert [Path(p).name for p in by_time.data[1]] == frames
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no image"):
        load_image_sequences(tmp_path)


def _tiny_backbone():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())


def test_feature_extractor_on_paths_and_arrays_of_mixed_sizes(tmp_path):
    _image(tmp_path / "a.png", size=(40, 20), value=10)
    _image(tmp_path / "b.png", size=(7, 7), value=200)
    array = np.full((5, 9, 3), 0.5)
    extractor = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=16, batch_size=2)
    features = extractor.fit_transform([[tmp_path / "a.png", tmp_path / "b.png"], [array]])
    assert [f.shape for f in features] == [(2, 4), (1, 4)]
    assert features[0].dtype == np.float32
    alone = extractor.transform([[tmp_path / "b.png"]])[0]
    np.testing.assert_allclose(alone[0], features[0][1], rtol=1e-4, atol=1e-6)


def test_feature_extractor_errors_name_the_file(tmp_path):
    extractor = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=8).fit()
    (tmp_path / "broken.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"broken\.png"):
        extractor.transform([[tmp_path / "broken.png"]])
    with pytest.raises(FileNotFoundError, match=r"missing\.png"):
        extractor.transform([[tmp_path / "missing.png"]])
    with pytest.raises(ValueError, match="case 0 has no images"):
        extractor.transform([[]])
    with pytest.raises(ValueError, match="'backbone' parameter of ImageFeatureExtractor"):
        ImageFeatureExtractor(backbone="resnet").fit()
    with pytest.raises(ValueError, match="cache needs a named backbone"):
        ImageFeatureExtractor(backbone=_tiny_backbone(), cache=tmp_path).fit()


def _png_declaring(path, width, height):
    """A valid 1 x 1 PNG of some 70 bytes whose header declares ``width`` x ``height``."""
    _image(path, size=(1, 1))
    data = bytearray(path.read_bytes())
    # After the 8-byte signature: the IHDR chunk's length and type (8 bytes), its width and
    # height (8), 5 more bytes of header, then the CRC of its type and data.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("width", "height", "declared"),
    [
        (9000, 9000, "9000 x 9000 pixels"),  # over the cap, under Pillow's limits
        (12000, 12000, "12000 x 12000 pixels"),  # over the limit at which Pillow warns
        (100000, 100000, "10000000000 pixels"),  # over the limit at which Pillow refuses
    ],
)
def test_an_image_declaring_too_many_pixels_is_refused_undecoded(
    tmp_path, monkeypatch, width, height, declared
):
    from PIL import ImageFile

    def no_decoding(self):
        raise AssertionError("the image was decoded")

    _png_declaring(tmp_path / "huge.png", width, height)
    assert (tmp_path / "huge.png").stat().st_size < 100
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    extractor = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=8).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning included
        with pytest.raises(ValueError, match=rf"huge\.png declares .*{declared}"):
            extractor.transform([[tmp_path / "huge.png"]])


def test_max_pixels_is_the_cap(tmp_path):
    _image(tmp_path / "a.png", size=(20, 10))
    extractor = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=8, max_pixels=199)
    with pytest.raises(ValueError, match=r"a\.png declares 20 x 10 pixels, more than the 199"):
        extractor.fit().transform([[tmp_path / "a.png"]])
    features = extractor.set_params(max_pixels=200).transform([[tmp_path / "a.png"]])
    assert features[0].shape == (1, 4)


def test_a_truncated_image_is_an_error_naming_it(tmp_path):
    rng = np.random.RandomState(0)
    Image.fromarray(rng.randint(0, 256, (30, 30, 3)).astype(np.uint8)).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    extractor = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=8).fit()
    with pytest.raises(ValueError, match=r"Cannot read image .*cut\.png: .*truncated"):
        extractor.transform([[tmp_path / "cut.png"]])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("cache", [False, True])
def test_a_pipe_named_like_an_image_is_refused_never_waited_on(tmp_path, monkeypatch, cache):
    # With a cache the file is first read for its key, with a named backbone (here a small
    # stand-in); without, only to decode it.
    os.mkfifo(tmp_path / "frame.png")
    monkeypatch.setattr(_images, "_load_backbone", lambda backbone: _tiny_backbone())
    extractor = ImageFeatureExtractor(image_size=8, cache=tmp_path / "cache" if cache else None)
    with pytest.raises(ValueError, match=r"frame\.png.* not a regular file"):
        run_beside_a_pipe(
            lambda: extractor.fit().transform([[tmp_path / "frame.png"]]), tmp_path / "frame.png"
        )


def test_sixteen_bit_images_are_scaled_by_bit_depth(tmp_path):
    # 40000 of 65535 is the 8-bit level 156; Pillow's convert("RGB") saturated it to 255.
    Image.fromarray(np.full((9, 12), 40000, np.uint16)).save(tmp_path / "deep.png")
    Image.fromarray(np.full((9, 12), 40000, np.int32)).save(tmp_path / "deep_i.tif")
    _image(tmp_path / "level_156.png", value=156)
    _image(tmp_path / "white.png", value=255)
    extractor = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=8).fit()
    deep, deep_i, level, white = extractor.transform(
        [[tmp_path / name] for name in ("deep.png", "deep_i.tif", "level_156.png", "white.png")]
    )
    for same_pixels in (deep, deep_i):
        np.testing.assert_allclose(same_pixels, level, rtol=1e-5)
    assert not np.allclose(deep, white, rtol=1e-2)
    as_array = extractor.transform([[np.full((9, 12, 3), 40000, np.uint16)]])[0]
    np.testing.assert_allclose(as_array, level, rtol=1e-5)


def test_pixels_of_unknown_depth_are_refused(tmp_path):
    Image.fromarray(np.full((4, 4), 70000, np.int32)).save(tmp_path / "wide.tif")
    extractor = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=8).fit()
    with pytest.raises(ValueError, match=r"wide\.tif holds pixel values from 70000"):
        extractor.transform([[tmp_path / "wide.tif"]])
    with pytest.raises(TypeError, match="pixels of dtype int64"):
        extractor.transform([[np.full((4, 4, 3), 3)]])


def test_default_backbone_is_pretrained_and_cached(tmp_path):
    pytest.importorskip("efficientnet_lite_pytorch")
    for value in (30, 220):
        _image(tmp_path / f"{value}.png", size=(50, 40), value=value)
    images = [[tmp_path / "30.png", tmp_path / "220.png"]]
    extractor = ImageFeatureExtractor(cache=tmp_path / "cache").fit()
    first = extractor.transform(images)[0]
    assert first.shape == (2, 1280)
    assert not np.allclose(first[0], first[1])
    assert any((tmp_path / "cache").rglob("*.safetensors"))
    np.testing.assert_array_equal(extractor.transform(images)[0], first)


@needs_real_data
def test_real_breakhis_fold_1_at_200x():
    bunch = load_breakhis(REAL_ROOT, magnification=200, fold=1)
    assert len(bunch.data) >= 48
    assert set(bunch.group) == {"train", "test"}
    assert set(bunch.target) == {"benign", "malignant"}
    for numbers in bunch.numbers:
        assert (np.diff(numbers) > 0).all()
    features = ImageFeatureExtractor(backbone=_tiny_backbone(), image_size=32).fit_transform(
        [case[:3] for case in bunch.data[:2]]
    )
    assert [len(f) for f in features] == [min(3, len(c)) for c in bunch.data[:2]]


def test_a_patient_filed_under_two_subtypes_is_two_cases(tmp_path):
    # BreakHis files patient 14-13412 under ductal and lobular carcinoma, numbering each
    # from 1, and some official folds put the two in different groups.
    lines = []
    for code, folder, group in (
        ("DC", "ductal_carcinoma", "train"),
        ("LC", "lobular_carcinoma", "test"),
    ):
        for number in (1, 2):
            name = f"SOB_M_{code}-14-13412-200-{number:03d}.png"
            _image(tmp_path / "SOB" / folder / name, value=number)
            lines.append(f"{name}|200|1|{group}")
    (tmp_path / "mkfold").mkdir()
    (tmp_path / "mkfold" / "dsfold1.txt").write_text("\n".join(lines) + "\n")
    bunch = load_breakhis(tmp_path, fold=1, label="subtype")
    assert bunch.patient.tolist() == ["14-13412", "14-13412"]
    assert bunch.target.tolist() == ["ductal_carcinoma", "lobular_carcinoma"]
    assert bunch.group.tolist() == ["train", "test"]
    assert [n.tolist() for n in bunch.numbers] == [[1, 2], [1, 2]]
