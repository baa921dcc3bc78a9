"""Music in: built-in corpora, folders, file lists, uploads and zips → Pieces plus a per-file report.

One entry point, :func:`load_pieces`, takes whatever the user pointed at and returns a
:class:`LoadResult`: the pieces that parsed and a :class:`FileReport` for every file, parsed or
skipped with a reason a person can read. A bad file is reported and skipped; it never takes the
other files down. Only when *no* file is usable does it raise :class:`InputError`.

- MIDI goes through symusic (fast, C++); MusicXML / ABC / Humdrum through music21.
- Hostile input is refused cheaply: file size before reading, duration from the tempo map
  before building note arrays, zip member count / total size / compression ratio / unsafe
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
from .piece import Piece

CACHE_VERSION = 1

MIDI_EXTENSIONS = (".mid", ".midi")
SCORE_EXTENSIONS = (".xml", ".musicxml", ".mxl", ".abc", ".krn")
MUSIC_EXTENSIONS = MIDI_EXTENSIONS + SCORE_EXTENSIONS

DEFAULT_MIDI_TEMPO = 120.0  # MIDI's own default when a file has no tempo event
DEFAULT_SCORE_TEMPO = 100.0  # a hymn-like pace for scores without a metronome mark
DEFAULT_VELOCITY = 80
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


class _Skip(InputError):
    """A file we refuse; ``reason`` is the short text that goes in its FileReport."""

    def __init__(self, reason: str, name: str = ""):
        super().__init__(f"{name}: {reason}" if name else reason)
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Human-readable sizes and durations
# --------------------------------------------------------------------------------------------


def _fmt_bytes(n: float) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.3g} GB"
    if n >= 1e6:
        return f"{n / 1e6:.3g} MB"
    if n >= 1e3:
        return f"{n / 1e3:.3g} kB"
    return f"{int(n)} bytes"


def _fmt_duration(seconds: float) -> str:
    s = float(seconds)
    if s >= 2 * 365 * 86400:
        return f"{s / (365 * 86400):,.0f} years"
    if s >= 2 * 86400:
        return f"{s / 86400:,.0f} days"
    if s >= 2 * 3600:
        h, m = divmod(int(round(s / 60)), 60)
        return f"{h} h {m} min" if m else f"{h} h"
    if s >= 60:
        return f"{s / 60:.0f} min"
    return f"{s:.0f} s"


def _check_size(nbytes: int, limits: Limits) -> None:
    if nbytes == 0:
        raise _Skip("empty file")
    if limits.max_file_bytes and nbytes > limits.max_file_bytes:
        raise _Skip(f"too large: {_fmt_bytes(nbytes)} (limit {_fmt_bytes(limits.max_file_bytes)})")


def _check_content(n_notes: int, seconds: float, limits: Limits) -> None:
    if limits.max_notes and n_notes > limits.max_notes:
        raise _Skip(f"too many notes: {n_notes:,} (limit {limits.max_notes:,})")
    if limits.max_seconds and seconds > limits.max_seconds:
        raise _Skip(f"too long: {_fmt_duration(seconds)} (limit {_fmt_duration(limits.max_seconds)})")


def _short(error: BaseException, limit: int = 120) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    for noise in ("MiniMidi: ", ": iostream error"):
        text = text.replace(noise, "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------


def _kind(name: str, data: bytes) -> str:
    if data[:4] == b"MThd":
        return "midi"
    ext = os.path.splitext(name)[1].lower()
    if ext in MIDI_EXTENSIONS:
        if data[:4] == b"RIFF":  # RMID: a standard MIDI file wrapped in a RIFF chunk
            return "midi"
        raise _Skip(f"not a MIDI file: {ext} but it does not start with the MIDI header")
    if ext in SCORE_EXTENSIONS:
        return ext[1:]
    shown = ext or "no extension"
    raise _Skip(f"not a MIDI or score file ({shown})")


def _parse_part_indices(parts: str) -> list[int] | None:
    if parts in ("auto", "all", "piano"):
        return None
    try:
        indices = [int(x) for x in parts.replace(" ", "").split(",") if x != ""]
    except ValueError:
        raise InputError(
            f"Unknown part selection {parts!r}: use auto, all, piano or part numbers like 0,2"
        ) from None
    if not indices or min(indices) < 0:
        raise InputError(f"Part numbers must be 0 or more, like 0,2 (got {parts!r})")
    return indices


def _select(parts: str, tracks: list[tuple[bool, bool, int]]) -> list[int]:
    """Choose part indices. ``tracks``: (is_drum, is_piano, n_notes) per part, in file order."""
    pitched = [i for i, (drum, _, n) in enumerate(tracks) if not drum and n > 0]
    if not any(n for _, _, n in tracks):
        raise _Skip("no notes")
    if not pitched:
        raise _Skip("drums only")
    piano = [i for i in pitched if tracks[i][1]]
    if parts == "auto":
        return piano or pitched
    if parts == "all":
        return pitched
    if parts == "piano":
        if not piano:
            raise _Skip("no piano part")
        return piano
    wanted = _parse_part_indices(parts) or []
    chosen = [i for i in wanted if i < len(tracks) and i in pitched]
    if not chosen:
        raise _Skip(f"no notes in part(s) {parts} (the file has {len(tracks)} part(s))")
    return chosen


def _read_midi(name: str, data: bytes, parts: str, limits: Limits) -> Piece:
    import symusic

    if data[:4] == b"RIFF" and b"MThd" in data:  # RMID wrapper
        data = data[data.index(b"MThd"):]
    try:
        score = symusic.Score.from_midi(data)
    except Exception as e:  # symusic raises RuntimeError for corrupt data
        raise _Skip(f"truncated or corrupt MIDI: {_short(e, 80)}") from None
    tracks = list(score.tracks)
    n_total = sum(len(t.notes) for t in tracks)
    if n_total == 0:
        raise _Skip("no notes")
    # Real length from the tempo map, before any note array exists: a 44-byte file can claim years.
    seconds = float(score.to("second").end())
    _check_content(n_total, seconds, limits)

    def is_piano(t) -> bool:
        return 0 <= t.program <= 7 or "piano" in (t.name or "").lower()

    chosen = _select(parts, [(t.is_drum, is_piano(t), len(t.notes)) for t in tracks])
    quarter = score.to("quarter")
    columns = []
    for i in chosen:
        arr = quarter.tracks[i].notes.numpy()
        columns.append(
            np.column_stack(
                [
                    arr["time"].astype(np.float64),
                    arr["duration"].astype(np.float64),
                    arr["pitch"].astype(np.float64),
                    arr["velocity"].astype(np.float64),
                ]
            )
        )
    notes = np.concatenate(columns) if columns else np.zeros((0, 4))
    notes = notes[notes[:, 1] > 0]
    if not len(notes):
        raise _Skip("no notes")
    tempo = float(score.tempos[0].qpm) if len(score.tempos) else DEFAULT_MIDI_TEMPO
    if not (tempo > 0 and np.isfinite(tempo)):
        tempo = DEFAULT_MIDI_TEMPO
    programs = {int(tracks[i].program) for i in chosen}
    program = programs.pop() if len(programs) == 1 else 0
    return Piece(_stem(name), notes, tempo=tempo, program=program)


def _decode_text(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _mxl_to_xml(data: bytes, limits: Limits) -> bytes:
    """The score inside a compressed MusicXML (.mxl) archive, read in memory with bomb guards."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = {i.filename: i for i in z.infolist() if not i.is_dir()}
            root = None
            if "META-INF/container.xml" in infos:
                import xml.etree.ElementTree as ET

                container = ET.fromstring(z.read("META-INF/container.xml"))
                for el in container.iter():
                    if el.tag.endswith("rootfile") and el.get("full-path"):
                        root = el.get("full-path")
                        break
            if root not in infos:
                xmls = sorted(n for n in infos if n.lower().endswith((".xml", ".musicxml"))
                              and not n.startswith("META-INF/"))
                root = xmls[0] if xmls else None
            if root is None:
                raise _Skip("could not parse: no score inside the .mxl archive")
            info = infos[root]
            cap = max(limits.max_file_bytes * 20, 50_000_000) if limits.max_file_bytes else 0
            if cap and info.file_size > cap:
                raise _Skip(f"too large: {_fmt_bytes(info.file_size)} unpacked")
            return z.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as e:
        raise _Skip(f"could not parse: damaged .mxl archive ({_short(e, 60)})") from None


