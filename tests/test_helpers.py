"""The helpers that exist once (issue 22, "one of each"): the key-finder, the file-name rule, the size
and duration formatters, and where a visitor's work goes. Each is tested here, once."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from musegen.evaluate import harmony
from musegen.files import safe_name
from musegen.render.midi import estimate_key, piece_key, sharps_of
from musegen.music.piece import Piece
from musegen.units import format_bytes, format_duration
from musegen.serve.visitors import Visitor, folder_of, owner_of, visitors_root


def notes(pitches, start: float = 0.0, duration: float = 1.0) -> np.ndarray:
    piece = Piece.from_lists("p", [start + i * duration for i in range(len(pitches))], [duration] * len(pitches),
                             list(pitches))
    return piece.notes


# ---------------------------------------------------------------- the key


C_MAJOR = [60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]
A_MINOR = [57, 59, 60, 62, 64, 65, 68, 69, 64, 60, 57, 69]


def test_the_key_of_some_notes():
    assert estimate_key(notes(C_MAJOR)) == (0, False)
    assert estimate_key(notes(A_MINOR)) == (9, True)
    assert estimate_key(notes([n + 6 for n in C_MAJOR])) == (6, False)  # F# major
    assert sharps_of(0, False) == 0 and sharps_of(9, True) == 0 and sharps_of(6, False) == 6 and sharps_of(2, True) == -1
    # Silence, or every pitch class as long as every other: no key (C major unless told otherwise).
    assert estimate_key(np.zeros((0, notes(C_MAJOR).shape[1]))) == (0, False)
    assert estimate_key(notes(range(60, 72)), silent=None) is None


def test_the_key_of_a_window_and_the_number_key_stability_compares():
    both = np.concatenate([notes(C_MAJOR), notes([n + 6 for n in C_MAJOR], start=16.0)])
    assert estimate_key(both, 16.0, 32.0) == (6, False) and estimate_key(both, 0.0, 16.0) == (0, False)
    assert estimate_key(both, 100.0, 116.0, silent=None) is None
    # evaluate.harmony says the same key as one number (tonic + 12 for minor): one key-finder, two shapes.
    assert harmony.estimate_key(both, 16.0, 32.0) == 6 and harmony.estimate_key(notes(A_MINOR)) == 21
    assert harmony.estimate_key(both, 100.0, 116.0) is None


def test_a_piece_keeps_its_own_key_signature_else_its_notes_give_one():
    piece = Piece.from_lists("p", list(range(len(A_MINOR))), [1.0] * len(A_MINOR), A_MINOR)
    assert piece_key(piece) == (0, True)
    piece.key_sharps = -3
    assert piece_key(piece) == (-3, True)


# ---------------------------------------------------------------- file names


@pytest.mark.parametrize("typed, name", [
    ("my bach run!", "my-bach-run"),
    ("巴赫 练习", "巴赫-练习"),  # a run named in Chinese keeps its name
    ("Cafe\u0301 au lait", "Café-au-lait"),  # macOS's decomposed accent, composed
    ("../../etc/passwd", "etc-passwd"),
    (".hidden", "hidden"),
    ("-rf", "rf"),
    ("a\\b:c*d?e\"f<g>h|i", "a-b-c-d-e-f-g-h-i"),
    ("Nocturne Op.9 No.2", "Nocturne-Op.9-No.2"),
    ("a--b_c", "a--b_c"),  # a name it made comes back as it is
])
def test_a_safe_name_from_anything(typed, name):
    assert safe_name(typed) == name
    assert safe_name(name) == name


def test_a_safe_name_is_bounded_and_never_empty_when_told():
    assert safe_name("///") == "" and safe_name("///", empty="music") == "music"
    assert safe_name("x" * 100) == "x" * 80 and safe_name("ab-" * 30, limit=10) == "ab-ab-ab-a"
    assert safe_name("abcd-.efgh", limit=5) == "abcd"  # cut, then no "-" or "." at its end


# ---------------------------------------------------------------- sizes and durations


def test_sizes():
    assert [format_bytes(n) for n in (0, 999, 1000, 1500, 300_000, 1_500_000, 250_000_000, 3.2e9)] == [
        "0 bytes", "999 bytes", "1 kB", "1.5 kB", "300 kB", "1.5 MB", "250 MB", "3.2 GB"]


def test_durations_exact_and_rough():
    exact = [format_duration(s) for s in (None, 5.2, 59.6, 65, 3725, 72 * 3600)]
    assert exact == ["…", "5 s", "1 min 00 s", "1 min 05 s", "1 h 02 min", "72 h 00 min"]
    rough = [format_duration(s, rough=True) for s in (12.4, 289, 3600, 20_000, 5 * 3600, 3 * 86400, 143 * 365 * 86400)]
    assert rough == ["12 s", "5 min", "60 min", "5 h 33 min", "5 h 00 min", "3 days", "143 years"]


def test_sizes_and_durations_are_codes_said_in_each_language():
    from musegen import units
    from musegen.messages import msg

    assert units.duration(65) == msg("said.n_min_s", m=1, s="05") and units.duration(65).said("zh") == "1 分 05 秒"
    assert units.duration(143 * 365 * 86400, rough=True).said("zh") == "143 年"
    assert units.size(999).said("zh") == "999 字节" and units.size(1.5e6).said("zh") == "1.5 MB"
    assert units.duration(None).said("zh") == "…"


# ---------------------------------------------------------------- a visitor's folder


def test_where_a_visitor_s_work_goes(tmp_path):
    alice = Visitor("alice")
    assert visitors_root(tmp_path) == tmp_path / "visitors"
    assert folder_of(alice, tmp_path) == alice.folder(tmp_path) == tmp_path / "visitors" / "alice"
    assert folder_of(None, str(tmp_path)) == Path(tmp_path)  # a private server: runs/ itself
    (tmp_path / "visitors" / "alice" / "run").mkdir(parents=True)
    assert owner_of(tmp_path / "visitors" / "alice" / "run", tmp_path) == "alice"
    assert owner_of(tmp_path / "run", tmp_path) == ""


# ---------------------------------------------------------------- a kept piece's words


def test_a_kept_piece_keeps_its_notes_warning_and_steering_as_codes(tmp_path):
    """A saved session keeps what is said under a piece as codes, said in the language of the day;
    a piece kept before codes keeps its English, shown as it was kept."""
    import json

    from conftest import make_piece
    from musegen.messages import Message, msg, option
    from musegen.render.midi import piece_to_midi_bytes
    from musegen.generate.remarks import collapse_message
    from musegen.serve.saved_session import SavedSession
    from musegen.render.rendering import Rendered

    piece = make_piece(1)
    steering = [msg("said.key", tonic="D", scale=option("scale", "minor")), msg("said.guard")]
    kept = Rendered(piece, piece_to_midi_bytes(piece), notes=[msg("said.no_audio", problem=msg("said.no_fluidsynth"))],
                    warning=collapse_message([5] * 40), settings={"seed": 1, "steering": steering}, run="r")
    session = SavedSession(tmp_path / ".session")
    session.add_piece(kept)
    [back] = session.pieces()
    assert back.notes == kept.notes and back.warning == kept.warning and back.settings["steering"] == steering
    assert isinstance(back.warning, Message) and back.settings["steering"][0].said("zh") == "调性 D 小调"
    [meta] = (tmp_path / ".session" / "pieces").glob("*/meta.json")  # as an older version kept it: English
    old = json.loads(meta.read_text())
    meta.write_text(json.dumps({**old, "notes": ["No audio: x"], "warning": "w", "settings": {"steering": ["key D minor"]}}))
    [back] = session.pieces()
    assert back.notes == ["No audio: x"] and back.warning == "w" and back.settings["steering"] == ["key D minor"]


def test_a_kept_session_keeps_the_file_to_continue_within_the_disk_budget(tmp_path):
    """The MIDI file Generate continues comes back after a reload, is forgotten when removed, and
    counts in what visitors store: a file past the budget is refused, not kept."""
    from musegen.errors import InputError
    from musegen.serve.saved_session import SavedSession

    session = SavedSession(tmp_path / "visitors" / "abc" / ".session", budget_mb=1)
    assert session.primer() is None
    session.save_primer("mine.mid", b"MThd" + b"x" * 100)
    assert session.primer() == ("mine.mid", b"MThd" + b"x" * 100)
    with pytest.raises(InputError):
        session.save_primer("huge.mid", b"x" * 2_000_000)
    assert session.primer()[0] == "mine.mid"
    session.forget_primer()
    assert session.primer() is None
