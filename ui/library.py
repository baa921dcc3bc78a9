"""The run library as this visitor sees it — bundled runs, the server's, their own and those shared
with them — a share link opened, and the run picker the pages choose a model with."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from musegen.paths import runs_dir
from musegen.studio import run_library
from musegen.serve import visitors
from ui.language import kind_name, tr
from ui.session import MEMORY, visitor

UNSHARED = "unshared"  # session key: runs whose share ended while this session used them (path strings)
NOTICE = "run-notice"  # session key: why the run chosen was taken off a run_choice, said on the next run


def library() -> list[run_library.Entry]:
    """The runs this visitor may use: bundled, the server's, their own, shared with them. Each share
    is looked up again: one its owner ended leaves the list, with a word, here and in every run_choice."""
    v = visitor()
    shared, ended = visitors.shared_with(v, runs_dir()) if v is not None else ([], [])
    for path in ended:
        st.session_state.setdefault(UNSHARED, set()).add(str(path))
        st.toast(tr("side.unshared", name=path.name), icon=":material/link_off:")
    return run_library.library(v, shared)


def may_change(entry: run_library.Entry) -> bool:
    v = visitor()
    return not entry.bundled and (v is None or v.may_change(entry.path, runs_dir()))


def open_share_link() -> None:
    """?shared=TOKEN in the address: the run behind it joins this visitor's library."""
    token = st.query_params.get("shared")
    if not token:
        return
    v = visitor()
    runs = runs_dir()
    found = visitors.open_share(v, token, runs) if v is not None else visitors.find_shared(token, runs)
    if found is None:
        st.toast(tr("side.share_gone"), icon=":material/link_off:")
    else:
        st.toast(tr("side.shared", name=found.name), icon=":material/link:")
    st.query_params.pop("shared", None)


def run_choice(label: str, entries: list[run_library.Entry], key: str, default=None, help=None):
    """A selectbox over the run library; returns the chosen Entry (or None when empty)."""
    chosen = st.session_state.get(key)
    if chosen in st.session_state.get(UNSHARED, ()):
        # Its share ended: say so, and start again from the list as it is now, rather than let this
        # run's click compose with another model in its place.
        st.session_state[NOTICE] = tr("side.unshared", name=Path(st.session_state.pop(key)).name)
        st.session_state.get(MEMORY, {}).pop(key, None)
        st.rerun()
    if isinstance(chosen, str) and chosen not in {str(e.path) for e in entries} and not Path(chosen).exists():
        # Deleted meanwhile (by its owner in another tab, the operator, or to make room on the disk):
        # the same, or the selectbox would quietly fall back to the first model of the list.
        st.session_state[NOTICE] = tr("side.run_gone", name=Path(st.session_state.pop(key)).name)
        st.session_state.get(MEMORY, {}).pop(key, None)
        st.rerun()
    if NOTICE in st.session_state:
        st.error(st.session_state.pop(NOTICE), icon=":material/link_off:")
    if not entries:
        st.info(tr("runs.none"))
        return None
    paths = [str(e.path) for e in entries]
    index = paths.index(str(default)) if default is not None and str(default) in paths else 0
    chosen = st.selectbox(label, paths, index=index, key=key, help=help,
                          format_func=lambda p: entry_label(entries[paths.index(p)]))
    return entries[paths.index(chosen)]


def entry_label(entry: run_library.Entry, loss: bool = True) -> str:
    """A run as the lists show it (run_library's Entry.label), in the current language: its loss in
    words a musician reads, not "val loss 0.94"; without it (``loss`` False) where the page shows
    other figures for the same runs."""
    s = entry.run.summary
    kind = kind_name(s.get("model", "")) if s.get("model") else "?"
    return tr("runs.label", name=entry.run.name, kind=kind.split("（")[0].split(" (")[0],
              loss=tr("runs.loss", loss=s["val_loss"]) if loss and s.get("val_loss") is not None else "",
              bundled=tr("runs.bundled") if entry.bundled else "")
