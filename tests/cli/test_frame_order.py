"""The order of the frames of a case folder: natural file-name order, or capture time (EXIF,
else file modification time), through the loader and the ``microts`` command line.

Every tree is generated: frames whose names, EXIF times and modification times each give a
different order, so that each order is seen to come from what it says it reads.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from sklearn_microts.cli import main
from sklearn_microts.datasets import load_image_sequences
from sklearn_microts.preprocessing import ImageFeatureExtractor

from .options import TINY_MODEL

Image = pytest.importorskip("PIL.Image")
pandas = pytest.importorskip("pandas")

EXIF_IFD = 0x8769


def _frame(path, *, original=None, subsec=None, date_time=None, mtime=None):
    """A 4x4 image at ``path`` (PNG or JPEG by its suffix) with the EXIF DateTimeOriginal
    ``original`` (and SubSecTimeOriginal ``subsec``) and DateTime ``date_time`` given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    # Cameras always write IFD0 tags; Pillow writes no Exif IFD under an empty IFD0.
    exif[271] = "Generated camera"  # Make
    if date_time is not None:
        exif[306] = date_time
    if original is not None:
        exif.get_ifd(EXIF_IFD)[36867] = original
    if subsec is not None:
        exif.get_ifd(EXIF_IFD)[37521] = subsec
    Image.fromarray(np.full((4, 4, 3), 128, np.uint8)).save(path, exif=exif)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def _names(case):
    return [Path(path).name for path in case]


@pytest.fixture
def session(tmp_path):
    """One case whose name, EXIF and modification-time orders all differ.

    EXIF order: frame10 (09:00:00), frame2 and frame3 (09:00:01, same second: their
    SubSecTimeOriginal, 0.9 and 0.25, puts frame3 first), frame1 (09:00:05), frame20 and
    frame4 (09:00:07, a tie: name order). PNG and JPEG frames are mixed.
    """
    frames = {
        "frame1.png": ("2024:05:01 09:00:05", None, 600),
        "frame2.jpg": ("2024:05:01 09:00:01", "9", 500),
        "frame3.png": ("2024:05:01 09:00:01", "25", 400),
        "frame4.jpg": ("2024:05:01 09:00:07", None, 300),
        "frame10.png": ("2024:05:01 09:00:00", None, 200),
        "frame20.png": ("2024:05:01 09:00:07", None, 100),
    }
    for name, (original, subsec, mtime) in frames.items():
        _frame(tmp_path / "slide" / name, original=original, subsec=subsec, mtime=mtime)
    return tmp_path


BY_NAME = ["frame1.png", "frame2.jpg", "frame3.png", "frame4.jpg", "frame10.png", "frame20.png"]
BY_EXIF = ["frame10.png", "frame3.png", "frame2.jpg", "frame1.png", "frame4.jpg", "frame20.png"]
BY_MTIME = BY_NAME[::-1]


def test_capture_time_is_the_exif_time_with_its_fraction_ties_by_name(session):
    assert _names(load_image_sequences(session, pattern="frame*").data[0]) == BY_NAME
    bunch = load_image_sequences(session, pattern="frame*", order="capture_time")
    assert _names(bunch.data[0]) == BY_EXIF
    assert _names(load_image_sequences(session, pattern="frame*", order="mtime").data[0]) == (
        BY_MTIME
    )


def test_capture_time_without_exif_is_the_modification_time_ties_by_name(tmp_path):
    # DateTime (306) stands in for a missing DateTimeOriginal; a case without either is
    # ordered by modification time, equal times in name order.
    for name, mtime in {"a10.png": 100, "a2.png": 300, "a1.png": 300, "a3.png": 200}.items():
        _frame(tmp_path / "plain" / name, mtime=mtime)
    for name, when in {"b1.png": "2024:05:01 10:00:02", "b2.png": "2024:05:01 10:00:01"}.items():
        _frame(tmp_path / "tiff_style" / name, date_time=when, mtime=0)
    # An unset camera clock writes zeros: no EXIF time, so the modification time counts.
    for name, mtime in {"c1.png": 2, "c2.png": 1}.items():
        _frame(tmp_path / "unset_clock" / name, original="0000:00:00 00:00:00", mtime=mtime)
    bunch = load_image_sequences(tmp_path, order="capture_time")
    assert bunch.case.tolist() == ["plain", "tiff_style", "unset_clock"]
    assert [_names(case) for case in bunch.data] == [
        ["a10.png", "a3.png", "a1.png", "a2.png"],
        ["b2.png", "b1.png"],
        ["c2.png", "c1.png"],
    ]


