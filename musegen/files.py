"""Atomic writes: a killed process leaves the previous file whole, never half of a new one; NumPy
files checked against their own size before they are read; and the one rule that makes a file or
folder name out of anything (safe_name)."""
from __future__ import annotations

import os
import re
import stat
import tempfile
import unicodedata
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError
from .messages import msg


_NOT_IN_NAMES = re.compile(r"[^\w.-]+")  # \w: letters and digits of every script, and "_"


def safe_name(text, limit: int = 80, empty: str = "") -> str:
    """A file or folder name made of anything (a name a person typed, a bundle's folder, a dataset's
    label, a piece's name): letters and digits of any script (a run named in Chinese keeps its
    name; accents composed first, as macOS spells them apart), "_", "-" and "." are kept, and each
    run of anything else becomes one "-"; no "-" or "." at either end (no hidden file, no "..",
    nothing read as an option), at most ``limit`` characters. A name it made comes back unchanged.
    ``empty`` when nothing is left."""
    name = _NOT_IN_NAMES.sub("-", unicodedata.normalize("NFC", str(text)))
    return name.strip("-.")[:limit].strip("-.") or empty


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(path) -> None:
    """Refuse a target that exists and is not a regular file: the rename would put a file in place
    of a device (/dev/full), a pipe or a socket, and a folder cannot be replaced at all."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise InputError(msg("said.write_folder" if path.is_dir() else "said.write_device", path=str(path)))


def check_regular(path, max_bytes: int = 0, what: str = "such a file") -> int:
    """A file read by its path must be a regular file of at most ``max_bytes`` (0: any size), checked
    from its metadata before it is opened: /dev/zero and /dev/urandom never end (a read took 3.7 GB),
    a pipe waits for a writer forever, and opening some devices does something. ``what`` names the
    kind of file in the message ("a RunConfig file"). Returns its size."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(msg("said.no_such_file", path=str(path))) from None
    except OSError as e:
        raise InputError(msg("said.cannot_read", path=str(path), error=(e.strerror or str(e)).lower())) from None
    _check_kind(path, info, max_bytes, what)
    return info.st_size


def read_regular(path, max_bytes: int, what: str = "such a file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (check_regular), never more: the file is
    opened without waiting (a pipe put in its place meanwhile is refused, not waited for) and checked
    again once open, and at most ``max_bytes`` + 1 bytes are read."""
    check_regular(path, max_bytes, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise InputError(msg("said.cannot_read", path=str(path), error=(e.strerror or str(e)).lower())) from None
    with os.fdopen(fd, "rb") as f:
        _check_kind(path, os.fstat(fd), max_bytes, what)
        data = f.read(max_bytes + 1 if max_bytes else -1)
    if max_bytes and len(data) > max_bytes:  # it grew after the check
        raise _too_large(path, len(data), max_bytes, what)
    return data


def _check_kind(path, info: os.stat_result, max_bytes: int, what: str) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputError(msg("said.read_folder", path=str(path)))
    if not stat.S_ISREG(info.st_mode):
        raise InputError(msg("said.read_device", path=str(path)))
    if max_bytes and info.st_size > max_bytes:
        raise _too_large(path, info.st_size, max_bytes, what)


def _too_large(path, size: int, max_bytes: int, what: str) -> InputError:
    from . import units

    return InputError(msg("said.read_too_big", path=str(path), size=units.size(size), what=what,
                          limit=units.size(max_bytes)))


@contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a temporary path beside `path`; when the block succeeds it replaces `path`.

    `suffix` keeps tools that read the extension happy (Keras wants .keras, sox wants .ogg).
    """
    path = Path(path)
    check_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{suffix}")
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a user's file should read like any other
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path, data: bytes | str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    return Path(path)


def check_npy(fp, size: int) -> bool:
    """The array an .npy (or an .npz member) holds must be the one its header claims: a 100-byte
    file can claim 10^12 items, which NumPy allocates (3.6 TiB) before it reads a byte. ``fp`` is at
    the file's start, ``size`` its length in bytes; a mismatch is a ValueError saying so. Returns
    whether it holds Python objects (its header says so; ``np.load(allow_pickle=False)`` refuses them)."""
    import math

    import numpy as np

    version = np.lib.format.read_magic(fp)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _, dtype = read(fp)
    if dtype.hasobject:
        return True
    claimed = math.prod(shape) * dtype.itemsize
    held = size - fp.tell()
    if claimed != held:
        raise ValueError(f"its header claims {math.prod(shape):,} values of shape {shape} ({claimed:,} bytes), "
                         f"and it holds {held:,}")
    return False
