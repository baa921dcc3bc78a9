"""Generate: pick a model and the sampling rules, compose one piece or up to four variations side by
side (keep the ones you like), see the score, listen with a playhead, download."""
from __future__ import annotations

import streamlit as st

import appui
from musegen import studio
from musegen.config import SampleConfig
from musegen.errors import MusegenError
from musegen.midi import INSTRUMENTS
from musegen.sources import MIDI_EXTENSIONS

appui.through_app()

AS_WRITTEN = "As written (each part its own)"

st.title(":material/piano: Generate")
st.caption("The model writes one token at a time, each chosen at random among the likely next ones. "
           "Temperature, top-k and top-p decide how adventurous that choice is.")

entries = appui.library()
finished = appui.my_job(st.session_state.get(appui.JOB))
default = finished.run_path if finished is not None and finished.run_path is not None else None
rough_note = None
if default is not None and "gen-run" not in st.session_state:
    mine = next((e for e in entries if e.path == default), None)
    better = studio.better_than_rough(mine.run, entries) if mine is not None else None
    if better is not None:  # a run that has barely learnt is not the one to hear first
        default = better.path
        rough_note = (f"Your run **{mine.run.name}** is still rough (val loss {mine.run.summary['val_loss']:.2f} "
                      f"against {better.run.summary['val_loss']:.2f} for **{better.run.name}**, on the same music), "
                      f"so {better.run.name} is selected. Pick yours in the list to hear it anyway, or train it "
                      "longer.")
entry = appui.run_choice("Model", entries, key="gen-run", default=default,
                         help="Bundled models come with the app; your own appear when a training ends.")
if entry is None:
    st.stop()
if rough_note:
    st.info(rough_note, icon=":material/info:")
run = entry.run
metre = run.config.tokenizer.scheme == "metre"  # bars, time signatures and the bar echo need bar tokens
st.caption(f"{studio.MODEL_KINDS.get(run.config.model.kind, run.config.model.kind)} · "
           f"{run.summary.get('params', 0):,} parameters · trained on {studio.dataset_title(run)}"
           + (f" · hears {run.summary['context_tokens']} tokens ≈ {run.summary['context_bars']:.0f} bars"
              if run.summary.get("context_bars") else ""))

if "gen-seed" not in st.session_state:
    st.session_state["gen-seed"] = studio.random_seed()


def draw_seed() -> None:
    """Before a Compose: a new seed unless the user locked it (the box then shows the one used)."""
    if not st.session_state.get("gen-lock"):
        st.session_state["gen-seed"] = studio.random_seed()


def seed_typed() -> None:
    st.session_state["gen-lock"] = True  # a seed typed in is a seed to use


def kept_at(rendered) -> int | None:
    """Where a variation is among the session's pieces (None: not kept)."""
    return next((i for i, p in enumerate(st.session_state.get(appui.PIECES, [])) if p is rendered), None)


def keep(i: int) -> None:
    """Keep a variation: into the session's pieces (its score engraved now), shown in full below."""
    chosen = st.session_state["gen-variations"][i]
    if kept_at(chosen) is None:
        studio.engrave(chosen)
        appui.remember(chosen)
    st.session_state["gen-current"] = kept_at(chosen)


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
                primer_piece = appui.read_upload(upload.name, upload.getvalue())
                st.caption(f"{upload.name}: {primer_piece.n_notes} notes; its last bars lead into the new music.")
            except MusegenError as e:
                st.error(str(e))
    primer_bars, keep_primer = 0, True
    if primer_kind.startswith("My MIDI"):
        primer_bars = st.slider("Bars of your music the model hears", 1, 16, 4, key="gen-primer-bars",
                                help="The model continues from the last bars of your piece.")
        keep_primer = st.toggle("Start the new piece with your passage", True, key="gen-keep-primer",
                                help="So you hear the join; the roll and the score mark where the model takes over.")
    unit = (st.segmented_control("Length in", ["seconds", "bars"], default="seconds", required=True, key="gen-unit")
            if metre else "seconds")
    if unit == "bars":
        bars = st.slider("Length (bars)", 2, 64, 12, key="gen-bars", help="The model writes this many bars.")
        seconds = 0
    else:
        bars = 0
        seconds = st.slider("Length (seconds of music)", 5, 90, 20, 5, key="gen-seconds",
                            help="The model writes until the piece lasts this long.")
    time_signature = ""
    if metre and primer_kind == "Nothing":
        usual = "/".join(map(str, run.data.get("time_signature", (4, 4))))
        time_signature = st.selectbox("Time signature", studio.TIME_SIGNATURES,
                                      index=studio.TIME_SIGNATURES.index(usual) if usual in studio.TIME_SIGNATURES
                                      else 0, key="gen-time-signature",
                                      help="The metre of a piece started from nothing; a continuation keeps yours.")
    tempo = st.slider("Tempo (BPM, 0 = the dataset's)", 0, 200, 0, 5, key="gen-tempo")
    instrument = st.selectbox("Instrument", [AS_WRITTEN] + list(INSTRUMENTS), key="gen-instrument",
                              help="The General MIDI sound of every part in the audio and the MIDI file; "
                                   "as written, each part keeps the instrument the music gives it.")
