"""What the `musegen` command shows at the terminal: printable lines, the progress bar, one-line
errors, and TensorFlow kept quiet while it loads."""
from __future__ import annotations

import errno
import os
import sys


def printable(text) -> str:
    """Text safe to show on a terminal: a file name can hold escape sequences, newlines or carriage
    returns, so every unprintable character is written out as Python does (\\x1b, \\n, \\u202e)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))


def say(text) -> None:
    """One line for the person at the terminal (stderr), with file names made printable."""
    print(printable(text), file=sys.stderr)


def show(text) -> None:
    """One line of a command's own output (stdout), with file names made printable."""
    print(printable(text))


def bar(done: float, total: float, text: str = "", width: int = 28) -> None:
    """One self-overwriting progress line on stderr (only when stderr is a terminal or forced)."""
    if not (sys.stderr.isatty() or os.environ.get("MUSEGEN_PROGRESS")):
        return
    frac = min(1.0, done / total) if total else 0.0
    filled = int(frac * width)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {frac:4.0%} {printable(text)}\033[K")
    sys.stderr.flush()


def files_bar():
    """The progress of reading music: the bar, '1,234/20,000 files · about 40 s left' and the file just read."""
    from ..music.progress import FilesLeft

    left = FilesLeft()
    return lambda done, total, name: bar(done, total, f"{left(done, total)}  {name}")


def end_bar() -> None:
    if sys.stderr.isatty() or os.environ.get("MUSEGEN_PROGRESS"):
        sys.stderr.write("\n")


def import_tensorflow_quietly() -> None:
    """TensorFlow's C++ start-up notices bypass every log setting; keep them off a musician's screen."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def os_error_text(e: OSError) -> str:
    """'Cannot access runs/x: permission denied.' from any OSError, naming the file when it can."""
    reason = e.strerror or str(e) or type(e).__name__
    reason = reason[:1].lower() + reason[1:]
    names = [os.fsdecode(n) if isinstance(n, (str, bytes)) else str(n) for n in (e.filename, e.filename2) if n is not None]
    if not names:
        return f"{reason[:1].upper()}{reason[1:]}."
    verb = {errno.ENOENT: "find", errno.EROFS: "write", errno.ENOSPC: "write", errno.EDQUOT: "write"}.get(e.errno, "access")
    return f"Cannot {verb} {' or '.join(names)}: {reason}."
