"""Voice leading: parallel fifths and octaves between two parts, and notes within a voice's range.

What a harmony teacher checks first in a four-part harmonisation, measured the same way on real
chorales and on the model's (bench/accompany.py). A part playing a chord counts by its top note.
"""
from __future__ import annotations

import numpy as np

from ..music.piece import DURATION, PITCH, START, Piece

# Four-part voices' usual ranges (MIDI): soprano C4-G5, alto G3-D5, tenor C3-G4, bass E2-C4.
SATB_RANGES = ((60, 79), (55, 74), (48, 67), (40, 60))
PERFECT = (0, 7)  # interval classes of a unison/octave and of a fifth


def sounding_top(piece: Piece, part: int, times: np.ndarray) -> np.ndarray:
    """The part's highest pitch sounding at each time (-1: silent)."""
    notes = piece.part_notes(part)
    out = np.full(len(times), -1)
    for start, duration, pitch in notes[:, [START, DURATION, PITCH]]:
        on = (times >= start - 1e-6) & (times < start + duration - 1e-6)
        out[on] = np.maximum(out[on], int(pitch))
    return out


def parallels(piece: Piece, pairs: list[tuple[int, int]]) -> int:
    """Parallel fifths and octaves between the parts of each pair: from one onset to the next of
    either part, both parts move in the same direction and stand a perfect fifth, or an octave or
    unison, apart before and after."""
    count = 0
    for a, b in pairs:
        times = np.unique(np.concatenate([piece.part_notes(a)[:, START], piece.part_notes(b)[:, START]]))
        upper, lower = sounding_top(piece, a, times), sounding_top(piece, b, times)
        both = (upper >= 0) & (lower >= 0)
        interval = (upper - lower) % 12
        for k in range(1, len(times)):
            if not (both[k - 1] and both[k]):
                continue
            up, low = upper[k] - upper[k - 1], lower[k] - lower[k - 1]
            if up and low and np.sign(up) == np.sign(low) and interval[k] in PERFECT and interval[k] == interval[k - 1]:
                count += 1
    return count


def parallels_per_100_beats(piece: Piece, pairs: list[tuple[int, int]]) -> float:
    beats = piece.duration_quarters / (4.0 / piece.time_signatures[0][2])
    return 100.0 * parallels(piece, pairs) / beats if beats > 0 else float("nan")


def in_range(piece: Piece, parts: list[int], ranges=SATB_RANGES) -> float:
    """The share of the parts' notes within their voice's usual range (part k: ``ranges[k]``)."""
    inside, total = 0, 0
    for part in parts:
        low, high = ranges[part]
        pitches = piece.part_notes(part)[:, PITCH]
        inside += int(np.sum((pitches >= low) & (pitches <= high)))
        total += len(pitches)
    return inside / total if total else float("nan")
