"""A folder of float32 arrays kept as numbers only: reading an entry runs no code.

A cache folder is shared the way models and images are, and whoever can write it can put
anything there. So an entry is a safetensors file (a JSON header and raw little-endian
numbers, never a pickle), read only from a regular file (a link, a pipe or a device in its
place is refused without waiting on it), no further than the array asked for, and checked
against the SHA-256 of its key and numbers stored beside them. An entry that fails a check
is ignored with a warning: the caller computes the array again, and storing it repairs the
entry. Entries are written under a name of their own and renamed into place, so readers
and concurrent writers only ever see whole files.
"""

import hashlib
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from safetensors.numpy import load as load_tensors
from safetensors.numpy import save as save_tensors

from ._files import open_regular_file, write_atomically

# An entry's header (the names, dtypes, shapes and offsets of its two arrays) is some 150
# bytes of JSON: reading stops this far beyond the numbers expected.
HEADER_BYTES = 4096
CHECKSUM_BYTES = hashlib.sha256().digest_size


class ArrayCache:
    """Finite float32 arrays in the files of ``folder``, one per key.

    Parameters
    ----------
    folder : str or os.PathLike
        Where the entries are; created at the first one stored.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self._store_failed = False

    def path(self, key):
        """The file of the entry ``key`` (a hexadecimal digest)."""
        # Two levels, as git stores objects: no folder holds more than a few thousand files.
        return self.folder / key[:2] / f"{key}.safetensors"

    def get(self, key, shape):
        """The array stored under ``key``, if it is one of ``shape`` that passes every check.

        Parameters
        ----------
        key : str
            Hexadecimal digest naming the entry.
        shape : tuple of int
            The shape the array must have.

        Returns
        -------
        array : ndarray of float32, or None
            ``None`` where there is no entry, or one that fails a check (with a warning
            that names its file and why).
        """
        path = self.path(key)
        try:
            return self._read(path, key, tuple(shape))
        except (FileNotFoundError, NotADirectoryError):  # none stored (yet)
            return None
        except (OSError, ValueError) as exc:
            warnings.warn(
                f"Ignored the cache entry {path}, computed again instead: {exc}",
                UserWarning,
                stacklevel=2,
            )
            return None

    def put(self, key, array):
        """Store ``array`` under ``key``, replacing what was there.

        An array with non-finite values is not stored, since it would never pass ``get``'s
        checks. A folder that cannot be written is a warning, once, not an error: the
        caller has its array all the same.

        Parameters
        ----------
        key : str
            Hexadecimal digest naming the entry.
        array : ndarray of float32
            The numbers.
        """
        array = np.ascontiguousarray(array, dtype=np.float32)
        if not np.isfinite(array).all():
            return
        checksum = np.frombuffer(_checksum(key, array), dtype=np.uint8)
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _discard_if_not_regular(path)
            data = save_tensors({"array": array, "sha256": checksum})
            write_atomically(path, lambda file: file.write(data))
        except (OSError, ValueError) as exc:  # ValueError: a folder where the entry goes
            if not self._store_failed:
                self._store_failed = True
                warnings.warn(
                    f"Cannot store in the cache folder {self.folder} ({exc}): what is computed "
                    "is not cached.",
                    UserWarning,
                    stacklevel=2,
                )

    def _read(self, path, key, shape):
        """The checked array of the entry at ``path``; a ``ValueError`` says what is wrong."""
        limit = HEADER_BYTES + 4 * int(np.prod(shape)) + CHECKSUM_BYTES
        with open_regular_file(path, follow_symlinks=False) as file:
            data = file.read(limit + 1)
        if len(data) > limit:
            raise ValueError(
                f"It is larger than the {limit} bytes an entry of shape {shape} takes."
            )
        try:
            arrays = load_tensors(data)
        except Exception as exc:  # whatever the parser makes of bytes that are no entry
            raise ValueError(f"It is not a safetensors file ({exc}).") from exc
        if set(arrays) != {"array", "sha256"}:
            raise ValueError(f"It holds the arrays {sorted(arrays)}, not an entry's.")
        array = arrays["array"]
        if array.dtype != np.float32 or array.shape != shape:
            raise ValueError(
                f"It holds {array.dtype} numbers of shape {array.shape}, not float32 of "
                f"shape {shape}."
            )
        if not np.isfinite(array).all():
            raise ValueError("It holds non-finite numbers.")
        if arrays["sha256"].tobytes() != _checksum(key, array):
            raise ValueError("Its numbers do not match their SHA-256: it was changed or damaged.")
        return array


def _checksum(key, array):
    """SHA-256 of an entry's key and numbers: an entry copied to another key's file fails."""
    digest = hashlib.sha256(key.encode())
    digest.update(array.tobytes())
    return digest.digest()


def _discard_if_not_regular(path):
    """Remove a link, pipe or device put where an entry goes, so that storing the entry
    replaces it (a write never goes through it)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        path.unlink()
