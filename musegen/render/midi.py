"""Piece → MIDI bytes (symusic), MusicXML (music21) and engraved SVG pages (verovio).

Times in a Piece are quarter notes; MIDI files here use 480 ticks per quarter.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError, MusegenError
from ..messages import msg
from ..files import atomic_write
from ..music.piece import DURATION, N_COLUMNS, PART, PITCH, START, VELOCITY, Piece
from .words import part_name, piece_title, say

TPQ = 480
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MIDDLE_C = 60

# General MIDI programs that suit the music this app makes.
INSTRUMENTS = {
    "Acoustic grand piano": 0, "Harpsichord": 6, "Music box": 10, "Vibraphone": 11, "Church organ": 19,
    "Acoustic guitar (nylon)": 24, "Violin": 40, "Cello": 42, "String ensemble": 48, "Choir aahs": 52,
    "Trumpet": 56, "French horn": 60, "Oboe": 68, "Clarinet": 71, "Flute": 73, "Marimba": 12,
}


def instrument_program(name_or_number: str) -> int:
    """A General MIDI program from its number (0-127) or one of INSTRUMENTS' names (any case)."""
    text = str(name_or_number).strip()
    if text.isdigit() and 0 <= int(text) <= 127:
        return int(text)
    by_name = {k.lower(): v for k, v in INSTRUMENTS.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    raise InputError(msg("said.unknown_instrument", text=text, known=", ".join(INSTRUMENTS)))


def note_name(pitch: int) -> str:
    """MIDI pitch → scientific name: 60 → "C4", 78 → "F#5"."""
    pitch = int(pitch)
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _checked_notes(piece: Piece) -> np.ndarray:
    notes = np.asarray(piece.notes, dtype=np.float64).reshape(-1, N_COLUMNS)
    if not np.isfinite(notes).all():
        raise InputError(msg("said.notes_not_finite", name=piece.name))
    return notes


# ---------------------------------------------------------------- MIDI


def piece_to_midi_bytes(piece: Piece, tempo: float | None = None, program: int | None = None) -> bytes:
    """A standard MIDI file (type 1, 480 ticks per quarter, one track per part, drums on channel 10)
    with the piece's tempo, time signatures and key signature.

    ``tempo`` (quarter notes per minute) and ``program`` (General MIDI, 0–127, for every pitched
    part) override the piece's.
    """
    import symusic

    tempo = float(piece.tempo if tempo is None else tempo)
    if not (np.isfinite(tempo) and 1.0 <= tempo <= 1000.0):
        raise InputError(msg("said.tempo_range", tempo=f"{tempo:g}"))
    if program is not None and not 0 <= int(program) <= 127:
        raise InputError(msg("said.program_range", program=program))
    notes = _checked_notes(piece)

    score = symusic.Score(TPQ)
    for index, part in enumerate(piece.parts):
        rows = notes[notes[:, PART] == index]
        if not len(rows) and len(piece.parts) > 1:
            continue
        time = np.maximum(np.rint(rows[:, START] * TPQ), 0).astype(np.int32)
        dur = np.maximum(np.rint(rows[:, DURATION] * TPQ), 1).astype(np.int32)
        pitch = np.clip(np.rint(rows[:, PITCH]), 0, 127).astype(np.int8)
        vel = np.clip(np.rint(rows[:, VELOCITY]), 1, 127).astype(np.int8)
        order = np.lexsort((pitch, time))
        track_program = part.program if part.is_drum or program is None else int(program)
        name = part.name or (piece.name if len(piece.parts) == 1 else f"Part {index + 1}")
        track = symusic.Track(name=name[:64], program=int(track_program), is_drum=part.is_drum)
        track.notes = symusic.Note.from_numpy(
            np.ascontiguousarray(time[order]), np.ascontiguousarray(dur[order]),
            np.ascontiguousarray(pitch[order]), np.ascontiguousarray(vel[order]),
        )
        score.tracks.append(track)
    score.tempos.append(symusic.Tempo(0, qpm=tempo))
    for at, num, den in piece.time_signatures:
        score.time_signatures.append(symusic.TimeSignature(int(round(at * TPQ)), num, den))
    sharps, minor = piece_key(piece)
    score.key_signatures.append(symusic.KeySignature(0, sharps, int(minor)))
    return bytes(score.dumps_midi())


def write_midi(piece: Piece, path: str | os.PathLike, **kw) -> Path:
    """Write ``piece`` as a MIDI file (atomically); ``kw`` goes to :func:`piece_to_midi_bytes`."""
    return atomic_write(path, piece_to_midi_bytes(piece, **kw))


# ---------------------------------------------------------------- MusicXML

_GRIDS = (Fraction(1, 4), Fraction(1, 3))  # sixteenths and eighth-note triplets


def _snap(values: np.ndarray, minimum: float = 0.0) -> np.ndarray:
    """Round each value to the nearer of the sixteenth or the triplet grid (as music21's quantize)."""
    best = np.full(values.shape, np.nan)
    err = np.full(values.shape, np.inf)
    for g in _GRIDS:
        g = float(g)
        snapped = np.rint(values / g) * g
        if minimum:
            snapped = np.maximum(snapped, g)
        e = np.abs(snapped - values)
        better = e < err - 1e-9
        best[better], err[better] = snapped[better], e[better]
    return best


def _ql(x: float) -> Fraction:
    return Fraction(x).limit_denominator(12)


# Krumhansl–Kessler key profiles, C major and C minor (pitch classes C … B).
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
SHARPS_OF_MAJOR = [0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5]  # key signature of each major tonic

# The profiles rolled to every tonic, centred and normalised (rows: 12 majors, then 12 minors): their
# product with a centred histogram is proportional to its correlation with each of the 24 keys.
_KEY_PROFILES = np.array([np.roll(p, tonic) for p in (MAJOR_PROFILE, MINOR_PROFILE) for tonic in range(12)])
_KEY_PROFILES -= _KEY_PROFILES.mean(1, keepdims=True)
_KEY_PROFILES /= np.linalg.norm(_KEY_PROFILES, axis=1, keepdims=True)


def estimate_key(rows: np.ndarray, lo: float = -np.inf, hi: float = np.inf, silent=(0, False)):
    """(tonic pitch class, minor?) that best fits the notes: Krumhansl–Schmuckler, the key whose
    profile correlates best with the pitch-class histogram of the notes weighted by how long each
    sounds within [lo, hi) (the whole piece by default). ``silent`` (C major unless told) when
    nothing sounds there, or every pitch class sounds as long.

    The one key-finder of musegen: a score's and a MIDI file's key signature (piece_key), the key
    "auto" steers to (sample), and the key of each window for key stability (evaluate/harmony)."""
    weight = np.minimum(rows[:, START] + rows[:, DURATION], hi) - np.maximum(rows[:, START], lo)
    keep = weight > 0
    histogram = np.bincount(rows[keep, PITCH].astype(int) % 12, weights=weight[keep], minlength=12)
    if np.ptp(histogram) == 0:
        return silent
    key = int((_KEY_PROFILES @ (histogram - histogram.mean())).argmax())
    return key % 12, key >= 12


def sharps_of(tonic: int, minor: bool) -> int:
    """The key signature of a key (sharps > 0, flats < 0): a minor key's is its relative major's."""
    return SHARPS_OF_MAJOR[(tonic + 3) % 12 if minor else tonic]


def piece_key(piece: Piece) -> tuple[int, bool]:
    """(sharps, minor?) of a piece: estimated from its pitched notes (a generated piece has no key
    signature of its own; a real one keeps its source's sharps)."""
    drums = [i for i, p in enumerate(piece.parts) if p.is_drum]
    tonic, minor = estimate_key(piece.notes[~np.isin(piece.notes[:, PART], drums)])
    return (piece.key_sharps if piece.key_sharps is not None else sharps_of(tonic, minor)), minor


def _staff(rows: np.ndarray, clef, part_id: str, sharps: int, signatures, mark=None, name: str = ""):
    """One staff (a music21 Part) from rows of (start, duration, pitch, velocity, …), quantized."""
    from music21 import chord, key, meter, note, stream

    part = stream.Part(id=part_id)
    if name:
        part.partName = name
    part.insert(0, clef)
    part.insert(0, key.KeySignature(sharps))
    for at, num, den in signatures:
        part.insert(float(_ql(at)), meter.TimeSignature(f"{num}/{den}"))
    if mark is not None:
        part.insert(0, mark)
    # Equal onsets with equal durations become one chord.
    groups: dict[tuple[Fraction, Fraction], list[tuple[int, int]]] = {}
    for start, dur, pitch, vel in rows[:, [START, DURATION, PITCH, VELOCITY]]:
        groups.setdefault((_ql(start), _ql(dur)), []).append((int(pitch), int(vel)))
    for (start, dur), members in sorted(groups.items()):
        pitches = [_spelled(p, sharps) for p in sorted({p for p, _ in members})]
        vel = max(v for _, v in members)
        el = note.Note(pitches[0]) if len(pitches) == 1 else chord.Chord(pitches)
        el.quarterLength = dur
        el.volume.velocity = vel
        part.insert(start, el)
    if not groups:
        num, den = signatures[0][1:]
        part.insert(0, note.Rest(quarterLength=num * 4 / den))
    part.makeNotation(inPlace=True)  # measures, ties at barlines, voices for overlaps, beams
    for m in part.getElementsByClass(stream.Measure):
        if m.hasVoices():
            for i, v in enumerate(m.voices, start=1):
                v.id = str(i)  # MusicXML voices count from 1 (music21 starts at 0)
                v.makeRests(fillGaps=True, inPlace=True, timeRangeFromBarDuration=True)
                if i > 1:  # a second voice exists only for overlapping notes: its padding rests are noise
                    for rest in v.getElementsByClass(note.Rest):
                        rest.style.hideObjectOnPrint = True
    return part


SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLAT_NAMES = ("C", "D-", "D", "E-", "E", "F", "G-", "G", "A-", "A", "B-", "B")


def _spelled(midi: int, sharps: int):
    """A pitch spelled for the key (B-flat in F major, A-sharp in B major) with no accidental of
    its own, so the score shows only those the key signature does not."""
    from music21 import pitch

    names = FLAT_NAMES if sharps < 0 else SHARP_NAMES
    spelled = pitch.Pitch(f"{names[midi % 12]}{midi // 12 - 1}")
    if spelled.accidental is not None and spelled.accidental.name == "natural":
        spelled.accidental = None
    return spelled


def _is_piano(part) -> bool:
    return not part.is_drum and 0 <= part.program <= 7


def _is_grand(piece: Piece) -> bool:
    """Whether the piece's pitched parts are one piano or a piano's two hands."""
    pitched = [p for p in piece.parts if not p.is_drum]
    return len(pitched) <= 2 and all(_is_piano(p) for p in pitched)


BASS_NAMES = {"bass", "basso", "left hand", "cello", "violoncello", "bassoon", "tuba", "double bass", "contrabass"}


def _staves_plan(piece: Piece, rows: np.ndarray, lang: str | None = None) -> list[tuple[np.ndarray, str, str, int | None]]:
    """(rows, clef, name in lang, part index) per staff. One piano part: a grand staff split at middle C; otherwise
    one staff per pitched part, in treble, octave-treble (a tenor's) or bass clef by its middle pitch;
    two piano parts (right and left hand) on a grand staff, the lower always in bass clef. Drums are
    left to MIDI and audio."""
    pitched = [i for i, part in enumerate(piece.parts) if not part.is_drum]
    if len(pitched) <= 1:
        own = rows[rows[:, PART] == pitched[0]] if pitched else rows[:0]
        name = part_name(piece.parts[pitched[0]].name, lang) if pitched else ""
        at = pitched[0] if pitched else None
        return [(own[own[:, PITCH] >= MIDDLE_C], "treble", name, at), (own[own[:, PITCH] < MIDDLE_C], "bass", name, at)]
    plan = []
    hands = _is_grand(piece)
    for i in pitched:
        own = rows[rows[:, PART] == i]
        middle = np.median(own[:, PITCH]) if len(own) else MIDDLE_C
        which = "treble" if middle >= MIDDLE_C + 4 else "tenor" if middle >= MIDDLE_C - 7 else "bass"
        name = piece.parts[i].name
        if hands:  # a pianist reads the right hand in treble and the left in bass, wherever they wander
            which = "treble" if i == pitched[0] else "bass"
        elif (name or "").lower() in BASS_NAMES:  # a bass voice reads bass clef, even when it sits high
            which = "bass"
        plan.append((own, which, part_name(name, lang) if name else say("plot.part", lang, n=i + 1), i))
    return plan


def piece_to_stream(piece: Piece, title: str | None = None, lang: str | None = None):
    """A music21 Score for ``piece``: one staff per part (a single piano part on a grand staff split
    at middle C), in its time signatures and estimated key, quantized to sixteenths and triplets,
    with the tempo as a metronome mark. Its words are in the reader's language ``lang`` (None:
    English): the title (by default the piece's name in words), the parts' names, the marks over
    the staff. In an accompaniment a given part's name says so ("Soprano (given)")."""
    from music21 import clef, layout, metadata, note, stream, tempo

    notes = _checked_notes(piece)
    rows = notes.copy()
    if len(rows):
        rows[:, START] = _snap(np.maximum(rows[:, START], 0.0))
        rows[:, DURATION] = _snap(rows[:, DURATION], minimum=True)
        rows[:, PITCH] = np.clip(np.rint(rows[:, PITCH]), 0, 127)
        rows[:, VELOCITY] = np.clip(np.rint(rows[:, VELOCITY]), 1, 127)

    score = stream.Score()
    score.metadata = metadata.Metadata()
    score.metadata.title = title if title is not None else piece_title(piece.name, lang)
    score.metadata.composer = "musegen"  # else music21 signs the score "Music21"
    mark = tempo.MetronomeMark(number=round(float(piece.tempo), 2), referent=1.0)
    sharps, _ = piece_key(piece)
    given = getattr(piece, "given_parts", None) or ()
    plan = [(own, which, _fits(say("score.given_part", lang, part=name)) if at in given else name, at in given)
            for own, which, name, at in _staves_plan(piece, rows, lang)]
    grand = len(plan) == 2 and _is_grand(piece)
    if len(plan) == 2 and not len(piece.parts) > 1:  # one part: drop an empty half of the grand staff
        plan = [s for s in plan if len(s[0])] or plan[:1]
        grand = len(plan) == 2
    staves = []
    for i, (own, which, name, marked) in enumerate(plan):
        clef_ = {"treble": clef.TrebleClef, "tenor": clef.Treble8vbClef, "bass": clef.BassClef}[which]()
        staves.append(_staff(own, clef_, f"P{i + 1}", sharps, piece.time_signatures, mark if i == 0 else None,
                             "" if grand and not marked else name))  # a given hand is named on the grand staff
    if piece.takeover:
        _mark_words(staves[0], piece.takeover, say("score.takeover", lang))
    if getattr(piece, "rewritten", None):
        _mark_words(staves[0], piece.rewritten[0], say("score.new_bars", lang))
        _mark_words(staves[0], piece.rewritten[1], say("score.kept_again", lang))
    # Every staff as long as the longest, so the system closes together.
    n_measures = max(len(p.getElementsByClass(stream.Measure)) for p in staves)
    for p in staves:
        measures = p.getElementsByClass(stream.Measure)
        bar = measures[-1].barDuration.quarterLength if len(measures) else 4.0
        for i in range(len(measures), n_measures):
            m = stream.Measure(number=i + 1)
            m.append(note.Rest(quarterLength=bar))
            p.append(m)
    for p in staves:
        score.insert(0, p)
    if grand:
        pitched = [p for p in piece.parts if not p.is_drum]
        one = pitched[0].name if len(pitched) == 1 and pitched[0].name else "Piano"  # not "Right hand"
        name = part_name(one, lang)
        score.insert(0, layout.StaffGroup(staves, name=name, symbol="brace", barTogether=True))
    return score


def _fits(name: str) -> str:
    """A staff's name as verovio lays it out: it measures a Chinese character at about half its
    width, so a long Chinese name ("旋律（给定）") would run off the page's left edge; no-break
    spaces before it (unseen: names are right-aligned) make up the difference."""
    import unicodedata

    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in name)
    return "\u00a0" * round(wide * 0.85) + name if wide > 3 else name


