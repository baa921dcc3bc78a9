"""A run folder: one directory holding everything needed to reload and use a trained model.

    config.json     RunConfig (data, tokenizer, model, training settings)
    tokenizer.json  scheme settings + vocabulary
    model.keras     weights of the best epoch so far (replaced atomically)
    weights.npz     the same weights as plain arrays: generation reads these, without TensorFlow
    history.json    per-epoch loss / val_loss / accuracy / val_accuracy, elapsed seconds
    data.json       source, per-file report with hashes, train/validation file names
    primers.npy     validation windows, so generation can start from real music offline
    summary.json    params, receptive field, best val figures, seconds, how training ended

``Run.load`` reads one and checks every value it holds (``save.py`` writes them).
"""
from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import RUN_RANGES, RunConfig, TokenizerConfig, check_settings, from_dict
from ..models.engine import WEIGHTS
from ..errors import InputError, ModelError
from ..files import check_npy
from ..messages import msg
from ..tokens.registry import tokenizer_from_json
from ..tokens.base import Tokenizer

REQUIRED = ("config.json", "tokenizer.json", "model.keras")
MAX_PRIMER_BYTES = 64_000_000  # 64 windows of 16,384 tokens are 4 MB: anything far bigger is not ours


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
            raise ModelError(msg("said.not_a_run", path=str(path), files=", ".join(missing)))
        # Every value is checked for type and range: a hand-edited or foreign bundle must fail here, in
        # words, not as a traceback deep in generation.
        config = _parse(path / "config.json", lambda text: RunConfig.from_json(text).check())
        tokenizer = _parse(path / "tokenizer.json", _tokenizer)
        weights = path / WEIGHTS
        if weights.is_file() and not zipfile.is_zipfile(weights):  # a truncated or swapped file
            raise ModelError(msg("said.damaged", name=path.name, detail=msg("said.d_not_archive", file=WEIGHTS)))
        data = _read(path / "data.json")
        _check_data(data, path.name, tokenizer)
        return cls(path, config, tokenizer, _read(path / "history.json"), data, _read(path / "summary.json"))

    def load_model(self):
        """Our own bundle, loaded with safe_mode (no arbitrary code); uploads never take this path."""
        import keras

        try:
            return keras.saving.load_model(self.path / "model.keras", compile=False, safe_mode=True)
        except Exception as e:  # keras raises many types for a damaged zip
            raise ModelError(msg("said.model_unloadable", name=self.name, error=f"{type(e).__name__}: {e}")) from e

    def primers(self) -> np.ndarray:
        """Windows of validation music to start from: token ids, nothing else (no pickles)."""
        path = self.path / "primers.npy"
        if not path.is_file():
            return np.zeros((0, 0), np.int32)
        def damaged(code: str, **values) -> ModelError:
            return ModelError(msg("said.damaged", name=self.name, detail=msg(code, file=path.name, **values)))

        size = path.stat().st_size
        if size > MAX_PRIMER_BYTES:
            raise damaged("said.d_too_big")
        try:
            with open(path, "rb") as f:
                objects = check_npy(f, size)  # a header claiming 10^12 values is refused before NumPy allocates them
            if objects:  # Python objects, which only unpickling reads
                raise damaged("said.d_pickles")
            primers = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise damaged("said.d_not_npy", error=str(e)) from None
        except (OSError, EOFError) as e:
            raise damaged("said.d_not_npy", error=str(e)) from None
        if not isinstance(primers, np.ndarray):  # an .npz archive under the .npy name
            primers.close()
            raise damaged("said.d_not_one_array")
        if primers.ndim != 2 or primers.dtype.kind not in "iu" or (
                primers.size and not 0 <= primers.min() <= primers.max() < len(self.tokenizer)):
            raise damaged("said.d_not_windows")
        return primers


def _parse(path: Path, parse):
    """A run's settings file parsed and checked; any fault becomes one ModelError naming the file."""
    try:
        return parse(path.read_text())
    except RecursionError:  # [[[[…]]]] 100,000 deep: Python's JSON reader gives up, in its own words
        raise ModelError(msg("said.damaged", name=path.parent.name, detail=msg("said.d_nested", file=path.name))) from None
    except (InputError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ModelError(msg("said.damaged", name=path.parent.name,
                             detail=msg("said.about", name=path.name, error=str(e).rstrip(".")))) from None


def _check_data(data: dict, name: str, tokenizer) -> None:
    """What generation reads from data.json: the tempo, the usual time signature (two whole numbers,
    a power of two below) and the parts (instruments). Anything else there is only shown."""
    def damaged(code: str, **values) -> ModelError:
        return ModelError(msg("said.damaged", name=name, detail=msg("said.about", name="data.json", error=msg(code, **values))))

    tempo = data.get("tempo", 120.0)
    if isinstance(tempo, bool) or not isinstance(tempo, (int, float)) or not (0 < tempo < math.inf):
        raise damaged("said.d_tempo", tempo=repr(str(tempo)[:40]))
    signature = data.get("time_signature", (4, 4))
    if not (isinstance(signature, (list, tuple)) and len(signature) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in signature)
            and 1 <= signature[0] <= 64 and signature[1] in (1, 2, 4, 8, 16, 32, 64)
            and (tokenizer.bar_id is None or tokenizer.time_signature_id(*signature) is not None)):
        raise damaged("said.d_signature", signature=repr(str(signature)[:40]))
    parts = data.get("parts", [])
    fields = {"name": str, "program": int, "is_drum": bool}
    if not (isinstance(parts, list) and all(
            isinstance(p, dict) and set(p) <= set(fields) and all(
                isinstance(v, fields[k]) and (k != "program" or (not isinstance(v, bool) and 0 <= v <= 127))
                for k, v in p.items()) for p in parts)):
        raise damaged("said.d_parts")


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
        raise ModelError(msg("said.damaged", name=path.parent.name, detail=msg("said.d_not_object", file=path.name)))
    return value
