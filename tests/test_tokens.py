"""Tokenizers: round trips on real pieces (Bach chorales from music21's corpus) and on our own."""
import numpy as np
import pytest

from musegen.config import DataConfig, TokenizerConfig
from musegen.piece import DURATION, PITCH, START, Piece
from musegen.sources import load_pieces
from musegen.notes import NotesTokenizer
from musegen.rich import RichTokenizer
from musegen.tokenizers import make_tokenizer, tokenizer_from_json


@pytest.fixture(scope="module")
def chorales():
    return load_pieces("bach", DataConfig(max_files=4)).pieces


def quantised(piece: Piece, steps=4) -> set:
    """(step, pitch, duration steps) of each note; unisons keep their longest duration."""
    longest = {}
    for s, d, p in piece.notes[:, [START, DURATION, PITCH]]:
        key = (round(s * steps), int(p))
        longest[key] = max(longest.get(key, 0), min(max(round(d * steps), 1), 32))
    return {(s, p, d) for (s, p), d in longest.items()}


def test_rich_round_trip_on_real_chorales(chorales):
    tok = RichTokenizer(TokenizerConfig())
    for piece in chorales:
        ids = tok.encode(piece)
        assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
        back = tok.decode(ids)
        offset = round(piece.notes[:, START].min() * 4)  # leading silence is dropped
        expected = {(s - offset, p, d) for s, p, d in quantised(piece)}
        assert quantised(back) == expected
        assert len(back.notes) > 100


def test_rich_with_velocity_keeps_dynamics():
    piece = Piece.from_lists("v", [0, 1, 2], [1, 1, 1], [60, 64, 67], [20, 70, 120])
    tok = RichTokenizer(TokenizerConfig(velocity_bins=8))
    back = tok.decode(tok.encode(piece))
    assert np.all(np.abs(back.notes[:, 3] - [20, 70, 120]) <= 8)


def test_rich_long_rests_use_several_shifts_and_clock_adds_up():
    piece = Piece.from_lists("gap", [0, 10], [1, 1], [60, 62])
    tok = RichTokenizer(TokenizerConfig())
    ids = tok.encode(piece)
    assert tok.token_quarters()[ids].sum() == 10.0
    assert tok.decode(ids).notes[1, START] == 10.0


def test_decode_is_lenient_with_model_output():
    tok = RichTokenizer(TokenizerConfig())
    ids = [tok.index[t] for t in ["Dur_4", "Pitch_60", "Pitch_64", "Dur_2", "Shift_4", "Pitch_67"]]
    notes = tok.decode(ids).notes
    # A stray Dur is skipped, a Pitch without Dur lasts a sixteenth, a chord lists its highest first.
    assert notes[:, [START, DURATION, PITCH]].tolist() == [[0.0, 0.5, 64.0], [0.0, 0.25, 60.0], [1.0, 0.25, 67.0]]


def test_notes_scheme_is_the_articles(chorales):
    tok = NotesTokenizer(TokenizerConfig(scheme="notes", min_count=3)).fit(chorales)
    assert "C4" in NotesTokenizer.onset_token(np.array([60])) and NotesTokenizer.onset_token(np.array([60, 64, 67])) == "0.4.7"
    assert tok.dropped, "rare chords must be reported as dropped"
    assert all(n < 3 for n in tok.dropped.values())
    piece = chorales[0]
    back = tok.decode(tok.encode(piece))
    assert np.allclose(np.diff(np.unique(back.notes[:, START])), 0.5)  # the article's fixed half beat
    for token in tok.vocab[3:]:
        assert NotesTokenizer.onset_token(np.array(NotesTokenizer.pitches_of(token))) == token


def test_every_token_rare_is_a_clear_error(chorales):
    from musegen.errors import ModelError

    with pytest.raises(ModelError, match="lower min_count"):
        NotesTokenizer(TokenizerConfig(scheme="notes", min_count=10**9)).fit(chorales)


@pytest.mark.parametrize("scheme", ["rich", "notes"])
def test_tokenizer_json_round_trip(scheme, chorales):
    tok = make_tokenizer(TokenizerConfig(scheme=scheme, min_count=2)).fit(chorales)
    again = tokenizer_from_json(tok.to_json())
    assert again.vocab == tok.vocab
    assert np.array_equal(again.encode(chorales[1]), tok.encode(chorales[1]))


def test_notes_below_c0_get_an_unambiguous_name():
    """Octave -1 would name E (MIDI 4) "E-1", which reads back as E-flat 1 (MIDI 27)."""
    from musegen.errors import ModelError

    tok = NotesTokenizer(TokenizerConfig(scheme="notes"))
    low, e_flat = tok.onset_token(np.array([4])), tok.onset_token(np.array([27]))
    assert low != e_flat and tok.pitches_of(low) == [16] and tok.pitches_of(e_flat) == [27]
    with pytest.raises(ModelError, match="not a note"):
        tok.pitches_of("C-1")
