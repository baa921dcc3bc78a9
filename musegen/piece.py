"""The unit of music that travels through the flow: a list of notes with a tempo.

Times are in quarter notes (beats), so a piece means the same thing whatever file it came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Columns of Piece.notes
START, DURATION, PITCH, VELOCITY = range(4)


@dataclass
class Piece:
    name: str
    notes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))  # (n, 4) float64
    tempo: float = 120.0  # quarter notes per minute
    program: int = 0  # General MIDI program (0 = Acoustic Grand Piano)

    def __post_init__(self):
        notes = np.asarray(self.notes, dtype=np.float64).reshape(-1, 4)
        # Sorted by onset, then highest pitch first (melody before accompaniment).
        order = np.lexsort((-notes[:, PITCH], notes[:, START]))
        self.notes = notes[order]

    @property
    def n_notes(self) -> int:
        return len(self.notes)

    @property
    def duration_quarters(self) -> float:
        if not len(self.notes):
            return 0.0
        return float((self.notes[:, START] + self.notes[:, DURATION]).max())

    @property
    def seconds(self) -> float:
        return self.duration_quarters * 60.0 / self.tempo

    @classmethod
    def from_lists(cls, name, starts, durations, pitches, velocities=None, **kw) -> "Piece":
        velocities = [80] * len(pitches) if velocities is None else velocities
        return cls(name, np.column_stack([starts, durations, pitches, velocities]), **kw)
