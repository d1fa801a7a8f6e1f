"""The training parameters every neural classifier shares come from one table,
``TRAINING_PARAMETERS``: each estimator of the family takes them all in its signature,
checks them at fit with the table's constraints, documents them, and leaves their storing to
the base ``__init__``."""

import ast
import inspect

import pytest
from numpydoc.docscrape import NumpyDocString

import sklearn_microts
import sklearn_microts.baselines
from sklearn_microts import MicroTSClassifier
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)
from sklearn_microts.classifiers._base import TRAINING_PARAMETERS, BaseSequenceClassifier

FAMILY = [
    MicroTSClassifier,
    LSTMClassifier,
    GRUClassifier,
    TransformerClassifier,
    ABMILClassifier,
    TransMILClassifier,
]


def test_the_family_is_every_public_sequence_classifier():
    # A new estimator of the family is then checked below without being listed by hand.
    public = {
        obj
        for module in (sklearn_microts, sklearn_microts.baselines)
        for obj in map(module.__dict__.get, module.__all__)
        if inspect.isclass(obj) and issubclass(obj, BaseSequenceClassifier)
    }
    assert public == set(FAMILY)


@pytest.mark.parametrize("estimator", FAMILY)
def test_every_training_parameter_is_in_the_signature_keyword_only(estimator):
    parameters = inspect.signature(estimator).parameters
    missing = [name for name in TRAINING_PARAMETERS if name not in parameters]
    assert not missing, f"{estimator.__name__} lacks {missing}"
    for name in TRAINING_PARAMETERS:
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default is not inspect.Parameter.empty, name


@pytest.mark.parametrize("estimator", FAMILY)
def test_every_training_parameter_is_checked_with_the_constraints_of_the_table(estimator):
    for name, (constraints, _) in TRAINING_PARAMETERS.items():
        assert estimator._parameter_constraints[name] is constraints, name


@pytest.mark.parametrize("estimator", FAMILY)
def test_every_training_parameter_is_documented_with_its_default(estimator):
    documented = {
        parameter.name: parameter.type
        for parameter in NumpyDocString(inspect.getdoc(estimator))["Parameters"]
    }
    signature = inspect.signature(estimator).parameters
    for name, (_, entry) in TRAINING_PARAMETERS.items():
        assert name in documented, f"{estimator.__name__} does not document {name}"
        kind, default = documented[name].rsplit(", default=", 1)
        # The type as the table writes it; the default filled in per class, and the
        # signature's.
        assert entry.startswith(f"{kind}, default="), name
        assert ast.literal_eval(default) == signature[name].default, name


def test_the_base_init_takes_the_training_parameters_keyword_only_without_defaults():
    parameters = list(inspect.signature(BaseSequenceClassifier.__init__).parameters.values())
    assert [p.name for p in parameters[1:]] == list(TRAINING_PARAMETERS)
    for parameter in parameters[1:]:
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, parameter.name
        assert parameter.default is inspect.Parameter.empty, parameter.name


@pytest.mark.parametrize("estimator", FAMILY)
def test_the_base_init_stores_every_training_parameter(estimator, monkeypatch):
    values = {name: object() for name in TRAINING_PARAMETERS}
    # Constructed once with the base __init__ recording what reaches it instead of storing
    # it: the estimator passes on every value as given and stores none itself.
    received = {}
    monkeypatch.setattr(BaseSequenceClassifier, "__init__", lambda self, **kw: received.update(kw))
    assert not set(vars(estimator(**values))) & set(TRAINING_PARAMETERS)
    assert received.keys() == values.keys()
    assert all(received[name] is value for name, value in values.items())
    monkeypatch.undo()
    # And with the base __init__ itself: it stores them, as get_params reads them.
    params = estimator(**values).get_params(deep=False)
    assert all(params[name] is value for name, value in values.items())
