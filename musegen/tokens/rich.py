"""The rich scheme (``rich``): rhythm without bars.

    <bos> Pitch_60 Dur_4 Pitch_64 Dur_4 Shift_4 Pitch_67 Dur_2 …  <eos>

``Shift_n`` (time to the next onset, in grid steps), optional ``Vel_v``, ``Pitch_p`` and ``Dur_n``.
Chord notes share an onset (no shift between them).

Why our own rather than MidiTok's TSD: the same idea with no extra dependencies (MidiTok pulls
huggingface_hub and tokenizers into a 2.7 GB demo process), a fixed vocabulary of ~160 tokens that
needs no fitting and is lossless on its grid, and a per-token clock (``token_quarters``) that lets
the generator stop after a given number of seconds.
"""
from __future__ import annotations

import numpy as np

from ..config import TokenizerConfig
from ..music.piece import DURATION, PITCH, START, VELOCITY, Piece
from .base import SPECIALS, Tokenizer, pitched_notes


class RichTokenizer(Tokenizer):
    """Shift, (Vel), Pitch, Dur: a fixed vocabulary from the settings, lossless on its grid."""

    def __init__(self, config: TokenizerConfig):
        c = config
        vocab = list(SPECIALS)
        vocab += [f"Shift_{n}" for n in range(1, c.max_shift_steps + 1)]
        vocab += [f"Vel_{b}" for b in range(c.velocity_bins)]
        vocab += [f"Pitch_{p}" for p in range(c.min_pitch, c.max_pitch + 1)]
        vocab += [f"Dur_{n}" for n in range(1, c.max_duration_steps + 1)]
        super().__init__(config, vocab)

    def piece_tokens(self, piece: Piece) -> list[str]:
        c = self.config
        notes = pitched_notes(piece)
        notes = notes[(notes[:, PITCH] >= c.min_pitch) & (notes[:, PITCH] <= c.max_pitch)]
        steps = np.rint(notes[:, START] * c.steps_per_quarter).astype(np.int64)
        durations = np.clip(np.rint(notes[:, DURATION] * c.steps_per_quarter), 1, c.max_duration_steps)
        # Unisons (two voices, or quantising, on one pitch and step) become one note, the longest.
        unique: dict[tuple[int, int], list] = {}
        for step, dur, pitch, vel in zip(steps, durations.astype(int), notes[:, PITCH].astype(int), notes[:, VELOCITY]):
            kept = unique.setdefault((int(step), int(pitch)), [dur, vel])
            kept[0] = max(kept[0], dur)
        tokens: list[str] = []
        clock = int(steps[0]) if len(steps) else 0  # leading silence is not music
        for (step, pitch), (dur, vel) in unique.items():
            gap = int(step) - clock
            while gap > 0:
                shift = min(gap, c.max_shift_steps)
                tokens.append(f"Shift_{shift}")
                gap -= shift
            clock = int(step)
            if c.velocity_bins:
                tokens.append(f"Vel_{min(int(vel) * c.velocity_bins // 128, c.velocity_bins - 1)}")
            tokens += [f"Pitch_{pitch}", f"Dur_{dur}"]
        return tokens

    def tokens_to_notes(self, tokens: list[str]) -> np.ndarray:
        """Lenient, since a model writes these: a Pitch without a Dur lasts one step, a stray Dur is ignored."""
        c = self.config
        notes, clock, velocity, pitch = [], 0, 80, None

        def close(duration_steps: int):
            notes.append((clock / c.steps_per_quarter, duration_steps / c.steps_per_quarter, pitch, velocity))

        for token in tokens:
            kind, _, value = token.partition("_")
            n = int(value)
            if kind == "Pitch":
                if pitch is not None:
                    close(1)
                pitch = n
            elif kind == "Dur" and pitch is not None:
                close(n)
                pitch = None
            elif kind == "Shift":
                if pitch is not None:
                    close(1)
                    pitch = None
                clock += n
            elif kind == "Vel":
                velocity = int((n + 0.5) * 128 / c.velocity_bins)
        if pitch is not None:
            close(1)
        return np.array(notes, dtype=np.float64).reshape(-1, 4)

    def token_quarters(self, bar_quarters: float = 4.0) -> np.ndarray:
        quarters = np.zeros(len(self.vocab), dtype=np.float32)
        for token, i in self.index.items():
            if token.startswith("Shift_"):
                quarters[i] = int(token[6:]) / self.config.steps_per_quarter
        return quarters

    def id_blocks(self) -> dict[str, tuple[int, int]]:
        c = self.config
        blocks = {"pitch": (self.index[f"Pitch_{c.min_pitch}"], c.max_pitch - c.min_pitch + 1)}
        if c.velocity_bins:
            blocks["velocity"] = (self.index["Vel_0"], c.velocity_bins)
        return blocks

    def transposable(self, ids: np.ndarray) -> np.ndarray:
        first, count = self.id_blocks()["pitch"]
        ids = np.asarray(ids)
        return (ids >= first) & (ids < first + count)
