"""Accompaniment and chords in (musegen/generate/accompany.py, chords.py; `musegen accompany`,
`musegen generate --chords`): the given parts come out exactly as given, the model writes the
others, a typed progression is followed — with the bundled models' real weights."""
from pathlib import Path

import numpy as np
import pytest

from musegen.config import DataConfig, SampleConfig
from musegen.errors import MusegenError
from musegen.generate.accompany import accompany
from musegen.generate.chords import chord_fit, parse_chord, parse_progression
from musegen.generate.sample import Composer
from musegen.music.piece import PART, Part, Piece
from musegen.runs.folder import Run

BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "models"


@pytest.fixture(scope="module")
def bach():
    return Composer(Run.load(BUNDLED / "bach-wavenet"))


@pytest.fixture(scope="module")
def chorale():
    from musegen.music.sources import load_pieces

    pieces = load_pieces("bach", DataConfig(dataset="bach")).pieces
    return next(p for p in pieces if len(p.parts) == 4 and 30 < p.duration_quarters < 60)


def tune() -> Piece:
    """A melody in C major, 4/4, with a rest and a held note (one part, a violin)."""
    notes = [(0, 1, 72, 80, 0), (1, 1, 74, 80, 0), (2, 2, 76, 80, 0), (4, 1.5, 77, 80, 0), (5.5, 0.5, 76, 80, 0),
             (6, 1, 74, 80, 0), (8, 1, 71, 80, 0), (9, 1, 72, 80, 0), (10, 1, 74, 80, 0), (12, 4, 72, 80, 0)]
    return Piece("tune", np.array(notes, float), tempo=96, parts=[Part(program=40, name="Violin")])


def same_notes(a: np.ndarray, b: np.ndarray) -> bool:
    order = lambda n: n[np.lexsort(n[:, :3].T[::-1])][:, :4]  # noqa: E731
    return len(a) == len(b) and np.allclose(order(a), order(b))


def test_a_melody_comes_out_exactly_as_given_under_new_parts(bach):
    melody = tune()
    made = accompany(bach, SampleConfig(seed=3), melody, keep=[0], candidates=2)
    piece = made.pieces[0]
    assert len(piece.parts) == 4 and piece.given_parts == (0,)
    assert same_notes(piece.part_notes(0), melody.part_notes(0))
    assert piece.parts[0].program == 40  # the given part keeps its instrument
    for part in (1, 2, 3):
        assert len(piece.part_notes(part)) > 0  # the model wrote the others
    assert piece.duration_quarters <= melody.duration_quarters + 4  # as long as the melody: its 4 bars
    assert piece.notes[:, 0].max() < 16


