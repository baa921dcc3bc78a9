"""Sizes and durations as musegen writes them for a person, one rule each: the command line, the
library's messages (a file too large, a bundle too big, the time left to read an upload) and the app,
which says them in the visitor's language. ``size`` and ``duration`` give a messages.Message
(msg("said.n_min_s", m=1, s="05") is "1 min 05 s", "1 分 05 秒"); format_bytes and format_duration
its English."""
from __future__ import annotations

from .messages import Message, msg

MINUTE, HOUR, DAY, YEAR = 60, 3600, 86400, 365 * 86400


def size(n: float) -> Message:
    """3 significant digits in decimal units: "512 bytes", "1.5 kB", "250 MB", "1.2 GB"."""
    for factor, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= factor:
            return Message("said.n_unit", {"n": f"{n / factor:.3g}", "unit": unit})  # the same in every language
    return msg("said.n_bytes", n=int(n))


def format_bytes(n: float) -> str:
    """size(n) in English."""
    return str(size(n))


def duration(seconds: float | None, rough: bool = False) -> Message:
    """How long something takes or took. Exact (a training's time, the time left of one): "5 s",
    "1 min 05 s", "1 h 02 min". ``rough`` (an estimate, a limit): whole minutes below two hours
    ("3 min", "60 min"), days and years past two of them ("143 years": a 44-byte MIDI file can
    claim that much silence). None: "…" (not known yet)."""
    if seconds is None:
        return Message("said.unknown")  # "…" in every language
    s = float(seconds)
    if rough:
        for factor, code in ((YEAR, "said.n_years"), (DAY, "said.n_days")):
            if s >= 2 * factor:
                return msg(code, n=f"{s / factor:,.0f}")
        if s < 2 * HOUR:
            return msg("said.n_min", n=f"{s / MINUTE:.0f}") if s >= MINUTE else msg("said.n_s", n=f"{s:.0f}")
        s = round(s / MINUTE) * MINUTE
    s = max(0, int(round(s)))
    if s >= HOUR:
        return msg("said.n_h_min", h=s // HOUR, m=f"{s % HOUR // MINUTE:02d}")
    if s >= MINUTE:
        return msg("said.n_min_s", m=s // MINUTE, s=f"{s % MINUTE:02d}")
    return msg("said.n_s", n=s)


def format_duration(seconds: float | None, rough: bool = False) -> str:
    """duration(seconds, rough) in English."""
    return str(duration(seconds, rough))
