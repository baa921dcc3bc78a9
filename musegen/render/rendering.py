"""A generated piece made ready to see, hear and download: MIDI, MusicXML and score pages, audio,
and the notes that say what could not be made.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import AudioError, MusegenError
from ..files import safe_name
from ..messages import Message, msg
from ..music.piece import Piece

@dataclass
class Rendered:
    """A generated piece made ready to see, hear and download; each part is best-effort."""

    piece: Piece
    midi: bytes
    musicxml: str | None = None
    svg: list[str] = field(default_factory=list)
    audio: bytes | None = None
    notes: list = field(default_factory=list)  # what could not be made, for a person: Messages (str: stored before)
    warning: Message | str | None = None  # collapse warning (remarks.collapse_message)
    settings: dict = field(default_factory=dict)
    tokens_per_s: float = 0.0
    run: str = ""
    score_lang: str = "en"  # the language its score's part names were engraved in


def render_piece(piece: Piece, audio: bool = True, score: bool = True, max_seconds: float = 120.0,
                 max_score_pages: int = 2) -> Rendered:
    from .audio import check_audio, render_bytes
    from .midi import piece_to_midi_bytes

    out = Rendered(piece, piece_to_midi_bytes(piece))
    problem = check_audio() if audio else None
    if problem:
        out.notes.append(msg("said.no_audio", problem=problem))
    with ThreadPoolExecutor(max_workers=1) as pool:
        # FluidSynth and sox run as processes: the score is engraved while they work.
        sound = pool.submit(render_bytes, out.midi, fmt="ogg", max_seconds=max_seconds) if audio and not problem else None
        if score:
            engrave(out, max_score_pages)
        if sound is not None:
            try:
                out.audio = sound.result()
            except AudioError as e:
                out.notes.append(msg("said.no_audio", problem=e.message))
    return out


def engrave(out: Rendered, max_pages: int = 2, lang: str = "en") -> Rendered:
    """Fill in the MusicXML and score pages of a Rendered (once; a no-op when already tried), its
    title, parts' names and marks in the reader's language ``lang``."""
    from .midi import piece_to_musicxml, score_svg
    from .words import piece_title

    if out.musicxml is not None or any(_no_score(n) for n in out.notes):
        return out
    out.score_lang = lang
    try:
        title = piece_title(out.piece.name, lang, variations=out.settings.get("variations"))
        out.musicxml = piece_to_musicxml(out.piece, title=title, lang=lang)
        out.svg = score_svg(out.musicxml)[:max_pages]
    except MusegenError as e:
        out.notes.append(msg("said.no_score", error=e.message))
    except Exception as e:  # noqa: BLE001 — music21/verovio can fail on odd rhythms; the rest still works
        out.notes.append(msg("said.engraving_failed", error=type(e).__name__))
    return out


def _no_score(note) -> bool:
    """A note that says the score could not be made (engraving is tried once; a piece kept before
    notes were codes, whose English is not read back, is tried once more)."""
    return isinstance(note, Message) and note.code in ("said.no_score", "said.engraving_failed")


def download_name(rendered) -> str:
    """A file name that says what the piece is and never collides: run, seed and variation, whole."""
    return safe_name(rendered.piece.name.lower(), limit=120, empty="music")


def wav_of(rendered) -> bytes:
    """The piece as WAV, rendered when the person asks for it (the app keeps OGG, a tenth the size)."""
    from .audio import render_bytes

    return render_bytes(rendered.midi, fmt="wav", max_seconds=rendered.piece.seconds + 2)
