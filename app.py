"""musegen in the browser: `streamlit run app.py`.

The entry point: navigation over the pages, the shared sidebar, and the home page.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import appui
from musegen import studio
from musegen.errors import MusegenError

# The tab icon is a file of ours: a Material icon would be fetched from a font CDN (fails offline).
st.set_page_config(page_title="musegen — neural music", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"),
                   layout="wide")


def home() -> None:
    st.title(":material/music_note: musegen")
    st.markdown(
        "musegen teaches a neural network to write music: it reads pieces (MIDI or scores), learns "
        "which note tends to come next, then composes new pieces one note at a time — a **WaveNet** "
        "(dilated convolutions) or an **LSTM** (a recurrent network), side by side if you like. "
        "No code, no installation."
    )
    hear_it_now()  # first, so a phone shows the button without scrolling
    st.subheader("Make your own")
    cols = st.columns(3)
    steps = [
        ("pages/dataset.py", "1 · Choose music", ":material/library_music:", "Pick Bach chorales or folk tunes, or upload your own MIDI files."),
        ("pages/train.py", "2 · Train a model", ":material/model_training:", "Watch the loss fall while it learns; hear a sample after each epoch."),
        ("pages/generate.py", "3 · Generate", ":material/piano:", "Compose, look at the score, listen, download."),
    ]
    for col, (page, title, icon, text) in zip(cols, steps):
        with col.container(border=True):
            st.page_link(page, label=title, icon=icon)
            st.caption(text)


def hear_it_now() -> None:
    st.subheader("Hear it now")
    entries = [e for e in studio.library() if e.bundled] or appui.library()
    entry = studio.default_entry(entries)
    if entry is None:
        st.info("No pretrained model is bundled here yet. Train one on the **Train** page — the quick "
                "preset takes about half a minute.")
        return
    appui.warm_bundled()
    if st.button(":material/play_arrow: Generate a piece now", type="primary", key="home-generate"):
        try:
            with st.spinner("Composing… (the first piece also loads the model)"):
                rendered = studio.compose(appui.pool(), entry.run, studio.HOME_SAMPLE, score=False)
            appui.remember(rendered)
            st.session_state["home-piece"] = rendered
        except MusegenError as e:
            st.error(str(e))
    st.caption(f"Uses the pretrained model **{entry.run.name}** ({entry.run.summary.get('params', 0):,} "
               f"parameters, trained on {studio.dataset_title(entry.run)}).")
    rendered = st.session_state.get("home-piece")
    if rendered is not None:
        st.success(f"A new piece by **{rendered.run}** — seed {rendered.settings['seed']}. "
                   "Press the button again for another, or open **Generate** for all the controls.")
        appui.show_piece(rendered, key="home", score=False)


pages = [
    st.Page(home, title="Home", icon=":material/home:", default=True),
    st.Page("pages/dataset.py", title="Dataset", icon=":material/library_music:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/generate.py", title="Generate", icon=":material/piano:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/balance:"),
]
page = st.navigation(pages)
appui.sidebar()
page.run()
