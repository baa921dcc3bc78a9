"""Music in words for the figures' labels and the score: note lengths ("1/8 triplet", "dotted quarter
note"), the tokens of the article's notes-and-chords scheme as chord symbols ("Cm7 (C E♭ G B♭)"),
parts' names and a generated piece's title in the reader's language.
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from ..text import DEFAULT, EN, t


def say(key: str, lang: str | None, **values) -> str:
    """A label in lang (None: English, as a notebook or the command line shows it)."""
    return t(key, lang or DEFAULT, **values)


def part_name(name: str, lang: str | None) -> str:
    """A part's name as musegen's readers and layouts give it ("Soprano", "Right hand") in lang;
    a name of the music's own ("Fiddle") as it is."""
    key = f"score.part.{name.lower().replace(' ', '_')}"
    return say(key, lang) if key in EN else name


# A generated piece's name (generate/sample.py, generate/span.py): what it continues or the model
# that wrote it, its seed and variation, then each edit: bars written again, a section added.
_PIECE_NAME = re.compile(r"(?P<stem>.+?)(?P<continued>-continued|-accompanied)?-seed(?P<seed>\d+)-(?P<n>\d+)"
                         r"(?P<edits>(?:-bars\d+-\d+|-[A-Z])*)")
_EDIT = re.compile(r"-bars(\d+)-(\d+)|-([A-Z])")


def name_stem(name: str) -> str:
    """What a generated piece's name was made from ("ode-accompanied-seed7-1" → "ode"), so a new
    version of it is named afresh rather than longer and longer; any other name without its suffix."""
    found = _PIECE_NAME.fullmatch(name)
    return found["stem"] if found else name.rsplit(".", 1)[0] if "." in name[-6:] else name


def piece_title(name: str, lang: str | None = None, variations: int | None = None) -> str:
    """A generated piece's name in words, for its score's title: "bach-lstm-seed42-1-bars3-4" →
    "bach-lstm · seed 42 · variation 1 · bars 3–4 written again"; any other name as it is. A piece
    composed alone (``variations`` 1) is no "variation 1": a musician reads a theme's variation."""
    found = _PIECE_NAME.fullmatch(name)
    if not found:
        return name
    how = {"-continued": "score.continued", "-accompanied": "score.accompanied"}.get(found["continued"] or "")
    stem = say(how, lang, name=found["stem"]) if how else found["stem"]
    words = [say("score.title_alone" if variations == 1 else "score.title", lang, name=stem, seed=found["seed"],
                 n=found["n"])]
    for first, last, section in _EDIT.findall(found["edits"]):
        words.append(say("score.section", lang, section=section) if section
                     else say("score.rewritten", lang, first=first, last=last))
    return " · ".join(words)


_VALUES = {  # quarter-note length → musical value
    Fraction(4): "1/1", Fraction(2): "1/2", Fraction(1): "1/4", Fraction(1, 2): "1/8",
    Fraction(1, 4): "1/16", Fraction(1, 8): "1/32", Fraction(1, 16): "1/64",
    Fraction(6): "dotted 1/1", Fraction(3): "dotted 1/2", Fraction(3, 2): "dotted 1/4",
    Fraction(3, 4): "dotted 1/8", Fraction(3, 8): "dotted 1/16",
    Fraction(4, 3): "1/2 triplet", Fraction(2, 3): "1/4 triplet", Fraction(1, 3): "1/8 triplet",
    Fraction(1, 6): "1/16 triplet", Fraction(8): "2 bars (4/4)",
}


def duration_label(quarters: float) -> str:
    """0.25 → "1/16", 1.5 → "dotted 1/4", 1/3 → "1/8 triplet", else the quarter-note count."""
    f = Fraction(float(quarters)).limit_denominator(48)
    if abs(float(f) - quarters) < 1e-6 and f in _VALUES:
        return _VALUES[f]
    return f"{quarters:.3g} q"


# Note values by their length in quarter notes.
_NOTE_VALUES = {"whole": 4, "half": 2, "quarter": 1, "eighth": Fraction(1, 2), "16th": Fraction(1, 4),
                "32nd": Fraction(1, 8), "64th": Fraction(1, 16)}


def _value_words() -> dict[Fraction, tuple[str, str]]:
    """Length → (how, note value): each value plain, dotted (× 3/2) and as a triplet (× 2/3)."""
    words = {}
    for name, length in _NOTE_VALUES.items():
        words[Fraction(length)] = ("plot.dur.plain", name)
        words[Fraction(length) * Fraction(3, 2)] = ("plot.dur.dotted", name)
        words[Fraction(length) * Fraction(2, 3)] = ("plot.dur.triplet", name)
    return words


