"""Rhythm: the beats of a piece, and how many of its notes start on one (a pulse).

Part of the structure statistics (structure.py): computed from a Piece alone, so real excerpts and
generated music go through the same code; "nothing to measure" is nan.
"""
from __future__ import annotations

import numpy as np

from ..music.piece import START, Piece, beat_quarters
from .note_statistics import pitched

TOLERANCE = 1 / 48  # quarters: an onset this close to a beat is on it (unquantised MIDI)


def beats(piece: Piece) -> np.ndarray:
    """Every beat of the piece in quarters, counted from each bar line with the beat of the time
    signature in force (a dotted quarter in 6/8), up to the end of the last bar."""
    starts = piece.bar_starts()
    at = [c[0] for c in piece.time_signatures]
    out = []
    for i, start in enumerate(starts):
        _, num, den = piece.time_signatures[max(0, int(np.searchsorted(at, start + TOLERANCE, "right")) - 1)]
        end = starts[i + 1] if i + 1 < len(starts) else start + num * 4.0 / den
        out.append(np.arange(start, end - TOLERANCE, beat_quarters(num, den)))
    return np.concatenate(out + [[end]]) if out else np.zeros(0)


def on_beat_share(piece: Piece) -> float:
    """Share of the notes (drums aside) that start on a beat: music with a pulse puts most of its
    notes there (Bach chorales ≈ 0.8), a model without one scatters them. Notes, not distinct
    onsets, so a passing eighth in one voice weighs as one note against four on the beat."""
    onsets = pitched(piece)[:, START]
    if not len(onsets):
        return float("nan")
    grid = beats(piece)  # at least a downbeat and the last bar's end
    i = np.clip(np.searchsorted(grid, onsets), 1, len(grid) - 1)
    distance = np.minimum(np.abs(onsets - grid[i]), np.abs(onsets - grid[i - 1]))
    return float((distance <= TOLERANCE + 1e-9).mean())
