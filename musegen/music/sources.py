"""Music in: built-in corpora, folders, file lists, uploads and zips → Pieces plus a per-file report.

One entry point, :func:`load_pieces`, takes whatever the user pointed at and returns a
:class:`LoadResult`: the pieces that parsed and a :class:`FileReport` for every file, parsed or
skipped with a reason a person can read. A bad file is reported and skipped; it never takes the
other files down. Only when *no* file is usable does it raise :class:`InputError`.

- Each file is read by ``readers.py`` (MIDI through symusic, scores through music21) in a spawned
  worker process, never in the caller's: a file that crashes its parser (symusic is C++) or
  runs past ``Limits.max_parse_seconds`` (music21 on a big MusicXML can take minutes) costs that
  file alone, refused with a reason, and the server stays up.
- Hostile input is refused cheaply: file size before reading, zip member count / total size / compression ratio / unsafe
  paths from the central directory before decompressing. Zips are read in memory, never
  extracted to disk.
- Parsed files are cached on disk one entry per file, keyed by the file's name and content and the
  parse settings (``parsecache.py``: shards of compressed ``.npz``, no pickle, written atomically),
  so a folder that grows parses only its new files; not a file that ran out of time or crashed its
  worker (the busy server may be to blame). A big dataset stays in the cache and its pieces are read
  as they are asked for. ``progress`` hears of each file parsed (``FilesLeft`` words it, with an ETA).
- The built-in datasets at their default settings (what the app and ``musegen train --dataset NAME``
  ask for) also come pre-parsed in ``assets/datasets/NAME-KEY.npz``, read when the user's cache
  lacks files, so a fresh install has them in well under a second instead of minutes (Palestrina).
  One compressed ``.npz`` per set, named by its whole-set key: other settings, corpus files or
  parser versions miss and parse as usual.
  Rebuild them after changing the parsing (and bumping CACHE_VERSION) or upgrading music21:
  ``python -m musegen.music.sources --ship [NAME…]`` (``make datasets``). ``MUSEGEN_SHIPPED_CACHE=0``
  ignores them (to time or test a cold parse).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import posixpath
import stat
import sys
import time
import zipfile
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from . import parsecache
from ..serve import spawned
from ..config import DataConfig, Limits, usable_cores
from ..errors import InputError
from ..files import atomic_path, read_regular
from ..messages import Message, from_json, msg, to_json
from .piece import N_COLUMNS, Part, Piece
from .readers import (
    MIDI_EXTENSIONS,
    MUSIC_EXTENSIONS,
    Refused,
    check_size,
    file_stem,
    parse_part_indices,
    read_file_bytes,
    short_error,
    zip_problem,
)
from ..units import format_bytes, format_duration

CACHE_VERSION = 4  # 2: parts, time signatures and keys; 3: absurd tempos refused; 4: compressed, by column
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "datasets"  # pre-parsed built-in sets
SHIPPED_ENV = "MUSEGEN_SHIPPED_CACHE"  # "0": ignore SHIPPED_DIR

# Files are parsed in worker processes (see _parse_all). One more worker costs ~0.2 s to start
# (~1 s with music21), so it pays only for many score files (music21: ~0.05-0.2 s each); MIDI
# through symusic takes about a millisecond.
PARALLEL_MIN_FILES = 20  # score files (MusicXML, ABC, Humdrum) per worker
PARALLEL_MIN_MIDI = 2000  # MIDI files per worker
MAX_PARSE_WORKERS = 4  # each imports music21 (~100 MB): a many-core host must not start dozens
BOOT_SECONDS = 120.0  # a worker not started by then (a very busy machine?): processes do not work here
# A skipped file's reason (FileReport.reason) is a messages.Message; str() is its English.
CRASHED = Message("said.r_crashed")
NOT_REGULAR = Message("said.r_not_regular")


def timed_out(seconds: float) -> Message:
    return msg("said.r_timed_out", seconds=f"{seconds:g}")


def out_of_memory(mb: int) -> Message:
    return msg("said.r_memory", mb=f"{mb:,}")


def over_budget(seconds: float) -> Message:
    return msg("said.r_over_budget", seconds=f"{seconds:g}")

Progress = Callable[[int, int, str], None]


# --------------------------------------------------------------------------------------------
# Built-in datasets (music21's bundled corpus, offline)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinDataset:
    name: str
    title: str
    description: str
    composer_dir: str  # folder inside music21's corpus
    extensions: tuple[str, ...]  # file endings kept
    chorales_only: bool = False  # bach: only the 371 Riemenschneider chorales

    def files(self) -> list[Path]:
        """The corpus files of this dataset, sorted by name (no parsing)."""
        root = _corpus_root() / self.composer_dir
        if not root.is_dir():
            return []
        if self.chorales_only:
            return _bach_chorale_files(root)
        return sorted(
            (p for p in root.iterdir() if p.is_file() and p.name.lower().endswith(self.extensions)),
            key=lambda p: p.name,
        )


BUILTIN: dict[str, BuiltinDataset] = {
    d.name: d
    for d in [
        BuiltinDataset(
            "bach",
            "Bach chorales",
            "The 371 four-part chorales harmonised by J. S. Bach (MusicXML, music21 corpus).",
            "bach",
            (".mxl", ".xml"),
            chorales_only=True,
        ),
        BuiltinDataset(
            "folk",
            "Folk tunes (Ryan's Mammoth Collection)",
            "Fiddle tunes from Ryan's Mammoth Collection (1883): reels, jigs, hornpipes; "
            "one melody per ABC file.",
            "ryansMammoth",
            (".abc",),
        ),
        BuiltinDataset(
            "palestrina",
            "Palestrina masses",
            "Renaissance polyphony by Palestrina (Humdrum .krn). Large and slow to parse the "
            "first time; cached afterwards.",
            "palestrina",
            (".krn",),
        ),
        BuiltinDataset(
            "monteverdi",
            "Monteverdi madrigals",
            "Five-voice madrigals by Monteverdi, books 3 to 5 (MusicXML).",
            "monteverdi",
            (".mxl",),
        ),
    ]
}


def _corpus_root() -> Path:
    from music21 import corpus  # lazy: music21 import costs ~0.5 s

    return Path(corpus.__path__[0])


def _bach_chorale_files(root: Path) -> list[Path]:
    """Resolve music21's chorale catalogue (371 entries) to files without parsing them."""
    from music21 import corpus

    names = {p.name: p for p in root.iterdir() if p.is_file()}
    found: dict[str, Path] = {}
    for entry in corpus.chorales.Iterator(returnType="filename"):
        stem = posixpath.basename(str(entry))
        path = names.get(stem + ".mxl") or names.get(stem + ".xml")
        if path is None:  # a few catalogue names are abbreviations of the file name
            candidates = sorted(n for n in names if n.startswith(stem) and n.endswith((".mxl", ".xml")))
            path = names[candidates[0]] if candidates else None
        if path is not None:
            found[path.name] = path
    return [found[k] for k in sorted(found)]


