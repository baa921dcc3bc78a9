"""Chords for a melody: the progression a given melody suggests, for ``--chords auto``.

A model trained for minutes writes the metre and the texture of an accompaniment before it knows
harmony (docs/accompany.md). So, asked to, the accompaniment follows chords found in the melody
itself, the whole melody heard at once — what comes next included, which the model writing note by
note cannot hear: for each half bar (a bar in a metre of three or six beats), the key's own triads
(and the dominant seventh) are scored by how long the melody's notes there belong to them, a note
on the beat counting double; a path through the bars (Viterbi) then prefers the moves harmony
makes most (to the tonic, subdominant and dominant), begins on the tonic and closes V–I.
"""
from __future__ import annotations

import numpy as np

from ..music.piece import DURATION, PART, PITCH, START, Piece, bar_quarters, beat_quarters
from .chords import Chord, Span

# The key's own chords, as (degree, semitones above the tonic of the root, intervals, name suffix).
MAJOR_CHORDS = [(1, 0, (0, 4, 7), ""), (2, 2, (0, 3, 7), "m"), (3, 4, (0, 3, 7), "m"), (4, 5, (0, 4, 7), ""),
                (5, 7, (0, 4, 7), ""), (5, 7, (0, 4, 7, 10), "7"), (6, 9, (0, 3, 7), "m")]
MINOR_CHORDS = [(1, 0, (0, 3, 7), "m"), (3, 3, (0, 4, 7), ""), (4, 5, (0, 3, 7), "m"), (5, 7, (0, 4, 7), ""),
                (5, 7, (0, 4, 7, 10), "7"), (6, 8, (0, 4, 7), ""), (7, 10, (0, 4, 7), "")]
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
OUTSIDE = 0.7  # what a melody note outside a chord costs, against 1 for a note in it
# Moves between degrees that harmony makes most, and the lift each gets (in melody-quarters).
GOOD_MOVES = {(5, 1): 0.6, (4, 5): 0.4, (1, 4): 0.3, (1, 5): 0.3, (2, 5): 0.4, (6, 2): 0.3, (6, 4): 0.3,
              (1, 6): 0.2, (4, 1): 0.3, (3, 6): 0.2}
SAME = 0.15  # staying on a chord: cheap, but the harmony should move


def melody_chords(piece: Piece, parts: list[int], key: tuple[int, bool]) -> list[list[Span]]:
    """The progression for ``piece``'s ``parts`` (the given melody) in ``key`` (tonic, minor?):
    one chord per half bar in 2 or 4 beats, per bar otherwise, as chords.parse_progression gives."""
    tonic, minor = key
    options = MINOR_CHORDS if minor else MAJOR_CHORDS
    notes = piece.notes[np.isin(piece.notes[:, PART], parts)]
    if not len(notes):
        return []
    num, den = piece.time_signatures[0][1:]
    bar, beat = bar_quarters(num, den), beat_quarters(num, den)
    beats = round(bar / beat)
    span = bar / 2 if beats in (2, 4) else bar
    ends = notes[:, START] + notes[:, DURATION]
    n_spans = int(np.ceil(ends.max() / span - 1e-9))
    fit = np.array([[_fit(notes, k * span, (k + 1) * span, beat, tonic, chord) for chord in options]
                    for k in range(n_spans)])
    path = _best_path(fit, options)
    chords = [_chord(tonic, options[i]) for i in path]
    per_bar = 2 if span < bar else 1
    return [[Span(c, None) for c in chords[k:k + per_bar]] for k in range(0, len(chords), per_bar)]


def _fit(notes: np.ndarray, lo: float, hi: float, beat: float, tonic: int, chord) -> float:
    """How long the melody's notes within [lo, hi) belong to the chord, minus OUTSIDE for those that
    do not; a note starting on a beat counts double."""
    _, root, intervals, _ = chord
    classes = {(tonic + root + i) % 12 for i in intervals}
    length = np.minimum(notes[:, START] + notes[:, DURATION], hi) - np.maximum(notes[:, START], lo)
    inside = length > 1e-9
    on_beat = np.isclose(np.mod(notes[:, START], beat), 0.0) & (notes[:, START] >= lo) & (notes[:, START] < hi)
    weight = length * (1 + on_beat)
    member = np.array([int(p) % 12 in classes for p in notes[:, PITCH]])
    score = float(np.sum(weight[inside & member]) - OUTSIDE * np.sum(weight[inside & ~member]))
    return score - (0.05 if len(intervals) > 3 else 0.0)  # a seventh only where the melody asks for it


def _best_path(fit: np.ndarray, options) -> list[int]:
    """Viterbi over the spans: the melody's fit plus the moves' lift; the first chord the tonic's,
    the last two dominant then tonic where the melody lets them be."""
    n, m = fit.shape
    degree = [o[0] for o in options]
    move = np.array([[GOOD_MOVES.get((degree[a], degree[b]), SAME if a == b else 0.0) for b in range(m)]
                     for a in range(m)])
    score = fit[0] + np.array([0.5 if d == 1 else 0.0 for d in degree])
    back = np.zeros((n, m), int)
    for k in range(1, n):
        total = score[:, None] + move
        back[k] = total.argmax(axis=0)
        score = total.max(axis=0) + fit[k] + (np.array([0.8 if d == 1 else 0.0 for d in degree]) if k == n - 1 else 0)
    path = [int(score.argmax())]
    for k in range(n - 1, 0, -1):
        path.append(int(back[k][path[-1]]))
    return path[::-1]


def _chord(tonic: int, option) -> Chord:
    _, root, intervals, suffix = option
    pc = (tonic + root) % 12
    return Chord(NAMES[pc] + suffix, frozenset((pc + i) % 12 for i in intervals))


def progression_text(bars: list[list[Span]]) -> str:
    """The progression as a person types it: "C G | Am F | …"."""
    return " | ".join(" ".join(span.chord.name for span in bar) for bar in bars)
