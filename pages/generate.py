"""Generate: pick a model and the sampling rules, compose, see the score, listen, download."""
from __future__ import annotations

import streamlit as st

import appui
from musegen import jobs, studio
from musegen.config import SampleConfig
from musegen.errors import MusegenError
from musegen.midi import INSTRUMENTS
from musegen.sources import MIDI_EXTENSIONS, read_file_bytes

AS_WRITTEN = "As written (each part its own)"

st.title(":material/piano: Generate")
st.caption("The model writes one token at a time, each chosen at random among the likely next ones. "
           "Temperature, top-k and top-p decide how adventurous that choice is.")

entries = studio.library()
finished = jobs.get(st.session_state.get(appui.JOB, "")) if st.session_state.get(appui.JOB) else None
default = finished.run_path if finished is not None and finished.run_path is not None else None
entry = appui.run_choice("Model", entries, key="gen-run", default=default,
                         help="Bundled models come with the app; your own appear when a training ends.")
if entry is None:
    st.stop()
run = entry.run
st.caption(f"{studio.MODEL_KINDS.get(run.config.model.kind, run.config.model.kind)} · "
           f"{run.summary.get('params', 0):,} parameters · trained on {studio.dataset_title(run)}"
           + (f" · hears {run.summary['context_tokens']} tokens ≈ {run.summary['context_bars']:.0f} bars"
              if run.summary.get("context_bars") else ""))

if "gen-seed" not in st.session_state:
    st.session_state["gen-seed"] = studio.random_seed()


def surprise() -> None:
    st.session_state["gen-seed"] = studio.random_seed()


left, right = st.columns(2)
with left:
    primer_kind = st.radio("Start from", ["A random passage of the dataset", "My MIDI file (continue it)", "Nothing"],
                           key="gen-primer", help="The model continues the music it is given.")
    primer_piece = None
    if primer_kind.startswith("My MIDI"):
        upload = st.file_uploader("MIDI file to continue", type=[e.lstrip(".") for e in MIDI_EXTENSIONS],
                                  key="gen-upload", max_upload_size=appui.limits().max_upload_mb or None)
        if upload is not None:
            try:
                primer_piece = read_file_bytes(upload.name, upload.getvalue())
                st.caption(f"{upload.name}: {primer_piece.n_notes} notes; its last bars lead into the new music.")
            except MusegenError as e:
                st.error(str(e))
    seconds = st.slider("Length (seconds of music)", 5, 90, 20, 5, key="gen-seconds",
                        help="The model writes until the piece lasts this long.")
    tempo = st.slider("Tempo (BPM, 0 = the dataset's)", 0, 200, 0, 5, key="gen-tempo")
    instrument = st.selectbox("Instrument", [AS_WRITTEN] + list(INSTRUMENTS), key="gen-instrument",
                              help="The General MIDI sound of every part in the audio and the MIDI file; "
                                   "as written, each part keeps the instrument the music gives it.")
with right:
    temperature = st.slider("Temperature", 0.0, 2.0, SampleConfig().temperature, 0.05, key="gen-temperature",
                            help="Low: safe and repetitive (0 = always the likeliest note). High: surprising.")
    top_k = st.slider("Top-k (0 = off)", 0, 100, 0, key="gen-topk",
                      help="Choose only among the k likeliest next tokens.")
    top_p = st.slider("Top-p", 0.1, 1.0, 0.95, 0.05, key="gen-topp",
                      help="Choose among the likeliest tokens that together hold this much probability (1 = off).")
    c1, c2 = st.columns([2, 1])
    seed = c1.number_input("Seed", 0, 2**31 - 1, key="gen-seed", help="Same seed and settings, same piece.")
    c2.button(":material/casino: Surprise me", on_click=surprise, key="gen-surprise", help="A new random seed.")

go = st.button(":material/play_arrow: Compose", type="primary", key="gen-go",
               disabled=primer_kind.startswith("My MIDI") and primer_piece is None)
if go:
    sample = SampleConfig(seconds=float(seconds), temperature=float(temperature), top_k=int(top_k),
                          top_p=float(top_p), seed=int(seed), primer="none" if primer_kind == "Nothing" else "random",
                          tempo=float(tempo), program=INSTRUMENTS.get(instrument))
    try:
        with st.spinner("Composing…"):
            rendered = studio.compose(appui.pool(), run, sample, piece=primer_piece)
        appui.remember(rendered)
        st.session_state["gen-current"] = len(st.session_state[appui.PIECES]) - 1
    except MusegenError as e:
        st.error(str(e))

pieces = st.session_state.get(appui.PIECES, [])
current = st.session_state.get("gen-current")
if pieces and current is not None and current < len(pieces):
    rendered = pieces[current]
    s = rendered.settings
    st.subheader(rendered.piece.name)
    st.caption(f"{rendered.run} · seed {s['seed']} · temperature {s['temperature']:g} · top-k {s['top_k']} · "
               f"top-p {s['top_p']:g} · {rendered.tokens_per_s:,.0f} tokens/s")
    appui.show_piece(rendered, key=f"gen-{current}")

if pieces:
    st.subheader("This session's pieces")
    st.caption("Play them again to compare; the newest is at the top.")
    for i in reversed(range(len(pieces))):
        r = pieces[i]
        with st.container(border=True):
            cols = st.columns([3, 4, 1])
            cols[0].markdown(f"**{r.piece.name}**  \n{r.run} · T {r.settings['temperature']:g} · "
                             f"p {r.settings['top_p']:g} · {r.piece.seconds:.0f} s")
            if r.audio:
                cols[1].audio(r.audio, format="audio/ogg")
            else:
                cols[1].caption("no audio")
            if cols[2].button("Show", key=f"gen-show-{i}"):
                st.session_state["gen-current"] = i
                st.rerun()