def test_capture_time_refuses_a_case_mixing_exif_and_file_times(tmp_path):
    _frame(tmp_path / "good" / "1.png", original="2024:05:01 09:00:00")
    _frame(tmp_path / "mixed" / "1.png", original="2024:05:01 09:00:00")
    _frame(tmp_path / "mixed" / "2.png")
    with pytest.raises(ValueError, match=r"Case 'mixed': 2\.png has no EXIF capture time"):
        load_image_sequences(tmp_path, order="capture_time")
    # By name, the same tree loads: only the capture-time order needs the times.
    assert [_names(c) for c in load_image_sequences(tmp_path).data] == [
        ["1.png"],
        ["1.png", "2.png"],
    ]


def test_bad_order_and_bad_exif_times_are_named(tmp_path):
    _frame(tmp_path / "slide" / "1.png", original="yesterday")
    unknown_order = r"'order' parameter of load_image_sequences must be .*Got 'capture-time'"
    with pytest.raises(ValueError, match=unknown_order):
        load_image_sequences(tmp_path, order="capture-time")
    with pytest.raises(ValueError, match=r"1\.png: EXIF tag 36867 is 'yesterday'"):
        load_image_sequences(tmp_path, order="capture_time")
    (tmp_path / "slide" / "1.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match=r"Cannot read the capture time of .*1\.png"):
        load_image_sequences(tmp_path, order="capture_time")


@pytest.fixture
def extracted(monkeypatch):
    """Feature extraction replaced by zeros, recording the frames of every case in the order
    they reach the extractor: the frame order is decided before extraction. The extractor's
    class is patched, not a name some module imported, so no reshuffle of imports escapes."""
    seen = []

    def transform(self, images):
        seen.append([_names(case) for case in images])
        return [np.zeros((len(case), 3), np.float32) for case in images]

    monkeypatch.setattr(ImageFeatureExtractor, "fit", lambda self, X=None, y=None: self)
    monkeypatch.setattr(ImageFeatureExtractor, "transform", transform)
    return seen


def _features(capsys, root, out, *options):
    status = main(
        [str(a) for a in ["features", root, "--out", out, "--pattern", "frame*"]] + [*options]
    )
    return status, capsys.readouterr().err


def test_features_writes_frames_in_the_order_asked(session, tmp_path, capsys, extracted):
    for options, expected in (([], BY_NAME), (["--order", "capture-time"], BY_EXIF)):
        out = tmp_path / "features.csv"
        status, err = _features(capsys, session, out, *options)
        assert status == 0, err
        table = pandas.read_csv(out)
        assert [Path(image).name for image in table["image"]] == expected
        assert table["order"].tolist() == list(range(len(expected)))


def test_predict_and_report_read_folders_in_the_order_asked(
    session, tmp_path_factory, capsys, extracted
):
    tmp_path = tmp_path_factory.mktemp("outputs")  # beside the case folders, not among them
    # A model of the extractor's three features, fitted by the command line on a small table.
    rng = np.random.default_rng(0)
    table = pandas.DataFrame(
        {
            "case": np.repeat(["a", "b", "c", "d"], 4),
            "order": np.tile(np.arange(4), 4),
            "label": np.repeat(["benign", "malignant", "benign", "malignant"], 4),
            **{f"f{i}": rng.normal(size=16) for i in range(3)},
        }
    )
    table.to_csv(tmp_path / "f.csv", index=False)
    model = tmp_path / "m.microts"
    fit = ["fit", tmp_path / "f.csv", "--model", model, *TINY_MODEL]
    assert main([str(a) for a in fit]) == 0, capsys.readouterr().err
    for command in ("predict", "report"):
        for options, expected in (([], BY_NAME), (["--order", "capture-time"], BY_EXIF)):
            suffix = ".csv" if command == "predict" else ""
            out = tmp_path / f"{command}-{len(options)}{suffix}"
            args = [command, model, session, "--out", out, "--pattern", "frame*", *options]
            assert main([str(a) for a in args]) == 0, capsys.readouterr().err
            assert extracted[-1] == [expected]


def test_bad_order_option_is_a_one_line_usage_error(session, tmp_path, capsys, extracted):
    with pytest.raises(SystemExit) as exit_info:
        main(["features", str(session), "--out", str(tmp_path / "f.csv"), "--order", "mtime"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "argument --order: invalid choice: 'mtime'" in err
    assert len(err.splitlines()) == 1
    # Frames that mix EXIF and file times: the loader's error, on one line, exit status 2.
    _frame(session / "slide" / "frame30.png")
    status, err = _features(capsys, session, tmp_path / "f.csv", "--order", "capture-time")
    assert status == 2
    assert "Case 'slide': frame30.png has no EXIF capture time" in err.strip().splitlines()[-1]


def test_breakhis_layout_refuses_another_order(tmp_path, capsys, extracted):
    _frame(tmp_path / "b" / "SOB_B_A-14-1-200-001.png")
    status, err = _features(capsys, tmp_path / "b", tmp_path / "f.csv", "--order", "capture-time")
    assert status == 2
    assert "BreakHis' layout" in err
    status, err = _features(capsys, tmp_path / "b", tmp_path / "f.csv")
    assert status == 0, err
