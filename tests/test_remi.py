"""MidiTok's REMI+ as the ``remi`` scheme: the comparison for ``metre``."""
import json
import sys

import numpy as np
import pytest

pytest.importorskip("miditok")

from musegen.tokens import registry as tokenizers  # noqa: E402
from musegen.config import TokenizerConfig  # noqa: E402
from musegen.errors import ModelError  # noqa: E402
from musegen.music.piece import Part, Piece  # noqa: E402
from musegen.music.readers import read_file_bytes  # noqa: E402
from musegen.tokens.remi import RemiTokenizer  # noqa: E402


def chorale(work: str) -> Piece:
    from music21 import corpus

    path = corpus.getWork(work)
    with open(path, "rb") as f:
        return read_file_bytes(str(path), f.read())


@pytest.fixture(scope="module")
def tok():
    return RemiTokenizer(TokenizerConfig(scheme="remi"))


@pytest.fixture(scope="module")
def bwv66():
    return chorale("bach/bwv66.6")


def onsets_and_pitches(piece: Piece) -> set:
    return {(round(s * 12), int(p)) for s, p in piece.notes[:, [0, 2]]}


def test_round_trip_keeps_onsets_pitches_metre_and_tempo(tok, bwv66):
    ids = tok.encode(bwv66)
    assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
    back = tok.decode(ids, name="back")
    assert onsets_and_pitches(back) == onsets_and_pitches(bwv66)
    assert back.time_signatures == [(0.0, 4, 4)]
    assert back.tempo == pytest.approx(bwv66.tempo, rel=0.04)  # one of 32 geometric bins


def test_three_four_stays_three_four(tok):
    piece = chorale("bach/bwv11.6")
    assert piece.time_signature == (3, 4)
    back = tok.decode(tok.encode(piece))
    assert back.time_signatures[0][1:] == (3, 4)
    assert onsets_and_pitches(back) == onsets_and_pitches(piece)


def test_parts_of_one_program_merge_into_one(tok, bwv66):
    """The limitation metre exists for: REMI+ tells parts apart by program only."""
    assert len(bwv66.parts) == 4 and {p.program for p in bwv66.parts} == {0}
    back = tok.decode(tok.encode(bwv66))
    assert len(back.parts) == 1
    assert set(back.notes[:, 4]) == {0.0}


def test_parts_of_different_programs_stay_apart(tok, bwv66):
    piece = bwv66.with_notes(bwv66.notes)
    for part, program in zip(piece.parts, (73, 68, 71, 70)):
        part.program = program
    back = tok.decode(tok.encode(piece))
    assert sorted(p.program for p in back.parts) == [68, 70, 71, 73]


def test_blocks_are_contiguous_and_ascending(tok):
    c = tok.config
    first, count = tok.id_blocks()["pitch"]
    assert [tok.vocab[first + k] for k in range(count)] == [f"Pitch_{p}" for p in range(c.min_pitch, c.max_pitch + 1)]
    first, count = tok.id_blocks()["tempo"]
    tempos = [float(tok.vocab[first + k].split("_")[1]) for k in range(count)]
    assert count == 32 and tempos == sorted(tempos) and tempos[0] == 40 and tempos[-1] == 240
    assert tok.vocab[:3] == ["<pad>", "<bos>", "<eos>"]


def test_velocity_block_when_asked():
    tok = RemiTokenizer(TokenizerConfig(scheme="remi", velocity_bins=8))
    first, count = tok.id_blocks()["velocity"]
    assert count == 8 and all(tok.vocab[first + k].startswith("Velocity_") for k in range(count))
    piece = Piece.from_lists("v", [0, 1, 2], [1, 1, 1], [60, 62, 64], [30, 80, 120])
    back = tok.decode(tok.encode(piece))
    assert np.abs(back.notes[:, 3] - [30, 80, 120]).max() <= 16
    assert "velocity" not in RemiTokenizer(TokenizerConfig(scheme="remi")).id_blocks()


