"""The interface's language: the visitor's choice or their browser's, the catalogue's text in it
(tr, opt), what musegen's library says (say, error_text, stop_text), sizes and durations, and the
names the pages give job states, model kinds, token schemes and where a run's music came from.

Every other ui module and page asks here for the words it shows.
"""
from __future__ import annotations

import streamlit as st

from musegen import text, units
from musegen.studio import presets, run_library
from musegen.errors import MusegenError
from musegen.messages import Message, run_ending

LANG = "ui-lang"  # session key: the language the visitor chose (kept across reloads); absent: the browser's
LANG_PICK = "ui-lang-pick"  # the sidebar selector's own key


_last_lang = [text.DEFAULT]  # the language of the latest run, for a format_func called after it


def lang() -> str:
    """The interface language: the visitor's choice, else the browser's (st.context.locale).

    Outside a script run (streamlit.testing calls a widget's format_func after the run ends; a
    browser never does) there is no session to ask: the latest run's language answers."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_lang[0]
    chosen = st.session_state.get(LANG)
    if chosen not in text.LANGUAGES:
        try:
            chosen = text.language_of(st.context.locale)
        except Exception:  # no browser behind this run
            chosen = text.DEFAULT
    _last_lang[0] = chosen
    return chosen


def tr(key: str, **values) -> str:
    """The interface text for key in the current language (musegen.text)."""
    return text.t(key, lang(), **values)


def tr_count(key: str, n: int, **values) -> str:
    """tr for a count: English says "1 piece" (the entry ``key + "_1"``) and "3 pieces" (``key``)."""
    return tr(f"{key}_1" if n == 1 else key, n=n, **values)


def opt(group: str, value) -> str:
    """An option value kept in English (the code compares it), as the current language shows it."""
    return text.option(group, value, lang())


def say(message) -> str:
    """What musegen's library says (a messages.Message: a job's progress, a file's reason, a note
    under a piece) in the current language; plain text (English an older version stored: a job's
    row, a saved piece's notes) is shown as it was stored."""
    if isinstance(message, Message):
        return message.said(lang())
    return "" if message is None else str(message)


def duration_text(seconds: float | None) -> str:
    """units.duration ("1 min 05 s") in the current language."""
    return units.duration(seconds).said(lang())


def size_text(n: float) -> str:
    """units.size ("1.5 MB") in the current language."""
    return units.size(n).said(lang())


def error_text(error) -> str:
    """An error of musegen's library, for st.error: in the current language. A job's error stored
    as plain English (an older version's row) is shown as stored; an error raised without a code
    keeps its English detail behind a lead-in that says something went wrong."""
    if isinstance(error, (Message, str)):  # a job's error, kept as its code (or as an older row's English)
        return say(error)
    coded = error.said(lang()) if isinstance(error, MusegenError) else None
    return coded if coded is not None else tr("said.error", detail=str(error))


def stop_text(run) -> str:
    """How a run's training ended (messages.run_ending: its stop code; an older run's English)."""
    return say(run_ending(run.summary, run.config.train))


def _language_chosen() -> None:
    st.session_state[LANG] = st.session_state[LANG_PICK]


def language_selector() -> None:
    """A small "Language / 语言" selector; the choice is a kept setting (app.py's KEPT)."""
    st.session_state[LANG_PICK] = lang()
    st.selectbox(text.t("app.language", lang()), list(text.LANGUAGES), key=LANG_PICK,
                 format_func=text.LANGUAGES.get, on_change=_language_chosen)


# ---------------------------------------------------------------- names the pages give things

def state_name(state: str) -> str:
    return tr(f"state.{state}") if f"state.{state}" in text.CATALOGUE[text.DEFAULT] else state


def run_dataset_title(run) -> str:
    """run_library.dataset_title in the current language (a built-in set's title is translated)."""
    from musegen.train.basemodel import BASE_DATASET
    from musegen.music.corpus import BUILTIN

    name = run.config.data.dataset
    return opt("dataset", name) if name in BUILTIN or name == BASE_DATASET else say(run_library.dataset_title(run))


def kind_name(kind: str) -> str:
    """A model kind as the pages name it (run_library.MODEL_KINDS, in the current language)."""
    shown = opt("kind", kind)
    return run_library.MODEL_KINDS.get(kind, kind) if shown == kind or lang() == text.DEFAULT else shown


def scheme_name(scheme: str) -> str:
    """A token scheme as the pages name it (presets.SCHEMES, in the current language)."""
    shown = opt("scheme", scheme)
    return presets.SCHEMES.get(scheme, scheme) if shown == scheme or lang() == text.DEFAULT else shown


def source_name(source) -> str:
    """Where a run's music came from (a built-in set's name, an upload's label: run_library.dataset_source's
    Message, or the English an older run stored), as pages show it."""
    return say(source) if isinstance(source, Message) or lang() == text.DEFAULT else opt("dataset", source)
