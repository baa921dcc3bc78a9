"""Harmony: chords on the beat, whether the piece stays in one key, and whether it ends at home.

Part of the structure statistics (structure.py); "nothing to measure" (no beat with three pitch
classes, no note) is nan.
"""
from __future__ import annotations

import numpy as np

from ..music.piece import DURATION, PITCH, START, Piece
from ..generate.beat_chords import IS_CHORD
from ..generate.form import tonic_triad
from ..render.midi import estimate_key as find_key
from .note_statistics import pitched
from .rhythm import TOLERANCE, beats

KEY_WINDOW_BARS = 4

POPCOUNT = np.array([bin(m).count("1") for m in range(4096)])


def _pitch_class_masks(notes: np.ndarray, times: np.ndarray) -> np.ndarray:
    """12-bit mask of the pitch classes sounding at each instant (begun, within the tolerance, and
    not yet ended)."""
    masks = np.zeros(len(times), np.int64)
    t = times + TOLERANCE
    for pc in range(12):
        rows = notes[notes[:, PITCH].astype(int) % 12 == pc]
        begun = np.searchsorted(np.sort(rows[:, START]), t, "right")
        ended = np.searchsorted(np.sort(rows[:, START] + rows[:, DURATION]), t, "right")
        masks |= (begun > ended).astype(np.int64) << pc
    return masks


def beat_chord_fit(piece: Piece) -> float:
    """Over the beats where three or more pitch classes sound (drums aside), the share that sound
    a triad (major, minor, diminished, augmented) or a seventh chord (dominant, major, minor,
    half-diminished, diminished; also without its fifth), any root and inversion: harmony moves
    on the beat, so real chorales score ≈ 0.85 and clusters 0. nan when no beat has three."""
    notes = pitched(piece)
    grid = beats(piece)
    masks = _pitch_class_masks(notes, grid[grid < piece.duration_quarters])
    full = masks[POPCOUNT[masks] >= 3]
    return float(IS_CHORD[full].mean()) if len(full) else float("nan")


def estimate_key(notes: np.ndarray, lo: float = -np.inf, hi: float = np.inf) -> int | None:
    """The key of the notes sounding within [lo, hi) as one number, tonic + 12 for minor (midi's
    estimate_key, musegen's one key-finder); None when nothing sounds there."""
    key = find_key(notes, lo, hi, silent=None)
    return None if key is None else key[0] + 12 * key[1]


def key_stability(piece: Piece) -> float:
    """Share of the 4-bar windows (16 quarters in 4/4) whose estimated key is the whole piece's
    (drums aside): 1.0 for a piece in one key; a model that forgets its key wanders. Every Piece
    has a metre (4/4 when the source gave none), so windows always follow its bars."""
    notes = pitched(piece)
    whole = estimate_key(notes)
    if whole is None:
        return float("nan")
    edges = np.append(piece.bar_starts()[::KEY_WINDOW_BARS], np.inf)
    keys = [estimate_key(notes, lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
    keys = [k for k in keys if k is not None]
    return float(np.mean([k == whole for k in keys])) if keys else float("nan")


def ends_on_home_chord(piece: Piece) -> float:
    """1 when the notes sounding at the piece's last onset are all in its home chord (the tonic
    triad of its key) and include the tonic; 0 when not; nan without notes. A cadence."""
    notes = pitched(piece)
    if not len(notes):
        return float("nan")
    tonic, minor = find_key(notes)
    last = notes[:, START].max()
    sounding = notes[(notes[:, START] <= last + TOLERANCE) & (notes[:, START] + notes[:, DURATION] > last + TOLERANCE)]
    classes = set((sounding[:, PITCH].astype(int) % 12).tolist())
    return float(tonic in classes and classes <= tonic_triad(tonic, minor))
