"""Dataset: choose a built-in corpus or upload MIDI / a .zip; see what was read and what it holds."""
from __future__ import annotations

import streamlit as st

from musegen.render import rendering
from musegen.studio import explore
from musegen.config import DataConfig, Limits
from musegen.errors import MusegenError
from musegen.render.plots import duration_histogram, piano_roll, pitch_histogram, token_counts
from musegen.render.words import token_name
from musegen.music.corpus import list_datasets
from musegen.music.readers import MUSIC_EXTENSIONS
from musegen.music.sources import load_pieces
from ui import dataset, figures, language, server, session

session.through_app()
tr = language.tr

# The settings this page keeps across reloads (not the uploads: a reload gives back the music chosen).
KEPT = ("ds-source", "ds-builtin", "ds-cutoff")
session.keep(KEPT)

st.title(tr("ds.title"))
st.caption(tr("ds.caption"))

limits = session.limits()
file_limits = Limits()
source = st.radio(tr("ds.music"), ["Built-in dataset", "Upload files"], horizontal=True, key="ds-source",
                  format_func=lambda o: language.opt("source", o))

if source == "Built-in dataset":
    datasets = {d["name"]: d for d in list_datasets()}
    name = st.selectbox(tr("ds.dataset"), list(datasets), key="ds-builtin",
                        format_func=lambda n: tr("ds.dataset_option", title=language.opt("dataset", n),
                                                 files=datasets[n]["files"]))
    description = language.opt("dataset_text", name)
    st.caption(datasets[name]["description"] if description == name else description)
    if st.button(tr("ds.load"), type="primary", key="ds-load"):
        bar = st.progress(0.0, text=tr("ds.reading"))
        try:
            result = server.builtin_dataset(name, progress=dataset.reading_progress(bar))
            dataset.choose_dataset(datasets[name]["title"], result, name=name)
            st.rerun()  # repaint the sidebar too
        except MusegenError as e:
            bar.empty()
            st.error(language.error_text(e))
else:
    types = [e.lstrip(".") for e in MUSIC_EXTENSIONS] + ["zip"]
    uploads = st.file_uploader(
        tr("ds.upload"), type=types, accept_multiple_files=True, key="ds-upload",
        max_upload_size=limits.max_upload_mb or None,
        help=tr("ds.upload_help"))
    st.caption(tr("ds.limits", upload_mb=limits.max_upload_mb,
                  file_bytes=language.size_text(file_limits.max_file_bytes), notes=file_limits.max_notes,
                  minutes=file_limits.max_seconds / 60,
                  members=file_limits.max_zip_members, zip_bytes=language.size_text(file_limits.max_zip_bytes)))
    if uploads:
        signature = tuple((u.name, u.size) for u in uploads)
        if st.session_state.get("ds-upload-sig") != signature:
            too_big = [u.name for u in uploads if u.size > limits.max_upload_mb * 1_000_000]
            if too_big:
                st.error(tr("ds.too_large", mb=limits.max_upload_mb, names=", ".join(too_big)))
            else:
                try:
                    files = [(u.name, u.getvalue()) for u in uploads]
                    bar = st.progress(0.0, text=tr("ds.reading_yours"))
                    data = DataConfig()  # an upload's files share a reading time: the bar never promises more
                    result = load_pieces(files, data, cache_dir=False,
                                         progress=dataset.reading_progress(bar, data.limits.max_upload_parse_seconds))
                    bar.empty()
                    label = uploads[0].name if len(uploads) == 1 else tr("ds.uploaded", n=len(uploads))
                    dataset.choose_dataset(label, result, files=files)
                    st.session_state["ds-upload-sig"] = signature
                    st.rerun()  # repaint the sidebar too
                except MusegenError as e:
                    st.session_state.pop("ds-upload-sig", None)
                    st.error(language.error_text(e))

data = dataset.current_dataset()
if not data:
    st.info(tr("ds.choose"))
    st.stop()

result = data["result"]
summary = result.summary()
st.subheader(dataset.dataset_label(data))
st.markdown(dataset.totals_text(summary))
if result.skipped:
    st.warning(language.tr_count("ds.skipped_files", len(result.skipped)) + tr("said.semicolon").join(
        tr("ds.skipped_file", name=r.name, reason=language.say(r.reason)) for r in result.skipped[:5])
        + ("…" if len(result.skipped) > 5 else ""))
with st.expander(tr("ds.report"), expanded=summary["files"] <= 20):
    st.dataframe(figures.table(explore.report_rows(result)), hide_index=True, width="stretch")

left, right = st.columns(2)
figures.chart(pitch_histogram(result.pieces, lang=language.lang()), "ds-pitch", left)
figures.chart(duration_histogram(result.pieces, lang=language.lang()), "ds-dur", right)


def rare_tokens(loaded) -> None:
    """What the rare-token cutoff would drop. Only the article's notes-and-chords tokens have one:
    the default tokens keep every note, so this waits in an expander that says so."""
    counts_key = f"ds-counts-{id(loaded)}"
    if counts_key not in st.session_state:
        for key in [k for k in st.session_state if str(k).startswith("ds-counts-")]:
            del st.session_state[key]
        st.session_state[counts_key] = explore.token_frequencies(loaded.pieces)
    counts = st.session_state[counts_key]
    st.caption(tr("ds.rare_caption"))
    cutoff = st.slider(tr("ds.cutoff"), 0, 200, 50, key="ds-cutoff", help=tr("ds.cutoff_help"))
    preview = explore.cutoff_preview(counts, cutoff)
    st.markdown(tr("ds.dropped_summary", dropped=len(preview["dropped"]), tokens=preview["tokens"],
                   occurrences=preview["dropped_occurrences"], share=preview["share"]))
    figures.chart(token_counts(counts, cutoff, lang=language.lang()), "ds-tokens")
    if preview["dropped"]:
        shown = [tr("ds.dropped_token", token=token_name(t, language.lang()), n=n)
                 for t, n in list(preview["dropped"].items())[:40]]
        st.caption(tr("ds.dropped") + tr("ds.list_separator").join(shown)
                   + (" …" if len(preview["dropped"]) > 40 else ""))


with st.expander(tr("ds.rare")):
    rare_tokens(result)

st.subheader(tr("ds.listen"))
names = [p.name for p in result.pieces]
chosen = st.selectbox(tr("ds.piece"), names, key="ds-preview")
piece = result.pieces[names.index(chosen)]
preview_key = ("ds-rendered", data["label"], chosen)
if st.session_state.get("ds-rendered-key") != preview_key:
    with st.spinner(tr("ds.rendering")):
        st.session_state["ds-rendered"] = rendering.render_piece(piece, score=False, max_seconds=60)
    st.session_state["ds-rendered-key"] = preview_key
rendered = st.session_state["ds-rendered"]
if rendered.audio:
    st.audio(rendered.audio, format="audio/ogg")
    if piece.seconds > 60:
        st.caption(tr("ds.first_minute"))
st.caption(tr("ds.roll_caption", name=piece.name, notes=piece.n_notes))
figures.chart(piano_roll(piece, title="", lang=language.lang()), "ds-roll")
for note in rendered.notes:
    st.caption(language.say(note))
