"""Chords in: a progression typed as text, which the generated music follows.

    C G Am F                 one chord a bar
    Dm7 G7 | Cmaj7           bars between bar lines; chords within a bar share it evenly
    C:2 G:2 Am F             a chord for 2 beats (beats of the metre: a dotted quarter in 6/8)
    1 5 6m 4  /  I V vi IV   degrees of the key (a numbered chord is the key's own triad)
    C大 G A小 F   升F小  降B大七   Chinese spellings of qualities and accidentals

The progression starts on the first bar of the new music and goes round again when the music is
longer. While the model writes, ``ChordPlan`` makes a note outside the chord sounding there rarer:
on a beat by ``strength`` (as the key lock does: 0.99 is a hundred times rarer, 1 forbids it), between
beats half as much in nats (passing notes stay possible); and a note that would be held into a beat
whose chord it is not in is made rarer the same way, so a chord change is heard on its beat. Drum
parts are never touched. Every model and run with bars can follow chords; ``chord_fit`` measures it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..messages import msg
from ..music.piece import bar_quarters, beat_quarters
from .form import opens_a_bar
from .steer import NEG, SCALES, DrumTracker, Rule, TONICS

# Chord qualities: intervals above the root. Spellings as lead sheets write them; the Chinese
# names as Chinese textbooks write them (大三和弦 = major triad, 属七 = dominant seventh, …).
QUALITIES = {
    "": (0, 4, 7), "maj": (0, 4, 7), "M": (0, 4, 7), "大": (0, 4, 7), "大三": (0, 4, 7),
    "m": (0, 3, 7), "min": (0, 3, 7), "-": (0, 3, 7), "小": (0, 3, 7), "小三": (0, 3, 7),
    "dim": (0, 3, 6), "°": (0, 3, 6), "o": (0, 3, 6), "减": (0, 3, 6), "减三": (0, 3, 6),
    "aug": (0, 4, 8), "+": (0, 4, 8), "增": (0, 4, 8), "增三": (0, 4, 8),
    "7": (0, 4, 7, 10), "dom7": (0, 4, 7, 10), "属七": (0, 4, 7, 10), "七": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11), "M7": (0, 4, 7, 11), "Δ": (0, 4, 7, 11), "Δ7": (0, 4, 7, 11), "大七": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10), "min7": (0, 3, 7, 10), "-7": (0, 3, 7, 10), "小七": (0, 3, 7, 10),
    "m7b5": (0, 3, 6, 10), "ø": (0, 3, 6, 10), "ø7": (0, 3, 6, 10), "半减七": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9), "°7": (0, 3, 6, 9), "o7": (0, 3, 6, 9), "减七": (0, 3, 6, 9),
    "mmaj7": (0, 3, 7, 11), "mM7": (0, 3, 7, 11),
    "6": (0, 4, 7, 9), "m6": (0, 3, 7, 9), "9": (0, 4, 7, 10, 2), "m9": (0, 3, 7, 10, 2),
    "maj9": (0, 4, 7, 11, 2), "add9": (0, 4, 7, 2), "sus2": (0, 2, 7), "sus4": (0, 5, 7), "sus": (0, 5, 7),
    "5": (0, 7),
}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
AUTO_CHORDS = ("auto", "自动")  # the chords a given melody suggests (accompany.py, melody_chords.py)
SEPARATORS = r"[\s,，、;；]+"
BAR_LINES = r"[|｜]"
ACCIDENTALS = {"#": 1, "♯": 1, "升": 1, "b": -1, "♭": -1, "降": -1}


@dataclass(frozen=True)
class Chord:
    name: str
    classes: frozenset[int]

    @property
    def mask(self) -> int:
        return sum(1 << c for c in self.classes)


@dataclass(frozen=True)
class Span:
    """A chord for ``beats`` beats (None: a whole bar)."""

    chord: Chord
    beats: float | None


def parse_chord(text: str, key: tuple[int, str] = (0, "major")) -> Chord:
    """'Am', 'F#m7', 'Bb/D', 'C大七', '升F小', '6m' or 'vi' (degrees of ``key``: (tonic, mode))."""
    raw = text
    text = text.strip()
    bass = None
    if "/" in text:
        text, _, bass_name = text.partition("/")
        bass = _pitch_class(bass_name, raw)
    root, rest = _root(text, key, raw)
    if root is None:
        raise InputError(msg("said.bad_chord", chord=raw))
    quality = QUALITIES.get(rest)
    if quality is None and len(rest) > 1 and not rest.startswith("M"):
        quality = QUALITIES.get(rest.lower())  # Dim, MAJ7 is ambiguous, Sus4, Add9
    if quality is None:
        raise InputError(msg("said.bad_chord", chord=raw))
    classes = {(root + step) % 12 for step in quality}
    if bass is not None:
        classes.add(bass)
    return Chord(raw.strip(), frozenset(classes))


def _pitch_class(name: str, raw: str) -> int:
    m = re.fullmatch(r"\s*(升|降)?([A-Ga-g])(#|♯|b|♭)?\s*", name)
    if not m:
        raise InputError(msg("said.bad_chord", chord=raw))
    shift = ACCIDENTALS.get(m.group(1) or "", 0) + ACCIDENTALS.get(m.group(3) or "", 0)
    return (TONICS[m.group(2).upper()] + shift) % 12


def _root(text: str, key: tuple[int, str], raw: str) -> tuple[int | None, str]:
    """The root's pitch class and the quality's spelling after it. A degree (1-7, I-VII, i-vii)
    without a quality is the key's own chord there: 6 in C major is A minor; in a minor key 5 is
    major and 7 diminished, as a minor key's cadences have them (the raised seventh)."""
    m = re.match(r"(升|降)?([A-G])(#|♯|b(?!5)|♭)?", text)
    if m:
        shift = ACCIDENTALS.get(m.group(1) or "", 0) + ACCIDENTALS.get(m.group(3) or "", 0)
        return (TONICS[m.group(2)] + shift) % 12, text[m.end():]
    m = re.match(r"(#|♯|b|♭)?([1-7]|VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)", text)
    if not m:
        return None, text
    tonic, mode = key
    minor = mode in ("minor", "natural minor", "harmonic minor")
    steps = SCALES["natural minor" if minor else "major"]
    degree = int(m.group(2)) if m.group(2).isdigit() else ROMAN[m.group(2).lower()]
    raised = minor and degree == 7 and m.group(2).isdigit()
    root = (tonic + steps[degree - 1] + raised + ACCIDENTALS.get(m.group(1) or "", 0)) % 12
    rest = text[m.end():]
    if rest and m.group(2).isdigit():
        return root, rest
    if not m.group(2).isdigit():  # Roman numerals say their quality by their case: ii7 is D F A C in C
        lower = m.group(2).islower()
        return root, ("m" + rest if lower and rest[:1].isdigit() else rest) if rest else ("m" if lower else "")
    if minor and degree in (5, 7):
        return root, "" if degree == 5 else "dim"
    third = (steps[(degree + 1) % 7] - steps[degree - 1]) % 12
    fifth = (steps[(degree + 3) % 7] - steps[degree - 1]) % 12
    return root, {(4, 7): "", (3, 7): "m", (3, 6): "dim", (4, 8): "aug"}.get((third, fifth), "")


