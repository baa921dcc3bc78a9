"""The sidebar every page shares: the language, the chosen music, the training watched, the pieces
made, a word when there is no audio, the server's limits and the operator's unlock."""
from __future__ import annotations

import math
import os

import streamlit as st

from musegen.render.audio import check_audio
from musegen.serve import visitors
from ui.dataset import current_dataset, dataset_label
from ui.language import language_selector, say, state_name, tr, tr_count
from ui.library import open_share_link
from ui.session import PIECES, limits, visitor
from ui.training import JOB, STATE_ICONS, my_job


def sidebar() -> None:
    """After the navigation (app.py), on every page: session.start has given back the kept session."""
    with st.sidebar:
        language_selector()
        st.markdown("### :material/music_note: musegen")
        st.caption(tr("side.tagline"))
        data = current_dataset()
        if data:
            summary = data["result"].summary()
            st.markdown(tr_count("side.dataset", summary["parsed"], label=dataset_label(data), parsed=summary["parsed"],
                                 notes=summary["notes"]))
        else:
            st.markdown(tr("side.no_dataset"))
        job = my_job(st.session_state.get(JOB))
        if job is not None:
            sidebar_training(job.id, job.active)
        pieces = st.session_state.get(PIECES, [])
        if pieces:
            st.markdown(tr_count("side.pieces", len(pieces)))
        audio_notice(st.sidebar)
        lim = limits()
        with st.expander(tr("side.limits")):
            st.markdown(tr("side.limits_body", upload_mb=lim.max_upload_mb, minutes=lim.max_training_minutes,
                           nocap="" if lim.max_training_minutes else tr("side.nocap"),
                           at_once=tr_count("side.at_once", lim.max_concurrent_trainings),
                           trainings=tr_count("side.n_trainings", lim.max_trainings_per_visitor),
                           runs=tr_count("side.n_runs", lim.max_runs_per_visitor),
                           runs_mb=lim.max_runs_mb, cache_mb=lim.max_cache_mb))
            operator_unlock()
        open_share_link()


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


def audio_problem() -> str | None:
    return check_audio()  # cheap (a PATH lookup and a glob), so never stale


def audio_notice(where=st) -> None:
    problem = audio_problem()
    if problem:
        where.warning(tr("side.no_audio", problem=say(problem)), icon=":material/volume_off:")
