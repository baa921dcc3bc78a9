"""The unit of music that travels through the flow: notes in parts, with a tempo and a metre.

Times are in quarter notes (beats), so a piece means the same thing whatever file it came from.
Each note names its part (a row of ``parts``: a hand of a piano piece, a chorale's voice, a band's
instrument), so parts survive tokens, generation, MIDI tracks and score staves.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Columns of Piece.notes
START, DURATION, PITCH, VELOCITY, PART = range(5)
N_COLUMNS = 5
DRUM_PROGRAM = -1  # how tokens and caches write "the drum kit" in place of a General MIDI program


@dataclass
class Part:
    name: str = ""
    program: int = 0  # General MIDI program (0 = Acoustic Grand Piano)
    is_drum: bool = False

    def as_dict(self) -> dict:
        return {"name": self.name, "program": self.program, "is_drum": self.is_drum}


class Piece:
    """``notes``: (n, 5) float64 rows of start, duration, pitch, velocity, part (an (n, 4) array
    means one part). ``time_signatures``: (start, numerator, denominator) changes, the first at 0.
    ``key_sharps``: the key signature the source gave (sharps > 0, flats < 0), None if unknown.
    ``takeover``: in a continuation, where the user's passage ends and the model's music begins.
    ``rewritten``: (start, end) in quarters of bars written again (generate/span.py), else None.
    ``given_parts``: in an accompaniment, the parts that were given, not written (generate/accompany.py)."""

    def __init__(self, name: str, notes=None, tempo: float = 120.0, program: int = 0,
                 parts: list[Part] | None = None, time_signatures=None, key_sharps: int | None = None,
                 takeover: float | None = None, rewritten: tuple[float, float] | None = None,
                 given_parts: tuple[int, ...] | None = None):
        self.name = name
        self.takeover = takeover
        self.rewritten = rewritten
        self.given_parts = tuple(given_parts) if given_parts else None
        notes = np.zeros((0, N_COLUMNS)) if notes is None else np.asarray(notes, dtype=np.float64)
        if notes.ndim == 2 and notes.shape[1] == 4 or notes.size == 0:
            notes = notes.reshape(-1, 4)
            notes = np.column_stack([notes, np.zeros(len(notes))])
        notes = notes.reshape(-1, N_COLUMNS)
        # Sorted by onset, then part, then highest pitch first (melody before accompaniment).
        self.notes = notes[np.lexsort((-notes[:, PITCH], notes[:, PART], notes[:, START]))]
        self.tempo = float(tempo)  # quarter notes per minute
        n_parts = int(self.notes[:, PART].max()) + 1 if len(self.notes) else 1
        self.parts = list(parts) if parts else [Part(program=program) for _ in range(n_parts)]
        while len(self.parts) < n_parts:
            self.parts.append(Part(program=self.parts[-1].program))
        self.time_signatures = [(float(s), int(n), int(d)) for s, n, d in (time_signatures or [(0.0, 4, 4)])]
        self.key_sharps = key_sharps

    def __repr__(self) -> str:
        return f"Piece({self.name!r}, {self.n_notes} notes, {len(self.parts)} part(s), {self.tempo:g} bpm)"

    @property
    def program(self) -> int:
        """The first pitched part's instrument."""
        pitched = [p for p in self.parts if not p.is_drum]
        return (pitched or self.parts)[0].program

    @program.setter
    def program(self, value: int):
        """Play every pitched part on one instrument (drums stay drums)."""
        for part in self.parts:
            if not part.is_drum:
                part.program = int(value)

    @property
    def time_signature(self) -> tuple[int, int]:
        return self.time_signatures[0][1:]

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

    def bar_starts(self, until: float | None = None) -> np.ndarray:
        """Where each bar begins, in quarters, following the time signature changes."""
        until = self.duration_quarters if until is None else until
        starts, changes = [], self.time_signatures
        for i, (at, num, den) in enumerate(changes):
            if at >= until and starts:
                break
            end = min(changes[i + 1][0], until) if i + 1 < len(changes) else until
            starts.extend(np.arange(at, max(end, at + 1e-6), bar_quarters(num, den)))
        return np.asarray(starts, dtype=np.float64)

    def part_notes(self, index: int) -> np.ndarray:
        return self.notes[self.notes[:, PART] == index]

    def with_notes(self, notes: np.ndarray, name: str | None = None) -> "Piece":
        """The same parts, tempo and metre around other notes."""
        return Piece(name or self.name, notes, self.tempo, parts=[Part(**p.as_dict()) for p in self.parts],
                     time_signatures=self.time_signatures, key_sharps=self.key_sharps, takeover=self.takeover,
                     rewritten=self.rewritten, given_parts=self.given_parts)

    def without_doubled_notes(self) -> "Piece":
        """One note where a part begins the same pitch twice at once (the longest kept): a model
        barely trained can stack the same note dozens of times on one onset, which sounds as one
        and made FluidSynth take minutes."""
        notes = self.notes
        if len(notes) < 2:
            return self
        order = np.lexsort((-notes[:, DURATION], notes[:, PITCH], notes[:, START], notes[:, PART]))
        key = notes[order][:, [PART, START, PITCH]]
        first = np.ones(len(order), bool)
        first[1:] = (key[1:] != key[:-1]).any(axis=1)
        return self if first.all() else self.with_notes(notes[np.sort(order[first])])

    @classmethod
    def from_lists(cls, name, starts, durations, pitches, velocities=None, **kw) -> "Piece":
        velocities = [80] * len(pitches) if velocities is None else velocities
        return cls(name, np.column_stack([starts, durations, pitches, velocities]), **kw)


def bar_quarters(numerator: int, denominator: int) -> float:
    return numerator * 4.0 / denominator


def beat_quarters(numerator: int, denominator: int) -> float:
    """The felt beat: a dotted quarter in 6/8, 9/8, 12/8; else the denominator's note."""
    if denominator == 8 and numerator % 3 == 0 and numerator > 3:
        return 1.5
    return 4.0 / denominator
