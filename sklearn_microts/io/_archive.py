"""The model file: a zip archive (or a folder) of three members, checked before it is read.

- ``manifest.json``: the format and its version, the package version that wrote the file,
  what it holds, and the SHA-256 of the two other members;
- ``model.json``: the estimators, as :mod:`._encode` writes them;
- ``tensors.safetensors``: every array of numbers, in the safetensors format, which holds
  numbers and their shapes only.

Reading checks the format, refuses a newer major version, refuses any other member and
checks every checksum before a member is parsed; nothing is ever unpickled.
"""

import hashlib
import json
import os
import zipfile
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from ..utils._persistence import _package_version
from ._errors import ModelFileError

FORMAT = "sklearn-microts model"
# (major, minor): a reader refuses a newer major version; a minor one only adds.
FORMAT_VERSION = (1, 0)
MANIFEST, DOCUMENT, TENSORS = "manifest.json", "model.json", "tensors.safetensors"
MEMBERS = (MANIFEST, DOCUMENT, TENSORS)
# The first byte of every pickle of protocol 2 or later (joblib's and pickle's default).
_PICKLE_START = b"\x80"


def write_model_file(path, document, tensors, *, content, metadata=None):
    """Write ``document`` (JSON) and ``tensors`` to the zip archive ``path``, through a
    temporary file, so that an interrupted save leaves no half-written model."""
    members = {
        DOCUMENT: json.dumps(document, allow_nan=False).encode(),
        TENSORS: save_tensors(tensors),
    }
    manifest = {
        "format": FORMAT,
        "format_version": list(FORMAT_VERSION),
        "package_version": _package_version(),
        "content": content,
        "metadata": metadata or {},
        "sha256": {name: _sha256(data) for name, data in members.items()},
    }
    members[MANIFEST] = json.dumps(manifest, indent=2, allow_nan=False).encode()
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name in MEMBERS:
                compression = zipfile.ZIP_STORED if name == TENSORS else zipfile.ZIP_DEFLATED
                archive.writestr(name, members[name], compress_type=compression)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def read_model_file(path):
    """``(manifest, document, tensors)`` of the model file ``path``, every check passed."""
    path = Path(path)
    members = _members(path)
    manifest = _json(path, MANIFEST, members[MANIFEST])
    _check_manifest(path, manifest)
    for name in (DOCUMENT, TENSORS):
        expected, actual = manifest["sha256"].get(name), _sha256(members[name])
        if actual != expected:
            raise ModelFileError(
                f"{path}: {name} does not match its checksum (SHA-256 {actual}, the manifest "
                f"says {expected}): the file was changed or damaged after it was saved."
            )
    document = _json(path, DOCUMENT, members[DOCUMENT])
    try:
        tensors = load_tensors(members[TENSORS])
    except SafetensorError as exc:
        raise ModelFileError(
            f"{path}: {TENSORS} is not a safetensors file ({exc}){_pickle_hint(members[TENSORS])}"
        ) from exc
    return manifest, document, tensors


def _members(path):
    """``{name: bytes}`` of the members of a model archive or folder; anything else there,
    and anything missing, refused by name."""
    if path.is_dir():
        _check_names(path, [entry.name for entry in path.iterdir()])
        return {name: (path / name).read_bytes() for name in MEMBERS}
    if not path.is_file():
        raise ModelFileError(f"{str(path)!r} is not a file.")
    if not zipfile.is_zipfile(path):
        with path.open("rb") as file:
            start = file.read(1)
        raise ModelFileError(
            f"{path} is not a model file of sklearn-microts (not a zip archive)."
            f"{_pickle_hint(start)}"
        )
    with zipfile.ZipFile(path) as archive:
        _check_names(path, archive.namelist())
        return {name: archive.read(name) for name in MEMBERS}


def _check_names(path, names):
    others = sorted(set(names) - set(MEMBERS))
    if others:
        raise ModelFileError(
            f"{path} holds {others}, which a model file does not (only {list(MEMBERS)}): "
            "it is refused unread."
        )
    missing = [name for name in MEMBERS if name not in names]
    if missing or len(names) != len(set(names)):
        detail = f"no {', '.join(missing)}" if missing else "a member is repeated"
        raise ModelFileError(f"{path} is not a model file of sklearn-microts: {detail}.")


def _check_manifest(path, manifest):
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a model file of sklearn-microts: no manifest of one.")
    version = manifest.get("format_version")
    if not (
        isinstance(version, list) and len(version) == 2 and all(type(v) is int for v in version)
    ):
        raise ModelFileError(f"{path}: the manifest's format_version is malformed: {version!r}.")
    if version[0] > FORMAT_VERSION[0]:
        raise ModelFileError(
            f"{path} is in model file format {version[0]}.{version[1]}, written by "
            f"sklearn-microts {manifest.get('package_version')}; this is sklearn-microts "
            f"{_package_version()}, which reads format {FORMAT_VERSION[0]}.x: upgrade it."
        )
    if not isinstance(manifest.get("sha256"), dict) or not isinstance(
        manifest.get("package_version"), str
    ):
        raise ModelFileError(f"{path}: the manifest lacks the checksums or the package version.")


def _json(path, name, data):
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError included
        raise ModelFileError(f"{path}: {name} is not JSON ({exc}).{_pickle_hint(data)}") from exc


def _pickle_hint(data):
    if data[:1] != _PICKLE_START:
        return ""
    return (
        " It looks like a pickle (what pickle.dump and joblib.dump write), which runs any code "
        "it holds when loaded: it is not loaded. Load it with joblib only if you trust where "
        "it comes from, and save it again with sklearn_microts.io.save_model."
    )


def _sha256(data):
    return hashlib.sha256(data).hexdigest()