def list_datasets() -> list[dict]:
    """The built-in datasets with their file counts (fast: lists files, parses nothing)."""
    return [
        {"name": d.name, "title": d.title, "description": d.description, "files": len(d.files())}
        for d in BUILTIN.values()
    ]


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class FileReport:
    name: str
    status: str  # "parsed" | "skipped"
    reason: Message | str = ""  # "" when parsed; a Message when skipped (an English one cached: parsed again)
    notes: int = 0
    seconds: float = 0.0  # length of the music (from the tempo map)
    sha256: str = ""


@dataclass
class LoadResult:
    pieces: list[Piece]
    report: list[FileReport]
    source: Message | str  # a built-in set's name, a path; a list of files: a Message ("3 uploaded file(s)")
    cached: bool = False

    @property
    def parsed(self) -> list[FileReport]:
        return [r for r in self.report if r.status == "parsed"]

    @property
    def skipped(self) -> list[FileReport]:
        return [r for r in self.report if r.status != "parsed"]

    def summary(self) -> dict:
        parsed = self.parsed
        return {
            "files": len(self.report),
            "parsed": len(parsed),
            "skipped": len(self.report) - len(parsed),
            "notes": int(sum(r.notes for r in parsed)),
            "seconds": float(sum(r.seconds for r in parsed)),
        }


# --------------------------------------------------------------------------------------------
# Zips
# --------------------------------------------------------------------------------------------


def _silently_ignored(member: str) -> bool:
    parts = [p for p in member.replace("\\", "/").split("/") if p]
    return not parts or parts[0] == "__MACOSX" or any(p.startswith(".") and p != ".." for p in parts)


def _unsafe(member: str) -> bool:
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
        members = [i for i in z.infolist() if not i.is_dir() and not _silently_ignored(i.filename)]
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


# --------------------------------------------------------------------------------------------
# Many files
# --------------------------------------------------------------------------------------------


