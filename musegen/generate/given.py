"""The given parts in the token stream: a steering rule that writes them when their turn comes.

The metre tokens write a bar position by position and, at each position, part by part from the top
(``Pos_12 Part_0 Pitch_72 Dur_6 Part_2 Pitch_55 Dur_12 …``). So the given notes can be laid into the
token stream as the model writes: when its turn comes, a given note is written for the model, token
by token, and the model reads it like any note it wrote itself. The model chooses only *when* to
move on (to the next position, or past the given part at this one); the probability it gives to
moving on goes to the given note's entry, so the free parts above it at a position are written
first, in the order the model learnt. A given melody is the top part, so at each position the model
has heard the melody's note before it writes the chord under it. A parallel fifth or octave with a
given part is never written.

``GivenParts`` is a steering rule (``steer.py``): every model and run with the metre scheme can
accompany, fine-tuned or bundled, with no training for it. It forces by overwriting the logits, so
it comes last among the rules. ``accompany.py`` composes with it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..messages import msg
from .steer import NEG, Rule

BOUNDARY = ("timesig", "pos", "dur", "start")  # token kinds after which a note is complete
# How much rarer (nats) a parallel fifth or octave with a given part becomes: the models write them
# often (7 to 10 per 100 beats harmonising chorales, docs/accompany.md), Bach almost never: forbidden.
PARALLEL = -NEG


@dataclass(frozen=True)
class Event:
    """The given notes of one part at one position of a bar, as the tokens that write them
    (velocity, pitch, duration for each), without their Pos and Part tokens."""

    position: int
    part: int
    tokens: tuple[int, ...]


def given_bars(tokenizer, ids, parts: list[int]) -> tuple[list[int], list[list[Event]]]:
    """The time-signature token and the events of every bar of ``ids`` (a piece of the given parts
    alone, as ``tokenizer.encode`` writes it), its part k playing ``parts[k]`` of the whole layout."""
    kinds = token_kinds(tokenizer)
    positions, part_of = tokenizer.position_ids(), tokenizer.part_ids()
    signatures, bars = [], []
    position, part = 0, 0
    for t in map(int, ids):
        kind = kinds[t]
        if kind == "bar":
            bars.append([])
            position, part = 0, 0
        elif kind == "timesig" and bars:
            signatures.append(t)
        elif kind == "pos":
            position = positions[t]
        elif kind == "part":
            part = parts[part_of[t]]
        elif kind in ("vel", "pitch", "dur") and bars:
            events = bars[-1]
            if not events or (events[-1].position, events[-1].part) != (position, part):
                events.append(Event(position, part, ()))
            last = events[-1]
            events[-1] = Event(last.position, last.part, last.tokens + (t,))
    return signatures, bars


def token_kinds(tokenizer) -> list[str]:
    """Each token's kind, by its name's prefix: bar, timesig, pos, part, vel, pitch, dur, program,
    tempo, or special."""
    prefixes = {"Bar": "bar", "TimeSig_": "timesig", "Pos_": "pos", "Part_": "part", "Vel_": "vel",
                "Pitch_": "pitch", "Dur_": "dur", "Program_": "program", "Tempo_": "tempo"}
    out = []
    for token in tokenizer.vocab:
        out.append(next((kind for prefix, kind in prefixes.items() if token.startswith(prefix)), "special"))
    return out


class _Row:
    """Where one sequence is: its bar (0 = the primer's last), position and part, the kind of its last
    token, the given events still to come in this bar, and given tokens being written."""

    def __init__(self):
        self.bar, self.position, self.part, self.last = -1, None, None, "start"
        self.pending: deque[Event] = deque()
        self.queue: deque[int] = deque()
        self.length = 0  # tokens seen, the primer's included
        self.given_pitches: list[int] = []  # where in the stream a given pitch was written
        # Per part, its latest notes as [start, end, pitch] in grid steps (end None until its Dur).
        self.notes: dict[int, list[list]] = {}


class GivenParts(Rule):
    """The given parts, bar by bar from the primer's last bar line (the opening of a piece from
    nothing), written into the stream when their turn comes; the model writes the other parts.
    ``signatures[k]`` and ``bars[k]`` (from ``given_bars``) are bar k's time signature and events."""

    def __init__(self, tokenizer, signatures: list[int], bars: list[list[Event]], given: set[int]):
        self.kinds = token_kinds(tokenizer)
        self.signatures, self.bars, self.given = signatures, bars, set(given)
        kinds = np.array(self.kinds)
        self.positions, part_of = tokenizer.position_ids(), tokenizer.part_ids()
        self.part_id = {part: i for i, part in part_of.items()}
        self.part_of = part_of
        n = len(kinds)
        self.is_pos = kinds == "pos"
        self.is_note_start = np.isin(kinds, ("vel", "pitch"))
        self.step = np.full(n, -1)
        for i, step in self.positions.items():
            self.step[i] = step
        self.free_part = np.zeros(n, bool)
        self.free_part[[i for i, p in part_of.items() if p not in self.given]] = True
        self.part_number = np.full(n, -1)
        for i, p in part_of.items():
            self.part_number[i] = p
        # Never the model's to write: a given part's token (the rule writes those), a time signature
        # (forced after each bar line), the header's kinds, the specials (<eos> too: the given bars end it).
        self.banned = np.isin(kinds, ("timesig", "program", "tempo", "special"))
        self.banned[[i for i, p in part_of.items() if p in self.given]] = True
        self.bar_id = tokenizer.bar_id
        self._given_lines(tokenizer)

    def _given_lines(self, tokenizer) -> None:
        """Where each bar starts (grid steps from the first), and each given part's onsets with their
        top pitches: the parallels rule knows where a given part moves, even below the part it judges."""
        from ..music.piece import bar_quarters

        q = tokenizer.config.positions_per_quarter
        metre = tokenizer.time_signature_ids()
        lengths = [int(round(bar_quarters(*metre[s]) * q)) for s in self.signatures]
        lengths += [lengths[-1]] * (len(self.bars) + 1 - len(lengths))
        self.bar_starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.pitch_of = tokenizer.pitch_ids()
        self.pitch_tokens = np.array(list(self.pitch_of), np.int64)
        self.pitch_values = np.array(list(self.pitch_of.values()), np.int64)
        self.dur_steps = {i: int(t[4:]) for i, t in enumerate(tokenizer.vocab) if t.startswith("Dur_")}
        lines: dict[int, dict[int, int]] = {}
        for k, events in enumerate(self.bars):
            for event in events:
                at = int(self.bar_starts[k]) + event.position
                top = max((self.pitch_of[t] for t in event.tokens if t in self.pitch_of), default=None)
                if top is not None:
                    lines.setdefault(event.part, {})[at] = top
        self.lines = {part: (np.array(sorted(line), np.int64), np.array([line[a] for a in sorted(line)], np.int64))
                      for part, line in lines.items()}

    def message(self):
        """The rule in words (remarks.rule_message)."""
        return msg("said.given_rule", parts=", ".join(str(p + 1) for p in sorted(self.given)))

    # ------------------------------------------------------------------ Rule

    def start(self, primer):
        self.rows = [_Row() for _ in primer]
        for column in primer.T:
            self.update(column)

    def __call__(self, logits):
        out = logits.copy()
        for b, row in enumerate(self.rows):
            forced = self._forced(row)
            if forced is not None:
                out[b] = NEG
                out[b, forced] = 0.0
            elif row.last in BOUNDARY:
                out[b] = self._at_boundary(row, logits[b])
            free = row.part is not None and row.part not in self.given
            if forced is None and free and row.last in ("part", "dur", "pos"):
                out[b, self.pitch_tokens] += self._parallels(row)
        return out

    def _now(self, row: _Row) -> int:
        bar = min(max(row.bar, 0), len(self.bar_starts) - 1)  # a finished row may run on past the end
        return int(self.bar_starts[bar]) + (row.position or 0)

    def _parallels(self, row: _Row) -> np.ndarray:
        """A penalty per pitch token of the part about to play: moving with a given part that moves
        now, in the same direction, from a perfect fifth or octave to the same again (parallel fifths
        and octaves, which four-part writing avoids and the models often write) is PARALLEL nats rarer."""
        now = self._now(row)
        penalty = np.zeros(len(self.pitch_tokens), np.float32)
        mine = [n for n in row.notes.get(row.part, []) if n[0] < now]
        if not mine:
            return penalty
        for onsets, pitches in self.lines.values():
            k = int(np.searchsorted(onsets, now, side="right")) - 1
            if k < 1 or onsets[k] != now or pitches[k] == pitches[k - 1]:
                continue  # the given part does not move here
            # This part's top note sounding at the moment before (the two parts' previous onset):
            # a note held on under a newer one of the same part counts, as it sounds.
            before = max(onsets[k - 1], max(n[0] for n in mine))
            sounding = [n[2] for n in mine if n[0] <= before and (n[1] is None or n[1] > before)]
            if not sounding:
                continue
            top = max(sounding)
            was, moved = (pitches[k - 1] - top) % 12, np.sign(pitches[k] - pitches[k - 1])
            if was not in (0, 7):
                continue
            same = ((pitches[k] - self.pitch_values) % 12 == was) & (np.sign(self.pitch_values - top) == moved)
            penalty[same] = -PARALLEL
        return penalty

    def update(self, chosen):
        for row, token in zip(self.rows, map(int, chosen)):
            self._advance(row, token)

    # ------------------------------------------------------------------ choices

    def _forced(self, row: _Row) -> int | None:
        if row.queue:
            return row.queue[0]
        if row.last == "bar":
            k = row.bar
            return self.signatures[min(k, len(self.signatures) - 1)] if self.signatures else None
        return None

    def _at_boundary(self, row: _Row, logits: np.ndarray) -> np.ndarray:
        """After a complete note (or a position, or a bar's metre): what the model may write next,
        the mass of everything else given to the next given event's entry."""
        allowed = ~self.banned
        writing_given = row.part in self.given
        if writing_given or row.position is None:
            allowed = allowed & ~self.is_note_start  # no note added to a given part; a bar opens with Pos
        allowed &= ~self.is_pos | (self.step > (row.position if row.position is not None else -1))
        event = row.pending[0] if row.pending else None
        if event is None:
            return np.where(allowed, logits, NEG)
        allowed[self.bar_id] = False
        allowed &= ~self.is_pos | (self.step <= event.position)
        if row.position == event.position:
            allowed &= ~self.is_pos
            # The free parts between the one in force and the given one may still play here, in order.
            lowest = -1 if row.part is None else row.part
            allowed &= ~self.free_part | ((self.part_number > lowest) & (self.part_number < event.part))
            if row.part is not None and row.part > event.part:
                allowed &= ~self.is_note_start  # a lower part's note here comes after the given one
            entry = self.part_id[event.part] if row.part != event.part else event.tokens[0]
        else:
            entry = next(i for i, step in self.positions.items() if step == event.position)
        out = np.where(allowed, logits, NEG)
        rest = logits[~allowed]
        out[entry] = np.logaddexp.reduce(rest) if len(rest) else 0.0
        return out

    # ------------------------------------------------------------------ following the stream

    def _advance(self, row: _Row, token: int) -> None:
        kind = self.kinds[token]
        if row.queue and token == row.queue[0]:
            row.queue.popleft()
            if kind == "pitch":
                row.given_pitches.append(row.length)
        if kind in ("pitch", "dur") and row.part is not None:
            self._heard(row, token, kind)
        if kind == "bar":
            row.bar += 1
            row.position, row.part = None, None
            row.pending = deque(self.bars[row.bar]) if 0 <= row.bar < len(self.bars) else deque()
        elif kind == "pos":
            row.position = self.positions[token]
        elif kind == "part":
            row.part = self.part_of[token]
            self._enter(row, token, entered_by_part=True)
        elif kind in ("vel", "pitch") and row.last in BOUNDARY:
            self._enter(row, token, entered_by_part=False)
        row.last = kind if kind in ("bar", "timesig", "pos", "part", "vel", "pitch", "dur") else row.last
        row.length += 1

    def _heard(self, row: _Row, token: int, kind: str) -> None:
        """A part's notes as they are written: a pitch starts one now, its Dur says when it ends."""
        notes = row.notes.setdefault(row.part, [])
        if kind == "pitch":
            notes.append([self._now(row), None, self.pitch_of[token]])
            del notes[:-8]  # the parallels rule looks one onset back
        elif notes and notes[-1][1] is None:
            notes[-1][1] = notes[-1][0] + self.dur_steps[token]

    def _enter(self, row: _Row, token: int, entered_by_part: bool) -> None:
        """A given event starts when the stream reaches it: its Part token, or (the part already
        in force) its first note token. Its remaining tokens are then written for the model."""
        if not row.pending or row.queue:
            return
        event = row.pending[0]
        if row.position != event.position or row.part != event.part:
            return
        row.pending.popleft()
        row.queue.extend(event.tokens if entered_by_part else event.tokens[1:])
        if not entered_by_part and self.kinds[token] == "pitch":
            row.given_pitches.append(row.length)
