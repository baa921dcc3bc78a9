"""The metre-aware scheme, the default: music written bar by bar, as a player reads a score.

    <bos> Tempo_96 Program_0 Program_0          header: tempo, then one instrument per part
    Bar TimeSig_3/4                              every bar says its metre
    Pos_0 Part_0 Pitch_72 Dur_12 Part_1 Pitch_48 Dur_36
    Pos_12 Part_0 Pitch_74 Dur_6  Pos_18 Pitch_76 Dur_6 …
    Bar TimeSig_3/4 …  <eos>

``Pos`` counts grid steps from the bar line (12 per quarter by default: sixteenths and triplets
both land on the grid); ``Dur`` is in the same steps, from a list that is fine for short notes and
coarser for long ones; ``Part`` is written when the part changes, and again after every bar line,
so any window of a piece says who plays; ``Vel`` precedes a pitch when velocity is kept.

Why our own rather than MidiTok's REMI: REMI+ tells parts apart by General MIDI program, so the
two hands of a piano piece (both program 0) or a chorale's four voices merge into one track; here
a part is a part, and its instrument sits once in the header. It also keeps the product free of
MidiTok's Hugging Face dependencies in the shared demo process. The structure benchmark
(``make quality``) measures what the scheme buys.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import TokenizerConfig
from ..music.piece import DRUM_PROGRAM, DURATION, PART, PITCH, START, VELOCITY, Part, Piece, bar_quarters
from .base import SPECIALS, TEMPO_BINS, TEMPO_RANGE, TIME_SIGNATURES, Tokenizer, signature_of

MAX_BAR_QUARTERS = 8.0
DRUMS = "drums"


def tempo_values() -> np.ndarray:
    """Tempo tokens' beats per minute: geometric steps, so each is ~6 % faster than the last."""
    low, high = TEMPO_RANGE
    return low * (high / low) ** (np.arange(TEMPO_BINS) / (TEMPO_BINS - 1))