def test_a_chorale_melody_is_harmonised_in_its_style(bach, chorale):
    soprano = Piece("soprano", chorale.part_notes(0), chorale.tempo, parts=chorale.parts[:1],
                    time_signatures=chorale.time_signatures)
    piece = accompany(bach, SampleConfig(seed=1, key="auto", top_p=0.7), soprano, keep=[0]).pieces[0]
    from musegen.evaluate.harmony import beat_chord_fit

    assert same_notes(piece.part_notes(0), soprano.part_notes(0) - [soprano.notes[:, 0].min() // 4 * 4, 0, 0, 0, 0])
    assert beat_chord_fit(piece) > 0.6  # chords, not clusters (real chorales ≈ 0.9; docs/accompany.md)


def test_one_part_written_again_keeps_every_other(bach, chorale):
    piece = accompany(bach, SampleConfig(seed=2), chorale, keep=[0, 1, 3], into=[0, 1, 3], n_parts=4).pieces[0]
    origin = chorale.notes[:, 0].min() // 4 * 4
    for part in (0, 1, 3):
        assert same_notes(piece.part_notes(part), chorale.part_notes(part) - [origin, 0, 0, 0, 0])
    assert len(piece.part_notes(2)) and not same_notes(piece.part_notes(2), chorale.part_notes(2) - [origin, 0, 0, 0, 0])
    assert piece.given_parts == (0, 1, 3)


def test_a_bass_given_below_the_new_parts(bach, chorale):
    bass = Piece("bass", chorale.part_notes(3), chorale.tempo, time_signatures=chorale.time_signatures)
    bass.notes[:, PART] = 0
    piece = accompany(bach, SampleConfig(seed=5), bass, keep=[0], into=[3]).pieces[0]
    assert piece.given_parts == (3,) and len(piece.part_notes(0)) and len(piece.part_notes(3)) == len(bass.notes)


@pytest.mark.parametrize("keep, into, n_parts, code", [
    ([5], None, 0, "said.accompany_bad_part"),
    ([0], [9], 0, "said.accompany_bad_layout"),
    ([0], [0], 1, "said.accompany_bad_layout"),
])
def test_impossible_requests_are_refused_in_words(bach, keep, into, n_parts, code):
    with pytest.raises(MusegenError) as refusal:
        accompany(bach, SampleConfig(seed=1), tune(), keep=keep, into=into, n_parts=n_parts)
    assert refusal.value.message.code == code


def test_chords_by_name_in_both_languages_and_by_degree():
    classes = lambda text, key=(0, "major"): sorted(parse_chord(text, key).classes)  # noqa: E731
    assert classes("C") == classes("C大") == classes("I") == classes("1") == [0, 4, 7]
    assert classes("Am") == classes("A小") == classes("vi") == classes("6") == classes("6m") == [0, 4, 9]
    assert classes("F#m7") == classes("升F小七") == [1, 4, 6, 9]
    assert classes("Bbmaj7") == classes("降B大七") == [2, 5, 9, 10]
    assert classes("G7/B") == classes("G7") == [2, 5, 7, 11] and classes("C/E") == [0, 4, 7]
    assert classes("ii7") == [0, 2, 5, 9] and classes("Bdim") == classes("vii°") == [2, 5, 11]
    assert classes("5", (9, "minor")) == [4, 8, 11]  # V in A minor is major: E G# B
    bars = parse_progression("Dm7 G7 | Cmaj7，Am、F")
    assert [[s.chord.name for s in bar] for bar in bars] == [["Dm7", "G7"], ["Cmaj7", "Am", "F"]]
    assert [s.beats for s in parse_progression("C:2 G:2 Am")[0] + parse_progression("C:2 G:2 Am")[1]] == [2.0, 2.0]
    for bad in ["H7", "Cxyz", "", "C:0", "| |"]:
        with pytest.raises(MusegenError) as refusal:
            parse_progression(bad)
        assert refusal.value.message.code in ("said.bad_chord", "said.no_chords")


@pytest.mark.parametrize("strength, least", [(1.0, 1.0), (0.95, 0.8)])
def test_a_typed_progression_is_followed(bach, strength, least):
    progression = "C G Am F"
    pieces = bach.compose(SampleConfig(bars=8, primer="none", seed=1, variations=2, chords=progression,
                                       chord_strength=strength)).pieces
    free = bach.compose(SampleConfig(bars=8, primer="none", seed=1, variations=2)).pieces
    bars = parse_progression(progression)
    assert min(chord_fit(p, bars) for p in pieces) >= least
    assert max(chord_fit(p, bars) for p in free) < 0.6  # not by chance: the model alone does not


def test_a_piece_from_nothing_plays_its_chords_from_its_first_bar():
    """A 4/4 model in 6/8 wants a pickup on the fourth beat, past the bar's end: denied it, it may
    end the first bar empty. The piece would start a bar later than the chords it follows (2 of
    these 8 pieces followed 8% of them). The new music may not begin with a bar line."""
    lstm = Composer(Run.load(BUNDLED / "bach-lstm"))
    progression = "D G | A7 D"
    made = lstm.compose(SampleConfig(bars=8, primer="none", seed=3, variations=8, time_signature="6/8",
                                     chords=progression))
    tok = lstm.tokenizer
    assert all(ids[0] != tok.bar_id for ids in made.ids)
    assert min(chord_fit(p, parse_progression(progression)) for p in made.pieces) >= 0.8


def test_accompany_and_chords_on_the_command_line(tmp_path):
    from musegen.cli import main
    from musegen.music.sources import read_piece
    from musegen.render.midi import write_midi

    given = write_midi(tune(), tmp_path / "tune.mid")
    out = tmp_path / "band.mid"
    assert main(["accompany", str(BUNDLED / "bach-wavenet"), str(given), "--out", str(out), "--seed", "1",
                 "--chords", "C G Am C", "--candidates", "2", "--json"]) == 0
    piece = read_piece(out, "all")
    assert len(piece.parts) == 4 and same_notes(piece.part_notes(0), tune().part_notes(0))
    assert main(["accompany", str(BUNDLED / "bach-wavenet"), str(given), "--keep", "3"]) != 0
    assert main(["generate", str(BUNDLED / "bach-wavenet"), "--chords", "C Hm", "--primer", "none"]) != 0


def test_no_parallel_fifths_or_octaves_against_the_given_melody(bach, chorale):
    from musegen.evaluate.voice_leading import parallels

    soprano = Piece("soprano", chorale.part_notes(0), chorale.tempo, parts=chorale.parts[:1],
                    time_signatures=chorale.time_signatures)
    made = accompany(bach, SampleConfig(seed=7, variations=3), soprano, keep=[0], candidates=1).pieces
    assert [parallels(p, [(0, 1), (0, 2), (0, 3)]) for p in made] == [0, 0, 0]


def test_the_chords_a_melody_suggests():
    from musegen.generate.melody_chords import melody_chords, progression_text

    # C E G C | F A C A | G B D B | C (a bar each, in 3/4 so one chord a bar)
    pitches = [60, 64, 67, 65, 69, 72, 67, 71, 74, 72]
    notes = [(k, 1, p, 80, 0) for k, p in enumerate(pitches)]
    tune3 = Piece("arpeggios", np.array(notes, float), tempo=100, time_signatures=[(0.0, 3, 4)])
    assert progression_text(melody_chords(tune3, [0], (0, False))) == "C | F | G | C"
    minor = tune3.with_notes(tune3.notes + [0, 0, 9, 0, 0])  # the same a sixth up, heard in A minor: it opens on i
    assert progression_text(melody_chords(minor, [0], (9, True))).split(" | ")[0] == "Am"


def test_accompaniment_over_the_melodys_own_chords(bach):
    made = accompany(bach, SampleConfig(seed=2, chords="auto"), tune(), keep=[0], candidates=1)
    said = [str(m) for m in made.steering]
    assert any(s.startswith("chords C") for s in said), said  # the chords found, said like typed ones
    assert same_notes(made.pieces[0].part_notes(0), tune().part_notes(0))


def test_a_candidate_that_hardly_plays_is_not_chosen_for_leaving_the_melody_alone():
    from musegen.generate.accompany import best_candidate

    # The second leads best into the melody, but writes 3 notes where the others write 40-60.
    assert best_candidate([-2.0, -1.1, -1.6, -1.9], [40, 3, 55, 60]) == 2
    assert best_candidate([-2.0, -1.1], [40, 30]) == 1
