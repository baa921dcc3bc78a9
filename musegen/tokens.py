"""Tokenizers: Piece ⇄ integer ids. Each scheme is one small class with the same interface.

- ``MetreTokenizer`` (the default) writes the music as a player reads a score: ``Bar`` and the bar's
  ``TimeSig``, ``Pos`` (where in the bar, on a grid that holds sixteenths and triplets), ``Part``
  (which hand, voice or instrument), optional ``Vel``, ``Pitch`` and ``Dur``; a header gives the
  ``Tempo`` and each part's ``Program``. See ``metre.py``.
- ``NotesTokenizer`` is the article's scheme: one token per onset, a note name with octave ("C4")
  or a chord of pitch classes ("0.4.7"), rare tokens dropped, written back at a fixed half beat.
- ``RichTokenizer`` keeps rhythm: ``Shift_n`` (time to the next onset, in grid steps),
  optional ``Vel_v``, ``Pitch_p`` and ``Dur_n``. Chord notes share an onset (no shift between them).
  Why our own rather than MidiTok's TSD: the same idea with no extra dependencies (MidiTok pulls
  huggingface_hub and tokenizers into a 2.7 GB demo process), a fixed vocabulary of ~160 tokens
  that needs no fitting and is lossless on its grid, and a per-token clock (``token_quarters``)
  that lets the generator stop after a given number of seconds.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from typing import Iterable

import numpy as np

from .config import TokenizerConfig, from_dict, to_dict
from .errors import ModelError
from .piece import DURATION, PART, PITCH, START, VELOCITY, Piece

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = [PAD, BOS, EOS]
PITCH_CLASSES = ["C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B"]
NOTE_NAME = re.compile(r"^([A-G][#-]?)(-?\d+)$")
# Tokens that say when a note sounds and for how long, not which note: sampled at the rhythm
# temperature (SampleConfig.rhythm_temperature). Ours, and MidiTok's names for the same.
TIMING_PREFIXES = ("Bar", "Pos_", "Dur_", "Shift_", "Position_", "Duration_", "TimeShift_")


class Tokenizer:
    """Shared interface: encode(piece) -> ids, decode(ids) -> piece, a vocabulary and a clock."""

    def __init__(self, config: TokenizerConfig, vocab: list[str]):
        self.config = config
        self.set_vocab(vocab)

    def set_vocab(self, vocab: list[str]):
        self.vocab = vocab
        self.index = {token: i for i, token in enumerate(vocab)}
        self.pad_id, self.bos_id, self.eos_id = (self.index[t] for t in SPECIALS)

    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def special_ids(self) -> list[int]:
        return [self.pad_id, self.bos_id, self.eos_id]

    def encode(self, piece: Piece) -> np.ndarray:
        """Ids of one piece, starting with <bos> and ending with <eos>; unknown tokens dropped."""
        body = [self.index[t] for t in self.piece_tokens(piece) if t in self.index]
        return np.array([self.bos_id, *body, self.eos_id], dtype=np.int32)

    def decode(self, ids: Iterable[int], name: str = "generated", tempo: float | None = None,
               context: int = 0, **_) -> Piece:
        """The piece the ids spell; the first ``context`` ids (a primer) are left out."""
        tokens = [self.vocab[i] for i in list(ids)[context:] if 0 <= i < len(self.vocab)]
        tempo = tempo or 120.0
        return Piece(name, self.tokens_to_notes([t for t in tokens if t not in SPECIALS]), tempo=tempo)

    def header(self, ids: np.ndarray) -> np.ndarray:
        """The ids at the start of a piece that a continuation must keep (tempo, instruments)."""
        return np.asarray(ids[:1], np.int32)

    def id_blocks(self) -> dict[str, tuple[int, int]]:
        """Runs of consecutive ids that augmentation may move: {"pitch": (first id, count), ...}.
        Moving a pitch id by k transposes the note by k semitones."""
        return {}

    def transposable(self, ids: np.ndarray) -> np.ndarray:
        """Which of these ids are pitches that transposition moves (drums never are)."""
        return np.zeros(len(ids), bool)

    def fit(self, pieces: list[Piece]) -> "Tokenizer":
        """Schemes with a data-dependent vocabulary learn it here; others return self."""
        return self

    def piece_tokens(self, piece: Piece) -> list[str]:
        raise NotImplementedError

    def tokens_to_notes(self, tokens: list[str]) -> np.ndarray:
        raise NotImplementedError

    def token_pitches(self) -> list[tuple[int, ...]]:
        """The MIDI pitches each token sounds (none for time, part and special tokens)."""
        return [(int(t[6:]),) if t.startswith("Pitch_") else () for t in self.vocab]

    def timing_mask(self) -> np.ndarray:
        """Which tokens are timing (bar lines, positions, durations, time shifts); none in the
        article's scheme, where a token is only a note or a chord."""
        return np.array([t.startswith(TIMING_PREFIXES) for t in self.vocab])

    def token_quarters(self, bar_quarters: float = 4.0) -> np.ndarray:
        """How far each token moves the clock, in quarter notes (to stop after N seconds)."""
        raise NotImplementedError

    def to_json(self) -> str:
        """A run saves the settings and the vocabulary: enough to rebuild the tokenizer."""
        return json.dumps({"config": to_dict(self.config), "vocab": self.vocab, **self.extra_state()})

    def extra_state(self) -> dict:
        return {}


class RichTokenizer(Tokenizer):
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
            raise ModelError(f"'{token}' is not a note of the notes scheme (a name such as C4, E-3 or F#5).")
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
            raise ModelError(
                f"Every token is rarer than the cutoff ({self.config.min_count}): lower min_count "
                f"(the most frequent token appears {max(counts.values(), default=0)} times)."
            )
        self.dropped = {t: n for t, n in counts.items() if n < self.config.min_count}
        self.set_vocab(list(SPECIALS) + keep)
        return self

    def token_quarters(self, bar_quarters: float = 4.0) -> np.ndarray:
        quarters = np.full(len(self.vocab), self.config.step_quarters, dtype=np.float32)
        quarters[self.special_ids] = 0.0
        return quarters

    def extra_state(self) -> dict:
        return {"dropped": self.dropped}


def pitched_notes(piece: Piece) -> np.ndarray:
    """The notes of a piece's pitched parts: schemes without parts have no place for drums."""
    drums = [i for i, part in enumerate(piece.parts) if part.is_drum]
    return piece.notes[~np.isin(piece.notes[:, PART], drums)] if drums else piece.notes


def schemes() -> dict[str, type]:
    from .metre import MetreTokenizer
    from .remi import RemiTokenizer  # MidiTok itself is imported only when a remi tokenizer is made

    return {"metre": MetreTokenizer, "rich": RichTokenizer, "notes": NotesTokenizer, "remi": RemiTokenizer}


def make_tokenizer(config: TokenizerConfig) -> Tokenizer:
    known = schemes()
    if config.scheme not in known:
        raise ModelError(f"Unknown token scheme '{config.scheme}': choose one of {', '.join(known)}.")
    return known[config.scheme](config)


def tokenizer_from_json(text: str) -> Tokenizer:
    state = json.loads(text)
    config = from_dict(TokenizerConfig, state["config"])
    if config.scheme == "notes":
        return NotesTokenizer(config, state["vocab"], state.get("dropped", {}))
    tokenizer = make_tokenizer(config)
    if tokenizer.vocab != state["vocab"]:
        raise ModelError("This run's vocabulary does not match its tokenizer settings: the bundle is damaged.")
    return tokenizer
