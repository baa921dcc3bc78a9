"""The broad base model: every part layout a user brings, learned from the music this install has.

A user fine-tunes for minutes, so the model they start from must already know music in *their*
layout: a single line, a melody over an accompaniment, two hands, four or five voices, a few
instruments. music21's corpus (offline) is mostly one layout per collection — chorales in four
voices, masses in four to six, fiddle tunes and folk songs as one line — so the base derives the
others from the polyphony, one layout per piece, drawn with a fixed seed:

- *voices*: the piece as written (three to eight parts);
- *melody and accompaniment*: the top voice over every other voice merged into one chord part;
- *two hands*: the upper voices in one part, the lower in another (a keyboard reduction);
- *melody*: the top voice alone.

Every part gets a General MIDI instrument drawn at random (a piano often, else any pitched one),
since the corpus names none and a user's MIDI names many: the base learns that an instrument is a
label, not the music. Keys move on the fly (transposition ±5 while training). Whole collections
are held out (``HELD_OUT``) so the transfer benchmark measures music the base never saw.

Rebuild with ``make models`` (``python -m musegen.train.bundled base``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import DataConfig, Limits
from ..music.piece import PART, PITCH, START, Part, Piece

BASE_DATASET = "base"  # the label its runs carry as their dataset
# Collections of music21's corpus, by folder (``corpus.BUILTIN`` names the built-in ones).
BASE_BUILTIN = ("bach", "folk", "palestrina", "monteverdi")
BASE_FOLDERS = {"trecento": (".xml", ".mxl"), "essenFolksong": (".abc",), "airdsAirs": (".abc",),
                "josquin": (".abc",)}
# Never in the base: the transfer benchmark's sets (a jig book; string quartets, whose first violin
# over the others is a melody with an accompaniment, and whose upper and lower pairs are two hands).
HELD_OUT = ("oneills1850", "mozart", "haydn", "beethoven")
PALESTRINA_SHARE = 2  # every 2nd mass movement: 1,318 would outweigh everything else together

LAYOUT_WEIGHTS = {"voices": 0.35, "melody+accompaniment": 0.35, "two hands": 0.2, "melody": 0.1}
PIANO_SHARE = 0.35  # parts on a piano; the rest on any pitched General MIDI instrument (0-111)
# The corpus's ABC books hold hundreds of tunes a file, read one after another; scores can be long.
# The corpus is trusted and read offline: no shared reading time for its hundreds of tunes.
BASE_LIMITS = Limits(max_notes=1_000_000, max_seconds=1e6, max_parse_seconds=0, max_score_bytes=20_000_000,
                     max_file_bytes=20_000_000, max_upload_parse_seconds=0)


def regroup(piece: Piece, groups: list[list[int]], names: list[str]) -> Piece:
    """The piece with its parts merged into ``groups`` (lists of old part indices, top first);
    parts in no group are left out."""
    notes, new_part = [], {}
    for g, group in enumerate(groups):
        for old in group:
            new_part[old] = g
    keep = np.isin(piece.notes[:, PART], list(new_part))
    notes = piece.notes[keep].copy()
    notes[:, PART] = [new_part[int(p)] for p in notes[:, PART]]
    return Piece(piece.name, notes, piece.tempo, parts=[Part(name=n) for n in names],
                 time_signatures=piece.time_signatures, key_sharps=piece.key_sharps)


def _by_height(piece: Piece) -> list[int]:
    """Part indices from the highest sounding to the lowest (by mean pitch), silent parts left out."""
    sounding = [i for i in range(len(piece.parts)) if len(piece.part_notes(i))]
    return sorted(sounding, key=lambda i: -piece.part_notes(i)[:, PITCH].mean())


def layout(piece: Piece, kind: str) -> Piece:
    order = _by_height(piece)
    if len(order) < 2 or kind == "voices":
        return piece
    if kind == "melody":
        return regroup(piece, [order[:1]], ["Melody"])
    if kind == "melody+accompaniment":
        return regroup(piece, [order[:1], order[1:]], ["Melody", "Accompaniment"])
    half = (len(order) + 1) // 2
    return regroup(piece, [order[:half], order[half:]], ["Right hand", "Left hand"])


def with_instruments(piece: Piece, rng: np.random.Generator) -> Piece:
    """One instrument for every part (as a choir or a piano would), or one each, drawn at random."""
    def draw() -> int:
        return 0 if rng.random() < PIANO_SHARE else int(rng.integers(0, 112))

    same = rng.random() < 0.5
    first = draw()
    parts = [Part(name=p.name, program=first if same else draw()) for p in piece.parts]
    return Piece(piece.name, piece.notes, piece.tempo, parts=parts, time_signatures=piece.time_signatures,
                 key_sharps=piece.key_sharps)


def base_layouts(pieces, seed: int = 1) -> list[Piece]:
    """Each piece in one layout, drawn with ``seed``: the base's training music."""
    rng = np.random.default_rng(seed)
    kinds, weights = list(LAYOUT_WEIGHTS), np.array(list(LAYOUT_WEIGHTS.values()))
    out = []
    for piece in pieces:
        if not piece.n_notes:
            continue
        kind = kinds[rng.choice(len(kinds), p=weights / weights.sum())]
        out.append(with_instruments(layout(piece, kind), rng))
    return out


def corpus_folder_files(folder: str, extensions: tuple[str, ...]) -> list[Path]:
    from ..music.corpus import corpus_root

    root = corpus_root() / folder
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(extensions))


def load_base_music(progress=None, seed: int = 1):
    """The base's music as a ``LoadResult``: every collection but the held-out ones, each
    piece in one drawn layout."""
    from ..music.report import LoadResult
    from ..music.sources import load_pieces

    pieces, report = [], []
    for name in BASE_BUILTIN:
        loaded = load_pieces(name, DataConfig(dataset=name))
        chosen = list(loaded.pieces)
        if name == "palestrina":
            chosen = chosen[::PALESTRINA_SHARE]
        pieces += chosen
        report += loaded.report
        if progress:
            progress(f"{name}: {len(chosen)} pieces")
    for folder, extensions in BASE_FOLDERS.items():
        files = corpus_folder_files(folder, extensions)
        loaded = load_pieces(files, DataConfig(dataset=folder, limits=BASE_LIMITS))
        pieces += list(loaded.pieces)
        report += loaded.report
        if progress:
            progress(f"{folder}: {len(loaded.pieces)} pieces")
    return LoadResult(base_layouts(pieces, seed), report, BASE_DATASET)
