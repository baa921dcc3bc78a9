"""Who is visiting, and a reload that loses nothing: the visitor (their HttpOnly cookie) and the
owner key their trainings are filed under, the server's limits, and the kept session — the chosen
music, the pieces made and the settings each page declares it keeps (``keep``), written to the
visitor's folder and given back on their next visit.

Also ``through_app``: a page opened on its own runs app.py, which draws all of that first.
"""
from __future__ import annotations

import functools
import os
import re
import runpy
import sys
from pathlib import Path

import streamlit as st

from musegen import paths

from musegen.config import AppLimits, DataConfig
from musegen.errors import MusegenError
from musegen.serve import visitors, web
from musegen.serve.saved_session import NotKept, SavedSession
from ui.language import error_text, say, tr
from ui.server import builtin_dataset, warm_datasets

DATASET = "dataset"  # session key: {"label", "name" (built-in) or None, "result": LoadResult}
PIECES = "pieces"  # session key: list of rendering.Rendered made this session (newest last)
VARIATIONS = "gen-variations"  # session key: the variations Generate shows side by side
PRIMER = "primer"  # session key: (filename, bytes) of the MIDI file Generate continues, or None
SINGLE_USER_ENV = "MUSEGEN_SINGLE_USER"  # 1: a private server (`make run` on localhost), one person owns all
APP = Path(__file__).resolve().parent.parent / "app.py"


def through_app() -> None:
    """A page run on its own — opened by its address on a fresh server, which Streamlit's pages/
    folder fallback runs without app.py, or a test's switch_page — would miss the navigation, the
    sidebar, the visitor and their kept session: run app.py instead, which draws them and then this
    page. (Whether app.py is running is read off the call stack: it is true for this run only.)"""
    frame = sys._getframe(1)
    while frame is not None:
        if Path(frame.f_code.co_filename).resolve() == APP:
            return
        frame = frame.f_back
    runpy.run_path(str(APP), run_name="__main__")
    st.stop()


# ---------------------------------------------------------------- who is this

def visitor() -> visitors.Visitor | None:
    """This browser's visitor (None on a private server, where one person owns everything).

    The token lives in an HttpOnly cookie that the server sets on the page's connection, a new one on
    a first visit (musegen.serve.web, in front of Streamlit: app.py), so a reload or a new tab is the same
    visitor, and the token is never in the page. Served without it (AppTest, another launcher), a
    session draws its own token and is a visitor until it ends."""
    if os.environ.get(SINGLE_USER_ENV) == "1":
        return None
    token = st.session_state.get("visitor-token")
    if token is None:
        cookie = st.context.cookies.get(web.COOKIE)
        token = cookie if visitors.valid_token(cookie) else visitors.new_token()
        st.session_state["visitor-token"] = token
    return visitors.Visitor(visitors.owner_key(token), operator=bool(st.session_state.get("operator")))


def owner() -> str | None:
    """The owner key jobs are filed under ("" on a private server), None to act as the operator."""
    v = visitor()
    if v is None:
        return ""
    return None if v.operator else v.key


def limits() -> AppLimits:
    try:
        return AppLimits.from_env()
    except MusegenError as e:
        st.error(tr("side.bad_limits", error=say(e.message)))
        return AppLimits()


# ---------------------------------------------------------------- a reload loses nothing

MEMORY = "settings-memory"  # session key: the last value of every kept setting
DECLARED = "kept-declared"  # session key: the kept settings of every page drawn this session


def saved() -> SavedSession:
    """This visitor's kept session (a private server: one for everyone)."""
    folder = visitors.folder_of(visitor(), paths.runs_dir())
    return SavedSession(folder / ".session", budget_mb=limits().max_runs_mb)


