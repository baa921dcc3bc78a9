"""The parsed-music cache: one entry per file, kept in shards, so a folder that grows re-parses only what is new.

An entry is what parsing one file gave (its piece, or why it was skipped), keyed by the file's
name and content hash and everything else that could change the result (parse settings, parser
versions, ``CACHE_VERSION``). Entries are written in shards, ``shard-ID.npz``: up to SHARD_FILES
files or SHARD_NOTES notes, with the entries' keys, their notes by column, and a JSON string for
the rest (reports, parts, metres, keys). No pickle; each shard is written atomically. There is no
separate index to fall out of step: a load reads every shard's keys (a small array) and then only
the shards it needs, and a shard that does not read back whole is deleted, its files parsed again.

Shards are ``.npz`` files in the cache folder, so the app's disk budget (``MUSEGEN_MAX_CACHE_MB``,
least recently used first, ``disk.cache_files``) counts and evicts them like any cache file; a
shard read by a load is marked as used.

A big dataset (more than ``IN_MEMORY_NOTES``) is not read into memory at all: :class:`StoredPieces`
reads its pieces from the shards as they are asked for, a few shards at a time.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..messages import msg
from ..files import atomic_path
from .piece import N_COLUMNS, Part, Piece
from .report import music_fields, music_of

SHARD_FILES = 2000
SHARD_NOTES = 500_000  # 20 MB of float64 notes: what reading one shard holds in memory
IN_MEMORY_NOTES = 1_000_000  # above this, a load's pieces stay on disk (StoredPieces)
SHARDS_KEPT = 4  # shards StoredPieces keeps decoded (pieces of a folder that grew come from several)
KEY_CHARS = 32  # of the SHA-256 hex digest: 128 bits


def default_cache_dir() -> Path:
    """Where parsed files are cached unless a load names a folder."""
    return Path(os.environ.get("MUSEGEN_CACHE") or Path.home() / ".cache" / "musegen")


def cache_folder(cache_dir) -> Path | None:
    """A load's ``cache_dir`` as a folder: None (default) or "" is ``default_cache_dir()``; False, no cache."""
    if cache_dir is False:
        return None
    return Path(cache_dir) if cache_dir not in (None, "") else default_cache_dir()


def entry_key(name: str, sha256: str, settings: str) -> str:
    """The key of one file's entry: its name (the parser is chosen by its extension, and a reason
    may quote it), its content and the settings fingerprint."""
    return hashlib.sha256(f"{settings}\n{name}\n{sha256}".encode()).hexdigest()[:KEY_CHARS]


def settings_fingerprint(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True)


@dataclass(frozen=True)
class Entry:
    """Where a cached file lives, and its report fields (name and hash come from the file itself)."""

    shard: Path
    row: int
    status: str
    reason: str
    notes: int
    seconds: float
    music: dict = field(default_factory=dict)  # a parsed file's metre, key and tempo (report.music_fields)


# ------------------------------------------------------------------------------------- writing


