"""Structure statistics: a pulse, chords on the beat, repeated bars, one key, ostinato lock-in —
on hand-made pieces whose answers are known, and on a real Bach chorale."""
from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest

from musegen.evaluate.against_real import compare_sets, features
from musegen.evaluate.collapse import collapse, collapse_reason
from musegen.evaluate.harmony import beat_chord_fit, estimate_key, key_stability
from musegen.evaluate.memorisation import TrainingIndex
from musegen.evaluate.note_statistics import pitch_range
from musegen.evaluate.repetition import bar_repetition, ostinato, ostinato_message
from musegen.evaluate.rhythm import beats, on_beat_share
from musegen.evaluate.run_report import summarize_generation
from musegen.evaluate.structure import STRUCTURE_FEATURES, structure, structure_summary
from musegen.generate.remarks import collapse_message
from musegen.messages import codes
from musegen.music.piece import Part, Piece

C_MAJOR_TRIADS = [(60, 64, 67), (65, 69, 72), (67, 71, 74), (60, 64, 67)]  # I IV V I


def piece_of(rows, name="hand-made", time_signatures=None, parts=None) -> Piece:
    """rows: (start, duration, pitch[, part]) tuples."""
    notes = [(r[0], r[1], r[2], 80, r[3] if len(r) > 3 else 0) for r in rows]
    return Piece(name, np.array(notes, float), time_signatures=time_signatures, parts=parts)


def melody(onsets, pitches=None, duration=0.5, **kw) -> Piece:
    pitches = pitches if pitches is not None else [60 + i % 7 for i in range(len(onsets))]
    return piece_of([(t, duration, p) for t, p in zip(onsets, pitches)], **kw)


def chords(progression, beat=1.0) -> list[tuple]:
    return [(i * beat, beat, p) for i, chord in enumerate(progression) for p in chord]


def bach_chorale(name: str = "bwv66.6") -> Piece:
    """A chorale from music21's corpus, read by the project's reader (no fallback: a broken reader
    fails the test that uses it)."""
    from music21 import corpus

    from musegen.music.readers import read_file_bytes

    path = pathlib.Path(next(p for p in corpus.getComposer("bach") if pathlib.Path(p).name == f"{name}.mxl"))
    return read_file_bytes(path.name, path.read_bytes())


# ---------------------------------------------------------------- on the beat


def test_every_onset_on_a_beat_of_4_4_scores_one():
    assert on_beat_share(piece_of(chords(C_MAJOR_TRIADS * 4))) == 1.0
    assert on_beat_share(melody([0, 1, 2, 3, 4, 6, 7])) == 1.0


def test_syncopated_onsets_give_their_share():
    # Each bar: 0 and 3 on the beat, 1.5 and 2.5 off it; two bars.
    onsets = [b * 4 + t for b in range(2) for t in (0, 1.5, 2.5, 3)]
    assert on_beat_share(melody(onsets)) == pytest.approx(0.5)
    # Every note counts: a three-note chord on the beat against two off-beat notes.
    rows = [(0, 0.5, 60), (0, 0.5, 64), (0, 0.5, 67), (0.5, 0.5, 62), (1.25, 0.5, 64)]
    assert on_beat_share(piece_of(rows)) == pytest.approx(3 / 5)
    # Unquantised timing: 1/100 quarter late is on the beat, 1/10 is not.
    assert on_beat_share(melody([0, 1.01, 2.1, 3])) == pytest.approx(3 / 4)


def test_compound_metre_beats_are_dotted_quarters():
    six_eight = [(0.0, 6, 8)]
    assert on_beat_share(melody([0, 1.5, 3, 4.5, 6, 7.5], time_signatures=six_eight)) == 1.0
    # Running eighths in 6/8: two of every six are on the beat.
    assert on_beat_share(melody(np.arange(12) * 0.5, time_signatures=six_eight)) == pytest.approx(1 / 3)
    # The same dotted-quarter onsets in 3/4 fall between beats half the time.
    assert on_beat_share(melody([0, 1.5, 3, 4.5], time_signatures=[(0.0, 3, 4)])) == pytest.approx(0.5)
    # A change of metre moves the beats: 3/4 for one bar, then 6/8 from quarter 3.
    changed = melody([0, 1, 2, 3, 4, 4.5], time_signatures=[(0.0, 3, 4), (3.0, 6, 8)])
    assert beats(changed)[:5].tolist() == [0, 1, 2, 3, 4.5]
    assert on_beat_share(changed) == pytest.approx(5 / 6)


