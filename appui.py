"""Streamlit helpers shared by app.py and the pages: caches, the sidebar, showing a piece.

Only Streamlit wiring lives here; the logic is in musegen (studio, jobs, sources, …).
"""
from __future__ import annotations

import math
import os
import re
import runpy
import sys
import threading
from pathlib import Path

import streamlit as st

from musegen.serve import jobs, visitors, web
from musegen import studio, text
from musegen.render.audio import check_audio
from musegen.config import AppLimits, DataConfig
from musegen.errors import MusegenError
from musegen.messages import Message, msg, run_ending
from musegen.render.playhead import playhead_html
from musegen.render.plots import piano_roll
from musegen.serve.saved_session import NotKept, SavedSession
from musegen import units

DATASET = "dataset"  # session key: {"label", "name" (built-in) or None, "result": LoadResult}
PIECES = "pieces"  # session key: list of studio.Rendered made this session (newest last)
JOB = "job"  # session key: id of the training this session watches
MAX_SESSION_PIECES = 12
SINGLE_USER_ENV = "MUSEGEN_SINGLE_USER"  # 1: a private server (`make run` on localhost), one person owns all
UNSHARED = "unshared"  # session key: runs whose share ended while this session used them (path strings)
NOTICE = "run-notice"  # session key: why the run chosen was taken off a run_choice, said on the next run
STATE_ICONS = {"queued": ":material/hourglass_top:", "running": ":material/model_training:",
               "finished": ":material/check_circle:", "stopped": ":material/stop_circle:",
               "failed": ":material/error:", "interrupted": ":material/pause_circle:"}


APP = Path(__file__).resolve().parent / "app.py"
LANG = "ui-lang"  # session key: the language the visitor chose (kept across reloads); absent: the browser's
LANG_PICK = "ui-lang-pick"  # the sidebar selector's own key


# ---------------------------------------------------------------- the interface's language

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


def reading_progress(bar, budget: float = 0.0):
    """load_pieces' progress on a st.progress bar: files read and, once the pace is known
    (sources.FilesLeft), about how long is left, in the visitor's language. ``budget``: an upload's
    reading time (Limits.max_upload_parse_seconds), the most the time left can be."""
    from musegen.music.sources import FilesLeft

    pace = FilesLeft(budget)

    def report(done: int, total: int, file: str) -> None:
        left = pace.seconds_left(done, total)
        label = (tr("ds.reading_file", done=done, total=total, file=file) if left is None
                 else tr("ds.reading_left", done=done, total=total, left=duration_text(left)))
        bar.progress(done / max(1, total), text=label)

    return report


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


def table(rows: list[dict]) -> list[dict]:
    """Rows for st.dataframe in the current language: headers (opt.column.*, a study's "_sd",
    "_real" and "_gap" columns too) and the text in the cells (opt.cell.*, musegen's phrases)."""
    if lang() == text.DEFAULT:  # a skipped file's reason: its English
        return [{k: str(v) if isinstance(v, Message) else v for k, v in row.items()} for row in rows]
    return [{column_name(k): cell_text(v) for k, v in row.items()} for row in rows]


def column_name(name: str) -> str:
    for suffix in ("sd", "real", "gap"):
        if name.endswith(f"_{suffix}"):
            return tr(f"table.{suffix}", name=column_name(name[: -len(suffix) - 1]))
    return opt("column", name)


def cell_text(value):
    if isinstance(value, Message):  # a skipped file's reason
        return value.said(lang())
    if not isinstance(value, str):
        return value
    return opt("cell", value)


def chart(fig, key: str, where=st) -> None:
    """A plotly figure, its title written above it: inside the figure, a phone draws the title
    under the chart's toolbar."""
    title = fig.layout.title.text
    if title:
        where.markdown(f"**{title}**")
        fig.update_layout(title=None, margin=dict(t=30))
    where.plotly_chart(fig, key=key, width="stretch")


def _language_chosen() -> None:
    st.session_state[LANG] = st.session_state[LANG_PICK]


def language_selector() -> None:
    """A small "Language / 语言" selector; the choice is a kept setting (see KEPT)."""
    st.session_state[LANG_PICK] = lang()
    st.selectbox(text.t("app.language", lang()), list(text.LANGUAGES), key=LANG_PICK,
                 format_func=text.LANGUAGES.get, on_change=_language_chosen)


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


