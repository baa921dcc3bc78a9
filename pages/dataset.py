"""Dataset: choose a built-in corpus or upload MIDI / a .zip; see what was read and what it holds."""
from __future__ import annotations

import streamlit as st

import appui
from musegen import studio
from musegen.config import DataConfig, Limits
from musegen.errors import MusegenError
from musegen.plots import duration_histogram, piano_roll, pitch_histogram, token_counts
from musegen.sources import MUSIC_EXTENSIONS, list_datasets, load_pieces
from musegen.readers import format_bytes

appui.through_app()

st.title(":material/library_music: Dataset")
st.caption("The music the model will learn from. Every file is checked; the ones that cannot be used "
           "are listed with the reason, and never stop the others.")

limits = appui.limits()
file_limits = Limits()
source = st.radio("Music", ["Built-in dataset", "Upload files"], horizontal=True, key="ds-source")

if source == "Built-in dataset":
    datasets = {d["name"]: d for d in list_datasets()}
    name = st.selectbox("Dataset", list(datasets), key="ds-builtin",
                        format_func=lambda n: f"{datasets[n]['title']} ({datasets[n]['files']} files)")
    st.caption(datasets[name]["description"])
    if st.button("Load this dataset", type="primary", key="ds-load"):
        bar = st.progress(0.0, text="Reading files…")

        def progress(done, total, file):
            bar.progress(done / max(1, total), text=f"Reading files… {done}/{total} {file}")

        try:
            result = appui.builtin_dataset(name, _progress=progress)
            appui.choose_dataset(datasets[name]["title"], result, name=name)
            st.rerun()  # repaint the sidebar too
        except MusegenError as e:
            bar.empty()
            st.error(str(e))
else:
    types = [e.lstrip(".") for e in MUSIC_EXTENSIONS] + ["zip"]
    uploads = st.file_uploader(
        "MIDI files, scores, or a .zip of them", type=types, accept_multiple_files=True, key="ds-upload",
        max_upload_size=limits.max_upload_mb or None,
        help="MIDI (.mid, .midi), MusicXML (.xml, .musicxml, .mxl), ABC, Humdrum, or a .zip holding them.")
    st.caption(
        f"Limits: {limits.max_upload_mb} MB per upload · {format_bytes(file_limits.max_file_bytes)} per music file · "
        f"{file_limits.max_notes:,} notes and {file_limits.max_seconds / 60:.0f} min of music per file · "
        f"a .zip may hold {file_limits.max_zip_members:,} files, {format_bytes(file_limits.max_zip_bytes)} unpacked.")
    if uploads:
        signature = tuple((u.name, u.size) for u in uploads)
        if st.session_state.get("ds-upload-sig") != signature:
            too_big = [u.name for u in uploads if u.size > limits.max_upload_mb * 1_000_000]
            if too_big:
                st.error(f"Too large (limit {limits.max_upload_mb} MB): {', '.join(too_big)}")
            else:
                try:
                    files = [(u.name, u.getvalue()) for u in uploads]
                    with st.spinner("Reading your files…"):
                        result = load_pieces(files, DataConfig(), cache_dir=False)
                    label = uploads[0].name if len(uploads) == 1 else f"{len(uploads)} uploaded files"
                    appui.choose_dataset(label, result, files=files)
                    st.session_state["ds-upload-sig"] = signature
                    st.rerun()  # repaint the sidebar too
                except MusegenError as e:
                    st.session_state.pop("ds-upload-sig", None)
                    st.error(str(e))

data = appui.current_dataset()
if not data:
    st.info("Choose a dataset above (or skip this step: training uses the Bach chorales by default).")
    st.stop()

result = data["result"]
summary = result.summary()
st.subheader(f"{data['label']}")
cols = st.columns(5)
cols[0].metric("Files", summary["files"])
cols[1].metric("Parsed", summary["parsed"])
cols[2].metric("Skipped", summary["skipped"])
cols[3].metric("Notes", f"{summary['notes']:,}")
cols[4].metric("Music", f"{summary['seconds'] / 60:.1f} min")
if result.skipped:
    st.warning(f"{len(result.skipped)} file(s) skipped: " + "; ".join(
        f"{r.name} ({r.reason})" for r in result.skipped[:5]) + ("…" if len(result.skipped) > 5 else ""))
with st.expander("Per-file report", expanded=summary["files"] <= 20):
    st.dataframe(studio.report_rows(result), hide_index=True, width="stretch")

left, right = st.columns(2)
left.plotly_chart(pitch_histogram(result.pieces), key="ds-pitch", width="stretch")
right.plotly_chart(duration_histogram(result.pieces), key="ds-dur", width="stretch")

st.subheader("Rare tokens")
st.caption("The article's tokens are notes and chords; a vocabulary keeps only those seen at least "
           "*cutoff* times (the article used 50). Move the slider to see what would be dropped.")
counts_key = f"ds-counts-{id(result)}"
if counts_key not in st.session_state:
    for key in [k for k in st.session_state if str(k).startswith("ds-counts-")]:
        del st.session_state[key]
    st.session_state[counts_key] = studio.token_frequencies(result.pieces)
counts = st.session_state[counts_key]
cutoff = st.slider("Rare-token cutoff", 0, 200, 50, key="ds-cutoff",
                   help="Tokens seen fewer times than this are dropped from the vocabulary (notes scheme).")
preview = studio.cutoff_preview(counts, cutoff)
st.markdown(f"**{len(preview['dropped'])}** of {preview['tokens']} tokens would be dropped — "
            f"{preview['dropped_occurrences']:,} occurrences, {preview['share']:.1%} of the music.")
st.plotly_chart(token_counts(counts, cutoff), key="ds-tokens", width="stretch")
if preview["dropped"]:
    st.caption("Dropped: " + ", ".join(f"{t} ×{n}" for t, n in list(preview["dropped"].items())[:40])
               + (" …" if len(preview["dropped"]) > 40 else ""))

st.subheader("Listen to one file")
names = [p.name for p in result.pieces]
chosen = st.selectbox("Piece", names, key="ds-preview")
piece = result.pieces[names.index(chosen)]
preview_key = ("ds-rendered", data["label"], chosen)
if st.session_state.get("ds-rendered-key") != preview_key:
    with st.spinner("Rendering…"):
        st.session_state["ds-rendered"] = studio.render_piece(piece, score=False, max_seconds=60)
    st.session_state["ds-rendered-key"] = preview_key
rendered = st.session_state["ds-rendered"]
if rendered.audio:
    st.audio(rendered.audio, format="audio/ogg")
    if piece.seconds > 60:
        st.caption("Audio preview: the first minute.")
st.plotly_chart(piano_roll(piece), key="ds-roll", width="stretch")
for note in rendered.notes:
    st.caption(note)
