"""The run library: the finished runs of a folder, listed newest first, renamed, deleted, and rid of
the temporary files a killed write leaves in them."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import ModelError
from ..files import safe_name
from ..messages import msg
from .folder import Run


def list_runs(*roots) -> list[Run]:
    """Finished runs under the given folders, newest first; damaged ones, and hidden folders (a run
    being built or trained, ``.name.building``), are left out. What a killed write left in a run is
    cleared on the way (clean_leftovers)."""
    found = []
    for root in roots:
        for path in sorted(Path(root).glob("*/config.json")) if Path(root).is_dir() else []:
            if path.parent.name.startswith("."):
                continue
            try:
                run = Run.load(path.parent)
                found.append(((run.path / "model.keras").stat().st_mtime, run))
            except (ModelError, OSError):  # damaged, or deleted by another session meanwhile
                continue
            clean_leftovers(run.path)
    return [run for _, run in sorted(found, key=lambda mr: mr[0], reverse=True)]


LEFTOVER_SECONDS = 600.0  # a temporary file this old is no write in progress (saving a model takes seconds)


def clean_leftovers(path, older_than: float = LEFTOVER_SECONDS) -> list[Path]:
    """Remove the temporary files an atomic write leaves when its process is killed mid-write
    (``.model.keras.k3x9.tmp.keras``, as big as the model, counted in the disk budget and never
    read): those older than ``older_than`` seconds, so that a write in progress is never touched
    (0: all of them, once nothing writes there any more). Returns what was removed."""
    import time

    removed, now = [], time.time()
    for tmp in Path(path).glob(".*.tmp*"):  # files.atomic_path's names: .<name>.<random>.tmp<suffix>
        try:
            if tmp.is_file() and now - tmp.stat().st_mtime >= older_than:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone meanwhile, or a read-only folder (the bundled runs)
            continue
    return removed


def delete_run(path) -> None:
    shutil.rmtree(path)


def rename_run(path, new_name: str) -> Path:
    path = Path(path)
    safe = safe_name(new_name)
    if not safe:
        raise ModelError(msg("said.name_needed"))
    target = path.with_name(safe)
    if target.exists():
        raise ModelError(msg("said.name_taken", name=safe))
    path.rename(target)
    return target
