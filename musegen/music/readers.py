"""One file → one Piece: MIDI through symusic, MusicXML / ABC / Humdrum through music21.

Each reader refuses what it cannot use with a short reason a person can read (``Refused``), and
checks the cheap limits first: size before parsing, the tempo map's duration before notes.
"""
from __future__ import annotations

import io
import os
import posixpath
import re
import zipfile

import numpy as np

from ..config import Limits
from ..errors import InputError
from ..messages import Message, msg, plural
from .piece import Part, Piece
from ..units import duration, size

MIDI_EXTENSIONS = (".mid", ".midi")
SCORE_EXTENSIONS = (".xml", ".musicxml", ".mxl", ".abc", ".krn")
MUSIC_EXTENSIONS = MIDI_EXTENSIONS + SCORE_EXTENSIONS

DEFAULT_MIDI_TEMPO = 120.0  # MIDI's own default when a file has no tempo event
DEFAULT_SCORE_TEMPO = 100.0  # a hymn-like pace for scores without a metronome mark
DEFAULT_VELOCITY = 80
# A piece's tempo must lie in this range (beats per minute). A 1-microsecond beat (60,000,000 BPM)
# is no music: its notes collapse into microseconds and break timing and tempo tokens later.
MIN_BPM, MAX_BPM = 10.0, 1000.0
# The numbers an ABC tune's meter (M:) and unit note length (L:) may hold, checked before music21
# reads it: M:999999/1 took music21 minutes and gigabytes (M:1000/1 50 s, M:64/1 under a second).
# music21's corpus of 1,146 ABC files goes up to 12/8 and 1/32.
ABC_FIELD_MOST = {"M": 64, "L": 512}
_ABC_FIELD = re.compile(r"(?:^|\[)([ML]):([^\]\n%]*)", re.MULTILINE)  # a header line, or inline [M:3/4]


class Refused(InputError):
    """A file we refuse; ``reason`` is the short Message that goes in its FileReport ("no notes");
    with ``name`` the error says "name: reason"."""

    def __init__(self, reason: Message | str, name: str = ""):
        super().__init__(msg("said.file_reason", name=name, reason=reason) if name else reason)
        self.reason = reason


def check_size(nbytes: int, limits: Limits) -> None:
    if nbytes == 0:
        raise Refused(msg("said.r_empty"))
    if limits.max_file_bytes and nbytes > limits.max_file_bytes:
        raise Refused(msg("said.r_too_large", size=size(nbytes), limit=size(limits.max_file_bytes)))


def check_score_size(nbytes: int, limits: Limits, unpacked: bool = False) -> None:
    cap = limits.max_score_bytes
    if cap and nbytes > cap:
        raise Refused(msg("said.r_score_unpacked" if unpacked else "said.r_score", size=size(nbytes), limit=size(cap)))


def _check_content(n_notes: int, seconds: float, limits: Limits) -> None:
    if limits.max_notes and n_notes > limits.max_notes:
        raise Refused(msg("said.r_many_notes", n=f"{n_notes:,}", limit=f"{limits.max_notes:,}"))
    if limits.max_seconds and seconds > limits.max_seconds:
        raise Refused(msg("said.r_too_long", length=duration(seconds, rough=True),
                          limit=duration(limits.max_seconds, rough=True)))


def _check_tempo(bpm: float) -> None:
    if not MIN_BPM <= bpm <= MAX_BPM:
        shown = f"{bpm:,.1f}".removesuffix(".0") if bpm >= 1 else f"{bpm:.3g}"
        raise Refused(msg("said.r_tempo", bpm=shown, low=f"{MIN_BPM:g}", high=f"{MAX_BPM:g}"))


def short_error(error: BaseException, limit: int = 120) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    for noise in ("MiniMidi: ", ": iostream error"):
        text = text.replace(noise, "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def zip_problem(error: BaseException, source, limit: int = 60):
    """Why zipfile refused ``source`` (bytes, a path or an open file), for a message: "not a zip
    file" as a code where it holds no zip at all (zipfile.is_zipfile finds no end record: what
    zipfile says in those words), else zipfile's own words, shortened."""
    if isinstance(error, zipfile.BadZipFile):
        if not zipfile.is_zipfile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source):
            return msg("said.not_zip")
    return short_error(error, limit)


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------


def _kind(name: str, data: bytes) -> str:
    if data[:4] == b"MThd":
        return "midi"
    ext = os.path.splitext(name)[1].lower()
    if ext in MIDI_EXTENSIONS:
        if data[:4] == b"RIFF":  # RMID: a standard MIDI file wrapped in a RIFF chunk
            return "midi"
        raise Refused(msg("said.r_not_midi", ext=ext))
    if ext in SCORE_EXTENSIONS:
        return ext[1:]
    raise Refused(msg("said.r_not_music", ext=ext or msg("said.r_no_extension")))


