"""musegen in the browser: `streamlit run app.py`.

The entry point, read twice. `streamlit run app.py` first imports this file as a module and finds
`app` at its end: Streamlit's web server (st.App) with ours in front of it (musegen.serve.web: the
visitor's HttpOnly cookie, quiet interrupted uploads). Then each page view runs it as a script:
navigation over the pages, the shared sidebar, and the home page (`main`).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from musegen.studio import generation, run_library
from musegen.errors import MusegenError
from ui import language, library, piece, piece_share, server, session, sidebar

tr = language.tr
KEPT = (language.LANG,)  # the settings every page keeps across reloads: the visitor's language


def home() -> None:
    st.title(":material/music_note: musegen")
    st.markdown(tr("home.intro"))
    hear_it_now()  # first, so a phone shows the button without scrolling
    st.subheader(tr("home.make_own"))
    cols = st.columns(3)
    steps = [
        ("pages/dataset.py", tr("home.step1"), ":material/library_music:", tr("home.step1_text")),
        ("pages/train.py", tr("home.step2"), ":material/model_training:", tr("home.step2_text")),
        ("pages/generate.py", tr("home.step3"), ":material/piano:", tr("home.step3_text")),
    ]
    for col, (page, title, icon, text) in zip(cols, steps):
        with col.container(border=True):
            st.page_link(page, label=title, icon=icon)
            st.caption(text)


def hear_it_now() -> None:
    st.subheader(tr("home.hear"))
    entries = [e for e in run_library.library() if e.bundled] or library.library()
    entry = run_library.default_entry(entries)
    if entry is None:
        st.info(tr("home.no_model"))
        return
    server.warm_bundled()
    if st.button(tr("home.generate"), type="primary", key="home-generate"):
        try:
            with st.spinner(tr("home.composing")):
                rendered = generation.compose(server.pool(), entry.run, generation.HOME_SAMPLE, score=False)
            piece.remember(rendered)
            st.session_state["home-piece"] = rendered
        except MusegenError as e:
            st.error(language.error_text(e))
    st.caption(tr("home.uses", name=entry.run.name, params=entry.run.summary.get("params", 0),
                  data=language.run_dataset_title(entry.run)))
    rendered = st.session_state.get("home-piece")
    if rendered is not None:
        st.success(tr("home.made", run=rendered.run, seed=rendered.settings["seed"]))
        piece.show_piece(rendered, key="home", score=False)
        piece_share.share_panel(rendered, key="home")  # a first piece worth sending on, sent from here


def main() -> None:
    session.start(KEPT)  # the kept session first: it holds the visitor's language
    # The tab icon is a file of ours: a Material icon would be fetched from a font CDN (fails offline).
    st.set_page_config(page_title=tr("app.page_title"),
                       page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")
    # A phone's first screen is short: Streamlit's 6rem above the title leaves Generate's Compose just
    # below it. Half of that still clears the sidebar's button.
    st.html("<style>@media (max-width: 640px) { [data-testid=stMainBlockContainer] { padding-top: 3.5rem; } }</style>")
    if piece_share.LINK_PARAM in st.query_params:  # a shared piece's link: its own small page, nothing else
        st.navigation([st.Page(piece_share.shared_piece_page, title=tr("piece.shared_title"),
                               icon=":material/music_note:", default=True)], position="hidden").run()
        return
    pages = [
        st.Page(home, title=tr("nav.home"), icon=":material/home:", default=True),
        st.Page("pages/dataset.py", title=tr("nav.dataset"), icon=":material/library_music:"),
        st.Page("pages/train.py", title=tr("nav.train"), icon=":material/model_training:"),
        st.Page("pages/generate.py", title=tr("nav.generate"), icon=":material/piano:"),
        st.Page("pages/compare.py", title=tr("nav.compare"), icon=":material/balance:"),
    ]
    page = st.navigation(pages)
    sidebar.sidebar()
    page.run()


if __name__ == "__main__":  # a page view: Streamlit runs this file as a script
    main()
else:  # `streamlit run app.py` imports it first, finds `app` and serves it
    from starlette.middleware import Middleware

    from musegen.serve import web

    app = st.App(__file__, middleware=[Middleware(web.QuietDisconnects), Middleware(web.VisitorCookie)])