def parse_progression(text: str, key: tuple[int, str] = (0, "major")) -> list[list[Span]]:
    """The progression as bars of spans: with bar lines, each bar's chords share it (or say their
    beats); without, each chord is a bar unless it says its beats (``C:2``), beats then filling
    bars in turn."""
    text = (text or "").strip()
    if not text:
        raise InputError(msg("said.no_chords"))
    with_bars = re.search(BAR_LINES, text) is not None
    groups = [g for g in re.split(BAR_LINES, text)] if with_bars else [text]
    bars = []
    for group in groups:
        spans = [_span(word, key) for word in re.split(SEPARATORS, group.strip()) if word]
        if not spans:
            continue
        if with_bars:
            bars.append(spans)
        else:
            bars += [[s] for s in spans]
    if not bars:
        raise InputError(msg("said.no_chords"))
    if len(bars) > 256:
        raise InputError(msg("said.too_many_chords", most=256))
    return bars


def _span(word: str, key) -> Span:
    name, _, beats = word.partition(":")
    if beats:
        try:
            value = float(beats)
        except ValueError:
            raise InputError(msg("said.bad_chord", chord=word)) from None
        if not 0 < value <= 32:
            raise InputError(msg("said.bad_chord", chord=word))
        return Span(parse_chord(name, key), value)
    return Span(parse_chord(name, key), None)


