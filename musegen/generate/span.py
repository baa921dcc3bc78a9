"""Write a span of bars again, or one more section: the piece's own bars kept as they are.

**A span again.**

"Keep bars 1–8 and 13–16, write 9–12 again": the model continues the kept opening, several
candidates at once, each exactly as many bars as the span; each candidate is then judged by how
likely the model finds the kept bars after it (their mean log-probability, teacher-forced), and the
one that leads best into them is kept. The bars outside the span are the piece's own tokens,
untouched. Works for every model and scheme with bars, on any piece the tokenizer can read (a kept
piece, the user's MIDI).

**One more section** ("one more chorus"): a piece written in a form goes on with a repeat of one
of its sections, written over that section's first statement as the form writes its repeats
(form.FormPlan, counting the piece's own bars), and closes again on the home chord.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..config import REQUEST_BUDGET
from ..errors import InputError
from ..messages import msg
from ..music.piece import Piece
from .sample import bar_quarters_of
from .sampling import Sampling
from .steer import FirstToken

CANDIDATES = 16  # drawn at once (one batch); more lead better into the kept bars, and cost more: 8 left the
# Bach WaveNet's kept bars a little less likely than after the piece's own (docs/form.md)


@dataclass
class Rewrite:
    piece: Piece  # the whole piece, the span written again
    ids: np.ndarray  # its tokens
    first: int  # the span, bars counted from 1, both ends included
    last: int
    follow_scores: list[float]  # per candidate: mean log-probability of the kept bars after it
    original_score: float  # the same for the piece's own span
    chosen: int

    @property
    def span_quarters(self) -> tuple[float, float]:
        """Where the new bars sound, in quarters (the piece's ``rewritten``, which the score and the
        piano rolls mark)."""
        return self.piece.rewritten


def parse_span(text: str) -> tuple[int, int]:
    """"9-12" → (9, 12); "9" → (9, 9); bars counted from 1."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*(?:(?:-|–|to)\s*(\d{1,5}))?\s*", str(text))
    if not match:
        raise InputError(msg("said.bad_span", span=str(text)))
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first < 1 or last < first:
        raise InputError(msg("said.bad_span", span=str(text)))
    return first, last


def _from_a_bar_line(rules: list, tokenizer) -> list:
    """The rules, the new bars beginning with the bar line where the kept ones end (in place of a
    rule that would forbid it: the bar before the span may be empty)."""
    return [r for r in rules if not isinstance(r, FirstToken)] + [FirstToken.only(len(tokenizer), tokenizer.bar_id)]


def follow_score(generator, head: np.ndarray, middle: np.ndarray, tail: np.ndarray) -> float:
    """Mean log-probability of ``tail``'s tokens after head + middle (teacher-forced)."""
    if not len(tail):
        return 0.0
    ids = np.concatenate([head, middle, tail]).astype(np.int64)
    logits = generator.step_logits(ids[None])[0, len(head) + len(middle) - 1 : len(ids) - 1]
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return float(log_probs[np.arange(len(tail)), tail].mean())


