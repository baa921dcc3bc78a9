"""Loaded models, shared by every session of the app."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from ..config import SampleConfig
from ..paths import is_bundled

class ComposerPool:
    """Loaded models shared by every session (the app keeps one pool in st.cache_resource).

    Keyed by run folder + model file time, so a retrained or renamed run is reloaded; the least
    recently used model is dropped beyond `size` (RAM is shared on the hosted demo).
    """

    def __init__(self, size: int = 4):
        self.size = size
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}
        self._composers: OrderedDict = OrderedDict()

    @staticmethod
    def key(run) -> tuple:
        model = Path(run.path) / "model.keras"
        return str(Path(run.path).resolve()), model.stat().st_mtime if model.is_file() else 0.0

    def get(self, run):
        from ..serve.disk import touch
        from ..generate.sample import Composer

        if not is_bundled(run.path):
            touch(run.path)  # recently used: the disk budget evicts it last
        key = self.key(run)
        with self._lock:
            if key in self._composers:
                self._composers.move_to_end(key)
                return self._composers[key]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # one load per model even when several sessions ask at once
            with self._lock:
                if key in self._composers:
                    return self._composers[key]
            composer = Composer(run)
            with self._lock:
                self._composers[key] = composer
                while len(self._composers) > self.size:
                    self._composers.popitem(last=False)
                self._loading.pop(key, None)
            return composer

    def warm(self, run, sample: SampleConfig) -> threading.Thread:
        """Load and compile in the background, so the first click plays in seconds."""
        def work():
            try:
                self.get(run).compose(replace(sample, seed=0))
            except Exception:  # noqa: BLE001 — warming is an optimisation only
                pass

        thread = threading.Thread(target=work, name=f"musegen-warm-{run.name}", daemon=True)
        thread.start()
        return thread
