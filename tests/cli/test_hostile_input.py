"""The ``microts`` command line on hostile files and careless hands: reordered or renamed
feature columns, loose label files, outputs that name an input, interrupted writes, bad
devices and parameters, text frame orders and cells a spreadsheet would run as formulas.

Every bad input must end with one line and exit status 2, with nothing lost or written.
Feature tables are generated (no images, no network), the model is tiny: each test takes
a second or so.
"""

import csv
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_microts.cli import main

from .options import TINY_MODEL

pandas = pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

# Names that a spreadsheet would run as formulas (OWASP's list), and two that it would not.
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-x", "@SUM(A1)", "\tx"]
HARMLESS = ["-5", "plain"]


def _table(n_cases=16, n_features=5, names=None, seed=0):
    """A feature table of ``microts features`` for generated cases."""
    from sklearn_microts.cli._data import Cases, cases_to_table
    from sklearn_microts.datasets import make_microscopy_sequences

    X, y = make_microscopy_sequences(
        n_cases=n_cases, n_features=n_features, max_length=12, random_state=seed
    )
    names = np.array(names or [f"case{i:02d}" for i in range(n_cases)], dtype=object)
    labels = np.array(["benign", "malignant"], dtype=object)[y]
    return cases_to_table(Cases(names=names, X=X, y=labels, images=None, patients=names))


def _run(capsys, *args):
    """``microts ARGS``: its exit status, standard output and standard error."""
    try:
        status = main([str(arg) for arg in args])
    except SystemExit as exit_info:  # argparse's own errors
        status = exit_info.code
    out, err = capsys.readouterr()
    return status, out, err


