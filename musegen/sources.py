"""Music in: built-in corpora, folders, file lists, uploads and zips → Pieces plus a per-file report.

One entry point, :func:`load_pieces`, takes whatever the user pointed at and returns a
:class:`LoadResult`: the pieces that parsed and a :class:`FileReport` for every file, parsed or
skipped with a reason a person can read. A bad file is reported and skipped; it never takes the
other files down. Only when *no* file is usable does it raise :class:`InputError`.

- Each file is read by ``readers.py`` (MIDI through symusic, scores through music21).
- Hostile input is refused cheaply: file size before reading, zip member count / total size / compression ratio / unsafe
  paths from the central directory before decompressing. Zips are read in memory, never
  extracted to disk.
- Parsed datasets are cached on disk as one ``.npz`` per content key (no pickle), written
  atomically.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import posixpath
import sys
import types
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .config import DataConfig, Limits
from .errors import InputError
from .files import atomic_path
from .piece import N_COLUMNS, Part, Piece
from .readers import (
    MIDI_EXTENSIONS,
    MUSIC_EXTENSIONS,
    Refused,
    check_size,
    file_stem,
    format_bytes,
    parse_part_indices,
    read_file_bytes,
    short_error,
)

CACHE_VERSION = 2  # 2: parts, time signatures and keys

# A process pool costs ~1-2 s to start (each worker imports music21), so it pays only for many
# score files (music21: ~0.05-0.2 s each); MIDI through symusic takes about a millisecond.
PARALLEL_MIN_FILES = 20  # score files (MusicXML, ABC, Humdrum)
PARALLEL_MIN_MIDI = 2000  # MIDI files

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
    reason: str = ""  # "" when parsed; text for a person when skipped
    notes: int = 0
    seconds: float = 0.0  # length of the music (from the tempo map)
    sha256: str = ""


@dataclass
class LoadResult:
    pieces: list[Piece]
    report: list[FileReport]
    source: str
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
        label = os.path.basename(str(data_or_path)) if isinstance(data_or_path, (str, Path)) else "The zip"
    src = io.BytesIO(data_or_path) if isinstance(data_or_path, (bytes, bytearray)) else data_or_path
    try:
        z = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise InputError(f"{label} is not a readable zip file ({short_error(e, 60)})") from None
    with z:
        members = [i for i in z.infolist() if not i.is_dir() and not _silently_ignored(i.filename)]
        if limits.max_zip_members and len(members) > limits.max_zip_members:
            raise InputError(
                f"{label} has {len(members):,} files; the limit is {limits.max_zip_members:,}. "
                "Split it into smaller zips."
            )
        total = sum(i.file_size for i in members)
        if limits.max_zip_bytes and total > limits.max_zip_bytes:
            raise InputError(
                f"{label} unpacks to {format_bytes(total)}; the limit is {format_bytes(limits.max_zip_bytes)}."
            )
        for info in members:
            name = info.filename
            if _unsafe(name):
                yield FileReport(name, "skipped", "unsafe path in zip (absolute or '..')")
                continue
            ext = os.path.splitext(name)[1].lower()
            if ext == ".zip":
                yield FileReport(name, "skipped", "zip inside a zip is not read")
                continue
            if ext not in MUSIC_EXTENSIONS:
                yield FileReport(name, "skipped", f"not a MIDI or score file ({ext or 'no extension'})")
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if limits.max_zip_ratio and info.file_size > 0 and ratio > limits.max_zip_ratio:
                yield FileReport(
                    name, "skipped",
                    f"zip bomb: compressed {ratio:,.0f}:1 (limit {limits.max_zip_ratio:g}:1)",
                )
                continue
            try:
                check_size(info.file_size, limits)
            except Refused as e:
                yield FileReport(name, "skipped", e.reason)
                continue
            try:
                data = z.read(info)  # bounded by the declared size; CRC checked
            except Exception as e:  # damaged member, unsupported compression, bad CRC
                yield FileReport(name, "skipped", f"damaged zip member ({short_error(e, 60)})")
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
    refused: str = ""  # reason, when refused before reading (size)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def _collect(source, limits: Limits) -> tuple[str, list[_Item], list[FileReport]]:
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
            reports.append(FileReport(label, "skipped", str(e)))

    def add_path(p: Path, inside_list: bool, name: str | None = None):
        name = name or p.name
        if not p.exists():
            if inside_list:
                reports.append(FileReport(name, "skipped", "file not found"))
                return
            raise InputError(f"{p} does not exist: give a built-in dataset name ({', '.join(BUILTIN)}), "
                             "a folder, a MIDI/score file or a .zip")
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).as_posix()
                if not f.is_file() or _silently_ignored(rel):
                    continue
                if f.name.lower().endswith(MUSIC_EXTENSIONS):
                    items.append(_Item(rel, path=str(f)))
                elif _is_zip_name(f.name):
                    add_zip(rel, str(f), True)
                else:
                    ext = f.suffix.lower() or "no extension"
                    reports.append(FileReport(rel, "skipped", f"not a MIDI or score file ({ext})"))
            return
        if _is_zip_name(p.name):
            try:
                _check_zip_file_size(p, limits)
            except InputError as e:
                if not inside_list:
                    raise
                reports.append(FileReport(name, "skipped", str(e)))
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
        raise InputError("Give uploaded files as a list of (filename, bytes) pairs")
    if isinstance(source, Iterable):
        entries = list(source)
        uploads = 0
        for entry in entries:
            if isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[1], (bytes, bytearray)):
                fname, data = str(entry[0]), bytes(entry[1])
                uploads += 1
                if _is_zip_name(fname) or data[:4] == b"PK\x03\x04":
                    add_zip(fname, data, True)
                else:
                    items.append(_Item(file_stem(fname), data=data))
            elif isinstance(entry, (str, Path)):
                add_path(Path(entry).expanduser(), True)
            else:
                raise InputError(f"Cannot read {entry!r}: expected a path or a (filename, bytes) pair")
        label = f"{len(entries)} uploaded file(s)" if uploads == len(entries) else f"{len(entries)} file(s)"
        return label, items, reports
    raise InputError(f"Cannot read music from {type(source).__name__}: give a dataset name, path or files")


def _check_zip_file_size(p: Path, limits: Limits) -> None:
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{p.name} is empty")


def _hash_items(items: list[_Item], limits: Limits) -> None:
    """Content hashes for the cache key; sizes checked from os.stat before anything is read."""
    for it in items:
        if it.data is not None:
            it.sha256 = _sha(it.data)
            continue
        try:
            size = os.stat(it.path).st_size
            check_size(size, limits)
        except Refused as e:
            it.refused = e.reason
            it.sha256 = f"refused:{size}"
            continue
        except OSError as e:
            it.refused = f"could not read: {short_error(e, 60)}"
            continue
        h = hashlib.sha256()
        try:
            with open(it.path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as e:
            it.refused = f"could not read: {short_error(e, 60)}"
            continue
        it.sha256 = h.hexdigest()


def _parse_one(args) -> tuple[Piece | None, FileReport]:
    """Top-level (picklable) worker: one item → (piece or None, report). Never raises."""
    name, path, data, sha, refused, parts, drums, limits = args
    if refused:
        return None, FileReport(name, "skipped", refused, sha256=sha if not sha.startswith("refused") else "")
    try:
        if data is None:
            size = os.stat(path).st_size
            check_size(size, limits)
            with open(path, "rb") as f:
                data = f.read()
        piece = read_file_bytes(name, data, parts, limits, drums)
    except Refused as e:
        return None, FileReport(name, "skipped", e.reason, sha256=sha)
    except InputError as e:
        return None, FileReport(name, "skipped", str(e), sha256=sha)
    except Exception as e:  # anything else a strange file provokes in a parser
        return None, FileReport(name, "skipped", f"could not parse: {short_error(e)}", sha256=sha)
    piece.name = name
    return piece, FileReport(name, "parsed", "", piece.n_notes, round(piece.seconds, 3), sha)


@contextlib.contextmanager
def _main_hidden():
    """Keep spawned workers from re-running the caller's ``__main__`` script.

    Spawn re-imports the parent's main module in every child; an unguarded script (a notebook
    export, a quick benchmark) would run again in each worker. The worker function lives in this
    module, so the children do not need ``__main__`` at all: show them an empty one while the
    pool starts its processes.
    """
    real = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if real is not None:
            sys.modules["__main__"] = real


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _parse_all(items: list[_Item], parts: str, drums: bool, limits: Limits, progress: Progress | None):
    jobs = [(it.name, it.path, it.data, it.sha256, it.refused, parts, drums, limits) for it in items]
    total = len(jobs)
    out: list[tuple[Piece | None, FileReport]] = []

    def tick(result):
        out.append(result)
        if progress is not None:
            progress(len(out), total, result[1].name)

    workers = min(_cpus(), max(1, total // 4))
    todo = [it for it in items if not it.refused]
    n_midi = sum(1 for it in todo if it.name.lower().endswith(MIDI_EXTENSIONS))
    if workers > 1 and (len(todo) - n_midi > PARALLEL_MIN_FILES or n_midi > PARALLEL_MIN_MIDI):
        try:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            # spawn: safe with threads (TensorFlow, Streamlit) in the parent. A worker that dies
            # breaks the executor with an exception (multiprocessing.Pool would hang instead).
            chunk = max(1, min(16, total // (workers * 8)))
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
                with _main_hidden():  # workers start on submit; they need musegen, not the caller's script
                    results = pool.map(_parse_one, jobs, chunksize=chunk)
                for result in results:
                    tick(result)
            return out
        except Exception:
            pass  # no processes here (sandbox, frozen app…) or a worker died: go on in this one
    for job in jobs[len(out):]:
        tick(_parse_one(job))
    return out


# --------------------------------------------------------------------------------------------
# Cache: one .npz per content key, no pickle, written atomically
# --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    return Path(os.environ.get("MUSEGEN_CACHE") or Path.home() / ".cache" / "musegen")


def _cache_key(items: list[_Item], early: list[FileReport], parts: str, drums: bool, max_files: int,
               limits: Limits) -> str:
    payload = {
        "version": CACHE_VERSION,
        "parts": parts,
        "drums": drums,
        "max_files": max_files,
        "limits": dataclasses.asdict(limits),
        "files": [[it.name, it.sha256, it.refused] for it in items],
        "early": [[r.name, r.reason] for r in early],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _save_cache(path: Path, pieces: list[Piece], report: list[FileReport]) -> None:
    notes = np.concatenate([p.notes for p in pieces]) if pieces else np.zeros((0, N_COLUMNS))
    offsets = np.cumsum([0] + [p.n_notes for p in pieces]).astype(np.int64)
    meta = json.dumps({"names": [p.name for p in pieces], "report": [dataclasses.asdict(r) for r in report],
                       "parts": [[part.as_dict() for part in p.parts] for p in pieces],
                       "time_signatures": [p.time_signatures for p in pieces],
                       "keys": [p.key_sharps for p in pieces]})
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(
            tmp,
            notes=notes.astype(np.float64),
            offsets=offsets,
            tempos=np.asarray([p.tempo for p in pieces], dtype=np.float64),
            meta=np.asarray(meta),
        )


def _load_cache(path: Path) -> tuple[list[Piece], list[FileReport]] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            notes, offsets = z["notes"], z["offsets"]
            tempos = z["tempos"]
            meta = json.loads(str(z["meta"]))
    except Exception:  # missing, half-written by an older version, or damaged: parse again
        return None
    pieces = [
        Piece(name, notes[offsets[i] : offsets[i + 1]], tempo=float(tempos[i]),
              parts=[Part(**part) for part in meta["parts"][i]], time_signatures=meta["time_signatures"][i],
              key_sharps=meta["keys"][i])
        for i, name in enumerate(meta["names"])
    ]
    report = [FileReport(**r) for r in meta["report"]]
    return pieces, report


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def load_pieces(
    source,
    data: DataConfig | None = None,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load music from a built-in dataset name, a folder, a file, a .zip, a list of paths, or a
    list of ``(filename, bytes)`` uploads (a .zip among them is expanded in memory).

    ``data`` supplies ``parts``, ``max_files`` (> 0: the first N files in sorted order) and
    ``limits``. ``cache_dir``: where parsed datasets are cached (default ``$MUSEGEN_CACHE`` or
    ``~/.cache/musegen``; ``False`` turns the cache off). ``progress(done, total, name)`` is
    called as files are parsed. Raises InputError when no file is usable.
    """
    data = data or DataConfig()
    limits = data.limits
    parts = data.parts or "all"
    parse_part_indices(parts)

    label, items, early = _collect(source, limits)
    items.sort(key=lambda it: it.name)
    if data.max_files and data.max_files > 0:
        items = items[: data.max_files]
    _hash_items(items, limits)

    cache_path = None
    if cache_dir is not False:
        root = Path(cache_dir) if cache_dir not in (None, "") else default_cache_dir()
        key = _cache_key(items, early, parts, data.drums, data.max_files, limits)
        cache_path = root / f"pieces-{key[:32]}.npz"
        hit = _load_cache(cache_path) if cache_path.exists() else None
        if hit is not None:
            if progress is not None:
                progress(len(items), len(items), "")
            return LoadResult(hit[0], hit[1], label, cached=True)

    results = _parse_all(items, parts, data.drums, limits, progress)
    pieces = [p for p, _ in results if p is not None]
    report = early + [r for _, r in results]
    if not pieces:
        raise InputError(_nothing_usable(label, report))
    if cache_path is not None:
        try:
            _save_cache(cache_path, pieces, report)
        except OSError:
            pass  # a read-only disk only costs the next load its speed
    return LoadResult(pieces, report, label, cached=False)


def _nothing_usable(label: str, report: list[FileReport]) -> str:
    if not report:
        return (f"No usable music in {label}: no files found (looking for "
                f"{', '.join(MUSIC_EXTENSIONS)} or .zip)")
    reasons: list[str] = []
    for r in report:
        text = f"{r.name}: {r.reason}"
        if r.reason not in {x.split(': ', 1)[-1] for x in reasons}:
            reasons.append(text)
        if len(reasons) == 3:
            break
    return f"No usable music in {label}: {len(report)} files, all skipped ({'; '.join(reasons)})"