def _mark_words(part, at: float, text: str) -> None:
    """Words over the top staff at quarter ``at``: where a continuation's model takes over, where
    bars written again begin and end."""
    from music21 import expressions, stream

    for measure in part.getElementsByClass(stream.Measure):
        if measure.offset <= at < measure.offset + measure.barDuration.quarterLength:
            words = expressions.TextExpression(text)
            words.style.fontStyle = "italic"
            measure.insert(float(_ql(at - measure.offset)), words)
            return


def piece_to_musicxml(piece: Piece, title: str | None = None, lang: str | None = None) -> str:
    """MusicXML text for ``piece``, its words in ``lang`` (see :func:`piece_to_stream`)."""
    from music21.musicxml import m21ToXml

    def export(one: Piece) -> str:
        data = m21ToXml.GeneralObjectExporter(piece_to_stream(one, title, lang)).parse()
        return data.decode("utf-8") if isinstance(data, bytes) else data

    try:
        return export(piece)
    except Exception as exc:  # music21 raises many kinds on odd input
        error = exc
    if len(piece.time_signatures) > 1:
        # music21 cannot always notate a metre that changes every few bars (an untrained model's
        # habit): the score in the opening metre still shows the notes; the MIDI keeps every change.
        one_metre = piece.with_notes(piece.notes)
        one_metre.time_signatures = piece.time_signatures[:1]
        try:
            return export(one_metre)
        except Exception:
            pass
    raise MusegenError(msg("said.musicxml_failed", name=piece.name, error=str(error))) from error


