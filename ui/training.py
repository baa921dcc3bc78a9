"""A training as the pages show it, and starting one: the Train page (the training it watches, in
full) and the Compare page (its two, side by side, compact) share these, so that both start, show
and stop a training the same way in either language.

Streamlit wiring only; the trainings are musegen.serve.jobs'.
"""
from __future__ import annotations

import time

import streamlit as st

from musegen.studio import presets, run_library
from musegen.config import AppLimits
from musegen.errors import MusegenError
from musegen.render.plots import training_progress
from musegen.serve import jobs
from musegen.serve.job import Job
from ui.figures import chart
from ui.language import duration_text, error_text, lang, say, state_name, tr, tr_count
from ui.session import owner, visitor

JOB = "job"  # session key: id of the training this session watches
DISMISSED = "tr-dismissed"  # session key (kept): the ended training put away with New training
STATE_ICONS = {"queued": ":material/hourglass_top:", "running": ":material/model_training:",
               "finished": ":material/check_circle:", "stopped": ":material/stop_circle:",
               "failed": ":material/error:", "interrupted": ":material/pause_circle:"}


def my_job(job_id: str | None) -> "Job | None":
    """A job this visitor may watch: their own (any, for the operator)."""
    job = jobs.get(job_id) if job_id else None
    who = owner()
    return job if job is not None and (who is None or job.owner == who) else None


# ---------------------------------------------------------------- starting one


def dataset_name(data: dict | None) -> str:
    """The music a training's config names: a built-in set's name, "upload", or (nothing chosen) "bach"."""
    return (data["name"] or "upload") if data else "bach"


def submit(config, data: dict | None, max_files: int) -> str | None:
    """Start training ``config`` on the chosen music (``data``: current_dataset(); None: the Bach
    chorales), its first ``max_files`` files, into a new run in this visitor's folder. The new job's
    id; None when it was refused, which the page then says."""
    try:
        pieces = presets.first_files(data["result"], max_files) if data else None
        music = (data["name"] or data["label"]) if data else "bach"  # a built-in set by its short name
        out = run_library.new_run_path(music, config.model.kind, visitor(), base=config.train.base, lang=lang())
        return jobs.submit(config, out, pieces=pieces, owner=owner() or "")
    except MusegenError as e:
        st.error(error_text(e))
        return None


# ---------------------------------------------------------------- watching one


def watch(job_ids: list[str], key: str, compact: bool = False) -> None:
    """The trainings (this visitor's: my_job), repainted every second while one runs or writes
    its sample (a fragment: the rest of the page stays as it is), side by side when there are
    several. When one ends the whole page runs again: the sidebar, the run library, and the polling
    stops. ``key``: the page's prefix for the widgets' keys."""
    watched = [job for job in map(my_job, job_ids) if job is not None]
    was = {job.id: (job.active, job.sampling) for job in watched}

    @st.fragment(run_every=1.0 if any(active or sampling for active, sampling in was.values()) else None)
    def paint():
        now = []
        for job_id, (active, sampling) in was.items():
            job = my_job(job_id)
            if job is None:  # forgotten meanwhile: no longer watched
                if st.session_state.get(JOB) == job_id:
                    st.session_state.pop(JOB, None)
                continue
            if (active and not job.active) or (sampling and not job.sampling and not job.active):
                st.rerun()  # it just ended: repaint the whole page
            now.append(job)
        if len(now) == 1:
            panel(now[0], key, compact)
            return
        for col, job in zip(st.columns(len(now)), now):
            with col:
                panel(job, key, compact)

    paint()


def panel(job: Job, key: str, compact: bool = False) -> None:
    """One training: its name and state; where it is (its place in the queue; a bar with the step,
    time spent and time left; why it failed); its loss curves as they come; Stop while it runs.
    ``compact`` (Compare's columns) stops there; in full (Train) it also says how it ended, shows
    the latest losses and the samples it writes, and once it ended offers Generate with it,
    Resume and New training."""
    if compact:
        st.markdown(tr("cmp.job", name=job.name, state=state_name(job.state)))
    else:
        st.subheader(f"{STATE_ICONS[job.state]} {job.name}")
    where(job, compact)
    if job.history or job.batches["epoch"]:  # its name is just above: no title of its own
        chart(training_progress(job.batches, job.history, title="", lang=lang()), key=f"{key}-chart-{job.id}")
        if not compact:
            latest(job)
    if not compact:
        samples(job)
    if job.active and job.stopping:  # pressed: said at once, and not pressed twice
        st.button(tr("said.stopping"), key=f"{key}-stop-{job.id}", disabled=True, icon=":material/hourglass_top:")
    elif job.active:
        st.button(tr("train.stop"), key=f"{key}-stop-{job.id}", on_click=stop, args=(job.id,),
                  help=tr("train.stop_help"))
    elif not compact:
        after(job, key)


