"""What the benchmarks share: configurations in fresh processes, tables that grow on disk,
and the options that name the BreakHis folder and the feature cache.

A fresh process makes a configuration's peak resident memory its own; its time limit and
the caught failures make a configuration that hangs, fails or is killed a row of the table,
never the end of the benchmark; and a table written row by row keeps what was measured when
a run is cut short.
"""

import json
import os
import platform
import subprocess
import sys

from sklearn_microts.utils._cache import default_cache

# The BreakHis folder when none is given on the command line.
BREAKHIS_VARIABLE = "SKLEARN_MICROTS_BREAKHIS"


def run_isolated(script, arguments, time_limit):
    """The JSON the worker printed last, or a string that says why there is none."""
    try:
        completed = subprocess.run(
            [sys.executable, script, *arguments],
            capture_output=True,
            text=True,
            timeout=time_limit,
        )
    except subprocess.TimeoutExpired:
        return f"> {time_limit:.0f} s"
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        return f"failed ({last[:60]})"
    return json.loads(completed.stdout.strip().splitlines()[-1])


class Table:
    """Lines printed as they come and, with ``output``, rewritten to that file each time."""

    def __init__(self, output=None):
        self.output = output
        self.lines = []

    def add(self, *lines):
        self.lines.extend(lines)
        print("\n".join(lines), flush=True)
        if self.output:
            with open(self.output, "w") as file:
                file.write("\n".join(self.lines) + "\n")


def add_image_root(parser, help):
    """The image folder as an optional positional argument ``root``, by default the
    ``SKLEARN_MICROTS_BREAKHIS`` variable; check it with :func:`require_image_root`."""
    parser.add_argument(
        "root",
        nargs="?",
        default=os.environ.get(BREAKHIS_VARIABLE),
        help=f"{help} (default: ${BREAKHIS_VARIABLE})",
    )


def require_image_root(parser, args):
    """End with a usage error when neither the command line nor the variable names a folder."""
    if not args.root:
        parser.error(f"give the image folder as an argument or in {BREAKHIS_VARIABLE}")


def add_cache_option(parser):
    """``--cache``: the folder of the image feature cache, by default the one the ``microts``
    command line and the examples use."""
    parser.add_argument(
        "--cache",
        default=default_cache(),
        help="image feature cache folder, the microts command line's by default "
        "($SKLEARN_MICROTS_CACHE, else sklearn-microts in the user cache: %(default)s)",
    )


def agg_pyplot():
    """matplotlib.pyplot on the Agg backend: the benchmarks write figures, open no window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def cpu_model():
    """The CPU's model name and, on x86, its family and model numbers (a virtual machine may
    name only the vendor: "AMD EPYC"), from /proc/cpuinfo; else what ``platform`` knows."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    if "model name" not in fields:
        return platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        return f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    return fields["model name"]


def load_average():
    if not hasattr(os, "getloadavg"):  # Windows
        return "load average unknown"
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
