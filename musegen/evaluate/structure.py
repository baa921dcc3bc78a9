"""Structure: a pulse, chords on the beat, repeated bars, one key, no ostinato lock-in.

The four statistics of one piece (rhythm.py, harmony.py, repetition.py) together, and their means
over a set. All computed from a Piece alone, so real excerpts and generated music go through the
same code. "Nothing to measure" (no notes, no beat with three pitch classes) is nan: sets skip it.
"""
from __future__ import annotations

import math

import numpy as np

from ..generate.remarks import collapse_warning
from ..music.piece import Piece
from .harmony import beat_chord_fit, key_stability
from .repetition import bar_repetition, ostinato
from .rhythm import on_beat_share

STRUCTURE_FEATURES = ["on_beat_share", "beat_chord_fit", "bar_repetition", "key_stability"]


def structure(piece: Piece) -> dict:
    """The four structure statistics of one piece."""
    return {"on_beat_share": on_beat_share(piece), "beat_chord_fit": beat_chord_fit(piece),
            "bar_repetition": bar_repetition(piece), "key_stability": key_stability(piece)}


def structure_summary(pieces: list[Piece], ids_list: list[np.ndarray] | None = None) -> dict:
    """Over a set of pieces: the mean of each structure statistic (nan skipped; None when no piece
    has one), the mean ostinato share, and the share of pieces locked in and collapsed (locked in,
    or, given their ids, collapsed as tokens). The same call for real excerpts and generated music."""
    rows = [structure(p) for p in pieces]
    found = [ostinato(p) for p in pieces]
    ids_list = ids_list if ids_list is not None else [None] * len(pieces)
    collapsed = [f["locked_in"] or (ids is not None and collapse_warning(ids) is not None)
                 for f, ids in zip(found, ids_list)]
    out: dict = {"pieces": len(pieces)}
    for name in STRUCTURE_FEATURES:
        mean = nanmean([r[name] for r in rows])
        out[name] = None if math.isnan(mean) else round(mean, 4)
    out["ostinato_share"] = round(float(np.mean([f["share"] for f in found])), 4) if found else None
    out["locked_in"] = float(np.mean([f["locked_in"] for f in found])) if found else None
    out["collapsed"] = float(np.mean(collapsed)) if found else None
    return out


def nanmean(values) -> float:
    """The mean of the values that are numbers; nan when none is (nothing was measured)."""
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan
