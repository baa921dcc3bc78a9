"""The broad base model's layouts, and what the Train page says about a start (no TensorFlow)."""
from types import SimpleNamespace

import numpy as np

from musegen.train import basemodel
from musegen.studio import presets, run_library
from musegen.train.finetune import start_fit
from musegen.music.piece import PART, PITCH, Part, Piece


def chorale(name: str = "chorale") -> Piece:
    """Four voices, soprano first, a chord a beat for two bars."""
    notes = [(beat, 1.0, pitch, 80, voice) for beat in range(8)
             for voice, pitch in enumerate((72 + beat % 3, 67, 60, 48 - beat % 2))]
    return Piece(name, np.array(notes, float), parts=[Part(name=n) for n in ("S", "A", "T", "B")])


def test_each_layout_keeps_every_note_it_names():
    piece = chorale()
    voices = basemodel.layout(piece, "voices")
    assert voices is piece
    duet = basemodel.layout(piece, "melody+accompaniment")
    assert [p.name for p in duet.parts] == ["Melody", "Accompaniment"] and duet.n_notes == piece.n_notes
    assert set(duet.part_notes(0)[:, PITCH]) == set(piece.part_notes(0)[:, PITCH])  # the soprano is the melody
    hands = basemodel.layout(piece, "two hands")
    assert hands.n_notes == piece.n_notes
    assert hands.part_notes(0)[:, PITCH].min() > hands.part_notes(1)[:, PITCH].max()  # upper voices on top
    melody = basemodel.layout(piece, "melody")
    assert len(melody.parts) == 1 and melody.n_notes == len(piece.part_notes(0))


def test_the_base_music_draws_layouts_and_instruments_with_its_seed():
    pieces = [chorale(f"c{i}") for i in range(40)]
    first, again = basemodel.base_layouts(pieces, seed=1), basemodel.base_layouts(pieces, seed=1)
    assert [len(p.parts) for p in first] == [len(p.parts) for p in again]
    assert [[q.program for q in p.parts] for p in first] == [[q.program for q in p.parts] for p in again]
    assert {len(p.parts) for p in first} == {1, 2, 4}  # every layout drawn from forty chorales
    programs = {q.program for p in first for q in p.parts}
    assert 0 in programs and len(programs) > 5 and max(programs) < 112  # pitched General MIDI instruments
    assert all(int(p.notes[:, PART].max()) < len(p.parts) for p in first)


def run_with(part_counts=None, parts=1, name="folk-wavenet"):
    data = {"parts": [{"name": "", "program": 0, "is_drum": False}] * parts}
    if part_counts is not None:
        data["part_counts"] = part_counts
    return SimpleNamespace(name=name, data=data)


def test_a_start_that_never_saw_the_layout_is_named():
    two_parts = [basemodel.layout(chorale(f"c{i}"), "melody+accompaniment") for i in range(5)]
    one_line = run_with(parts=1)  # an older run: only its usual line-up is known
    assert start_fit(one_line, two_parts) == {"code": "new_layout", "parts": 2, "seen": [1]}
    broad = run_with({"1": 900, "2": 600, "4": 200, "5": 100})
    assert start_fit(broad, two_parts) == {"code": "fits", "parts": 2}


def test_the_base_is_the_default_start_for_a_small_set():
    base = run_library.Entry(run_with({"1": 1}, name=run_library.BASE_RUN), bundled=True)
    other = run_library.Entry(run_with(name="bach-wavenet"), bundled=True)
    assert presets.default_start([other, base], n_pieces=20) is base
    assert presets.default_start([other, base], n_pieces=presets.SMALL_SET + 1) is None
    assert presets.default_start([other], n_pieces=20) is None


def test_the_command_warns_of_a_start_that_never_saw_the_layout(trained_run, tmp_path):
    """The synthetic base learnt one part; a melody over chords in two parts gets the warning."""
    from conftest import musegen
    from musegen.render.midi import piece_to_midi_bytes

    folder = tmp_path / "duets"
    folder.mkdir()
    for i in range(6):
        duet = basemodel.layout(chorale(f"c{i}"), "melody+accompaniment")
        (folder / f"duet-{i}.mid").write_bytes(piece_to_midi_bytes(duet))
    result = musegen("train", "--dataset", folder, "--from", trained_run.path, "--epochs", 1,
                     "--out", tmp_path / "tuned")
    assert result.returncode == 0, result.stderr
    assert (f"Warning: {trained_run.path} has only learnt music in 1 part, and most of these pieces have 2"
            in " ".join(result.stderr.split()))
    assert "validation loss starts at" in result.stderr
