"""One default feature cache for the command line, the benchmarks and the examples; the
tables of ``microts features`` read by ``benchmarks/compare.py --data``."""

import argparse
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from sklearn_microts.cli._data import Cases, cases_to_table
from sklearn_microts.cli._main import _build_parser
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.utils._cache import default_cache

pandas = pytest.importorskip("pandas")
ROOT = Path(__file__).parents[2]


def test_the_cache_variable_wins_over_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("SKLEARN_MICROTS_CACHE", str(tmp_path / "features"))
    assert default_cache() == str(tmp_path / "features")
    monkeypatch.delenv("SKLEARN_MICROTS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache() == str(tmp_path / "sklearn-microts")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache() == str(Path.home() / ".cache" / "sklearn-microts")


def test_command_line_benchmarks_and_example_share_the_default_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("SKLEARN_MICROTS_CACHE", str(tmp_path))
    command_line = _build_parser().parse_args(["features", "captures", "--out", "f.csv"])
    assert command_line.cache == str(tmp_path)

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from _harness import add_cache_option

    parser = argparse.ArgumentParser()
    add_cache_option(parser)
    assert parser.parse_args([]).cache == str(tmp_path)

    # The example, up to the extractor it builds: no data read, no network loaded.
    namespace = runpy.run_path(str(ROOT / "examples" / "breakhis_end_to_end.py"))
    example, seen = namespace["main"].__globals__, {}

    class Extracted(Exception):
        pass

    def extractor(*, cache, **_):
        seen["cache"] = cache
        raise Extracted

    one_case = Bunch(
        data=[["a.png"]],
        group=np.array(["train"]),
        target=np.array(["benign"]),
        patient=np.array(["p"]),
    )
    monkeypatch.setitem(example, "load_breakhis", lambda *args, **kwargs: one_case)
    monkeypatch.setitem(example, "ImageFeatureExtractor", extractor)
    monkeypatch.setattr(sys, "argv", ["breakhis_end_to_end.py", str(tmp_path)])
    with pytest.raises(Extracted):
        namespace["main"]()
    assert seen["cache"] == str(tmp_path)


def test_compare_reads_the_table_of_microts_features(monkeypatch, tmp_path):
    """The table's ``patient`` and ``image`` columns are strings, not features: only
    ``f0, f1, ...`` are."""
    X, y = make_microscopy_sequences(n_cases=20, n_features=3, max_length=8, random_state=0)
    names = np.array([f"case{i}" for i in range(len(X))])
    images = [[f"{name}/{t}.png" for t in range(len(x))] for name, x in zip(names, X, strict=True)]
    cases = Cases(
        names=names,
        X=X,
        y=np.array(["benign", "malignant"])[y],
        images=images,
        patients=np.array([f"patient{i // 2}" for i in range(len(X))]),
    )
    path = tmp_path / "features.csv"
    cases_to_table(cases).to_csv(path, index=False)

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from _compare.data import user_table

    splits = list(user_table(path, "case", "order", "label", None, [0], "malignant"))
    assert len(splits) == 5  # stratified 5-fold cross-validation
    split = splits[0]
    assert all(x.shape[1] == 3 and x.dtype.kind == "f" for x in split.X_train + split.X_test)
    assert len(split.X_train) + len(split.X_test) == len(X)
