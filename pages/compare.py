"""Compare: WaveNet against LSTM — the article's question — on curves, numbers and music."""
from __future__ import annotations

import streamlit as st

from musegen.studio import generation, presets, run_library
from musegen.evaluate import verdict
from musegen.config import SampleConfig
from musegen.errors import MusegenError
from musegen.messages import msg
from musegen.render.plots import learning_curves
from ui import dataset, figures, language, library, piece, server, session, training

session.through_app()
tr = language.tr

# The settings this page keeps across reloads.
KEPT = ("cmp-preset", "cmp-runs", "cmp-seconds", "cmp-temperature", "cmp-seed")
session.keep(KEPT)

st.title(tr("cmp.title"))
st.caption(tr("cmp.caption"))

entries = library.library()
paths = [str(e.path) for e in entries]
by_path = {str(e.path): e for e in entries}


# ---------------------------------------------------------------- train both

with st.expander(tr("cmp.train_both")):
    data = dataset.current_dataset()
    label = dataset.dataset_label(data) if data else tr("cmp.bach")
    st.markdown(tr("cmp.train_both_text", label=label))
    sizes = list(presets.PRESETS)
    preset = st.selectbox(tr("cmp.size"), sizes, key="cmp-preset", format_func=lambda p: language.opt("preset", p))
    if st.button(tr("cmp.train"), key="cmp-train"):
        values = presets.PRESETS[preset]
        ids = []
        for kind in ("wavenet", "lstm"):
            new = training.submit(presets.build_config(training.dataset_name(data), kind, values), data,
                                  values["max_files"])
            if new is None:  # said why: the other is not started either
                break
            ids.append(new)
        if ids:
            st.session_state["cmp-jobs"] = ids

    pair = [j for j in (training.my_job(i) for i in st.session_state.get("cmp-jobs", [])) if j is not None]
    if pair:
        training.watch([j.id for j in pair], "cmp", compact=True)


# ---------------------------------------------------------------- pick runs

if not entries:
    st.info(tr("cmp.no_runs"))
    st.stop()

wavenet = run_library.default_entry(entries, "wavenet")
lstm = run_library.default_entry(entries, "lstm")
defaults = [str(e.path) for e in (wavenet, lstm) if e is not None] or paths[:2]
just_trained = [str(j.run_path) for j in pair if j.run_path is not None and str(j.run_path) in by_path]
if len(just_trained) == 2 and st.session_state.get("cmp-picked-pair") != just_trained:
    st.session_state["cmp-picked-pair"] = just_trained  # once: then the person's own choice stands
    st.session_state["cmp-runs"] = just_trained
if "cmp-runs" in st.session_state:  # a kept choice may name runs deleted since
    st.session_state["cmp-runs"] = [p for p in st.session_state["cmp-runs"] if p in by_path] or defaults
# No loss in the picker: a run's own, beside the answer's measured alike, would say the opposite.
chosen = st.multiselect(tr("cmp.runs"), paths, default=None if "cmp-runs" in st.session_state else defaults,
                        key="cmp-runs", format_func=lambda p: library.entry_label(by_path[p], loss=False))
runs = [by_path[p].run for p in chosen]
if not runs:
    st.info(tr("cmp.pick"))
    st.stop()

alike = {}  # run name: its loss and accuracy measured alike, when their own are not like for like
if len(runs) >= 2 and verdict.recorded_mismatch(runs):
    with st.spinner(tr("cmp.measuring")):
        alike = server.measured_alike(tuple(str(r.path) for r in runs),
                                      tuple((r.path / "weights.npz").stat().st_mtime if (r.path / "weights.npz").exists()
                                            else 0.0 for r in runs), tuple(runs))
measured = {name: got["loss"] for name, got in alike.items()} or None
answer = verdict.compare(runs, measured, {name: got["accuracy"] for name, got in alike.items()})
lang = language.lang()
with st.container(border=True):
    st.subheader(tr("cmp.answer"))
    (st.success if answer.sure and not answer.warnings else st.info)(answer.headline.said(lang))
    if answer.surprise:  # what "loss" means, in the open: the headline's number rests on it
        st.caption(answer.surprise.said(lang))
    for warning in answer.warnings:
        st.warning(warning.said(lang), icon=":material/warning:")
    with st.expander(tr("cmp.why")):
        st.markdown("\n".join(f"- {line.said(lang)}" for line in answer.evidence))
    st.caption(tr("cmp.listen_both"))

figures.chart(learning_curves({r.name: r.history for r in runs}, lang=lang), "cmp-curves")
if alike:  # the curves are each run's own: say so where they disagree with the answer
    st.caption(tr("cmp.curves_own"))

speeds = st.session_state.setdefault("cmp-speeds", {})
if answer.source:  # the table's loss is the answer's: where it comes from, said where it is shown
    st.markdown(answer.source.said(lang))
rows = [run_library.run_row(r, speeds.get(str(r.path)), alike.get(r.name)) for r in runs]
st.dataframe(figures.table(figures.filled(rows)), hide_index=True, width="stretch")
st.caption(tr("cmp.table_caption"))
if alike:  # what each run measured itself while training: there, never beside the answer
    with st.expander(tr("cmp.own_figures")):
        why = verdict.recorded_mismatch(runs) or msg("verdict.not_like_for_like")
        st.caption(tr("cmp.own_figures_caption", why=why.said(lang)))
        st.dataframe(figures.table(figures.filled([run_library.own_row(r) for r in runs])), hide_index=True,
                     width="stretch")


# ---------------------------------------------------------------- listen side by side

st.subheader(tr("cmp.listen"))
st.caption(tr("cmp.listen_own"))
c1, c2, c3 = st.columns(3)
seconds = c1.slider(tr("cmp.seconds"), 5, 60, 15, 5, key="cmp-seconds")
temperature = c2.slider(tr("cmp.temperature"), 0.0, 2.0, SampleConfig().temperature, 0.05, key="cmp-temperature")
seed = c3.number_input(tr("cmp.seed"), 0, 2**31 - 1, 7, key="cmp-seed")
if st.button(tr("cmp.compose"), type="primary", key="cmp-go"):
    # The models themselves: the harmony and rhythm rules would make a weak model sound like a strong one.
    sample = SampleConfig(seconds=float(seconds), temperature=float(temperature), seed=int(seed), harmony=0.0,
                          match_rhythm=False)
    out = {}
    for r in runs[:4]:
        try:
            with st.spinner(tr("cmp.composing", name=r.name)):
                out[str(r.path)] = generation.compose(server.pool(), r, sample, score=False)
                speeds[str(r.path)] = out[str(r.path)].tokens_per_s
        except MusegenError as e:
            st.error(f"{r.name}{tr('said.colon')}{language.error_text(e)}")
    st.session_state["cmp-pieces"] = out
    st.rerun()

made = st.session_state.get("cmp-pieces", {})
shown = [r for r in runs[:4] if str(r.path) in made]
if shown:
    for col, r in zip(st.columns(len(shown)), shown):
        with col:
            st.markdown(f"**{r.name}**")
            piece.show_piece(made[str(r.path)], key=f"cmp-{r.name}", score=False, downloads=False)


# ---------------------------------------------------------------- the study

headline = run_library.study_headline()
if headline:
    st.subheader(tr("cmp.study"))
    st.caption(tr("cmp.study_caption", seconds=run_library.study_seconds() or 75))
    st.dataframe(figures.table(figures.filled(run_library.study_rows(headline))), hide_index=True, width="stretch")
