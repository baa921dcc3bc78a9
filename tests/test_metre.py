"""The metre-aware scheme on real music: metre, parts, pickups and triplets survive tokens, MIDI and
MusicXML. Pieces come from music21's corpus (offline)."""
import numpy as np
import pytest
import symusic

from musegen.config import DataConfig, TokenizerConfig
from musegen.tokens.metre import MetreTokenizer, duration_steps
from musegen.render.midi import piece_to_midi_bytes, piece_to_musicxml
from musegen.music.piece import DURATION, PART, PITCH, START, Part, Piece
from musegen.music.readers import read_file_bytes
from musegen.music.sources import load_pieces
from musegen.tokens.registry import make_tokenizer, tokenizer_from_json


def corpus_piece(path: str) -> Piece:
    from music21 import corpus

    file = corpus.getWork(path)
    return read_file_bytes(str(file), open(file, "rb").read())


@pytest.fixture(scope="module")
def tok():
    return MetreTokenizer(TokenizerConfig())


def expected_notes(piece: Piece, tok: MetreTokenizer) -> set:
    """(onset step, part, pitch, duration step) as the scheme keeps them: a 12-per-quarter grid,
    the nearest duration it can say, unisons in one part merged to the longest."""
    q, durations = tok.per_quarter, np.asarray(duration_steps(tok.per_quarter))
    longest = {}
    for s, d, p, part in piece.notes[:, [START, DURATION, PITCH, PART]]:
        key = (round(s * q), int(part), int(p))
        longest[key] = max(longest.get(key, 0), int(durations[np.abs(d * q - durations).argmin()]))
    return {(*key, d) for key, d in longest.items()}


def decoded_notes(piece: Piece, tok: MetreTokenizer) -> set:
    q = tok.per_quarter
    return {(round(s * q), int(part), int(p), round(d * q))
            for s, d, p, part in piece.notes[:, [START, DURATION, PITCH, PART]]}