def rewrite_span(composer, piece: Piece, first: int, last: int, sample, candidates: int = CANDIDATES) -> Rewrite:
    """``piece`` with bars ``first``–``last`` written again by ``composer``'s model at ``sample``'s
    settings (temperature, top-p, seed, key…); see the module docstring."""
    tok = composer.tokenizer
    if tok.bar_id is None:
        raise InputError(msg("said.form_needs_bars"))
    sample.check()
    ids = np.asarray(tok.encode(piece), np.int64)
    lines = [i for i, t in enumerate(ids) if t == tok.bar_id]
    if not lines or last > len(lines):
        raise InputError(msg("said.span_outside", first=first, last=last, bars=len(lines)))
    end = lines[last] if last < len(lines) else len(ids) - (ids[-1] == tok.eos_id)
    head, original, tail = ids[: lines[first - 1]], ids[lines[first - 1] : end], ids[end:]
    tail = tail[tail != tok.eos_id]

    signature = composer.signature(sample, piece)
    bar = bar_quarters_of(signature)
    remarks: list = []
    rules = _from_a_bar_line(composer.rules(sample, piece, head, signature, remarks), tok)
    drawn, _ = composer.generator.generate(
        np.repeat(head[None], candidates, axis=0),
        min(max(64, 4 * len(original)), REQUEST_BUDGET["length"] // candidates),  # bounded like any request
        _sampling(composer, sample), rules=rules, token_quarters=tok.token_quarters(bar),
        max_quarters=(last - first + 1) * bar)
    scores = [follow_score(composer.generator, head, middle, tail) for middle in drawn]
    chosen = int(np.argmax(scores))
    new_ids = np.concatenate([head, drawn[chosen], tail]).astype(np.int32)
    out = _as_piece(composer, new_ids, piece, f"{piece.name}-bars{first}-{last}", signature, first - 1, last)
    return Rewrite(out, new_ids, first, last, scores, follow_score(composer.generator, head, original, tail), chosen)


def append_section(composer, piece: Piece, form_name: str, phrase_bars: int, letter: str, sample,
                   repeats: str = "varied") -> Piece:
    """``piece`` (written in ``form_name``, sections of ``phrase_bars`` bars) and one more section
    ``letter``, a repeat of that section's first statement; see the module docstring."""
    from .form import REPEATS, FormPlan, parse_form

    letters = parse_form(form_name)
    letter = letter.strip().upper()
    if not letters or letter not in letters:
        raise InputError(msg("said.no_such_section", section=letter, form=letters or "free"))
    tok = composer.tokenizer
    sample.check()
    ids = np.asarray(tok.encode(piece), np.int64)
    ids = ids[ids != tok.eos_id]
    n_bars = int(np.sum(ids == tok.bar_id))
    if n_bars < (letters.index(letter) + 1) * phrase_bars:
        raise InputError(msg("said.span_outside", first=letters.index(letter) * phrase_bars + 1,
                             last=(letters.index(letter) + 1) * phrase_bars, bars=n_bars))
    # The plan's form: the piece's sections as they lie (its form, round after round), then the new one.
    sections = [letters[k % len(letters)] for k in range(-(-n_bars // phrase_bars))]
    plan = FormPlan(tok, "".join(sections) + letter, phrase_bars, REPEATS[repeats],
                    total_bars=len(sections) * phrase_bars + phrase_bars, whole_primer=True)
    signature = composer.signature(sample, piece)
    bar = bar_quarters_of(signature)
    remarks: list = []
    rules = _from_a_bar_line(composer.rules(sample, piece, ids, signature, remarks) + [plan], tok)
    (more,), _ = composer.generator.generate(
        ids[None], min(REQUEST_BUDGET["length"], int(phrase_bars * bar * 40 + 64)), _sampling(composer, sample),
        rules=rules, token_quarters=tok.token_quarters(bar), max_quarters=phrase_bars * bar)
    new_ids = np.concatenate([ids, more]).astype(np.int32)
    return _as_piece(composer, new_ids, piece, f"{piece.name}-{letter}", signature, n_bars, None)


def _sampling(composer, sample) -> Sampling:
    """The Composer's sampling for ``sample``, its seed drawn when none is given."""
    seed = sample.seed if sample.seed is not None else int(np.random.default_rng().integers(2**31 - 1))
    return Sampling(composer.temperatures(sample), sample.top_k, sample.top_p, seed)


def _as_piece(composer, ids: np.ndarray, like: Piece, name: str, signature, new_from: int, new_to: int | None) -> Piece:
    """``ids`` as a piece with ``like``'s tempo, key signature, instrument and part names, its new
    bars (``new_from`` up to ``new_to``, counted from 0; None: to the end) marked as ``rewritten``."""
    out = composer.tokenizer.decode(ids, name=name, tempo=like.tempo, parts=composer.default_parts,
                                    time_signature=signature)
    out.tempo, out.key_sharps, out.program = like.tempo, like.key_sharps, like.program
    composer.name_parts(out, like.parts)
    starts = list(out.bar_starts()) + [out.duration_quarters]
    end = out.duration_quarters if new_to is None else starts[min(new_to, len(starts) - 1)]
    out.rewritten = (float(starts[min(new_from, len(starts) - 1)]), float(end))
    return out
