"""Steering (key, range, repetition guard, metre), continuations, and generation without TensorFlow.

The bundled Bach WaveNet writes the music: real weights, so the rules are tested where users meet
them, and generation on NumPy is fast enough for it."""
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from musegen.generate import steer
from musegen.config import SampleConfig
from musegen.errors import MusegenError
from musegen.messages import msg
from musegen.music.piece import PART, PITCH, START, Part, Piece
from musegen.paths import SHIPPED_MODELS
from musegen.runs.folder import Run
from musegen.generate.sample import Composer

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = SHIPPED_MODELS


@pytest.fixture(scope="module")
def bach():
    return Composer(Run.load(BUNDLED / "bach-wavenet"))


def test_names_of_keys_ranges_and_their_mistakes():
    assert steer.parse_scale("D minor").pitch_classes == {2, 4, 5, 7, 9, 10, 0, 1}  # with its leading tone C#
    assert steer.parse_scale("Bb").pitch_classes == {10, 0, 2, 3, 5, 7, 9}
    assert str(steer.parse_scale("f# dorian")) == "F# dorian"
    assert steer.parse_range("C3-C6") == (48, 84) and steer.parse_range("A0 to 100") == (21, 100)
    assert steer.parse_pitch("Bb2") == 46 and steer.parse_pitch("C4") == 60
    for bad, code in [("H minor", "said.not_note_name"), ("C lydian-ish", "said.unknown_scale")]:
        with pytest.raises(MusegenError) as refusal:
            steer.parse_scale(bad)
        assert refusal.value.message.code == code
    with pytest.raises(MusegenError) as refusal:
        steer.parse_range("C6-C3")
    assert refusal.value.message.code == "said.range_upside_down" and refusal.value.message.values == {"text": "C6-C3"}
    with pytest.raises(MusegenError) as refusal:
        steer.parse_range("low-high")
    assert refusal.value.message == msg("said.not_a_note", text="low")  # the range reads, its first note does not


def in_scale(pieces, scale) -> float:
    pitches = np.concatenate([p.notes[:, PITCH] for p in pieces]).astype(int)
    return float(np.isin(pitches % 12, list(scale.pitch_classes)).mean())


def test_a_strict_key_lock_keeps_every_note_in_the_scale_and_a_soft_one_nearly(bach):
    scale = steer.parse_scale("E major")  # far from most chorales' keys, so the lock has work to do
    free = bach.compose(SampleConfig(seconds=20, seed=1, variations=4)).pieces
    strict = bach.compose(SampleConfig(seconds=20, seed=1, variations=4, key="E major", key_strength=1.0)).pieces
    soft = bach.compose(SampleConfig(seconds=20, seed=1, variations=4, key="E major")).pieces
    assert in_scale(strict, scale) == 1.0
    assert in_scale(free, scale) < in_scale(soft, scale) < 1.0 or in_scale(soft, scale) == 1.0
    assert in_scale(soft, scale) >= 0.95


def test_the_pitch_range_bounds_every_note(bach):
    pieces = bach.compose(SampleConfig(seconds=20, seed=2, variations=3, pitch_range="G3-D5")).pieces
    pitches = np.concatenate([p.notes[:, PITCH] for p in pieces])
    assert len(pitches) > 20 and pitches.min() >= 55 and pitches.max() <= 74
    with pytest.raises(MusegenError) as refusal:
        bach.compose(SampleConfig(seconds=5, pitch_range="C0 to G#0"))
    assert refusal.value.message.code == "said.range_empty"


@pytest.mark.parametrize("name", ["bach-wavenet", "folk-wavenet"])
def test_greedy_collapses_without_the_guard_and_not_with_it(name):
    """The article's argmax locks into a figure; the guard (on by default) breaks every loop. The bar
    echo and rhythm like its music are off: holding back repeats beyond the chorales' share, and
    moving onsets when a loop leans on the beat, break loops too."""
    from musegen.evaluate.collapse import collapse_reason

    composer = Composer(Run.load(BUNDLED / name))

    def collapsed(guard: bool) -> int:
        comps = [composer.compose(SampleConfig(seconds=30, temperature=0.0, seed=seed, repetition_guard=guard,
                                               echo=0.0, match_rhythm=False))
                 for seed in range(12)]
        return sum(collapse_reason(piece=c.pieces[0], ids=c.ids[0]) is not None for c in comps)

    assert collapsed(guard=True) == 0
    if name == "bach-wavenet":
        assert collapsed(guard=False) >= 2


