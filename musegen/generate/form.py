"""Form: a plan of phrases the sampler follows, so that sections come back.

A form is a string of section letters (``AABA``: a phrase, its repeat, a contrast, the first phrase
again), each section ``phrase_bars`` bars long. The first statement of a letter is the model's own;
each later one is written over it bar by bar, token by token, all parts together:

- *exact* (strength ``EXACT``): the earlier bar's tokens again, a literal repeat;
- *varied* (a strength in nats): the earlier bar's next token is made that much likelier, so the
  model keeps the phrase's rhythm and contour but may change a note; after a change it finds its
  place again at the next position it shares with the earlier bar.

Once the first section is written, the piece keeps its key (unless a key was asked for, which a
key lock holds): a note outside that key's scale is KEY_HOLD times rarer, so the B section may
colour but a 3-minute piece does not wander off. The piece's last bar is its close: one chord on
the downbeat, the home chord (the tonic triad of the key asked for, else of the whole piece so
far), its first note the tonic, so the piece ends at home rather than mid-phrase. Longer pieces go
round the form again (AABA AABA …), the repeats still written over the first round. docs/form.md
measures every form (`make quality`).

Why steering and not a model that sees phrase positions: it works for every model already trained
(bundled, fine-tuned, the user's), costs no training, and the user chooses the form at Compose.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..messages import msg
from .steer import NEG, SCALES, DrumTracker, Rule

FORMS = {"AABA": "AABA", "ABAB": "ABAB", "AABB": "AABB", "verse/chorus": "ABABCB"}  # the app's choices
EXACT = math.inf  # strength of a literal repeat
VARIED = 3.0  # nats: a repeat the model may vary; its notes agree 0.84-0.95 with the first statement (docs/form.md)
PHRASE_BARS = (2, 4, 8)
REPEATS = {"exact": EXACT, "varied": VARIED}  # SampleConfig.repeats → FormPlan's strength
KEY_HOLD = 10.0  # how much rarer a note outside the key of the first section becomes (log: 2.3 nats)
# A locked key's home chord is minor in these modes (a minor third, no major one).
MINOR_MODES = frozenset(m for m, steps in SCALES.items() if 3 in steps and 4 not in steps)


def parse_form(text: str) -> str:
    """"AABA", "aaba", "verse/chorus" → the section letters; "" or "free" → "" (the model's own form)."""
    text = (text or "").strip()
    if text.lower() in ("", "free"):
        return ""
    named = {name.lower(): letters for name, letters in FORMS.items()}
    letters = named.get(text.lower(), text.upper())
    if not letters.isascii() or not letters.isalpha() or len(letters) > 16:
        raise InputError(msg("said.bad_form", form=text, forms=", ".join(FORMS)))
    return letters


def opens_a_bar(tokenizer, ids) -> bool:
    """Whether ``ids`` end in a bar with no note yet (a piece from nothing: its first bar line is
    the primer's), so that bar is the first of the music to come."""
    bar = tokenizer.bar_id
    lines = [i for i, t in enumerate(ids) if t == bar] if bar is not None else []
    return bool(lines) and not tokenizer.note_mask()[np.asarray(ids[lines[-1] + 1:], int)].any()


def tonic_triad(tonic: int, minor: bool) -> frozenset[int]:
    """The pitch classes of the key's home chord."""
    return frozenset({tonic % 12, (tonic + (3 if minor else 4)) % 12, (tonic + 7) % 12})


class FormPlan(Rule):
    """Sections that come back (module docstring). Bars count from the first bar line after the
    primer, or from the primer's own last bar line when no note follows it (a piece from nothing);
    with ``whole_primer``, from the primer's first bar line (a piece in the form, to go on with:
    one more section). ``total_bars``: where the piece ends, for the cadence (0: no cadence)."""

    def __init__(self, tokenizer, form: str, phrase_bars: int = 4, strength: float = EXACT,
                 total_bars: int = 0, key: tuple[int, bool] | None = None, whole_primer: bool = False):
        if tokenizer.bar_id is None:
            raise InputError(msg("said.form_needs_bars"))
        if phrase_bars not in PHRASE_BARS:
            raise InputError(msg("said.bad_phrase_bars", bars=phrase_bars, allowed="/".join(map(str, PHRASE_BARS))))
        if not strength > 0:
            raise InputError(msg("said.bad_form_strength", strength=f"{strength:g}"))
        self.tokenizer, self.form, self.phrase_bars = tokenizer, form, phrase_bars
        self.strength, self.total_bars, self.key, self.whole_primer = strength, total_bars, key, whole_primer
        self.bar = tokenizer.bar_id
        self.notes = tokenizer.note_mask()
        self.positions = tokenizer.position_ids()  # {id: grid steps after the bar line}
        self.pitch_of = tokenizer.pitch_ids()
        self.off_downbeat = np.zeros(len(self.notes), np.float32)  # NEG on every position but the bar's first
        self.off_downbeat[[i for i, step in self.positions.items() if step > 0]] = NEG

    # ------------------------------------------------------------------ the plan

    def source_bar(self, k: int) -> int | None:
        """The earlier bar that bar k repeats; None where the model writes freely."""
        if not self.form:
            return None
        section, offset = divmod(k, self.phrase_bars)
        letter = self.form[section % len(self.form)]
        source = self.form.index(letter) * self.phrase_bars + offset
        return source if source != k else None

    # ------------------------------------------------------------------ Rule

    def start(self, primer):
        self.rows = [_Row(list(map(int, row)), self) for row in primer]
        self.drums = DrumTracker(self.tokenizer)  # the key and the close leave drum parts alone
        self.drums.start(primer)

    def __call__(self, logits):
        out = None
        drums = self.drums.drums()
        for b, row in enumerate(self.rows):
            bias = row.bias(self, bool(drums[b]))
            if bias is not None:
                out = logits.copy() if out is None else out
                out[b] = bias(out[b])
        return logits if out is None else out

    def update(self, chosen):
        self.drums.update(chosen)
        for row, token in zip(self.rows, chosen):
            row.take(int(token), self)

    # ------------------------------------------------------------------ the cadence

    def key_of(self, history: list[int], held: tuple[int, bool] | None = None) -> tuple[int, bool]:
        """(tonic, minor): the key asked for, else the key ``held`` since the first section, else the
        key of the music so far."""
        if self.key is not None or held is not None:
            return self.key or held
        from ..render.midi import estimate_key  # the one key-finder; render comes after generate

        return estimate_key(self.tokenizer.decode(np.asarray(history), name="so far").notes)

    def chord_of_key(self, history: list[int]) -> frozenset[int]:
        return tonic_triad(*self.key_of(history))

    def closing(self, history: list[int], held: tuple[int, bool] | None = None) -> dict[str, np.ndarray]:
        """The last bar's rules, by where it is: before its one onset (only the downbeat, home-chord
        notes), at its first note (the tonic), then the rest of the chord (home-chord notes, no
        later onset)."""
        tonic, minor = self.key_of(history, held)
        chord = self.pitch_penalty(tonic_triad(tonic, minor))
        no_onset = np.zeros(len(self.notes), np.float32)
        no_onset[list(self.positions)] = NEG
        return {"downbeat": chord + self.off_downbeat, "first": no_onset + self.pitch_penalty(frozenset({tonic % 12})),
                "chord": no_onset + chord}

    def pitch_penalty(self, chord: frozenset[int], penalty_of_outside: float = NEG) -> np.ndarray:
        """``penalty_of_outside`` on every pitch token outside the pitch classes, 0 elsewhere."""
        penalty = np.zeros(len(self.notes), np.float32)
        for i, pitch in self.pitch_of.items():
            if pitch % 12 not in chord:
                penalty[i] = penalty_of_outside
        return penalty

    def scale_hold(self, key: tuple[int, bool]) -> np.ndarray:
        """The key of the first section held: an outside note KEY_HOLD times rarer."""
        tonic, minor = key
        scale = frozenset((tonic + step) % 12 for step in SCALES["minor" if minor else "major"])
        return self.pitch_penalty(scale, -float(np.log(KEY_HOLD)))


class _Row:
    """One sequence's place in the plan: its bars so far and where it is in the bar it repeats."""

    def __init__(self, history: list[int], plan: FormPlan):
        self.history = history
        # A last bar line with no note after it (a piece from nothing) is the first bar of the plan.
        opened = opens_a_bar(plan.tokenizer, history)
        lines = [i for i, t in enumerate(history) if t == plan.bar]
        self.bars: list[int] = lines if plan.whole_primer else lines[-1:] if opened else []
        # The next token's index in the source bar (its 0 is the bar line); a whole primer's last bar
        # is complete: nothing pulls until the next bar line.
        self.at = len(history) if plan.whole_primer else 1
        self.cadence: dict[str, np.ndarray] | None = None  # the last bar's rules (FormPlan.closing)
        self.held: tuple[int, bool] | None = None  # the key of the first section, once it is written
        self.hold: np.ndarray | None = None  # its scale as a penalty
        self.stage = "downbeat"
        self.downbeat = opened  # a piece from nothing starts on the downbeat: its bars are the plan's, no pickup
        if opened:
            self._enter(plan)

    def _bar_tokens(self, k: int) -> list[int]:
        end = self.bars[k + 1] if k + 1 < len(self.bars) else len(self.history)
        return self.history[self.bars[k]:end]

    def source(self, plan: FormPlan) -> list[int] | None:
        if not self.bars:
            return None
        k = plan.source_bar(len(self.bars) - 1)
        return self._bar_tokens(k) if k is not None and k < len(self.bars) - 1 else None

    def bias(self, plan: FormPlan, drum: bool = False):
        """A function on this row's logits, or None where the plan leaves the model free; ``drum``:
        the next note is a drum part's, which no key or chord rule touches."""
        source = self.source(plan)
        penalty = plan.off_downbeat if self.downbeat else self.cadence[self.stage] if self.cadence else None
        if drum:
            penalty = plan.off_downbeat if self.downbeat else None
        elif self.hold is not None:
            penalty = self.hold if penalty is None else penalty + self.hold
        if source is None and penalty is None:
            return None
        if source is None or self.at > len(source):  # free, or lost in a varied repeat
            wanted = None
        elif self.at == len(source):  # the source bar has no more notes: its repeat ends there too
            wanted = plan.bar
        else:
            wanted = source[self.at]
        if wanted is not None and penalty is not None and penalty[wanted] <= NEG / 2:
            wanted = None  # the repeat's note is not in the closing chord: the cadence decides it

        def apply(row_logits):
            if penalty is not None:
                row_logits = row_logits + penalty
            if wanted is None:
                return row_logits
            if plan.strength == EXACT:
                one = np.full_like(row_logits, NEG)
                one[wanted] = 0.0
                return one
            row_logits = row_logits.copy()
            row_logits[wanted] += plan.strength
            return row_logits

        return apply

    def take(self, token: int, plan: FormPlan) -> None:
        source = self.source(plan)
        self.history.append(token)
        self.downbeat = self.downbeat and token not in plan.positions
        if self.cadence is not None:
            self.stage = ("first" if self.stage == "downbeat" and token in plan.positions else
                          "chord" if self.stage == "first" and token in plan.pitch_of else self.stage)
        if token == plan.bar:
            self.bars.append(len(self.history) - 1)
            self.at = 1
            self._enter(plan)
        elif source is not None:
            self.at = self._next_place(token, source, plan)

    def _next_place(self, token: int, source: list[int], plan: FormPlan) -> int:
        """Where the repeat goes on in its source bar after ``token``: the next token when it
        followed the source (or changed one note in its place); after a position of its own, just
        past the same position in the source, or nowhere (no pull, past the source's end) until it
        reaches one the source has. At the source's end exactly, the repeat's bar line is wanted."""
        if token in plan.positions and (self.at >= len(source) or source[self.at] != token):
            same = [i for i in range(1, len(source)) if source[i] == token]
            return same[0] + 1 if same else len(source) + 1  # past the end: lost until a shared position
        return self.at + 1

    def _enter(self, plan: FormPlan) -> None:
        """At a bar line: after the first section its key is held; the last bar of the piece closes
        on the home chord."""
        if plan.form and plan.key is None and self.held is None and len(self.bars) > plan.phrase_bars:
            self.held = plan.key_of(self.history)
            self.hold = plan.scale_hold(self.held)
        last = plan.total_bars > 0 and len(self.bars) == plan.total_bars
        # The close's key is the whole piece's so far: more notes decide major against relative minor
        # better than the first section's four bars (docs/form.md measured both).
        self.cadence, self.stage = (plan.closing(self.history) if last else None), "downbeat"
