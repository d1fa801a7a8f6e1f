"""The model file: a zip archive (or a folder) of three members, checked before it is read.

- ``manifest.json``: the format and its version, the package version that wrote the file,
  the caller's metadata (JSON), and the SHA-256 of the two other members;
- ``model.json``: the estimators, as :mod:`._encode` writes them;
- ``tensors.safetensors``: every array of numbers, in the safetensors format, which holds
  numbers and their shapes only.

Reading checks the format, refuses a newer major version, refuses any other member and
checks every checksum before a member is parsed; nothing is ever unpickled, and a file that
is a pickle is a :class:`~._errors.PickleFileError` (this module is the one place that tells
a pickle by its first byte). What a file can make the reader spend is bounded by the file:
the weights must be stored uncompressed (so a small file cannot inflate into a large one),
the JSON members have caps, a folder's members must be regular files, and a damaged archive
is a :class:`~._errors.ModelFileError`.
"""

import hashlib
import json
import os
import zipfile
import zlib
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from ..utils._files import open_regular_file, write_atomically
from ..utils._persistence import _package_version
from ._errors import ModelFileError, PickleFileError

FORMAT = "sklearn-microts model"
# (major, minor): a reader refuses a newer major version; a minor one only adds.
FORMAT_VERSION = (1, 0)
MANIFEST, DOCUMENT, TENSORS = "manifest.json", "model.json", "tensors.safetensors"
MEMBERS = (MANIFEST, DOCUMENT, TENSORS)
# The first byte of every pickle of protocol 2 or later (joblib's and pickle's default).
_PICKLE_START = b"\x80"
# The most a JSON member may hold, inflated. The document holds parameters, text and the
# structure of the estimators (every array of numbers is in the tensors): a model of the
# package's largest estimators writes well under 1 MiB.
_MAX_JSON_BYTES = {MANIFEST: 1 << 20, DOCUMENT: 64 << 20}
# What reading a damaged or crafted archive raises, besides our own checks: a bad CRC or
# header (BadZipFile), a corrupt deflate stream (zlib.error), a cut-short member (EOFError),
# an unknown compression or encryption (NotImplementedError, RuntimeError), and bad sizes
# or offsets in the directory (ValueError, OverflowError).
_DAMAGED_ARCHIVE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OverflowError,
)


def write_model_file(path, document, tensors, *, metadata):
    """Write ``document`` and ``metadata`` (JSON) and ``tensors`` to the zip archive
    ``path``, through a temporary file, so that an interrupted save leaves no half-written
    model."""
    members = {
        DOCUMENT: json.dumps(document, allow_nan=False).encode(),
        TENSORS: save_tensors(tensors),
    }
    manifest = {
        "format": FORMAT,
        "format_version": list(FORMAT_VERSION),
        "package_version": _package_version(),
        "metadata": metadata,
        "sha256": {name: _sha256(data) for name, data in members.items()},
    }
    members[MANIFEST] = json.dumps(manifest, indent=2, allow_nan=False).encode()

    def write(file):
        with zipfile.ZipFile(file, "w") as archive:
            for name in MEMBERS:
                compression = zipfile.ZIP_STORED if name == TENSORS else zipfile.ZIP_DEFLATED
                archive.writestr(name, members[name], compress_type=compression)

    write_atomically(path, write)


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
        return {name: _read_regular_file(path, name) for name in MEMBERS}
    with _open_regular_file(path, follow_links=True) as file:
        size = os.fstat(file.fileno()).st_size
        if not zipfile.is_zipfile(file):
            file.seek(0)
            start = file.read(1)
            error = PickleFileError if _is_pickle(start) else ModelFileError
            raise error(
                f"{path} is not a model file of sklearn-microts (not a zip archive)."
                f"{_pickle_hint(start)}"
            )
        try:
            with zipfile.ZipFile(file) as archive:
                _check_names(path, archive.namelist())
                return {name: _read_member(path, archive, name, size) for name in MEMBERS}
        except _DAMAGED_ARCHIVE as exc:
            raise ModelFileError(
                f"{path} is a damaged zip archive ({type(exc).__name__}: {exc}): download or "
                "copy it again."
            ) from exc


def _read_member(path, archive, name, archive_size):
    """A member's bytes, read no further than its cap (for the stored tensors, the archive's
    own size): the directory's sizes are the file's word, and a crafted file can lie."""
    info = archive.getinfo(name)
    if name == TENSORS:
        if info.compress_type != zipfile.ZIP_STORED:
            raise ModelFileError(
                f"{path}: {TENSORS} is compressed; a model file stores it as is, so that the "
                "file cannot inflate into more than it holds."
            )
        cap = archive_size
    else:
        cap = _MAX_JSON_BYTES[name]
    with archive.open(info) as member:
        data = member.read(cap + 1)
    if len(data) > cap:
        raise ModelFileError(f"{path}: {name} holds more than the {cap} bytes it may.")
    return data


def _open_regular_file(path, *, follow_links):
    """:func:`~..utils._files.open_regular_file`, its refusals a ModelFileError. The path
    the user names may be a link; the members of a folder, which the file's author chose,
    may not."""
    try:
        return open_regular_file(path, follow_symlinks=follow_links)
    except (FileNotFoundError, NotADirectoryError):
        raise ModelFileError(f"{str(path)!r} is not a file.") from None
    except ValueError as exc:
        raise ModelFileError(f"{exc} A model file is read from regular files only.") from exc


def _read_regular_file(folder, name):
    """A member of an unpacked model folder: a regular file (no link), no larger than a
    member of an archive may be."""
    with _open_regular_file(folder / name, follow_links=False) as file:
        cap = _MAX_JSON_BYTES.get(name, os.fstat(file.fileno()).st_size)
        data = file.read(cap + 1)
    if len(data) > cap:
        raise ModelFileError(f"{folder}: {name} holds more than the {cap} bytes it may.")
    return data


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
    if not (
        isinstance(manifest.get("sha256"), dict)
        and isinstance(manifest.get("package_version"), str)
        and isinstance(manifest.get("metadata"), dict)
    ):
        raise ModelFileError(
            f"{path}: the manifest lacks the checksums, the package version or the metadata."
        )


def _json(path, name, data):
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError included
        raise ModelFileError(f"{path}: {name} is not JSON ({exc}).{_pickle_hint(data)}") from exc


def _is_pickle(data):
    """Whether ``data``, the start of a file or member, is the start of a pickle."""
    return data[:1] == _PICKLE_START


def _pickle_hint(data):
    if not _is_pickle(data):
        return ""
    return (
        " It looks like a pickle (what pickle.dump and joblib.dump write), which runs any code "
        "it holds when loaded: it is not loaded. Load it with joblib only if you trust where "
        "it comes from, and save it again with sklearn_microts.io.save_model."
    )


def _sha256(data):
    return hashlib.sha256(data).hexdigest()
