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
import math
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import RUN_RANGES, RunConfig, TokenizerConfig, check_settings, from_dict
from .engine import WEIGHTS
from .errors import InputError, ModelError
from .files import atomic_path, atomic_write
from .tokens import Tokenizer, tokenizer_from_json

REQUIRED = ("config.json", "tokenizer.json", "model.keras")
MAX_PRIMER_BYTES = 64_000_000  # 64 windows of 16,384 tokens are 4 MB: anything far bigger is not ours


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
        # Every value is checked for type and range: a hand-edited or foreign bundle must fail here, in
        # words, not as a traceback deep in generation.
        config = _parse(path / "config.json", lambda text: RunConfig.from_json(text).check())
        tokenizer = _parse(path / "tokenizer.json", _tokenizer)
        weights = path / WEIGHTS
        if weights.is_file() and not zipfile.is_zipfile(weights):  # a truncated or swapped file
            raise ModelError(f"{path.name}: damaged run files ({WEIGHTS} is not a complete NumPy archive).")
        data = _read(path / "data.json")
        tempo = data.get("tempo", 120.0)
        if isinstance(tempo, bool) or not isinstance(tempo, (int, float)) or not (0 < tempo < math.inf):
            raise ModelError(f"{path.name}: damaged run files (data.json: tempo {str(tempo)[:40]!r} is not a tempo).")
        return cls(path, config, tokenizer, _read(path / "history.json"), data, _read(path / "summary.json"))

    def load_model(self):
        """Our own bundle, loaded with safe_mode (no arbitrary code); uploads never take this path."""
        import keras

        try:
            return keras.saving.load_model(self.path / "model.keras", compile=False, safe_mode=True)
        except Exception as e:  # keras raises many types for a damaged zip
            raise ModelError(f"{self.name}: the model file could not be loaded ({type(e).__name__}: {e}).") from e

    def primers(self) -> np.ndarray:
        """Windows of validation music to start from: token ids, nothing else (no pickles)."""
        path = self.path / "primers.npy"
        if not path.is_file():
            return np.zeros((0, 0), np.int32)
        damaged = f"{self.name}: damaged run files (primers.npy"
        if path.stat().st_size > MAX_PRIMER_BYTES:
            raise ModelError(f"{damaged} is far too big to be this run's).")
        try:
            primers = np.load(path, allow_pickle=False)
        except ValueError as e:
            if "allow_pickle" in str(e):
                raise ModelError(f"{damaged} holds Python objects, which are never loaded: they could run code).") from None
            raise ModelError(f"{damaged} is not a readable NumPy file: {e}).") from None
        except (OSError, EOFError) as e:
            raise ModelError(f"{damaged} is not a readable NumPy file: {e}).") from None
        if not isinstance(primers, np.ndarray):  # an .npz archive under the .npy name
            primers.close()
            raise ModelError(f"{damaged} is not one array).")
        if primers.ndim != 2 or primers.dtype.kind not in "iu" or (
                primers.size and not 0 <= primers.min() <= primers.max() < len(self.tokenizer)):
            raise ModelError(f"{damaged} does not hold token windows of this run's vocabulary).")
        return primers


def _parse(path: Path, parse):
    """A run's settings file parsed and checked; any fault becomes one ModelError naming the file."""
    try:
        return parse(path.read_text())
    except (InputError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ModelError(f"{path.parent.name}: damaged run files ({path.name}: {str(e).rstrip('.')}).") from None


def _tokenizer(text: str) -> Tokenizer:
    """tokenizer.json's settings are checked like config.json's before a tokenizer is built from them."""
    state = json.loads(text)
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict) or not isinstance(state.get("vocab"), list):
        raise ValueError("it must hold a JSON object with config and vocab")
    check_settings(from_dict(TokenizerConfig, state["config"]), RUN_RANGES["tokenizer"])
    if not all(isinstance(token, str) for token in state["vocab"]):
        raise ValueError("its vocabulary must be a list of token names")
    return tokenizer_from_json(text)


def _read(path: Path) -> dict:
    """A run's record (history, data, summary); {} when absent, a ModelError when damaged."""
    if not path.is_file():
        return {}
    value = _parse(path, json.loads)
    if not isinstance(value, dict):
        raise ModelError(f"{path.parent.name}: damaged run files ({path.name} must hold a JSON object).")
    return value


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