def timeline(bars: list[list[Span]], signature: tuple[int, int], per_quarter: int) -> tuple[np.ndarray, list[Chord]]:
    """(start step of each chord, the chords) over one round of the progression; the round's
    length in steps is the last start plus the last chord's steps, returned as the final start."""
    bar = int(round(bar_quarters(*signature) * per_quarter))
    beat = int(round(beat_quarters(*signature) * per_quarter))
    starts, chords, at = [], [], 0
    for spans in bars:
        said = [s for s in spans if s.beats is not None]
        if len(spans) == 1 and not said:
            lengths = [bar]
        elif not said:
            lengths = [bar // len(spans)] * len(spans)
            lengths[-1] += bar - sum(lengths)
        else:
            rest = [s for s in spans if s.beats is None]
            left = max(bar - sum(int(round(s.beats * beat)) for s in said), 0)
            lengths = [int(round(s.beats * beat)) if s.beats is not None else left // max(len(rest), 1)
                       for s in spans]
        for span, length in zip(spans, lengths):
            if length > 0:
                starts.append(at)
                chords.append(span.chord)
                at += length
    return np.array(starts + [at], np.int64), chords


class ChordPlan(Rule):
    """The notes follow the chords (module docstring); the progression starts at the first bar of
    the new music (the primer's last bar line when no note follows it, else the next bar line)."""

    def __init__(self, tokenizer, bars: list[list[Span]], signature: tuple[int, int], strength: float = 0.99):
        if tokenizer.bar_id is None:
            raise InputError(msg("said.chords_need_bars"))
        if not 0.0 <= strength <= 1.0:
            raise InputError(msg("said.chord_strength_range", strength=f"{strength:g}"))
        self.tokenizer, self.progression, self.strength = tokenizer, bars, strength
        q = tokenizer.config.positions_per_quarter
        self.starts, self.chords = timeline(bars, signature, q)
        self.bar_steps = int(round(bar_quarters(*signature) * q))
        self.beat_steps = int(round(beat_quarters(*signature) * q))
        self.on_beat = NEG if strength >= 1.0 else float(np.log1p(-strength))
        self.off_beat = max(self.on_beat / 2, -3.0)
        self.bar, self.positions = tokenizer.bar_id, tokenizer.position_ids()
        pitches = tokenizer.pitch_ids()
        self.pitch_ids = np.array(list(pitches), np.int64)
        self.pitch_classes = np.array([p % 12 for p in pitches.values()], np.int64)
        self.pitch_of = pitches
        self.dur_ids = np.array([i for i, t in enumerate(tokenizer.vocab) if t.startswith("Dur_")], np.int64)
        self.dur_steps = np.array([int(tokenizer.vocab[i][4:]) for i in self.dur_ids], np.int64)
        self.drums = DrumTracker(tokenizer)

    def message(self):
        """The rule in words (remarks.rule_message)."""
        names = " | ".join(" ".join(span.chord.name for span in bar) for bar in self.progression)
        return msg("said.chords_rule", chords=names, strength=f"{self.strength:g}")

    def chord_at(self, step: int) -> Chord:
        round_steps = int(self.starts[-1])
        k = int(np.searchsorted(self.starts[:-1], step % round_steps, side="right")) - 1
        return self.chords[k]

    # ------------------------------------------------------------------ Rule

    def start(self, primer):
        opened = opens_a_bar(self.tokenizer, primer[0]) if len(primer) else False
        self.rows = [{"bar": 0 if opened else -1, "position": 0, "pitch": None} for _ in primer]
        self.drums.start(primer)

    def __call__(self, logits):
        out = None
        drums = self.drums.drums()
        for b, row in enumerate(self.rows):
            if row["bar"] < 0 or drums[b]:
                continue
            out = logits.copy() if out is None else out
            step = row["bar"] * self.bar_steps + row["position"]
            if row["pitch"] is None:
                chord = self.chord_at(step)
                outside = ~np.isin(self.pitch_classes, list(chord.classes))
                penalty = self.on_beat if row["position"] % self.beat_steps == 0 else self.off_beat
                out[b, self.pitch_ids[outside]] += penalty
            else:
                out[b, self.dur_ids] += self._held_penalty(step, row["pitch"])
        return logits if out is None else out

    def _held_penalty(self, step: int, pitch: int) -> np.ndarray:
        """Per duration: the on-beat penalty when the note would still sound on a later beat whose
        chord it is not in."""
        first_beat = (step // self.beat_steps + 1) * self.beat_steps
        penalties = np.zeros(len(self.dur_steps), np.float32)
        for beat in range(first_beat, step + int(self.dur_steps.max()), self.beat_steps):
            if pitch % 12 not in self.chord_at(beat).classes:
                penalties[self.dur_steps > beat - step] = self.on_beat
                break
        return penalties

    def update(self, chosen):
        self.drums.update(chosen)
        for row, token in zip(self.rows, map(int, chosen)):
            if token == self.bar:
                row["bar"] += 1
                row["position"], row["pitch"] = 0, None
            elif token in self.positions:
                row["position"], row["pitch"] = self.positions[token], None
            elif token in self.pitch_of:
                row["pitch"] = self.pitch_of[token]
            else:
                row["pitch"] = None


def chord_fit(piece, bars: list[list[Span]], per_quarter: int = 12) -> float:
    """The share of the beats where something sounds on which every sounding pitch class (drums
    aside) is a tone of the chord given there: 1 when the music follows the progression exactly."""
    from ..evaluate.harmony import _pitch_class_masks
    from ..evaluate.note_statistics import pitched

    signature = piece.time_signatures[0][1:]
    plan_starts, chords = timeline(bars, signature, per_quarter)
    beat = beat_quarters(*signature)
    times = np.arange(0.0, piece.duration_quarters - 1e-9, beat)
    masks = _pitch_class_masks(pitched(piece), times)
    steps = np.rint(times * per_quarter).astype(np.int64) % int(plan_starts[-1])
    wanted = np.array([chords[int(np.searchsorted(plan_starts[:-1], s, side="right")) - 1].mask for s in steps])
    sounding = masks != 0
    if not sounding.any():
        return float("nan")
    return float(np.mean((masks[sounding] & ~wanted[sounding]) == 0))