def test_transposable_skips_drums(tok):
    notes = [(0, 1, 60, 80, 0), (1, 1, 64, 80, 0), (0, 0.5, 36, 100, 1), (1, 0.5, 38, 100, 1)]
    piece = Piece("band", notes, parts=[Part("Piano", 0), Part("Drums", 0, is_drum=True)])
    ids = tok.encode(piece)
    mask = tok.transposable(ids)
    tokens = [tok.vocab[i] for i in ids]
    assert sorted(t for t, m in zip(tokens, mask) if m) == ["Pitch_60", "Pitch_64"]
    assert any(t.startswith("PitchDrum_") for t in tokens)
    # A model may write a drum program before a Pitch token: still not transposable.
    by_hand = [tok.index[t] for t in ("Program_-1", "Pitch_40", "Program_0", "Pitch_40")]
    assert tok.transposable(by_hand).tolist() == [False, False, False, True]
    back = tok.decode(ids)
    assert [p.is_drum for p in back.parts] == [False, True]


def test_garbage_decodes_without_raising(tok):
    rng = np.random.default_rng(0)
    for n in (0, 1, 7, 300):
        ids = rng.integers(-5, len(tok) + 5, n)
        for context in (0, n // 2):
            piece = tok.decode(ids, context=context)
            assert piece.notes.shape[1] == 5 and np.isfinite(piece.notes).all()


def test_context_cuts_at_the_bar_line(tok, bwv66):
    ids = tok.encode(bwv66)
    full = tok.decode(ids)
    bars = np.flatnonzero(ids == tok.index["Bar"])
    k = 3  # the first written token opens bar 3 (the pickup bar counts as bar 0, from 0)
    part = tok.decode(ids, context=int(bars[k]))
    kept = full.notes[full.notes[:, 0] >= 4 * k].copy()
    kept[:, 0] -= 4 * k
    assert part.n_notes == len(kept) > 0
    assert np.allclose(part.notes[:, :4], kept[:, :4])
    # The context ends inside bar 3: notes written after it, the bar line of bar 3 at 0.
    inside = tok.decode(ids, context=int(bars[k]) + 4)  # Bar TimeSig Position Program | Pitch …
    assert inside.n_notes == part.n_notes and np.allclose(inside.notes[:, :4], part.notes[:, :4])
    assert inside.tempo == full.tempo


def test_time_signature_stands_in_when_the_tokens_do_not_say(tok):
    body = ["Bar", "Position_0", "Program_0", "Pitch_60", "Duration_1.0.12", "Bar", "Position_0",
            "Program_0", "Pitch_62", "Duration_1.0.12"]
    piece = tok.decode([tok.index[t] for t in body], time_signature=(3, 4), tempo=77)
    assert piece.time_signatures == [(0.0, 3, 4)]
    assert piece.notes[:, 0].tolist() == [0.0, 3.0]
    assert piece.tempo == 77


def test_header_and_clock(tok, bwv66):
    ids = tok.encode(bwv66)
    head = [tok.vocab[i] for i in tok.header(ids)]
    assert head[0] == "<bos>" and head[-1].startswith("Tempo_")
    window = ids[int(np.flatnonzero(ids == tok.index["Program_0"])[0]):]  # a window from the middle
    assert len(tok.header(window)) == 0
    quarters = tok.token_quarters(4.0)[ids].sum()
    assert quarters == 4.0 * np.count_nonzero(ids == tok.index["Bar"])


def test_to_json_round_trip(tok):
    again = tokenizers.tokenizer_from_json(tok.to_json())
    assert isinstance(again, RemiTokenizer) and again.vocab == tok.vocab
    assert json.loads(tok.to_json())["miditok"]


def test_missing_miditok_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "miditok", None)
    with pytest.raises(ModelError) as refusal:
        RemiTokenizer(TokenizerConfig(scheme="remi"))
    assert refusal.value.message.code == "said.no_miditok"