def _read_score(name: str, data: bytes, kind: str, parts: str, limits: Limits) -> Piece:
    from music21 import converter, harmony, instrument, stream, tempo as m21tempo

    fmt = {"xml": "musicxml", "musicxml": "musicxml", "mxl": "musicxml", "abc": "abc", "krn": "humdrum"}[kind]
    raw = _mxl_to_xml(data, limits) if kind == "mxl" else data
    try:
        parsed = converter.parseData(_decode_text(raw), format=fmt)
    except Exception as e:  # music21 raises many kinds; the file is at fault
        raise _Skip(f"could not parse: {_short(e)}") from None

    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    if not scores:
        raise _Skip("no notes")
    # Several tunes in one file (ABC books): played one after another.
    marks = list(scores[0].recurse().getElementsByClass(m21tempo.MetronomeMark))
    bpm = DEFAULT_SCORE_TEMPO
    for mark in marks:
        q = mark.getQuarterBPM()
        if q and q > 0:
            bpm = float(q)
            break

    def part_list(s):
        ps = list(s.parts) if hasattr(s, "parts") else []
        return ps or [s]

    first_parts = part_list(scores[0])
    info = []
    for p in first_parts:
        inst = p.getInstrument(returnDefault=False)
        label = " ".join(
            str(x) for x in (p.partName, getattr(inst, "instrumentName", None), getattr(inst, "partName", None)) if x
        )
        drum = isinstance(inst, instrument.UnpitchedPercussion)
        info.append([drum, "piano" in label.lower(), 0, p])
    for row in info:
        row[2] = sum(1 for n in row[3].recurse().notes if not getattr(n, "isUnpitched", False))
    chosen = _select(parts, [(d, pi, n) for d, pi, n, _ in info])

    rows: list[tuple[float, float, float, float]] = []
    shift = 0.0  # onset of the current tune when a file holds several
    for s in scores:
        ps = part_list(s)
        end = float(s.highestTime)
        for i in chosen:
            if i >= len(ps):
                continue
            ps[i].stripTies(inPlace=True)  # tied notes become one long note
            for el in ps[i].flatten().notes:
                ql = float(el.duration.quarterLength)
                if ql <= 0 or el.duration.isGrace or isinstance(el, harmony.Harmony):  # chord symbols
                    continue
                start = float(el.offset)
                end = max(end, start + ql)
                vel = el.volume.velocity if el.volume is not None and el.volume.velocity else DEFAULT_VELOCITY
                for p in getattr(el, "pitches", ()):  # a chord gives one row per pitch
                    rows.append((shift + start, ql, float(p.midi), float(vel)))
        shift += end
    if not rows:
        raise _Skip("no notes")
    notes = np.asarray(rows, dtype=np.float64)
    seconds = float((notes[:, 0] + notes[:, 1]).max()) * 60.0 / bpm
    _check_content(len(notes), seconds, limits)
    return Piece(_stem(name), notes, tempo=bpm, program=0)


