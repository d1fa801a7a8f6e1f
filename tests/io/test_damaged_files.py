"""Damaged and crafted model files: each is a ModelFileError, read within bounded memory
and time; saving never writes into another save's file or over anything but a file."""

import json
import os
import subprocess
import sys
import textwrap
import threading
import zipfile

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder

import sklearn_microts
from sklearn_microts import DedupTransformer, MicroTSClassifier, load_model, save_model
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.io import ModelFileError
from sklearn_microts.io._archive import DOCUMENT, MANIFEST, TENSORS, _sha256

X, y = make_microscopy_sequences(n_cases=20, n_features=4, max_length=8, random_state=0)
TINY = {"d_model": 8, "n_heads": 2, "mlp_dim": 8, "head_hidden": 8, "pool_hidden": 8}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``(path, fitted pipeline)`` of a small saved pipeline."""
    pipeline = make_pipeline(
        DedupTransformer(drop_fraction=0.1),
        MicroTSClassifier(**TINY, max_epochs=1, random_state=0, device="cpu"),
    ).fit(X, y)
    path = tmp_path_factory.mktemp("saved") / "model.microts"
    save_model(pipeline, path)
    return path, pipeline


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewritten(path, out, *, document=None, tensors=None, tensors_compression=None, metadata=None):
    """The model file ``path`` written to ``out`` with ``document`` (a JSON value),
    ``tensors`` (bytes) or the manifest's ``metadata`` entries replaced, and true checksums:
    what an attacker writes."""
    members = _members(path)
    if document is not None:
        members[DOCUMENT] = json.dumps(document).encode()
    if tensors is not None:
        members[TENSORS] = tensors
    manifest = json.loads(members[MANIFEST])
    manifest["sha256"] = {name: _sha256(members[name]) for name in (DOCUMENT, TENSORS)}
    manifest["metadata"].update(metadata or {})
    members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            compression = zipfile.ZIP_DEFLATED
            if name == TENSORS:
                compression = tensors_compression or zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=compression)
    return out


def _classifier_record(document):
    """The MicroTSClassifier's record in a saved pipeline's document."""
    steps = document["root"]["params"]["steps"]
    return steps[1]["items"][1]


def test_a_text_array_declaring_a_huge_width_is_refused_unbuilt(tmp_path):
    save_model(LabelEncoder().fit(["benign", "malignant"]), tmp_path / "labels.microts")
    document = json.loads(_members(tmp_path / "labels.microts")[DOCUMENT])
    classes = document["root"]["attributes"]["classes_"]
    assert classes["dtype"] == "<U9"
    classes["dtype"] = "<U10000000"  # 40 MB an item
    path = _rewritten(tmp_path / "labels.microts", tmp_path / "wide.microts", document=document)
    with pytest.raises(ModelFileError, match=r"classes_.*exceed the cap"):
        load_model(path)


def test_weights_must_be_stored_as_they_are(saved, tmp_path):
    """A compressed tensors member could inflate a small file into gigabytes."""
    path = _rewritten(
        saved[0], tmp_path / "deflated.microts", tensors_compression=zipfile.ZIP_DEFLATED
    )
    with pytest.raises(ModelFileError, match=r"tensors\.safetensors is compressed"):
        load_model(path)


def test_a_document_inflating_beyond_its_cap_is_refused(saved, tmp_path):
    document = json.loads(_members(saved[0])[DOCUMENT])
    document["root"]["padding"] = " " * (65 << 20)  # 64 kB deflated
    path = _rewritten(saved[0], tmp_path / "bomb.microts", document=document)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ModelFileError, match=r"model\.json holds more than"):
        load_model(path)


def _unpacked(path, folder):
    folder.mkdir()
    for name, data in _members(path).items():
        (folder / name).write_bytes(data)
    return folder


def _loads_within(path, seconds):
    """The exception loading ``path`` raised, in a thread that must end within ``seconds``
    (a FIFO would block a reader for ever)."""
    outcome = []

    def load():
        try:
            load_model(path)
        except Exception as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"loading {path} did not end within {seconds} s"
    return outcome[0]


def test_a_folder_member_must_be_a_regular_file(saved, tmp_path):
    linked = _unpacked(saved[0], tmp_path / "linked")
    (linked / TENSORS).unlink()
    (linked / TENSORS).symlink_to("/dev/zero")
    error = _loads_within(linked, 30)
    assert isinstance(error, ModelFileError)
    assert "regular file" in str(error)

    piped = _unpacked(saved[0], tmp_path / "piped")
    (piped / TENSORS).unlink()
    os.mkfifo(piped / TENSORS)
    error = _loads_within(piped, 30)
    assert isinstance(error, ModelFileError)
    assert "regular file" in str(error)


def test_a_flipped_byte_is_a_damaged_archive(saved, tmp_path):
    data = bytearray(saved[0].read_bytes())
    with zipfile.ZipFile(saved[0]) as archive:
        info = archive.getinfo(DOCUMENT)
    # Inside the deflated document: past the local header (30 bytes, the name, the extra).
    data[info.header_offset + 30 + len(DOCUMENT) + len(info.extra) + 5] ^= 0xFF
    (tmp_path / "flipped.microts").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="damaged zip archive"):
        load_model(tmp_path / "flipped.microts")


def test_deep_nesting_is_refused(saved, tmp_path):
    nested = 0
    for _ in range(500):
        nested = [nested]
    document = json.loads(_members(saved[0])[DOCUMENT])
    _classifier_record(document)["params"]["n_neighbors"] = nested
    path = _rewritten(saved[0], tmp_path / "deep.microts", document=document)
    with pytest.raises(ModelFileError, match="deeper than"):
        load_model(path)


def test_a_file_that_holds_no_estimator_is_refused(saved, tmp_path):
    path = _rewritten(saved[0], tmp_path / "five.microts", document={"root": 5})
    with pytest.raises(ModelFileError, match=r"the model \(of type int\) is not an estimator"):
        load_model(path)


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [
        ("d_model", 30000, "module state does not fit.*differ in name or shape"),
        ("target_length", 10**8, "target_sequences_ disagrees"),
    ],
)
def test_sizes_are_checked_before_the_network_is_built(saved, tmp_path, param, value, match):
    """Built first, a 30000-wide network or 10**8-long targets take gigabytes."""
    document = json.loads(_members(saved[0])[DOCUMENT])
    _classifier_record(document)["params"][param] = value
    path = _rewritten(saved[0], tmp_path / f"{param}.microts", document=document)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("train_labels_", -1), ("train_lengths_", 0), ("vote_weights_", "nan")],
)
def test_fitted_attributes_that_disagree_are_refused(saved, tmp_path, attribute, value):
    """A label index out of range, a frame count that does not add up, a weight that is
    not a number: each would crash a prediction or move its probabilities."""
    members = _members(saved[0])
    document = json.loads(members[DOCUMENT])
    attributes = _classifier_record(document)["attributes"]
    if attribute == "vote_weights_":
        items = attributes["vote_weights_"]["items"]
        items[0][1] = {"kind": "float", "value": value}
        tensors = None
    else:  # an integer array stored as a tensor: rewrite that tensor
        from safetensors.torch import load, save

        stored = load(members[TENSORS])
        name = attributes[attribute]["tensor"]
        stored[name] = stored[name].clone()
        stored[name][0] = value
        tensors = save(stored)
    path = _rewritten(saved[0], tmp_path / "bad.microts", document=document, tensors=tensors)
    with pytest.raises(ModelFileError, match=f"{attribute} disagrees"):
        load_model(path)


def test_concurrent_saves_to_one_path_never_corrupt_it(saved, tmp_path):
    """Two writers and a reader: every save lands whole, every load reads a whole file."""
    transformer = saved[1][0]
    path = tmp_path / "shared.microts"
    save_model(transformer, path)
    errors = []

    def repeat(action, times):
        for _ in range(times):
            try:
                action()
            except Exception as exc:
                errors.append(exc)

    threads = [
        threading.Thread(target=repeat, args=(lambda: save_model(transformer, path), 40)),
        threading.Thread(target=repeat, args=(lambda: save_model(transformer, path), 40)),
        threading.Thread(target=repeat, args=(lambda: load_model(path), 80)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [entry.name for entry in tmp_path.iterdir()] == ["shared.microts"]


def test_a_save_replaces_files_only(saved, tmp_path):
    # (A pipe, not a device: were the check broken, the test would replace /dev/null.)
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="not a regular file"):
        save_model(saved[1][0], tmp_path / "pipe")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match="not a regular file"):
        save_model(saved[1][0], tmp_path / "folder")


# The fuzzer, run in a child process whose address space is capped: a mutation that made
# the reader allocate more fails it with a MemoryError (or kills it), not the test machine.
_FUZZ = textwrap.dedent(
    """
    import io, json, resource, sys, zipfile
    import numpy as np
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
    from sklearn_microts import load_model
    from sklearn_microts.io import ModelFileError
    from sklearn_microts.io._archive import DOCUMENT, MANIFEST, TENSORS, _sha256

    original = open(sys.argv[1], "rb").read()
    reference = load_model(sys.argv[1])
    cases = np.load(sys.argv[3], allow_pickle=False)
    X = [cases[key] for key in sorted(cases, key=int)]
    expected = reference.predict_proba(X)
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    rng = np.random.default_rng(0)
    LARGE = [0, -1, 2, 30000, 10**8, 2**31, 2**63, 1e308, "x", None, [], {}]

    def archive_of(members, recompute):
        members = dict(members)
        if recompute:
            manifest = json.loads(members[MANIFEST])
            manifest["sha256"] = {n: _sha256(members[n]) for n in (DOCUMENT, TENSORS)}
            members[MANIFEST] = json.dumps(manifest).encode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in members.items():
                kind = zipfile.ZIP_STORED if name == TENSORS else zipfile.ZIP_DEFLATED
                archive.writestr(name, data, compress_type=kind)
        return out.getvalue()

    def values(node, found):
        if isinstance(node, dict):
            for key, value in node.items():
                found.append((node, key))
                values(value, found)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                found.append((node, i))
                values(value, found)
        return found

    def mutated(i):
        kind = i % 5
        if kind == 0:  # byte flips anywhere
            data = bytearray(original)
            for at in rng.integers(0, len(data), rng.integers(1, 4)):
                data[at] ^= int(rng.integers(1, 256))
            return "flip", bytes(data)
        if kind == 1:  # cut short
            return "truncate", original[: int(rng.integers(0, len(original)))]
        if kind == 2:  # members swapped
            names = list(members)
            a, b = rng.choice(len(names), 2, replace=False)
            swapped = dict(members)
            swapped[names[a]], swapped[names[b]] = members[names[b]], members[names[a]]
            keeps_manifest = MANIFEST not in (names[a], names[b])
            return "swap", archive_of(swapped, recompute=keeps_manifest and rng.integers(2))
        document = json.loads(members[DOCUMENT])
        spots = values(document, [])
        parent, key = spots[int(rng.integers(len(spots)))]
        if kind == 3:  # a value nested deep (as text: json.dumps would recurse too deep)
            depth, value = int(rng.integers(50, 2000)), json.dumps(parent[key])
            parent[key] = "NESTED"
            text = json.dumps(document).replace('"NESTED"', "[" * depth + value + "]" * depth)
        else:  # a declared size, dtype, shape or number replaced
            parent[key] = LARGE[int(rng.integers(len(LARGE)))]
            text = json.dumps(document)
        changed = dict(members, **{DOCUMENT: text.encode()})
        return "value", archive_of(changed, recompute=True)

    refused = loaded = 0
    for i in range(int(sys.argv[4])):
        what, data = mutated(i)
        with open(sys.argv[5], "wb") as file:
            file.write(data)
        try:
            model = load_model(sys.argv[5])
        except ModelFileError:
            refused += 1
            continue
        except Exception as exc:
            sys.exit(f"mutation {i} ({what}): {type(exc).__name__}: {exc}")
        loaded += 1
        if what != "value":  # the checksums stand: the model must be the one saved
            if not np.array_equal(model.predict_proba(X), expected):
                sys.exit(f"mutation {i} ({what}) loaded a different model")
    print(f"refused {refused}, loaded {loaded}")
    """
)


def test_fuzzed_model_files_are_refused_within_bounded_memory(saved, tmp_path):
    """Random byte flips, truncations, member swaps, deep nesting and replaced values
    (sizes, dtypes, shapes: the checksums recomputed, as an attacker would): every load
    raises ModelFileError or returns a model (the saved one where the checksums stand),
    under a 3 GiB address-space cap."""
    np.savez(tmp_path / "cases.npz", **{str(i): case for i, case in enumerate(X)})
    script = tmp_path / "fuzz.py"
    script.write_text(_FUZZ)
    argv = [saved[0], 3 << 30, tmp_path / "cases.npz", 300, tmp_path / "mutant.microts"]
    result = subprocess.run(
        [sys.executable, script, *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    refused, loaded = (int(word.strip(",")) for word in result.stdout.split()[1::2])
    assert refused + loaded == 300, result.stdout
    assert refused > 100, result.stdout


def test_the_package_version_in_a_crafted_manifest_is_only_a_warning(saved, tmp_path):
    """The version string is text the file holds; a crafted one changes nothing else."""
    members = _members(saved[0])
    manifest = json.loads(members[MANIFEST])
    manifest["package_version"] = "0.0.0-" + "x" * 1000
    assert manifest["package_version"] != sklearn_microts.__version__
    members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(tmp_path / "version.microts", "w") as archive:
        for name, data in members.items():
            kind = zipfile.ZIP_STORED if name == TENSORS else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    with pytest.warns(UserWarning, match="0.0.0-x"):
        model = load_model(tmp_path / "version.microts")
    np.testing.assert_array_equal(model.predict_proba(X), saved[1].predict_proba(X))


def _with_item(root, name, value):
    """The record of the dict ``root`` with the item ``name`` set to ``value``."""
    items = [item for item in root["items"] if item[0] != name]
    return {**root, "items": [*items, [name, value]]}


@pytest.mark.parametrize(
    ("change", "metadata", "match"),
    [
        (lambda root: 5, {}, r"the model \(of type int\) is not an estimator"),
        (lambda root: _with_item(root, "pipeline", 5), {}, r"the model\['pipeline'\]"),
        # The pipeline again, by reference, under another name: estimators, not fit's.
        (lambda root: _with_item(root, "x", {"kind": "ref", "id": 0}), {}, "malformed content"),
        # The parts of a calibrated model, each the pipeline again: not its wrappers.
        (
            lambda root: _with_item(
                _with_item(root, "referral", {"kind": "ref", "id": 0}),
                "conformal",
                {"kind": "ref", "id": 0},
            ),
            {"n_held_out": 10},
            "malformed calibration",
        ),
        (None, {"n_features": "4"}, "malformed feature count"),
        (None, {"feature_names": ["f0"]}, "malformed feature names"),
    ],
)
def test_a_command_line_model_holding_anything_else_is_refused(
    saved, tmp_path, change, metadata, match
):
    """What load_model refuses, the command line refuses too; then it checks its own."""
    from sklearn_microts.cli._model import load_model as load_cli_model
    from sklearn_microts.cli._model import save_model as save_cli_model

    save_cli_model(saved[1], tmp_path / "cli.microts", feature_names=[f"f{i}" for i in range(4)])
    document = json.loads(_members(tmp_path / "cli.microts")[DOCUMENT])
    assert document["root"]["items"][0][1]["id"] == 0  # the pipeline, referred to above
    path = _rewritten(
        tmp_path / "cli.microts",
        tmp_path / "crafted.microts",
        document=None if change is None else {"root": change(document["root"])},
        metadata=metadata,
    )
    with pytest.raises(ModelFileError, match=match):
        load_cli_model(path)
