"""Rhythm like its music: a steering rule that keeps the share of notes begun on a beat near the
share in the music the run learnt from.

How much of a piece's motion falls on the beat is much of how it feels: Bach's chorales put 0.82
of their notes there, quartet melodies over their accompaniment 0.53, jigs 0.31. A model trained
for minutes learns the metre before the motion between the beats, and leans to the beat: a
quartet fine-tune put 0.60–0.71 of its notes there (docs/transfer.md). Training writes the share of
its music (``data.json``'s ``on_beat_share``); ``OnBeatShare`` follows the share of the piece so
far (counted from a start of PRIOR_NOTES notes at the music's share, so the first notes do not
swing it) and, while it is off, makes the positions on the beat likelier or rarer against those
between beats, by ``STRENGTH`` nats per unit of share it is off. Where the next onset goes changes,
not whether one comes: the positions' total probability is kept. Notes of drum parts are not counted.
"""
from __future__ import annotations

import numpy as np

from ..messages import msg
from .beat_chords import beat_steps_of
from .steer import DrumTracker, Rule

STRENGTH = 20.0  # nats per unit of share: 0.05 off the music's share moves the beat's positions by 1 nat
PRIOR_NOTES = 16  # the piece starts as if it had this many notes at the music's share
DEAD_BAND = 0.01  # closer than this, nothing is touched


class OnBeatShare(Rule):
    """The share of notes begun on a beat kept near ``share`` (module docstring). Needs the metre
    scheme's bar lines, positions and time signatures."""

    def __init__(self, tokenizer, share: float, strength: float = STRENGTH):
        self.share, self.strength = share, strength
        self.per_quarter = tokenizer.config.positions_per_quarter
        self.bar, self.signatures = tokenizer.bar_id, tokenizer.time_signature_ids()
        self.steps = tokenizer.position_ids()  # {position token: grid steps after the bar line}
        self.position_ids = np.array(list(self.steps), np.int64)
        self.position_steps = np.array(list(self.steps.values()), np.int64)
        self.notes_of = {i: len(p) for i, p in enumerate(tokenizer.token_pitches()) if p}  # a chord token: several
        self.drums = DrumTracker(tokenizer)

    def message(self):
        """The rule in words (remarks.rule_message)."""
        return msg("said.pulse_rule", share=f"{self.share:.0%}")

    def start(self, primer):
        batch = len(primer)
        self.beat_steps = np.zeros(batch, int)  # 0 until a time signature is known
        self.on_beat = np.zeros(batch, bool)  # whether the notes being written start on a beat
        self.counting = False
        self.on = np.full(batch, self.share * PRIOR_NOTES)
        self.total = np.full(batch, float(PRIOR_NOTES))
        self.drums.start(np.zeros((batch, 0), np.int64))
        for column in primer.T:  # where the primer leaves off; its notes are not the piece's to count
            self.update(column)
        self.counting = True

    def __call__(self, logits):
        off = self.on / self.total - self.share
        rows = np.flatnonzero((np.abs(off) >= DEAD_BAND) & (self.beat_steps > 0))
        if not len(rows):
            return logits
        out = logits.copy()
        for b in rows:
            on_beat = self.position_steps % self.beat_steps[b] == 0
            before = out[b, self.position_ids]
            after = before + np.where(on_beat, -1.0, 1.0) * self.strength * off[b]
            # The same total for the positions: where the next onset goes, not whether one comes.
            out[b, self.position_ids] = after + _logsumexp(before) - _logsumexp(after)
        return out

    def update(self, chosen):
        drums = self.drums.drums()  # the part this token belongs to, before a Part token moves on
        self.drums.update(chosen)
        for b, token in enumerate(map(int, chosen)):
            if token == self.bar:
                self.on_beat[b] = True
            elif token in self.signatures:
                self.beat_steps[b] = beat_steps_of(*self.signatures[token], self.per_quarter)
            elif token in self.steps:
                self.on_beat[b] = bool(self.beat_steps[b]) and self.steps[token] % self.beat_steps[b] == 0
            elif self.counting and token in self.notes_of and not drums[b]:
                self.total[b] += self.notes_of[token]
                self.on[b] += self.notes_of[token] * self.on_beat[b]


def _logsumexp(x: np.ndarray) -> float:
    top = float(x.max())
    return top + float(np.log(np.exp(x - top).sum()))