def first_bar_offset(piece: Piece, tok: MetreTokenizer) -> int:
    """Whole empty bars before the first note are not written: the decoded piece starts one bar line on."""
    bar = round(piece.bar_starts()[1] * tok.per_quarter)  # one bar's steps (no metre change here)
    return (round(piece.notes[:, START].min() * tok.per_quarter) // bar) * bar


@pytest.mark.parametrize("path, metre, n_parts", [
    ("bach/bwv66.6", (4, 4), 4),  # four voices, a one-beat pickup
    ("bach/bwv11.6", (3, 4), 4),  # a chorale in 3/4
    ("chopin/mazurka06-2.krn", (3, 4), 2),  # two hands, with triplets
    ("joplin/maple_leaf_rag.mxl", (2, 4), 2),  # two hands on two staves
])
def test_round_trip_keeps_notes_parts_and_metre(tok, path, metre, n_parts):
    piece = corpus_piece(path)
    assert len(piece.parts) == n_parts and piece.time_signature == metre
    ids = tok.encode(piece)
    back = tok.decode(ids)
    offset = first_bar_offset(piece, tok)
    want = {(s - offset, part, p, d) for s, part, p, d in expected_notes(piece, tok)}
    assert decoded_notes(back, tok) == want
    assert back.time_signature == metre and len(back.parts) == n_parts
    assert back.tempo == pytest.approx(piece.tempo, rel=0.04)  # the nearest tempo token


def test_pickup_bar_puts_bar_lines_where_the_score_has_them(tok):
    piece = corpus_piece("bach/bwv66.6")  # starts with a one-beat pickup
    assert piece.notes[:, START].min() == 3.0  # the pickup sits on beat 4 of a bar of rest
    tokens = [tok.vocab[i] for i in tok.encode(piece)]
    first = tokens.index("Bar")
    assert tokens[first: first + 3] == ["Bar", "TimeSig_4/4", "Pos_36"]


def test_triplets_stay_triplets(tok):
    piece = corpus_piece("chopin/mazurka06-2.krn")
    thirds = np.isclose(piece.notes[:, START] % 1, 1 / 3) | np.isclose(piece.notes[:, START] % 1, 2 / 3)
    assert thirds.sum() >= 10
    back = tok.decode(tok.encode(piece))
    back_thirds = np.isclose(back.notes[:, START] % 1, 1 / 3) | np.isclose(back.notes[:, START] % 1, 2 / 3)
    assert back_thirds.sum() == thirds.sum()


def test_six_eight_folk_tune_keeps_its_metre(tok):
    tunes = load_pieces("folk", DataConfig(max_files=40)).pieces
    jig = next(p for p in tunes if p.time_signature == (6, 8))
    ids = tok.encode(jig)
    tokens = [tok.vocab[i] for i in ids]
    assert tokens.count("TimeSig_6/8") == tokens.count("Bar") > 4
    back = tok.decode(ids)
    assert back.time_signature == (6, 8)
    score = symusic.Score.from_midi(piece_to_midi_bytes(back))
    assert [(ts.numerator, ts.denominator) for ts in score.time_signatures] == [(6, 8)]
    assert "<beats>6</beats>" in piece_to_musicxml(back) and "<beat-type>8</beat-type>" in piece_to_musicxml(back)


def test_two_hands_come_out_as_two_tracks_and_a_grand_staff(tok):
    piece = corpus_piece("joplin/maple_leaf_rag.mxl")
    back = tok.decode(tok.encode(piece))
    score = symusic.Score.from_midi(piece_to_midi_bytes(back))
    assert len(score.tracks) == 2 and all(len(t.notes) > 100 for t in score.tracks)
    right, left = (np.median([n.pitch for n in t.notes]) for t in score.tracks)
    assert right > left
    assert score.key_signatures[0].key == -4  # A-flat major, as the source says
    xml = piece_to_musicxml(back)
    assert xml.count("<part id=") == 2 and 'group-symbol>brace' in xml


def test_four_voices_get_four_staves(tok):
    piece = corpus_piece("bach/bwv66.6")
    back = tok.decode(tok.encode(piece))
    xml = piece_to_musicxml(back)
    assert xml.count("<part id=") == 4
    score = symusic.Score.from_midi(piece_to_midi_bytes(back))
    assert len(score.tracks) == 4


def test_drums_are_a_drum_part_or_dropped(tok, tmp_path):
    score = symusic.Score(480)
    for program, drum, pitches in ((33, False, [40, 43, 45]), (0, True, [36, 38, 42])):
        track = symusic.Track(program=program, is_drum=drum)
        for i, p in enumerate(pitches * 4):
            track.notes.append(symusic.Note(i * 480, 240, p, 90))
        score.tracks.append(track)
    data = bytes(score.dumps_midi())
    kept = read_file_bytes("band.mid", data)
    assert [p.is_drum for p in kept.parts] == [False, True]
    back = tok.decode(tok.encode(kept))
    assert [p.is_drum for p in back.parts] == [False, True] and back.parts[0].program == 33
    out = symusic.Score.from_midi(piece_to_midi_bytes(back))
    assert [t.is_drum for t in out.tracks] == [False, True]
    assert len(read_file_bytes("band.mid", data, drums=False).parts) == 1
    # The drum part's pitches are not transposable; the bass's are.
    ids = tok.encode(kept)
    movable = tok.transposable(ids)
    pitches = np.array([tok.vocab[i].startswith("Pitch_") for i in ids])
    assert movable.sum() == 12 and pitches.sum() == 24


def test_decode_after_a_primer_starts_at_the_bar_line(tok):
    piece = Piece.from_lists("p", np.arange(16) * 1.0, [1.0] * 16, [60 + i % 8 for i in range(16)],
                             time_signatures=[(0, 3, 4)])
    ids = tok.encode(piece)
    bars = np.flatnonzero(ids == tok.index["Bar"])
    context = bars[2] + 5  # in the middle of the third bar
    tail = tok.decode(ids, context=context)
    assert tail.time_signature == (3, 4)
    whole = tok.decode(ids)
    kept = whole.notes[whole.notes[:, START] >= 6.0 + tail.notes[0, START]]
    assert np.allclose(tail.notes[:, START] + 6.0, kept[:, START])


def test_vocabulary_is_fixed_and_saved(tok):
    again = tokenizer_from_json(tok.to_json())
    assert again.vocab == tok.vocab and isinstance(again, MetreTokenizer)
    assert make_tokenizer(TokenizerConfig()).vocab == tok.vocab  # the default scheme
    assert len(tok) < 450
    first, count = tok.id_blocks()["pitch"]
    assert [tok.vocab[first], tok.vocab[first + count - 1]] == ["Pitch_21", "Pitch_108"]


def test_parts_beyond_the_limit_keep_the_busiest():
    rows = [(i, 1.0, 60 + part, 80, part) for part in range(4) for i in range(2 + part)]
    piece = Piece("many", np.array(rows, float), parts=[Part(program=p) for p in (0, 40, 41, 42)])
    tok = MetreTokenizer(TokenizerConfig(max_parts=2))
    back = tok.decode(tok.encode(piece))
    assert [p.program for p in back.parts] == [41, 42]


def test_a_metre_that_changes_every_few_bars_still_gets_a_score():
    """An untrained model's output: eight parts, odd durations, the metre changing every two bars.
    music21 cannot always notate that; the score then keeps the opening metre, the notes all there."""
    rng = np.random.default_rng(5)
    rows = [(rng.integers(0, 60) / 3, rng.choice([0.25, 1 / 3, 0.5, 1.25, 2.5]), rng.integers(40, 90), 80,
             rng.integers(0, 8)) for _ in range(200)]
    piece = Piece("odd", np.array(rows, float), time_signatures=[(0, 3, 2), (12, 9, 8), (16.5, 2, 4), (18.5, 5, 8)])
    xml = piece_to_musicxml(piece)
    assert "<beats>3</beats>" in xml and xml.count("<part id=") == 8
