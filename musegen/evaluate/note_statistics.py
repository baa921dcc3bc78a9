"""Statistics of one piece's notes: pitch classes, scale, polyphony, density, range, durations.

Drum parts are left out wherever a pitch matters (`pitched`): a drum's "pitch" names a drum.
"""
from __future__ import annotations

import math

import numpy as np

from ..music.piece import DURATION, PART, PITCH, START, Piece

MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
HARMONIC_MINOR = np.array([0, 2, 3, 5, 7, 8, 11])
SCALES = np.array([np.isin(np.arange(12), (s + k) % 12) for s in (MAJOR, HARMONIC_MINOR) for k in range(12)])
DURATION_BINS = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0])  # quarters; longer → last bin
DURATION_LABELS = ["1/16", "1/8", "dotted 1/8", "1/4", "dotted 1/4", "1/2", "dotted 1/2", "whole+"]


def pitched(piece: Piece) -> np.ndarray:
    """The notes of the pitched parts: a drum part's "pitch" names a drum, not a note."""
    drums = [i for i, part in enumerate(piece.parts) if part.is_drum]
    return piece.notes[~np.isin(piece.notes[:, PART], drums)] if drums else piece.notes


def pitch_class_histogram(piece: Piece) -> np.ndarray:
    counts = np.bincount(pitched(piece)[:, PITCH].astype(int) % 12, minlength=12).astype(float)
    return counts / counts.sum() if counts.sum() else counts


def pitch_class_entropy(piece: Piece) -> float:
    """Shannon entropy (bits) of the pitch classes: 0 for one repeated pitch, log2(12) ≈ 3.58 at most."""
    h = pitch_class_histogram(piece)
    h = h[h > 0]
    return float(-(h * np.log2(h)).sum()) + 0.0 if len(h) else 0.0


def scale_consistency(piece: Piece) -> float:
    """Share of notes inside the best-fitting major or harmonic-minor scale (C-RNN-GAN's measure)."""
    notes = pitched(piece)
    if not len(notes):
        return 0.0
    counts = np.bincount(notes[:, PITCH].astype(int) % 12, minlength=12)
    return float((SCALES @ counts).max() / counts.sum())


def _sounding(piece: Piece, grid: float) -> np.ndarray:
    """Notes sounding at each point of a grid (in quarters) from 0 to the end of the piece."""
    n_steps = int(math.ceil(piece.duration_quarters / grid - 1e-9))
    if n_steps <= 0:
        return np.zeros(0, int)
    delta = np.zeros(n_steps + 1, int)
    start = np.clip(np.floor(piece.notes[:, START] / grid + 1e-6).astype(int), 0, n_steps)
    end = np.clip(np.ceil((piece.notes[:, START] + piece.notes[:, DURATION]) / grid - 1e-6).astype(int), 0, n_steps)
    end = np.maximum(end, np.minimum(start + 1, n_steps))
    np.add.at(delta, start, 1)
    np.add.at(delta, end, -1)
    return np.cumsum(delta)[:n_steps]


def polyphony(piece: Piece) -> float:
    """Mean number of notes sounding together, over the sixteenths where anything sounds."""
    sounding = _sounding(piece, 0.25)
    busy = sounding[sounding > 0]
    return float(busy.mean()) if len(busy) else 0.0


def empty_beat_rate(piece: Piece) -> float:
    """Share of beats (quarter notes) in which no note sounds at all."""
    if not piece.n_notes:
        return 1.0
    sounding = _sounding(piece, 0.25)
    n_beats = int(math.ceil(len(sounding) / 4))
    padded = np.pad(sounding, (0, n_beats * 4 - len(sounding)))
    return float((padded.reshape(n_beats, 4).max(axis=1) == 0).mean()) if n_beats else 1.0


def note_density(piece: Piece) -> float:
    """Notes per quarter note."""
    return piece.n_notes / piece.duration_quarters if piece.duration_quarters > 0 else 0.0


def pitch_range(piece: Piece) -> float:
    notes = pitched(piece)
    return float(np.ptp(notes[:, PITCH])) if len(notes) else 0.0


def duration_histogram(piece: Piece) -> np.ndarray:
    if not piece.n_notes:
        return np.zeros(len(DURATION_BINS))
    idx = np.abs(np.log2(piece.notes[:, DURATION][:, None]) - np.log2(DURATION_BINS)[None, :]).argmin(axis=1)
    counts = np.bincount(idx, minlength=len(DURATION_BINS)).astype(float)
    return counts / counts.sum()
