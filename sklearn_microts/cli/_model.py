"""Model files of the command line: the fitted pipeline with the package version that made it.

A pickled pipeline is only guaranteed to load and predict the same with the version that
wrote it, so :func:`load_model` refuses a file from any other version. The file holds
pickles in turn: a small header (format, version, feature size, whether calibrated) read
first, so that a foreign version is named even when its pipeline would not unpickle here;
the pipeline; and, for ``fit --calibrate``, its :class:`~._trust.Trust`.
"""

import ast
import pickle
from pathlib import Path

import joblib
from sklearn.pipeline import make_pipeline

from .. import __version__
from ..classifiers import MicroTSClassifier
from ..preprocessing import DedupTransformer
from ._errors import UsageError

FORMAT = "sklearn-microts model"


def make_model(params):
    """``make_pipeline(DedupTransformer(), MicroTSClassifier(verbose=1))`` with ``params``.

    ``params`` are ``name=value`` strings; a name without a step prefix goes to the step
    that has it (the classifier first), e.g. ``max_epochs=30`` or ``drop_fraction=0.1``.
    Values are Python literals; anything else is a string.
    """
    model = make_pipeline(DedupTransformer(), MicroTSClassifier(verbose=1))
    names = model.get_params().keys()
    settings = {}
    for param in params:
        name, sep, text = param.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {param!r} is not of the form name=value.")
        full = name
        if "__" not in name:
            prefixed = (f"{step}__{name}" for step in ("microtsclassifier", "deduptransformer"))
            full = next((candidate for candidate in prefixed if candidate in names), name)
        if full not in names:
            raise UsageError(
                f"--param {name!r} is not a parameter of DedupTransformer or MicroTSClassifier."
            )
        settings[full] = _literal(text)
    try:
        return model.set_params(**settings)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--param: {exc}") from exc


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def save_model(model, path, *, n_features, trust=None):
    """Write the header, the fitted pipeline and its ``trust`` (if any) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "version": __version__,
        "n_features": n_features,
        "calibrated": trust is not None,
    }
    with path.open("wb") as file:
        pickle.dump(header, file)
        joblib.dump(model, file)
        if trust is not None:
            joblib.dump(trust, file)


def load_model(path):
    """The fitted pipeline, its feature size and its trust (``None`` if not calibrated)
    from a file of :func:`save_model`.

    Only load files you trust: a model file is a pickle.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{str(path)!r} is not a file.")
    with path.open("rb") as file:
        try:
            header = pickle.load(file)
        except Exception as exc:  # a pickle fails in many ways; all mean "not our model"
            raise UsageError(f"{path} is not a model of `microts fit`: {exc}") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise UsageError(f"{path} is not a model of `microts fit`.")
        if header["version"] != __version__:
            raise UsageError(
                f"{path} was made by sklearn-microts {header['version']}; this is "
                f"{__version__}: refit it with `microts fit`."
            )
        model = joblib.load(file)
        return model, header["n_features"], joblib.load(file) if header["calibrated"] else None