_WORDS = _value_words()
_EIGHTHS = {0: "", 1: "⅛", 2: "¼", 3: "⅜", 4: "½", 5: "⅝", 6: "¾", 7: "⅞"}


def duration_words(quarters: float, lang: str | None = None) -> str:
    """A note length in plain words: 1.5 → "dotted quarter note", 1/3 → "eighth triplet",
    1.25 → "1¼ beats" (a beat being a quarter note), 0.52 → "≈ eighth note"."""
    f = Fraction(float(quarters)).limit_denominator(48)
    if abs(float(f) - quarters) < 1e-6 and f in _WORDS:
        key, name = _WORDS[f]
        return say(key, lang, value=say(f"plot.dur.{name}", lang))
    eighths = round(quarters * 8)
    if abs(eighths - quarters * 8) < 1e-6 and eighths > 0:
        whole, part = divmod(eighths, 8)
        return say("plot.dur.beats", lang, n=f"{whole or ''}{_EIGHTHS[part]}" if part else str(whole))
    nearest = min(_WORDS, key=lambda v: abs(np.log(float(v) / max(quarters, 1e-9))))
    key, name = _WORDS[nearest]
    return say("plot.dur.about", lang, value=say(key, lang, value=say(f"plot.dur.{name}", lang)))


# ---------------------------------------------------------------- tokens of the article's scheme

_PITCH_CLASSES = ("C", "C♯", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B")
_CHORDS = {  # intervals above the root → chord symbol suffix (symbols read the same in every language)
    (0, 4, 7): "", (0, 3, 7): "m", (0, 3, 6): "dim", (0, 4, 8): "aug", (0, 5, 7): "sus4", (0, 2, 7): "sus2",
    (0, 4, 7, 10): "7", (0, 4, 7, 11): "maj7", (0, 3, 7, 10): "m7", (0, 3, 6, 10): "m7♭5", (0, 3, 6, 9): "dim7",
    (0, 3, 7, 11): "m(maj7)", (0, 4, 10): "7", (0, 3, 10): "m7", (0, 4, 11): "maj7",
}
_LETTERS, _NATURALS = "CDEFGAB", (0, 2, 4, 5, 7, 9, 11)
# Interval above the root → how many letters above it the tone is written (a diminished seventh
# as a sixth, A in C dim7, as chord charts do, rather than B double flat).
_STEPS = {0: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4, 8: 4, 9: 5, 10: 6, 11: 6}
_ACCIDENTALS = {-1: "♭", 0: "", 1: "♯"}


def token_name(token: str, lang: str | None = None) -> str:
    """A token of the article's notes-and-chords scheme for a person: "0.3.7.10" (pitch classes) →
    "Cm7 (C E♭ G B♭)", "E-5" → "E♭5", "9" (one pitch class in octaves) → "A in octaves"; others as
    they are."""
    if re.fullmatch(r"\d+(\.\d+)*", token):
        classes = sorted({int(pc) % 12 for pc in token.split(".")})
        if len(classes) == 1:
            return say("plot.octaves", lang, note=_PITCH_CLASSES[classes[0]])
        for root in classes:
            intervals = tuple(sorted((pc - root) % 12 for pc in classes))
            if intervals in _CHORDS:
                notes = _spelt(root, intervals)
                return say("plot.chord", lang, symbol=notes[0] + _CHORDS[intervals], notes=" ".join(notes))
        return " ".join(_PITCH_CLASSES[pc] for pc in classes)
    note = re.fullmatch(r"([A-G])([#-]?)(-?\d+)", token)
    if note:
        return note.group(1) + {"#": "♯", "-": "♭"}.get(note.group(2), "") + note.group(3)
    return token


def _spelt(root: int, intervals: tuple[int, ...]) -> list[str]:
    """A chord's tones written on successive letters (C E♭ G, not C D♯ G), the root named the
    way that needs the fewest sharps and flats (D♭ F A♭ rather than C♯ E♯ G♯)."""
    spellings = []
    for letter in range(7):
        names = []
        for interval in intervals:
            at = (letter + _STEPS[interval]) % 7
            shift = (root + interval - _NATURALS[at] + 6) % 12 - 6
            names.append(_LETTERS[at] + _ACCIDENTALS[shift] if shift in _ACCIDENTALS else None)
        if names[0] is not None and None not in names:
            spellings.append(names)
    return min(spellings, key=lambda names: sum(len(n) - 1 for n in names)) if spellings else \
        [_PITCH_CLASSES[(root + i) % 12] for i in intervals]
