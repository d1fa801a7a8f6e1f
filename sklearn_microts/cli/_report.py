"""The case report: a static HTML page a pathologist reads, least confident case first
(for a calibrated model, the cases it refers first, each with the reason in words).

The page and its images sit in one folder (``index.html``, ``cases/*.png``,
``predictions.csv``); links are relative, nothing is fetched from a server or the internet,
so the folder can be zipped, mailed or opened from a USB stick.
"""

import html
from pathlib import Path

import numpy as np

from ..plotting import CaseEvidenceDisplay
from ..utils._files import write_atomically
from ._data import write_table
from ._trust import calibration_words, referral_reason, share_interval

INDEX, PREDICTIONS = "index.html", "predictions.csv"
# A probability is read as a frequency ("of the cases given 0.8, about 8 in 10 are right")
# only where the calibration cases could pin 8 in 10 down to within one in 10 either way: a
# 95% interval of 8 in 10 of them at most this wide (70 cases and more).
FREQUENCY_INTERVAL_WIDTH = 0.2

# Clicking a column header sorts by it (numbers numerically); the page works without it.
SCRIPT = """
const body = document.querySelector("tbody");
document.querySelectorAll("th[data-sort]").forEach((header) => {
  header.addEventListener("click", () => {
    const ascending = header.dataset.order !== "ascending";
    const column = header.cellIndex;
    const numeric = header.dataset.sort === "number";
    const key = (row) => row.cells[column].dataset.value;
    // Each case row moves with the evidence row below it.
    const pairs = Array.from(body.querySelectorAll("tr.case"), (row) => [
      row,
      row.nextElementSibling,
    ]);
    pairs.sort(([a], [b]) => {
      const order = numeric ? key(a) - key(b) : key(a).localeCompare(key(b));
      return ascending ? order : -order;
    });
    document.querySelectorAll("th").forEach((other) => delete other.dataset.order);
    header.dataset.order = ascending ? "ascending" : "descending";
    pairs.forEach((pair) => body.append(...pair));
  });
});
document.body.dataset.sortable = "yes";
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left;
         vertical-align: top; }
th[data-sort] { cursor: pointer; background: #f3f3f3; }
th[data-order="ascending"]::after { content: " \\25B2"; }
th[data-order="descending"]::after { content: " \\25BC"; }
tr.wrong td.prediction { color: #b00020; font-weight: bold; }
tr.referred td:first-child { border-left: 4px solid #d97706; }
p.reason { margin: 0.2em 0; color: #7c2d12; }
tr.split td.strategies { background: #fff4d6; }
tr.case td { border-bottom: none; }
tr.evidence td { padding-top: 0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { white-space: nowrap; }
img { max-width: 100%; }
"""


def report_files(out):
    """The files a report writes in the folder ``out`` that could be another's: all but its
    evidence images (``cases/``)."""
    return [Path(out) / INDEX, Path(out) / PREDICTIONS]


def write_report(cases, evidence, table, out, *, title, trust=None):
    """Write ``index.html``, one evidence image per case and ``predictions.csv`` to ``out``.

    Parameters
    ----------
    cases : Cases
        The cases (names, features, labels, images).
    evidence : Evidence
        The model's outputs on them.
    table : pandas.DataFrame
        Their predictions, one row per case.
    out : Path
        Output folder, created if needed.
    title : str
        Title of the page.
    trust : Trust, default=None
        The model's calibration (``fit --calibrate``): referred cases come first, and each
        says why.

    Returns
    -------
    index : Path
        The page.
    """
    from tqdm.auto import tqdm

    out = Path(out)
    (out / "cases").mkdir(parents=True, exist_ok=True)
    write_table(table, out / PREDICTIONS)
    confidence = table["confidence"].to_numpy()
    # Referred cases first, then the least confident: where review starts.
    order = np.lexsort((confidence, ~table["refer"].to_numpy(bool)) if trust else (confidence,))
    rows = []
    for i in tqdm(order, desc="case report", unit="case"):
        image = f"cases/case-{i:04d}.png"
        _evidence_figure(cases, evidence, i).savefig(out / image, dpi=90)
        row = table.iloc[i]
        reason = referral_reason(row, trust) if trust and row["refer"] else None
        # The first case opens with its evidence shown.
        rows.append(_row(row, image, list(evidence.strategy_proba), reason=reason, open_=not rows))
    index = out / INDEX
    page = _page(title, table, rows, list(evidence.strategy_proba), trust=trust)
    write_atomically(index, lambda file: file.write(page.encode("utf-8")))
    return index


def _evidence_figure(cases, evidence, i):
    """The evidence strip of case ``i`` on a figure of its own (no pyplot: no global state)."""
    from matplotlib.figure import Figure

    figure = Figure(layout="constrained")
    display = CaseEvidenceDisplay.from_evidence(
        evidence,
        i,
        images=None if cases.images is None else cases.images[i],
        y_true=None if cases.y is None else cases.y[i],
        case_name=cases.names[i],
        ax=figure.add_subplot(),
    )
    figure.set_size_inches(display.figsize)
    return figure


def _cell(text, value=None, css=None):
    value = text if value is None else value
    css = f' class="{css}"' if css else ""
    return f'<td{css} data-value="{html.escape(str(value))}">{html.escape(str(text))}</td>'


