"""Accompaniment on the Generate page (musegen/generate/accompany.py): "bring a melody, get the
band" — which parts of a piece to keep and, if the visitor wants, which of the model's parts each
plays; on a kept piece, the other parts written around some of its parts, or one part written again.
The model's measured defaults for it (top-p 0.7, the key of the kept parts) come from the CLI's."""
from __future__ import annotations

import hashlib

import streamlit as st

from musegen.generate.accompany import ACCOMPANY_KEY, ACCOMPANY_TOP_P
from musegen.render.plots import part_label, part_name
from musegen.studio import generation
from ui import server
from ui.language import lang, tr

ACCOMPANY = "My music (write parts around it)"  # Start from's choice, kept in English like the others
AUTO = -1  # "plays": the library's default place (the top parts, in order)
DEFAULTS = {"gen-topp": ACCOMPANY_TOP_P, "gen-key": ACCOMPANY_KEY}  # what choosing it sets on the page


def starting_point_changed(before: dict) -> None:
    """Start from changed: into accompaniment, its measured top-p and key are set (shown, so they
    can be changed); out of it, put back to ``before`` (the page's own defaults) if still untouched."""
    state = st.session_state
    if state.get("gen-primer") == ACCOMPANY:
        state.update(DEFAULTS)
        return
    for key, value in DEFAULTS.items():
        if state.get(key) == value:
            state[key] = before[key]


def part_names(piece) -> list[str]:
    """The piece's parts as the visitor reads them: "Soprano" / "女高音", "Part 2" / "声部 2"."""
    return [part_label(piece, i, lang()) for i in range(len(piece.parts))]


def model_parts(run) -> list[str]:
    """The places of the model's line-up the kept parts may play: its usual parts by name, then
    unnamed ones up to what its tokens know (at least one more than it usually writes)."""
    usual = [p.get("name", "") for p in run.data.get("parts", [])]
    most = run.config.tokenizer.max_parts
    names = [part_name(n, lang()) or tr("plot.part", n=i + 1) for i, n in enumerate(usual[:most])]
    return names + [tr("plot.part", n=i + 1) for i in range(len(names), min(most, max(len(names) + 1, 4)))]


def choose_parts(piece, run, tag: str) -> tuple[list[int], list[int] | None]:
    """Which parts of ``piece`` to keep, and which of the model's parts each plays (None: the top
    ones, in order); widgets keyed by ``tag``, so that another piece starts afresh."""
    names = part_names(piece)
    keep = st.multiselect(tr("gen.accompany_keep"), list(range(len(names))), default=[0],
                          format_func=names.__getitem__, key=f"gen-acc-keep-{tag}", help=tr("gen.accompany_keep_help"))
    if not keep:
        st.caption(tr("gen.accompany_keep_wanted"))
        return [], None
    places = model_parts(run)
    chosen = []
    for column, k in zip(st.columns(min(len(keep), 3)) * len(keep), keep):
        chosen.append(column.selectbox(tr("gen.accompany_as", part=names[k]), [AUTO] + list(range(len(places))),
                                       key=f"gen-acc-as-{tag}-{k}", help=tr("gen.accompany_as_help"),
                                       format_func=lambda o: tr("gen.accompany_auto") if o == AUTO else places[o]))
    return keep, placed(chosen)


def placed(chosen: list[int]) -> list[int] | None:
    """The places the kept parts play: those chosen, an Auto one in the highest place left free
    (all Auto: None, the library's default)."""
    if all(c == AUTO for c in chosen):
        return None
    free = (p for p in range(len(chosen) + max(chosen) + 1) if p not in chosen)
    return [c if c != AUTO else next(free) for c in chosen]


def upload_tag(name: str, data: bytes) -> str:
    """A short name for one uploaded file's content: its part choices are its own."""
    return hashlib.sha1(name.encode() + data).hexdigest()[:10]


def given_caption(piece) -> str:
    """" · given: Soprano" under an accompaniment, its given parts by name."""
    given = getattr(piece, "given_parts", None)
    if not given:
        return ""
    names = part_names(piece)
    return tr("gen.given_of", parts=", ".join(names[p] for p in given if p < len(names)))


def sampling(chords: dict) -> dict:
    """The settings an accompaniment on a kept piece adds to the page's temperature: its measured
    top-p and key, and the chords typed in Steer."""
    return {"top_p": ACCOMPANY_TOP_P, "key": ACCOMPANY_KEY, **chords}


def write_part_again(rendered, at: int, run, keep_new_version, chords: dict) -> None:
    """One part of the piece shown written again by the chosen model, every other part kept as it is."""
    piece = rendered.piece
    n_parts = len(piece.parts)
    if n_parts < 2:
        return
    with st.expander(tr("gen.part_again")):
        st.caption(tr("gen.part_again_caption", model=run.name))
        names = part_names(piece)
        again = st.selectbox(tr("gen.part_again_which"), list(range(n_parts)), index=n_parts - 1,
                             format_func=names.__getitem__, key=f"gen-pa-{at}")
        if st.button(tr("gen.part_again_go", part=names[again]), key=f"gen-pa-go-{at}"):
            keep = [k for k in range(n_parts) if k != again]
            keep_new_version(lambda s: generation.accompany(server.pool(), run, piece, keep, s, into=keep,
                                                            n_parts=n_parts, score=False), **sampling(chords))


def write_around(rendered, at: int, run, keep_new_version, chords: dict) -> None:
    """Bring a melody, get the band, from the piece shown: the parts chosen kept, the others written
    by the chosen model (a piece of one part gets the model's line-up around it)."""
    piece = rendered.piece
    with st.expander(tr("gen.around")):
        st.caption(tr("gen.around_caption", model=run.name))
        keep, into = choose_parts(piece, run, f"kept-{at}")
        n_parts = len(piece.parts) if len(piece.parts) > len(keep) else 0
        if into is None and n_parts:
            into = keep  # the kept parts stay where they are; the model writes the others in their places
        if st.button(tr("gen.around_go"), key=f"gen-around-go-{at}", disabled=not keep):
            keep_new_version(lambda s: generation.accompany(server.pool(), run, piece, keep, s, into=into,
                                                            n_parts=n_parts, score=False), **sampling(chords))