def test_drums_are_left_out_of_pitch_and_harmony():
    pitched = chords(C_MAJOR_TRIADS * 2)
    drums = [(t + 0.25, 0.1, p, 1) for t in range(8) for p in (36, 37, 38)]  # off-beat "clusters"
    with_drums = piece_of(pitched + drums, parts=[Part("piano"), Part("drums", is_drum=True)])
    assert on_beat_share(with_drums) == 1.0
    assert beat_chord_fit(with_drums) == 1.0
    assert pitch_range(with_drums) == pitch_range(piece_of(pitched))


# ---------------------------------------------------------------- chords on the beat


def test_triads_on_the_beat_fit_and_clusters_do_not():
    assert beat_chord_fit(piece_of(chords(C_MAJOR_TRIADS * 2))) == 1.0
    # Inversions, a doubled root, seventh chords (the dominant also without its fifth), any root.
    voicings = [(64, 67, 72, 76), (55, 59, 62, 65), (55, 59, 65, 67, 71), (62, 65, 69, 72), (59, 62, 65, 68),
                (66, 70, 73), (61, 65, 69)]  # …, F# major, C# augmented
    assert beat_chord_fit(piece_of(chords(voicings))) == 1.0
    clusters = [(60, 61, 62), (64, 65, 66, 67), (60, 62, 65, 67, 69)]  # the last: no triad or seventh
    assert beat_chord_fit(piece_of(chords(clusters))) == 0.0
    # Half and half: a suspension (C F G) where a triad should be.
    assert beat_chord_fit(piece_of(chords([(60, 64, 67), (60, 65, 67)]))) == pytest.approx(0.5)


def test_chord_fit_reads_the_notes_sounding_at_the_beat():
    # A whole-note triad sounds on all four beats; a passing tone between beats is not heard at any.
    rows = [(0, 4, 48), (0, 4, 52), (0, 4, 55), (0.5, 0.5, 61)]
    assert beat_chord_fit(piece_of(rows)) == 1.0
    # A held C E G plus an F# that starts on beat 3: two beats fit, two do not.
    rows = [(0, 4, 48), (0, 4, 52), (0, 4, 55), (2, 2, 66)]
    assert beat_chord_fit(piece_of(rows)) == pytest.approx(0.5)


def test_chord_fit_of_a_melody_alone_is_nan():
    assert math.isnan(beat_chord_fit(melody([0, 1, 2, 3])))
    assert math.isnan(beat_chord_fit(Piece("empty")))


# ---------------------------------------------------------------- repeated bars


def test_a_second_half_that_repeats_the_first_scores_one_half():
    rng = np.random.default_rng(5)
    first = [(bar * 4 + t, 1.0, int(rng.integers(55, 80))) for bar in range(4) for t in range(4)]
    second = [(s + 16, d, p) for s, d, p in first]
    assert bar_repetition(piece_of(first + second)) == pytest.approx(0.5)
    transposed = [(s + 16, d, p + 2) for s, d, p in first]
    assert bar_repetition(piece_of(first + transposed)) == 0.0
    # One bar played four times, then a silent bar, then it again: 4 of 5 bars with notes repeat.
    bar = [(0, 1, 60), (1, 1, 62), (2, 2, 64)]
    rows = [(s + 4 * b, d, p) for b in (0, 1, 2, 3, 5) for s, d, p in bar]
    assert bar_repetition(piece_of(rows)) == pytest.approx(4 / 5)
    # The same bar in another rhythm is another bar.
    assert bar_repetition(piece_of(bar + [(4, 1, 60), (5, 1, 62), (6, 1, 64)])) == 0.0


# ---------------------------------------------------------------- one key