with right:
    temperature = st.slider("Temperature", 0.0, 2.0, SampleConfig().temperature, 0.05, key="gen-temperature",
                            help="Low: safe and repetitive (0 = always the likeliest note). High: surprising.")
    top_k = st.slider("Top-k (0 = off)", 0, 100, 0, key="gen-topk",
                      help="Choose only among the k likeliest next tokens.")
    top_p = st.slider("Top-p", 0.1, 1.0, SampleConfig().top_p, 0.05, key="gen-topp",
                      help="Choose among the likeliest tokens that together hold this much probability (1 = off).")
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    seed = c1.number_input("Seed", 0, 2**31 - 1, key="gen-seed", on_change=seed_typed,
                           help="Same seed and settings, same piece. Typing a seed locks it.")
    c2.checkbox("Lock seed", key="gen-lock",
                help="Off: each Compose draws a new seed (shown in the box, so you can lock it to hear that "
                     "piece again). On: the seed in the box is used.")
    n_variations = st.segmented_control(
        "Variations", [1, 2, 3, 4], default=1, required=True, key="gen-variations-n",
        help="Compose several pieces at once, side by side, and keep the ones you like.")

defaults = SampleConfig()
with st.expander(":material/tune: Steer: key, range, repetition"):
    k1, k2, k3 = st.columns([2, 2, 3])
    tonic = k1.selectbox("Key", studio.KEY_TONICS, key="gen-key",
                         help="Keep to a scale. Auto: the key of the music the model continues.")
    mode = k2.selectbox("Scale", studio.SCALE_NAMES, key="gen-scale", disabled=tonic in (studio.FREE, studio.AUTO))
    strength = k3.slider("Strength", 0.5, 1.0, defaults.key_strength, 0.01, key="gen-key-strength",
                         disabled=tonic == studio.FREE,
                         help="1 = strict: only notes of the scale. 0.95: a note outside is twenty times rarer.")
    notes = studio.NOTE_CHOICES
    low, high = st.select_slider("Pitch range", notes, value=(notes[0], notes[-1]), key="gen-range",
                                 help="The lowest and highest note the model may write (middle C is C4).")
    r1, r2 = st.columns(2)
    guard = r1.toggle("Repetition guard", defaults.repetition_guard, key="gen-guard",
                      help="A passage may come back, but not loop for ever (greedy decoding needs it most).")
    echo = r2.slider("Bar echo (form)", 0.0, 5.0, defaults.echo, 0.5, key="gen-echo", disabled=not metre,
                     help="Once a bar begins like an earlier bar, how strongly it goes on as its repeat: "
                          "tunes get their repeated bars. 0 = off.")

go = st.button(":material/play_arrow: Compose", type="primary", key="gen-go", on_click=draw_seed,
               disabled=primer_kind.startswith("My MIDI") and primer_piece is None)
if go:
    n = int(n_variations or 1)
    sample = SampleConfig(seconds=float(seconds), bars=int(bars), temperature=float(temperature), top_k=int(top_k),
                          top_p=float(top_p), seed=int(seed), primer="none" if primer_kind == "Nothing" else "random",
                          primer_bars=int(primer_bars), keep_primer=bool(keep_primer), time_signature=time_signature,
                          tempo=float(tempo), program=INSTRUMENTS.get(instrument),
                          key=studio.key_setting(tonic, mode), key_strength=float(strength),
                          pitch_range="" if (low, high) == (notes[0], notes[-1]) else f"{low}-{high}",
                          repetition_guard=bool(guard), echo=float(echo))
    try:
        with st.spinner("Composing…" if n == 1 else f"Composing {n} variations…"):
            # The score is engraved once the piece plays (show_piece), a variation's when kept:
            # engraving is the slow part of rendering, and nobody should wait for it to listen.
            made = studio.compose_variations(appui.pool(), run, sample, n, piece=primer_piece, score=False)
        st.session_state["gen-variations"] = made if n > 1 else []
        st.session_state["gen-current"] = None  # variations: nothing in full until one is kept
        if n == 1:
            appui.remember(made[0])
            st.session_state["gen-current"] = len(st.session_state[appui.PIECES]) - 1
    except MusegenError as e:
        st.error(str(e))

pieces = st.session_state.get(appui.PIECES, [])
variations = st.session_state.get("gen-variations") or []
if variations:
    st.subheader("Variations")
    st.caption(f"Seed {variations[0].settings['seed']}, the same settings, {len(variations)} different draws. "
               "Listen, then keep the ones you like.")
    for i, (col, r) in enumerate(zip(st.columns(len(variations)), variations)):
        with col, st.container(border=True):
            st.markdown(f"**Variation {i + 1}** · {r.piece.seconds:.0f} s")
            appui.player(r, key=f"gen-var-{i}", roll_height=120)
            if r.warning:  # the full advice comes with the piece when kept
                st.caption(f":orange[:material/repeat: {r.warning.split(':')[0]}]")
            at = kept_at(r)
            shown = at is not None and at == st.session_state.get("gen-current")
            label = (":material/bookmark_add: Keep this one" if at is None
                     else ":material/check: Kept · shown below" if shown else ":material/check: Kept · show it")
            st.button(label, key=f"gen-keep-{i}", on_click=keep, args=(i,), disabled=shown, width="stretch")

current = st.session_state.get("gen-current")
if pieces and current is not None and current < len(pieces):
    rendered = pieces[current]
    s = rendered.settings
    st.subheader(rendered.piece.name)
    st.caption(f"{rendered.run} · seed {s['seed']} · temperature {s['temperature']:g} · top-k {s['top_k']} · "
               f"top-p {s['top_p']:g} · {rendered.tokens_per_s:,.0f} tokens/s"
               + "".join(f" · {rule}" for rule in s.get("steering", []))
               + (f" · variation {s['variation']} of {s['variations']}" if s.get("variations", 1) > 1 else ""))
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