class ShardWriter:
    """Collects parse results and writes them as shards of up to SHARD_FILES files / SHARD_NOTES notes.

    ``add`` returns the entries a full shard just wrote (``{key: Entry}``), so the caller can let go
    of those pieces. A failed write (a full or read-only disk) turns the writer off: the results it
    held are the caller's to keep, and the next load parses them again.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.pending: list[tuple[str, Piece | None, dict]] = []
        self.notes = 0
        self.broken = False

    def add(self, key: str, piece: Piece | None, report: dict) -> dict[str, Entry]:
        if self.broken:
            return {}
        self.pending.append((key, piece, report))
        self.notes += piece.n_notes if piece is not None else 0
        if len(self.pending) >= SHARD_FILES or self.notes >= SHARD_NOTES:
            return self.flush()
        return {}

    def flush(self) -> dict[str, Entry]:
        if self.broken or not self.pending:
            return {}
        path = self.folder / f"shard-{secrets.token_hex(8)}.npz"
        try:
            write_shard(path, self.pending)
        except OSError:
            self.broken = True
            return {}
        written = {key: Entry(path, row, r["status"], r["reason"], r["notes"], r["seconds"], music_of(piece))
                   for row, (key, piece, r) in enumerate(self.pending)}
        self.pending, self.notes = [], 0
        return written


def write_shard(path: Path, entries: list[tuple[str, Piece | None, dict]]) -> None:
    """entries: (key, piece or None for a skipped file, report fields: status, reason, notes, seconds)."""
    pieces = [p for _, p, _ in entries if p is not None]
    notes = np.concatenate([p.notes for p in pieces]) if pieces else np.zeros((0, N_COLUMNS))
    counts = [p.n_notes if p is not None else 0 for _, p, _ in entries]
    meta = [{"report": report} | ({} if p is None else {
        "parts": [part.as_dict() for part in p.parts], "time_signatures": p.time_signatures, "key": p.key_sharps,
        "tempo": p.tempo}) for _, p, report in entries]
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(  # by column: compresses to half; a tenth of the raw size in all
            tmp,
            keys=np.asarray([key for key, _, _ in entries], dtype=f"S{KEY_CHARS}"),
            columns=np.ascontiguousarray(notes.astype(np.float64).T),
            offsets=np.cumsum([0] + counts).astype(np.int64),
            meta=np.asarray(json.dumps(meta)),
        )


# ------------------------------------------------------------------------------------- reading


def shard_paths(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("shard-*.npz"))


def lookup(folder: Path, keys: set[str]) -> dict[str, Entry]:
    """The cached entries among ``keys``. Every shard's key list is read (milliseconds each);
    a shard holding any of them is read whole, so a damaged one is found now, deleted, and its
    files parsed again, rather than failing halfway through a training."""
    found: dict[str, Entry] = {}
    for path in shard_paths(folder):
        try:
            with np.load(path, allow_pickle=False) as z:
                shard_keys = [k.decode() for k in z["keys"]]
                rows = [row for row, k in enumerate(shard_keys) if k in keys and k not in found]
                if not rows:
                    continue
                meta = json.loads(str(z["meta"]))
                offsets, columns = z["offsets"], z["columns"]  # read to check: a zip member's CRC is verified
                if len(meta) != len(shard_keys) or len(offsets) != len(shard_keys) + 1 or \
                        columns.shape != (N_COLUMNS, offsets[-1]):
                    raise ValueError("inconsistent shard")
        except Exception:  # truncated, garbage, an older layout: parse its files again
            path.unlink(missing_ok=True)
            continue
        for row in rows:
            r = meta[row]["report"]
            if isinstance(r["reason"], str) and r["reason"]:  # a reason kept in English, before codes:
                continue  # parsed again, so it is said as a code (a newer shard may hold it so)
            found[shard_keys[row]] = Entry(path, row, r["status"], r["reason"], int(r["notes"]), float(r["seconds"]),
                                           _stored_music(meta[row]))
        _mark_used(path)
    return found


def _stored_music(meta: dict) -> dict:
    """A shard row's metre, key and tempo, kept with its piece; {} for a skipped file (or a row
    without them: its report shows "—")."""
    try:
        return music_fields(meta["time_signatures"], meta.get("key"), meta["tempo"])
    except (KeyError, TypeError, ValueError, IndexError):
        return {}


def _mark_used(path: Path) -> None:
    """The disk budget evicts the least recently used shards: this one was just used."""
    try:
        os.utime(path)
    except OSError:
        pass


def read_shard(path: Path) -> list[Piece | None]:
    """Every entry of a shard as a Piece (None for a skipped file), names left for the caller."""
    with np.load(path, allow_pickle=False) as z:
        notes, offsets = np.ascontiguousarray(z["columns"].T), z["offsets"]
        meta = json.loads(str(z["meta"]))
    pieces: list[Piece | None] = []
    for row, m in enumerate(meta):
        if "parts" not in m:
            pieces.append(None)
            continue
        pieces.append(Piece("", notes[offsets[row]:offsets[row + 1]], tempo=float(m["tempo"]),
                            parts=[Part(**part) for part in m["parts"]], time_signatures=m["time_signatures"],
                            key_sharps=m["key"]))
    return pieces


class StoredPieces(Sequence):
    """Pieces that live in cache shards, read when asked for: a list to its users (len, index,
    iteration, slices), holding at most SHARDS_KEPT decoded shards in memory.

    ``slots``: per piece, its (shard, row) or, for one the cache could not keep, the Piece itself.
    """

    def __init__(self, names: list[str], slots: list[tuple[Path, int] | Piece]):
        self.names = names
        self.slots = slots
        self._shards: OrderedDict[Path, list[Piece | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.slots)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        slot = self.slots[i]
        if isinstance(slot, Piece):
            return slot
        path, row = slot
        piece = self._shard(path)[row]
        return piece.with_notes(piece.notes, self.names[i])  # a fresh Piece: callers may change it

    def _shard(self, path: Path) -> list[Piece | None]:
        if path in self._shards:
            self._shards.move_to_end(path)
            return self._shards[path]
        try:
            pieces = read_shard(path)
        except Exception as e:  # deleted by the disk budget, or damaged, since the load
            raise InputError(msg("said.cache_changed", name=path.name, error=type(e).__name__)) from None
        self._shards[path] = pieces
        while len(self._shards) > SHARDS_KEPT:
            self._shards.popitem(last=False)
        return pieces

    def __getstate__(self):  # pickled (a job's arguments): the decoded shards stay behind
        return {"names": self.names, "slots": self.slots}

    def __setstate__(self, state):
        self.__init__(state["names"], state["slots"])


def materialise(names: list[str], slots: list[tuple[Path, int] | Piece]) -> list[Piece]:
    """The pieces as a plain list, each shard read once (a small dataset)."""
    shards: dict[Path, list[Piece | None]] = {}
    out = []
    for name, slot in zip(names, slots):
        if isinstance(slot, Piece):
            out.append(slot)
            continue
        path, row = slot
        if path not in shards:
            shards[path] = read_shard(path)
        piece = shards[path][row]
        piece.name = name
        out.append(piece)
    return out
