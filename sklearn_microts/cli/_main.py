"""``microts``: from a folder of microscope captures to predictions and a case report.

Four commands, each with ``--help``::

    microts features ROOT --out features.csv       # images -> one row per image
    microts fit features.csv --model model.microts  # train the pipeline
    microts predict model.microts ROOT|TABLE --out predictions.csv
    microts report model.microts ROOT|TABLE --out report/

Bad input (a missing folder, an unreadable image, a model file of a newer format, an
output that is one of the inputs) ends with one line on standard error and exit status 2,
before anything is written; a model of another version of the package warns, as
:func:`sklearn_microts.io.load_model` does. Tables are replaced only once complete; in a
CSV, a text cell that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return, other than a number) is written with a ``'`` in
front (reading the table back takes it off).
"""

import argparse
import linecache
import os
import sys
from pathlib import Path

from .._version import __version__
from ._data import (
    Cases,
    cases_to_table,
    check_not_input,
    check_table_path,
    default_cache,
    extract_features,
    image_cases,
    load_cases,
    match_features,
    read_table,
    table_to_cases,
    write_table,
)
from ._errors import UsageError
from ._model import check_device, load_model, make_model, save_model
from ._predictions import checked_evidence, predictions_table
from ._trust import describe_trust, fit_trusted

