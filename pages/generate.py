"""Generate: pick a model and the sampling rules, compose one piece or up to four variations side by
side (keep the ones you like), see the score, listen with a playhead, download."""
from __future__ import annotations

import streamlit as st

from musegen.studio import generation, presets, run_library, steering, styles
from musegen.config import SampleConfig
from musegen.generate.chords import AUTO_CHORDS, parse_progression
from musegen.generate.form import FORMS, PHRASE_BARS, REPEATS
from musegen.errors import MusegenError
from musegen.render.midi import INSTRUMENTS
from musegen.render.words import piece_title
from musegen.music.readers import MIDI_EXTENSIONS, MUSIC_EXTENSIONS
from ui import accompany, dataset, language, library, piece, piece_share, server, session, training
from ui.versions import Versions

session.through_app()
tr = language.tr

# The settings this page keeps across reloads (not the pieces' own widgets; the primer upload is
# kept apart, as a file: session.keep_primer).
KEPT = ("gen-run", "gen-style",  # the model, the style
        "gen-primer", "gen-primer-bars", "gen-keep-primer", "gen-unit", "gen-bars", "gen-seconds",
        "gen-temperature", "gen-variations-n",  # beside Compose
        "gen-form", "gen-repeats", "gen-phrase-bars",  # the form
        "gen-time-signature", "gen-tempo", "gen-instrument", "gen-seed", "gen-lock", "gen-rhythm", "gen-topk",
        "gen-topp",  # the finer sampling
        "gen-key", "gen-scale", "gen-key-strength", "gen-range", "gen-guard", "gen-echo",  # the steering
        "gen-chords", "gen-chord-strength", "gen-harmony", "gen-match-rhythm")
session.keep(KEPT)

AS_WRITTEN = "As written (each part its own)"
PIECE_ANCHOR, VARIATIONS_ANCHOR = "gen-piece", "gen-variations"  # the headings Compose scrolls to
FREE_FORM = "free"

st.title(tr("gen.title"))
st.caption(tr("gen.caption"))

entries = library.library()
finished = training.my_job(st.session_state.get(training.JOB))
default = finished.run_path if finished is not None and finished.run_path is not None else None
rough_note = None
if default is not None and "gen-run" not in st.session_state:
    mine = next((e for e in entries if e.path == default), None)
    better = run_library.better_than_rough(mine.run, entries) if mine is not None else None
    if better is not None:  # a run that has barely learnt is not the one to hear first
        default = better.path
        rough_note = tr("gen.rough", mine=mine.run.name, mine_loss=mine.run.summary["val_loss"],
                        better=better.run.name, better_loss=better.run.summary["val_loss"])
entry = library.run_choice(tr("gen.model"), entries, key="gen-run", default=default, help=tr("gen.model_help"))
if entry is None:
    st.stop()
if rough_note:
    st.info(rough_note, icon=":material/info:")
run = entry.run
metre = run.config.tokenizer.scheme == "metre"  # bars, time signatures and the bar echo need bar tokens
st.caption(tr("gen.about", kind=language.kind_name(run.config.model.kind),
              params=run.summary.get("params", 0), data=language.run_dataset_title(run))
           + (tr(presets.bars_key("gen.hears", run.summary["context_bars"]), tokens=run.summary["context_tokens"],
                 bars=run.summary["context_bars"])
              if run.summary.get("context_bars") else ""))

if "gen-seed" not in st.session_state:
    st.session_state["gen-seed"] = generation.random_seed()


def draw_seed() -> None:
    """Before a Compose: a new seed unless the user locked it (the box then shows the one used)."""
    if not st.session_state.get("gen-lock"):
        st.session_state["gen-seed"] = generation.random_seed()


def seed_typed() -> None:
    st.session_state["gen-lock"] = True  # a seed typed in is a seed to use


def usual_signature() -> str:
    """The time signature most of the chosen model's music is in: "4/4"."""
    return "/".join(map(str, run.data.get("time_signature", (4, 4))))


def apply_style() -> None:
    """A style chosen: its metre, tempo, instrument and form, from nothing, with the model best
    suited that is in the library (none there: the chosen one stays); the model's own: those undone."""
    style = styles.STYLES.get(st.session_state["gen-style"])
    if style is None:
        st.session_state.update({"gen-time-signature": usual_signature(), "gen-tempo": 0,
                                 "gen-instrument": AS_WRITTEN, "gen-form": FREE_FORM})
        return
    made_with = styles.model_for(style, entries)
    if made_with is not None:
        st.session_state["gen-run"] = str(made_with.path)
    st.session_state.update({"gen-primer": "Nothing", "gen-time-signature": style.time_signature,
                             "gen-tempo": style.tempo, "gen-instrument": style.instrument,
                             "gen-form": style.form or FREE_FORM})