@dataclass
class _Item:
    name: str
    path: str | None = None  # read lazily (in the worker) when given
    data: bytes | None = None
    sha256: str = ""
    refused: Message | str = ""  # reason, when refused before reading (size)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def _collect(source, limits: Limits) -> tuple[str | Message, list[_Item], list[FileReport]]:
    """Turn a source into a label, items to parse, and reports on files refused on sight."""
    items: list[_Item] = []
    reports: list[FileReport] = []

    def add_zip(label, obj, inside_list: bool):
        try:
            for entry in iter_zip(obj, limits, label):
                if isinstance(entry, FileReport):
                    reports.append(entry)
                else:
                    items.append(_Item(entry[0], data=entry[1]))
        except InputError as e:
            if not inside_list:
                raise
            reports.append(FileReport(label, "skipped", e.message))

    def add_path(p: Path, inside_list: bool, name: str | None = None):
        name = name or p.name
        if not p.exists():
            if inside_list:
                reports.append(FileReport(name, "skipped", msg("said.r_not_found")))
                return
            raise InputError(msg("said.no_such_source", path=str(p), builtin=", ".join(BUILTIN)))
        if not p.is_dir() and not p.is_file():  # /dev/zero never ends, a pipe waits forever: never opened
            if inside_list:
                reports.append(FileReport(name, "skipped", NOT_REGULAR))
                return
            raise InputError(msg("said.source_device", path=str(p), builtin=", ".join(BUILTIN)))
        if p.is_dir():
            for f in _walk(p, limits.max_folder_entries):
                rel = f.relative_to(p).as_posix()
                if not f.is_file() or _silently_ignored(rel):
                    continue
                if f.name.lower().endswith(MUSIC_EXTENSIONS):
                    items.append(_Item(rel, path=str(f)))
                elif _is_zip_name(f.name):
                    add_zip(rel, str(f), True)
                else:
                    ext = f.suffix.lower() or msg("said.r_no_extension")
                    reports.append(FileReport(rel, "skipped", msg("said.r_not_music", ext=ext)))
            return
        if _is_zip_name(p.name):
            try:
                _check_zip_file_size(p, limits)
            except InputError as e:
                if not inside_list:
                    raise
                reports.append(FileReport(name, "skipped", e.message))
                return
            add_zip(name, str(p), inside_list)
            return
        items.append(_Item(name, path=str(p)))

    if isinstance(source, (str, Path)) and str(source) in BUILTIN:
        ds = BUILTIN[str(source)]
        for p in ds.files():
            items.append(_Item(p.name, path=str(p)))
        return ds.name, items, reports
    if isinstance(source, (str, Path)):
        add_path(Path(source).expanduser(), False)
        return str(source), items, reports
    if isinstance(source, (bytes, bytearray)):
        raise InputError(msg("said.uploads_pairs"))
    if isinstance(source, Iterable):
        entries = list(source)
        uploads = 0
        for entry in entries:
            if isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], (bytes, bytearray)):
                fname, data = str(entry[0]), bytes(entry[1])
                uploads += 1
                # A zip by its name, or by its bytes unless it is a compressed score (.mxl is a zip too).
                if _is_zip_name(fname) or (data[:4] == b"PK\x03\x04" and not fname.lower().endswith(".mxl")):
                    add_zip(fname, data, True)
                else:
                    items.append(_Item(file_stem(fname), data=data))
            elif isinstance(entry, (str, Path)):
                add_path(Path(entry).expanduser(), True)
            else:
                raise InputError(msg("said.bad_entry", entry=repr(entry)))
        label = msg("said.uploads_label" if uploads == len(entries) else "said.files_label", n=len(entries))
        return label, items, reports
    raise InputError(msg("said.bad_source", kind=type(source).__name__))


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


def _check_zip_file_size(p: Path, limits: Limits) -> None:
    size = p.stat().st_size
    if size == 0:
        raise InputError(msg("said.empty", name=p.name))


def _hash_items(items: list[_Item], limits: Limits) -> None:
    """Content hashes for the cache key; sizes checked from os.stat before anything is read."""
    for it in items:
        if it.data is not None:
            it.sha256 = _sha(it.data)
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


def _parse_one(args) -> tuple[Piece | None, FileReport]:
    """Runs in a worker process: one item → (piece or None, report). Never raises."""
    name, path, data, sha, parts, drums, limits = args
    _test_hook(name)
    try:
        if data is None:
            size = os.stat(path).st_size
            check_size(size, limits)
            with open(path, "rb") as f:
                data = f.read(limits.max_file_bytes + 1 if limits.max_file_bytes else -1)  # it may have grown
        piece = read_file_bytes(name, data, parts, limits, drums)
    except Refused as e:
        return None, FileReport(name, "skipped", e.reason, sha256=sha)
    except InputError as e:
        return None, FileReport(name, "skipped", e.message, sha256=sha)
    except MemoryError:  # past the worker's memory limit (_limit_memory); what it held is freed by now
        return None, FileReport(name, "skipped", out_of_memory(limits.max_parse_memory_mb), sha256=sha)
    except Exception as e:  # anything else a strange file provokes in a parser
        return None, FileReport(name, "skipped", msg("said.r_parse", error=short_error(e)), sha256=sha)
    piece.name = name
    return piece, FileReport(name, "parsed", "", piece.n_notes, round(piece.seconds, 3), sha)


