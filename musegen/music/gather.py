"""A source (a built-in dataset's name, a folder, a file, a .zip, a list of paths or of uploads) →
its files to parse, in name order and hashed, and reports on the files refused on sight.

Nothing is parsed here: a file is read only to hash it (an upload's bytes are at hand already), and
its size is checked from ``os.stat`` before that. Folders are walked without following links.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..config import DataConfig, Limits
from ..errors import InputError
from ..messages import Message, msg, plural
from .archives import check_zip_file_size, is_zip_name, iter_zip, silently_ignored
from .corpus import BUILTIN
from .readers import MUSIC_EXTENSIONS, Refused, check_size, file_stem, short_error
from .report import NOT_REGULAR, FileReport


@dataclass
class FileToParse:
    """A file the source holds: its name in the report, and where its bytes are (a path, or at hand)."""

    name: str
    path: str | None = None  # read lazily (in the worker) when given
    data: bytes | None = None
    sha256: str = ""
    refused: Message | str = ""  # reason, when refused before reading (size)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gather(source, data: DataConfig) -> tuple[str | Message, list[FileToParse], list[FileReport]]:
    """The source's label (a Message for a list of files), its files to parse in name order (the
    first max_files), hashed, and the reports on files refused on sight."""
    label, items, early = _collect(source, data.limits)
    items.sort(key=lambda it: it.name)
    if data.max_files and data.max_files > 0:
        items = items[: data.max_files]
    _hash_items(items, data.limits)
    return label, items, early


def is_upload(source) -> bool:
    """Files sent as (filename, bytes) pairs, as the app's uploads come: their reading shares a budget
    (Limits.max_upload_parse_seconds). A dataset the command line names by path has none."""
    return isinstance(source, list) and any(_is_upload_pair(e) for e in source)


def _is_upload_pair(entry) -> bool:
    return isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], (bytes, bytearray))


def _collect(source, limits: Limits) -> tuple[str | Message, list[FileToParse], list[FileReport]]:
    """Turn a source into a label, items to parse, and reports on files refused on sight."""
    found = _Found(limits)
    if isinstance(source, (str, Path)) and str(source) in BUILTIN:
        ds = BUILTIN[str(source)]
        for p in ds.files():
            found.items.append(FileToParse(p.name, path=str(p)))
        return ds.name, found.items, found.reports
    if isinstance(source, (str, Path)):
        found.add_path(Path(source).expanduser(), False)
        return str(source), found.items, found.reports
    if isinstance(source, (bytes, bytearray)):
        raise InputError(msg("said.uploads_pairs"))
    if isinstance(source, Iterable):
        entries = list(source)
        uploads = found.add_entries(entries)
        files = len(found.items) + len(found.reports)  # a zip counts as the files inside it
        label = plural("said.uploads_label" if uploads == len(entries) else "said.files_label", files, n=files)
        return label, found.items, found.reports
    raise InputError(msg("said.bad_source", kind=type(source).__name__))


class _Found:
    """What a source was found to hold so far: files to parse, and reports on files refused on sight.
    ``inside_list``: the path or zip is one entry of a list, where a bad one is reported and skipped;
    named alone, it raises InputError."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.items: list[FileToParse] = []
        self.reports: list[FileReport] = []

    def add_entries(self, entries: list) -> int:
        """A list's uploads (``(filename, bytes)``) and paths; returns how many were uploads."""
        uploads = 0
        for entry in entries:
            if _is_upload_pair(entry):
                fname, data = str(entry[0]), bytes(entry[1])
                uploads += 1
                # A zip by its name, or by its bytes unless it is a compressed score (.mxl is a zip too).
                if is_zip_name(fname) or (data[:4] == b"PK\x03\x04" and not fname.lower().endswith(".mxl")):
                    self.add_zip(fname, data, True)
                else:
                    self.items.append(FileToParse(file_stem(fname), data=data))
            elif isinstance(entry, (str, Path)):
                self.add_path(Path(entry).expanduser(), True)
            else:
                raise InputError(msg("said.bad_entry", entry=repr(entry)))
        return uploads

    def add_zip(self, label, obj, inside_list: bool) -> None:
        try:
            for entry in iter_zip(obj, self.limits, label):
                if isinstance(entry, FileReport):
                    self.reports.append(entry)
                else:
                    self.items.append(FileToParse(entry[0], data=entry[1]))
        except InputError as e:
            if not inside_list:
                raise
            self.reports.append(FileReport(label, "skipped", e.message))

    def add_path(self, p: Path, inside_list: bool, name: str | None = None) -> None:
        name = name or p.name
        if not p.exists():
            if inside_list:
                self.reports.append(FileReport(name, "skipped", msg("said.r_not_found")))
                return
            raise InputError(msg("said.no_such_source", path=str(p), builtin=", ".join(BUILTIN)))
        if not p.is_dir() and not p.is_file():  # /dev/zero never ends, a pipe waits forever: never opened
            if inside_list:
                self.reports.append(FileReport(name, "skipped", NOT_REGULAR))
                return
            raise InputError(msg("said.source_device", path=str(p), builtin=", ".join(BUILTIN)))
        if p.is_dir():
            self.add_folder(p)
            return
        if is_zip_name(p.name):
            try:
                check_zip_file_size(p, self.limits)
            except InputError as e:
                if not inside_list:
                    raise
                self.reports.append(FileReport(name, "skipped", e.message))
                return
            self.add_zip(name, str(p), inside_list)
            return
        self.items.append(FileToParse(name, path=str(p)))

    def add_folder(self, p: Path) -> None:
        """Its music files and zips, anywhere under it, named by their path inside it."""
        for f in _walk(p, self.limits.max_folder_entries):
            rel = f.relative_to(p).as_posix()
            if not f.is_file() or silently_ignored(rel):
                continue
            if f.name.lower().endswith(MUSIC_EXTENSIONS):
                self.items.append(FileToParse(rel, path=str(f)))
            elif is_zip_name(f.name):
                self.add_zip(rel, str(f), True)
            else:
                ext = f.suffix.lower() or msg("said.r_no_extension")
                self.reports.append(FileReport(rel, "skipped", msg("said.r_not_music", ext=ext)))


