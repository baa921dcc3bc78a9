"""Tokenizers: Piece ⇄ integer ids. The base class every scheme shares; each scheme is one file.

- ``metre.py``, ``MetreTokenizer`` (the default), writes the music as a player reads a score: ``Bar``
  and the bar's ``TimeSig``, ``Pos`` (where in the bar, on a grid that holds sixteenths and
  triplets), ``Part`` (which hand, voice or instrument), optional ``Vel``, ``Pitch`` and ``Dur``; a
  header gives the ``Tempo`` and each part's ``Program``.
- ``notes.py``, ``NotesTokenizer``, is the article's scheme: one token per onset, a note name with
  octave ("C4") or a chord of pitch classes ("0.4.7"), rare tokens dropped, written back at a fixed
  half beat.
- ``rich.py``, ``RichTokenizer``, keeps rhythm: ``Shift_n`` (time to the next onset), optional
  ``Vel_v``, ``Pitch_p`` and ``Dur_n``.
- ``remi.py``, ``RemiTokenizer``: MidiTok's REMI+, the comparison for ``metre``.

``registry.py`` knows them all by name (``make_tokenizer``, ``tokenizer_from_json``); this module
knows none of them. The code around the tokenizers (primers, steering, checks) never reads a
token's name: it asks the structure methods below (``bar_id``, ``time_signature_ids``,
``part_ids``, ``program_ids``, ``position_ids``, ``pitch_ids``, ``note_mask``), which a scheme
without that structure answers with None or nothing.
"""
from __future__ import annotations

import json
from typing import Callable, Iterable

import numpy as np

from ..config import TokenizerConfig, to_dict
from ..errors import ModelError
from ..messages import msg
from ..music.piece import PART, Piece, bar_quarters

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = [PAD, BOS, EOS]
# The metres and tempi the schemes with bars share (metre and remi).
TIME_SIGNATURES = ["2/4", "3/4", "4/4", "5/4", "6/4", "7/4", "2/2", "3/2", "4/2",
                   "3/8", "5/8", "6/8", "7/8", "9/8", "12/8"]
TEMPO_BINS = 32
TEMPO_RANGE = (40.0, 240.0)
# Tokens that say when a note sounds and for how long, not which note: sampled at the rhythm
# temperature (SampleConfig.rhythm_temperature). Ours, and MidiTok's names for the same.
TIMING_PREFIXES = ("Bar", "Pos_", "Dur_", "Shift_", "Position_", "Duration_", "TimeShift_")


class Tokenizer:
    """Shared interface: encode(piece) -> ids, decode(ids) -> piece, a vocabulary, a clock and the
    structure of the tokens (bar lines, time signatures, parts, instruments, positions, pitches)."""

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

    @classmethod
    def from_state(cls, config: TokenizerConfig, state: dict) -> "Tokenizer":
        """The tokenizer a run saved (``to_json``'s state): rebuilt from its settings, which must
        give the vocabulary it saved. Schemes that learn their vocabulary take it from the state."""
        tokenizer = cls(config)
        if tokenizer.vocab != state["vocab"]:
            raise ModelError(msg("said.vocab_mismatch"))
        return tokenizer

    # ------------------------------------------------------------------ structure
    # What the tokens mean, for the code around a tokenizer (primers, steering, checks), which never
    # reads a token's name. A scheme without the thing answers None or an empty dict. Dicts are in
    # id order.

    @property
    def bar_id(self) -> int | None:
        """The bar line's id; None in a scheme without bars."""
        return None

    def time_signature_ids(self) -> dict[int, tuple[int, int]]:
        """{id: (numerator, denominator)} of the time-signature tokens."""
        return {}

    def time_signature_id(self, numerator: int, denominator: int) -> int | None:
        """The id that says this time signature; None if the scheme cannot say it."""
        wanted = (int(numerator), int(denominator))
        return next((i for i, signature in self.time_signature_ids().items() if signature == wanted), None)

    def part_ids(self) -> dict[int, int]:
        """{id: part number} of the tokens that say which part (hand, voice, instrument) plays next."""
        return {}

    def program_ids(self) -> dict[int, int]:
        """{id: General MIDI program} of the instrument tokens; piece.DRUM_PROGRAM (-1) for the drum kit."""
        return {}

    def position_ids(self) -> dict[int, int]:
        """{id: grid steps after the bar line} of the tokens that say where in the bar a note starts."""
        return {}

    def pitch_ids(self) -> dict[int, int]:
        """{id: MIDI pitch} of the tokens that sound exactly one pitch (``token_pitches`` has chords too)."""
        return {i: pitches[0] for i, pitches in enumerate(self.token_pitches()) if len(pitches) == 1}

    def note_mask(self) -> np.ndarray:
        """Which tokens write notes (where, how loud, which pitch, how long), rather than the frame
        around them (bar lines, metre, parts, instruments, tempo, <bos>...)."""
        mask = np.ones(len(self.vocab), bool)
        mask[self.special_ids] = False
        return mask

    def opening(self, tempo: float, parts: list, time_signature: tuple[int, int]) -> np.ndarray:
        """The ids a piece written from nothing starts with: <bos>, and in a scheme with bars a first
        bar line in ``time_signature`` (when the scheme can say it)."""
        ids = [self.bos_id]
        if self.bar_id is not None:
            ids.append(self.bar_id)
            signature = self.time_signature_id(*time_signature)
            ids += [] if signature is None else [signature]
        return np.array(ids, np.int32)

    def bar_offsets(self, ids, time_signature: tuple[int, int] = (4, 4)) -> list[float]:
        """Where each bar line of `ids` begins, in quarters after the first (each bar as long as its
        time signature says, ``time_signature`` until one is given); [0.0] without bar lines."""
        bar, signatures = self.bar_id, self.time_signature_ids()
        offsets, length, at = [], bar_quarters(*time_signature), 0.0
        for i in np.asarray(ids):
            if i == bar:
                at = at + length if offsets else 0.0
                offsets.append(at)
            elif i in signatures:
                length = bar_quarters(*signatures[i])
        return offsets or [0.0]

    def _named(self, prefix: str, value: Callable[[str], object] = int) -> dict:
        """{id: value} of the tokens named ``prefix`` + value: for the schemes' own structure methods."""
        return {i: value(t[len(prefix):]) for i, t in enumerate(self.vocab) if t.startswith(prefix)}


def signature_of(text: str) -> tuple[int, int]:
    """"3/4" → (3, 4)."""
    numerator, denominator = text.split("/")
    return int(numerator), int(denominator)


def pitched_notes(piece: Piece) -> np.ndarray:
    """The notes of a piece's pitched parts: schemes without parts have no place for drums."""
    drums = [i for i, part in enumerate(piece.parts) if part.is_drum]
    return piece.notes[~np.isin(piece.notes[:, PART], drums)] if drums else piece.notes

