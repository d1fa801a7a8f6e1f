"""Files read and written safely: regular files only, and writes that land whole or not at all.

Everything the package writes (model files, tables, cached features) and every file it
reads that someone else may have made goes through here: a pipe named like a model waits
for ever, a link to ``/dev/zero`` never ends, and two writers of one path must not write
into each other's file.
"""

import os
import secrets
import stat
from pathlib import Path


def open_regular_file(path, *, follow_symlinks=True):
    """``path`` opened for binary reading, refused unless it is a regular file.

    Opened first (non-blocking, so that a pipe does not wait for a writer) and checked
    after, so that nothing can swap the file between the check and the read.

    Parameters
    ----------
    path : str or path-like
        The file.
    follow_symlinks : bool, default=True
        Whether ``path`` may be a symbolic link: a path the user names may; a path that a
        file's author chose (a member of a model folder, a cache entry) may not.

    Returns
    -------
    file : binary file object

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        If nothing is at ``path`` (the second where a part of it is a file).
    ValueError
        If ``path`` is a folder, a device, a pipe, a socket, or a link where
        ``follow_symlinks=False``, or cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        if os.path.islink(path):  # where the system has no O_NOFOLLOW, this check only
            raise ValueError(f"{str(path)!r} is a symbolic link, not a regular file.")
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):  # nothing there: the caller's to say
        raise
    except OSError as exc:  # a link refused by O_NOFOLLOW among them
        raise ValueError(
            f"{str(path)!r} cannot be read as a regular file ({exc.strerror})."
        ) from exc
    file = os.fdopen(descriptor, "rb")
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        file.close()
        raise ValueError(
            f"{str(path)!r} is not a regular file (a folder, a device or a pipe): only "
            "regular files are read."
        )
    return file


def check_replaceable(path):
    """Refuse, with a ``ValueError``, a ``path`` that exists and is not a regular file: a
    write replaces a file, never a folder, a device, a pipe or a socket."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"{str(path)!r} exists and is not a regular file: write to a new path or over "
            "a file, nothing else."
        )


def write_atomically(path, write):
    """Call ``write(file)`` on a new binary file beside ``path``, then rename it to ``path``.

    An interrupted write leaves ``path`` as it was and no partial file behind; two writers
    of one path each write a file of their own, and the last rename wins whole.

    Parameters
    ----------
    path : str or path-like
        The file to write; if it exists, a regular file (:func:`check_replaceable`).
    write : callable
        ``write(file)`` writes the content to the binary file object it is given.
    """
    path = Path(path)
    check_replaceable(path)
    # A name of its own in the target folder: the rename stays on one file system, hence
    # atomic. Created with open()'s permissions (the umask's), not mkstemp's owner-only
    # ones: a lab shares its models and tables.
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    handle = os.open(
        partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
    )
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