def write_musicxml(piece: Piece, path: str | os.PathLike, title: str | None = None) -> Path:
    """Write ``piece`` as an uncompressed MusicXML file (atomically)."""
    return atomic_write(path, piece_to_musicxml(piece, title))


# ---------------------------------------------------------------- engraving


def score_svg(musicxml: str, page_width: int = 1900, page_height: int = 2970, scale: int = 40) -> list[str]:
    """Engrave MusicXML with verovio; one SVG string per page, 760 px wide (page_width × scale %):
    the width of the app's score frame on a laptop, so that a system's last bar is not cut off."""
    try:
        import verovio
    except ImportError as exc:
        raise MusegenError(msg("said.no_verovio")) from exc
    if hasattr(verovio, "enableLog"):
        verovio.enableLog(verovio.LOG_ERROR)  # not its import warnings on every render
    # The default resource path only reaches the thread that first imported verovio; Streamlit runs
    # each script run in a new thread, so give every toolkit the path (and its fonts) explicitly.
    from importlib.resources import files

    tk = verovio.toolkit(False)
    tk.setResourcePath(str(files("verovio") / "data"))
    tk.setOptions({
        "pageWidth": page_width,
        "pageHeight": page_height,
        "scale": scale,
        "adjustPageHeight": True,
        "breaks": "auto",
        "footer": "none",
    })
    if not tk.loadData(musicxml):
        raise MusegenError(msg("said.verovio_unreadable"))
    return [tk.renderToSVG(i) for i in range(1, tk.getPageCount() + 1)]
