"""The built-in datasets: collections of music21's bundled corpus, found offline, parsed nowhere here."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuiltinDataset:
    name: str
    title: str
    description: str
    composer_dir: str  # folder inside music21's corpus
    extensions: tuple[str, ...]  # file endings kept
    chorales_only: bool = False  # bach: only the 371 Riemenschneider chorales

    def files(self) -> list[Path]:
        """The corpus files of this dataset, sorted by name (no parsing)."""
        root = corpus_root() / self.composer_dir
        if not root.is_dir():
            return []
        if self.chorales_only:
            return _bach_chorale_files(root)
        return sorted(
            (p for p in root.iterdir() if p.is_file() and p.name.lower().endswith(self.extensions)),
            key=lambda p: p.name,
        )


BUILTIN: dict[str, BuiltinDataset] = {
    d.name: d
    for d in [
        BuiltinDataset(
            "bach",
            "Bach chorales",
            "The 371 four-part chorales harmonised by J. S. Bach (MusicXML, music21 corpus).",
            "bach",
            (".mxl", ".xml"),
            chorales_only=True,
        ),
        BuiltinDataset(
            "folk",
            "Folk tunes (Ryan's Mammoth Collection)",
            "Fiddle tunes from Ryan's Mammoth Collection (1883): reels, jigs, hornpipes; "
            "one melody per ABC file.",
            "ryansMammoth",
            (".abc",),
        ),
        BuiltinDataset(
            "palestrina",
            "Palestrina masses",
            "Renaissance polyphony by Palestrina (Humdrum .krn). Large and slow to parse the "
            "first time; cached afterwards.",
            "palestrina",
            (".krn",),
        ),
        BuiltinDataset(
            "monteverdi",
            "Monteverdi madrigals",
            "Five-voice madrigals by Monteverdi, books 3 to 5 (MusicXML).",
            "monteverdi",
            (".mxl",),
        ),
    ]
}


def corpus_root() -> Path:
    from music21 import corpus  # lazy: music21 import costs ~0.5 s

    return Path(corpus.__path__[0])


def _bach_chorale_files(root: Path) -> list[Path]:
    """Resolve music21's chorale catalogue (371 entries) to files without parsing them."""
    from music21 import corpus

    names = {p.name: p for p in root.iterdir() if p.is_file()}
    found: dict[str, Path] = {}
    for entry in corpus.chorales.Iterator(returnType="filename"):
        stem = posixpath.basename(str(entry))
        path = names.get(stem + ".mxl") or names.get(stem + ".xml")
        if path is None:  # a few catalogue names are abbreviations of the file name
            candidates = sorted(n for n in names if n.startswith(stem) and n.endswith((".mxl", ".xml")))
            path = names[candidates[0]] if candidates else None
        if path is not None:
            found[path.name] = path
    return [found[k] for k in sorted(found)]


def list_datasets() -> list[dict]:
    """The built-in datasets with their file counts (fast: lists files, parses nothing)."""
    return [
        {"name": d.name, "title": d.title, "description": d.description, "files": len(d.files())}
        for d in BUILTIN.values()
    ]
