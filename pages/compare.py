"""Compare: WaveNet against LSTM — the article's question — on curves, numbers and music."""
from __future__ import annotations

import streamlit as st

import appui
from musegen import jobs, studio, verdict
from musegen.config import SampleConfig
from musegen.errors import MusegenError
from musegen.plots import learning_curves, training_progress

appui.through_app()

st.title(":material/balance: Compare")
st.caption("Which learns music better from the same data: a WaveNet or an LSTM? Compare their learning "
           "curves, their numbers, and — most of all — listen.")

entries = appui.library()
paths = [str(e.path) for e in entries]
by_path = {str(e.path): e for e in entries}


# ---------------------------------------------------------------- train both

with st.expander("Train both with identical settings on this dataset"):
    data = appui.current_dataset()
    label = data["label"] if data else "Bach chorales"
    st.markdown(f"A WaveNet and an LSTM, same music (**{label}**), same split, same epochs and time budget. "
                "They run one after the other when the server trains one model at a time.")
    presets = list(studio.PRESETS)
    preset = st.selectbox("Size", presets, key="cmp-preset")
    if st.button(":material/play_arrow: Train both", key="cmp-train"):
        values = studio.PRESETS[preset]
        pieces = studio.first_files(data["result"], values["max_files"]) if data else None
        try:
            ids = [jobs.submit(studio.build_config((data["name"] or "upload") if data else "bach", kind, values),
                               studio.new_run_path(data["label"] if data else "bach", kind, appui.visitor()),
                               pieces=pieces, owner=appui.owner() or "")
                   for kind in ("wavenet", "lstm")]
            st.session_state["cmp-jobs"] = ids
        except MusegenError as e:
            st.error(str(e))

    pair = [j for j in (appui.my_job(i) for i in st.session_state.get("cmp-jobs", [])) if j is not None]
    if pair:
        live = any(j.active for j in pair)

        @st.fragment(run_every=1.0 if live else None)
        def both():
            current = [jobs.get(j.id) for j in pair]
            if live and not any(j.active for j in current):
                st.rerun()
            cols = st.columns(len(current))
            for col, job in zip(cols, current):
                with col:
                    st.markdown(f"**{job.name}** — {job.state}")
                    if job.state == "queued":
                        st.caption(f"Waiting: place {job.place} in the queue")
                    elif job.state == "running":
                        st.progress(job.fraction, text=f"{job.message} · ETA {jobs.format_seconds(job.eta)}")
                    elif job.state == "failed":
                        st.error(job.error)
                    if job.history or job.batches["epoch"]:
                        fig = training_progress(job.batches, job.history, title=job.name)
                        st.plotly_chart(fig, key=f"cmp-live-{job.id}", width="stretch")
                    if job.active:
                        st.button(":material/stop: Stop", key=f"cmp-stop-{job.id}", on_click=jobs.stop, args=(job.id,),
                                  kwargs={"owner": appui.owner()})

        both()


# ---------------------------------------------------------------- pick runs

if not entries:
    st.info("No runs yet: train some on the **Train** page, or use **Train both** above.")
    st.stop()

wavenet = studio.default_entry(entries, "wavenet")
lstm = studio.default_entry(entries, "lstm")
defaults = [str(e.path) for e in (wavenet, lstm) if e is not None] or paths[:2]
just_trained = [str(j.run_path) for j in pair if j.run_path is not None and str(j.run_path) in by_path]
if len(just_trained) == 2 and st.session_state.get("cmp-picked-pair") != just_trained:
    st.session_state["cmp-picked-pair"] = just_trained  # once: then the person's own choice stands
    st.session_state["cmp-runs"] = just_trained
if "cmp-runs" in st.session_state:  # a kept choice may name runs deleted since
    st.session_state["cmp-runs"] = [p for p in st.session_state["cmp-runs"] if p in by_path] or defaults
chosen = st.multiselect("Runs to compare", paths, default=None if "cmp-runs" in st.session_state else defaults,
                        key="cmp-runs", format_func=lambda p: by_path[p].label)
runs = [by_path[p].run for p in chosen]
if not runs:
    st.info("Pick at least one run.")
    st.stop()

measured = None
if len(runs) >= 2 and verdict.recorded_mismatch(runs):  # their own losses are not like for like: measure
    with st.spinner("Measuring each model on the same held-out music (a few seconds, once)…"):
        measured = appui.measured_losses(tuple(str(r.path) for r in runs),
                                         tuple((r.path / "weights.npz").stat().st_mtime if (r.path / "weights.npz").exists()
                                               else 0.0 for r in runs), tuple(runs)) or None
answer = verdict.compare(runs, measured)
with st.container(border=True):
    st.subheader("The answer")
    (st.success if answer.clear and not answer.warnings else st.info)(answer.headline)
    for warning in answer.warnings:
        st.warning(warning, icon=":material/warning:")
    with st.expander("Why: the evidence"):
        st.markdown("\n".join(f"- {line}" for line in answer.evidence))
    st.caption("Then listen to both below: the numbers say which predicts better, your ears which you prefer.")

st.plotly_chart(learning_curves({r.name: r.history for r in runs}), key="cmp-curves", width="stretch")

speeds = st.session_state.setdefault("cmp-speeds", {})
st.dataframe([studio.run_row(r, speeds.get(str(r.path))) for r in runs], hide_index=True, width="stretch")
st.caption("Parameters: size of the model. Best val loss / accuracy: on music held out from training "
           "(lower loss, higher accuracy = better predictions). Generation speed appears after composing below.")


# ---------------------------------------------------------------- listen side by side

st.subheader("Listen side by side")
c1, c2, c3 = st.columns(3)
seconds = c1.slider("Length (s)", 5, 60, 15, 5, key="cmp-seconds")
temperature = c2.slider("Temperature", 0.0, 2.0, SampleConfig().temperature, 0.05, key="cmp-temperature")
seed = c3.number_input("Seed (the same for all)", 0, 2**31 - 1, 7, key="cmp-seed")
if st.button(":material/play_arrow: Compose one piece with each", type="primary", key="cmp-go"):
    sample = SampleConfig(seconds=float(seconds), temperature=float(temperature), seed=int(seed))
    out = {}
    for r in runs[:4]:
        try:
            with st.spinner(f"{r.name} is composing…"):
                out[str(r.path)] = studio.compose(appui.pool(), r, sample, score=False)
                speeds[str(r.path)] = out[str(r.path)].tokens_per_s
        except MusegenError as e:
            st.error(f"{r.name}: {e}")
    st.session_state["cmp-pieces"] = out
    st.rerun()

made = st.session_state.get("cmp-pieces", {})
shown = [r for r in runs[:4] if str(r.path) in made]
if shown:
    for col, r in zip(st.columns(len(shown)), shown):
        with col:
            st.markdown(f"**{r.name}**")
            appui.show_piece(made[str(r.path)], key=f"cmp-{r.name}", score=False, downloads=False)


# ---------------------------------------------------------------- the study

headline = studio.study_headline()
if headline:
    st.subheader("The study's answer")
    st.caption("From the repository's benchmark study (read-only); the method and the full tables are in "
               "`docs/study.md`.")
    st.dataframe(headline, hide_index=True, width="stretch")
