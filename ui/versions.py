"""Another version of the piece the Generate page shows, made by the chosen model and kept beside
it: some bars written again, one more section of its form, the other parts written around some of
its parts, or one part written again (its new bars or parts marked on the roll and the score)."""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from musegen.config import SampleConfig
from musegen.errors import MusegenError
from musegen.studio import generation
from ui import accompany, language, piece, server, session
from ui.language import tr


@dataclass
class Versions:
    """What a new version is written with: the model, the page's temperature and top-p, and the
    chords typed in Steer (for the accompaniments)."""

    run: object
    temperature: float
    top_p: float
    chords: dict = field(default_factory=dict)

    def keep_new(self, make, **settings) -> None:
        """``make(sampling)`` at this page's temperature and top-p (or ``settings``) with a new seed:
        kept beside the piece shown and shown (an error said in words instead, nothing lost)."""
        again = SampleConfig(**{"temperature": self.temperature, "top_p": self.top_p, **settings},
                             seed=generation.random_seed())
        try:
            with st.spinner(tr("gen.rewriting")):
                new = make(again)
        except MusegenError as e:
            st.error(language.error_text(e))
            return
        piece.remember(new)
        st.session_state["gen-current"] = len(st.session_state[session.PIECES]) - 1
        st.rerun()

    def offer(self, rendered, at: int) -> None:
        """Every new version the model can make of the piece shown (``at``: its place in the session)."""
        self.rewrite_bars(rendered, at)
        self.one_more_section(rendered, at)
        accompany.write_part_again(rendered, at, self.run, self.keep_new, self.chords)
        accompany.write_around(rendered, at, self.run, self.keep_new, self.chords)

    def rewrite_bars(self, rendered, at: int) -> None:
        """Some bars of the piece written again, keeping the others: its new bars marked."""
        n_bars = len(rendered.piece.bar_starts())
        if n_bars < 2:
            return
        with st.expander(tr("gen.rewrite")):
            st.caption(tr("gen.rewrite_caption", model=self.run.name))
            first, last = st.select_slider(tr("gen.rewrite_bars"), list(range(1, n_bars + 1)),
                                           value=(max(1, n_bars // 2 - 1), max(1, n_bars // 2)),
                                           key=f"gen-rw-bars-{at}")
            if st.button(tr("gen.rewrite_go", first=first, last=last), key=f"gen-rw-{at}"):
                self.keep_new(lambda again: generation.rewrite(server.pool(), self.run, rendered, first, last, again,
                                                               score=False))

    def one_more_section(self, rendered, at: int) -> None:
        """A piece written in a form goes on with one more of its sections (one more chorus)."""
        form = rendered.settings.get("form")
        if not form:
            return
        with st.expander(tr("gen.more_section")):
            letters = list(dict.fromkeys(form["form"]))
            section = st.segmented_control(tr("gen.more_section_which", form=form["form"]), letters,
                                           default=letters[0], required=True, key=f"gen-more-{at}")
            if st.button(tr("gen.more_section_go", section=section), key=f"gen-more-go-{at}"):
                self.keep_new(lambda again: generation.extend(server.pool(), self.run, rendered, section, again,
                                                              score=False))
