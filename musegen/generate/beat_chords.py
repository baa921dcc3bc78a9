"""Chords on the beat: a steering rule that keeps what sounds on each beat a chord.

Real music moves its harmony on the beat: on the beats where three or more pitch classes sound,
0.72–0.92 of them sound a triad or a seventh chord (``evaluate.harmony.beat_chord_fit``). A model
trained for minutes has learnt the metre and the parts long before the harmony, and writes clusters
there. ``BeatChords`` listens to what is sounding on the beat being written — the notes begun there
and those held into it, every part but the drums — and gives the pitches that no triad or seventh
chord could hold together with them at most ``1 − strength`` of the probability there. A cap rather
than a factor: a model that already knows harmony (the Bach WaveNet) rarely gives them more and is
left as it is, where a factor made its chorales cleaner than Bach's (beat chords 0.98 against 0.92);
a model trained for minutes gives them half its probability and is brought down to the cap. Which
chord it becomes stays the model's choice; between beats nothing is touched (passing notes), and a
beat the music has already made a cluster of is left alone. Every model and run with bars can use
it: ``SampleConfig.harmony``.
"""
from __future__ import annotations

import numpy as np

from ..messages import msg
from ..music.piece import beat_quarters
from .steer import NEG, DrumTracker, Rule

# Chords as pitch classes over a root of 0 (the shapes the measure counts). A seventh chord also
# counts without its fifth, the note four-part writing most often leaves out (V7 with a doubled root).
TRIADS = [(0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8)]  # major, minor, diminished, augmented
SEVENTHS = [(0, 4, 7, 10), (0, 4, 7, 11), (0, 3, 7, 10), (0, 3, 6, 10), (0, 3, 6, 9)]  # dom, maj, min, ø, °
SHAPES = TRIADS + SEVENTHS + [s[:2] + s[3:] for s in SEVENTHS]
CHORD_MASKS = sorted({sum(1 << (root + i) % 12 for i in shape) for root in range(12) for shape in SHAPES})
# Indexed by a 12-bit pitch-class mask (bit k = pitch class k):
IS_CHORD = np.zeros(4096, bool)
IS_CHORD[CHORD_MASKS] = True
FITS_A_CHORD = np.zeros(4096, bool)  # the mask is part of some chord: a chord can still be made of it
for _chord in CHORD_MASKS:
    _sub = _chord
    while True:  # every subset of the chord's bits
        FITS_A_CHORD[_sub] = True
        if _sub == 0:
            break
        _sub = (_sub - 1) & _chord


def beat_steps_of(numerator: int, denominator: int, per_quarter: int) -> int:
    """A beat in grid steps, as the measure and the chord plan count beats (a dotted quarter in 6/8)."""
    return max(1, int(round(beat_quarters(numerator, denominator) * per_quarter)))


class _Row:
    """One sequence: where it is (None until its first bar line), its bar's length and beat in grid
    steps, and the notes that may still sound as [start, end or None until its Dur, pitch class]."""

    def __init__(self):
        self.bar_start, self.position = None, 0
        self.bar_steps, self.beat_steps = 0, 0
        self.notes: list[list] = []

    @property
    def now(self) -> int:
        return self.bar_start + self.position

    def sounding_mask(self) -> int:
        now, mask = self.now, 0
        for start, end, pc in self.notes:
            if start <= now and (end is None or end > now):
                mask |= 1 << pc
        return mask


class BeatChords(Rule):
    """What sounds on each beat stays a triad or a seventh chord: the pitches that would make no
    chord there get at most ``1 − strength`` of the probability (1: never; module docstring).
    Needs the metre scheme's bar lines, positions and time signatures."""

    def __init__(self, tokenizer, strength: float):
        self.strength = strength
        self.per_quarter = tokenizer.config.positions_per_quarter
        self.bar, self.positions = tokenizer.bar_id, tokenizer.position_ids()
        self.signatures = tokenizer.time_signature_ids()
        pitches = tokenizer.pitch_ids()
        self.pitch_of = {t: p % 12 for t, p in pitches.items()}
        self.pitch_ids = np.array(list(pitches), np.int64)
        self.pitch_bits = np.array([1 << (p % 12) for p in pitches.values()], np.int64)
        self.dur_steps = {i: int(t[4:]) for i, t in enumerate(tokenizer.vocab) if t.startswith("Dur_")}
        self.drums = DrumTracker(tokenizer)

    def message(self):
        """The rule in words (remarks.rule_message)."""
        return msg("said.harmony_rule", strength=f"{self.strength:g}")

    def start(self, primer):
        self.rows = [_Row() for _ in primer]
        self.drums.start(np.zeros((len(primer), 0), np.int64))
        for column in primer.T:
            self.update(column)

    def __call__(self, logits):
        out = None
        drums = self.drums.drums()
        for b, row in enumerate(self.rows):
            if row.bar_start is None or drums[b] or not row.beat_steps or row.position % row.beat_steps:
                continue
            mask = row.sounding_mask()
            if not FITS_A_CHORD[mask]:
                continue  # already a cluster: no pitch makes it a chord again
            clash = ~FITS_A_CHORD[mask | self.pitch_bits]
            if clash.any():
                out = logits.copy() if out is None else out
                out[b, self.pitch_ids[clash]] += self._shift(out[b], self.pitch_ids[clash])
        return logits if out is None else out

    def _shift(self, row: np.ndarray, clashing: np.ndarray) -> float:
        """Nats added to the clashing pitches' logits: none while the model gives them at most
        ``1 − strength`` of its probability here, else as many as bring them down to that share."""
        p = np.exp(row - row.max())
        mass = float(p[clashing].sum() / p.sum())
        if mass > 1.0 - 1e-6:  # a note a rule before has forced (an exact repeat, the close) stays
            return 0.0
        if self.strength >= 1.0:
            return NEG
        cap = 1.0 - self.strength
        return 0.0 if mass <= cap else float(np.log(cap / (1.0 - cap) * (1.0 - mass) / mass))

    def update(self, chosen):
        drums = self.drums.drums()  # the part this token belongs to, before a Part token moves on
        self.drums.update(chosen)
        for b, (row, token) in enumerate(zip(self.rows, map(int, chosen))):
            if token == self.bar:
                row.bar_start = 0 if row.bar_start is None else row.bar_start + row.bar_steps
                row.position = 0
                row.notes = [n for n in row.notes if n[1] is None or n[1] > row.bar_start]
            elif row.bar_start is None:
                continue
            elif token in self.signatures:
                numerator, denominator = self.signatures[token]
                row.bar_steps = int(round(numerator * 4 / denominator * self.per_quarter))
                row.beat_steps = beat_steps_of(numerator, denominator, self.per_quarter)
            elif token in self.positions:
                row.position = self.positions[token]
            elif token in self.pitch_of and not drums[b]:
                row.notes.append([row.now, None, self.pitch_of[token]])
            elif token in self.dur_steps and row.notes and row.notes[-1][1] is None:
                row.notes[-1][1] = row.notes[-1][0] + self.dur_steps[token]
