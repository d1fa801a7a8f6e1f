"""Regenerate every table and figure of the docs that a benchmark measured.

Each step runs one benchmark with the arguments its docs section names and puts its outputs
where the docs include them (``docs/_static``), printing the seconds it took. Steps that
read BreakHis run only with ``--breakhis PATH`` (or ``SKLEARN_MICROTS_BREAKHIS``); the GPU
figures come from ``bash benchmarks/gpu_check.sh`` on a CUDA machine (docs: "Running on a
GPU"), and the report screenshot from ``make_report_screenshot.py`` (it needs a headless browser).

Timings only mean something on a quiet machine: run nothing else meanwhile. On this
project's 2-core AMD EPYC the CPU steps take several hours together; the longest are
``compare`` (the full run), ``scale-long-univariate`` (100 epochs on 500 long series, then
four predictions), ``breakhis-study`` (about an hour) and ``vote`` (3 seeds at the
defaults). Each step's last time, with the machine and its load when it started, is kept
in ``docs/_static/reproduce_times.json`` (and shown as a table in
``reproduce_times.md`` and by ``--list``): a step never run through this script has none.

    python benchmarks/reproduce_docs.py --list
    python benchmarks/reproduce_docs.py softdtw cdist inference
    python benchmarks/reproduce_docs.py --all --breakhis /path/to/breakhis
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import cpu_model, load_average

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "docs" / "_static"
STUDY = STATIC / "breakhis_study"
TIMES = STATIC / "reproduce_times.json"

# The suite as docs/benchmarks.rst shows it: the datasets and methods of that run; the
# defaults were chosen on the training cases of its first eight datasets and BreakHis.
SUITE_NAMES = (
    "Musk1",
    "UCSB breast cancer",
    "Elephant",
    "GunPoint",
    "BasicMotions",
    "ItalyPowerDemand",
    "ArrowHead",
    "JapaneseVowels",
    "Web recommendation 1",
    "Protein",
    "Musk2",
    "Brown creeper",
    "OSULeaf",
    "Corel dogs",
)
SUITE_DATASETS = [arg for name in SUITE_NAMES for arg in ("--dataset", name)]
SELECTION_DATASETS = [arg for name in SUITE_NAMES[:8] for arg in ("--dataset", name)]
SUITE_METHODS = [
    arg
    for name in (
        "MicroTS",
        "ABMIL",
        "mean-pool LR (floor)",
        "statistics RF (floor)",
        "MiniRocket",
        "1-NN DTW",
    )
    for arg in ("--method", name)
]
_NARROW = '"d_model": 64, "n_heads": 2, "mlp_dim": 128, "head_hidden": 64, "pool_hidden": 64'
SELECTION_RECIPES = [
    'paper widths={"d_model": 192, "n_heads": 3, "mlp_dim": 768, "head_hidden": 192, '
    '"pool_hidden": 128}',
    'narrower={"d_model": 32, "n_heads": 2, "mlp_dim": 64, "head_hidden": 32, "pool_hidden": 32}',
    f'narrow+weight_decay={{{_NARROW}, "weight_decay": 0.01}}',
    f'narrow+frame_dropout={{{_NARROW}, "frame_dropout": 0.3}}',
]

# name: (script and arguments; "{breakhis}" is the data root, "{out}" a fresh folder, in
#       any argument),
#       {file the step writes in {out}: where the docs include it} (empty: written in place)
STEPS = {
    "softdtw": (
        ["bench_softdtw.py", "--soft-dtw-only", "--output", STATIC / "bench_softdtw.txt"],
        {},
    ),
    "cdist": (["bench_softdtw.py", "--cdist-only", "--output", STATIC / "bench_cdist.txt"], {}),
    "inference": (["bench_inference.py", "--output", STATIC / "bench_inference.txt"], {}),
    "training": (["bench_training.py", "--output", STATIC / "bench_training.txt"], {}),
    "transforms": (
        ["bench_transforms.py", "--repeat", "5", "--output", STATIC / "bench_transforms.txt"],
        {},
    ),
    "transforms-float32": (
        [
            "bench_transforms.py",
            "--repeat",
            "5",
            "--dtype",
            "float32",
            "--output",
            STATIC / "bench_transforms_float32.txt",
        ],
        {},
    ),
    "scale-cases": (
        [
            "bench_scale.py",
            "--group",
            "cases",
            "--epochs",
            "2",
            "--output",
            STATIC / "bench_scale_cases.md",
        ],
        {},
    ),
    "scale-long-case": (
        [
            "bench_scale.py",
            "--group",
            "long case",
            "--epochs",
            "2",
            "--output",
            STATIC / "bench_scale_long_case.md",
        ],
        {},
    ),
    "scale-long-univariate": (
        [
            "bench_scale.py",
            "--group",
            "long univariate",
            "--epochs",
            "100",
            "--time-limit",
            "6000",
            "--output",
            STATIC / "bench_scale_long_univariate.md",
        ],
        {},
    ),
    "long-series-plaid": (
        [
            "bench_long_series.py",
            "--data",
            "plaid",
            "--config",
            "defaults",
            "linear",
            "--output",
            STATIC / "bench_long_series_plaid.md",
        ],
        {},
    ),
    "pooled-embeddings": (
        ["bench_pooled_embeddings.py", "--output", STATIC / "bench_pooled_embeddings.md"],
        {},
    ),
    "threads": (
        ["bench_threads.py", "--cases", "20000", "--output", STATIC / "bench_threads.md"],
        {},
    ),
    "vote": (["bench_vote.py", "--output", STATIC / "bench_vote.md"], {}),
    "compare": (
        ["compare.py", "--out", "{out}"],
        {
            "table.md": STATIC / "compare_table.md",
            "results.csv": STATIC / "compare_results.csv",
            "ablations.csv": STATIC / "compare_ablations.csv",
            "compare.png": STATIC / "compare.png",
            "ablation.png": STATIC / "ablation.png",
        },
    ),
    "suite": (
        [
            "suite.py",
            *SUITE_DATASETS,
            *SUITE_METHODS,
            "--breakhis",
            "{breakhis}",
            "--out",
            "{out}",
            "--results-cache",
            "{out}/cache",
        ],
        {
            "table.md": STATIC / "suite_table.md",
            "results.csv": STATIC / "suite_results.csv",
            "ranks.png": STATIC / "suite_ranks.png",
        },
    ),
    "suite-selection": (
        [
            "suite_selection.py",
            *SELECTION_DATASETS,
            *(arg for recipe in SELECTION_RECIPES for arg in ("--candidate", recipe)),
            "--breakhis",
            "{breakhis}",
            "--out",
            "{out}",
        ],
        {"inner.md": STATIC / "suite_selection.md", "inner.csv": STATIC / "suite_selection.csv"},
    ),
    "breakhis-features": (
        ["bench_features.py", "{breakhis}", "--output", STATIC / "bench_features.txt"],
        {},
    ),
    "breakhis-cli": (
        [
            "bench_cli.py",
            "{breakhis}",
            "--magnification",
            "200",
            "--output",
            STATIC / "bench_cli.txt",
        ],
        {},
    ),
    "breakhis-example": (
        ["../examples/breakhis_end_to_end.py", "{breakhis}"],
        {"stdout": STATIC / "breakhis_fold1_200x.txt"},
    ),
    "breakhis-study": (["breakhis_study.py", "{breakhis}", "--out", STUDY], {}),
    "breakhis-trust": (
        ["breakhis_trust.py", "{breakhis}", "--out", "{out}"],
        {
            "trust.csv": STUDY / "trust.csv",
            "trust.md": STUDY / "trust.md",
            "reliability.png": STUDY / "trust_reliability.png",
        },
    ),
}


def run_step(name, breakhis):
    """Run one step; its outputs go to the docs. Returns the seconds it took."""
    arguments, outputs = STEPS[name]
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, str((ROOT / "benchmarks" / arguments[0]).resolve())]
        # Only the two placeholders are replaced: an argument may hold braces of its own (JSON).
        command += [
            str(argument).replace("{breakhis}", str(breakhis)).replace("{out}", out)
            for argument in arguments[1:]
        ]
        start = time.perf_counter()
        result = subprocess.run(
            command,
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE if "stdout" in outputs else None,
            text=True,
        )
        seconds = time.perf_counter() - start
        for produced, destination in outputs.items():
            if produced == "stdout":
                destination.write_text(result.stdout)
            else:
                shutil.copyfile(Path(out, produced), destination)
    return seconds


def recorded_times():
    """``{step: {"seconds", "date", "machine"}}`` of the steps run through this script."""
    return json.loads(TIMES.read_text()) if TIMES.exists() else {}


def record_time(name, seconds, machine):
    """Keep a step's time, and write the table of every step's last time."""
    times = recorded_times()
    times[name] = {
        "seconds": round(seconds),
        "date": datetime.date.today().isoformat(),
        "machine": machine,
    }
    TIMES.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    rows = [
        f"| {step} | {times[step]['seconds']:,} | {times[step]['date']} | "
        f"{times[step]['machine']} |"
        for step in STEPS
        if step in times
    ]
    untimed = [step for step in STEPS if step not in times]
    table = ["| step | seconds | date | machine at the start |", "|---|---:|---|---|", *rows]
    if untimed:
        table += ["", f"Not yet timed through this script: {', '.join(untimed)}."]
    TIMES.with_suffix(".md").write_text("\n".join(table) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="*", help=f"steps to run, among {', '.join(STEPS)}")
    parser.add_argument(
        "--all", action="store_true", help="every step (BreakHis' with --breakhis)"
    )
    parser.add_argument("--list", action="store_true", help="print the steps and their commands")
    parser.add_argument(
        "--breakhis",
        default=os.environ.get("SKLEARN_MICROTS_BREAKHIS"),
        help="BreakHis root (default: $SKLEARN_MICROTS_BREAKHIS)",
    )
    args = parser.parse_args()
    if args.list:
        times = recorded_times()
        for name, (arguments, _) in STEPS.items():
            relative = [os.path.relpath(a, ROOT) if isinstance(a, Path) else a for a in arguments]
            shown = " ".join(a if " " not in a else repr(a) for a in relative)
            last = f"{times[name]['seconds']:>7,} s" if name in times else "  not timed"
            print(f"{name:22} {last}  python benchmarks/{shown}")
        return
    steps = list(STEPS) if args.all else args.steps
    if not steps:
        parser.error("name steps to run, or --all, or --list")
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; --list shows them")
    needs_data = [name for name in steps if "{breakhis}" in map(str, STEPS[name][0])]
    if needs_data and not args.breakhis:
        if not args.all:
            parser.error(f"{', '.join(needs_data)} need --breakhis PATH")
        print(f"skipped (no --breakhis): {', '.join(needs_data)}")
        steps = [name for name in steps if name not in needs_data]
    total = 0.0
    for name in steps:
        machine = f"{cpu_model()}, {os.cpu_count()} logical CPUs, {load_average()}"
        seconds = run_step(name, args.breakhis)
        record_time(name, seconds, machine)
        total += seconds
        print(f"{name}: {seconds:.0f} s", flush=True)
    print(f"all {len(steps)} steps: {total:.0f} s")


if __name__ == "__main__":
    main()
