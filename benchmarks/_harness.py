"""What the benchmarks share: configurations in fresh processes, tables that grow on disk.

A fresh process makes a configuration's peak resident memory its own; its time limit and
the caught failures make a configuration that hangs, fails or is killed a row of the table,
never the end of the benchmark; and a table written row by row keeps what was measured when
a run is cut short.
"""

import json
import subprocess
import sys


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