def open_share_link() -> None:
    """?shared=TOKEN in the address: the run behind it joins this visitor's library."""
    token = st.query_params.get("shared")
    if not token:
        return
    v = visitor()
    runs = studio.runs_dir()
    found = visitors.open_share(v, token, runs) if v is not None else visitors.find_shared(token, runs)
    if found is None:
        st.toast(tr("side.share_gone"), icon=":material/link_off:")
    else:
        st.toast(tr("side.shared", name=found.name), icon=":material/link:")
    st.query_params.pop("shared", None)


def library() -> list[studio.Entry]:
    """The runs this visitor may use: bundled, the server's, their own, shared with them. Each share
    is looked up again: one its owner ended leaves the list, with a word, here and in every run_choice."""
    v = visitor()
    shared, ended = visitors.shared_with(v, studio.runs_dir()) if v is not None else ([], [])
    for path in ended:
        st.session_state.setdefault(UNSHARED, set()).add(str(path))
        st.toast(tr("side.unshared", name=path.name), icon=":material/link_off:")
    return studio.library(v, shared)


def may_change(entry: studio.Entry) -> bool:
    v = visitor()
    return not entry.bundled and (v is None or v.may_change(entry.path, studio.runs_dir()))


def my_job(job_id: str | None) -> "jobs.Job | None":
    """A job this visitor may watch: their own (any, for the operator)."""
    job = jobs.get(job_id) if job_id else None
    who = owner()
    return job if job is not None and (who is None or job.owner == who) else None


def limits() -> AppLimits:
    try:
        return AppLimits.from_env()
    except MusegenError as e:
        st.error(tr("side.bad_limits", error=say(e.message)))
        return AppLimits()


@st.cache_resource(show_spinner=False)
def pool() -> studio.ComposerPool:
    """Models loaded once per server, shared by all sessions."""
    return studio.ComposerPool(size=4)


@st.cache_resource(show_spinner=False)
def warm_bundled() -> bool:
    """Once per server: load and compile the first bundled model in the background."""
    entry = studio.default_entry([e for e in studio.library() if e.bundled])
    if entry is not None:
        pool().warm(entry.run, studio.HOME_SAMPLE)
    return entry is not None


@st.cache_resource(show_spinner=False)
def warm_datasets() -> threading.Thread:
    """Once per server, in the background: load every built-in dataset (from the pre-parsed files
    in assets/datasets/, or parsed into the disk cache when those do not match this install), so
    the first person to choose one does not wait for it."""
    def work():
        from musegen.music.sources import BUILTIN, load_pieces

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


def tokens_per_bar(data: dict | None, tokenizer_config) -> float:
    """Tokens per bar of the chosen music in a scheme, computed once per dataset and scheme."""
    key = ("tokens-per-bar", data["label"] if data else "bach", tokenizer_config.scheme)
    if key not in st.session_state:
        pieces = data["result"].pieces if data else builtin_dataset("bach").pieces
        st.session_state[key] = studio.tokens_per_bar(pieces, tokenizer_config)
    return st.session_state[key]


def audio_problem() -> str | None:
    return check_audio()  # cheap (a PATH lookup and a glob), so never stale


def audio_notice(where=st) -> None:
    problem = audio_problem()
    if problem:
        where.warning(tr("side.no_audio", problem=say(problem)), icon=":material/volume_off:")


def read_upload(name: str, data: bytes):
    """One uploaded file as a Piece, read in a worker process like every upload (never in the
    server), once per file content and session."""
    import hashlib

    from musegen.errors import InputError
    from musegen.music.sources import load_pieces

    key = ("upload", hashlib.sha256(data).hexdigest())
    if key not in st.session_state:
        result = load_pieces([(name, data)], DataConfig(), cache_dir=False)
        if not result.pieces:
            reason = result.report[0].reason if result.report else msg("said.r_unusable")
            raise InputError(msg("said.about", name=name, error=reason))
        st.session_state[key] = result.pieces[0]
    return st.session_state[key]


@st.cache_resource(show_spinner=False, max_entries=16)
def measured_losses(paths: tuple[str, ...], stamps: tuple[float, ...], _runs: tuple) -> dict:
    """verdict.measure for a set of runs, once per server (keyed by their folders and model times)."""
    from musegen.evaluate import verdict

    pieces = pieces_for(_runs[0])
    return verdict.measure(list(_runs), pieces) if pieces is not None else {}


