"""Steering: rules that reshape the next-token logits, shared by every model and token scheme.

Each rule sees the logits of a batch of sequences before a token is chosen, and the chosen tokens
after; rules compose in a list. What they know about tokens (which pitches one sounds, where the
bars are) comes from the tokenizer, so one rule serves the metre, rich and article schemes alike.

    KeyLock         notes outside a scale masked (strict) or made rarer (soft)
    PitchRange      notes outside [lowest, highest] masked
    RepetitionGuard a passage may come back, but not loop: the n-gram after which a token came
                    `limit` times cannot be followed by it again
    BarEcho         form: a bar that begins like an earlier bar is encouraged to go on as its repeat
    WithinTheBar    no position past the end of the bar in the time signature in force
    ForceAfter      after a Bar, the time signature the piece is in
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import MusegenError
from ..messages import msg
from ..music.piece import DRUM_PROGRAM

NEG = -1e9
TONICS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Scale degrees in semitones above the tonic. "minor" is the natural minor with its leading tone
# (the raised seventh every minor-key cadence uses), so a Bach chorale in D minor stays in D minor.
SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10, 11),
    "natural minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "major pentatonic": (0, 2, 4, 7, 9),
    "minor pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}
NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
AUTO = "auto"  # SampleConfig.key: lock to the key of the music being continued (else a key's name, or "" for none)


@dataclass(frozen=True)
class Scale:
    tonic: int  # pitch class, C = 0
    mode: str

    @property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset((self.tonic + step) % 12 for step in SCALES[self.mode])

    def __str__(self) -> str:
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"


def parse_pitch_class(name: str) -> int:
    """'D', 'f#', 'Bb', 'E-' (music21's flat) → pitch class."""
    m = re.fullmatch(r"\s*([A-Ga-g])\s*(#|♯|b|♭|-)?\s*", name)
    if not m:
        raise MusegenError(msg("said.not_note_name", name=name))
    shift = {"#": 1, "♯": 1, "b": -1, "♭": -1, "-": -1}.get(m.group(2) or "", 0)
    return (TONICS[m.group(1).upper()] + shift) % 12


def parse_scale(text: str) -> Scale:
    """'D minor', 'Bb major', 'F# dorian', 'C' (major) → Scale, or a message naming what is known."""
    words = text.strip().split(maxsplit=1)
    if not words:
        raise MusegenError(msg("said.name_a_key"))
    mode = words[1].strip().lower() if len(words) > 1 else "major"
    if mode not in SCALES:
        raise MusegenError(msg("said.unknown_scale", scale=mode, known=", ".join(SCALES)))
    return Scale(parse_pitch_class(words[0]), mode)


def scale_of_key(tonic: int, minor: bool) -> Scale:
    return Scale(tonic, "minor" if minor else "major")


def parse_pitch(text: str) -> int:
    """'C3', 'F#5', 'Bb2' or a MIDI number → MIDI pitch (middle C = C4 = 60)."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        pitch = int(text)
    else:
        m = re.fullmatch(r"([A-Ga-g]\s*(?:#|♯|b|♭|-)?)\s*(-?\d)", text)
        if not m:
            raise MusegenError(msg("said.not_a_note", text=text))
        pitch = parse_pitch_class(m.group(1)) + 12 * (int(m.group(2)) + 1)
        pitch += 12 if m.group(1)[0].upper() == "B" and parse_pitch_class(m.group(1)) == 0 else 0  # B#3 is C4
        pitch -= 12 if m.group(1)[0].upper() == "C" and parse_pitch_class(m.group(1)) == 11 else 0  # Cb4 is B3
    if not 0 <= pitch <= 127:
        raise MusegenError(msg("said.outside_midi", text=text))
    return pitch


def parse_range(text: str) -> tuple[int, int]:
    """'C3-C6' → (48, 84)."""
    m = re.fullmatch(r"\s*(\S+?)\s*(?:-|–|\.\.|to)\s*(\S+)\s*", text)
    if not m:
        raise MusegenError(msg("said.not_a_range", text=text))
    low, high = parse_pitch(m.group(1)), parse_pitch(m.group(2))
    if low > high:
        raise MusegenError(msg("said.range_upside_down", text=text))
    return low, high


def pitch_name(pitch: int) -> str:
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


# ---------------------------------------------------------------- the rules


class Rule:
    """Base: start on the primer, reshape logits, then see what was chosen."""

    def start(self, primer: np.ndarray) -> None:  # primer (batch, P)
        pass

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        return logits

    def update(self, chosen: np.ndarray) -> None:  # chosen (batch,)
        pass


class Banned(Rule):
    """Tokens never written (padding, start of piece)."""

    def __init__(self, vocab_size: int, ids):
        self.mask = np.zeros(vocab_size, np.float32)
        self.mask[list(ids)] = NEG

    def __call__(self, logits):
        return logits + self.mask


class FirstToken(Rule):
    """A mask on the new music's first token only. ``only``: a span written again begins with the
    bar line where the kept bars end. ``never``: new music does not begin with a bar line straight
    after the primer's own. That bar would be empty, and a piece starts at the bar line before its
    first note, so the piece would lose it while the plans counting bars (chords, a form) counted
    it: a 4/4 model in 6/8, denied its pickup on the fourth beat, began 3 of 10 pieces so and
    played every chord a bar early."""

    def __init__(self, mask: np.ndarray):
        self.mask = mask

    @classmethod
    def only(cls, vocab_size: int, token: int) -> "FirstToken":
        mask = np.full(vocab_size, NEG, np.float32)
        mask[token] = 0.0
        return cls(mask)

    @classmethod
    def never(cls, vocab_size: int, token: int) -> "FirstToken":
        mask = np.zeros(vocab_size, np.float32)
        mask[token] = NEG
        return cls(mask)

    def start(self, primer):
        self.first = True

    def __call__(self, logits):
        return logits + self.mask if self.first else logits

    def update(self, chosen):
        self.first = False


class DrumTracker:
    """Which sequences are writing a drum part now, in a scheme with part tokens (metre: the
    header's instrument tokens give the parts in order, part tokens switch, a bar line goes back to
    part 0). Pitch rules leave drums alone."""

    def __init__(self, tokenizer):
        self.programs, self.parts, self.bar = tokenizer.program_ids(), tokenizer.part_ids(), tokenizer.bar_id
        self.active = bool(self.programs) and bool(self.parts)

    def start(self, primer: np.ndarray) -> None:
        batch = primer.shape[0]
        self.drum_parts = [set() for _ in range(batch)]
        self.n_programs = np.zeros(batch, int)
        self.part = np.zeros(batch, int)
        for column in primer.T:
            self.update(column)

    def update(self, chosen: np.ndarray) -> None:
        if not self.active:
            return
        for b, t in enumerate(chosen):
            program = self.programs.get(t)
            if program is not None:
                if program == DRUM_PROGRAM:
                    self.drum_parts[b].add(self.n_programs[b])
                self.n_programs[b] += 1
            elif t in self.parts:
                self.part[b] = self.parts[t]
            elif t == self.bar:
                self.part[b] = 0

    def drums(self) -> np.ndarray:
        """(batch,) True where the next note belongs to a drum part."""
        if not self.active:
            return np.zeros(len(self.part), bool)
        return np.array([p in d for p, d in zip(self.part, self.drum_parts)])


class PitchRule(Rule):
    """A penalty on the tokens whose pitches break a rule (all of a chord token's pitches must pass);
    tokens that sound no pitch, and drum parts, are never touched."""

    def __init__(self, tokenizer, penalty_of_pitch):
        pitches = tokenizer.token_pitches()
        # A chord token is as wrong as its worst note (penalties are ≤ 0).
        self.penalty = np.array([min((penalty_of_pitch(p) for p in ps), default=0.0) for ps in pitches], np.float32)
        self.drums = DrumTracker(tokenizer)

    def start(self, primer):
        self.drums.start(primer)

    def __call__(self, logits):
        drums = self.drums.drums()
        if not drums.any():
            return logits + self.penalty
        return logits + np.where(drums[:, None], 0.0, self.penalty)

    def update(self, chosen):
        self.drums.update(chosen)


class KeyLock(PitchRule):
    """strength 1: only notes of the scale; below 1, an outside note is (1 − strength) times as
    likely as the model thought (0.95: twenty times rarer)."""

    def __init__(self, tokenizer, scale: Scale, strength: float = 1.0):
        if not 0.0 <= strength <= 1.0:
            raise MusegenError(msg("said.key_strength_range", strength=f"{strength:g}"))
        penalty = NEG if strength >= 1.0 else np.log1p(-strength)
        classes = scale.pitch_classes
        super().__init__(tokenizer, lambda p: 0.0 if p % 12 in classes else penalty)
        self.scale, self.strength = scale, strength


class PitchRange(PitchRule):
    def __init__(self, tokenizer, low: int, high: int):
        super().__init__(tokenizer, lambda p: 0.0 if low <= p <= high else NEG)
        self.low, self.high = low, high
        if not any(low <= p <= high for ps in tokenizer.token_pitches() for p in ps):
            raise MusegenError(msg("said.range_empty", low=pitch_name(low), high=pitch_name(high)))


def check_notes_left(tokenizer, rules) -> None:
    """A strict key lock and a range that share no note would write a piece without a note (an
    empty MIDI file): refused, in words, before any work."""
    key = next((r for r in rules if isinstance(r, KeyLock) and r.strength >= 1.0), None)
    span = next((r for r in rules if isinstance(r, PitchRange)), None)
    if key is None or span is None:
        return
    pitched = np.array([bool(ps) for ps in tokenizer.token_pitches()])
    if not (pitched & (key.penalty + span.penalty > NEG / 2)).any():
        raise MusegenError(msg("said.key_range_empty", tonic=NOTE_NAMES[key.scale.tonic],
                               scale=msg(f"opt.scale.{key.scale.mode}"), low=pitch_name(span.low),
                               high=pitch_name(span.high)))


class RepetitionGuard(Rule):
    """No loops: once the `n` tokens before a position have been followed by the same token `limit`
    times, that token is barred there. A bar or a phrase may come back (form), a one-bar loop can
    not go on (collapse). Greedy decoding, the article's argmax, needs it most."""

    def __init__(self, n: int = 32, limit: int = 3):
        self.n, self.limit = n, limit

    def start(self, primer):
        self.history = [list(row) for row in primer]
        self.seen: list[dict[tuple, dict[int, int]]] = [{} for _ in primer]
        for b, row in enumerate(self.history):
            for i in range(self.n, len(row)):
                self._count(b, tuple(row[i - self.n : i]), row[i])

    def _count(self, b, context, token):
        followers = self.seen[b].setdefault(context, {})
        followers[token] = followers.get(token, 0) + 1

    def __call__(self, logits):
        out = None
        for b, row in enumerate(self.history):
            if len(row) < self.n:
                continue
            followers = self.seen[b].get(tuple(row[-self.n :]))
            barred = [t for t, count in (followers or {}).items() if count >= self.limit]
            if barred:
                out = logits.copy() if out is None else out
                out[b, barred] = NEG
        return logits if out is None else out

    def update(self, chosen):
        for b, token in enumerate(chosen):
            row = self.history[b]
            if len(row) >= self.n:
                self._count(b, tuple(row[-self.n :]), int(token))
            row.append(int(token))


class BarEcho(Rule):
    """Form: once a bar has begun like an earlier bar (its opening up to the first pitch is the
    same), the token that came next there is made `strength` nats likelier, so a repeat the model
    starts is carried through rather than blurred one token short. `strength` 0 is off.

    With ``share`` (how often a bar of the run's own music comes back: ``data.json``'s
    ``bars_repeated``) the echo keeps the piece near that share, bar by bar:

    - *invite* (with probability ``share``, while the piece has no more repeats than its share):
      from the bar line on, the tokens that go on any earlier bar it still matches are INVITE nats
      likelier, so the bar comes back and the model picks which;
    - *echo* (as without a share) while one more repeat keeps the piece within its share plus
      SLACK_BARS and a phrase's worth, so a folk tune's four-bar phrase can come back whole;
    - *hold back* (−strength) where it would not: a repeat the model starts is discouraged;
    - *rest* (nothing) once the piece has more than its share: the model's own way;
    - *copy a phrase* (with probability ``phrase_share``, how often a 4-bar phrase's rhythm comes
      back in the run's music, where a phrase of the piece begins, while it has no more repeats than
      its share): its four bars are invited back one by one from an earlier phrase's, so a phrase
      returns whole as folk tunes' do, not bar by bar.

    Measured on the bundled models (docs/form.md): the chorales' WaveNet repeated 0.025 of its
    bars and the LSTM 0.004 against Bach's 0.015; both now make about Bach's few, and the folk
    WaveNet about the tunes' 0.28 (0.20 before). A jigs fine-tune brought bars back one at a time
    (4-bar rhythms repeated 0.04 against the jigs' 0.15) until phrases were copied whole (0.13)."""

    # nats: an invited bar comes back whole. At 6 a two-part quartet fine-tune's invited bars came back
    # half the time, the chords on the beat cutting a copied chord; at 20 the copy holds nearly all
    # the probability, which later rules leave alone as forced: every one came back (20 pieces, 3 seeds).
    INVITE = 20.0
    SLACK_BARS = 0.5  # repeats beyond the share allowed to a bar the model starts as a repeat …
    PHRASE_BARS = 4  # … plus a phrase's worth at the share (measured: without it a folk tune's phrases break)

    def __init__(self, tokenizer, strength: float, share: float | None = None, seed: int | None = 0,
                 phrase_share: float | None = None):
        self.bar = tokenizer.bar_id
        self.pitched = np.array([bool(p) for p in tokenizer.token_pitches()])
        self.strength, self.share = strength, share
        # A run trained before phrases were counted: half its bar share (a jig's and a folk tune's
        # phrases come back about half as often as their bars).
        self.phrase_share = share / 2 if phrase_share is None and share is not None else phrase_share
        self.rng = np.random.default_rng(seed)
        self.push = {"invite": self.INVITE, "copy": self.INVITE, "echo": strength, "hold back": -strength,
                     "rest": 0.0}

    def start(self, primer):
        self.history = [list(row) for row in primer]
        self.bars = [[i for i, t in enumerate(row) if t == self.bar] for row in self.history]  # bar lines
        # The piece's own bars end after the primer (a passage of the dataset is context, not the
        # piece): only they are invited back, and only repeats of them are counted.
        self.start_at = primer.shape[1]
        self.written = [0] * len(self.history)  # bars with notes finished since the start …
        self.repeated = [0] * len(self.history)  # … and of them, those equal to an earlier bar
        self.copying = [[] for _ in self.history]  # the bar lines of a phrase being copied, still to come
        self.source = [None] * len(self.history)  # the one bar a bar of a copied phrase follows
        self.mode = [self._mode(b) for b in range(len(self.history))]

    def __call__(self, logits):
        out = None
        for b, row in enumerate(self.history):
            push = self.push[self.mode[b]]
            if push == 0:
                continue
            for token in self._echoes(row, self.bars[b], self.mode[b], self.source[b]):
                out = logits.copy() if out is None else out
                out[b, token] += push
        return logits if out is None else out

    def _echoes(self, row, bars, mode: str = "echo", source: int | None = None) -> set[int]:
        if len(bars) < 2:
            return set()
        current = row[bars[-1]:]
        if mode not in ("invite", "copy") and not self.pitched[current].any():
            return set()
        n = len(current)
        sources = {"invite": self._own(bars), "copy": [source]}.get(mode, bars[:-1])
        # The bar line after the source counts: the bar just before ends where this one began.
        return {row[s + n] for s in sources if s + n <= bars[-1] and row[s : s + n] == current}

    def _own(self, bars) -> list[int]:
        """The bar lines of the piece's own finished bars (those that end after the primer)."""
        return [s for s, end in zip(bars[:-1], bars[1:]) if end > self.start_at]

    def _mode(self, b: int) -> str:
        """How the bar just begun is echoed (the class docstring's five ways)."""
        self.source[b] = None
        if self.share is None:
            return "echo"
        if self.copying[b]:  # a phrase being copied goes on to its end
            self.source[b] = self.copying[b].pop(0)
            return "copy"
        due = self.share * (self.written[b] + 1)  # the repeats the share gives by the end of this bar
        if self.repeated[b] > due:
            return "rest"
        own = self._own(self.bars[b])  # the piece's finished bars: the one begun is the len(own)-th
        phrase = self.PHRASE_BARS
        if len(own) % phrase == 0 and len(own) >= phrase and self.rng.random() < self.phrase_share:
            first = phrase * self.rng.integers(len(own) // phrase)
            self.source[b], *self.copying[b] = own[first:first + phrase]
            return "copy"
        if self.rng.random() < self.share and own:  # an earlier bar to come back
            return "invite"
        slack = self.SLACK_BARS + self.PHRASE_BARS * self.share
        return "echo" if self.repeated[b] + 1 <= due + slack else "hold back"

    def _finish_bar(self, b: int) -> None:
        """Count the bar that has just ended, and whether its tokens are an earlier bar's."""
        row, bars = self.history[b], self.bars[b]
        if not bars:
            return
        bar = row[bars[-1]:]
        if not self.pitched[bar].any():
            return
        self.written[b] += 1
        self.repeated[b] += any(row[s:e] == bar for s, e in zip(bars[:-1], bars[1:]) if e > self.start_at)

    def update(self, chosen):
        for b, token in enumerate(chosen):
            if token == self.bar:
                self._finish_bar(b)
                self.bars[b].append(len(self.history[b]))
                self.mode[b] = self._mode(b)
            self.history[b].append(int(token))


class WithinTheBar(Rule):
    """The metre: no position past the end of the bar in the time signature in force. A model that
    learnt mostly 4/4 writes positions of a 4/4 bar in a 2/4 or 3/4 one (a quartet fine-tune 5 % of
    its positions, the Bach WaveNet in 3/4 9 %); their notes would sound in the next bar, over it."""

    def __init__(self, tokenizer):
        per_quarter = tokenizer.config.positions_per_quarter
        positions = tokenizer.position_ids()
        self.masks = {}  # time signature token → NEG on the positions past its bar's end
        for token, (numerator, denominator) in tokenizer.time_signature_ids().items():
            steps = int(round(numerator * 4 / denominator * per_quarter))
            mask = np.zeros(len(tokenizer), np.float32)
            mask[[i for i, step in positions.items() if step >= steps]] = NEG
            self.masks[token] = mask

    def start(self, primer):
        self.signature = [None] * len(primer)
        for column in primer.T:
            self.update(column)

    def __call__(self, logits):
        if all(s is None for s in self.signature):
            return logits
        return logits + np.stack([self.masks[s] if s is not None else np.zeros(logits.shape[1], np.float32)
                                  for s in self.signature])

    def update(self, chosen):
        for b, token in enumerate(map(int, chosen)):
            if token in self.masks:
                self.signature[b] = token


class ForceAfter(Rule):
    """After token `trigger`, only token `forced` (e.g. after Bar, the time signature asked for);
    anywhere else, none of `banned` (a time signature in the middle of a bar, which a barely trained
    model writes, would change the metre there)."""

    def __init__(self, vocab_size: int, trigger: int, forced: int, banned=()):
        self.trigger = trigger
        self.mask = np.full(vocab_size, NEG, np.float32)
        self.mask[forced] = 0.0
        self.ban = np.zeros(vocab_size, np.float32)
        self.ban[list(banned)] = NEG

    def start(self, primer):
        self.after = primer[:, -1] == self.trigger

    def __call__(self, logits):
        return np.where(self.after[:, None], logits + self.mask, logits + self.ban)

    def update(self, chosen):
        self.after = chosen == self.trigger


def apply(rules, logits: np.ndarray) -> np.ndarray:
    for rule in rules:
        logits = rule(logits)
    return logits
