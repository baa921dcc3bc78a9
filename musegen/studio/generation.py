"""Composing with a run and rendering what it made: what the Home and Generate pages call."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..config import SampleConfig
from ..music.piece import Piece
from ..render.rendering import Rendered, render_piece
from .composers import ComposerPool

HOME_SAMPLE = SampleConfig(seconds=20.0, primer="random", primer_tokens=64)


def compose_variations(pool: ComposerPool, run, sample: SampleConfig, n: int = 1, piece: Piece | None = None,
                       **render_kw) -> list[Rendered]:
    """Generate n pieces with `run` in one batch (same settings and seed, different draws) and
    render each; each carries its own collapse warning."""
    from ..generate.remarks import collapse_message

    composition = pool.get(run).compose(replace(sample, variations=max(1, int(n))), piece=piece)
    settings = {"seed": composition.seed, "temperature": sample.temperature,
                "rhythm_temperature": sample.rhythm_temperature, "top_k": sample.top_k,
                "top_p": sample.top_p, "seconds": sample.seconds,
                "primer": "your MIDI" if piece is not None else sample.primer, "steering": composition.steering,
                "form": ({"form": sample.form, "phrase_bars": sample.phrase_bars, "repeats": sample.repeats}
                         if sample.form else None)}
    out = []
    for i, (made, ids) in enumerate(zip(composition.pieces, composition.ids)):
        rendered = render_piece(made, **render_kw)
        rendered.notes[:0] = composition.remarks  # shown under the piece, like a missing score
        rendered.warning = collapse_message(ids)
        rendered.tokens_per_s = composition.tokens_per_s
        rendered.run = run.name
        rendered.settings = {**settings, "variation": i + 1, "variations": len(composition.pieces)}
        out.append(rendered)
    return out


def compose(pool: ComposerPool, run, sample: SampleConfig, piece: Piece | None = None, **render_kw) -> Rendered:
    """Generate one piece with `run` and render it; the collapse warning comes along."""
    return compose_variations(pool, run, sample, 1, piece=piece, **render_kw)[0]


def rewrite(pool: ComposerPool, run, rendered: Rendered, first: int, last: int, sample: SampleConfig,
            **render_kw) -> Rendered:
    """A kept piece with bars ``first``–``last`` written again by ``run`` (generate/span.py), rendered;
    its settings say which bars are new."""
    from ..generate.span import rewrite_span

    done = rewrite_span(pool.get(run), rendered.piece, first, last, sample)
    out = render_piece(done.piece, **render_kw)
    out.run = run.name
    out.settings = {**rendered.settings, "seed": sample.seed, "temperature": sample.temperature,
                    "top_p": sample.top_p, "rewritten": [first, last], "variations": 1}
    return out


def extend(pool: ComposerPool, run, rendered: Rendered, section: str, sample: SampleConfig, **render_kw) -> Rendered:
    """A kept piece written in a form, with one more ``section`` (generate/span.append_section), rendered."""
    from ..generate.span import append_section

    form = rendered.settings["form"]
    longer = append_section(pool.get(run), rendered.piece, form["form"], form["phrase_bars"], section, sample,
                            repeats=form["repeats"])
    out = render_piece(longer, **render_kw)
    out.run = run.name
    out.settings = {**rendered.settings, "seed": sample.seed, "rewritten": None, "added": section, "variations": 1}
    return out


def accompany(pool: ComposerPool, run, piece: Piece, keep: list[int], sample: SampleConfig,
              into: list[int] | None = None, n_parts: int = 0, **render_kw) -> Rendered:
    """The model's parts around ``piece``'s parts ``keep`` (generate/accompany.py), rendered; its
    settings say which parts were given. One part of a kept piece written again is ``keep`` = every
    other part, ``into`` = the same places."""
    from ..generate.accompany import accompany as around

    composition = around(pool.get(run), replace(sample, variations=1), piece, keep, into, n_parts)
    out = render_piece(composition.pieces[0], **render_kw)
    out.notes[:0] = composition.remarks
    out.run = run.name
    out.tokens_per_s = composition.tokens_per_s
    out.settings = {"seed": composition.seed, "temperature": sample.temperature, "top_k": sample.top_k,
                    "top_p": sample.top_p, "steering": composition.steering,
                    "given_parts": [p + 1 for p in composition.pieces[0].given_parts],
                    "chords": sample.chords or None, "variations": 1}
    return out


def random_seed() -> int:
    return int(np.random.default_rng().integers(1, 1_000_000))
