"""A run bundle: one directory holding everything needed to reload and use a trained model.

    config.json     RunConfig (data, tokenizer, model, training settings)
    tokenizer.json  scheme settings + vocabulary
    model.keras     weights of the best epoch so far (replaced atomically)
    weights.npz     the same weights as plain arrays: generation reads these, without TensorFlow
    history.json    per-epoch loss / val_loss / accuracy / val_accuracy, elapsed seconds
    data.json       source, per-file report with hashes, train/validation file names
    primers.npy     validation windows, so generation can start from real music offline
    summary.json    params, receptive field, best val figures, seconds, how training ended

Every file is written to a temporary name and renamed, so a killed process leaves the last good
version of each.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import RunConfig
from .errors import ModelError
from .files import atomic_path, atomic_write
from .tokens import Tokenizer, tokenizer_from_json

REQUIRED = ("config.json", "tokenizer.json", "model.keras")


def write_json(path: Path, obj) -> Path:
    return atomic_write(path, json.dumps(obj, indent=2, sort_keys=True, default=_jsonable))


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def save_array(path: Path, array: np.ndarray) -> Path:
    """An .npy written to a temporary name, then renamed: a crash leaves the previous file whole."""
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, np.asarray(array), allow_pickle=False)
    return Path(path)


def save_model(model, path: Path) -> Path:
    """Keras writes to a temporary .keras file that then replaces the bundle's; the NumPy weights
    that generation reads go beside it."""
    from .engine import WEIGHTS, export_weights

    export_weights(model, Path(path).parent / WEIGHTS)  # first: a new model.keras means both are current
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return Path(path)


@dataclass
class Run:
    path: Path
    config: RunConfig
    tokenizer: Tokenizer
    history: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def load(cls, path) -> "Run":
        path = Path(path)
        missing = [f for f in REQUIRED if not (path / f).is_file()]
        if missing:
            raise ModelError(f"{path} is not a finished musegen run (missing {', '.join(missing)}).")
        try:
            config = RunConfig.from_json((path / "config.json").read_text())
            tokenizer = tokenizer_from_json((path / "tokenizer.json").read_text())
        except (ValueError, KeyError, TypeError) as e:
            raise ModelError(f"{path.name}: damaged run files ({e}).") from e
        return cls(path, config, tokenizer, _read(path / "history.json"), _read(path / "data.json"), _read(path / "summary.json"))

    def load_model(self):
        """Our own bundle, loaded with safe_mode (no arbitrary code); uploads never take this path."""
        import keras

        try:
            return keras.saving.load_model(self.path / "model.keras", compile=False, safe_mode=True)
        except Exception as e:  # keras raises many types for a damaged zip
            raise ModelError(f"{self.name}: the model file could not be loaded ({type(e).__name__}: {e}).") from e

    def primers(self) -> np.ndarray:
        path = self.path / "primers.npy"
        return np.load(path, allow_pickle=False) if path.is_file() else np.zeros((0, 0), np.int32)


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def list_runs(*roots) -> list[Run]:
    """Finished runs under the given folders, newest first; damaged ones, and hidden folders (a run
    being built or trained, ``.name.building``), are left out."""
    found = []
    for root in roots:
        for path in sorted(Path(root).glob("*/config.json")) if Path(root).is_dir() else []:
            if path.parent.name.startswith("."):
                continue
            try:
                run = Run.load(path.parent)
                found.append(((run.path / "model.keras").stat().st_mtime, run))
            except (ModelError, OSError):  # damaged, or deleted by another session meanwhile
                continue
    return [run for _, run in sorted(found, key=lambda mr: mr[0], reverse=True)]


def delete_run(path) -> None:
    shutil.rmtree(path)


def rename_run(path, new_name: str) -> Path:
    path = Path(path)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in new_name).strip("-.")[:80]
    if not safe:
        raise ModelError("A run name needs at least one letter or digit.")
    target = path.with_name(safe)
    if target.exists():
        raise ModelError(f"A run called {safe} already exists.")
    path.rename(target)
    return target


def zip_run(path) -> bytes:
    """The bundle as a .zip (for download)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    path = Path(path)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(path.iterdir()):
            if file.is_file() and not file.name.startswith("."):
                zf.write(file, f"{path.name}/{file.name}")
    return buffer.getvalue()
