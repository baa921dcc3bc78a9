"""A run's files written while it trains (``folder.py`` lists them).

Every file is written to a temporary name and renamed, so a killed process leaves the last good
version of each.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..files import atomic_path, atomic_write


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
    from ..models.engine import WEIGHTS, export_weights

    export_weights(model, Path(path).parent / WEIGHTS)  # first: a new model.keras means both are current
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return Path(path)
