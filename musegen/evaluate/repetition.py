"""Repetition: bars that repeat earlier ones (form), loops of tokens, and ostinato lock-in.

    bar_repetition(piece)   share of bars equal to an earlier bar (a structure statistic)
    passage_bar_repetition(pieces) the same over every 16-bar passage of a dataset (the echo's aim)
    passage_phrase_repeats(piece) phrases whose rhythm comes back within their 16-bar passage
    phrase_repetition(piece) share of 4-bar phrases whose rhythm equals an earlier phrase's
    section_agreement(...)  share of notes two spans of bars have in common (a repeat's fidelity)
    longest_loop(ids)       the longest stretch that is one pattern played twice or more in a row
    ostinato(piece)         the shortest figure of ≤ 8 notes repeated in a row, and how much it fills
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..messages import Message, joined, msg
from ..music.piece import DURATION, PART, PITCH, START, Piece
from .note_statistics import pitched
from .rhythm import TOLERANCE

GRID = 12  # steps per quarter when figures and bars are compared (sixteenths and triplets)
OSTINATO_NOTES = 8  # the longest figure that counts as an ostinato
LOCK_IN_SHARE = 0.4  # locked in: one figure fills this share of the piece's notes …
LOCK_IN_REPEATS = 4  # … played at least this many times in a row (twice is just a repeated bar)


def bar_repetition(piece: Piece) -> float:
    """Share of the bars with notes whose content exactly equals an earlier bar's: every note that
    starts in the bar, as (offset from the bar line, pitch, duration, part), offsets and durations on
    a 1/12-quarter grid. Parts count (the same music in another voice is another bar); drums count
    too (a bar is all that sounds in it); a transposed repeat is not a repeat. Form repeats bars,
    a model without memory of them rarely does."""
    contents = _bar_contents(piece)
    if not contents:
        return float("nan")
    seen: set[bytes] = set()
    repeats = 0
    for key in contents.values():
        repeats += key in seen
        seen.add(key)
    return repeats / len(contents)


def passage_bar_repetition(pieces, bars: int = 16) -> float | None:
    """bar_repetition over every passage of ``bars`` bars of the pieces (one from every
    ``bars // 2``-th bar line; a shorter piece is one passage), bar by bar: how often a bar of this
    music comes back within about 30 seconds. What a dataset does, for the bar echo to aim at
    (``data.json``'s ``bars_repeated``); None without notes."""
    counts = np.array([passage_repeats(p, bars) for p in pieces]).reshape(-1, 2).sum(0)
    return float(counts[0] / counts[1]) if counts[1] else None


def passage_repeats(piece: Piece, bars: int = 16) -> tuple[int, int]:
    """(bars repeated within their passage, bars with notes) over the piece's passages of ``bars``
    bars (passage_bar_repetition, one piece at a time)."""
    contents = _bar_contents(piece)
    repeats = total = 0
    if not contents:
        return 0, 0
    for first in range(0, max(1, max(contents) + 2 - bars), max(1, bars // 2)):
        seen: set[bytes] = set()
        for k in range(first, first + bars):
            if k in contents:
                repeats += contents[k] in seen
                total += 1
                seen.add(contents[k])
    return repeats, total


def passage_phrase_repeats(piece: Piece, bars: int = 16, phrase: int = 4) -> tuple[int, int]:
    """(phrases whose rhythm comes back within their passage, whole phrases) over the piece's
    passages of ``bars`` bars, one from every ``bars // 2``-th bar line: phrase_repetition as
    passage_repeats counts bars (``data.json``'s ``phrases_repeated``, the phrase copy's aim)."""
    if not len(piece.notes):
        return 0, 0
    rhythms = _phrase_rhythms(piece, phrase)
    per = max(1, bars // phrase)
    repeats = total = 0
    for first in range(0, max(1, len(rhythms) + 1 - per), max(1, per // 2)):
        seen: set[frozenset] = set()
        for rhythm in rhythms[first:first + per]:
            repeats += bool(rhythm) and rhythm in seen
            total += 1
            seen.add(rhythm)
    return repeats, total


def _bar_contents(piece: Piece) -> dict[int, bytes]:
    """{bar index: its notes as bytes} for the bars with notes (bar_repetition's content)."""
    notes = piece.notes
    if not len(notes):
        return {}
    starts = piece.bar_starts()
    bar = np.maximum(np.searchsorted(starts, notes[:, START] + TOLERANCE, "right") - 1, 0)
    rows = np.column_stack([bar, np.round((notes[:, START] - starts[bar]) * GRID), notes[:, PITCH],
                            np.round(notes[:, DURATION] * GRID), notes[:, PART]]).astype(np.int64)
    rows = rows[np.lexsort(rows.T[::-1])]
    groups = np.split(rows, np.flatnonzero(np.diff(rows[:, 0])) + 1)
    return {int(g[0, 0]): g[:, 1:].tobytes() for g in groups}


def _span_rows(piece: Piece, bars: int) -> tuple[np.ndarray, np.ndarray]:
    """(span index, [offset from the span's first bar line on the grid, pitch, part]) of every
    note, spans of ``bars`` bars counted from the piece's first bar line."""
    notes = piece.notes
    starts = piece.bar_starts()
    bar = np.maximum(np.searchsorted(starts, notes[:, START] + TOLERANCE, "right") - 1, 0)
    span = bar // bars
    offset = np.round((notes[:, START] - starts[span * bars]) * GRID)
    return span, np.column_stack([offset, notes[:, PITCH], notes[:, PART]]).astype(np.int64)


def phrase_repetition(piece: Piece, bars: int = 4) -> float:
    """Share of the phrases (``bars`` bars from the first bar line, the last one only if whole)
    whose rhythm, every onset as (offset from the phrase's start, part), equals an earlier phrase's:
    a form's sections come back, often with other notes on the same rhythm. nan without two whole
    phrases."""
    if not len(piece.notes):
        return float("nan")
    rhythms = _phrase_rhythms(piece, bars)
    if len(rhythms) < 2:
        return float("nan")
    seen: set[frozenset] = set()
    repeats = 0
    for rhythm in rhythms:
        repeats += bool(rhythm) and rhythm in seen
        seen.add(rhythm)
    return repeats / len(rhythms)


def _phrase_rhythms(piece: Piece, bars: int) -> list[frozenset]:
    """The rhythm of each whole phrase of ``bars`` bars from the first bar line: its onsets as
    (offset from the phrase's start, part)."""
    span, rows = _span_rows(piece, bars)
    return [frozenset(map(tuple, rows[span == k][:, [0, 2]].tolist())) for k in range(len(piece.bar_starts()) // bars)]


def section_agreement(piece: Piece, first: int, second: int, bars: int) -> float:
    """Of the notes in ``bars`` bars from bar ``first`` and from bar ``second`` (as offset, pitch
    and part), the share both have: 1 for an exact repeat. nan when neither has a note."""
    if not len(piece.notes):
        return float("nan")
    notes = piece.notes
    starts = piece.bar_starts()
    bar = np.maximum(np.searchsorted(starts, notes[:, START] + TOLERANCE, "right") - 1, 0)

    def content(at: int) -> set[tuple]:
        inside = (bar >= at) & (bar < at + bars)
        offset = np.round((notes[inside, START] - starts[min(at, len(starts) - 1)]) * GRID)
        return set(zip(offset.astype(int).tolist(), notes[inside, PITCH].astype(int).tolist(),
                       notes[inside, PART].astype(int).tolist()))

    a, b = content(first), content(second)
    return len(a & b) / max(len(a), len(b)) if (a or b) else float("nan")


@dataclass
class Loop:
    period: int  # tokens in the repeated pattern
    span: int  # tokens covered by the repetition (pattern × repeats)
    start: int

    @property
    def repeats(self) -> float:
        return self.span / self.period if self.period else 0.0


def longest_loop(ids, max_period: int | None = None) -> Loop:
    """The longest stretch that is one pattern played at least twice in a row (ids[i] == ids[i+p]),
    of at most `max_period` ids; the shortest pattern when several cover as much."""
    ids = np.asarray(ids)
    best = Loop(0, 0, 0)
    n = len(ids)
    for p in range(1, min(n // 2, max_period or n) + 1):
        eq = np.concatenate([[False], ids[p:] == ids[:-p], [False]])
        edges = np.flatnonzero(np.diff(eq.astype(np.int8)))
        if not len(edges):
            continue
        starts, ends = edges[::2], edges[1::2]
        runs = ends - starts
        i = int(runs.argmax())
        if runs[i] >= p and runs[i] + p > best.span:  # at least two full repeats
            best = Loop(p, int(runs[i] + p), int(starts[i]))
    return best


def ostinato(piece: Piece) -> dict:
    """The shortest figure of ≤ 8 notes played several times in a row that covers the most notes.

    The parts are merged (drums aside): every note in onset order, as (pitch, duration, gap to the
    next onset; the last note's: its duration), so a chord is a figure of notes 0 apart. A figure
    that fills the whole texture is a lock-in; one voice's ostinato under a changing melody is music
    and is not found.
    `share`: the notes its repetitions cover over all the piece's pitched notes; `locked_in`: share
    ≥ 40 % with at least 4 plays in a row.
    """
    notes = pitched(piece)
    found = {"figure": [], "notes": 0, "repeats": 0.0, "share": 0.0, "start": 0.0, "locked_in": False}
    if len(notes) < 2:
        return found
    gaps = np.diff(notes[:, START], append=notes[-1, START] + notes[-1, DURATION])
    events = np.column_stack([notes[:, PITCH], np.round(notes[:, DURATION] * GRID), np.round(gaps * GRID)])
    _, ids = np.unique(events.astype(np.int64), axis=0, return_inverse=True)
    loop = longest_loop(ids.ravel(), OSTINATO_NOTES)
    if not loop.period:
        return found
    share = loop.span / len(notes)
    figure = [[int(p), float(d) / GRID, float(g) / GRID] for p, d, g in events[loop.start : loop.start + loop.period]]
    return {"figure": figure, "notes": loop.period, "repeats": round(loop.repeats, 2), "share": share,
            "start": float(notes[loop.start, START]),
            "locked_in": bool(share >= LOCK_IN_SHARE and loop.repeats >= LOCK_IN_REPEATS)}


def ostinato_message(piece: Piece) -> Message | None:
    """What to tell a person when the piece locked into a short figure, else None."""
    found = ostinato(piece)
    if not found["locked_in"]:
        return None
    return joined(msg("said.locked_in", n=found["notes"], share=found["share"]), msg("said.advice_vary"))