def restore() -> None:
    """Once per browser session, before any widget: the dataset, settings and pieces of the last one.
    Every setting kept comes back into the memory; a page's ``keep`` gives its own to its widgets."""
    if st.session_state.get("restored"):
        return
    st.session_state["restored"] = True
    kept = saved()
    st.session_state[MEMORY] = {k: tuple(v) if isinstance(v, list) else v for k, v in kept.settings().items()}
    if PIECES not in st.session_state:
        st.session_state[PIECES] = kept.pieces()
    if PRIMER not in st.session_state:
        st.session_state[PRIMER] = kept.primer()
    if VARIATIONS not in st.session_state:
        st.session_state[VARIATIONS] = kept.variations()
    choice = kept.dataset()
    if choice is not None and DATASET not in st.session_state:
        try:
            if choice["name"]:
                result = builtin_dataset(choice["name"])
            else:
                from musegen.music.sources import load_pieces

                result = load_pieces(choice["files"], DataConfig(), cache_dir=False)
            st.session_state[DATASET] = {"label": choice["label"], "name": choice["name"], "result": result}
        except MusegenError as e:
            st.toast(tr("side.dataset_lost", error=say(e.message)))


def keep_variations(variations: list) -> None:
    """The variations Generate shows, for this session and the next visit."""
    st.session_state[VARIATIONS] = variations
    try:
        saved().save_variations(variations)
    except NotKept as e:
        not_kept(e)


def keep_primer(filename: str | None, data: bytes = b"") -> None:
    """The MIDI file Generate continues (None: removed), for this session and the next visit; a file
    the disk budget refuses is used now and said, but not kept."""
    st.session_state[PRIMER] = (filename, data) if filename is not None else None
    try:
        if filename is None:
            saved().forget_primer()
        else:
            saved().save_primer(filename, data)
    except NotKept as e:
        not_kept(e)
    except MusegenError as e:
        st.toast(error_text(e), icon=":material/save:")


def keep(kept: tuple[str, ...]) -> None:
    """The settings a page keeps across reloads, said before it draws any widget: its widgets' keys
    (or patterns, fullmatched, for keys it makes up as it runs), never buttons, uploads or per-run
    and per-piece widgets. Remember their values, put back the ones Streamlit dropped, write them
    when they changed.

    Streamlit forgets a widget's value when a run does not draw it (another page), so the memory
    here, not the widgets, holds the settings: each run learns the values drawn on every page this
    session has shown, then gives this page's back before any of its widgets is made."""
    declared = st.session_state.get(DECLARED, ())
    if not set(kept) <= set(declared):
        st.session_state[DECLARED] = declared = tuple(dict.fromkeys(declared + tuple(kept)))
    learnt, mine = _matcher(declared), _matcher(tuple(kept))
    memory = st.session_state.setdefault(MEMORY, {})
    memory.update({k: v for k, v in st.session_state.to_dict().items() if isinstance(k, str) and learnt.fullmatch(k)
                   and isinstance(v, (str, int, float, bool, list, tuple))})
    for key, value in memory.items():
        if key not in st.session_state and mine.fullmatch(key):
            st.session_state[key] = value
    if memory != st.session_state.get("kept-settings"):
        st.session_state["kept-settings"] = dict(memory)
        try:
            saved().save_settings({k: list(v) if isinstance(v, tuple) else v for k, v in memory.items()})
        except NotKept as e:  # a read-only or full disk: the page goes on, said once
            not_kept(e)


@functools.lru_cache(maxsize=64)
def _matcher(kept: tuple[str, ...]) -> re.Pattern:
    """One pattern for a page's kept settings (none: matches nothing)."""
    return re.compile("|".join(f"(?:{k})" for k in kept) or r"(?!)")


def setting(key: str, default=None):
    """A setting another page keeps, which this page reads but does not draw: its value now, else the
    last one kept, else ``default``."""
    return st.session_state.get(key, st.session_state.get(MEMORY, {}).get(key, default))


def not_kept(error: NotKept) -> None:
    """The session cannot be kept on the server's disk: a warning to the visitor, once a session, and
    the cause in the server's log; never a traceback in place of the page."""
    if st.session_state.get("not-kept-said"):
        return
    st.session_state["not-kept-said"] = True
    print(f"musegen: a visitor's session cannot be kept: {error.__cause__}", file=sys.stderr)
    st.warning(error_text(error), icon=":material/save:")


def start(kept: tuple[str, ...]) -> None:
    """Before the navigation (its page titles are in the visitor's language): the kept session, and
    the settings app.py keeps for every page (``kept``: the language)."""
    if os.environ.get("MUSEGEN_WARM_DATASETS", "1") == "1":
        warm_datasets()
    restore()
    keep(kept)