def parse_part_indices(parts: str) -> list[int] | None:
    if parts in ("auto", "all", "piano"):
        return None
    try:
        indices = [int(x) for x in parts.replace(" ", "").split(",") if x != ""]
    except ValueError:
        raise InputError(msg("said.unknown_parts", parts=repr(parts))) from None
    if not indices or min(indices) < 0:
        raise InputError(msg("said.part_numbers", parts=repr(parts)))
    return indices


def _select(parts: str, tracks: list[tuple[bool, bool, int]], drums: bool = False) -> list[int]:
    """Choose part indices. ``tracks``: (is_drum, is_piano, n_notes) per part, in file order.
    ``drums``: "all" keeps drum parts too (a drum track beside the pitched ones)."""
    pitched = [i for i, (drum, _, n) in enumerate(tracks) if not drum and n > 0]
    if not any(n for _, _, n in tracks):
        raise Refused(msg("said.r_no_notes"))
    if not pitched:
        raise Refused(msg("said.r_drums"))
    piano = [i for i in pitched if tracks[i][1]]
    if parts == "auto":
        return piano or pitched
    if parts == "all":
        return [i for i, (drum, _, n) in enumerate(tracks) if n > 0 and (drums or not drum)]
    if parts == "piano":
        if not piano:
            raise Refused(msg("said.r_no_piano"))
        return piano
    wanted = parse_part_indices(parts) or []
    chosen = [i for i in wanted if i < len(tracks) and i in pitched]
    if not chosen:
        raise Refused(plural("said.r_no_notes_parts", len(tracks), parts=parts, n=len(tracks)))
    return chosen


def _read_midi(name: str, data: bytes, parts: str, limits: Limits, drums: bool = False) -> Piece:
    import symusic

    if data[:4] == b"RIFF" and b"MThd" in data:  # RMID wrapper
        data = data[data.index(b"MThd"):]
    try:
        score = symusic.Score.from_midi(data)
    except MemoryError:
        raise  # past a parse worker's memory limit: said by the worker, not blamed on the file's bytes
    except Exception as e:  # symusic raises RuntimeError for corrupt data
        raise Refused(msg("said.r_corrupt", error=short_error(e, 80))) from None
    tracks = list(score.tracks)
    n_total = sum(len(t.notes) for t in tracks)
    if n_total == 0:
        raise Refused(msg("said.r_no_notes"))
    # Real length from the tempo map, before any note array exists: a 44-byte file can claim years.
    seconds = float(score.to("second").end())
    _check_content(n_total, seconds, limits)

    def is_piano(t) -> bool:
        return 0 <= t.program <= 7 or "piano" in (t.name or "").lower()

    tempo = float(score.tempos[0].qpm) if len(score.tempos) else DEFAULT_MIDI_TEMPO
    if not (tempo > 0 and np.isfinite(tempo)):  # a zero-length beat: no tempo at all, so MIDI's default
        tempo = DEFAULT_MIDI_TEMPO
    _check_tempo(tempo)

    chosen = _select(parts, [(t.is_drum, is_piano(t), len(t.notes)) for t in tracks], drums)
    quarter = score.to("quarter")
    columns, kept_parts = [], []
    for i in chosen:
        arr = quarter.tracks[i].notes.numpy()
        rows = np.column_stack([arr["time"], arr["duration"], arr["pitch"], arr["velocity"],
                                np.full(len(arr["time"]), len(kept_parts))]).astype(np.float64)
        rows = rows[rows[:, 1] > 0]
        if len(rows):
            columns.append(rows)
            track = tracks[i]
            kept_parts.append(Part(name=(track.name or "").strip()[:40], program=int(track.program),
                                   is_drum=bool(track.is_drum)))
    if not columns:
        raise Refused(msg("said.r_no_notes"))
    signatures = [(float(ts.time), int(ts.numerator), int(ts.denominator)) for ts in quarter.time_signatures
                  if ts.numerator > 0 and ts.denominator > 0]
    signatures = _signature_changes(signatures)
    keys = list(score.key_signatures)
    return Piece(file_stem(name), np.concatenate(columns), tempo=tempo, parts=kept_parts,
                 time_signatures=signatures, key_sharps=int(keys[0].key) if keys else None)