def _row(row, image, strategies, *, reason=None, open_=False):
    calls = [str(row[name]) for name in strategies]
    classes = ["referred"] if reason else []
    if "label" in row and str(row["label"]) != str(row["prediction"]):
        classes.append("wrong")
    if len(set(calls)) > 1:
        classes.append("split")
    strategy_text = ", ".join(
        f"{name}: {row[name]} ({row[f'{name}_proba']:.2f})" for name in strategies
    )
    cells = [
        _cell(row["case"]),
        *([_cell(row["label"])] if "label" in row else []),
        _cell(row["prediction"], css="prediction"),
        _cell(f"{row['confidence']:.3f}", row["confidence"], css="number"),
        *(_trust_cells(row) if "refer" in row else []),
        _cell(strategy_text, len(set(calls)), css="strategies"),
        _cell(f"{row['n_kept']} / {row['n_frames']}", row["n_frames"], css="number"),
    ]
    why = f'<p class="reason">{html.escape(reason)}</p>' if reason else ""
    evidence = (
        f'<tr class="evidence"><td colspan="{len(cells)}">{why}'
        f"<details{' open' if open_ else ''}>"
        f'<summary>evidence</summary><a href="{image}"><img src="{image}" '
        f'alt="evidence of case {html.escape(str(row["case"]))}" loading="lazy"></a>'
        "</details></td></tr>"
    )
    return f'<tr class="case {" ".join(classes)}">{"".join(cells)}</tr>\n{evidence}'


def _trust_cells(row):
    return [
        _cell("refer" if row["refer"] else "decide", int(row["refer"])),
        _cell(row["prediction_set"]),
    ]


def _page(title, table, rows, strategies, *, trust=None):
    headers = [
        ("case", "text"),
        *([("label", "text")] if "label" in table.columns else []),
        ("prediction", "text"),
        ("calibrated probability" if trust else "confidence", "number"),
        *([("decide or refer", "number"), ("prediction set", "text")] if trust else []),
        ("strategies (" + ", ".join(strategies) + ")", "number"),
        ("frames kept / taken", "number"),
    ]
    head = "".join(f'<th data-sort="{kind}">{html.escape(name)}</th>' for name, kind in headers)
    n_wrong = sum('class="case wrong' in row for row in rows)
    wrong = f" {n_wrong} wrong (in red)." if "label" in table.columns else ""
    if trust:
        opening = _trust_opening(table, trust)
    else:
        opening = f"{len(rows)} cases, least confident first: review these first."
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>{opening} Click a header to sort.
Shaded strategies disagree.{wrong} Each case's evidence shows its frames, their class
probabilities and their weight in the decision; shaded frames were removed as
near-duplicates. <a href="{PREDICTIONS}">{PREDICTIONS}</a></p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<script>{SCRIPT}</script>
</body>
</html>
"""


def _trust_opening(table, trust):
    """The report's opening for a calibrated model: what it refers, per class of call, and
    what its thresholds and probabilities rest on, in numbers with their intervals."""
    referred = table["refer"].to_numpy(bool)
    calls = table["prediction"].astype(str).to_numpy()
    records = trust.call_record()
    per_class = []
    for record in records:
        mine = calls == str(record.label)
        if mine.any():
            per_class.append(f"{referred[mine].sum()} of its {mine.sum()} {record.label} calls")
    errors = [
        f"its {r.label} calls were wrong in {r.n_wrong} of {r.n_calls} "
        f"({_percent_interval(r.n_wrong, r.n_calls)})"
        for r in records
        if r.n_calls
    ]
    alpha, n = trust.conformal.alpha, trust.n_held_out
    unruled = "".join(
        f" Too few {label} training cases ({count}) to ever rule {label} out at "
        f"{1 - alpha:.0%}: every set holds it."
        for label, count in trust.conformal.classes_always_in_set().items()
    )
    order = (
        "they come first, each with the reason, then the others, least sure first"
        if referred.any()
        else "the least sure come first"
    )
    return (
        f"{len(table)} cases. The model refers {referred.sum()} to a pathologist "
        f"({'; '.join(per_class)}): {order}. What this rests on: {n} training cases, each "
        f"called by a model that had not trained on them; {trust.n_right()} of them right "
        f"({_percent_interval(trust.n_right(), n)}); {'; '.join(errors)}. Of each class, "
        "the least sure calls are referred, more of a class that erred more. Calibration: "
        f"{calibration_words(trust.calibrated)}. {probability_reading(n)} A prediction set "
        "holds the true class "
        f"of about {1 - alpha:.0%} of the cases of each class, as far as those {n} cases "
        f"tell; two classes in it is a case to look at.{unruled}"
    )


def _percent_interval(k, n):
    """``k`` of ``n`` as a percentage, with its 95% interval."""
    low, high = share_interval(k, n)
    return f"{k / n:.0%}, 95% interval {low:.0%} to {high:.0%}"


def probability_reading(n):
    """How far a probability can be read as a frequency, calibrated on ``n`` cases.

    Only where the 95% interval of 8 in 10 of ``n`` cases is at most
    ``FREQUENCY_INTERVAL_WIDTH`` wide is a probability of 0.8 said to be about 8 in 10
    right; below that the sentence gives how wide it is, at best.
    """
    low, high = share_interval(round(0.8 * n), n)
    if high - low <= FREQUENCY_INTERVAL_WIDTH:
        return (
            f"Of the cases given 0.8, about 8 in 10 are right ({n} calibration cases: 95% "
            f"interval {low:.0%} to {high:.0%})."
        )
    return (
        f"{n} calibration cases are too few to read a probability as a frequency: even "
        f"were all of them given 0.8 and 8 in 10 right, the share right of such cases could "
        f"be anywhere from {low:.0%} to {high:.0%} (95% interval). Read the probabilities as "
        "an order, the least sure first."
    )