def pieces_for(run) -> list | None:
    """The music a run learnt from, to measure it again: a built-in set (cached once per server), or
    the upload its training kept; None when neither is here."""
    from musegen.music.sources import BUILTIN
    from musegen.serve.worker import MUSIC, kept_music

    try:
        if run.config.data.dataset in BUILTIN:
            return builtin_dataset(run.config.data.dataset).pieces
        if (run.path / MUSIC).is_dir():
            return kept_music(run.path, run.config).pieces
    except MusegenError:
        return None
    return None


def current_dataset() -> dict | None:
    return st.session_state.get(DATASET)


def choose_dataset(label: str, result, name: str | None = None, files: list | None = None) -> None:
    """The music this visitor works with: a built-in (name) or their upload (files), kept for reloads
    (first: an upload that does not fit the disk budget is refused, and chosen nowhere)."""
    try:
        saved().save_dataset(label, name=name, files=files, report=result.report)
    except NotKept as e:  # chosen for this session all the same
        not_kept(e)
    st.session_state[DATASET] = {"label": label, "name": name, "result": result}
    keep_cache_in_budget()


def keep_cache_in_budget() -> None:
    """The parsed-dataset cache grows with every new upload: past its budget the least recently
    used files go."""
    from musegen.serve import disk
    from musegen.music.sources import default_cache_dir

    disk.enforce(disk.cache_files(default_cache_dir()), limits().max_cache_mb * 1_000_000)


# ---------------------------------------------------------------- a reload loses nothing

# Widget keys whose values are kept across reloads: the settings of every page (not buttons, not
# uploads, not per-run or per-piece widgets).
KEPT = re.compile(r"(ui-lang|ds-(source|builtin|cutoff|tokens)|tr-(base|kind|preset)|tr-\d+-.*-[a-z]+"
                  r"|gen-(run|primer|primer-bars|keep-primer|unit|bars|seconds|time-signature|tempo|instrument"
                  r"|temperature|rhythm|topk|topp|seed|lock|variations-n|key|scale|key-strength|range|guard|echo)"
                  r"|cmp-(preset|seconds|temperature|seed|runs|curves))")


MEMORY = "settings-memory"  # session key: the last value of every kept setting


def saved() -> SavedSession:
    """This visitor's kept session (a private server: one for everyone)."""
    folder = visitors.folder_of(visitor(), studio.runs_dir())
    return SavedSession(folder / ".session", budget_mb=limits().max_runs_mb)


def restore() -> None:
    """Once per browser session, before any widget: the dataset, settings and pieces of the last one."""
    if st.session_state.get("restored"):
        return
    st.session_state["restored"] = True
    kept = saved()
    st.session_state[MEMORY] = {k: tuple(v) if isinstance(v, list) else v
                                for k, v in kept.settings().items() if KEPT.fullmatch(k)}
    if PIECES not in st.session_state:
        st.session_state[PIECES] = kept.pieces()
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


def keep_settings() -> None:
    """Remember the page settings, put back the ones Streamlit dropped, write them when they changed.

    Streamlit forgets a widget's value when a run does not draw it (another page), so the memory
    here, not the widgets, holds the settings: each run learns the values drawn, then gives back
    the others before any widget is made."""
    memory = st.session_state.setdefault(MEMORY, {})
    memory.update({k: v for k, v in st.session_state.to_dict().items()
                   if isinstance(k, str) and KEPT.fullmatch(k) and isinstance(v, (str, int, float, bool, list, tuple))})
    for key, value in memory.items():
        if key not in st.session_state:
            st.session_state[key] = value
    if memory != st.session_state.get("kept-settings"):
        st.session_state["kept-settings"] = dict(memory)
        try:
            saved().save_settings({k: list(v) if isinstance(v, tuple) else v for k, v in memory.items()})
        except NotKept as e:  # a read-only or full disk: the page goes on, said once
            not_kept(e)


def not_kept(error: NotKept) -> None:
    """The session cannot be kept on the server's disk: a warning to the visitor, once a session, and
    the cause in the server's log; never a traceback in place of the page."""
    if st.session_state.get("not-kept-said"):
        return
    st.session_state["not-kept-said"] = True
    print(f"musegen: a visitor's session cannot be kept: {error.__cause__}", file=sys.stderr)
    st.warning(error_text(error), icon=":material/save:")


def start() -> None:
    """Before the navigation (its page titles are in the visitor's language): the kept session and
    settings, the language among them."""
    if os.environ.get("MUSEGEN_WARM_DATASETS", "1") == "1":
        warm_datasets()
    restore()
    keep_settings()


def dataset_label(data: dict) -> str:
    """The chosen music's name in the current language (a built-in set's title is translated)."""
    return opt("dataset", data["name"]) if data.get("name") else data["label"]


