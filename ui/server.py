"""What the server loads once for every session: the model pool (the bundled model warmed in the
background), the built-in datasets (parsed once, warmed in the background) and the losses Compare
measures again for runs whose own are not like for like.

Nothing here knows a visitor: the caches are the server's, shared by all sessions.
"""
from __future__ import annotations

import threading

import streamlit as st

from musegen.studio import composers, generation, run_library
from musegen.config import DataConfig
from musegen.errors import MusegenError


@st.cache_resource(show_spinner=False)
def pool() -> composers.ComposerPool:
    """Models loaded once per server, shared by all sessions."""
    return composers.ComposerPool(size=4)


@st.cache_resource(show_spinner=False)
def warm_bundled() -> bool:
    """Once per server: load and compile the first bundled model in the background."""
    entry = run_library.default_entry([e for e in run_library.library() if e.bundled])
    if entry is not None:
        pool().warm(entry.run, generation.HOME_SAMPLE)
    return entry is not None


@st.cache_resource(show_spinner=False)
def warm_datasets() -> threading.Thread:
    """Once per server, in the background: load every built-in dataset (from the pre-parsed files
    in assets/datasets/, or parsed into the disk cache when those do not match this install), so
    the first person to choose one does not wait for it."""
    def work():
        from musegen.music.corpus import BUILTIN
        from musegen.music.sources import load_pieces

        for name in BUILTIN:
            try:
                load_pieces(name, DataConfig(dataset=name))
            except MusegenError:
                continue

    thread = threading.Thread(target=work, name="musegen-warm-datasets", daemon=True)
    thread.start()
    return thread


_datasets: dict = {}  # name → LoadResult, for the whole server
_dataset_locks: dict[str, threading.Lock] = {}
_datasets_lock = threading.Lock()


def builtin_dataset(name: str, progress=None):
    """A built-in dataset parsed once per server (and cached on disk across restarts).

    A plain dict, not st.cache_resource: that records the progress bar's updates made while it
    runs and replays them on the next call, from another page or session, where that bar does not
    exist (CacheReplayClosureError)."""
    with _datasets_lock:
        lock = _dataset_locks.setdefault(name, threading.Lock())
    with lock:  # one parse per dataset, however many sessions ask at once
        if name not in _datasets:
            from musegen.music.sources import load_pieces

            _datasets[name] = load_pieces(name, DataConfig(dataset=name), progress=progress)
        return _datasets[name]


@st.cache_resource(show_spinner=False, max_entries=16)
def measured_alike(paths: tuple[str, ...], stamps: tuple[float, ...], _runs: tuple) -> dict:
    """verdict.measure_alike for a set of runs ({name: {"loss", "accuracy"}}), once per server (keyed
    by their folders and model times)."""
    from musegen.evaluate import verdict

    pieces = pieces_for(_runs[0])
    return verdict.measure_alike(list(_runs), pieces) if pieces is not None else {}


def pieces_for(run) -> list | None:
    """The music a run learnt from, to measure it again: a built-in set (cached once per server), or
    the upload its training kept; None when neither is here."""
    from musegen.music.corpus import BUILTIN
    from musegen.serve.worker import MUSIC, kept_music

    try:
        if run.config.data.dataset in BUILTIN:
            return builtin_dataset(run.config.data.dataset).pieces
        if (run.path / MUSIC).is_dir():
            return kept_music(run.path, run.config).pieces
    except MusegenError:
        return None
    return None