EXIT_USAGE, EXIT_BUG = 2, 1
# Where a ValueError means bad input: the checks of the package and of scikit-learn, and the
# readers of tables, images and tensors.
_CHECKERS, _READERS = {"sklearn_microts", "sklearn"}, {"pandas", "pyarrow", "PIL", "safetensors"}
# Set (to anything), it shows the traceback of every error, as --traceback does.
TRACEBACK_VARIABLE = "MICROTS_TRACEBACK"
# --order: the order of load_image_sequences each choice stands for.
ORDERS = {"name": "name", "capture-time": "capture_time"}
# Said of every CSV the command line writes.
CSV_HELP = "; in a CSV, text a spreadsheet would run as a formula (=, +, -, @) gets a ' in front"


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line and exit status 2."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv=None):
    """Run the ``microts`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 on bad input (one line on standard error), 1 on an error of the
        package itself (one line too; ``--traceback`` shows where).
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.traceback or os.environ.get(TRACEBACK_VARIABLE):
        args.run(args)
        return 0
    try:
        args.run(args)
    except (UsageError, ValueError, OSError) as exc:
        # One line: a traceback tells a lab nothing about which file or option to fix.
        message = " ".join(str(exc).split()) or type(exc).__name__
        if not _raised_on_purpose(exc):
            print(
                f"microts {args.command}: internal error: {type(exc).__name__}: {message} "
                f"(this is a bug of sklearn-microts, not of your input: rerun with "
                f"--traceback and report it)",
                file=sys.stderr,
            )
            return EXIT_BUG
        print(f"microts {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _raised_on_purpose(exc):
    """Whether ``exc`` reports bad input: the command line's own errors, those of the file
    system, a ``ValueError`` of a table, image or tensor reader, and one that a ``raise``
    of the package or of scikit-learn's validation wrote. Raised inside numpy or torch (a
    shape we got wrong), it is a bug of ours, not something the user can fix."""
    if isinstance(exc, (UsageError, OSError)):
        return True
    traceback = exc.__traceback__
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    frame = traceback.tb_frame
    package = frame.f_globals.get("__name__", "").partition(".")[0]
    if package in _READERS:
        return True
    # numpy's and torch's errors come from C: their innermost Python frame is the caller's
    # line, a call, not a raise statement.
    line = linecache.getline(frame.f_code.co_filename, traceback.tb_lineno).lstrip()
    return package in _CHECKERS and line.startswith("raise ")


def _features(args):
    # Before minutes of extraction, not after.
    check_not_input([check_table_path(args.out)], [args.labels])
    names, images, y, patients = image_cases(args.root, **_selection(args))
    X = extract_features(images, **_extraction(args))
    table = cases_to_table(Cases(names=names, X=X, y=y, images=images, patients=patients))
    write_table(table, args.out)
    print(f"{len(names)} cases, {len(table)} images -> {args.out}")


def _fit(args):
    check_not_input([args.model], [args.table])
    cases = table_to_cases(read_table(args.table), source=args.table)
    if cases.y is None:
        raise UsageError(
            f"{args.table} has no labels: give them to `microts features` (--labels, or "
            "BreakHis' layout)."
        )
    model, trust = make_model(args.param), None
    if args.calibrate:
        model, trust = fit_trusted(
            model,
            cases.X,
            cases.y,
            folds=args.calibration_folds,
            coverage=args.coverage,
            alpha=args.alpha,
        )
    else:
        model.fit(cases.X, cases.y)
    save_model(model, args.model, feature_names=cases.feature_names, trust=trust)
    if trust is not None:
        print(describe_trust(trust, folds=args.calibration_folds))
    history = model[-1].history_
    if "valid_loss" in history[-1]:
        best = min(history, key=lambda epoch: epoch["valid_loss"])
        loss = f"best valid_loss {best['valid_loss']:.4f} at epoch {best['epoch']}"
    else:  # too few cases to hold some out (the classifier's validation_fraction)
        loss = f"final train_loss {history[-1]['train_loss']:.4f}, no validation split"
    print(f"{len(cases.X)} cases, {len(history)} epochs; {loss} -> {args.model}")


def _predict(args):
    table = _predictions(args, outputs=[args.out])[2]
    write_table(table, args.out)
    print(f"{len(table)} cases -> {args.out}")


def _report(args):
    from ._report import report_files, write_report

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a folder.")
    cases, evidence, table, trust = _predictions(args, outputs=report_files(out))
    index = write_report(
        cases,
        evidence,
        table,
        out,
        title=f"{Path(args.source).name}: case report",
        trust=trust,
    )
    print(f"{len(table)} cases -> {index}")


def _predictions(args, *, outputs):
    """The cases of ``args.source``, the model's evidence on them, its predictions table and
    its trust (``None`` unless fitted with ``--calibrate``), once none of the files the
    command writes (``outputs``) is one of its inputs."""
    check_not_input(outputs, [args.model, args.source, args.labels])
    fitted = load_model(args.model, trust_pickle=args.trust_pickle)
    model, n_features, trust = fitted
    cases = load_cases(args.source, **_selection(args), **_extraction(args))
    # A pickle of an earlier version names no features: only their number is checked.
    names = getattr(fitted, "feature_names", None)
    cases = match_features(cases, names, source=args.source)
    evidence = checked_evidence(model, cases.X, n_features=n_features)
    return cases, evidence, predictions_table(cases, evidence, trust), trust


def _selection(args):
    """Which images of a folder make the cases, in which order (the options of
    :func:`_image_options`)."""
    return {
        "labels": args.labels,
        "magnification": args.magnification,
        "pattern": args.pattern,
        "order": ORDERS[args.order],
    }


def _extraction(args):
    return {
        "cache": None if args.no_cache else args.cache,
        "batch_size": args.batch_size,
        "device": args.device,
        "n_threads": args.threads,
    }


def _positive_int(text):
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _build_parser():
    parser = _Parser(
        prog="microts",
        description="Classify microscope image sequences (one case = the frames of one "
        "slide, in acquisition order) and report the evidence behind each call.",
        epilog="Run `microts COMMAND --help` for the options of a command. What is safe: a "
        "model file, a feature table and the feature cache hold numbers and text only, so "
        "reading one runs no code; a damaged or crafted model file is refused with one line "
        "(its members are checksummed, its sizes capped, and only regular files are read); "
        "no output is written over an input. What you must still trust: whoever can write a "
        "model file, a table or the cache folder can change the predictions they give "
        "(the checksums catch damage, not forgery), so share them as you share the images; "
        "--trust-pickle runs any code an old pickle holds.",
    )
    parser.add_argument("--version", action="version", version=f"sklearn-microts {__version__}")
    parser.add_argument(
        "--traceback",
        action="store_true",
        help=f"show the full traceback of an error (also with ${TRACEBACK_VARIABLE} set)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    features = _command(
        commands,
        "features",
        _features,
        "images -> a table of frame features (one row per image)",
        "Extract EfficientNet-Lite0 features of every image, with a progress bar; features "
        "are cached on the images' content, so an interrupted run resumes.",
    )
    features.add_argument("root", help="BreakHis' folder, or a folder of one sub-folder per case")
    features.add_argument(
        "--out", required=True, help=f"the table: .csv, or .parquet (pyarrow){CSV_HELP}"
    )
    _image_options(features)

    fit = _command(
        commands,
        "fit",
        _fit,
        "train DedupTransformer + MicroTSClassifier on a feature table",
        "Fit make_pipeline(DedupTransformer(), MicroTSClassifier()) and save it with the "
        "package version; prints the losses of every epoch.",
    )
    fit.add_argument(
        "table",
        help="feature table of `microts features`, with labels: one row per frame, with its "
        "case, its order (a number, by which the frames of a case are sorted) and its "
        "features f0, f1, ... (the model records their names)",
    )
    fit.add_argument("--model", required=True, help="where to save the model, e.g. model.microts")
    fit.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of DedupTransformer or MicroTSClassifier, e.g. max_epochs=30 or "
        "drop_fraction=0.1 (repeat for several)",
    )
    trust = fit.add_argument_group(
        "calibration",
        "With --calibrate, every training case is predicted by a model that did not train "
        "on it (stratified cross-fitting), then the model is fitted on all of them, as "
        "without --calibrate: the same calls. On those out-of-fold predictions, a "
        "temperature calibrates its probabilities (it changes no call and, for two classes, "
        "keeps the order of the cases; used only where nested cross-fitting finds it "
        "helps), the referral thresholds are chosen (the least sure calls of each class, "
        "more of a class that erred more) and the prediction sets are calibrated, class by "
        "class. predict and report then give a calibrated probability, a refer column and "
        "the prediction set of each case.",
    )
    trust.add_argument("--calibrate", action="store_true", help="calibrate, refer and give sets")
    trust.add_argument(
        "--calibration-folds",
        type=_folds,
        default=5,
        help="folds of the cross-fitting, at least 3 and at most the training cases of the "
        "rarest class; k folds cost k + k(k - 1)/2 more fits of the model (default 5: 15)",
    )
    trust.add_argument(
        "--coverage",
        type=_share,
        default=0.8,
        help="share of the training cases, predicted out of fold, to decide; the others are "
        "referred (default 0.8)",
    )
    trust.add_argument(
        "--alpha",
        type=_share,
        default=0.1,
        help="prediction sets hold the true class with probability about 1 - alpha, within "
        "each class; a class of fewer than 1/alpha - 1 training cases is in every set "
        "(default 0.1)",
    )

    for name, run, out_help, summary in (
        (
            "predict",
            _predict,
            f"the predictions (.csv), one row per case{CSV_HELP}",
            "predict each case",
        ),
        ("report", _report, "folder of the HTML report", "an HTML report, least sure first"),
    ):
        command = _command(
            commands,
            name,
            run,
            summary,
            f"{summary[0].upper()}{summary[1:]} with a model of `microts fit`.",
        )
        command.add_argument("model", help="model file of `microts fit`")
        command.add_argument(
            "--trust-pickle",
            action="store_true",
            help="also load a model pickled by an earlier version (a pickle runs any code it "
            "holds: only for a file you trust)",
        )
        command.add_argument(
            "source",
            help="feature table (its feature columns found by name, in any order: the ones "
            "the model was fitted on, no other), or image folder as for `features`",
        )
        command.add_argument("--out", required=True, help=out_help)
        _image_options(command)
    return parser


def _share(text):
    """A number in (0, 1] for argparse (1 only makes sense for --coverage; the
    estimators reject it elsewhere with a clear message)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not in (0, 1]")
    return value


