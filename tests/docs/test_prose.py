"""The prose of the README and the docs against the tables and the code beside it.

- A ratio written ``1.32x`` in the text of a section quotes a ratio cell of a table that the
  section includes (a cell such as ``12.7x``, or a number of a column headed ``x ...``),
  at the precision the text gives; ``a to bx`` quotes two cells of one table. A ratio the
  text derives itself (one column over another) is written "times", not ``x``.
- Every included file of timings names the machine it was measured on, or the section that
  includes it says that it names none.
- The docs describe the package as it is: no development history (targets, commit hashes,
  fixes, CI details), which belongs in ``CHANGELOG.md``.
- The README's quick start runs.
"""

import contextlib
import io
import itertools
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
TEXTS = [*PAGES, ROOT / "README.md"]

# A section of a page: its title and the "=" line under it.
SECTION = re.compile(r"^[^\n]+\n=+\n", re.M)
INCLUDE = re.compile(r"^\s*\.\. literalinclude:: (_static/\S+)", re.M)
# A directive and its indented body (tables, code, images): not prose.
DIRECTIVE = re.compile(r"^( *)\.\. [\w:-]+::.*\n(?:(?:\1 +.*)?\n)*", re.M)
NUMBER = r"(\d+(?:\.\d+)?)"
RATIO_CELL = re.compile(rf"^\**{NUMBER}x\**$")
# 1.32x, 8.9x to 13.7x, 6.0 to 12.1x; not 250x75 (a shape) nor x86_64.
PROSE_RANGE = re.compile(rf"(?<![\w.]){NUMBER}x? to {NUMBER}x(?![\w])")
PROSE_RATIO = re.compile(rf"(?<![\w.]){NUMBER}x(?![\w])")

# Machines a file of timings can name.
MACHINE = re.compile(r"AMD EPYC|Intel|NVIDIA|Apple M\d")
NAMES_NONE = re.compile(
    r"names? no (?:CPU|GPU)|recorded no CPU|CPU not recorded|does\s+not\s+name"
)
TIMING = re.compile(r"seconds|s / epoch|ns per|images/s|\bfit s\b|\d s\b", re.I)

HISTORY = [
    r"issue [0-9]",
    r"commit `*[0-9a-f]{7}",
    r"user's report",
    r"since fixed",
    r"aimed at",
    r"\bbudget\b",
    r"before the fix",
    r"today's",
    r"\bCI\b",
    r"\.ci/",
]


def _sections(text):
    """``[(title, body)]`` of a page, split at its "=" sections (subsections stay inside)."""
    starts = [match.start() for match in SECTION.finditer(text)]
    bounds = [0, *starts, len(text)]
    return [text[start:end] for start, end in itertools.pairwise(bounds) if text[start:end]]


def _table_ratios(path):
    """The ratio cells of each markdown table of an included file: ``[[value, ...], ...]``."""
    tables, rows = [], []
    for line in [*path.read_text().splitlines(), ""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if rows:
            header, body = rows[0], [row for row in rows[1:] if not set("".join(row)) <= set("-:")]
            ratio_columns = {i for i, name in enumerate(header) if name.startswith("x ")}
            values = []
            for row in body:
                for i, cell in enumerate(row):
                    match = RATIO_CELL.match(cell)
                    if match:
                        values.append(match.group(1))
                    elif i in ratio_columns and re.fullmatch(NUMBER, cell):
                        values.append(cell)
            if values:
                tables.append(values)
            rows = []
        overhead = re.match(rf"^[\w ]+: {NUMBER}x$", line)
        if overhead:
            tables.append([overhead.group(1)])
    return tables


def _quotes(claim, cell):
    """Whether a ratio written ``claim`` in the text is ``cell`` at the text's precision."""
    decimals = len(claim.partition(".")[2])
    return math.isclose(round(float(cell), decimals), float(claim), abs_tol=1e-9)


def _ratio_problems(page):
    problems = []
    for section in _sections(page.read_text()):
        tables = [
            table for path in INCLUDE.findall(section) for table in _table_ratios(DOCS / path)
        ]
        if not tables:
            continue
        prose = DIRECTIVE.sub("", section)
        title = section.splitlines()[0]
        for match in PROSE_RANGE.finditer(prose):
            low, high = match.groups()
            if not any(
                any(_quotes(low, cell) for cell in table)
                and any(_quotes(high, cell) for cell in table)
                for table in tables
            ):
                problems.append(f"{title}: {match.group(0)!r} is not two cells of one table")
        singles = PROSE_RATIO.finditer(PROSE_RANGE.sub("", prose))
        for match in singles:
            if not any(_quotes(match.group(1), cell) for table in tables for cell in table):
                problems.append(f"{title}: {match.group(0)!r} is no cell of its tables")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_ratios_in_prose_quote_the_tables_beside_them(page):
    problems = _ratio_problems(page)
    assert not problems, f"{page.name}: " + "; ".join(problems)


def test_the_ratio_check_reads_the_tables():
    """The check above finds the ratio cells of the pages' tables: it is not vacuous."""
    text = (DOCS / "benchmarks.rst").read_text()
    checked = [section for section in _sections(text) if INCLUDE.findall(section)]
    with_ratios = [
        section
        for section in checked
        if any(_table_ratios(DOCS / path) for path in INCLUDE.findall(section))
    ]
    assert len(with_ratios) >= 5
    assert ["1.00", "2.26", "2.14", "10.23", "1.00", "1.00", "1.04"] in _table_ratios(
        DOCS / "_static" / "bench_transforms.txt"
    )
    assert "12.7" in _table_ratios(DOCS / "_static" / "bench_softdtw.txt")[0]


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_included_timings_name_their_machine(page):
    problems = []
    for section in _sections(page.read_text()):
        for path in INCLUDE.findall(section):
            content = (DOCS / path).read_text()
            unnamed = TIMING.search(content) and not MACHINE.search(content)
            if unnamed and not NAMES_NONE.search(" ".join(section.split())):
                problems.append(path)
    assert not problems, (
        f"{page.name} includes timings that name no machine, and does not say so: {problems}"
    )


@pytest.mark.parametrize("text", TEXTS, ids=lambda path: path.name)
def test_no_development_history(text):
    content = " ".join(text.read_text().split())
    found = [
        match.group(0)
        for pattern in HISTORY
        for match in re.finditer(pattern, content, flags=re.I if pattern[0] != "\\" else 0)
    ]
    assert not found, f"{text.name} tells development history (CHANGELOG.md's): {found}"


def test_readme_quick_start_runs():
    """The README's first Python block runs as written, for 2 epochs instead of 100."""
    pytest.importorskip("torch")
    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    short = code.replace(
        "MicroTSClassifier(random_state=0)", "MicroTSClassifier(random_state=0, max_epochs=2)"
    )
    assert short != code, "the quick start no longer builds MicroTSClassifier(random_state=0)"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(short, "README.md", "exec"), {})
    assert re.fullmatch(r"accuracy on 50 new cases: [01]\.\d\d\n", printed.getvalue())