def test_the_guard_bars_a_fourth_identical_follow_up():
    guard = steer.RepetitionGuard(n=2, limit=3)
    guard.start(np.array([[5, 6, 7, 5, 6, 7, 5, 6, 7, 5, 6]]))  # "5 6" has been followed by 7 three times
    logits = guard(np.zeros((1, 10), np.float32))
    assert logits[0, 7] == steer.NEG and (np.delete(logits[0], 7) == 0).all()


def test_the_metre_holds_a_time_signature_only_after_a_bar_line():
    """After Bar only the signature asked for; elsewhere no signature at all (a barely trained model
    writes them mid-bar, which changed the metre of a 3/4 piece from nothing there)."""
    bar, signatures = 1, {4: (3, 4), 5: (6, 8)}
    hold = steer.ForceAfter(8, bar, 4, banned=signatures)
    hold.start(np.array([[0, 2]]))
    mid_bar = hold(np.zeros((1, 8), np.float32))
    assert (mid_bar[0, [4, 5]] == steer.NEG).all() and (np.delete(mid_bar[0], [4, 5]) == 0).all()
    hold.update(np.array([bar]))
    after_bar = hold(np.zeros((1, 8), np.float32))
    assert after_bar[0, 4] == 0 and (np.delete(after_bar[0], 4) == steer.NEG).all()


def waltz() -> Piece:
    """Eight bars of 3/4 in F minor (four flats) at 92 bpm, right and left hand."""
    scale = [65, 67, 68, 70, 72, 73, 75, 77]
    notes = [(bar * 3 + beat, 1, scale[(bar + beat * 2) % 8] - 24 * hand, 80, hand)
             for bar in range(8) for beat in range(3) for hand in (0, 1)]
    return Piece("waltz", np.array(notes, float), tempo=92, parts=[Part("Right"), Part("Left")],
                 time_signatures=[(0.0, 3, 4)], key_sharps=-4)


def test_a_continuation_starts_with_the_users_passage_in_their_metre_key_and_tempo(bach):
    piece = waltz()
    out = bach.compose(SampleConfig(bars=8, primer_bars=4, seed=4, key="auto"), piece=piece).pieces[0]
    assert out.time_signature == (3, 4) and out.tempo == 92 and out.key_sharps == -4
    assert [p.name for p in out.parts] == ["Right", "Left"]  # the duet stays a duet
    assert out.takeover == 12.0 and "continued" in out.name
    opening = out.notes[out.notes[:, START] < out.takeover]
    last_bars = piece.notes[piece.notes[:, START] >= 12.0].copy()
    last_bars[:, START] -= 12.0
    assert np.array_equal(opening[:, [START, PITCH, PART]], last_bars[:, [START, PITCH, PART]])
    assert (out.notes[:, START] >= out.takeover).sum() > 4  # and the model goes on
    hidden = bach.compose(SampleConfig(bars=8, primer_bars=4, seed=4, keep_primer=False), piece=piece).pieces[0]
    assert hidden.takeover is None and hidden.notes[:, START].min() < 12.0


def test_a_piece_from_nothing_takes_the_metre_and_length_asked_for(bach):
    out = bach.compose(SampleConfig(primer="none", bars=6, time_signature="3/4", seed=5))
    piece = out.pieces[0]
    assert piece.time_signatures == [(0.0, 3, 4)] and piece.n_notes > 10
    assert bach.tokenizer.vocab.count("Bar") == 1 and sum(bach.tokenizer.vocab[i] == "Bar" for i in out.ids[0]) <= 6
    with pytest.raises(MusegenError) as refusal:
        bach.compose(SampleConfig(primer="none", bars=2, time_signature="11/16"))
    assert refusal.value.message.code == "said.no_time_signature"