def scale_bars(tonic: int, bars: int, start: float = 0.0) -> list[tuple]:
    steps = [0, 2, 4, 5, 7, 9, 11, 12]
    return [(start + i * 0.5, 0.5, tonic + steps[i % 8] if (i // 8) % 2 == 0 else tonic + steps[7 - i % 8])
            for i in range(bars * 8)]


def test_a_piece_in_one_key_is_stable_and_a_modulation_is_not():
    assert key_stability(piece_of(scale_bars(60, 8) + chords(C_MAJOR_TRIADS * 8))) == 1.0
    modulating = piece_of(scale_bars(60, 8) + scale_bars(66, 4, start=32.0))  # C major, then F# major
    assert estimate_key(modulating.notes) == 0  # C major overall
    assert [estimate_key(modulating.notes, lo, lo + 16) for lo in (0, 16, 32)] == [0, 0, 6]
    assert key_stability(modulating) == pytest.approx(2 / 3)
    assert math.isnan(key_stability(Piece("empty")))


# ---------------------------------------------------------------- ostinato lock-in


def test_a_short_figure_repeated_locks_in_and_collapses():
    looped = melody(np.arange(60) * 0.5, [67, 72] * 30)
    found = ostinato(looped)
    assert found["notes"] == 2 and found["locked_in"] and found["share"] > 0.95
    assert sorted(p for p, _, _ in found["figure"]) == [67, 72] and found["figure"][0][1] == 0.5

    varied_ids = np.random.default_rng(3).integers(3, 90, 200)  # the tokens alone look fine
    assert not collapse(varied_ids)["collapsed"]
    row = collapse(varied_ids, looped)
    assert row["collapsed"] and row["locked_in"] and row["ostinato_notes"] == 2
    reason = collapse_reason(looped, varied_ids)
    assert codes(reason) == ["said.sentences", "said.locked_in", "said.advice_vary"]
    assert reason.values["parts"][0].values["n"] == 2 and reason.values["parts"][0].values["share"] > 0.95
    assert collapse_reason(None, varied_ids) is None
    assert collapse_reason(ids=np.full(100, 7)) == collapse_message(np.full(100, 7))  # the tokens' reason first


def test_a_repeated_bar_in_varied_music_is_not_a_lock_in():
    rng = np.random.default_rng(4)
    bar = [(t, 0.5, p) for t, p in zip(np.arange(8) * 0.5, rng.integers(60, 72, 8))]
    rest = [(8 + i * 0.5, 0.5, int(p)) for i, p in enumerate(rng.integers(48, 84, 24))]
    twice = piece_of(bar + [(s + 4, d, p) for s, d, p in bar] + rest)  # 16 of 40 notes, played twice
    found = ostinato(twice)
    assert found["notes"] == 8 and found["share"] >= 0.39 and not found["locked_in"]
    assert collapse_reason(twice) is None


def test_a_bach_chorale_has_a_pulse_chords_and_no_lock_in():
    chorale = bach_chorale("bwv66.6")
    assert [p.name for p in chorale.parts] == ["Soprano", "Alto", "Tenor", "Bass"]  # the reader gave the chorale
    assert chorale.time_signatures == [(0.0, 4, 4)]
    stats = structure(chorale)
    assert stats["on_beat_share"] > 0.6
    assert stats["beat_chord_fit"] > 0.6
    assert 0.0 <= stats["bar_repetition"] < 0.5 and stats["key_stability"] > 0.3
    assert not ostinato(chorale)["locked_in"] and collapse_reason(chorale) is None
    assert set(STRUCTURE_FEATURES) <= set(features(chorale))


# ---------------------------------------------------------------- sets


def test_sets_compare_despite_nan_and_summaries_count_lock_ins():
    real = [piece_of(chords(C_MAJOR_TRIADS * 4)[: 12 + 3 * i] + scale_bars(72, 2), f"real-{i}") for i in range(6)]
    generated = [melody(np.arange(40) * 0.5, [60 + i, 64] * 20, name=f"gen-{i}") for i in range(3)]
    result = compare_sets(real, generated)
    fit = result["features"]["beat_chord_fit"]
    assert math.isnan(fit["overlap"]) and math.isnan(fit["generated_mean"]) and fit["real_mean"] > 0.5
    assert 0 <= result["overlap"] <= 1 and not math.isnan(result["kl"])
    assert result["features"]["on_beat_share"]["generated_mean"] == 0.5  # running eighths

    summary = structure_summary(generated)
    assert summary["beat_chord_fit"] is None and summary["on_beat_share"] == 0.5
    assert summary["locked_in"] == 1.0 and summary["collapsed"] == 1.0 and summary["pieces"] == 3
    summary = structure_summary(real)
    assert summary["locked_in"] == 0.0 and summary["beat_chord_fit"] > 0.5 and summary["key_stability"] == 1.0


def test_summarize_generation_counts_lock_ins_when_given_pieces():
    rng = np.random.default_rng(6)
    ids = [rng.integers(3, 90, 120) for _ in range(2)]
    index = TrainingIndex([rng.integers(3, 90, 500)], ["train.mid"])
    pieces = [melody(np.arange(60) * 0.5, [67, 72] * 30), melody(np.arange(16), list(range(60, 76)))]
    before = summarize_generation(ids, index)
    assert before["collapse"]["collapsed"] == 0 and before["collapse"]["locked_in"] is None
    after = summarize_generation(ids, index, pieces)
    assert after["collapse"]["collapsed"] == 1 and after["collapse"]["locked_in"] == 1
    assert after["collapse"]["warning"] == str(ostinato_message(pieces[0]))  # the report says it in English