def _folds(text):
    """``--calibration-folds``: a whole number of at least 3 (the nested cross-fitting that
    chooses whether to scale by the temperature needs a third fold)."""
    value = _positive_int(text)
    if value < 3:
        raise argparse.ArgumentTypeError(f"{text!r} folds: the calibration needs at least 3")
    return value


def _device(text):
    """``--device``, checked before any work: a device this machine has."""
    try:
        return check_device(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _command(commands, name, run, summary, description):
    """The sub-command ``name``, which ``run(args)`` carries out."""
    command = commands.add_parser(name, help=summary, description=description)
    command.set_defaults(run=run)
    return command


def _image_options(command):
    """The options of the commands that read images: which ones, and how to extract them."""
    command.add_argument(
        "--labels",
        help="CSV with columns case,label for a folder of case sub-folders: one row per case, "
        "its name as the folder's (read as text: 001 is not 1)",
    )
    command.add_argument(
        "--magnification",
        type=int,
        choices=(40, 100, 200, 400),
        help="BreakHis: keep one magnification (default: all)",
    )
    command.add_argument(
        "--pattern", default="*.png", help="glob of the images in a case folder (default *.png)"
    )
    command.add_argument(
        "--order",
        choices=tuple(ORDERS),
        default="name",
        help="frame order in a case folder: name, natural file-name order (frame2 before "
        "frame10; the default), or capture-time, the EXIF DateTimeOriginal (else DateTime) "
        "of every frame, or the file modification time of every frame where none has one "
        "(a case where only some have one is an error); ties in name order",
    )
    command.add_argument(
        "--cache",
        default=default_cache(),
        help="feature cache folder (default $SKLEARN_MICROTS_CACHE or ~/.cache/sklearn-microts)",
    )
    command.add_argument("--no-cache", action="store_true", help="do not cache features")
    command.add_argument("--batch-size", type=int, default=32, help="images per batch (32)")
    command.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="torch threads of the feature extraction (default: torch's own count; 1 is "
        "often much faster on a machine busy with other work)",
    )
    command.add_argument(
        "--device",
        type=_device,
        default="auto",
        help="torch device of the feature extraction: auto (CUDA where available, else the "
        "CPU; the default), cpu, cuda, cuda:N or mps",
    )