def state_name(state: str) -> str:
    return tr(f"state.{state}") if f"state.{state}" in text.CATALOGUE[text.DEFAULT] else state


def sidebar_training(job_id: str, live: bool) -> None:
    """The watched training in the sidebar, repainted every second while it runs (alone: a
    fragment), so its bar moves with the page's instead of waiting for the next full run."""

    @st.fragment(run_every=1.0 if live else None)
    def status():
        job = my_job(job_id)
        if job is None:
            return
        st.markdown(tr("side.training", icon=STATE_ICONS[job.state], name=job.name, state=state_name(job.state)))
        if job.active:
            st.progress(job.fraction)

    status()


def sidebar() -> None:
    start()  # again: a no-op when app.py did it before the navigation
    with st.sidebar:
        language_selector()
        st.markdown("### :material/music_note: musegen")
        st.caption(tr("side.tagline"))
        data = current_dataset()
        if data:
            summary = data["result"].summary()
            st.markdown(tr("side.dataset", label=dataset_label(data), parsed=summary["parsed"], notes=summary["notes"]))
        else:
            st.markdown(tr("side.no_dataset"))
        job = my_job(st.session_state.get(JOB))
        if job is not None:
            sidebar_training(job.id, job.active)
        pieces = st.session_state.get(PIECES, [])
        if pieces:
            st.markdown(tr("side.pieces", n=len(pieces)))
        audio_notice(st.sidebar)
        lim = limits()
        with st.expander(tr("side.limits")):
            st.markdown(tr("side.limits_body", upload_mb=lim.max_upload_mb, minutes=lim.max_training_minutes,
                           nocap="" if lim.max_training_minutes else tr("side.nocap"),
                           concurrent=lim.max_concurrent_trainings, trainings=lim.max_trainings_per_visitor,
                           runs=lim.max_runs_per_visitor, runs_mb=lim.max_runs_mb, cache_mb=lim.max_cache_mb))
            operator_unlock()
        open_share_link()


def operator_unlock() -> None:
    """The operator (MUSEGEN_OPERATOR_PASSWORD set on the server) may manage every visitor's work."""
    if visitor() is None or not os.environ.get(visitors.OPERATOR_ENV):
        return
    if st.session_state.get("operator"):
        st.caption(tr("side.operator"))
        if st.button(tr("side.operator_off"), key="op-lock"):
            st.session_state["operator"] = False
            st.rerun()
        return
    password = st.text_input(tr("side.operator_password"), type="password", key="op-password")
    if not password:
        return
    if password == st.session_state.get("op-tried"):  # a rerun with the same wrong password: said again, not tried
        st.error(tr("side.wrong_password"))
        return
    ok = visitors.OPERATOR_GATE.attempt(password)
    if ok is None:  # wrong passwords on this server: it waits before it listens again
        st.error(tr("side.password_wait", seconds=math.ceil(visitors.OPERATOR_GATE.wait())))
    elif ok:
        st.session_state["operator"] = True
        st.session_state.pop("op-tried", None)
        st.rerun()
    else:
        st.session_state["op-tried"] = password
        st.error(tr("side.wrong_password"))


def remember(rendered: studio.Rendered) -> None:
    pieces = st.session_state.setdefault(PIECES, [])
    pieces.append(rendered)
    del pieces[:-MAX_SESSION_PIECES]
    try:
        saved().add_piece(rendered)
    except NotKept as e:
        not_kept(e)


def player(rendered: studio.Rendered, key: str, roll_height: int = 220) -> None:
    """The piece's audio and its piano roll in one frame, a playhead following the audio
    (musegen.render.playhead); without audio, the plotly roll."""
    piece = rendered.piece
    if rendered.audio:
        words = {k: tr(f"playhead.{k}") for k in ("yours", "model", "no_notes", "roll", "roll_help")}
        st.iframe(playhead_html(piece, rendered.audio, roll_height=roll_height, words=words),
                  alt=tr("piece.alt", name=piece.name))
    else:
        fig = piano_roll(piece, title="", lang=lang())
        fig.update_layout(height=roll_height + 90, margin=dict(t=10))
        st.plotly_chart(fig, key=f"roll-{key}", width="stretch")


