"""What a visitor was doing, kept on disk so that a reload loses nothing.

A browser reload starts a new Streamlit session with empty state. The app keeps, per visitor, in
one folder (``<runs>/visitors/<key>/.session/``): the chosen dataset (a built-in name, or the
uploaded files themselves), the page settings, the MIDI file Generate continues, and the pieces
composed (MIDI, audio, score, their settings) and the variations not kept yet. JSON and plain files only: nothing here is ever unpickled. When the disk refuses (a
read-only runs folder, a full disk) a write raises NotKept, which the app says once and goes on.
"""
from __future__ import annotations

import json
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import MusegenError
from ..files import atomic_write, safe_name
from ..messages import from_json, to_json
from ..messages import msg

MAX_PIECES = 12
SETTINGS = "settings.json"
DATASET = "dataset.json"
UPLOADS = "uploads"
PIECES = "pieces"
VARIATIONS = "variations"
PRIMER = "primer.json"
PRIMER_FILE = "primer.mid"
NOT_KEPT = msg("said.session_not_kept")


class NotKept(MusegenError):
    """The visitor's session cannot be written (a read-only runs folder, a full disk); ``__cause__``
    holds the OSError, for the server's log."""


@contextmanager
def _keeping():
    try:
        yield
    except OSError as e:
        raise NotKept(NOT_KEPT) from e


class SavedSession:
    """folder: ``<visitor's folder>/.session``; budget_mb: the disk budget of what visitors store
    (AppLimits.max_runs_mb), which uploads count in (0: none, a private server)."""

    def __init__(self, folder, budget_mb: int = 0):
        self.folder = Path(folder)
        self.budget_mb = budget_mb

    # ---------------------------------------------------------------- the dataset

    def save_dataset(self, label: str, name: str | None = None, files: list | None = None, report=()) -> None:
        """A built-in dataset by name, or uploaded (filename, bytes) pairs, kept as they came but for
        those the reader refused whole (its `report`: too large, not music), which are not kept on
        disk. Refused with an InputError when the uploads do not fit the disk budget."""
        from .disk import check_room, size_of
        from ..music.readers import file_stem

        refused = {r.name for r in report if r.status != "parsed"}
        files = [(f, data) for f, data in files or [] if file_stem(f) not in refused]
        uploads = self.folder / UPLOADS
        adding = sum(len(d) for _, d in files) - size_of(uploads)
        if adding > 0:  # fewer bytes than before (a built-in set) are never refused
            check_room(self.folder.parent, self.budget_mb, adding)
        with _keeping():
            shutil.rmtree(uploads, ignore_errors=True)
            names = []
            if files:
                uploads.mkdir(parents=True, exist_ok=True)
                for i, (filename, data) in enumerate(files):
                    stored = f"{i:04d}{Path(filename).suffix.lower()[:8]}"
                    (uploads / stored).write_bytes(data)
                    names.append([filename, stored])
            self._write(DATASET, {"label": label, "name": name, "files": names})

    def dataset(self) -> dict | None:
        """{"label", "name"} for a built-in, or {"label", "files": [(filename, bytes)]}; None if none."""
        saved = self._read(DATASET)
        if not isinstance(saved, dict) or not isinstance(saved.get("label"), str):
            return None
        files = []
        for pair in saved.get("files") or []:
            try:
                filename, stored = pair
                files.append((str(filename), (self.folder / UPLOADS / Path(stored).name).read_bytes()))
            except (OSError, TypeError, ValueError):
                return None  # an upload went missing: better no dataset than part of one
        return {"label": saved["label"], "name": saved.get("name"), "files": files}

    # ---------------------------------------------------------------- settings

    def save_settings(self, values: dict) -> None:
        with _keeping():
            self._write(SETTINGS, values)

    def settings(self) -> dict:
        saved = self._read(SETTINGS)
        return saved if isinstance(saved, dict) else {}

    # ---------------------------------------------------------------- the file Generate continues

    def save_primer(self, filename: str, data: bytes) -> None:
        """Keep the uploaded MIDI file Generate continues; it counts in the disk budget (InputError
        when it does not fit)."""
        from .disk import check_room

        check_room(self.folder.parent, self.budget_mb, len(data) - self._primer_size())
        with _keeping():
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.folder / PRIMER_FILE, data)
            self._write(PRIMER, {"name": filename})

    def forget_primer(self) -> None:
        with _keeping():
            for name in (PRIMER, PRIMER_FILE):
                (self.folder / name).unlink(missing_ok=True)

    def primer(self) -> tuple[str, bytes] | None:
        """(filename, bytes) of the kept file; None when none is kept or it went missing."""
        saved = self._read(PRIMER)
        try:
            return str(saved["name"]), (self.folder / PRIMER_FILE).read_bytes()
        except (OSError, TypeError, KeyError):
            return None

    def _primer_size(self) -> int:
        try:
            return (self.folder / PRIMER_FILE).stat().st_size
        except OSError:
            return 0

    # ---------------------------------------------------------------- pieces

    def add_piece(self, rendered) -> None:
        """Keep a composed piece (the newest MAX_PIECES are kept)."""
        with _keeping():
            self._add_piece(rendered)

    def _add_piece(self, rendered) -> None:
        write_piece(self.folder / PIECES / f"{time.time_ns()}", rendered)
        for old in sorted((self.folder / PIECES).iterdir())[:-MAX_PIECES]:
            shutil.rmtree(old, ignore_errors=True)

    def save_variations(self, variations: list) -> None:
        """The variations on screen (the last Compose's, none kept or not): they replace the ones before."""
        with _keeping():
            shutil.rmtree(self.folder / VARIATIONS, ignore_errors=True)
            for i, rendered in enumerate(variations):
                write_piece(self.folder / VARIATIONS / f"{i:02d}", rendered)

    def variations(self) -> list:
        return self._read_pieces(self.folder / VARIATIONS)

    def pieces(self) -> list:
        """The kept pieces, oldest first, read back as rendering.Rendered (a damaged one is skipped)."""
        return self._read_pieces(self.folder / PIECES)

    @staticmethod
    def _read_pieces(root: Path) -> list:
        out = []
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            try:
                out.append(read_piece(folder))
            except Exception:  # noqa: BLE001 — one damaged piece never hides the others
                continue
        return out

    # ---------------------------------------------------------------- files

    def _write(self, name: str, obj) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.folder / name, json.dumps(obj, default=str))

    def _read(self, name: str):
        try:
            return json.loads((self.folder / name).read_text())
        except (OSError, ValueError):
            return None