def read_piece(path, parts: str = "all", limits: Limits | None = None, drums: bool = True) -> Piece:
    """One music file named by its path (a primer to continue) read as an upload is: checked to be a
    regular file within the size limit before it is opened, then parsed in a worker process with the
    time and memory limits, never in the caller's (a garbage ABC primer once ran past 150 s there).
    Raises InputError "name: reason" when it cannot be used."""
    limits = limits or Limits()
    parse_part_indices(parts)
    name = Path(path).name
    data = read_regular(path, limits.max_file_bytes, "a music file")
    results: list[tuple[Piece | None, FileReport]] = []
    _parse_all([_Item(name, data=data, sha256=_sha(data))], parts, drums, limits, None,
               lambda _, piece, report: results.append((piece, report)))
    [(piece, report)] = results
    if piece is None:
        raise Refused(report.reason, name)
    return piece


def _test_hook(name: str) -> None:
    """For tests only: MUSEGEN_TEST_PARSE_HOOK="a.mid=hang,b.mid=crash" makes the worker hang on
    a.mid or die on b.mid, as a pathological file would. Unset in real use: does nothing."""
    hook = os.environ.get("MUSEGEN_TEST_PARSE_HOOK")
    if hook:
        action = dict(pair.split("=", 1) for pair in hook.split(",")).get(name)
        if action == "hang":
            time.sleep(3600)
        elif action == "crash":
            os._exit(139)  # like a segfault: no exception, no goodbye


def _limit_memory(megabytes: int) -> None:
    """Let this process (a parse worker, its imports done) take at most ``megabytes`` MB more address
    space than it holds now: past it an allocation fails with MemoryError (in Python, NumPy, symusic
    and the XML parser alike) and the file is refused, where it could have taken the server's memory.
    Counted from now, not from zero: what a worker holds once started differs between machines (a
    many-core BLAS reserves more). Linux only (macOS does not enforce RLIMIT_AS); 0 = no limit."""
    if not megabytes:
        return
    try:
        import resource

        with open("/proc/self/statm") as f:
            held = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = held + int(megabytes) * 1_000_000
        limit = min(x for x in (limit, soft, hard) if x != resource.RLIM_INFINITY)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still holds


