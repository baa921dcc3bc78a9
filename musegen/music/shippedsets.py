"""The built-in datasets pre-parsed, shipped in ``assets/datasets/NAME-KEY.npz``: one compressed
``.npz`` per set, named by its whole-set key (``cachekeys.dataset_key``), so other settings, corpus
files or parser versions miss it and parse as usual. ``MUSEGEN_SHIPPED_CACHE=0`` ignores them (to
time or test a cold parse). ``python -m musegen.music.ship`` (``make datasets``) rebuilds them."""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from ..files import atomic_path
from ..messages import from_json
from ..paths import SHIPPED_DATASETS
from .corpus import BUILTIN
from .piece import N_COLUMNS, Part, Piece
from .report import FileReport, music_of

SHIPPED_DIR = SHIPPED_DATASETS  # pre-parsed built-in sets (tests point it elsewhere)
SHIPPED_ENV = "MUSEGEN_SHIPPED_CACHE"  # "0": ignore SHIPPED_DIR


def shipped_path(source, key: str) -> Path | None:
    """Where a built-in dataset's pre-parsed cache for this key would be shipped."""
    if os.environ.get(SHIPPED_ENV, "").strip() == "0":
        return None
    if not isinstance(source, (str, Path)) or str(source) not in BUILTIN:
        return None
    return SHIPPED_DIR / f"{source}-{key[:32]}.npz"


def save_shipped(path: Path, pieces: list[Piece], report: list[FileReport]) -> None:
    """A whole dataset in one compressed .npz (the shipped built-in sets)."""
    notes = np.concatenate([p.notes for p in pieces]) if pieces else np.zeros((0, N_COLUMNS))
    offsets = np.cumsum([0] + [p.n_notes for p in pieces]).astype(np.int64)
    meta = json.dumps({"names": [p.name for p in pieces], "report": [dataclasses.asdict(r) for r in report],
                       "parts": [[part.as_dict() for part in p.parts] for p in pieces],
                       "time_signatures": [p.time_signatures for p in pieces],
                       "keys": [p.key_sharps for p in pieces]})
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(  # a tenth of the size; reading it back costs milliseconds more
            tmp,
            columns=np.ascontiguousarray(notes.astype(np.float64).T),  # by column: compresses to half
            offsets=offsets,
            tempos=np.asarray([p.tempo for p in pieces], dtype=np.float64),
            meta=np.asarray(meta),
        )


def load_shipped(path: Path | None) -> tuple[list[Piece], list[FileReport]] | None:
    """The pieces and report of a shipped set at ``path``; None when missing or unreadable (parse again)."""
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            notes, offsets = np.ascontiguousarray(z["columns"].T), z["offsets"]
            tempos = z["tempos"]
            meta = json.loads(str(z["meta"]))
        pieces = [
            Piece(name, notes[offsets[i] : offsets[i + 1]], tempo=float(tempos[i]),
                  parts=[Part(**part) for part in meta["parts"][i]], time_signatures=meta["time_signatures"][i],
                  key_sharps=meta["keys"][i])
            for i, name in enumerate(meta["names"])
        ]
        by_name = {p.name: p for p in pieces}  # a set shipped before reports kept metre, key and tempo: its pieces know
        report = [FileReport(**{**music_of(by_name.get(r["name"])), **r, "reason": from_json(r["reason"])})
                  for r in meta["report"]]
    except Exception:  # half-written by an older version, or damaged, down to its JSON
        return None
    return pieces, report
