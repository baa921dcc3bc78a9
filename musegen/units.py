"""Sizes and durations as musegen writes them for a person, one rule each: the command line, the
library's messages (a file too large, a bundle too big, the time left to read an upload) and the app,
which says them in the visitor's language (text.said: "1 min 05 s" is "1 分 05 秒")."""
from __future__ import annotations

MINUTE, HOUR, DAY, YEAR = 60, 3600, 86400, 365 * 86400


def format_bytes(n: float) -> str:
    """3 significant digits in decimal units: "512 bytes", "1.5 kB", "250 MB", "1.2 GB"."""
    for size, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def format_duration(seconds: float | None, rough: bool = False) -> str:
    """How long something takes or took. Exact (a training's time, the time left of one): "5 s",
    "1 min 05 s", "1 h 02 min". ``rough`` (an estimate, a limit): whole minutes below two hours
    ("3 min", "60 min"), days and years past two of them ("143 years": a 44-byte MIDI file can
    claim that much silence). None: "…" (not known yet)."""
    if seconds is None:
        return "…"
    s = float(seconds)
    if rough:
        for size, unit in ((YEAR, "years"), (DAY, "days")):
            if s >= 2 * size:
                return f"{s / size:,.0f} {unit}"
        if s < 2 * HOUR:
            return f"{s / MINUTE:.0f} min" if s >= MINUTE else f"{s:.0f} s"
        s = round(s / MINUTE) * MINUTE
    s = max(0, int(round(s)))
    if s >= HOUR:
        return f"{s // HOUR} h {s % HOUR // MINUTE:02d} min"
    if s >= MINUTE:
        return f"{s // MINUTE} min {s % MINUTE:02d} s"
    return f"{s} s"
