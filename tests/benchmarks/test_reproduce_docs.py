"""benchmarks/reproduce_docs.py keeps each step's last time, and says which have none."""

import importlib
import json
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


@pytest.fixture
def reproduce(tmp_path, monkeypatch):
    """The script as a module, its record of times in a temporary folder."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    module = importlib.import_module("reproduce_docs")
    monkeypatch.setattr(module, "TIMES", tmp_path / "reproduce_times.json")
    return module


def test_each_step_keeps_its_last_time(reproduce):
    reproduce.record_time("cdist", 12.4, "CPU A, load 0.1")
    reproduce.record_time("softdtw", 100.6, "CPU A, load 0.2")
    reproduce.record_time("cdist", 30.0, "CPU B, load 0.0")
    times = json.loads(reproduce.TIMES.read_text())
    assert {step: entry["seconds"] for step, entry in times.items()} == {
        "cdist": 30,
        "softdtw": 101,
    }
    assert times["cdist"]["machine"] == "CPU B, load 0.0"
    table = reproduce.TIMES.with_suffix(".md").read_text().splitlines()
    # In the order of the steps, each once; the others named as not timed.
    assert table[2].startswith("| softdtw | 101 |")
    assert table[3].startswith("| cdist | 30 |")
    assert table[3].endswith("| CPU B, load 0.0 |")
    untimed = table[-1]
    assert "inference" in untimed
    assert "cdist" not in untimed
    assert "softdtw" not in untimed


def test_list_shows_the_recorded_times(reproduce, monkeypatch, capsys):
    reproduce.record_time("vote", 4321.0, "CPU A")
    monkeypatch.setattr("sys.argv", ["reproduce_docs.py", "--list"])
    reproduce.main()
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "4,321 s" in lines["vote"]
    assert "not timed" in lines["compare"]
    assert lines.keys() == set(reproduce.STEPS)
