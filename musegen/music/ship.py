"""Rebuild the pre-parsed built-in datasets in ``assets/datasets/`` (``shippedsets``):
``python -m musegen.music.ship [NAME…]`` (``make datasets``), after changing the parsing (and bumping
``cachekeys.CACHE_VERSION``) or upgrading music21."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

from ..config import DataConfig
from ..errors import InputError
from ..messages import msg
from ..units import format_bytes
from .cachekeys import dataset_key
from .corpus import BUILTIN
from .gather import gather
from .progress import FilesLeft, Progress
from .report import transient_reasons
from .shippedsets import SHIPPED_DIR, save_shipped
from .sources import load_pieces


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
        if any(r.reason in transient_reasons(settings.limits) for r in loaded.report):
            raise InputError(msg("said.ship_transient", name=name))
        _, items, early = gather(name, settings)
        key = dataset_key(items, early, settings.parts or "all", settings.drums, settings.max_files, settings.limits)
        target = out / f"{name}-{key[:32]}.npz"
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob(f"{name}-*.npz"):
            old.unlink()
        save_shipped(target, list(loaded.pieces), loaded.report)
        written.append(target)
    return written


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
    if any(arg.startswith("-") for arg in argv):
        print("usage: python -m musegen.music.ship [NAME…]  (rebuild assets/datasets/)", file=sys.stderr)
        return 2
    for name in argv or list(BUILTIN):
        try:
            [path] = ship([name], progress=_print_progress(name))
        except InputError as e:
            print(f"musegen: {e}", file=sys.stderr)
            return 1
        print(f"wrote {path} ({format_bytes(path.stat().st_size)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