def test_generating_never_imports_tensorflow(tmp_path):
    script = (
        "import sys\n"
        "from musegen.cli import main\n"
        f"code = main(['generate', {str(BUNDLED / 'bach-wavenet')!r}, '--seconds', '10', '--key', 'G major',"
        f" '--out', {str(tmp_path / 'x.mid')!r}, '--json'])\n"
        "assert code == 0, code\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "x.mid").stat().st_size > 100


def test_weights_load_without_pickles(tmp_path):
    from musegen.models.engine import load_weights

    bad = tmp_path / "weights.npz"
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(bad, **{"layer:0": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(MusegenError) as refusal:
        load_weights(bad)
    assert refusal.value.message.code == "said.weights_unreadable"
    weights = load_weights(BUNDLED / "bach-wavenet" / "weights.npz")
    assert weights["embedding"][0].dtype == np.float32 and len(weights["filter_0"]) == 2


def test_bar_echo_carries_on_a_bar_that_began_as_a_repeat(bach):
    tok = bach.tokenizer
    ids = [tok.index[t] for t in ["Bar", "TimeSig_4/4", "Pos_0", "Part_0", "Pitch_60", "Dur_12", "Pos_12",
                                  "Pitch_62", "Dur_12", "Bar", "TimeSig_4/4", "Pos_0", "Part_0", "Pitch_60"]]
    echo = steer.BarEcho(tok, strength=2.0)
    echo.start(np.array([ids]))
    logits = echo(np.zeros((1, len(tok)), np.float32))
    assert logits[0, tok.index["Dur_12"]] == 2.0 and np.count_nonzero(logits) == 1
    echo.update(np.array([tok.index["Dur_6"]]))  # the model went its own way: no echo any more
    assert not echo(np.zeros((1, len(tok)), np.float32)).any()


def test_bar_echo_aims_at_the_share_of_bars_its_music_repeats(bach):
    tok = bach.tokenizer
    ids = [tok.index[t] for t in ["Bar", "TimeSig_4/4", "Pos_0", "Part_0", "Pitch_60", "Dur_12", "Pos_12",
                                  "Pitch_62", "Dur_12", "Bar", "TimeSig_4/4", "Pos_0", "Part_0", "Pitch_60"]]
    zeros = np.zeros((1, len(tok)), np.float32)

    def echo_after(share: float, tokens: list[int], primer: int = 2) -> steer.BarEcho:
        """The rule over a piece from nothing (its primer: the first bar line and metre), then ``tokens``."""
        echo = steer.BarEcho(tok, strength=2.0, share=share, seed=0)
        echo.start(np.array([tokens[:primer]]))
        for token in tokens[primer:]:
            echo.update(np.array([token]))
        return echo

    # Music that repeats every bar: the new bar is invited back, whole (its next token made likelier).
    assert echo_after(1.0, ids)(zeros)[0, tok.index["Dur_12"]] == steer.BarEcho.INVITE
    # Music that never does: the repeat the model began is held back (it was carried on before).
    assert echo_after(0.0, ids)(zeros)[0, tok.index["Dur_12"]] == -2.0
    # An invitation starts at the bar line: the earlier bar's opening is made likelier there.
    assert echo_after(1.0, ids[:10])(zeros)[0, tok.index["TimeSig_4/4"]] == steer.BarEcho.INVITE
    # Only the piece's own bars come back: a passage it continues is context, not the piece.
    assert not echo_after(1.0, ids[:10], primer=10)(zeros).any()
    # Once the piece has more repeats than its share, the model is left alone.
    echo = echo_after(0.01, ids[:9] + ids[:9] + [tok.bar_id])  # the same bar again: one repeat in two bars
    assert echo.repeated == [1] and echo.written == [2] and echo.mode == ["rest"]
    assert not echo(zeros).any()


def test_bar_echo_copies_a_whole_phrase_where_one_begins(bach):
    """Folk tunes bring phrases back whole: at a four-bar phrase's start the echo may copy an earlier
    phrase, each bar from its own bar of that phrase (not any earlier bar, as an invitation does)."""
    tok = bach.tokenizer
    bar = [tok.index[t] for t in ["Bar", "TimeSig_4/4", "Pos_0", "Part_0"]]
    four = [t for pitch in (60, 62, 64, 65) for t in bar + [tok.index[f"Pitch_{pitch}"], tok.index["Dur_12"]]]
    echo = steer.BarEcho(tok, strength=2.0, share=1.0, seed=0)
    echo.rng = SimpleNamespace(random=lambda: 0.0, integers=lambda n: 0)  # every chance taken
    echo.start(np.array([four[:2]]))
    for token in four[2:] + bar:
        echo.update(np.array([token]))
    zeros = np.zeros((1, len(tok)), np.float32)
    assert echo.mode == ["copy"] and len(echo.copying[0]) == 3
    pushed = echo(zeros)[0]
    assert pushed[tok.index["Pitch_60"]] == steer.BarEcho.INVITE and np.count_nonzero(pushed) == 1
    for token in [tok.index["Pitch_60"], tok.index["Dur_12"]] + bar:  # the phrase's first bar again, then its second
        echo.update(np.array([token]))
    pushed = echo(zeros)[0]
    assert pushed[tok.index["Pitch_62"]] == steer.BarEcho.INVITE and np.count_nonzero(pushed) == 1
    assert echo.repeated == [1] and echo.written == [5]


def test_the_bundled_models_know_how_often_their_music_repeats_a_bar_and_plays_on_the_beat(bach):
    """Training writes it (test_train); the bundled models carry it, and the rule says it in words."""
    folk = Composer(Run.load(BUNDLED / "folk-wavenet"))
    assert 0 < bach.run.data["bars_repeated"] < 0.05 < 0.2 < folk.run.data["bars_repeated"] < 0.4
    said = [str(m) for m in bach.compose(SampleConfig(seconds=5, seed=1)).steering]
    assert any("bar echo 2, 1% of bars coming back" in s for s in said), said
    assert 0.75 < bach.run.data["on_beat_share"] < 0.9
    assert f"rhythm like its music ({bach.run.data['on_beat_share']:.0%} of notes on the beat)" in said
    formed = [str(m) for m in bach.compose(SampleConfig(bars=8, seed=1, form="AABB", phrase_bars=2)).steering]
    assert "bar echo 2" in formed  # a form decides what comes back: the echo is plain
    chorded = [str(m) for m in bach.compose(SampleConfig(bars=4, seed=1, primer="none", chords="C G")).steering]
    assert "bar echo 2" in chorded  # … and typed chords the harmony: no bar invited onto another chord


def test_rhythm_like_its_music_moves_onsets_off_the_beat_when_the_piece_leans_on_it(bach):
    from musegen.generate.pulse import PRIOR_NOTES, OnBeatShare

    tok = bach.tokenizer
    ids = [tok.index[t] for t in ["Bar", "TimeSig_4/4"]]
    rule = OnBeatShare(tok, share=0.3)
    rule.start(np.array([ids]))
    zeros = np.zeros((1, len(tok)), np.float32)
    assert not rule(zeros).any()  # nothing written yet: at the music's share
    for token in ["Pos_0", "Part_0", "Pitch_60", "Dur_12", "Pos_12", "Pitch_62", "Dur_6", "Pos_18", "Pitch_64"]:
        rule.update(np.array([tok.index[token]]))
    assert rule.on[0] == pytest.approx(0.3 * PRIOR_NOTES + 2) and rule.total[0] == PRIOR_NOTES + 3
    for _ in range(8):  # eight more notes on the second beat: the piece leans on the beat
        rule.update(np.array([tok.index["Pos_12"]]))
        rule.update(np.array([tok.index["Pitch_60"]]))
    pushed = rule(zeros)[0]
    on, between = tok.index["Pos_24"], tok.index["Pos_30"]
    assert pushed[on] < 0 < pushed[between]
    positions = np.array(list(tok.position_ids()))
    assert np.log(np.exp(pushed[positions]).sum()) == pytest.approx(np.log(len(positions)), abs=1e-4)  # same total
    assert not pushed[tok.index["Pitch_60"]] and not pushed[tok.bar_id]  # where the next onset goes, not what


def test_rhythm_like_its_music_follows_the_share_of_the_music_it_learnt():
    from musegen.evaluate.rhythm import on_beat_share

    folk = Composer(Run.load(BUNDLED / "folk-wavenet"))
    learnt = folk.run.data["on_beat_share"]
    assert 0.2 < learnt < 0.45  # jigs: most notes between the beats

    def share(target: float | None, match: bool = True) -> float:
        folk.run.data["on_beat_share"] = target
        # The bar echo off: a phrase it copies brings its rhythm along, whatever this rule asks.
        pieces = folk.compose(SampleConfig(seconds=30, seed=3, variations=4, match_rhythm=match, echo=0)).pieces
        return float(np.mean([on_beat_share(p) for p in pieces]))

    try:
        own = share(0.9, match=False)
        assert share(0.15) < own - 0.03 and share(0.6) > own + 0.03
    finally:
        folk.run.data["on_beat_share"] = learnt


def test_bar_echo_gives_folk_tunes_their_repeated_bars():
    from musegen.evaluate.repetition import bar_repetition

    folk = Composer(Run.load(BUNDLED / "folk-wavenet"))

    def repeated(echo: float) -> float:
        pieces = folk.compose(SampleConfig(seconds=30, seed=1, variations=6, echo=echo)).pieces
        return float(np.mean([bar_repetition(p) for p in pieces]))

    assert repeated(2.0) > repeated(0.0) + 0.05


@pytest.mark.parametrize("flags, words", [
    (["--length", "1000000000"], "length must be between"), (["--variations", "100000"], "variations"),
    (["--seconds", "1e12"], "seconds"), (["--temperature", "nan"], "temperature"), (["--top-p", "2"], "top p"),
    (["--top-k", "-5"], "top k"), (["--length", "0"], "Ask for some music"), (["--key", "H minor"], "note name"),
    (["--pitch-range", "C6-C3"], "upside down"), (["--time-signature", "3/5", "--primer", "none"], "3/5"),
])
def test_absurd_generate_settings_get_one_clear_line(flags, words, tmp_path, capsys):
    from musegen.cli import main

    code = main(["generate", str(BUNDLED / "bach-wavenet"), "--out", str(tmp_path / "x.mid"), *flags])
    err = capsys.readouterr().err
    assert code != 0 and words in err and "Traceback" not in err and not (tmp_path / "x.mid").exists()


@pytest.mark.parametrize("name", ["bach-wavenet", "bach-lstm", "folk-wavenet"])
def test_bundled_models_load_under_the_pinned_keras_and_match_their_numpy_weights(name):
    """The .keras files depend on Keras's format (constraints.txt pins it); weights.npz, which
    generation reads, must say the same."""
    from musegen.models.engine import forced_logits
    from musegen.generate.sample import load_engine

    run = Run.load(BUNDLED / name)
    ids = run.primers()[:1, :64]
    keras_logits = np.asarray(run.load_model()(ids, training=False))
    assert np.allclose(forced_logits(load_engine(run), ids), keras_logits, atol=1e-4)


def test_a_chord_token_passes_the_key_lock_only_if_every_note_is_in_the_scale():
    from musegen.config import TokenizerConfig
    from musegen.tokens.notes import NotesTokenizer
    from musegen.tokens.base import SPECIALS

    tok = NotesTokenizer(TokenizerConfig(scheme="notes"), vocab=SPECIALS + ["C4", "C#4", "0.4.7", "0.3.7"])
    lock = steer.KeyLock(tok, steer.parse_scale("C major"))
    lock.start(np.array([[tok.bos_id]]))
    logits = lock(np.zeros((1, len(tok)), np.float32))[0]
    allowed = {tok.vocab[i] for i in np.flatnonzero(logits == 0)}
    assert allowed == set(SPECIALS) | {"C4", "0.4.7"}  # C# and the C minor triad's E-flat are out


def test_an_auto_key_with_nothing_to_follow_says_so(bach, tmp_path, capsys):
    from musegen.cli import main

    out = bach.compose(SampleConfig(primer="none", bars=4, seed=1, key="auto"))
    assert not any(m.code.startswith("said.key") for m in out.steering) and out.remarks == [msg("said.no_key_lock")]
    assert not bach.compose(SampleConfig(bars=4, seed=1, key="auto")).remarks  # a dataset passage has a key
    main(["generate", str(BUNDLED / "bach-wavenet"), "--primer", "none", "--bars", "4", "--key", "auto",
          "--out", str(tmp_path / "x.mid")])
    assert "note: No key lock" in capsys.readouterr().err


def test_no_note_is_placed_past_the_end_of_the_bar(bach):
    """The Bach WaveNet learnt 4/4; in 3/4 it wrote positions of a 4/4 bar, notes over the next bar."""
    tok = bach.tokenizer
    positions = tok.position_ids()
    for seed in range(4):
        ids = bach.compose(SampleConfig(seconds=20, seed=seed, primer="none", time_signature="3/4")).ids[0]
        assert not [t for t in ids if t in positions and positions[t] >= 3 * tok.config.positions_per_quarter]
    rule = steer.WithinTheBar(tok)
    rule.start(np.array([[tok.bar_id, tok.index["TimeSig_3/4"]]]))
    pushed = rule(np.zeros((1, len(tok)), np.float32))[0]
    assert pushed[tok.index["Pos_35"]] == 0 and pushed[tok.index["Pos_36"]] == steer.NEG


def test_a_note_stacked_on_itself_is_one_note():
    """A barely trained model can write the same pitch dozens of times on one onset in one part."""
    piece = Piece.from_lists("stacked", [0, 0, 0, 0, 1], [1, 2, 1, 1, 1], [60, 60, 64, 60, 60])
    single = piece.without_doubled_notes()
    kept = {(n[START], n[PITCH]): n[1] for n in single.notes}  # (start, pitch): duration
    assert len(single.notes) == 3 and kept == {(0, 60): 2, (0, 64): 1, (1, 60): 1}  # the longest kept
    assert single.without_doubled_notes() is single