def style_caption(name: str) -> None:
    """What a chosen style does, and with which model: a model writes in the style it learnt."""
    style = styles.STYLES.get(name)
    if style is None:
        return
    said = dict(style=language.opt("style", name), signature=style.time_signature, tempo=style.tempo,
                instrument=language.opt("instrument", style.instrument), model=run.name)
    if styles.model_for(style, entries) is None:
        st.caption(tr("gen.style_no_model", wanted=", ".join(f"`{m}`" for m in style.models), **said))
    else:
        st.caption(tr("gen.style_about", **said))


def primer_changed() -> None:
    """An upload added or removed: kept for a reload (the uploader itself comes back empty)."""
    upload = st.session_state.get("gen-upload")
    session.keep_primer(upload.name if upload is not None else None, upload.getvalue() if upload is not None else b"")


def primer_read(accompanying: bool):
    """The music to continue or to accompany, this visit's upload or the one kept from before, read
    (None: none, or one that cannot be read, which is said); without one, why Compose waits."""
    kept = st.session_state.get(session.PRIMER)
    if kept is None:
        st.caption(tr("gen.accompany_wanted" if accompanying else "gen.primer_wanted"))
        return None
    try:
        primer = dataset.read_upload(*kept)
    except MusegenError as e:
        st.error(language.error_text(e))
        return None
    said = (language.tr_count("gen.accompany_read", len(primer.parts), name=kept[0], notes=primer.n_notes)
            if accompanying else tr("gen.upload_read", name=kept[0], notes=primer.n_notes))
    if st.session_state.get("gen-upload") is None:  # a reload: the uploader looks empty, the file is not
        said = tr("gen.upload_kept") + " " + said
    st.caption(said)
    return primer


def kept_at(rendered) -> int | None:
    """Where a variation is among the session's pieces (None: not kept); after a reload both are read
    back from the disk, so the same piece is the same MIDI."""
    return next((i for i, p in enumerate(st.session_state.get(session.PIECES, []))
                 if p is rendered or p.midi == rendered.midi), None)


def keep(i: int) -> None:
    """Keep a variation: into the session's pieces (its score engraved now), shown in full below."""
    chosen = st.session_state[session.VARIATIONS][i]
    if kept_at(chosen) is None:
        piece.engrave(chosen)
        piece.remember(chosen)
    st.session_state["gen-current"] = kept_at(chosen)


# What a first visit needs, and Compose, come first (a phone shows them without scrolling); the
# finer sampling and the steering wait in expanders below the button. Compose reruns the page, so
# the piece is made further down, once every setting has been read.
left, right = st.columns(2)
with left:
    primer_kind = st.radio(tr("gen.primer"), ["A random passage of the dataset", "My MIDI file (continue it)",
                                              accompany.ACCOMPANY, "Nothing"],
                           key="gen-primer", help=tr("gen.primer_help"), on_change=accompany.starting_point_changed,
                           args=({"gen-topp": SampleConfig().top_p, "gen-key": steering.FREE},),
                           format_func=lambda o: language.opt("primer", o))
    accompanying = primer_kind == accompany.ACCOMPANY  # bring a melody, get the band
    primer_piece, keep_parts, into_parts = None, [], None
    if primer_kind.startswith("My MIDI") or accompanying:
        st.file_uploader(tr("gen.accompany_upload" if accompanying else "gen.upload"), key="gen-upload",
                         type=[e.lstrip(".") for e in (MUSIC_EXTENSIONS if accompanying else MIDI_EXTENSIONS)],
                         on_change=primer_changed, max_upload_size=session.limits().max_upload_mb or None)
        primer_piece = primer_read(accompanying)
    if accompanying and not metre:
        st.caption(tr("gen.accompany_needs_bars"))
    elif accompanying and primer_piece is not None:
        keep_parts, into_parts = accompany.choose_parts(primer_piece, run,
                                                        accompany.upload_tag(*st.session_state[session.PRIMER]))
    primer_bars, keep_primer = 0, True
    if primer_kind.startswith("My MIDI"):
        primer_bars = st.slider(tr("gen.primer_bars"), 1, 16, 4, key="gen-primer-bars",
                                help=tr("gen.primer_bars_help"))
        keep_primer = st.toggle(tr("gen.keep_primer"), True, key="gen-keep-primer", help=tr("gen.keep_primer_help"))
    # The unit beside the length, and the variations beside the temperature: one row each, even on
    # a phone, so that Compose shows on its first screen.
    with st.container(horizontal=True, vertical_alignment="bottom"):
        unit = (st.segmented_control(tr("gen.unit"), ["seconds", "bars"], default="seconds", required=True,
                                     key="gen-unit", label_visibility="collapsed",
                                     format_func=lambda o: language.opt("unit", o))
                if metre and not accompanying else "seconds")
        if accompanying:  # the new parts are as long as the given ones
            bars, seconds = 0, 0
            st.caption(tr("gen.accompany_length"))
        elif unit == "bars":
            bars = st.slider(tr("gen.bars"), 2, 128, 12, key="gen-bars", help=tr("gen.bars_help"))
            seconds = 0
        else:
            bars = 0
            seconds = st.slider(tr("gen.seconds"), 5, 300, 20, 5, key="gen-seconds", help=tr("gen.seconds_help"))
