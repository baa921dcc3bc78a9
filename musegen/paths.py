"""Where things live on disk: the project, the runs people train, the pretrained runs shipped with
the app, the pre-parsed datasets shipped with it.

One home for these so training, the job server and the app agree, and so none of them has to
import the app's logic to find a folder. Standard library only: every stage may import it.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNS_ENV = "MUSEGEN_RUNS"  # where trained runs go (a server's runs/, a test's tmp folder)
BUNDLED_ENV = "MUSEGEN_BUNDLED_DIR"  # where the pretrained runs are read from (tests point it elsewhere)
SHIPPED_MODELS = PROJECT_ROOT / "assets" / "models"  # the pretrained runs `make models` writes
SHIPPED_DATASETS = PROJECT_ROOT / "assets" / "datasets"  # the built-in datasets, pre-parsed


def runs_dir() -> Path:
    """Where the runs people train go: $MUSEGEN_RUNS, else runs/ in the project."""
    return Path(os.environ.get(RUNS_ENV) or PROJECT_ROOT / "runs")


def bundled_dir() -> Path:
    """The pretrained runs shipped with the app: $MUSEGEN_BUNDLED_DIR, else assets/models/."""
    return Path(os.environ.get(BUNDLED_ENV) or SHIPPED_MODELS)


def is_bundled(path) -> bool:
    """A run folder that sits in bundled_dir() (read-only, anyone may have it)."""
    return Path(path).resolve().parent == bundled_dir().resolve()