def _stem(name: str) -> str:
    return posixpath.basename(name.replace("\\", "/"))


def read_file_bytes(name: str, data: bytes, parts: str = "auto", limits: Limits | None = None) -> Piece:
    """Parse one file's bytes into a Piece; raise InputError saying why when it cannot be used.

    ``name`` supplies the extension (``.mid``, ``.mxl``, ``.abc``, ``.krn``…); bytes starting with
    ``MThd`` are MIDI whatever the name. ``parts``: auto | all | piano | indices like ``0,2``.
    The error's ``reason`` attribute holds the short text used in a FileReport.
    """
    limits = limits or Limits()
    _parse_part_indices(parts)  # a bad setting is the user's, not the file's: raise it plainly
    try:
        _check_size(len(data), limits)
        kind = _kind(name, data)
        if kind == "midi":
            return _read_midi(name, data, parts, limits)
        return _read_score(name, data, kind, parts, limits)
    except _Skip as e:
        raise _Skip(e.reason, name) from None


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
        raise InputError(f"{label} is not a readable zip file ({_short(e, 60)})") from None
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
                f"{label} unpacks to {_fmt_bytes(total)}; the limit is {_fmt_bytes(limits.max_zip_bytes)}."
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
                _check_size(info.file_size, limits)
            except _Skip as e:
                yield FileReport(name, "skipped", e.reason)
                continue
            try:
                data = z.read(info)  # bounded by the declared size; CRC checked
            except Exception as e:  # damaged member, unsupported compression, bad CRC
                yield FileReport(name, "skipped", f"damaged zip member ({_short(e, 60)})")
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
                    items.append(_Item(_stem(fname), data=data))
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
            _check_size(size, limits)
        except _Skip as e:
            it.refused = e.reason
            it.sha256 = f"refused:{size}"
            continue
        except OSError as e:
            it.refused = f"could not read: {_short(e, 60)}"
            continue
        h = hashlib.sha256()
        try:
            with open(it.path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError as e:
            it.refused = f"could not read: {_short(e, 60)}"
            continue
        it.sha256 = h.hexdigest()


def _parse_one(args) -> tuple[Piece | None, FileReport]:
    """Top-level (picklable) worker: one item → (piece or None, report). Never raises."""
    name, path, data, sha, refused, parts, limits = args
    if refused:
        return None, FileReport(name, "skipped", refused, sha256=sha if not sha.startswith("refused") else "")
    try:
        if data is None:
            size = os.stat(path).st_size
            _check_size(size, limits)
            with open(path, "rb") as f:
                data = f.read()
        piece = read_file_bytes(name, data, parts, limits)
    except _Skip as e:
        return None, FileReport(name, "skipped", e.reason, sha256=sha)
    except InputError as e:
        return None, FileReport(name, "skipped", str(e), sha256=sha)
    except Exception as e:  # anything else a strange file provokes in a parser
        return None, FileReport(name, "skipped", f"could not parse: {_short(e)}", sha256=sha)
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


def _parse_all(items: list[_Item], parts: str, limits: Limits, progress: Progress | None):
    jobs = [(it.name, it.path, it.data, it.sha256, it.refused, parts, limits) for it in items]
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


def _cache_key(items: list[_Item], early: list[FileReport], parts: str, max_files: int, limits: Limits) -> str:
    payload = {
        "version": CACHE_VERSION,
        "parts": parts,
        "max_files": max_files,
        "limits": dataclasses.asdict(limits),
        "files": [[it.name, it.sha256, it.refused] for it in items],
        "early": [[r.name, r.reason] for r in early],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _save_cache(path: Path, pieces: list[Piece], report: list[FileReport]) -> None:
    notes = np.concatenate([p.notes for p in pieces]) if pieces else np.zeros((0, 4))
    offsets = np.cumsum([0] + [p.n_notes for p in pieces]).astype(np.int64)
    meta = json.dumps({"names": [p.name for p in pieces], "report": [dataclasses.asdict(r) for r in report]})
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(
            tmp,
            notes=notes.astype(np.float64),
            offsets=offsets,
            tempos=np.asarray([p.tempo for p in pieces], dtype=np.float64),
            programs=np.asarray([p.program for p in pieces], dtype=np.int64),
            meta=np.asarray(meta),
        )


def _load_cache(path: Path) -> tuple[list[Piece], list[FileReport]] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            notes, offsets = z["notes"], z["offsets"]
            tempos, programs = z["tempos"], z["programs"]
            meta = json.loads(str(z["meta"]))
    except Exception:  # missing, half-written by an older version, or damaged: parse again
        return None
    pieces = [
        Piece(name, notes[offsets[i] : offsets[i + 1]], tempo=float(tempos[i]), program=int(programs[i]))
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
    parts = data.parts or "auto"
    _parse_part_indices(parts)

    label, items, early = _collect(source, limits)
    items.sort(key=lambda it: it.name)
    if data.max_files and data.max_files > 0:
        items = items[: data.max_files]
    _hash_items(items, limits)

    cache_path = None
    if cache_dir is not False:
        root = Path(cache_dir) if cache_dir not in (None, "") else default_cache_dir()
        key = _cache_key(items, early, parts, data.max_files, limits)
        cache_path = root / f"pieces-{key[:32]}.npz"
        hit = _load_cache(cache_path) if cache_path.exists() else None
        if hit is not None:
            if progress is not None:
                progress(len(items), len(items), "")
            return LoadResult(hit[0], hit[1], label, cached=True)

    results = _parse_all(items, parts, limits, progress)
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