with right, st.container(horizontal=True, vertical_alignment="top"):
    temperature = st.slider(tr("gen.temperature"), 0.0, 2.0, SampleConfig().temperature, 0.05, key="gen-temperature",
                            help=tr("gen.temperature_help"))
    n_variations = st.segmented_control(
        tr("gen.variations_n"), [1, 2, 3, 4], default=1, required=True, key="gen-variations-n",
        help=tr("gen.variations_help"), disabled=accompanying)

# Compose, and beside it the style (its label folded into its choices), on one row even on a phone.
# Why Compose waits, if it does: no music to continue or accompany, or nothing of it kept.
waiting = (tr("gen.accompany_needs_bars") if accompanying and not metre
           else tr("gen.accompany_wanted" if accompanying else "gen.primer_wanted")
           if (primer_kind.startswith("My MIDI") or accompanying) and primer_piece is None
           else tr("gen.accompany_keep_wanted") if accompanying and not keep_parts else None)
with st.container(horizontal=True, vertical_alignment="center"):
    style_name = st.selectbox(tr("gen.style"), styles.CHOICES, key="gen-style", on_change=apply_style,
                              label_visibility="collapsed", width=240,
                              format_func=lambda o: tr("gen.style_shown", style=language.opt("style", o)))
    go = st.button(tr("gen.compose"), type="primary", key="gen-go", on_click=draw_seed, disabled=bool(waiting),
                   help=waiting)
# Compose's progress and its errors, right under the button the user just pressed (the piece is made
# further down, after the settings below have been read).
compose_status = st.empty()
style_caption(style_name)

with st.expander(tr("gen.sampling")):
    s1, s2 = st.columns(2)
    with s1:
        # Always shown, so that a metre is found; greyed out, with the reason, where it cannot apply.
        fixed = (tr("gen.time_signature_no_bars") if not metre
                 else tr("gen.time_signature_continues") if primer_kind != "Nothing" else None)
        time_signature = st.selectbox(tr("gen.time_signature"), steering.TIME_SIGNATURES,
                                      index=steering.TIME_SIGNATURES.index(usual_signature())
                                      if usual_signature() in steering.TIME_SIGNATURES else 0,
                                      key="gen-time-signature", disabled=fixed is not None,
                                      help=fixed or tr("gen.time_signature_help"))
        if fixed is not None:
            st.caption(fixed)
            time_signature = ""
        tempo = st.slider(tr("gen.tempo"), 0, 200, 0, 5, key="gen-tempo")
        instrument = st.selectbox(tr("gen.instrument"), [AS_WRITTEN] + list(INSTRUMENTS), key="gen-instrument",
                                  format_func=lambda o: language.opt("instrument", o), help=tr("gen.instrument_help"))
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        seed = c1.number_input(tr("gen.seed"), 0, 2**31 - 1, key="gen-seed", on_change=seed_typed,
                               help=tr("gen.seed_help"))
        c2.checkbox(tr("gen.lock"), key="gen-lock", help=tr("gen.lock_help"))
    with s2:
        rhythm = st.slider(tr("gen.rhythm"), 0.5, 1.5, SampleConfig().rhythm_temperature, 0.05, key="gen-rhythm",
                           disabled=temperature == 0, help=tr("gen.rhythm_help"))
        top_k = st.slider(tr("gen.topk"), 0, 100, 0, key="gen-topk", help=tr("gen.topk_help"))
        top_p = st.slider(tr("gen.topp"), 0.1, 1.0, SampleConfig().top_p, 0.05, key="gen-topp",
                          help=tr("gen.topp_help"))
        form_name = (st.selectbox(tr("gen.form"), [FREE_FORM] + list(FORMS), key="gen-form", help=tr("gen.form_help"),
                                  format_func=lambda o: language.opt("form", o))
                     if metre else FREE_FORM)
        f1, f2 = st.columns(2)
        repeats = f1.segmented_control(tr("gen.repeats"), list(REPEATS), default=SampleConfig().repeats, required=True,
                                       key="gen-repeats", format_func=lambda o: language.opt("repeats", o),
                                       disabled=form_name == FREE_FORM, help=tr("gen.repeats_help"))
        phrase_bars = f2.segmented_control(tr("gen.phrase_bars"), list(PHRASE_BARS), default=SampleConfig().phrase_bars,
                                           required=True, key="gen-phrase-bars", disabled=form_name == FREE_FORM,
                                           help=tr("gen.phrase_bars_help"))