def show_piece(rendered: studio.Rendered, key: str, score: bool = True, downloads: bool = True) -> None:
    """Audio with a piano roll that follows it, engraved score and downloads of one generated piece."""
    piece = rendered.piece
    if rendered.warning:
        st.warning(say(rendered.warning), icon=":material/repeat:")
    player(rendered, key)
    st.caption(tr("piece.caption", notes=piece.n_notes, seconds=piece.seconds, tempo=piece.tempo)
               + (tr("piece.click") if rendered.audio else ""))
    if score:
        if rendered.musicxml is None and not rendered.svg:  # engraved after the player is on screen
            with st.spinner(tr("piece.engraving")):
                studio.engrave(rendered)
        if rendered.svg:
            with st.expander(tr("piece.score"), expanded=True):
                score_pages(rendered.svg, key)
    for note in rendered.notes:
        st.caption(say(note))
    if downloads:
        import functools

        cols = st.columns(4)
        name = studio.download_name(rendered)
        cols[0].download_button(tr("piece.midi"), rendered.midi, f"{name}.mid", "audio/midi", key=f"mid-{key}",
                                on_click="ignore")
        if rendered.audio:
            cols[1].download_button(tr("piece.ogg"), rendered.audio, f"{name}.ogg", "audio/ogg",
                                    key=f"ogg-{key}", on_click="ignore")
            cols[2].download_button(tr("piece.wav"), functools.partial(studio.wav_of, rendered),
                                    f"{name}.wav", "audio/wav", key=f"wav-{key}", on_click="ignore")
        if rendered.musicxml:
            cols[3].download_button(tr("piece.musicxml"), rendered.musicxml, f"{name}.musicxml",
                                    "application/vnd.recordare.musicxml+xml", key=f"xml-{key}", on_click="ignore")


def score_pages(pages: list[str], key: str) -> None:
    """The engraved pages at the size they were engraved for, scrolled sideways where the screen is
    narrower (a phone fits a page to about a third of it: too small to read), or fitted on demand."""
    import base64

    fit = st.toggle(tr("piece.score_fit"), key=f"score-fit-{key}", help=tr("piece.score_fit_help"))
    for page in pages:
        if fit:
            st.image(page, width="stretch")
            continue
        source = base64.b64encode(page.encode("utf-8")).decode("ascii")
        st.html(f'<div style="overflow-x:auto"><img alt="{tr("piece.score")}" style="max-width:none" '
                f'src="data:image/svg+xml;base64,{source}"></div>')


def short_warning(warning) -> str:
    """A collapse warning's first clause ("The output fell into a loop"), in the current language;
    one an older version kept in English, whole."""
    if isinstance(warning, Message) and warning.code == "said.sentences":  # sample.collapse_message
        warning = warning.values["parts"][0]
    if isinstance(warning, Message) and f"{warning.code}_short" in text.EN:
        return tr(f"{warning.code}_short")
    return say(warning)


def run_choice(label: str, entries: list[studio.Entry], key: str, default=None, help=None):
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


def run_dataset_title(run) -> str:
    """studio.dataset_title in the current language (a built-in set's title is translated)."""
    from musegen.train.basemodel import BASE_DATASET
    from musegen.music.sources import BUILTIN

    name = run.config.data.dataset
    return opt("dataset", name) if name in BUILTIN or name == BASE_DATASET else say(studio.dataset_title(run))


def kind_name(kind: str) -> str:
    """A model kind as the pages name it (studio.MODEL_KINDS, in the current language)."""
    shown = opt("kind", kind)
    return studio.MODEL_KINDS.get(kind, kind) if shown == kind or lang() == text.DEFAULT else shown


def scheme_name(scheme: str) -> str:
    """A token scheme as the pages name it (studio.SCHEMES, in the current language)."""
    shown = opt("scheme", scheme)
    return studio.SCHEMES.get(scheme, scheme) if shown == scheme or lang() == text.DEFAULT else shown


def entry_label(entry: studio.Entry) -> str:
    """A run as the lists show it: studio's Entry.label, in the current language."""
    if lang() == text.DEFAULT:
        return entry.label
    s = entry.run.summary
    kind = kind_name(s.get("model", "")) if s.get("model") else "?"
    return tr("runs.label", name=entry.run.name, kind=kind.split("（")[0].split(" (")[0],
              loss=tr("runs.loss", loss=s["val_loss"]) if s.get("val_loss") is not None else "",
              bundled=tr("runs.bundled") if entry.bundled else "")


def source_name(source) -> str:
    """Where a run's music came from (a built-in set's name, an upload's label: studio.dataset_source's
    Message, or the English an older run stored), as pages show it."""
    return say(source) if isinstance(source, Message) or lang() == text.DEFAULT else opt("dataset", source)
