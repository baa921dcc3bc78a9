"""Atomic writes: a killed process leaves the previous file whole, never half of a new one."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(path) -> None:
    """Refuse a target that exists and is not a regular file: the rename would put a file in place
    of a device (/dev/full), a pipe or a socket, and a folder cannot be replaced at all."""
    path = Path(path)
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "a device, pipe or socket"
        raise InputError(f"Cannot write {path}: it is {kind}, not a regular file.")


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