def _serve(conn, scores: bool, memory_mb: int = 0) -> None:
    """A worker process: import what parsing needs, limit its memory, say so, then parse each job it is sent."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills us
    if scores:
        import music21  # noqa: F401 — ~0.5-1 s that should not count against the first file's limit
    _limit_memory(memory_mb)
    conn.send(None)  # ready: the parent starts a file's clock when it sends the file
    while (job := conn.recv()) is not None:
        conn.send(_parse_one(job))


class _Worker:
    """One spawned parser process, talked to over a pipe, and the job it is on."""

    def __init__(self, scores: bool, memory_mb: int = 0):
        import multiprocessing as mp

        # spawn: a fresh interpreter, safe with the threads (Streamlit, TensorFlow) of the parent
        context = mp.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, scores, memory_mb), name="musegen-parse",
                                       daemon=True)
        try:
            spawned.start(self.process)  # it needs musegen, not the caller's script
        except Exception as e:  # no processes here (a sandbox, a frozen app…): never parse in-process
            self.conn.close()
            raise _no_workers(str(e)) from None
        finally:
            child.close()  # with our copy closed, its death reads as end-of-file on self.conn
        self.ready = False  # said it is ready
        self.job: int | None = None  # index of the file it parses
        self.since = time.monotonic()  # started, or was sent its file

    def stop(self) -> None:
        self.process.kill()  # idle or stuck alike: nothing of it is worth waiting for
        self.process.join(5)
        self.conn.close()


def _no_workers(why) -> InputError:
    return InputError(msg("said.no_workers", why=why))


def _parse_all(items: list[_Item], parts: str, drums: bool, limits: Limits, progress: Progress | None,
               done: Callable[[int, Piece | None, FileReport], None], budget: float = 0.0) -> None:
    """Parse every item in spawned worker processes, one file at a time per worker.

    A worker that dies on a file (a crash in native code, killed) or takes longer than
    ``limits.max_parse_seconds`` is killed: that file is refused and the rest go on in a fresh
    worker. A ProcessPoolExecutor cannot do this: it cannot stop a running task, and when a worker
    dies it fails every file in flight without saying which one did it. Each result goes to
    ``done(index, piece or None, report)`` as its file finishes (nothing is held here: a big
    dataset goes to the cache as it is read), and ``progress`` is called with it. ``budget``
    (seconds, 0 = none): once the files have taken it all, the files still being read and those not
    started are skipped (over_budget).
    """
    total = len(items)
    n_done = 0

    def finish(i: int, result: tuple[Piece | None, FileReport]) -> None:
        nonlocal n_done
        n_done += 1
        done(i, *result)
        if progress is not None:
            progress(n_done, total, result[1].name)

    todo: deque[int] = deque()
    for i, it in enumerate(items):
        if it.refused:  # refused from os.stat: nothing to parse
            sha = "" if it.sha256.startswith("refused") else it.sha256
            finish(i, (None, FileReport(it.name, "skipped", it.refused, sha256=sha)))
        else:
            todo.append(i)
    if not todo:
        return

    n_scores = sum(1 for i in todo if not items[i].name.lower().endswith(MIDI_EXTENSIONS))
    n_midi = len(todo) - n_scores
    n_workers = min(usable_cores(), MAX_PARSE_WORKERS, len(todo), 1 + n_scores // PARALLEL_MIN_FILES + n_midi // PARALLEL_MIN_MIDI)
    limit = limits.max_parse_seconds or math.inf
    over = time.monotonic() + budget if budget else math.inf  # when the budget is spent
    workers: list[_Worker] = []

    def drop(w: _Worker, reason: Message) -> None:
        w.stop()
        workers.remove(w)
        if w.job is not None:
            finish(w.job, (None, FileReport(items[w.job].name, "skipped", reason, sha256=items[w.job].sha256)))

    from multiprocessing.connection import wait

    try:
        while todo or any(w.job is not None for w in workers):
            if time.monotonic() >= over:  # the budget is spent: what is being read and what is left is not read
                for w in [w for w in workers if w.job is not None]:
                    drop(w, over_budget(budget))
                while todo:
                    i = todo.popleft()
                    finish(i, (None, FileReport(items[i].name, "skipped", over_budget(budget),
                                                sha256=items[i].sha256)))
                break
            # Enough workers for the files waiting (a killed one is replaced here), each given a file.
            while len(workers) < n_workers and len(todo) > sum(1 for w in workers if w.job is None):
                workers.append(_Worker(n_scores > 0, limits.max_parse_memory_mb))
            for w in workers:
                if w.ready and w.job is None and todo:
                    w.job, w.since = todo.popleft(), time.monotonic()
                    it = items[w.job]
                    try:
                        w.conn.send((it.name, it.path, it.data, it.sha256, parts, drums, limits))
                    except OSError:
                        pass  # it died: the end-of-file below says so
            # Sleep until a worker has something to say or the nearest deadline.
            deadline = min([w.since + limit for w in workers if w.job is not None]
                           + [w.since + BOOT_SECONDS for w in workers if not w.ready] + [over], default=math.inf)
            wait([w.conn for w in workers], None if deadline == math.inf else max(0.0, deadline - time.monotonic()))
            now = time.monotonic()
            for w in list(workers):
                if w.conn.poll():
                    try:
                        message = w.conn.recv()
                    except (EOFError, OSError):  # it died (a crash mid-message reads the same)
                        if not w.ready:
                            w.process.join(5)
                            raise _no_workers(msg("said.worker_exited", code=w.process.exitcode)) from None
                        drop(w, CRASHED)
                        continue
                    if message is None:
                        w.ready = True
                    else:
                        i, w.job = w.job, None
                        finish(i, message)
                elif not w.ready and now - w.since > BOOT_SECONDS:
                    raise _no_workers(msg("said.none_started", seconds=f"{BOOT_SECONDS:g}"))
                elif w.job is not None and now - w.since > limit:
                    drop(w, timed_out(limit))  # an executor cannot stop a running task: kill it
    finally:
        for w in workers:
            w.stop()


# --------------------------------------------------------------------------------------------
# Cache: an entry per file in the user's cache (parsecache.py); whole built-in sets shipped
# --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    return Path(os.environ.get("MUSEGEN_CACHE") or Path.home() / ".cache" / "musegen")


def _cache_folder(cache_dir) -> Path | None:
    if cache_dir is False:
        return None
    return Path(cache_dir) if cache_dir not in (None, "") else default_cache_dir()


def _parse_settings(parts: str, drums: bool, limits: Limits) -> str:
    """Everything besides a file's name and bytes that decides what parsing it gives."""
    return parsecache.settings_fingerprint({"version": CACHE_VERSION, "readers": _reader_versions(), "parts": parts,
                                            "drums": drums, "limits": _limits_key(limits)})


