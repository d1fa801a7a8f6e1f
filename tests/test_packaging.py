"""The wheel and the sdist build from the checkout and carry what a user installs.

Built with setuptools' PEP 517 backend in a fresh process, without build isolation (no
network); ``python -m build`` does the same in an isolated environment before publishing.
"""

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).parents[1]
BUILD = (
    # The backend rewrites sys.argv: read the output folder first.
    "import sys; from setuptools import build_meta as backend; out = sys.argv[1]; "
    "backend.build_wheel(out); backend.build_sdist(out)"
)


def test_wheel_and_sdist(tmp_path):
    # Built in a copy: setuptools leaves build/ and *.egg-info where it builds.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__", ".*cache*"),
    )
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-c", BUILD, str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    (wheel_path,) = out.glob("sklearn_microts-*.whl")
    (sdist_path,) = out.glob("sklearn_microts-*.tar.gz")
    with zipfile.ZipFile(wheel_path) as wheel:
        names = wheel.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "microts = sklearn_microts.cli:main" in wheel.read(entry_points).decode()
    for module in ("cli/__init__.py", "plotting/__init__.py", "softdtw/__init__.py"):
        assert f"sklearn_microts/{module}" in names
    assert not any(name.startswith(("tests/", "benchmarks/", "docs/")) for name in names)
    with tarfile.open(sdist_path) as sdist:
        members = {Path(*Path(name).parts[1:]).as_posix() for name in sdist.getnames()}
    assert {"pyproject.toml", "README.md", "sklearn_microts/cli/_main.py"} <= members
