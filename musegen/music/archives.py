"""Zips, from an upload or a folder, read in memory and refused cheaply when hostile.

A zip's member count, total unpacked size, compression ratio and paths are checked from its central
directory before anything is decompressed; nothing is ever extracted to disk.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Iterator

from ..config import Limits
from ..errors import InputError
from ..messages import msg
from ..units import format_bytes
from .readers import MUSIC_EXTENSIONS, Refused, check_size, short_error, zip_problem
from .report import FileReport


def silently_ignored(member: str) -> bool:
    """Skipped without a word: an empty name, macOS's ``__MACOSX/`` and what lies under a dot-name."""
    parts = [p for p in member.replace("\\", "/").split("/") if p]
    return not parts or parts[0] == "__MACOSX" or any(p.startswith(".") and p != ".." for p in parts)


def _unsafe(member: str) -> bool:
    """An absolute path, a drive letter or a ``..`` that would climb out of the archive."""
    m = member.replace("\\", "/")
    return m.startswith("/") or (len(m) > 1 and m[1] == ":") or ".." in m.split("/")


def iter_zip(
    data_or_path, limits: Limits | None = None, label: str | None = None
) -> Iterator[tuple[str, bytes] | FileReport]:
    """Members of a zip as ``(name, bytes)``, read in memory (nothing is extracted to disk).

    A member we refuse (unsafe path, zip bomb, too large, damaged, not music) comes out as a
    skipped FileReport instead. A whole archive we refuse (not a zip, too many members, too
    big unpacked) raises InputError before anything is decompressed. Directories, ``__MACOSX/``
    and dot-files are skipped silently. ``label`` names the archive in messages.
    """
    limits = limits or Limits()
    if label is None:
        label = os.path.basename(str(data_or_path)) if isinstance(data_or_path, (str, Path)) else msg("said.the_zip")
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, (bytes, bytearray)) else data_or_path
    try:
        z = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise InputError(msg("said.bad_zip", label=label, error=zip_problem(e, data_or_path))) from None
    with z:
        members = [i for i in z.infolist() if not i.is_dir() and not silently_ignored(i.filename)]
        if limits.max_zip_members and len(members) > limits.max_zip_members:
            raise InputError(msg("said.zip_members", label=label, n=f"{len(members):,}",
                                 limit=f"{limits.max_zip_members:,}"))
        total = sum(i.file_size for i in members)
        if limits.max_zip_bytes and total > limits.max_zip_bytes:
            raise InputError(msg("said.zip_unpacks", label=label, size=format_bytes(total),
                                 limit=format_bytes(limits.max_zip_bytes)))
        for info in members:
            name = info.filename
            if _unsafe(name):
                yield FileReport(name, "skipped", msg("said.r_unsafe"))
                continue
            ext = os.path.splitext(name)[1].lower()
            if ext == ".zip":
                yield FileReport(name, "skipped", msg("said.r_nested_zip"))
                continue
            if ext not in MUSIC_EXTENSIONS:
                yield FileReport(name, "skipped", msg("said.r_not_music", ext=ext or msg("said.r_no_extension")))
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if limits.max_zip_ratio and info.file_size > 0 and ratio > limits.max_zip_ratio:
                yield FileReport(name, "skipped", msg("said.r_zip_bomb", ratio=f"{ratio:,.0f}",
                                                      limit=f"{limits.max_zip_ratio:g}"))
                continue
            try:
                check_size(info.file_size, limits)
            except Refused as e:
                yield FileReport(name, "skipped", e.reason)
                continue
            try:
                data = z.read(info)  # bounded by the declared size; CRC checked
            except Exception as e:  # damaged member, unsupported compression, bad CRC
                yield FileReport(name, "skipped", msg("said.r_damaged_member", error=short_error(e, 60)))
                continue
            yield name, data


def is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def check_zip_file_size(p: Path, limits: Limits) -> None:
    """A zip file on disk refused before it is opened (an empty one is no zip)."""
    size = p.stat().st_size
    if size == 0:
        raise InputError(msg("said.empty", name=p.name))
