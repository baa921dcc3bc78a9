"""A generated piece as the pages show it: its audio with a piano roll that follows it, the engraved
score, the notes under it and its downloads; and the session's pieces, kept for reloads."""
from __future__ import annotations

import json
import time

import streamlit as st

from musegen import text
from musegen.render import rendering
from musegen.messages import Message
from musegen.render.playhead import playhead_html
from musegen.render.plots import piano_roll
from musegen.serve.saved_session import NotKept
from ui.language import lang, say, tr
from ui.session import PIECES, not_kept, saved

MAX_SESSION_PIECES = 12


def remember(rendered: rendering.Rendered) -> None:
    pieces = st.session_state.setdefault(PIECES, [])
    pieces.append(rendered)
    del pieces[:-MAX_SESSION_PIECES]
    try:
        saved().add_piece(rendered)
    except NotKept as e:
        not_kept(e)


def player(rendered: rendering.Rendered, key: str, roll_height: int = 220) -> None:
    """The piece's audio and its piano roll in one frame, a playhead following the audio
    (musegen.render.playhead); without audio, the plotly roll."""
    piece = rendered.piece
    if rendered.audio:
        words = {k: tr(f"playhead.{k}") for k in ("yours", "model", "new_bars", "no_notes", "roll", "roll_help")}
        st.iframe(playhead_html(piece, rendered.audio, roll_height=roll_height, words=words, lang=lang()),
                  alt=tr("piece.alt", name=piece.name))
    else:
        fig = piano_roll(piece, title="", lang=lang())
        fig.update_layout(height=roll_height + 90, margin=dict(t=10))
        st.plotly_chart(fig, key=f"roll-{key}", width="stretch")


def show_piece(rendered: rendering.Rendered, key: str, score: bool = True, downloads: bool = True) -> None:
    """Audio with a piano roll that follows it, engraved score and downloads of one generated piece."""
    piece = rendered.piece
    if rendered.warning:
        st.warning(say(rendered.warning), icon=":material/repeat:")
    player(rendered, key)
    st.caption(tr("piece.caption", notes=piece.n_notes, seconds=piece.seconds, tempo=piece.tempo)
               + (tr("piece.click") if rendered.audio else ""))
    if score:
        if rendered.musicxml is None and not rendered.svg or rendered.svg and rendered.score_lang != lang():
            with st.spinner(tr("piece.engraving")):  # engraved after the player is on screen
                engrave(rendered)
        if rendered.svg:
            with st.expander(tr("piece.score"), expanded=True):
                score_pages(rendered.svg, key)
    for note in rendered.notes:
        st.caption(say(note))
    if downloads:
        import functools

        cols = st.columns(4)
        name = rendering.download_name(rendered)
        cols[0].download_button(tr("piece.midi"), rendered.midi, f"{name}.mid", "audio/midi", key=f"mid-{key}",
                                on_click="ignore")
        if rendered.audio:
            cols[1].download_button(tr("piece.ogg"), rendered.audio, f"{name}.ogg", "audio/ogg",
                                    key=f"ogg-{key}", on_click="ignore")
            cols[2].download_button(tr("piece.wav"), functools.partial(rendering.wav_of, rendered),
                                    f"{name}.wav", "audio/wav", key=f"wav-{key}", on_click="ignore")
        if rendered.musicxml:
            cols[3].download_button(tr("piece.musicxml"), rendered.musicxml, f"{name}.musicxml",
                                    "application/vnd.recordare.musicxml+xml", key=f"xml-{key}", on_click="ignore")


SCORE_PART_NAMES = ("Soprano", "Alto", "Tenor", "Bass", "Piano", "Right hand", "Left hand", "Melody",
                    "Accompaniment")  # the names musegen's readers and layouts give parts


def engrave(rendered: rendering.Rendered) -> None:
    """Engrave the piece's score with its parts named in the reader's language (again when the
    language changed since)."""
    if rendered.svg and rendered.score_lang != lang():
        rendered.musicxml, rendered.svg = None, []
    names = {name: tr(f"score.part.{name.lower().replace(' ', '_')}") for name in SCORE_PART_NAMES}
    rendering.engrave(rendered, names=names, lang=lang())


def score_pages(pages: list[str], key: str) -> None:
    """The engraved pages at the size they were engraved for, scrolled sideways where the screen is
    narrower (a phone fits a page to about a third of it: too small to read), or fitted on demand."""
    import base64

    fit = st.toggle(tr("piece.score_fit"), key=f"score-fit-{key}", help=tr("piece.score_fit_help"))
    for page in pages:
        if fit:
            st.image(page, width="stretch")
            continue
        source = base64.b64encode(page.encode("utf-8")).decode("ascii")
        st.html(f'<div class="score-frame" style="overflow-x:auto;container-type:inline-size">'
                f'<img alt="{tr("piece.score")}" style="max-width:none" src="data:image/svg+xml;base64,{source}">'
                f'{_scroll_hint(page)}</div>')


def _scroll_hint(page: str) -> str:
    """A caption under a page wider than its frame, saying it scrolls (a cut-off bar says nothing);
    the frame's own width decides, in the browser (a CSS container query)."""
    import re

    width = re.match(r'\s*<svg[^>]*\bwidth="(\d+)', page)
    if not width:
        return ""
    return (f'<style>@container (min-width: {width[1]}px) {{ .score-hint {{ display: none }} }}</style>'
            f'<div class="score-hint" style="position:sticky;left:0;font-size:0.8rem;opacity:0.6">'
            f'{tr("piece.score_scrolls")}</div>')


# Scrolls to a heading (by id) unless it already shows in the window's upper half; again every
# 150 ms for 9 s while the page below it still grows (the player loads and the score is engraved
# after it, and a page scrolls only as far as it is long); never once the user scrolls, types or clicks.
SCROLL_TO = """(() => {
  let user = false, first = true, left = 60;
  for (const e of ["wheel", "touchmove", "keydown", "pointerdown"]) addEventListener(e, () => { user = true; }, {once: true});
  const tick = () => {
    const el = document.getElementById(%s);
    if (user || left-- <= 0) return;
    if (el) {
      const top = el.getBoundingClientRect().top;
      if (first && top >= 0 && top < innerHeight / 2) return;
      first = false;
      el.style.scrollMarginTop = "4rem";
      if (Math.abs(top - 64) > 8) el.scrollIntoView({behavior: "smooth", block: "start"});
    }
    setTimeout(tick, 150);
  };
  setTimeout(tick, 50);
})(); // %d"""


def bring_into_view(anchor: str) -> None:
    """Scroll the page to the heading ``anchor`` (st.subheader's anchor): a piece made below the
    settings would otherwise arrive out of sight, and the click that made it look like it did
    nothing. Streamlit has no scroll call: a script in the page does it, once, on the run that calls
    this (a new nonce each time, so that the same heading is scrolled to after the next Compose)."""
    st.html(f"<script>{SCROLL_TO % (json.dumps(anchor), time.time_ns())}</script>", unsafe_allow_javascript=True)


def short_warning(warning) -> str:
    """A collapse warning's first clause ("The output fell into a loop"), in the current language;
    one an older version kept in English, whole."""
    if isinstance(warning, Message) and warning.code == "said.sentences":  # remarks.collapse_message
        warning = warning.values["parts"][0]
    code = warning.code.removesuffix("_1") if isinstance(warning, Message) else None  # "said.collapsed_1": one token
    if code and f"{code}_short" in text.EN:
        return tr(f"{code}_short")
    return say(warning)
