"""Every example runs to the end (figures go to a non-interactive backend)."""

import os
import runpy
import sys
from pathlib import Path

import pytest

FOLDER = Path(__file__).parents[2] / "examples"
EXAMPLES = sorted(FOLDER.glob("plot_*.py"))  # the gallery: generated data only


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, monkeypatch):
    if "matplotlib" in path.read_text():
        pytest.importorskip("matplotlib")
        monkeypatch.setenv("MPLBACKEND", "Agg")
    runpy.run_path(str(path), run_name="__main__")


@pytest.mark.slow  # over 10 s; run by `pytest -m slow` (CI runs both)
@pytest.mark.skipif(
    not os.environ.get("SKLEARN_MICROTS_BREAKHIS"),
    reason="set SKLEARN_MICROTS_BREAKHIS to the BreakHis folder",
)
def test_breakhis_end_to_end_example(monkeypatch, tmp_path, capsys):
    root = os.environ["SKLEARN_MICROTS_BREAKHIS"]
    argv = ["breakhis_end_to_end.py", root, "--epochs", "3", "--cache", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(FOLDER / "breakhis_end_to_end.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "| MicroTS (vote) |" in printed
    assert "| mean pooling + LR (floor) |" in printed
    assert "train" in printed
