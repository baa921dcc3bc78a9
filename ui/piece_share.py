"""A link for one piece (musegen.serve.piece_shares): "Share this piece" under a kept piece, the
owner's list of the pieces they share with "Stop sharing", and the small read-only page the link
opens, without the app's state: the piece's title, player and roll, score and downloads."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st

from musegen.errors import MusegenError
from musegen.paths import runs_dir
from musegen.render.words import piece_title
from musegen.serve import piece_shares, visitors
from ui import piece, session
from ui.language import error_text, lang, language_selector, tr

LINK_PARAM = "piece"  # ?piece=TOKEN: the address of a shared piece
PAGE_PATHS = {p.stem for p in (Path(__file__).resolve().parent.parent / "pages").glob("*.py")}  # url paths of the pages
OPENED = "shared-piece"  # session key: (token, Rendered) of the link this session opened
RECHECK_SECONDS = 5  # how soon an open page of a link its owner stopped says so
STOPPED = "piece-share-stopped"  # session key: the piece whose share was just stopped, said once


def owner_folder():
    """Where this visitor's shares live: their folder (a private server: the runs folder)."""
    return visitors.folder_of(session.visitor(), runs_dir())


def link_to(token: str, url: str | None = None) -> str:
    """The piece's address on this server, as the visitor's browser reached it (``url``: the page's
    address, else the browser's): the app's root, whichever page shares from, with the link's query."""
    parts = urlsplit(url if url is not None else st.context.url or "")
    path = parts.path.rstrip("/")
    if path.rsplit("/", 1)[-1] in PAGE_PATHS:  # Generate's address ends in its page; Home's is the root
        path = path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{path}/?{LINK_PARAM}={token}"


# ---------------------------------------------------------------- the owner's side


def share_panel(rendered, key: str) -> None:
    """Under a kept piece: "Share this piece", or its link and "Stop sharing"."""
    say_stopped()
    token = piece_shares.token_of(owner_folder(), rendered)
    if token is None:
        if st.button(tr("piece.share"), key=f"share-{key}", help=tr("piece.share_help")):
            share(rendered)
        return
    st.caption(tr("piece.share_link"))
    st.code(link_to(token), language=None)  # st.code has a copy button
    if st.button(tr("piece.unshare"), key=f"unshare-{key}"):
        stop(token, rendered.piece.name)


def share(rendered) -> None:
    piece.engrave(rendered)  # the link shows the score: engraved now if it was not yet
    try:
        piece_shares.share_piece(owner_folder(), rendered, budget_mb=session.limits().max_runs_mb)
    except MusegenError as e:
        st.error(error_text(e))
        return
    st.rerun()


def stop(token: str, name: str) -> None:
    piece_shares.unshare_piece(owner_folder(), token)
    st.session_state[STOPPED] = name
    st.rerun()  # the link drawn above is gone from the page too


def say_stopped() -> None:
    name = st.session_state.pop(STOPPED, None)
    if name is not None:
        st.success(tr("piece.unshared", name=name), icon=":material/link_off:")


def shares_list() -> None:
    """Every piece this visitor shares, each with its link and "Stop sharing": a link outlives the
    session's memory of its piece (the newest twelve), never its owner's word."""
    say_stopped()
    shared = piece_shares.shared_pieces(owner_folder())
    if not shared:
        return
    with st.expander(tr("piece.shares")):
        st.caption(tr("piece.shares_caption"))
        for share_ in shared:
            st.markdown(f"**{share_.name}**")
            st.code(link_to(share_.token), language=None)
            if st.button(tr("piece.unshare"), key=f"unshare-list-{share_.token[:12]}"):
                stop(share_.token, share_.name)


# ---------------------------------------------------------------- the link's page


def shared_piece_page() -> None:
    """What ?piece=TOKEN opens: the piece, read-only, or why there is none. Looked up again at every
    run, so that a link stopped meanwhile shows no music."""
    token = st.query_params.get(LINK_PARAM, "")
    opened = st.session_state.get(OPENED)
    if piece_shares.find_shared_piece(token, runs_dir()) is None:
        st.session_state.pop(OPENED, None)
        gone()
        return
    if opened is None or opened[0] != token:
        opened = (token, piece_shares.open_shared_piece(token, runs_dir()))
        st.session_state[OPENED] = opened
    rendered = opened[1]
    if rendered is None:
        gone()
        return
    st.title(piece_title(rendered.piece.name, lang(), rendered.settings.get("variations")))
    st.caption(tr("piece.shared_caption", run=rendered.run))
    piece.show_piece(rendered, key="shared")
    footer()
    watch(token)


def gone() -> None:
    st.title(tr("piece.shared_gone_title"))
    st.info(tr("piece.shared_gone"), icon=":material/link_off:")
    footer()


def footer() -> None:
    """A way into the app, and the language (the page has no sidebar)."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.markdown(f"[{tr('piece.shared_app')}](./)")
    with right:
        language_selector()


def watch(token: str) -> None:
    """An open page whose link is stopped says so within RECHECK_SECONDS, its music gone with it."""

    @st.fragment(run_every=RECHECK_SECONDS)
    def recheck():
        if piece_shares.find_shared_piece(token, runs_dir()) is None:
            st.rerun()

    recheck()
