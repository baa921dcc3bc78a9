"""Chords on the beat (generate/beat_chords.py): the rule hears what sounds on the beat, held notes
too, and makes only the pitches no triad or seventh chord could hold with it rarer."""
from __future__ import annotations

import numpy as np
import pytest

from musegen.config import SampleConfig
from musegen.evaluate import harmony
from musegen.evaluate.harmony import beat_chord_fit
from musegen.generate.beat_chords import FITS_A_CHORD, IS_CHORD, BeatChords
from musegen.generate.remarks import describe
from musegen.generate.sample import Composer
from musegen.music.piece import Part, Piece
from musegen.paths import SHIPPED_MODELS
from musegen.runs.folder import Run

C, E, G = 1 << 0, 1 << 4, 1 << 7


def mask(*classes: int) -> int:
    return sum(1 << c for c in classes)


def test_the_chords_it_keeps_are_the_ones_the_measure_counts():
    assert harmony.IS_CHORD is IS_CHORD  # one table for the rule and the measure
    assert IS_CHORD[C | E | G] and IS_CHORD[mask(7, 11, 2, 5)] and not IS_CHORD[C | E]  # C, G7; a third alone is no chord
    assert FITS_A_CHORD[C | E] and FITS_A_CHORD[mask(0, 1)]  # a third; a semitone (the top of a major seventh)
    assert not FITS_A_CHORD[mask(0, 1, 2)] and not FITS_A_CHORD[mask(0, 2, 4)]  # clusters no chord holds
    assert FITS_A_CHORD[IS_CHORD].all() and FITS_A_CHORD[0]


@pytest.fixture(scope="module")
def base():
    return Run.load(SHIPPED_MODELS / "base")


def three_parts() -> Piece:
    """C5 and E4 held through a 4/4 bar; the third part plays G3 on beat 1, A3 off the beat, C4 on beat 3."""
    notes = [(0, 4, 72, 80, 0), (0, 4, 64, 80, 1), (0, 1, 55, 80, 2), (0.5, 0.5, 57, 80, 2), (2, 1, 60, 80, 2)]
    return Piece("held", np.array(notes, float), tempo=100, parts=[Part("S"), Part("A"), Part("T")],
                 time_signatures=[(0.0, 4, 4)])


def penalised_before(tok, rule, ids, token: str) -> set[int]:
    """The pitches the rule makes rarer just before ``token`` is written."""
    at = [tok.vocab[i] for i in ids].index(token)
    rule.start(np.array([ids[:at]]))
    out = rule(np.zeros((1, len(tok)), np.float32))[0]
    return {pitch for i, pitch in tok.pitch_ids().items() if out[i] < 0}


def test_on_the_beat_only_the_pitches_that_make_no_chord_with_the_held_notes_are_rarer(base):
    tok = base.tokenizer
    ids = tok.encode(three_parts())
    rule = BeatChords(tok, strength=0.95)
    on_beat_3 = penalised_before(tok, rule, ids, "Pitch_60")  # C5 and E4 still sound there
    assert on_beat_3 and all(not FITS_A_CHORD[C | E | 1 << (p % 12)] for p in on_beat_3)
    assert {p % 12 for p in on_beat_3} == {c for c in range(12) if not FITS_A_CHORD[C | E | 1 << c]}
    assert 67 not in on_beat_3 and 69 not in on_beat_3 and 61 in on_beat_3  # G and A make chords, C# none
    clashing = [i for i, p in tok.pitch_ids().items() if p in on_beat_3]
    flat = np.zeros((1, len(tok)), np.float32)  # a model with no idea: the clashing pitches hold a sixth of it
    assert len(clashing) / len(tok) > 0.05
    probs = np.exp(rule(flat)[0].astype(np.float64))
    assert np.isclose(probs[clashing].sum() / probs.sum(), 0.05)  # brought down to 1 - strength
    knows = flat.copy()
    knows[0, clashing] = -6.0  # a model that already gives them next to nothing is left as it is
    assert (rule(knows) == knows).all()
    assert (BeatChords(tok, 1.0)._shift(flat[0], np.array(clashing)) <= -1e8)  # 1: never
    forced = np.full((1, len(tok)), -1e9, np.float32)  # an exact repeat or the close has chosen a clashing note
    forced[0, clashing[0]] = 0.0
    assert (rule(forced) == forced).all()  # it stays chosen: never a row with nothing left to write
    strict = BeatChords(tok, 1.0)
    assert penalised_before(tok, strict, ids, "Pitch_60") == on_beat_3  # the same pitches, forbidden
    assert (strict(forced) == forced).all()  # and still a forced one stays
    assert penalised_before(tok, rule, ids, "Pitch_57") == set()  # off the beat: passing notes are free
    assert describe(rule) == "chords on the beat 0.95"


def test_a_beat_already_a_cluster_is_left_alone(base):
    tok = base.tokenizer
    cluster = [(0, 4, 72, 80, 0), (0, 4, 73, 80, 1), (0, 4, 74, 80, 2), (2, 1, 48, 80, 3)]
    piece = Piece("cluster", np.array(cluster, float), tempo=100,
                  parts=[Part("S"), Part("A"), Part("T"), Part("B")], time_signatures=[(0.0, 4, 4)])
    ids = tok.encode(piece)
    assert penalised_before(tok, BeatChords(tok, 0.95), ids, "Pitch_48") == set()  # C, C# and D held: no chord left
    assert penalised_before(tok, BeatChords(tok, 0.95), ids, "Pitch_74")  # C and C#: D would make the cluster


def test_the_default_brings_a_models_beat_chords_up_and_zero_keeps_its_own():
    composer = Composer(Run.load(SHIPPED_MODELS / "bach-lstm"))  # the bundled model weakest at harmony
    own = composer.compose(SampleConfig(seconds=12, seed=3, variations=3, harmony=0.0))
    steered = composer.compose(SampleConfig(seconds=12, seed=3, variations=3))
    assert "chords on the beat" not in " ".join(map(str, own.steering))
    assert "chords on the beat 0.95" in " ".join(map(str, steered.steering))  # said with the other rules
    fit = lambda comp: np.nanmean([beat_chord_fit(p) for p in comp.pieces])  # noqa: E731
    assert fit(steered) > fit(own) + 0.2
    chords = composer.compose(SampleConfig(seconds=8, seed=3, chords="C G"))  # a progression decides itself
    said = " ".join(map(str, chords.steering))
    assert "chords C | G" in said and "chords on the beat" not in said


def test_measuring_a_model_hears_its_own_harmony():
    """`musegen evaluate` and the WaveNet-vs-LSTM study measure the model itself: no chords on the beat."""
    from musegen.evaluate.run_report import plain_compositions

    composer = Composer(Run.load(SHIPPED_MODELS / "bach-lstm"))
    (made,) = plain_compositions(composer, 1, 64, 1.0, 1.0, 0)
    assert "chords on the beat" not in " ".join(map(str, made.steering))