def _walk(root: Path, most: int) -> list[Path]:
    """Everything under ``root`` but folders, sorted (links to folders are not followed, dot-folders not
    entered: their files are ignored anyway). More than ``most`` entries (files and folders, 0 = no
    limit) stop the walk as soon as they are seen: `--dataset /` walked the whole file system."""
    found: list[Path] = []
    folders, seen = [root], 0
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    seen += 1
                    if most and seen > most:
                        raise InputError(msg("said.folder_entries", path=str(root), most=f"{most:,}"))
                    if entry.is_dir(follow_symlinks=False):
                        if not entry.name.startswith("."):
                            folders.append(Path(entry.path))
                    else:
                        found.append(Path(entry.path))
        except OSError:  # a folder we may not read: its files are not ours to use
            continue
    return sorted(found)


def _hash_items(items: list[FileToParse], limits: Limits) -> None:
    """Content hashes for the cache key; sizes checked from os.stat before anything is read."""
    for it in items:
        if it.data is not None:
            it.sha256 = sha256_of(it.data)
            continue
        try:
            info = os.stat(it.path)
            size = info.st_size
            if not stat.S_ISREG(info.st_mode):  # a pipe or device put in a file's place since the walk
                raise Refused(NOT_REGULAR)
            check_size(size, limits)
        except Refused as e:
            it.refused = e.reason
            it.sha256 = f"refused:{size}"
            continue
        except OSError as e:
            it.refused = msg("said.r_read", error=short_error(e, 60))
            continue
        h = hashlib.sha256()
        try:
            with open(it.path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as e:
            it.refused = msg("said.r_read", error=short_error(e, 60))
            continue
        it.sha256 = h.hexdigest()
