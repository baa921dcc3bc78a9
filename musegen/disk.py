"""Disk budgets for a shared server: visitors' runs and the dataset cache, least recently used first.

A run counts as used when it is trained, resumed or composed with (``touch``: a ``.used`` marker's
time); a cache file when it is read (its access or change time, whichever is later). Past the
budget the least recently used go, never one that is protected (a run being written, trained or
just made).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

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


def enforce(items: list[Path], budget_bytes: int, protect=()) -> list[Path]:
    """Delete the least recently used of `items` (run folders or cache files) until their total
    size fits the budget; returns what was deleted. A budget of 0 means none."""
    if budget_bytes <= 0:
        return []
    keep = {Path(p).resolve() for p in protect}
    sized = [(last_used(p), size_of(p), p) for p in items if p.exists()]
    total = sum(size for _, size, _ in sized)
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


def visitor_runs(runs_root: Path) -> list[Path]:
    """Every visitor's runs (the server's own and the bundled ones are never evicted)."""
    from .visitors import VISITORS

    return [p for p in (Path(runs_root) / VISITORS).glob("*/*") if p.is_dir() and not p.name.startswith(".")]


def cache_files(cache_dir: Path) -> list[Path]:
    return [p for p in Path(cache_dir).glob("*.npz") if p.is_file()]
