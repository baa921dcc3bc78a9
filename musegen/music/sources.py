"""Music in: built-in corpora, folders, file lists, uploads and zips → Pieces plus a per-file report.

One entry point, :func:`load_pieces`, takes whatever the user pointed at and returns a
:class:`LoadResult`: the pieces that parsed and a :class:`FileReport` for every file, parsed or
skipped with a reason a person can read. A bad file is reported and skipped; it never takes the
other files down. Only when *no* file is usable does it raise :class:`InputError`. :func:`read_piece`
reads one file (a primer) the same way. A load goes through, a module each:

- ``gather``: the source's files to parse, in name order, hashed; hostile input is refused cheaply
  there: file size before reading, and a zip (``archives``) by its member count / total size /
  compression ratio / unsafe paths from the central directory before decompressing. Zips are read
  in memory, never extracted to disk. The built-in datasets are music21 corpus folders (``corpus``).
- ``parsecache``: parsed files are cached on disk one entry per file, keyed (``cachekeys``) by the
  file's name and content and the parse settings (shards of compressed ``.npz``, no pickle, written
  atomically), so a folder that grows parses only its new files; not a file that ran out of time or
  crashed its worker (the busy server may be to blame). A big dataset stays in the cache and its
  pieces are read as they are asked for.
- ``shippedsets``: the built-in datasets at their default settings (what the app and ``musegen train
  --dataset NAME`` ask for) also come pre-parsed in ``assets/datasets/``, read when the user's cache
  lacks files, so a fresh install has them in well under a second instead of minutes (Palestrina).
  ``python -m musegen.music.ship`` (``make datasets``) rebuilds them.
- ``parsepool``: each file is read by ``readers`` (MIDI through symusic, scores through music21) in
  a spawned worker process, never in the caller's: a file that crashes its parser or runs past its
  time or memory limit costs that file alone, refused with a reason, and the server stays up.
- ``report`` holds what comes back; ``progress`` hears of each file parsed (``FilesLeft`` words it,
  with an ETA).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..config import DataConfig, Limits
from ..errors import InputError
from ..files import read_regular
from ..messages import Message, from_json, msg, plural, to_json
from . import parsecache
from .cachekeys import dataset_key, parse_settings
from .gather import FileToParse, gather, is_upload, sha256_of
from .parsepool import parse_all
from .piece import Piece
from .progress import Progress
from .readers import MUSIC_EXTENSIONS, Refused, parse_part_indices
from .report import FileReport, LoadResult, transient_reasons
from .shippedsets import load_shipped, shipped_path


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
    lacks any, a built-in dataset is read whole from its shipped cache (``shippedsets.SHIPPED_DIR``)
    if one matches, unless ``shipped`` is False or ``$MUSEGEN_SHIPPED_CACHE`` is 0. ``progress(done,
    total, name)`` is called as files are parsed (total: the files to parse). A dataset of more than
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
    budget = limits.max_upload_parse_seconds if is_upload(source) else 0.0

    label, items, early = gather(source, data)
    folder = parsecache.cache_folder(cache_dir)
    settings = parse_settings(parts, data.drums, limits)
    keys = ["" if it.refused else parsecache.entry_key(it.name, it.sha256, settings) for it in items]
    found = parsecache.lookup(folder, set(keys) - {""}) if folder is not None else {}
    todo = [i for i, key in enumerate(keys) if key not in found]  # refused ones too: reported, never parsed
    if any(not items[i].refused for i in todo) and shipped:
        hit = _from_shipped(source, label, items, early, data, progress)
        if hit is not None:
            return hit

    reports, slots = _from_cache(items, keys, found)
    if todo:
        _parse_into(items, keys, todo, slots, reports, parts, data.drums, limits, folder, progress, budget)
    elif progress is not None:
        progress(len(items), len(items), "")
    return _result(label, items, early, reports, slots, todo)


def _from_shipped(source, label, items: list[FileToParse], early: list[FileReport], data: DataConfig,
                  progress: Progress | None) -> LoadResult | None:
    """The whole set from its shipped cache, when one was made for exactly this load (a built-in
    dataset at the settings it was shipped with); None when none was, or it is damaged or missing."""
    key = dataset_key(items, early, data.parts or "all", data.drums, data.max_files, data.limits)
    hit = load_shipped(shipped_path(source, key))
    if hit is None:  # a damaged or missing file is None: parse
        return None
    if progress is not None:
        progress(len(items), len(items), "")
    return LoadResult(hit[0], hit[1], label, cached=True)


def _from_cache(items: list[FileToParse], keys: list[str], found: dict) -> tuple[list, list]:
    """A report and a slot per file: filled for the files the user's cache holds, None for the rest."""
    reports: list[FileReport | None] = [None] * len(items)
    slots: list = [None] * len(items)  # a parsed file's Piece, or its (shard, row) in the cache
    for i, key in enumerate(keys):
        if key in found:
            e = found[key]
            reports[i] = FileReport(items[i].name, e.status, from_json(e.reason), e.notes, e.seconds, items[i].sha256,
                                    **e.music)
            slots[i] = (e.shard, e.row) if e.status == "parsed" else None
    return reports, slots


def _parse_into(items, keys, todo, slots, reports, parts, drums, limits, folder, progress, budget=0.0) -> None:
    """Parse the files at ``todo``, filling their report and slot, and cache each result as it comes.

    A file refused for time or a dead worker may owe it to a busy or short-of-memory server, not to
    itself: such a result is not cached, so the next load tries it again. A piece stays in memory
    only until the shard that holds it is written.
    """
    writer = parsecache.ShardWriter(folder) if folder is not None else None
    transient = transient_reasons(limits)
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

    parse_all([items[i] for i in todo], parts, drums, limits, progress, done, budget)
    if writer is not None:
        stored(writer.flush())


def _result(label, items: list[FileToParse], early: list[FileReport], reports: list[FileReport], slots: list,
            todo: list[int]) -> LoadResult:
    """The parsed files' pieces and every file's report; InputError when no file is usable."""
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
    return plural("said.all_skipped", len(report), label=label, n=len(report), reasons=listed)


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
    parse_all([FileToParse(name, data=data, sha256=sha256_of(data))], parts, drums, limits, None,
               lambda _, piece, report: results.append((piece, report)))
    [(piece, report)] = results
    if piece is None:
        raise Refused(report.reason, name)
    return piece
