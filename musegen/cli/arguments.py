"""What every command's parser and input checks share: a sub-command with --json, the range a
setting accepts in its --help, and a place to write checked before any work."""
from __future__ import annotations

import os
from pathlib import Path

from ..config import SAMPLE_RANGES, number_text
from ..errors import InputError
from ..messages import msg


def add_command(sub, name: str, help_text: str, fn):
    """A sub-command of `musegen` that runs `fn(args)`; every one takes --json."""
    sp = sub.add_parser(name, help=help_text, description=help_text)
    sp.add_argument("--json", action="store_true", help="print a one-line JSON summary on stdout")
    sp.set_defaults(fn=fn)
    return sp


def span(name: str, ranges: dict = SAMPLE_RANGES) -> str:
    """The range a setting accepts, for --help (the same tables SampleConfig.check and RunConfig.check use)."""
    low, high = ranges[name]
    return f"; {number_text(low)}–{number_text(high)}"


def check_writable(target: Path, folder: Path | None = None) -> None:
    """A place we cannot write fails now, not after the music is read, an epoch trained or a piece
    written. `folder`: where `target` goes (its own folder for a run; else its parent)."""
    if folder is None:
        from ..files import check_target

        check_target(target)  # /dev/full, a pipe, a folder: refused before any work, never replaced
    folder = Path(target).parent if folder is None else folder
    while not folder.exists() and folder != folder.parent:  # created on writing: its nearest existing parent
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(msg("said.write_no_folder", path=str(target), folder=str(folder)))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(msg("said.write_denied", path=str(target)))