def _cache_key(items: list[_Item], early: list[FileReport], parts: str, drums: bool, max_files: int,
               limits: Limits) -> str:
    """The key of a whole dataset load: names a shipped built-in set."""
    payload = {
        "version": CACHE_VERSION,
        "readers": _reader_versions(),
        "parts": parts,
        "drums": drums,
        "max_files": max_files,
        "limits": _limits_key(limits),
        "files": [[it.name, it.sha256, str(it.refused)] for it in items],  # English, as keys were made
        "early": [[r.name, str(r.reason)] for r in early],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# Limits that never change what a file gives, left out of the cache keys (so the shipped sets still
# match): a file refused for memory is not cached, and a load's budget or walk cap stop a load.
NOT_IN_KEY = ("max_parse_memory_mb", "max_upload_parse_seconds", "max_folder_entries")


def _limits_key(limits: Limits) -> dict:
    return {k: v for k, v in dataclasses.asdict(limits).items() if k not in NOT_IN_KEY}


@lru_cache(maxsize=1)
def _reader_versions() -> dict[str, str]:
    """The parsers' versions, part of the key: a new music21 may read the same file differently.
    From the installed metadata (milliseconds), without importing music21 (half a second)."""
    from importlib import metadata

    versions = {}
    for package in ("music21", "symusic"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = ""
    return versions


def _shipped_path(source, key: str) -> Path | None:
    """Where a built-in dataset's pre-parsed cache for this key would be shipped."""
    if os.environ.get(SHIPPED_ENV, "").strip() == "0":
        return None
    if not isinstance(source, (str, Path)) or str(source) not in BUILTIN:
        return None
    return SHIPPED_DIR / f"{source}-{key[:32]}.npz"


def _save_cache(path: Path, pieces: list[Piece], report: list[FileReport]) -> None:
    """A whole dataset in one compressed .npz (the shipped built-in sets)."""
    notes = np.concatenate([p.notes for p in pieces]) if pieces else np.zeros((0, N_COLUMNS))
    offsets = np.cumsum([0] + [p.n_notes for p in pieces]).astype(np.int64)
    meta = json.dumps({"names": [p.name for p in pieces], "report": [dataclasses.asdict(r) for r in report],
                       "parts": [[part.as_dict() for part in p.parts] for p in pieces],
                       "time_signatures": [p.time_signatures for p in pieces],
                       "keys": [p.key_sharps for p in pieces]})
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(  # a tenth of the size; reading it back costs milliseconds more
            tmp,
            columns=np.ascontiguousarray(notes.astype(np.float64).T),  # by column: compresses to half
            offsets=offsets,
            tempos=np.asarray([p.tempo for p in pieces], dtype=np.float64),
            meta=np.asarray(meta),
        )


def _load_cache(path: Path | None) -> tuple[list[Piece], list[FileReport]] | None:
    """The pieces and report of a shipped set at ``path``; None when missing or unreadable (parse again)."""
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            notes, offsets = np.ascontiguousarray(z["columns"].T), z["offsets"]
            tempos = z["tempos"]
            meta = json.loads(str(z["meta"]))
        pieces = [
            Piece(name, notes[offsets[i] : offsets[i + 1]], tempo=float(tempos[i]),
                  parts=[Part(**part) for part in meta["parts"][i]], time_signatures=meta["time_signatures"][i],
                  key_sharps=meta["keys"][i])
            for i, name in enumerate(meta["names"])
        ]
        report = [FileReport(**{**r, "reason": from_json(r["reason"])}) for r in meta["report"]]
    except Exception:  # half-written by an older version, or damaged, down to its JSON
        return None
    return pieces, report


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def load_pieces(
    source,
    data: DataConfig | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    *,
    shipped: bool = True,
) -> LoadResult:
    """Load music from a built-in dataset name, a folder, a file, a .zip, a list of paths, or a
    list of ``(filename, bytes)`` uploads (a .zip among them is expanded in memory).

    ``data`` supplies ``parts``, ``max_files`` (> 0: the first N files in sorted order) and
    ``limits``. ``cache_dir``: where parsed files are cached (default ``$MUSEGEN_CACHE`` or
    ``~/.cache/musegen``; ``False`` turns the cache off). Only the files it lacks are parsed; when it
    lacks any, a built-in dataset is read whole from its shipped cache (``SHIPPED_DIR``) if one
    matches, unless ``shipped`` is False or ``$MUSEGEN_SHIPPED_CACHE`` is 0. ``progress(done, total,
    name)`` is called as files are parsed (total: the files to parse). A dataset of more than
    ``parsecache.IN_MEMORY_NOTES`` notes comes back as pieces read from the cache on demand.
    Raises InputError when no file is usable, or when no worker process can be started to parse
    them (they are never parsed in the caller's process).
    """
    data = data or DataConfig()
    limits = data.limits
    parts = data.parts or "all"
    parse_part_indices(parts)
    if isinstance(source, Iterable) and not isinstance(source, (str, Path, bytes, bytearray)):
        source = list(source)  # looked at twice: is it an upload, and its files
    budget = limits.max_upload_parse_seconds if _is_upload(source) else 0.0

    label, items, early = _gather(source, data)
    folder = _cache_folder(cache_dir)
    settings = _parse_settings(parts, data.drums, limits)
    keys = ["" if it.refused else parsecache.entry_key(it.name, it.sha256, settings) for it in items]
    found = parsecache.lookup(folder, set(keys) - {""}) if folder is not None else {}
    todo = [i for i, key in enumerate(keys) if key not in found]  # refused ones too: reported, never parsed
    if any(not items[i].refused for i in todo) and shipped:
        hit = _load_cache(_shipped_path(source, _cache_key(items, early, parts, data.drums, data.max_files, limits)))
        if hit is not None:  # a damaged or missing file is None: parse
            if progress is not None:
                progress(len(items), len(items), "")
            return LoadResult(hit[0], hit[1], label, cached=True)

    reports: list[FileReport | None] = [None] * len(items)
    slots: list = [None] * len(items)  # a parsed file's Piece, or its (shard, row) in the cache
    for i, key in enumerate(keys):
        if key in found:
            e = found[key]
            reports[i] = FileReport(items[i].name, e.status, from_json(e.reason), e.notes, e.seconds, items[i].sha256)
            slots[i] = (e.shard, e.row) if e.status == "parsed" else None
    if todo:
        _parse_into(items, keys, todo, slots, reports, parts, data.drums, limits, folder, progress, budget)
    elif progress is not None:
        progress(len(items), len(items), "")

    parsed = [i for i, r in enumerate(reports) if r.status == "parsed"]
    report = early + reports
    if not parsed:
        raise InputError(_nothing_usable(label, report))
    names, slots = [items[i].name for i in parsed], [slots[i] for i in parsed]
    if sum(reports[i].notes for i in parsed) > parsecache.IN_MEMORY_NOTES:
        pieces = parsecache.StoredPieces(names, slots)  # read from the shards as training asks
    else:
        pieces = parsecache.materialise(names, slots)
    return LoadResult(pieces, report, label, cached=all(items[i].refused for i in todo))


def _parse_into(items, keys, todo, slots, reports, parts, drums, limits, folder, progress, budget=0.0) -> None:
    """Parse the files at ``todo``, filling their report and slot, and cache each result as it comes.

    A file refused for time or a dead worker may owe it to a busy or short-of-memory server, not to
    itself: such a result is not cached, so the next load tries it again. A piece stays in memory
    only until the shard that holds it is written.
    """
    writer = parsecache.ShardWriter(folder) if folder is not None else None
    transient = _transient(limits)
    index = {key: i for i, key in enumerate(keys) if key}

    def stored(entries: dict) -> None:
        for key, entry in entries.items():
            if slots[index[key]] is not None:
                slots[index[key]] = (entry.shard, entry.row)

    def done(k: int, piece: Piece | None, report: FileReport) -> None:
        i = todo[k]
        reports[i], slots[i] = report, piece
        if writer is not None and keys[i] and report.reason not in transient:
            fields = {"status": report.status, "reason": to_json(report.reason), "notes": report.notes,
                      "seconds": report.seconds}
            stored(writer.add(keys[i], piece, fields))

    _parse_all([items[i] for i in todo], parts, drums, limits, progress, done, budget)
    if writer is not None:
        stored(writer.flush())


def _transient(limits: Limits) -> list[Message]:
    """Reasons a busy or short-of-memory server may be to blame for: never cached, never shipped."""
    return [CRASHED, timed_out(limits.max_parse_seconds), out_of_memory(limits.max_parse_memory_mb),
            over_budget(limits.max_upload_parse_seconds)]


def _is_upload(source) -> bool:
    """Files sent as (filename, bytes) pairs, as the app's uploads come: their reading shares a budget
    (Limits.max_upload_parse_seconds). A dataset the command line names by path has none."""
    return isinstance(source, list) and any(
        isinstance(e, (tuple, list)) and len(e) == 2 and isinstance(e[1], (bytes, bytearray)) for e in source)


def _gather(source, data: DataConfig) -> tuple[str | Message, list[_Item], list[FileReport]]:
    """The source's label (a Message for a list of files), its files to parse in name order (the
    first max_files), hashed, and the reports on files refused on sight."""
    label, items, early = _collect(source, data.limits)
    items.sort(key=lambda it: it.name)
    if data.max_files and data.max_files > 0:
        items = items[: data.max_files]
    _hash_items(items, data.limits)
    return label, items, early


def _nothing_usable(label, report: list[FileReport]) -> Message:
    if not report:
        return msg("said.no_files", label=label, extensions=", ".join(MUSIC_EXTENSIONS))
    reasons: list[Message] = []  # the first three different reasons, each with a file it refused
    for r in report:
        if str(r.reason) not in {str(x.values["reason"]) for x in reasons}:
            reasons.append(msg("said.file_reason", name=r.name, reason=r.reason))
        if len(reasons) == 3:
            break
    listed = reasons[-1]
    for reason in reversed(reasons[:-1]):  # "a.mid: no notes; b.mid: empty file"
        listed = msg("said.reasons_and", first=reason, rest=listed)
    return msg("said.all_skipped", label=label, n=len(report), reasons=listed)


# --------------------------------------------------------------------------------------------
# Shipped caches: the built-in datasets pre-parsed (python -m musegen.music.sources --ship)
# --------------------------------------------------------------------------------------------


def shipped_settings(name: str) -> DataConfig:
    """What the app and ``musegen train --dataset NAME`` ask for: the defaults (only parts, drums,
    max_files and limits reach the key)."""
    return DataConfig(dataset=name)


def ship(names: Iterable[str] = (), out: Path = SHIPPED_DIR, progress: Progress | None = None) -> list[Path]:
    """Parse each built-in dataset afresh through load_pieces at ``shipped_settings`` and write it
    whole as ``out/NAME-KEY.npz`` in place of the old one. Refuses to ship a set where a file ran
    out of time or crashed its parser (a busy machine may be to blame)."""
    written = []
    for name in list(names) or list(BUILTIN):
        if name not in BUILTIN:
            raise InputError(msg("said.not_builtin", name=name, builtin=", ".join(BUILTIN)))
        settings = shipped_settings(name)
        loaded = load_pieces(name, settings, cache_dir=False, progress=progress, shipped=False)
        if any(r.reason in _transient(settings.limits) for r in loaded.report):
            raise InputError(msg("said.ship_transient", name=name))
        _, items, early = _gather(name, settings)
        key = _cache_key(items, early, settings.parts or "all", settings.drums, settings.max_files, settings.limits)
        target = out / f"{name}-{key[:32]}.npz"
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob(f"{name}-*.npz"):
            old.unlink()
        _save_cache(target, list(loaded.pieces), loaded.report)
        written.append(target)
    return written


class FilesLeft:
    """'1,234/20,000 files · about 40 s left' for each progress call. The pace is measured from the
    first file done: until then the workers were starting, which later files do not wait for.
    ``budget``: an upload's reading time (Limits.max_upload_parse_seconds), counted from now: the
    files it leaves are skipped, so no more than what is left of it is ever promised."""

    def __init__(self, budget: float = 0.0):
        self.first: tuple[float, int] | None = None
        self.ends = time.monotonic() + budget if budget else math.inf

    def seconds_left(self, done: int, total: int) -> float | None:
        """The time the other files should take at the pace so far; None until it is known."""
        now = time.monotonic()
        if self.first is None:
            self.first = (now, done)
        since, at = self.first
        if not at < done < total:
            return None
        return max(0.0, min((now - since) * (total - done) / (done - at), self.ends - now))

    def __call__(self, done: int, total: int) -> str:
        left = self.seconds_left(done, total)
        text = f"{done:,}/{total:,} files"
        return text if left is None else f"{text} · about {format_duration(left, rough=True)} left"


def _print_progress(name: str) -> Progress:
    """A line per tenth of the files, with an estimate of the time left."""
    shown, left = [0], FilesLeft()

    def report(done: int, total: int, _file: str) -> None:
        text = left(done, total)
        tenth = 10 * done // max(total, 1)
        if tenth > shown[0]:
            shown[0] = tenth
            print(f"{name}: {text}", flush=True)

    return report


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "--ship":
        print("usage: python -m musegen.music.sources --ship [NAME…]  (rebuild assets/datasets/)", file=sys.stderr)
        return 2
    for name in argv[1:] or list(BUILTIN):
        try:
            [path] = ship([name], progress=_print_progress(name))
        except InputError as e:
            print(f"musegen: {e}", file=sys.stderr)
            return 1
        print(f"wrote {path} ({format_bytes(path.stat().st_size)})", flush=True)
    return 0


if __name__ == "__main__":
    # Through the importable module, not this __main__ copy: the parse workers find their function by
    # its module's name.
    from musegen.music.sources import main as _main

    sys.exit(_main(sys.argv[1:]))
