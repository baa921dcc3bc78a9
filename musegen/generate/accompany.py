"""Accompaniment: the model writes some parts around parts it is given, which come out as given.

The given notes go into the token stream as the model writes (``given.GivenParts``), so at each
position the model hears a given melody's note before it writes the chord under it. What it cannot
hear is the melody's next notes: so several accompaniments are drawn at once and the one under
which the model finds the given music most likely is kept (``listening_score``), among those that
play (``best_candidate``). ``--chords auto`` has the new parts follow the chords the melody
suggests (``melody_chords.py``), the whole melody heard at once. ``bench/accompany.py`` measures
each of these choices.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..config import REQUEST_BUDGET
from ..errors import InputError
from ..messages import msg
from ..music.piece import PART, START, Part, Piece
from .chords import AUTO_CHORDS
from .given import GivenParts, given_bars
from .remarks import rule_message, stopped_at_budget

# Accompaniment's own sampling defaults (the CLI's and the app's), measured in docs/accompany.md:
# harmonising chorale melodies, the melody's key held softly and a narrower nucleus than free
# generation's brought the chords nearest real harmonisations.
ACCOMPANY_TOP_P = 0.7
ACCOMPANY_KEY = "auto"
PLAYING = 0.5  # best_candidate: a candidate judged has at least this share of the busiest one's notes
CANDIDATES = 4  # accompaniments drawn per variation (one batch), the best kept: listening_score


def accompany(composer, sample, piece, keep: list[int], into: list[int] | None = None,
              n_parts: int = 0, candidates: int = CANDIDATES):
    """The model's parts around ``piece``'s parts ``keep`` (indices from 0), which play the run's
    parts ``into`` (default: the top ones, in order) of a layout of ``n_parts`` parts (default: the
    run's usual line-up, or one more than the given parts). Every variation is a whole piece of the
    given music's length, the best of ``candidates`` drawn (``listening_score``); the given notes
    come out exactly as they were. Returns a Composition."""
    from ..render.words import name_stem
    from .sample import Composition
    from .sampling import Sampling

    tok = composer.tokenizer
    sample.check()
    keep, into, layout = _layout(composer, piece, keep, into, n_parts)
    given = _given_piece(piece, keep, into)
    ids = tok.encode(given)
    signatures, bars = given_bars(tok, ids, sorted(into))
    if not any(bars):
        raise InputError(msg("said.accompany_nothing_given"))
    signature = tok.time_signature_ids()[signatures[0]]
    if sample.chords.strip().lower() in AUTO_CHORDS:
        sample = dataclasses.replace(sample, chords=chords_of(given, sample.key))
    tempo = sample.tempo or piece.tempo
    primer = tok.opening(tempo, layout, signature)
    remarks: list = []
    # No rhythm like its music: it counts the given parts' notes too, and would push the new parts'
    # onsets to make up for the melody's rhythm (a tiny duet model wrote its chord part's 476 notes
    # into 7 quarters that way, which FluidSynth could not render in 120 s).
    plain = dataclasses.replace(sample, form="", bars=len(bars), seconds=0.0, match_rhythm=False)
    if sample.form:
        remarks.append(msg("said.accompany_no_form"))
    rules = composer.rules(plain, given, primer, signature, remarks)
    given_rule = GivenParts(tok, signatures, bars, set(into))
    rules.append(given_rule)
    variations = max(1, sample.variations)
    rows = variations * max(1, candidates)
    n_new = min(REQUEST_BUDGET["length"] // rows, len(ids) * (len(layout) + 1) + 64 * len(bars))
    bar_lines = np.zeros(len(tok), np.float32)
    bar_lines[tok.bar_id] = 1.0  # the clock counts bars: the piece ends with the given music's last
    seed = sample.seed if sample.seed is not None else int(np.random.default_rng().integers(2**31 - 1))
    drawn, speed = composer.generator.generate(
        np.repeat(primer[None], rows, axis=0), n_new,
        Sampling(composer.temperatures(sample), sample.top_k, sample.top_p, seed), rules=rules,
        token_quarters=bar_lines, max_quarters=len(bars) - 0.5)
    if any(len(seq) >= n_new for seq in drawn):
        remarks.append(stopped_at_budget(n_new))
    scores = [listening_score(composer.generator, primer, seq, row.given_pitches)
              for seq, row in zip(drawn, given_rule.rows)]
    pitched = set(tok.pitch_ids())
    new_notes = [sum(int(t) in pitched for t in seq) - len(row.given_pitches)
                 for seq, row in zip(drawn, given_rule.rows)]
    each = rows // variations
    made = [drawn[v * each + best_candidate(scores[v * each:(v + 1) * each], new_notes[v * each:(v + 1) * each])]
            for v in range(variations)]
    pieces = [_with_given_notes(tok.decode(np.concatenate([primer, seq]), context=len(primer),
                                           name=f"{name_stem(piece.name)}-accompanied-seed{seed}-{i + 1}",
                                           tempo=tempo, parts=layout, time_signature=signature).without_doubled_notes(),
                                piece, given, keep, into, layout, tempo)
              for i, seq in enumerate(made)]
    return Composition(pieces, made, primer, seed, speed, [m for m in map(rule_message, rules) if m], remarks)


def chords_of(given: Piece, key: str) -> str:
    """``--chords auto``: the progression the given music suggests (melody_chords), in the key asked
    for, else its own, from the bar of its first note (where the new music starts)."""
    from ..render.midi import estimate_key
    from .melody_chords import melody_chords, progression_text
    from .form import MINOR_MODES
    from .steer import AUTO, parse_scale

    named = key.strip() and key.strip().lower() not in (AUTO, "primer")
    scale = parse_scale(key) if named else None
    home = (scale.tonic, scale.mode in MINOR_MODES) if scale else estimate_key(given.notes)
    first = given.notes[:, START].min()
    starts = given.bar_starts(until=first + 1e-6)
    origin = float(starts[starts <= first + 1e-6].max()) if len(starts) else 0.0
    shifted = given.notes.copy()
    shifted[:, START] -= origin
    bars = melody_chords(given.with_notes(shifted), list(range(len(given.parts))), home)
    return progression_text(bars)


def best_candidate(scores: list[float], new_notes: list[int]) -> int:
    """The candidate that leads best into the given music, among those that play: a candidate with
    next to no notes of its own leaves the melody alone, which the model finds easy to foresee, so
    only candidates with at least PLAYING of the busiest one's new notes are judged."""
    enough = max(new_notes) * PLAYING
    return max((k for k in range(len(scores)) if new_notes[k] >= enough), key=lambda k: scores[k])


def listening_score(generator, primer, seq, given_at: list[int]) -> float:
    """How well the model's parts lead to the given music: the mean log-probability the model gives
    each given pitch after everything before it (teacher-forced). A candidate whose chords make the
    melody's next notes likely fits what comes next, which no single step could see."""
    ids = np.concatenate([primer, seq]).astype(np.int64)
    at = np.asarray([i for i in given_at if 0 < i < len(ids)], np.int64)
    if not len(at):
        return 0.0
    logits = generator.step_logits(ids[None])[0][at - 1].astype(np.float64)
    logits -= logits.max(axis=-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return float(log_probs[np.arange(len(at)), ids[at]].mean())


def _layout(composer, piece, keep, into, n_parts):
    """Check the request; the kept parts, the parts they play, and the whole line-up (instruments:
    the given parts' own, the run's usual for the others, else a piano)."""
    tok = composer.tokenizer
    if tok.bar_id is None or not tok.part_ids():
        raise InputError(msg("said.accompany_needs_parts"))
    keep = list(dict.fromkeys(int(k) for k in keep))
    if not keep or any(not 0 <= k < len(piece.parts) for k in keep):
        raise InputError(msg("said.accompany_bad_part", count=len(piece.parts),
                             parts=", ".join(str(k + 1) for k in keep) or "–"))
    usual = composer.default_parts or []
    into = list(range(len(keep))) if not into else [int(i) for i in into]
    n_parts = n_parts or max(len(usual), max(into) + 2)
    most = len(tok.part_ids())
    if (len(into) != len(keep) or len(set(into)) != len(into) or min(into) < 0 or max(into) >= n_parts
            or n_parts > most or len(into) >= n_parts):
        raise InputError(msg("said.accompany_bad_layout", given=len(keep), parts=n_parts, most=most))
    layout = [Part(program=p.program, is_drum=p.is_drum, name=p.name) for p in usual[:n_parts]]
    layout += [Part(program=0) for _ in range(n_parts - len(layout))]
    for k, slot in zip(keep, into):
        source = piece.parts[k]
        layout[slot] = Part(program=source.program, is_drum=source.is_drum, name=source.name or layout[slot].name)
    return keep, into, layout


def _given_piece(piece, keep, into) -> Piece:
    """The kept parts alone, in the order of the parts they play (what the tokenizer encodes)."""
    order = sorted(range(len(keep)), key=lambda j: into[j])
    notes = []
    for new, j in enumerate(order):
        part = piece.part_notes(keep[j]).copy()
        part[:, PART] = new
        notes.append(part)
    return Piece(piece.name, np.concatenate(notes), piece.tempo, parts=[piece.parts[keep[j]] for j in order],
                 time_signatures=piece.time_signatures, key_sharps=piece.key_sharps)


def _with_given_notes(made, piece, given, keep, into, layout, tempo) -> Piece:
    """The decoded piece with its given parts' notes replaced by the originals (the tokens round
    every note to the grid and durations to a list), moved to where the tokens started: the bar of
    the first given note."""
    first = given.notes[:, START].min()
    starts = given.bar_starts(until=first + 1e-6)
    origin = float(starts[starts <= first + 1e-6].max()) if len(starts) else 0.0
    new = made.notes[~np.isin(made.notes[:, PART], into)]
    originals = []
    for k, slot in zip(keep, into):
        notes = piece.part_notes(k).copy()
        notes[:, START] -= origin
        notes[:, PART] = slot
        originals.append(notes[notes[:, START] >= -1e-9])
    return Piece(made.name, np.concatenate([new, *originals]), tempo, parts=layout,
                 time_signatures=made.time_signatures, key_sharps=piece.key_sharps, given_parts=tuple(sorted(into)))