def where(job: Job, compact: bool = False) -> None:
    """Where the training is, in the current language."""
    if job.state == "queued":
        if compact:
            st.caption(tr("cmp.waiting", place=job.place))
        else:
            st.info(tr_count("train.queued", _concurrent(), place=job.place, message=say(job.message)))
    elif job.state == "running" and not compact and getting_ready(job):
        return
    elif job.state == "running":
        eta = duration_text(job.eta)
        if compact:
            text = tr("cmp.eta", message=say(job.message), eta=eta)
        else:
            text = say(job.message)
            if job.progress.get("event") in ("batch", "epoch"):
                text += tr("train.elapsed", elapsed=duration_text(job.progress.get("elapsed")), eta=eta)
        st.progress(job.fraction, text=text)
    elif job.state == "failed":
        st.error(error_text(job.error))
    elif compact:
        return
    elif job.state == "interrupted":
        st.warning(say(job.message), icon=":material/pause_circle:")
    else:
        st.success(say(job.message))


# What a worker does before its first batch, in order, by the status codes musegen.train.fit sends
# (a fine-tune measures where it starts in the last step). That can take a minute and more: a bar at
# nought and one line would look stuck.
READY_STEPS = (("reading", ("said.reading",)), ("preparing", ("said.preparing",)), ("building", ("said.building",)),
               ("first_batch", ("said.windows", "said.windows_moved", "said.start_loss")))


def getting_ready(job: Job) -> bool:
    """Before the first batch: the steps done (ticked), the one under way and those to come, with
    the worker's own words and the time so far. False once batches come (or for a message without
    a code, an older row): the progress bar then says where it is."""
    if job.progress.get("event") in ("batch", "epoch"):
        return False
    code = getattr(job.message, "code", None)
    at = next((i for i, (_, codes) in enumerate(READY_STEPS) if code in codes),
              -1 if code in ("said.starting", "said.waiting") else None)
    if at is None:
        return False
    lines = []
    for i, (step, _) in enumerate(READY_STEPS):
        words = tr(f"train.step.{step}")
        lines.append(f":green[:material/check_circle:] {words}" if i < at
                     else f":blue[:material/progress_activity:] **{words}**" if i == at
                     else f":gray[:material/radio_button_unchecked: {words}]")
    st.markdown("  \n".join(lines))
    since = time.time() - job.started if job.started else None
    st.caption(tr("train.so_far", message=say(job.message), elapsed=duration_text(since)))
    return True


def _concurrent() -> int:
    """How many trainings this server runs at once (the page says a bad setting once, at its top)."""
    try:
        return AppLimits.from_env().max_concurrent_trainings
    except MusegenError:
        return AppLimits().max_concurrent_trainings


def latest(job: Job) -> None:
    """What a fine-tune's start bought (where it began, against chance and now), and the last epoch's
    losses and accuracies with their change since the one before."""
    h = job.history
    if job.start:
        now = h["val_loss"][-1] if h.get("val_loss") else None
        st.caption(tr("train.started_at", loss=f"{job.start['val_loss']:.2f}", chance=f"{job.start['chance']:.2f}")
                   + (tr("train.now_at", loss=f"{now:.2f}") if now is not None else ""))
    if h.get("loss"):
        for col, name in zip(st.columns(4), ("loss", "val_loss", "accuracy", "val_accuracy")):
            if h.get(name):
                col.metric(tr(f"train.metric.{name}"), f"{h[name][-1]:.3f}",
                           delta=f"{h[name][-1] - h[name][-2]:+.3f}" if len(h[name]) > 1 else None,
                           delta_color="inverse" if "loss" in name else "normal")


def samples(job: Job) -> None:
    """The short sample of the newest checkpoint, or a word while it is being written."""
    if job.sample_audio:
        st.markdown(tr("train.listen", epoch=job.sample_epoch))
        st.audio(job.sample_audio, format="audio/ogg")
    elif job.sampling:
        st.caption(tr("train.writing_sample"))
    if job.sample_note:
        st.caption(say(job.sample_note))


def after(job: Job, key: str) -> None:
    """An ended training: Generate with its run, Resume it (when it can be), or leave it for a new one."""
    cols = st.columns([1, 1, 1, 2])
    if job.run_path is not None:
        cols[0].page_link("pages/generate.py", label=tr("train.generate_with"), icon=":material/piano:")
    if job.resumable:
        cols[2].button(tr("train.resume"), key=f"{key}-resume-{job.id}", on_click=resume, args=(job.id,),
                       type="primary", help=tr("train.resume_help"))
    if cols[1].button(tr("train.new"), key=f"{key}-dismiss-{job.id}"):
        st.session_state.pop(JOB, None)
        st.session_state[DISMISSED] = job.id  # a reload or a new tab does not bring it back
        st.query_params.pop("job", None)
        st.rerun()


def watch_job(job_id: str) -> None:
    """The Train page watches this training from now on (and a reload finds it in the address)."""
    st.session_state[JOB] = job_id
    st.query_params["job"] = job_id


def stop(job_id: str) -> None:
    try:
        jobs.stop(job_id, owner=owner())
    except MusegenError as e:
        st.toast(error_text(e), icon=":material/error:")


def resume(job_id: str) -> None:
    try:
        watch_job(jobs.resume(job_id, owner=owner()))
    except MusegenError as e:
        st.toast(error_text(e), icon=":material/error:")
