"""Progress of a load: ``progress(done, total, name)`` is called as each file is parsed, and
:class:`FilesLeft` words it with an estimate of the time left."""
from __future__ import annotations

import math
import time
from typing import Callable

from ..units import format_duration

Progress = Callable[[int, int, str], None]


class FilesLeft:
    """'1,234/20,000 files · about 40 s left' for each progress call. The pace is measured from the
    first file done: until then the workers were starting, which later files do not wait for.
    ``budget``: an upload's reading time (Limits.max_upload_parse_seconds), counted from now: the
    files it leaves are skipped, so no more than what is left of it is ever promised."""

    def __init__(self, budget: float = 0.0):
        self.first: tuple[float, int] | None = None
        self.ends = time.monotonic() + budget if budget else math.inf

    def seconds_left(self, done: int, total: int) -> float | None:
        """The time the other files should take at the pace so far; None until it is known."""
        now = time.monotonic()
        if self.first is None:
            self.first = (now, done)
        since, at = self.first
        if not at < done < total:
            return None
        return max(0.0, min((now - since) * (total - done) / (done - at), self.ends - now))

    def __call__(self, done: int, total: int) -> str:
        left = self.seconds_left(done, total)
        text = f"{done:,}/{total:,} files"
        return text if left is None else f"{text} · about {format_duration(left, rough=True)} left"
