"""The article's scheme (``notes``): one token per onset, as the WaveNet-on-MIDI article wrote it.

    <bos> C4 E-4 0.4.7 G3 …  <eos>

A single note is its name with octave ("C4", "E-4", "F#5"); a chord is its pitch classes ("0.4.7").
The vocabulary comes from the data (``fit``), rare tokens dropped; the music is written back at a
fixed step (half a beat by default), a chord voiced from middle C.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

from ..config import TokenizerConfig
from ..errors import ModelError
from ..messages import msg
from ..music.piece import PITCH, START, Piece
from .base import SPECIALS, Tokenizer, pitched_notes

PITCH_CLASSES = ["C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B"]
NOTE_NAME = re.compile(r"^([A-G][#-]?)(-?\d+)$")


class NotesTokenizer(Tokenizer):
    """The article's scheme. Its vocabulary comes from the data (``fit``)."""

    def __init__(self, config: TokenizerConfig, vocab: list[str] | None = None, dropped: dict | None = None):
        super().__init__(config, vocab or list(SPECIALS))
        self.dropped: dict[str, int] = dropped or {}

    def piece_tokens(self, piece: Piece) -> list[str]:
        notes = pitched_notes(piece)
        if not len(notes):
            return []
        _, first_of_onset = np.unique(np.round(notes[:, START], 6), return_index=True)
        return [self.onset_token(g) for g in np.split(notes[:, PITCH].astype(int), first_of_onset[1:])]

    @staticmethod
    def onset_token(pitches: np.ndarray) -> str:
        # Below C0 (MIDI 12) a name would need octave -1, and "E-1" would then mean both E♭1 and
        # E in octave -1: such notes (below any instrument) are written an octave up per octave.
        distinct = sorted(set(int(p) if p >= 12 else int(p) % 12 + 12 for p in pitches))
        if len(distinct) == 1:
            p = distinct[0]
            return f"{PITCH_CLASSES[p % 12]}{p // 12 - 1}"
        return ".".join(str(pc) for pc in sorted(set(p % 12 for p in distinct)))

    def token_pitches(self) -> list[tuple[int, ...]]:
        return [() if t in SPECIALS else tuple(self.pitches_of(t)) for t in self.vocab]

    @staticmethod
    def pitches_of(token: str) -> list[int]:
        if token[0].isdigit():  # a chord of pitch classes, voiced from middle C as the article does
            return [60 + int(pc) for pc in token.split(".")]
        match = NOTE_NAME.match(token)
        if not match or match.group(1) not in PITCH_CLASSES:
            raise ModelError(msg("said.not_notes_token", token=token))
        name, octave = match.groups()
        return [PITCH_CLASSES.index(name) + 12 * (int(octave) + 1)]

    def tokens_to_notes(self, tokens: list[str]) -> np.ndarray:
        step = self.config.step_quarters
        notes = [(i * step, step, pitch, 80) for i, token in enumerate(tokens) for pitch in self.pitches_of(token)]
        return np.array(notes, dtype=np.float64).reshape(-1, 4)

    def fit(self, pieces: list[Piece]) -> "NotesTokenizer":
        counts = Counter(t for piece in pieces for t in self.piece_tokens(piece))
        keep = sorted(t for t, n in counts.items() if n >= self.config.min_count)
        if not keep:
            raise ModelError(msg("said.all_rare", cutoff=self.config.min_count, n=max(counts.values(), default=0)))
        self.dropped = {t: n for t, n in counts.items() if n < self.config.min_count}
        self.set_vocab(list(SPECIALS) + keep)
        return self

    def token_quarters(self, bar_quarters: float = 4.0) -> np.ndarray:
        quarters = np.full(len(self.vocab), self.config.step_quarters, dtype=np.float32)
        quarters[self.special_ids] = 0.0
        return quarters

    def extra_state(self) -> dict:
        return {"dropped": self.dropped}

    @classmethod
    def from_state(cls, config: TokenizerConfig, state: dict) -> "NotesTokenizer":
        """The vocabulary was learned from the run's data: it comes with the state."""
        return cls(config, state["vocab"], state.get("dropped", {}))
