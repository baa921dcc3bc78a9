"""musegen in the browser: `streamlit run app.py`.

The entry point, read twice. `streamlit run app.py` first imports this file as a module and finds
`app` at its end: Streamlit's web server (st.App) with ours in front of it (musegen.serve.web: the
visitor's HttpOnly cookie, quiet interrupted uploads). Then each page view runs it as a script:
navigation over the pages, the shared sidebar, and the home page (`main`).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import appui
from musegen.studio import generation, run_library
from musegen.errors import MusegenError


def home() -> None:
    st.title(":material/music_note: musegen")
    st.markdown(appui.tr("home.intro"))
    hear_it_now()  # first, so a phone shows the button without scrolling
    st.subheader(appui.tr("home.make_own"))
    cols = st.columns(3)
    steps = [
        ("pages/dataset.py", appui.tr("home.step1"), ":material/library_music:", appui.tr("home.step1_text")),
        ("pages/train.py", appui.tr("home.step2"), ":material/model_training:", appui.tr("home.step2_text")),
        ("pages/generate.py", appui.tr("home.step3"), ":material/piano:", appui.tr("home.step3_text")),
    ]
    for col, (page, title, icon, text) in zip(cols, steps):
        with col.container(border=True):
            st.page_link(page, label=title, icon=icon)
            st.caption(text)


def hear_it_now() -> None:
    st.subheader(appui.tr("home.hear"))
    entries = [e for e in run_library.library() if e.bundled] or appui.library()
    entry = run_library.default_entry(entries)
    if entry is None:
        st.info(appui.tr("home.no_model"))
        return
    appui.warm_bundled()
    if st.button(appui.tr("home.generate"), type="primary", key="home-generate"):
        try:
            with st.spinner(appui.tr("home.composing")):
                rendered = generation.compose(appui.pool(), entry.run, generation.HOME_SAMPLE, score=False)
            appui.remember(rendered)
            st.session_state["home-piece"] = rendered
        except MusegenError as e:
            st.error(appui.error_text(e))
    st.caption(appui.tr("home.uses", name=entry.run.name, params=entry.run.summary.get("params", 0),
                        data=appui.run_dataset_title(entry.run)))
    rendered = st.session_state.get("home-piece")
    if rendered is not None:
        st.success(appui.tr("home.made", run=rendered.run, seed=rendered.settings["seed"]))
        appui.show_piece(rendered, key="home", score=False)


def main() -> None:
    appui.start()  # the kept session first: it holds the visitor's language
    # The tab icon is a file of ours: a Material icon would be fetched from a font CDN (fails offline).
    st.set_page_config(page_title=appui.tr("app.page_title"),
                       page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")
    # A phone's first screen is short: Streamlit's 6rem above the title leaves Generate's Compose just
    # below it. Half of that still clears the sidebar's button.
    st.html("<style>@media (max-width: 640px) { [data-testid=stMainBlockContainer] { padding-top: 3.5rem; } }</style>")
    pages = [
        st.Page(home, title=appui.tr("nav.home"), icon=":material/home:", default=True),
        st.Page("pages/dataset.py", title=appui.tr("nav.dataset"), icon=":material/library_music:"),
        st.Page("pages/train.py", title=appui.tr("nav.train"), icon=":material/model_training:"),
        st.Page("pages/generate.py", title=appui.tr("nav.generate"), icon=":material/piano:"),
        st.Page("pages/compare.py", title=appui.tr("nav.compare"), icon=":material/balance:"),
    ]
    page = st.navigation(pages)
    appui.sidebar()
    page.run()


if __name__ == "__main__":  # a page view: Streamlit runs this file as a script
    main()
else:  # `streamlit run app.py` imports it first, finds `app` and serves it
    from starlette.middleware import Middleware

    from musegen.serve import web

    app = st.App(__file__, middleware=[Middleware(web.QuietDisconnects), Middleware(web.VisitorCookie)])