def _refused(capsys, *args):
    """The one error line of ``microts ARGS``, which must exit with status 2."""
    status, _, err = _run(capsys, *args)
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1, err
    assert "error:" in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A feature table and a tiny model fitted on it (shared: a fit takes a second)."""
    tmp = tmp_path_factory.mktemp("hostile")
    _table().to_csv(tmp / "f.csv", index=False)
    assert (
        main([str(a) for a in ["fit", tmp / "f.csv", "--model", tmp / "m.microts"]] + TINY_MODEL)
        == 0
    )
    return tmp


def _features(table):
    return [column for column in table.columns if column.startswith("f")]


# -- item 4: feature columns matched by name ------------------------------------------------


def test_the_model_records_the_feature_names_in_order(fitted):
    from sklearn_microts.cli._model import load_model

    assert load_model(fitted / "m.microts").feature_names == ["f0", "f1", "f2", "f3", "f4"]


def test_a_table_of_reordered_feature_columns_predicts_the_same(fitted, capsys, tmp_path):
    table = pandas.read_csv(fitted / "f.csv")
    features = _features(table)
    reordered = table[[*features[::-1], *(c for c in table.columns if c not in features)]]
    reordered.to_csv(tmp_path / "reordered.csv", index=False)
    for source, out in ((fitted / "f.csv", "p.csv"), (tmp_path / "reordered.csv", "q.csv")):
        status, _, err = _run(
            capsys, "predict", fitted / "m.microts", source, "--out", tmp_path / out
        )
        assert status == 0, err
    pandas.testing.assert_frame_equal(
        pandas.read_csv(tmp_path / "p.csv"), pandas.read_csv(tmp_path / "q.csv")
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda t: t.rename(columns={"f3": "f1280"}), ["lacks f3", "has f1280"]),
        (lambda t: t.assign(f5=0.0, f6=0.0), ["has f5, f6, which the model was not fitted on"]),
        (lambda t: t.drop(columns=["f0", "f1", "f2", "f4"]), ["lacks f0, f1, f2 and 1 more"]),
    ],
)
def test_a_table_of_other_feature_columns_is_refused_by_name(
    fitted, capsys, tmp_path, change, named
):
    change(pandas.read_csv(fitted / "f.csv")).to_csv(tmp_path / "other.csv", index=False)
    out = tmp_path / "p.csv"
    line = _refused(capsys, "predict", fitted / "m.microts", tmp_path / "other.csv", "--out", out)
    assert "does not have the features the model was fitted on" in line
    for part in named:
        assert part in line
    assert not out.exists()


def test_a_model_that_names_no_features_still_checks_their_number(
    fitted, capsys, tmp_path, monkeypatch
):
    from sklearn_microts.cli import _main, _model

    # What a pickle of an earlier version gives: the plain tuple, no names.
    monkeypatch.setattr(
        _main, "load_model", lambda path, trust_pickle: tuple(_model.load_model(path))
    )
    pandas.read_csv(fitted / "f.csv").drop(columns="f4").to_csv(tmp_path / "t.csv", index=False)
    line = _refused(
        capsys, "predict", fitted / "m.microts", tmp_path / "t.csv", "--out", tmp_path / "p.csv"
    )
    assert "4 features per frame but the model was fitted on 5" in line


# -- item 5: labels.csv read as written -----------------------------------------------------


def _case_folders(root, names):
    """One case folder of one small PNG per name (``features`` never opens them here)."""
    Image = pytest.importorskip("PIL.Image")
    for name in names:
        (root / name).mkdir(parents=True)
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / name / "0.png")
    return root


@pytest.fixture
def no_network(monkeypatch):
    """The extraction of `microts features` replaced by zeros: what is checked is decided
    before it."""
    from sklearn_microts.cli import _main

    def zeros(images, **_):
        return [np.zeros((len(case), 3), np.float32) for case in images]

    monkeypatch.setattr(_main, "extract_features", zeros)


@pytest.mark.parametrize("names", [["001", "010"], ["NA", "null"]])
def test_case_names_that_look_like_numbers_or_missing_values_stay_text(
    tmp_path, capsys, no_network, names
):
    root = _case_folders(tmp_path / "captures", names)
    labels = tmp_path / "labels.csv"
    labels.write_text(f"case,label\n{names[0]},benign\n{names[1]},malignant\n")
    out = tmp_path / "f.csv"
    status, _, err = _run(capsys, "features", root, "--out", out, "--labels", labels)
    assert status == 0, err
    from sklearn_microts.cli._data import read_table, table_to_cases

    # The table of `features` reads back with the same names.
    cases = table_to_cases(read_table(out), source=out)
    assert cases.names.tolist() == names
    assert cases.y.tolist() == ["benign", "malignant"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("a,benign\nb,malignant\na,benign\n", "lists the case 'a' twice (labels 'benign'): "),
        ("a,benign\nb,malignant\na,malignant\n", "twice (labels 'benign', 'malignant')"),
        ("a,benign\nb,\n", "the case 'b' has no label (row 2 below the header)"),
        ("a,benign\n,malignant\nb,benign\n", "a row has a label without a case name (row 2"),
        ("a,benign\n", "has no label for the case(s) 'b'."),
    ],
)
def test_a_loose_labels_file_is_refused(tmp_path, capsys, no_network, rows, message):
    root = _case_folders(tmp_path / "captures", ["a", "b"])
    labels = tmp_path / "labels.csv"
    labels.write_text(f"case,label\n{rows}")
    out = tmp_path / "f.csv"
    assert message in _refused(capsys, "features", root, "--out", out, "--labels", labels)
    assert not out.exists()


# -- item 7: no output over an input, tables replaced whole ---------------------------------


@pytest.mark.parametrize(
    ("command", "destroyed"),
    [
        (["fit", "{t}", "--model", "{t}"], "{t}"),
        (["fit", "{t}", "--model", "{link}"], "{t}"),
        (["predict", "{m}", "{t}", "--out", "{t}"], "{t}"),
        (["predict", "{m}", "{t}", "--out", "{link}"], "{t}"),
        (["predict", "{csv_model}", "{t}", "--out", "{csv_model}"], "{csv_model}"),
        (
            ["report", "{m}", "{report}/predictions.csv", "--out", "{report}"],
            "{report}/predictions.csv",
        ),
        (["features", "{root}", "--out", "{labels}", "--labels", "{labels}"], "{labels}"),
    ],
)
def test_an_output_that_is_an_input_is_refused(
    fitted, capsys, tmp_path, no_network, command, destroyed
):
    paths = {
        "t": tmp_path / "f.csv",
        "m": fitted / "m.microts",
        "link": tmp_path / "another name.csv",  # a hard link: the same file, another name
        "csv_model": tmp_path / "model.csv",
        "report": tmp_path / "report",
        "root": _case_folders(tmp_path / "captures", ["a"]),
        "labels": tmp_path / "labels.csv",
    }
    (tmp_path / "report").mkdir()
    for path in (paths["t"], paths["report"] / "predictions.csv"):
        _table().to_csv(path, index=False)
    os.link(paths["t"], paths["link"])
    (tmp_path / "model.csv").write_bytes((fitted / "m.microts").read_bytes())
    paths["labels"].write_text("case,label\na,benign\n")
    destroyed = Path(destroyed.format(**paths))
    before = destroyed.read_bytes()
    command = [part.format(**paths) for part in command]
    line = _refused(capsys, *command, *(TINY_MODEL if command[0] == "fit" else []))
    assert "would destroy the input" in line
    assert destroyed.read_bytes() == before


def test_an_interrupted_write_leaves_the_old_table_whole(tmp_path, monkeypatch):
    from sklearn_microts.cli._data import write_table

    out = tmp_path / "f.csv"
    write_table(_table(n_cases=2), out)
    before = out.read_bytes()

    def killed_halfway(self, file, **_):
        file.write(b"case,patient\n")  # a header that reads back cleanly
        raise KeyboardInterrupt

    monkeypatch.setattr(pandas.DataFrame, "to_csv", killed_halfway)
    with pytest.raises(KeyboardInterrupt):
        write_table(_table(n_cases=3), out)
    assert out.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [out]  # no partial file left behind


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_table_is_never_written_over_a_pipe_or_a_folder(fitted, capsys, tmp_path, monkeypatch):
    from sklearn_microts.cli import _main

    def no_extraction(images, **_):
        raise AssertionError("features were extracted for an output that cannot be written")

    monkeypatch.setattr(_main, "extract_features", no_extraction)
    root = _case_folders(tmp_path / "captures", ["a"])
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "folder.csv").mkdir()
    for name in ("pipe.csv", "folder.csv"):
        out = tmp_path / name
        for command in (["features", root], ["predict", fitted / "m.microts", fitted / "f.csv"]):
            assert "exists and is not a regular file" in _refused(capsys, *command, "--out", out)
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe.csv").st_mode)
    assert (tmp_path / "folder.csv").is_dir()


# -- item 10: devices and parameters checked up front ---------------------------------------


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ("bogus", "is not auto, cpu, cuda, cuda:N or mps"),
        ("meta", "is not auto, cpu, cuda, cuda:N or mps"),
        ("cuda:99", "is not on this machine"),
        pytest.param(
            "cuda",
            "is not on this machine",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA"),
        ),
    ],
)
def test_a_device_this_machine_lacks_is_one_line(capsys, tmp_path, device, message):
    out = tmp_path / "f.csv"
    line = _refused(capsys, "features", tmp_path / "nowhere", "--out", out, "--device", device)
    assert f"argument --device: device {device!r} {message}" in line


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("callbacks=[1]", "--param 'callbacks' takes Python objects"),
        ("microtsclassifier__accelerator=1", "takes Python objects"),
        ("memory='cache'", "--param 'memory' is not a parameter"),
        ("microtsclassifier=1", "--param 'microtsclassifier' is not a parameter"),
        ("device=cuda:99", "device 'cuda:99' is not on this machine"),
        ("device=bogus", "device 'bogus' is not auto, cpu"),
        ("max_epochs='many'", "The 'max_epochs' parameter of MicroTSClassifier must be"),
    ],
)
def test_a_parameter_the_command_line_cannot_set_is_one_line(
    fitted, capsys, tmp_path, param, message
):
    model = tmp_path / "m.microts"
    line = _refused(
        capsys, "fit", fitted / "f.csv", "--model", model, *TINY_MODEL, "--param", param
    )
    assert message in line
    assert not model.exists()
    assert sorted(tmp_path.iterdir()) == []


# -- item 11: frame order -------------------------------------------------------------------


def test_a_text_order_column_is_sorted_as_numbers(fitted):
    from sklearn_microts.cli._data import table_to_cases

    table = pandas.read_csv(fitted / "f.csv")
    as_text = table.assign(order=table["order"].astype(str))  # as a Parquet file may hold it
    assert sorted(as_text["order"]) != sorted(as_text["order"], key=int)  # "10" before "2"
    expected = table_to_cases(table, source="f.csv").X
    for got, want in zip(table_to_cases(as_text, source="f.csv").X, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_an_order_column_of_words_is_refused(fitted, capsys, tmp_path):
    table = pandas.read_csv(fitted / "f.csv")
    table.assign(order="frame" + table["order"].astype(str)).to_csv(
        tmp_path / "t.csv", index=False
    )
    out = tmp_path / "p.csv"
    line = _refused(capsys, "predict", fitted / "m.microts", tmp_path / "t.csv", "--out", out)
    assert "the column 'order' holds 'frame0', which is not a number" in line
    assert not out.exists()


# -- item 12: no formula in a CSV -----------------------------------------------------------


def _cells(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.mark.filterwarnings("ignore:Glyph 9:UserWarning")  # a tab in a figure's title
def test_cells_a_spreadsheet_would_run_are_defused_and_read_back(fitted, capsys, tmp_path):
    from sklearn_microts.cli._data import read_table, write_table

    names = [*FORMULAS, *HARMLESS]
    features = tmp_path / "f.csv"
    write_table(_table(n_cases=len(names), names=names, seed=1), features)
    rows = _cells(features)
    assert {row["case"] for row in rows} == {*(f"'{name}" for name in FORMULAS), *HARMLESS}
    assert any(row["f0"].startswith("-") for row in rows)  # numbers are left as they are
    assert set(read_table(features)["case"]) == set(names)  # and the quote comes off

    predictions, report = tmp_path / "p.csv", tmp_path / "report"
    for command, out in (("predict", predictions), ("report", report)):
        status, _, err = _run(capsys, command, fitted / "m.microts", features, "--out", out)
        assert status == 0, err
    for path in (predictions, report / "predictions.csv"):
        cases = [row["case"] for row in _cells(path)]
        assert sorted(cases) == sorted([*(f"'{name}" for name in FORMULAS), *HARMLESS])
        assert all(float(row["confidence"]) > 0 for row in _cells(path))


# -- our own bugs are not "bad input" -------------------------------------------------------


def _shape_bug(table, **kwargs):
    """A bug of the package as numpy reports it: arrays of shapes that do not stack."""
    return np.stack([np.zeros(2), np.zeros(3)])


def test_a_bug_of_ours_is_an_internal_error_and_traceback_shows_it(fitted, capsys, monkeypatch):
    from sklearn_microts.cli import _main

    monkeypatch.setattr(_main, "read_table", _shape_bug)
    command = ["fit", fitted / "f.csv", "--model", fitted / "bug.microts"]
    status, _, err = _run(capsys, *command)
    assert status == 1, err
    assert "internal error: ValueError" in err
    assert "rerun with --traceback" in err
    with pytest.raises(ValueError, match="all input arrays must have the same shape"):
        main(["--traceback", *map(str, command)])
    monkeypatch.setenv("MICROTS_TRACEBACK", "1")
    with pytest.raises(ValueError, match="all input arrays must have the same shape"):
        main([str(arg) for arg in command])


def test_bad_input_stays_one_line_with_status_2(fitted, capsys):
    """A ValueError the package raises on purpose (here, its parameter validation)."""
    line = _refused(
        capsys, "fit", fitted / "f.csv", "--model", fitted / "m2.microts", "--param=d_model=-1"
    )
    assert "d_model" in line
    assert "internal error" not in line


def test_a_feature_column_named_twice_is_refused(fitted, capsys, tmp_path):
    """pandas would rename the second f1 to f1.1, which is no feature column: dropped."""
    table = _table()
    table.insert(len(table.columns), "f1.dup", table["f1"])
    path = tmp_path / "twice.csv"
    table.to_csv(path, index=False)
    path.write_text(path.read_text().replace("f1.dup", "f1", 1))
    line = _refused(capsys, "predict", fitted / "m.microts", path, "--out", tmp_path / "p.csv")
    assert "['f1'] are named more than once" in line