def _signature_changes(signatures: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """Sorted changes, repeats dropped, the first moved to 0 (4/4 when the file gives none)."""
    changes: list[tuple[float, int, int]] = []
    for at, num, den in sorted(signatures):
        if not changes or changes[-1][1:] != (num, den):
            changes.append((at, num, den))
    if not changes:
        return [(0.0, 4, 4)]
    changes[0] = (0.0, *changes[0][1:])
    return changes


def _check_abc_fields(text: str) -> None:
    """Refuse an ABC file whose meter or unit note length is absurd, before music21 spends minutes on it."""
    for match in _ABC_FIELD.finditer(text):
        field, value = match.group(1), match.group(2).strip()
        most = ABC_FIELD_MOST[field]
        if any(len(n) > 6 or int(n) > most for n in re.findall(r"\d+", value)):
            shown = value if len(value) <= 20 else value[:19] + "…"
            raise Refused(msg("said.r_abc_field", field=f"{field}:{shown}", most=most))


def _decode_text(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _mxl_to_xml(data: bytes, limits: Limits) -> bytes:
    """The score inside a compressed MusicXML (.mxl) archive, read in memory with bomb guards."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = {i.filename: i for i in z.infolist() if not i.is_dir()}
            root = None
            if "META-INF/container.xml" in infos:
                import xml.etree.ElementTree as ET

                container = ET.fromstring(_read_member(z, infos["META-INF/container.xml"], limits))
                for el in container.iter():
                    if el.tag.endswith("rootfile") and el.get("full-path"):
                        root = el.get("full-path")
                        break
            if root not in infos:
                xmls = sorted(n for n in infos if n.lower().endswith((".xml", ".musicxml"))
                              and not n.startswith("META-INF/"))
                root = xmls[0] if xmls else None
            if root is None:
                raise Refused(msg("said.r_parse", error=msg("said.r_no_mxl_score")))
            return _read_member(z, infos[root], limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as e:
        raise Refused(msg("said.r_parse", error=msg("said.r_damaged_mxl", error=zip_problem(e, data)))) from None


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """One member of an .mxl, its size checked against the score limit from the archive's index
    before anything is inflated (container.xml as much as the score: a 780 kB one once unpacked to
    2.37 GB). zipfile stops at the size the index declares, so a lying header gains nothing."""
    check_score_size(info.file_size, limits, unpacked=True)
    return z.read(info)


def _read_score(name: str, data: bytes, kind: str, parts: str, limits: Limits, drums: bool = False) -> Piece:
    from music21 import key

    scores = _parse_score(data, kind, limits)
    bpm = _score_tempo(scores[0])
    info = _part_info(_part_list(scores[0]))
    chosen = [i for i in _select(parts, [(d, pi, n) for d, pi, n, _, _ in info], drums) if not info[i][0]]
    rows, signatures = _score_rows(scores, chosen)
    if not rows:
        raise Refused(msg("said.r_no_notes"))
    notes = np.asarray(rows, dtype=np.float64)
    seconds = float((notes[:, 0] + notes[:, 1]).max()) * 60.0 / bpm
    _check_content(len(notes), seconds, limits)
    _check_tempo(bpm)
    keys = list(scores[0].recurse().getElementsByClass(key.KeySignature))
    kept = [Part(name=str(info[i][3].partName or "").strip()[:40], program=_program(info[i][4])) for i in chosen]
    return Piece(file_stem(name), notes, tempo=bpm, parts=kept, time_signatures=_signature_changes(signatures),
                 key_sharps=int(keys[0].sharps) if keys else None)


def _parse_score(data: bytes, kind: str, limits: Limits) -> list:
    """The file's tunes as music21 scores (an ABC book holds several), once its size and ABC header pass."""
    from music21 import converter, stream

    fmt = {"xml": "musicxml", "musicxml": "musicxml", "mxl": "musicxml", "abc": "abc", "krn": "humdrum"}[kind]
    raw = _mxl_to_xml(data, limits) if kind == "mxl" else data
    check_score_size(len(raw), limits)
    score_text = _decode_text(raw)
    if fmt == "abc":
        _check_abc_fields(score_text)
    try:
        parsed = converter.parseData(score_text, format=fmt)
    except MemoryError:
        raise  # past a parse worker's memory limit: said by the worker
    except Exception as e:  # music21 raises many kinds; the file is at fault
        raise Refused(msg("said.r_parse", error=short_error(e))) from None

    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    if not scores:
        raise Refused(msg("said.r_no_notes"))
    return scores


def _score_tempo(score) -> float:
    """The first tune's first metronome mark, in quarters per minute (DEFAULT_SCORE_TEMPO without one)."""
    from music21 import tempo as m21tempo

    for mark in score.recurse().getElementsByClass(m21tempo.MetronomeMark):
        q = mark.getQuarterBPM()
        if q and q > 0:
            return float(q)
    return DEFAULT_SCORE_TEMPO


def _part_list(s):
    ps = list(s.parts) if hasattr(s, "parts") else []
    return ps or [s]


def _part_info(first_parts) -> list[list]:
    """Each part of the first tune as ``[drums, piano, pitched notes, part, instrument]``, for _select."""
    from music21 import instrument

    info = []
    for p in first_parts:
        inst = p.getInstrument(returnDefault=False)
        label = " ".join(
            str(x) for x in (p.partName, getattr(inst, "instrumentName", None), getattr(inst, "partName", None)) if x
        )
        drum = isinstance(inst, instrument.UnpitchedPercussion)
        info.append([drum, "piano" in label.lower(), 0, p, inst])
    for row in info:
        row[2] = sum(1 for n in row[3].recurse().notes if not getattr(n, "isUnpitched", False))
    return info


def _score_rows(scores: list, chosen: list[int]) -> tuple[list[tuple[float, float, float, float, float]],
                                                          list[tuple[float, int, int]]]:
    """The chosen parts' notes as rows (onset, length, pitch, velocity, part) and the time signatures.
    Several tunes in one file (ABC books): played one after another."""
    from music21 import harmony, meter

    rows: list[tuple[float, float, float, float, float]] = []
    signatures: list[tuple[float, int, int]] = []
    shift = 0.0  # onset of the current tune when a file holds several
    for s in scores:
        ps = _part_list(s)
        pickup = _pickup(ps[chosen[0]] if chosen[0] < len(ps) else ps[0])
        start_of_tune = shift + pickup  # a pickup bar starts with a rest, so bar lines fall on the grid
        end = float(s.highestTime) + pickup
        for ts in ps[0].recurse().getElementsByClass(meter.TimeSignature):
            at = float(ts.getOffsetInHierarchy(ps[0])) + pickup if ts.getOffsetInHierarchy(ps[0]) else 0.0
            signatures.append((shift + at, int(ts.numerator), int(ts.denominator)))
        for part_index, i in enumerate(chosen):
            if i >= len(ps):
                continue
            ps[i].stripTies(inPlace=True)  # tied notes become one long note
            for el in ps[i].flatten().notes:
                ql = float(el.duration.quarterLength)
                if ql <= 0 or el.duration.isGrace or isinstance(el, harmony.Harmony):  # chord symbols
                    continue
                start = float(el.offset)
                end = max(end, pickup + start + ql)
                vel = el.volume.velocity if el.volume is not None and el.volume.velocity else DEFAULT_VELOCITY
                for p in getattr(el, "pitches", ()):  # a chord gives one row per pitch
                    rows.append((start_of_tune + start, ql, float(p.midi), float(vel), float(part_index)))
        shift += end
    return rows, signatures


def _pickup(part) -> float:
    """Quarters missing from an opening pickup (anacrusis) bar, 0 when the piece starts on a bar line."""
    from music21 import stream

    measures = part.getElementsByClass(stream.Measure)
    if not len(measures):
        return 0.0
    first = measures[0]
    if first.paddingLeft:
        return float(first.paddingLeft)
    bar = first.barDuration.quarterLength if first.timeSignature or first.getContextByClass("TimeSignature") else 0
    return float(bar - first.duration.quarterLength) if first.number == 0 and bar > first.duration.quarterLength else 0.0


def _program(inst) -> int:
    """A score part's General MIDI program; 0 (piano) when the score does not say."""
    program = getattr(inst, "midiProgram", None)
    return int(program) if program is not None and 0 <= program <= 127 else 0


def file_stem(name: str) -> str:
    return posixpath.basename(name.replace("\\", "/"))


def read_file_bytes(name: str, data: bytes, parts: str = "all", limits: Limits | None = None,
                    drums: bool = True) -> Piece:
    """Parse one file's bytes into a Piece; raise InputError saying why when it cannot be used.

    ``name`` supplies the extension (``.mid``, ``.mxl``, ``.abc``, ``.krn``…); bytes starting with
    ``MThd`` are MIDI whatever the name. ``parts``: all | auto | piano | indices like ``0,2``;
    ``drums``: with "all", keep drum tracks as drum parts.
    The error's ``reason`` attribute holds the short Message used in a FileReport.
    """
    limits = limits or Limits()
    parse_part_indices(parts)  # a bad setting is the user's, not the file's: raise it plainly
    try:
        check_size(len(data), limits)
        kind = _kind(name, data)
        if kind == "midi":
            return _read_midi(name, data, parts, limits, drums)
        return _read_score(name, data, kind, parts, limits, drums)
    except Refused as e:
        raise Refused(e.reason, name) from None
