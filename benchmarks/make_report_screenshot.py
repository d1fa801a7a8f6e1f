"""The screenshot of the case report in the docs, made from generated images.

Generated stand-ins for H&E captures (pink stroma, purple nuclei: more and larger in the
"malignant" cases), so that no real patient image enters the documentation; then
``microts features``, ``fit`` and ``report``, and a headless Chromium screenshot.

    python benchmarks/make_report_screenshot.py docs/_static/report.png
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas
from PIL import Image

from sklearn_microts.cli import main as microts


def capture(rng, malignant, size=(176, 116)):
    """One fake H&E frame: noisy pink stroma with round purple nuclei."""
    width, height = size
    pixels = np.array([236, 178, 206], float) + rng.normal(0, 10, (height, width, 3))
    rows, cols = np.mgrid[:height, :width]
    n_nuclei, radius = (45, 4.6) if malignant else (35, 4.0)
    for _ in range(n_nuclei):
        r, c = rng.uniform(0, height), rng.uniform(0, width)
        size_ = radius * rng.uniform(0.6, 1.4)
        inside = (rows - r) ** 2 + (cols - c) ** 2 < size_**2
        pixels[inside] = np.array([112.0, 58.0, 150.0]) + rng.normal(0, 12, 3)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_captures(root, n_cases=48, seed=0):
    rng = np.random.default_rng(seed)
    labels = []
    for i in range(n_cases):
        malignant = i % 2 == 1
        folder = root / f"slide-{i + 1:02d}"
        folder.mkdir(parents=True)
        n_frames = int(rng.integers(6, 15))
        # A malignant slide shows its tumour only late in the session, as the method assumes.
        onset = int(n_frames * rng.uniform(0.4, 0.8)) if malignant else n_frames
        frame = None
        for j in range(n_frames):
            if frame is None or rng.uniform() > 0.2:  # else: the camera saw the same field
                frame = capture(rng, malignant=j >= onset)
            frame.save(folder / f"{j:03d}.png")
        labels.append((folder.name, "malignant" if malignant else "benign"))
    pandas.DataFrame(labels, columns=["case", "label"]).to_csv(root.parent / "labels.csv")
    return root.parent / "labels.csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the PNG to write")
    args = parser.parse_args()
    browser = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if browser is None:
        sys.exit("No headless Chromium found: apt-get install chromium.")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        labels = write_captures(tmp / "captures")
        common = ["--labels", str(labels), "--no-cache"]
        params = ["--param=max_epochs=15", "--param=lr=1e-3", "--param=random_state=0"]
        if microts(["features", str(tmp / "captures"), "--out", str(tmp / "f.csv"), *common]):
            sys.exit("microts features failed")
        # Fit on half of the slides, report on the other half: unseen cases, as in a lab.
        table = pandas.read_csv(tmp / "f.csv")
        cases = sorted(table["case"].unique())  # benign and malignant alternate
        train = table["case"].isin([case for i, case in enumerate(cases) if i % 4 < 2])
        table[train].to_csv(tmp / "train.csv", index=False)
        table[~train].to_csv(tmp / "new_slides.csv", index=False)
        for command in (
            ["fit", str(tmp / "train.csv"), "--model", str(tmp / "m.joblib"), *params],
            [
                "report",
                str(tmp / "m.joblib"),
                str(tmp / "new_slides.csv"),
                "--out",
                str(tmp / "report"),
            ],
        ):
            if microts(command) != 0:
                sys.exit(f"microts {command[0]} failed")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1200,1000",
                f"--screenshot={Path(args.output).resolve()}",
                (tmp / "report" / "index.html").as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"-> {args.output}")


if __name__ == "__main__":
    main()