defaults = SampleConfig()
with st.expander(tr("gen.steer")):
    k1, k2, k3 = st.columns([2, 2, 3])
    if st.session_state.get("gen-key") not in steering.KEY_TONICS:  # a choice kept under an older name
        st.session_state.pop("gen-key", None)
    tonic = k1.selectbox(tr("gen.key"), steering.KEY_TONICS, key="gen-key",
                         format_func=lambda o: language.opt("tonic", o), help=tr("gen.key_help"))
    mode = k2.selectbox(tr("gen.scale"), steering.SCALE_NAMES, key="gen-scale",
                        format_func=lambda o: language.opt("scale", o), disabled=tonic in (steering.FREE, steering.AUTO))
    strength = k3.slider(tr("gen.strength"), 0.5, 1.0, defaults.key_strength, 0.01, key="gen-key-strength",
                         disabled=tonic == steering.FREE, help=tr("gen.strength_help"))
    notes = steering.NOTE_CHOICES
    low, high = st.select_slider(tr("gen.range"), notes, value=(notes[0], notes[-1]), key="gen-range",
                                 help=tr("gen.range_help"))
    r1, r2 = st.columns(2)
    guard = r1.toggle(tr("gen.guard"), defaults.repetition_guard, key="gen-guard", help=tr("gen.guard_help"))
    echo = r2.slider(tr("gen.echo"), 0.0, 5.0, defaults.echo, 0.5, key="gen-echo", disabled=not metre,
                     help=tr("gen.echo_help"))
    c1, c2 = st.columns([3, 2])
    chords = c1.text_input(tr("gen.chords"), key="gen-chords", placeholder=tr("gen.chords_placeholder"),
                           disabled=not metre, help=tr("gen.chords_help") if metre else tr("gen.chords_no_bars"))
    chord_strength = c2.slider(tr("gen.chord_strength"), 0.5, 1.0, defaults.chord_strength, 0.01,
                               key="gen-chord-strength", disabled=not (metre and chords.strip()),
                               help=tr("gen.chord_strength_help"))
    h1, h2 = st.columns([3, 2])
    harmony = h1.slider(tr("gen.harmony"), 0.0, 1.0, defaults.harmony, 0.01, key="gen-harmony",
                        disabled=not metre or bool(chords.strip()), help=tr("gen.harmony_help"))
    match_rhythm = h2.toggle(tr("gen.match_rhythm"), defaults.match_rhythm, key="gen-match-rhythm", disabled=not metre,
                             help=tr("gen.match_rhythm_help"))
    chords_said = {"chords": chords.strip(), "chord_strength": float(chord_strength)} if metre and chords.strip() else {}
    if chords_said and chords_said["chords"].lower() not in AUTO_CHORDS:  # a chord it cannot read is said
        try:  # here at once, the text left as typed
            parse_progression(chords_said["chords"])
        except MusegenError as e:
            st.error(language.error_text(e))


made_anchor = None  # the heading of what this Compose made, brought into view once it is shown
if go:
    n = 1 if accompanying else int(n_variations or 1)
    sample = SampleConfig(seconds=float(seconds), bars=int(bars), temperature=float(temperature),
                          rhythm_temperature=float(rhythm), top_k=int(top_k), top_p=float(top_p), seed=int(seed),
                          primer="none" if primer_kind == "Nothing" else "random",
                          primer_bars=int(primer_bars), keep_primer=bool(keep_primer), time_signature=time_signature,
                          tempo=float(tempo), program=INSTRUMENTS.get(instrument),
                          key=steering.key_setting(tonic, mode), key_strength=float(strength),
                          pitch_range="" if (low, high) == (notes[0], notes[-1]) else f"{low}-{high}",
                          repetition_guard=bool(guard), echo=float(echo),
                          form="" if form_name == FREE_FORM else form_name, repeats=repeats or "varied",
                          phrase_bars=int(phrase_bars or 4), harmony=float(harmony), match_rhythm=bool(match_rhythm),
                          **chords_said)
    try:
        with compose_status, st.spinner(tr("gen.accompanying") if accompanying else tr("gen.composing") if n == 1
                                        else tr("gen.composing_n", n=n)):
            # The score is engraved once the piece plays (show_piece), a variation's when kept:
            # engraving is the slow part of rendering, and nobody should wait for it to listen.
            made = ([generation.accompany(server.pool(), run, primer_piece, keep_parts, sample, into=into_parts,
                                          score=False)] if accompanying else
                    generation.compose_variations(server.pool(), run, sample, n, piece=primer_piece, score=False))
        session.keep_variations(made if n > 1 else [])
        st.session_state["gen-current"] = None  # variations: nothing in full until one is kept
        if n == 1:
            piece.remember(made[0])
            st.session_state["gen-current"] = len(st.session_state[session.PIECES]) - 1
        made_anchor = VARIATIONS_ANCHOR if n > 1 else PIECE_ANCHOR
    except MusegenError as e:
        compose_status.error(language.error_text(e))


