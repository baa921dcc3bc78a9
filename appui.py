"""Streamlit helpers shared by app.py and the pages: caches, the sidebar, showing a piece.

Only Streamlit wiring lives here; the logic is in musegen (studio, jobs, sources, …).
"""
from __future__ import annotations

import streamlit as st

from musegen import jobs, studio
from musegen.audio import check_audio
from musegen.config import AppLimits, DataConfig
from musegen.errors import MusegenError
from musegen.playhead import playhead_html
from musegen.plots import piano_roll

DATASET = "dataset"  # session key: {"label", "name" (built-in) or None, "result": LoadResult}
PIECES = "pieces"  # session key: list of studio.Rendered made this session (newest last)
JOB = "job"  # session key: id of the training this session watches
MAX_SESSION_PIECES = 12


def limits() -> AppLimits:
    try:
        return AppLimits.from_env()
    except MusegenError as e:
        st.error(f"Bad demo limits ({e}); using the defaults.")
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


@st.cache_resource(show_spinner=False, max_entries=4)
def builtin_dataset(name: str, _progress=None):
    """A built-in dataset parsed once per server (and cached on disk across restarts)."""
    from musegen.sources import load_pieces

    return load_pieces(name, DataConfig(dataset=name), progress=_progress)


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
        where.warning(f"**No audio on this machine.** {problem}. Piano rolls, scores and MIDI downloads still work.",
                      icon=":material/volume_off:")


def current_dataset() -> dict | None:
    return st.session_state.get(DATASET)


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### :material/music_note: musegen")
        st.caption("Teach a neural network some music, then let it compose.")
        data = current_dataset()
        if data:
            summary = data["result"].summary()
            st.markdown(f"**Dataset:** {data['label']}  \n{summary['parsed']} pieces, {summary['notes']:,} notes")
        else:
            st.markdown("**Dataset:** none chosen yet (Train uses Bach chorales)")
        job_id = st.session_state.get(JOB)
        job = jobs.get(job_id) if job_id else None
        if job is not None:
            icon = {"queued": ":material/hourglass_top:", "running": ":material/model_training:", "finished": ":material/check_circle:", "stopped": ":material/stop_circle:", "failed": ":material/error:"}[job.state]
            st.markdown(f"**Training:** {icon} {job.name} — {job.state}")
            if job.active:
                st.progress(job.fraction)
        pieces = st.session_state.get(PIECES, [])
        if pieces:
            st.markdown(f"**This session:** {len(pieces)} piece(s) composed")
        audio_notice(st.sidebar)
        lim = limits()
        with st.expander("Limits of this server"):
            st.markdown(
                f"- uploads up to **{lim.max_upload_mb} MB**\n"
                f"- training up to **{lim.max_training_minutes:g} min** per run"
                f"{' (no cap)' if not lim.max_training_minutes else ''}\n"
                f"- **{lim.max_concurrent_trainings}** training(s) at a time; others queue")


def remember(rendered: studio.Rendered) -> None:
    pieces = st.session_state.setdefault(PIECES, [])
    pieces.append(rendered)
    del pieces[:-MAX_SESSION_PIECES]


def player(rendered: studio.Rendered, key: str, roll_height: int = 220) -> None:
    """The piece's audio and its piano roll in one frame, a playhead following the audio
    (musegen.playhead); without audio, the plotly roll."""
    piece = rendered.piece
    if rendered.audio:
        st.iframe(playhead_html(piece, rendered.audio, roll_height=roll_height),
                  alt=f"Audio player and piano roll of {piece.name}")
    else:
        fig = piano_roll(piece, title="")
        fig.update_layout(height=roll_height + 90, margin=dict(t=10))
        st.plotly_chart(fig, key=f"roll-{key}", width="stretch")


def show_piece(rendered: studio.Rendered, key: str, score: bool = True, downloads: bool = True) -> None:
    """Audio with a piano roll that follows it, engraved score and downloads of one generated piece."""
    piece = rendered.piece
    if rendered.warning:
        st.warning(rendered.warning, icon=":material/repeat:")
    player(rendered, key)
    st.caption(f"{piece.n_notes} notes · {piece.seconds:.0f} s · {piece.tempo:.0f} BPM"
               + (" · click or drag on the roll to play from there" if rendered.audio else ""))
    if score:
        if rendered.musicxml is None and not rendered.svg:  # engraved after the player is on screen
            with st.spinner("Engraving the score…"):
                studio.engrave(rendered)
        if rendered.svg:
            with st.expander("Score", expanded=True):
                for page in rendered.svg:
                    st.image(page, width="stretch")
    for note in rendered.notes:
        st.caption(note)
    if downloads:
        cols = st.columns(3)
        name = studio.slug(piece.name)
        cols[0].download_button(":material/download: MIDI", rendered.midi, f"{name}.mid", "audio/midi", key=f"mid-{key}",
                                on_click="ignore")
        if rendered.audio:
            cols[1].download_button(":material/download: Audio (ogg)", rendered.audio, f"{name}.ogg", "audio/ogg",
                                    key=f"ogg-{key}", on_click="ignore")
        if rendered.musicxml:
            cols[2].download_button(":material/download: MusicXML", rendered.musicxml, f"{name}.musicxml",
                                    "application/vnd.recordare.musicxml+xml", key=f"xml-{key}", on_click="ignore")


def run_choice(label: str, entries: list[studio.Entry], key: str, default=None, help=None):
    """A selectbox over the run library; returns the chosen Entry (or None when empty)."""
    if not entries:
        st.info("No trained model here yet: train one on the **Train** page "
                "(or run `make models` to build the bundled ones).")
        return None
    paths = [str(e.path) for e in entries]
    index = paths.index(str(default)) if default is not None and str(default) in paths else 0
    chosen = st.selectbox(label, paths, index=index, key=key, help=help,
                          format_func=lambda p: entries[paths.index(p)].label)
    return entries[paths.index(chosen)]