def write_piece(folder: Path, rendered) -> None:
    """A piece in its own folder: MIDI, audio, score and what it was made with (a kept piece, a
    variation, a shared piece: serve/piece_shares)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "piece.mid").write_bytes(rendered.midi)
    if rendered.audio:
        (folder / "piece.ogg").write_bytes(rendered.audio)
    if rendered.musicxml:
        (folder / "piece.musicxml").write_text(rendered.musicxml)
    meta = {"name": rendered.piece.name, "takeover": getattr(rendered.piece, "takeover", None), "svg": rendered.svg,
            "notes": to_json(rendered.notes),
            "warning": to_json(rendered.warning),  # Messages as codes: said in the language of the day
            "settings": {**rendered.settings, "steering": to_json(rendered.settings.get("steering", []))},
            "tokens_per_s": rendered.tokens_per_s, "run": rendered.run, "score_lang": rendered.score_lang}
    atomic_write(folder / "meta.json", json.dumps(meta, default=str))


def read_piece(folder: Path):
    """A piece write_piece wrote, as rendering.Rendered; raises (OSError, ValueError, KeyError…) when
    it is damaged or gone."""
    from ..music.readers import read_file_bytes
    from ..render.rendering import Rendered

    meta = json.loads((folder / "meta.json").read_text())
    midi = (folder / "piece.mid").read_bytes()
    piece = read_file_bytes(f"{safe_name(meta['name'], limit=60, empty='piece')}.mid", midi)
    piece.name, piece.takeover = meta["name"], meta.get("takeover")
    given = meta["settings"].get("given_parts")  # an accompaniment's, counted from 1
    piece.given_parts = tuple(p - 1 for p in given) if given else None
    audio = folder / "piece.ogg"
    xml = folder / "piece.musicxml"
    return Rendered(piece, midi, xml.read_text() if xml.is_file() else None, list(meta["svg"]),
                    audio.read_bytes() if audio.is_file() else None, list(from_json(meta["notes"])),
                    from_json(meta["warning"]), _settings(meta["settings"]), float(meta["tokens_per_s"]),
                    str(meta["run"]), str(meta.get("score_lang", "en")))


def _settings(stored: dict) -> dict:
    """A kept piece's settings, its steering read back as Messages (a piece kept before: English)."""
    return {**stored, "steering": from_json(stored.get("steering", []))}