def duration_steps(per_quarter: int) -> list[int]:
    """Durations a Dur token can say, in grid steps: every step up to a quarter, then sixteenths
    and triplet eighths up to a half, quarters' halves up to a whole bar, then whole quarters."""
    q = per_quarter
    fine = list(range(1, q + 1))
    medium = sorted({q + k * q // 4 for k in range(1, 5)} | {q + k * q // 3 for k in range(1, 4)})
    coarse = list(range(2 * q + q // 2, 4 * q + 1, q // 2)) + list(range(5 * q, 8 * q + 1, q))
    return sorted(set(fine + medium + coarse))


def _signature_token(numerator: int, denominator: int) -> str:
    text = f"{numerator}/{denominator}"
    return text if text in TIME_SIGNATURES else "4/4"


class MetreTokenizer(Tokenizer):
    def __init__(self, config: TokenizerConfig):
        c = config
        self.per_quarter = c.positions_per_quarter
        self.durations = np.asarray(duration_steps(self.per_quarter))
        self.tempos = tempo_values()
        vocab = list(SPECIALS)
        vocab += [f"Tempo_{round(t)}" for t in self.tempos]
        vocab += [f"Program_{p}" for p in range(128)] + [f"Program_{DRUMS}"]
        vocab += ["Bar"] + [f"TimeSig_{s}" for s in TIME_SIGNATURES]
        vocab += [f"Pos_{n}" for n in range(int(MAX_BAR_QUARTERS * self.per_quarter))]
        vocab += [f"Part_{i}" for i in range(c.max_parts)]
        vocab += [f"Vel_{b}" for b in range(c.velocity_bins)]
        vocab += [f"Pitch_{p}" for p in range(c.min_pitch, c.max_pitch + 1)]
        vocab += [f"Dur_{n}" for n in self.durations]
        super().__init__(config, vocab)

    # ------------------------------------------------------------------ encoding

    def _kept_parts(self, piece: Piece) -> list[int]:
        """The parts that fit in ``max_parts``: the busiest, in their score order."""
        counts = np.bincount(piece.notes[:, PART].astype(int), minlength=len(piece.parts))
        busiest = sorted(range(len(piece.parts)), key=lambda i: -counts[i])
        return sorted(i for i in busiest[: self.config.max_parts] if counts[i] > 0)

    def _quantised(self, piece: Piece, parts: list[int]):
        """(step, part, pitch, duration steps, velocity) per note, unisons merged, in reading order."""
        c, q = self.config, self.per_quarter
        notes = piece.notes[np.isin(piece.notes[:, PART], parts)]
        notes = notes[(notes[:, PITCH] >= c.min_pitch) & (notes[:, PITCH] <= c.max_pitch)]
        steps = np.rint(notes[:, START] * q).astype(np.int64)
        nearest = np.abs(notes[:, DURATION, None] * q - self.durations[None, :]).argmin(axis=1)
        part_index = {old: new for new, old in enumerate(parts)}
        merged: dict[tuple[int, int, int], list] = {}
        for step, part, pitch, dur, vel in zip(steps, notes[:, PART].astype(int), notes[:, PITCH].astype(int),
                                               self.durations[nearest], notes[:, VELOCITY]):
            kept = merged.setdefault((int(step), part_index[part], pitch), [int(dur), vel])
            kept[0] = max(kept[0], int(dur))
        return sorted(((s, part, pitch, d, v) for (s, part, pitch), (d, v) in merged.items()),
                      key=lambda n: (n[0], n[1], -n[2]))

    def _bars(self, piece: Piece, last_step: int):
        """(start step, length in steps, signature token) of every bar up to the last onset."""
        q, bars = self.per_quarter, []
        changes = piece.time_signatures
        for i, (at, num, den) in enumerate(changes):
            signature = _signature_token(num, den)
            length = int(round(bar_quarters(*map(int, signature.split("/"))) * q))
            start = int(round(at * q)) if not bars else bars[-1][0] + bars[-1][1]
            end = int(round(changes[i + 1][0] * q)) if i + 1 < len(changes) else last_step + 1
            while start < end or not bars:
                bars.append((start, length, signature))
                start += length
        while bars[-1][0] + bars[-1][1] <= last_step:
            bars.append((bars[-1][0] + bars[-1][1], bars[-1][1], bars[-1][2]))
        return bars

    def piece_tokens(self, piece: Piece) -> list[str]:
        parts = self._kept_parts(piece)
        notes = self._quantised(piece, parts)
        tokens = [self.tempo_token(piece.tempo)]
        tokens += [self.program_token(piece.parts[i]) for i in parts]
        if not notes:
            return tokens
        c = self.config
        bars = self._bars(piece, notes[-1][0])
        first_bar = max(i for i, (start, _, _) in enumerate(bars) if start <= notes[0][0])  # no empty bars first
        i = 0
        for start, length, signature in bars[first_bar:]:
            tokens += ["Bar", f"TimeSig_{signature}"]
            part, position = None, None
            while i < len(notes) and notes[i][0] < start + length:
                step, note_part, pitch, dur, vel = notes[i]
                if step - start != position:
                    position = step - start
                    tokens.append(f"Pos_{min(position, int(MAX_BAR_QUARTERS * self.per_quarter) - 1)}")
                if note_part != part:
                    part = note_part
                    tokens.append(f"Part_{part}")
                if c.velocity_bins:
                    tokens.append(f"Vel_{min(int(vel) * c.velocity_bins // 128, c.velocity_bins - 1)}")
                tokens += [f"Pitch_{pitch}", f"Dur_{dur}"]
                i += 1
        return tokens

    def tempo_token(self, bpm: float) -> str:
        nearest = int(np.abs(np.log(self.tempos) - np.log(max(float(bpm), 1.0))).argmin())
        return f"Tempo_{round(self.tempos[nearest])}"

    @staticmethod
    def program_token(part: Part) -> str:
        return f"Program_{DRUMS if part.is_drum else int(part.program)}"

    # ------------------------------------------------------------------ decoding

    def decode(self, ids, name: str = "generated", tempo: float | None = None, parts: list[Part] | None = None,
               time_signature: tuple[int, int] = (4, 4), context: int = 0) -> Piece:
        """Lenient, since a model writes these: a Pitch without a Dur lasts a sixteenth, a stray Dur or
        Pos past the bar is taken as it comes. ``tempo``, ``parts`` and ``time_signature`` stand in
        when the tokens do not say (a window from the middle of a piece). The first ``context`` ids
        only set the scene (a primer's tempo, instruments, metre and bar): the piece holds the notes
        after them, from the bar line of the bar they start in."""
        q = self.per_quarter
        tokens = [self.vocab[i] if 0 <= i < len(self.vocab) else "<pad>" for i in ids]
        reading = _Reading(q, self.config.velocity_bins, context, int(bar_quarters(*time_signature) * q), tempo)
        for i, token in enumerate(tokens):
            reading.take(i, token)
        reading.finish()
        return Piece(name, np.array(reading.notes, dtype=np.float64).reshape(-1, 5), tempo=reading.tempo or 120.0,
                     parts=_decoded_parts(reading.programs, parts),
                     time_signatures=_decoded_signatures(reading.signatures, time_signature))

    def header(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, np.int32)
        n = 0
        while n < len(ids) and (ids[n] == self.bos_id or self.vocab[ids[n]].startswith(("Tempo_", "Program_"))):
            n += 1
        return ids[:n]

    def opening(self, tempo: float, parts: list[Part], time_signature: tuple[int, int]) -> np.ndarray:
        """<bos>, the header (the tempo, one instrument per part) and a first bar line in the metre."""
        ids = [self.bos_id, self.index[self.tempo_token(tempo)]]
        ids += [self.index[self.program_token(part)] for part in parts]
        ids += [self.index["Bar"], self.index["TimeSig_{}/{}".format(*time_signature)]]
        return np.array(ids, np.int32)

    # ------------------------------------------------------------------ structure

    @property
    def bar_id(self) -> int:
        return self.index["Bar"]

    def time_signature_ids(self) -> dict[int, tuple[int, int]]:
        return self._named("TimeSig_", signature_of)

    def part_ids(self) -> dict[int, int]:
        return self._named("Part_")

    def program_ids(self) -> dict[int, int]:
        return self._named("Program_", lambda value: DRUM_PROGRAM if value == DRUMS else int(value))

    def position_ids(self) -> dict[int, int]:
        return self._named("Pos_")

    def note_mask(self) -> np.ndarray:
        return np.array([t.startswith(("Pos_", "Vel_", "Pitch_", "Dur_")) for t in self.vocab])

    # ------------------------------------------------------------------ clock and augmentation

    def token_quarters(self, bar_quarters: float = 4.0) -> np.ndarray:
        """Time moves at bar lines: each Bar counts as one bar of the run's usual metre."""
        quarters = np.zeros(len(self.vocab), dtype=np.float32)
        quarters[self.index["Bar"]] = bar_quarters
        return quarters

    def id_blocks(self) -> dict[str, tuple[int, int]]:
        c = self.config
        blocks = {"pitch": (self.index[f"Pitch_{c.min_pitch}"], c.max_pitch - c.min_pitch + 1),
                  "tempo": (self.index[f"Tempo_{round(self.tempos[0])}"], TEMPO_BINS)}
        if c.velocity_bins:
            blocks["velocity"] = (self.index["Vel_0"], c.velocity_bins)
        return blocks

    def transposable(self, ids: np.ndarray) -> np.ndarray:
        """Pitch tokens outside drum parts: follows the header's programs and the Part tokens."""
        ids = np.asarray(ids)
        first, count = self.id_blocks()["pitch"]
        drum_program, part0 = self.index[f"Program_{DRUMS}"], self.index["Part_0"]
        program0 = self.index["Program_0"]
        drum_parts, n_programs, part, out = set(), 0, 0, np.zeros(len(ids), bool)
        for i, t in enumerate(ids):
            if program0 <= t <= drum_program:
                if t == drum_program:
                    drum_parts.add(n_programs)
                n_programs += 1
            elif part0 <= t < part0 + self.config.max_parts:
                part = t - part0
            elif t == self.index["Bar"]:
                part = 0
            elif first <= t < first + count:
                out[i] = part not in drum_parts
        return out


# ---------------------------------------------------------------- decoding, step by step


@dataclass
class _Reading:
    """Where MetreTokenizer.decode is in a token stream: the bar and position, the part and velocity
    in force, a Pitch waiting for its Dur, and what was read so far (notes, header programs, time
    signatures as (quarters, num, den)). Positions count from ``origin``, the bar line the
    ``context`` ids end in."""

    per_quarter: int
    velocity_bins: int
    context: int
    bar_length: int  # grid steps
    tempo: float | None
    bar_start: int = 0
    seen_bar: bool = False
    position: int = 0
    part: int = 0
    velocity: int = 80
    pitch: int | None = None
    pitch_at: int = 0  # the Pitch token's index: a note of the context is not kept
    origin: int = 0
    in_header: bool = True
    notes: list = field(default_factory=list)
    programs: list = field(default_factory=list)
    signatures: list = field(default_factory=list)

    def close(self, steps: int) -> None:
        """The waiting pitch becomes a note ``steps`` long (unless it is part of the context)."""
        q = self.per_quarter
        if self.pitch_at >= self.context:
            self.notes.append(((self.bar_start + self.position - self.origin) / q, steps / q, self.pitch,
                               self.velocity, self.part))

    def take(self, i: int, token: str) -> None:
        """Token ``i``: a waiting pitch ends (a sixteenth) unless this is its Dur; then the token's
        own change to the state."""
        q = self.per_quarter
        if i == self.context:
            self.origin = self.bar_start
        kind, _, value = token.partition("_")
        self.in_header = self.in_header and kind in ("Tempo", "Program", "<bos>")
        if self.pitch is not None and kind != "Dur":
            self.close(q // 4)
            self.pitch = None
        if kind == "Tempo":
            self.tempo = float(value)
        elif kind == "Program" and self.in_header:  # the header's; a stray one later means nothing
            self.programs.append(value)
        elif kind == "Bar":
            if self.seen_bar:
                self.bar_start += self.bar_length
            self.seen_bar, self.position, self.part = True, 0, 0
            self.origin = self.bar_start if i == self.context else self.origin
        elif kind == "TimeSig":
            num, den = map(int, value.split("/"))
            self.bar_length = int(round(bar_quarters(num, den) * q))
            if not self.signatures or self.signatures[-1][1:] != (num, den):
                self.signatures.append(((self.bar_start - self.origin) / q, num, den))
        elif kind == "Pos":
            self.position = int(value)
        elif kind == "Part":
            self.part = int(value)
        elif kind == "Vel":
            self.velocity = int((int(value) + 0.5) * 128 / self.velocity_bins)
        elif kind == "Pitch":
            self.pitch, self.pitch_at = int(value), i
        elif kind == "Dur" and self.pitch is not None:
            self.close(int(value))
            self.pitch = None

    def finish(self) -> None:
        """A pitch still waiting at the end lasts a sixteenth."""
        if self.pitch is not None:
            self.close(self.per_quarter // 4)


def _decoded_signatures(signatures: list, usual: tuple[int, int]) -> list:
    """The time signatures read, none before the piece's start, the last of several at one moment
    kept; ``usual`` from the start when the tokens said none there."""
    signatures = [(max(at, 0.0), num, den) for at, num, den in signatures]
    signatures = [s for k, s in enumerate(signatures) if k + 1 == len(signatures) or signatures[k + 1][0] > s[0]]
    if not signatures or signatures[0][0] > 0:
        signatures.insert(0, (0.0, *usual))
    return signatures


def _decoded_parts(programs: list[str], parts: list[Part] | None) -> list[Part] | None:
    """The header's instruments (one per part), else copies of the parts the caller stood in with."""
    if programs:
        return [Part(program=0, is_drum=True, name="Drums") if p == DRUMS else Part(program=int(p)) for p in programs]
    if parts:
        return [Part(**p.as_dict()) for p in parts]
    return parts
