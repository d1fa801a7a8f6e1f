"""Wall-clock time of the commands a lab runs: microts features, fit, predict and report.

Each command runs as a lab runs it (a fresh process, so start-up and imports count), on
BreakHis or any image folder, in a temporary folder; ``features`` runs twice, with an
empty cache and then with the cache it filled (a resumed run).

    python benchmarks/bench_cli.py /path/to/breakhis --magnification 200
"""

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import pandas
import torch
from _harness import Table, add_image_root, cpu_model, load_average, require_image_root


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_image_root(parser, "image folder")
    parser.add_argument("--magnification", help="BreakHis magnification to keep")
    parser.add_argument("--labels", help="labels CSV for a folder of case sub-folders")
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()
    require_image_root(parser, args)
    selection = [
        f"--{name}={value}"
        for name, value in vars(args).items()
        if name in ("magnification", "labels") and value
    ]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = ["--cache", str(tmp / "cache")]
        steps = [
            (
                "features (empty cache)",
                ["features", args.root, "--out", tmp / "f.csv", *selection, *cache],
            ),
            (
                "features (cache filled)",
                ["features", args.root, "--out", tmp / "f.csv", *selection, *cache],
            ),
            ("fit (default parameters)", ["fit", tmp / "f.csv", "--model", tmp / "m.joblib"]),
            (
                "predict (feature table)",
                ["predict", tmp / "m.joblib", tmp / "f.csv", "--out", tmp / "p.csv"],
            ),
            (
                "report (images, cache filled)",
                [
                    "report",
                    tmp / "m.joblib",
                    args.root,
                    "--out",
                    tmp / "report",
                    *selection,
                    *cache,
                ],
            ),
        ]
        rows = []
        for name, command in steps:
            start = time.perf_counter()
            subprocess.run(
                ["microts", *map(str, command)],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            rows.append((name, time.perf_counter() - start))
        table = pandas.read_csv(tmp / "f.csv", usecols=["case"])
        n_cases, n_images = table["case"].nunique(), len(table)

    Table(args.output).add(
        f"{n_cases} cases, {n_images} images; {cpu_model()}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__} ({torch.get_num_threads()} threads), {platform.machine()}",
        "",
        "| command | seconds |",
        "|---|---:|",
        *(f"| microts {name} | {seconds:.1f} |" for name, seconds in rows),
        "",
        f"At the end: {load_average()}.",
    )


if __name__ == "__main__":
    main()
