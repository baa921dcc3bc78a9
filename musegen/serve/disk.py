"""Disk budgets for a shared server: what visitors store, and the dataset cache.

Visitors' budget counts everything under ``<runs>/visitors/``: runs, imports, trainings in
progress, uploads and kept sessions. Room is never made by deleting another visitor's work (a new
browser is a new visitor, so a cap per visitor alone could not protect the others): a visitor's new
work is refused when it does not fit (``check_room``), and past the budget after a training only
that visitor's own runs go.

A run counts as used when it is trained, resumed or composed with (``touch``: a ``.used`` marker's
time); a cache file when it is read (its access or change time, whichever is later). Past the
budget the least recently used go, never one that is protected (a run being written, trained or
just made).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import InputError
from ..messages import msg

USED = ".used"


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def touch(run_path) -> None:
    """Mark a run as just used (best-effort: a read-only bundle is simply never evicted)."""
    try:
        (Path(run_path) / USED).touch()
    except OSError:
        pass


def last_used(path: Path) -> float:
    marker = path / USED
    try:
        if marker.is_file():
            return marker.stat().st_mtime
        st = path.stat()
        return max(st.st_atime, st.st_mtime)
    except OSError:
        return 0.0


def enforce(items: list[Path], budget_bytes: int, protect=(), total: int | None = None) -> list[Path]:
    """Delete the least recently used of `items` (run folders or cache files) until `total` (by
    default their own size; else the size of all that counts, of which only `items` may go) fits
    the budget; returns what was deleted. A budget of 0 means none."""
    if budget_bytes <= 0:
        return []
    keep = {Path(p).resolve() for p in protect}
    sized = [(last_used(p), size_of(p), p) for p in items if p.exists()]
    total = sum(size for _, size, _ in sized) if total is None else total
    deleted = []
    for _, size, path in sorted(sized, key=lambda t: t[0]):
        if total <= budget_bytes:
            break
        if path.resolve() in keep:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        total -= size
        deleted.append(path)
    return deleted


def is_visitors(folder) -> bool:
    """Whether `folder` is one visitor's (``<runs>/visitors/<key>``): only their work is budgeted."""
    from .visitors import VISITORS

    return Path(folder).parent.name == VISITORS


def runs_in(folder) -> list[Path]:
    """A visitor's runs: their folder's folders, but the hidden ones (session, trainings, imports)."""
    return [p for p in Path(folder).glob("*") if p.is_dir() and not p.name.startswith(".")]


def stored(folder) -> int:
    """What all visitors store, from one visitor's folder: every file under ``<runs>/visitors/``."""
    return size_of(Path(folder).parent)


def check_room(folder, budget_mb: int, adding: int = 0) -> None:
    """Refuse a visitor's new work (a training, an import, an upload of `adding` bytes) when what all
    visitors store would pass the budget with it. `folder`: the visitor's; 0 MB means no budget."""
    if budget_mb > 0 and is_visitors(folder) and stored(folder) + adding > budget_mb * 1_000_000:
        raise InputError(msg("said.no_room", mb=budget_mb))


def check_import(folder, adding: int, limits) -> None:
    """A run a visitor imports: refused at their cap of runs or past the disk budget (a training's
    new run instead makes room among that visitor's own oldest, and its message says so)."""
    if not is_visitors(folder):
        return
    n = len(runs_in(folder))
    if n >= limits.max_runs_per_visitor:
        raise InputError(msg("said.runs_cap", n=n))
    check_room(folder, limits.max_runs_mb, adding)


def cache_files(cache_dir: Path) -> list[Path]:
    return [p for p in Path(cache_dir).glob("*.npz") if p.is_file()]