def show_if_made(anchor: str) -> None:
    """Scroll to this heading if it is what Compose just made: from the status slot by the button
    (the slot is free again and adds no gap down here), as soon as the heading is on the page, not
    after the score below it has been engraved."""
    if made_anchor == anchor:
        with compose_status:
            piece.bring_into_view(anchor)


pieces = st.session_state.get(session.PIECES, [])
variations = st.session_state.get(session.VARIATIONS) or []
if variations:
    st.subheader(tr("gen.variations"), anchor=VARIATIONS_ANCHOR)
    show_if_made(VARIATIONS_ANCHOR)
    st.caption(tr("gen.variations_caption", seed=variations[0].settings["seed"], n=len(variations)))
    for i, (col, r) in enumerate(zip(st.columns(len(variations)), variations)):
        with col, st.container(border=True):
            st.markdown(tr("gen.variation", i=i + 1, seconds=r.piece.seconds))
            piece.player(r, key=f"gen-var-{i}", roll_height=120)
            if r.warning:  # the full advice comes with the piece when kept
                st.caption(f":orange[:material/repeat: {piece.short_warning(r.warning)}]")
            at = kept_at(r)
            shown = at is not None and at == st.session_state.get("gen-current")
            label = (tr("gen.keep") if at is None else tr("gen.kept_shown") if shown else tr("gen.kept_show"))
            st.button(label, key=f"gen-keep-{i}", on_click=keep, args=(i,), disabled=shown, width="stretch")

current = st.session_state.get("gen-current")
if pieces and current is not None and current < len(pieces):
    rendered = pieces[current]
    s = rendered.settings
    st.subheader(piece_title(rendered.piece.name, language.lang(), s.get("variations")), anchor=PIECE_ANCHOR)
    show_if_made(PIECE_ANCHOR)
    st.caption(tr("gen.piece_caption", run=rendered.run, seed=s["seed"], temperature=s["temperature"],
                  top_k=s["top_k"], top_p=s["top_p"], speed=rendered.tokens_per_s)
               + "".join(f" · {language.say(rule)}" for rule in s.get("steering", [])
                         if getattr(rule, "code", None) != "said.given_rule")  # named below: given_caption
               + (tr("gen.variation_of", i=s["variation"], n=s["variations"]) if s.get("variations", 1) > 1 else "")
               + (tr("gen.rewritten_of", first=s["rewritten"][0], last=s["rewritten"][1]) if s.get("rewritten") else "")
               + (tr("gen.added_section", section=s["added"]) if s.get("added") else "")
               + accompany.given_caption(rendered.piece))
    piece.show_piece(rendered, key=f"gen-{current}")
    piece_share.share_panel(rendered, key=f"gen-{current}")
    if metre:
        Versions(run, float(temperature), float(top_p), chords_said).offer(rendered, current)

if pieces:
    st.subheader(tr("gen.session"))
    st.caption(tr("gen.session_caption"))
    for i in reversed(range(len(pieces))):
        r = pieces[i]
        with st.container(border=True):
            cols = st.columns([3, 4, 1])
            cols[0].markdown(tr("gen.session_row", name=piece_title(r.piece.name, language.lang(), r.settings.get("variations")), run=r.run,
                                temperature=r.settings["temperature"],
                                top_p=r.settings["top_p"], seconds=r.piece.seconds))
            if r.audio:
                cols[1].audio(r.audio, format="audio/ogg")
            else:
                cols[1].caption(tr("gen.no_audio"))
            if cols[2].button(tr("gen.show"), key=f"gen-show-{i}"):
                st.session_state["gen-current"] = i
                st.rerun()
piece_share.shares_list()
