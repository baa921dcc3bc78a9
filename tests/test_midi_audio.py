"""Piece → MIDI / MusicXML / SVG / audio with the real libraries and the real FluidSynth."""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter

import numpy as np
import pytest
import symusic

from musegen.render import audio
from musegen.errors import AudioError, InputError, MusegenError
from musegen.render.midi import (
    TPQ, note_name, piece_to_midi_bytes, piece_to_musicxml, score_svg, write_midi, write_musicxml,
)
from musegen.music.piece import Piece

needs_fluidsynth = pytest.mark.skipif(
    audio.check_audio() is not None,
    reason=f"audio rendering unavailable here: {audio.check_audio()}",
)
needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")


def scale_piece(seconds_per_note: float = 0.5, n: int = 8, **kw) -> Piece:
    """C major scale, one note per beat, with a C–E–G chord at the end; tempo 120."""
    pitches = [60, 62, 64, 65, 67, 69, 71, 72][:n]
    starts = list(range(len(pitches)))
    rows = [(s, 1.0, p, 90) for s, p in zip(starts, pitches)]
    rows += [(len(pitches), 2.0, p, 70) for p in (48, 52, 55)]
    return Piece("scale", np.array(rows, dtype=float), **{"tempo": 120.0, "program": 0, **kw})


def odd_piece() -> Piece:
    """Off-grid times, a triplet, a low note, velocities out of range, a tiny duration."""
    rows = [
        (0.0, 0.5, 72, 200), (0.5, 0.5, 74, 0), (1.0, 1 / 3, 76, 64), (4 / 3, 1 / 3, 77, 64),
        (5 / 3, 1 / 3, 79, 64), (2.0, 2.0, 43, 50), (2.0, 1.0, 67, 50), (3.0, 0.0001, 60, 60),
        (0.123, 0.77, 50, 33),
    ]
    return Piece("odd", np.array(rows), tempo=87.5, program=40)


# ---------------------------------------------------------------- MIDI


def test_note_name():
    assert note_name(60) == "C4"
    assert note_name(78) == "F#5"
    assert note_name(21) == "A0"
    assert note_name(0) == "C-1"


def test_midi_round_trip(tmp_path):
    piece = odd_piece()
    path = write_midi(piece, tmp_path / "odd.mid")
    assert path.is_file() and not list(tmp_path.glob(".*tmp"))
    score = symusic.Score(str(path))
    assert score.ticks_per_quarter == TPQ
    assert len(score.tracks) == 1
    track = score.tracks[0]
    assert track.program == 40
    assert score.tempos[0].qpm == pytest.approx(87.5, rel=1e-4)
    got = sorted((n.time, n.pitch, n.duration, n.velocity) for n in track.notes)
    want = sorted(
        (round(s * TPQ), int(p), max(1, round(d * TPQ)), int(np.clip(v, 1, 127)))
        for s, d, p, v, _ in piece.notes
    )
    assert len(got) == len(want)
    for (gt, gp, gd, gv), (wt, wp, wd, wv) in zip(got, want):
        assert gp == wp and gv == wv
        assert abs(gt - wt) <= 1 and abs(gd - wd) <= 1
    assert min(n.duration for n in track.notes) >= 1
    assert {n.velocity for n in track.notes} <= set(range(1, 128))


def test_midi_overrides_and_bad_values():
    piece = scale_piece()
    score = symusic.Score.from_midi(piece_to_midi_bytes(piece, tempo=60, program=73))
    assert score.tracks[0].program == 73
    assert score.tempos[0].qpm == pytest.approx(60)
    # 10 beats at 60 BPM
    assert score.to("second").end() == pytest.approx(10.0, abs=0.01)
    with pytest.raises(InputError):
        piece_to_midi_bytes(piece, program=128)
    with pytest.raises(InputError):
        piece_to_midi_bytes(piece, tempo=0)


def test_empty_piece_midi():
    score = symusic.Score.from_midi(piece_to_midi_bytes(Piece("empty")))
    assert score.note_num() == 0


# ---------------------------------------------------------------- MusicXML and engraving


def _pitches_by_onset(m21score):
    """Counter of (onset in quarters, MIDI pitch) over all parts, ties merged."""
    out = Counter()
    for part in m21score.parts:
        for n in part.stripTies().flatten().notes:
            for p in n.pitches:
                out[(round(float(n.offset), 4), p.midi)] += 1
    return out


def test_musicxml_round_trip(tmp_path):
    import music21

    piece = scale_piece()
    xml = piece_to_musicxml(piece, title="Scale")
    assert xml.lstrip().startswith("<?xml") and "score-partwise" in xml
    path = write_musicxml(piece, tmp_path / "scale.musicxml", title="Scale")
    parsed = music21.converter.parse(str(path))
    assert parsed.metadata.bestTitle == "Scale"
    assert len(parsed.parts) == 2  # grand staff: treble and bass
    want = Counter((float(s), int(p)) for s, p in piece.notes[:, [0, 2]])
    assert _pitches_by_onset(parsed) == want
    marks = list(parsed.recurse().getElementsByClass("MetronomeMark"))
    assert marks and marks[0].number == pytest.approx(120)


def test_musicxml_odd_and_empty_pieces():
    import music21

    parsed = music21.converter.parseData(piece_to_musicxml(odd_piece()), format="musicxml")
    got = sorted(p.midi for n in parsed.recurse().notes for p in n.pitches)
    assert set(got) == {int(p) for p in odd_piece().notes[:, 2]}
    empty = music21.converter.parseData(piece_to_musicxml(Piece("empty")), format="musicxml")
    assert not list(empty.recurse().notes)


def test_musicxml_big_piece_is_quick():
    rng = np.random.default_rng(1)
    n = 500
    starts = np.sort(rng.integers(0, 4 * 60, n)) / 2  # eighth-note grid, 60 bars
    rows = np.column_stack([starts, rng.choice([0.5, 1, 1.5, 2], n), rng.integers(36, 84, n),
                            np.full(n, 80)])
    xml = piece_to_musicxml(Piece("random", rows))
    assert xml.count("<note") >= n // 2


def test_score_svg():
    pages = score_svg(piece_to_musicxml(scale_piece()))
    assert len(pages) >= 1
    assert "<svg" in pages[0]


def test_score_svg_bad_input():
    with pytest.raises(MusegenError):
        score_svg("this is not MusicXML")


# ---------------------------------------------------------------- audio


@needs_fluidsynth
@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_render_not_silent(tmp_path, fmt):
    piece = scale_piece()  # 10 beats at 120 BPM = 5 s
    out = audio.render(piece_to_midi_bytes(piece), tmp_path / f"scale.{fmt}")
    assert out == tmp_path / f"scale.{fmt}" and out.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temp files left
    stats = audio.audio_stats(out)
    assert 5.0 <= stats["seconds"] <= 5.0 + audio.RELEASE_SECONDS + 0.1
    assert stats["rms"] > 0.01
    assert 0.05 < stats["peak"] < 1.0
    if shutil.which("sox"):
        info = subprocess.run(["sox", "--i", str(out)], capture_output=True, text=True, check=True)
        assert "Sample Rate    : 44100" in info.stdout
        assert ("Vorbis" if fmt == "ogg" else "Signed Integer PCM") in info.stdout


@needs_fluidsynth
def test_render_from_path_and_bytes_helper(tmp_path):
    mid = write_midi(scale_piece(), tmp_path / "scale.mid")
    wav = audio.render(mid, tmp_path / "x.audio", fmt="wav", sample_rate=22050)
    assert audio.audio_stats(wav)["sample_rate"] == 22050
    data = audio.render_bytes(mid.read_bytes(), fmt="ogg")
    assert data[:4] == b"OggS"


@needs_fluidsynth
def test_render_max_seconds(tmp_path):
    long = Piece("long", np.array([(i, 1.0, 60 + i % 12, 80) for i in range(120)], dtype=float),
                 tempo=120)  # 60 s
    out = audio.render(piece_to_midi_bytes(long), tmp_path / "cut.wav", max_seconds=3)
    stats = audio.audio_stats(out)
    assert 3.0 <= stats["seconds"] <= 3.0 + audio.RELEASE_SECONDS + 0.1
    assert stats["rms"] > 0.01


@needs_fluidsynth
def test_render_errors(tmp_path):
    with pytest.raises(AudioError) as refusal:
        audio.render(piece_to_midi_bytes(Piece("empty")), tmp_path / "e.wav")
    assert refusal.value.message.code == "said.midi_no_notes"
    with pytest.raises(AudioError) as refusal:
        audio.render(piece_to_midi_bytes(scale_piece()), tmp_path / "e.mp3")
    assert refusal.value.message.code == "said.audio_format"
    with pytest.raises(InputError):
        audio.render(b"not a midi file", tmp_path / "e.wav")
    assert not list(tmp_path.iterdir())


def test_missing_soundfont(tmp_path, monkeypatch):
    monkeypatch.setenv(audio.SOUNDFONT_ENV, str(tmp_path / "nope.sf2"))
    monkeypatch.setattr(audio, "SOUNDFONT_CANDIDATES", [str(tmp_path / "none" / "*.sf2")])
    monkeypatch.setattr(audio, "_fluidsynth", lambda: "/usr/bin/fluidsynth")
    assert audio.find_soundfont() is None
    message = audio.check_audio()
    assert message.code == "said.no_soundfont_set" and "nope.sf2" in message.values["setting"]
    assert str(message).startswith(str(audio.INSTALL_SOUNDFONT))
    with pytest.raises(AudioError) as refusal:
        audio.render(piece_to_midi_bytes(scale_piece()), tmp_path / "x.wav")
    assert refusal.value.message == message
    assert not (tmp_path / "x.wav").exists()


def test_soundfont_from_env(tmp_path, monkeypatch):
    sf = tmp_path / "mine.sf2"
    sf.write_bytes(b"RIFF")
    monkeypatch.setenv(audio.SOUNDFONT_ENV, str(sf))
    assert audio.find_soundfont() == sf


def test_missing_fluidsynth(tmp_path, monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    assert audio.check_audio() == audio.INSTALL_FLUIDSYNTH
    with pytest.raises(AudioError) as refusal:
        audio.render(piece_to_midi_bytes(scale_piece()), tmp_path / "x.wav")
    assert refusal.value.message.code == "said.no_fluidsynth"


def sox_levels(path) -> tuple[float, float]:
    """Peak and RMS level (dBFS) of an audio file, as `sox FILE -n stats` reports them."""
    out = subprocess.run(["sox", str(path), "-n", "stats"], capture_output=True, text=True, check=True).stderr
    level = lambda name: float(re.search(rf"^{name} lev dB\s+(\S+)", out, re.M).group(1))  # noqa: E731
    return level("Pk"), level("RMS")


@pytest.fixture(scope="module")
def composed() -> bytes:
    """20 s of a bundled model's chorale on piano, the app's everyday material (rendered before
    normalisation at a peak of -11 dBFS and an RMS of -28 dBFS)."""
    from musegen.config import SampleConfig
    from musegen.runs.folder import Run
    from musegen.generate.sample import Composer

    run = Run.load("assets/models/bach-wavenet")
    return piece_to_midi_bytes(Composer(run).compose(SampleConfig(seconds=20, seed=1)).pieces[0])


def db(amplitude: float) -> float:
    return 20 * np.log10(max(amplitude, 1e-12))


@needs_fluidsynth
@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_render_is_normalised(tmp_path, composed, fmt):
    """Issue 10: rendered audio was quiet. Every way to render gives a normal level, never clipped."""
    out = audio.render(composed, tmp_path / f"piece.{fmt}")
    (tmp_path / f"bytes.{fmt}").write_bytes(audio.render_bytes(composed, fmt=fmt, max_seconds=22))  # the app's way
    for path in (out, tmp_path / f"bytes.{fmt}"):
        stats = audio.audio_stats(path)
        assert -3.0 <= db(stats["peak"]) <= -0.5, (path.name, db(stats["peak"]))
        assert -24.0 < db(stats["rms"]) <= audio.MAX_RMS_DB + 0.3, (path.name, db(stats["rms"]))
        assert 18 < stats["seconds"] < 20 + audio.RELEASE_SECONDS + 0.1
        if shutil.which("sox"):
            peak, rms = sox_levels(path)
            assert -3.0 <= peak < 0 and -24.0 < rms, (path.name, peak, rms)
    if fmt == "wav":  # exactly where it was put: nothing clipped
        assert db(audio.audio_stats(out)["peak"]) == pytest.approx(audio.PEAK_DB, abs=0.01)


@needs_fluidsynth
def test_render_level_follows_the_music(tmp_path):
    """The peak is set from the music, whatever FluidSynth's gain and however many voices; held
    low-crest notes are held to an average level; a very soft piece is raised by at most
    MAX_BOOST_DB; normalize=False leaves FluidSynth's level."""
    def levels(piece, **kw) -> tuple[float, float]:
        stats = audio.audio_stats(audio.render(piece_to_midi_bytes(piece), tmp_path / "x.wav", **kw))
        return db(stats["peak"]), db(stats["rms"])

    loud = Piece("loud", np.array([(0, 4.0, p, 120) for p in (36, 43, 48, 52, 55, 60, 64, 67, 72)], dtype=float),
                 tempo=120, program=19)  # nine organ voices at velocity 120: near full scale as rendered
    for piece, kw in ((scale_piece(), {}), (scale_piece(), {"gain": 0.3}), (loud, {}), (loud, {"gain": 2.0})):
        assert levels(piece, **kw)[0] == pytest.approx(audio.PEAK_DB, abs=0.01), (piece.name, kw)
    flute = Piece("flute", np.array([(2 * i, 2.0, 72 + i % 3, 80) for i in range(4)], dtype=float),
                  tempo=120, program=73)
    peak, rms = levels(flute)
    assert rms == pytest.approx(audio.MAX_RMS_DB, abs=0.3) and peak < audio.PEAK_DB - 2
    soft = scale_piece()
    soft.notes[:, 3] = 25
    raw_peak = levels(soft, normalize=False)[0]
    assert raw_peak < -30  # as FluidSynth makes it
    assert levels(soft)[0] == pytest.approx(raw_peak + audio.MAX_BOOST_DB, abs=0.05)


@needs_fluidsynth
def test_ogg_without_sox_or_ffmpeg_is_normalised(tmp_path, monkeypatch, composed):
    """Without an encoder FluidSynth writes the Vorbis itself, at the gain the levelling found."""
    which = shutil.which
    monkeypatch.setattr(audio.shutil, "which", lambda name: None if name in ("sox", "ffmpeg") else which(name))
    out = audio.render(composed, tmp_path / "piece.ogg")
    monkeypatch.undo()
    stats = audio.audio_stats(out)
    assert out.read_bytes()[:4] == b"OggS"
    assert -3.0 <= db(stats["peak"]) <= -0.5 and db(stats["rms"]) > -24.0


def inaudible_midi() -> bytes:
    """Notes, but nothing to hear: channel volume and expression at zero."""
    score = symusic.Score(TPQ)
    track = symusic.Track(program=0)
    track.controls.extend([symusic.ControlChange(0, 7, 0), symusic.ControlChange(0, 11, 0)])
    for i in range(8):
        track.notes.append(symusic.Note(i * TPQ, TPQ, 60 + i, 90))
    score.tracks.append(track)
    return bytes(score.dumps_midi())


@needs_fluidsynth
@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_silence_is_not_amplified(tmp_path, fmt):
    """Normalising must not blow up what is (nearly) silent into noise: FluidSynth renders these at
    -140 dBFS, and 16-bit dither would be -90 dBFS; they come out silent. (A MIDI with no notes at
    all is refused with "no notes", see test_render_errors.)"""
    out = audio.render(inaudible_midi(), tmp_path / f"mute.{fmt}")
    stats = audio.audio_stats(out)
    assert stats["peak"] < 10 ** (-80 / 20) and stats["seconds"] < 5
    whisper = Piece("whisper", np.array([(i, 1.0, 60 + i, 1) for i in range(4)], dtype=float), tempo=120)
    out = audio.render(piece_to_midi_bytes(whisper), tmp_path / f"whisper.{fmt}")  # velocity 1: about -96 dBFS
    assert audio.audio_stats(out)["peak"] < 10 ** (-60 / 20)


@needs_fluidsynth
def test_render_timeout(tmp_path):
    with pytest.raises(AudioError) as refusal:
        audio.render(piece_to_midi_bytes(scale_piece()), tmp_path / "t.wav", timeout=0.001)
    assert refusal.value.message.code == "said.tool_timeout"
    assert not list(tmp_path.iterdir())


def test_instruments_by_number_or_name():
    from musegen.render.midi import instrument_program

    assert instrument_program("40") == instrument_program("violin") == instrument_program(" Violin ") == 40
    assert instrument_program("church organ") == 19
    with pytest.raises(InputError) as refusal:
        instrument_program("kazoo")
    assert refusal.value.message.code == "said.unknown_instrument" and refusal.value.message.values["text"] == "kazoo"
    with pytest.raises(InputError):
        instrument_program("128")


def test_score_hides_the_rests_of_a_second_voice():
    """A held note under moving ones makes a second voice; the rests music21 pads it with are not
    printed (they showed as stray rests under the staff)."""
    rows = [(0, 2, 67, 80), (0, 1, 72, 80), (1, 1, 74, 80), (2, 1, 76, 80), (3, 1, 77, 80)]
    xml = piece_to_musicxml(Piece("overlap", np.array(rows, dtype=float), program=40))
    notes = re.findall(r"<note[^>]*>.*?</note>", xml, re.S)
    second = [n for n in notes if "<voice>2</voice>" in n]
    assert second and any("<rest" in n for n in second)
    assert all('print-object="no"' in n for n in second if "<rest" in n)
    assert not any("<rest" in n for n in notes if "<voice>1</voice>" in n)


def two_hands(left_pitch: int = 64) -> Piece:
    """A piano's right and left hand, the left hand high (as a regrouped piece's can be)."""
    from musegen.music.piece import Part

    rows = [(float(b), 1.0, 72 + b % 3, 80, 0) for b in range(8)]
    rows += [(float(b), 2.0, left_pitch, 70, 1) for b in range(0, 8, 2)]
    return Piece("hands", np.array(rows, dtype=float), parts=[Part("Right hand", 0), Part("Left hand", 0)])


def test_a_pianos_two_hands_are_one_grand_staff_named_piano_the_left_in_bass():
    import music21

    score = music21.converter.parseData(piece_to_musicxml(two_hands()), format="musicxml")
    clefs = [p.recurse().getElementsByClass("Clef")[0] for p in score.parts]
    assert [c.sign for c in clefs] == ["G", "F"]
    xml = piece_to_musicxml(two_hands())
    assert "<group-name>Piano</group-name>" in xml and "Right hand" not in xml


def test_choir_parts_clef_by_range_and_names_in_the_readers_language():
    from musegen.music.piece import Part

    ranges = {"Soprano": 72, "Alto": 65, "Tenor": 57, "Bass": 45}
    rows = [(float(b), 1.0, p + b % 2, 80, i) for i, p in enumerate(ranges.values()) for b in range(8)]
    choir = Piece("choir", np.array(rows, dtype=float), parts=[Part(n, 52) for n in ranges])
    xml = piece_to_musicxml(choir, lang="zh")
    assert re.findall(r"<part-name>(.*?)</part-name>", xml) == ["女高音", "女低音", "男高音", "男低音"]
    clefs = re.findall(r"<clef>\s*<sign>(\w)</sign>\s*<line>(\d)</line>\s*(?:<clef-octave-change>(-1))?", xml)
    assert clefs == [("G", "2", ""), ("G", "2", ""), ("G", "2", "-1"), ("F", "4", "")]


def test_the_scores_title_unnamed_parts_and_marks_in_the_readers_language():
    """A Chinese visitor's score: the title (the piece's name in words), parts no file named
    ("Part 1") and the mark where the model takes over, in Chinese; English where no language is given."""
    from musegen.music.piece import Part

    rows = [(float(b), 1.0, 60 + 12 * (i == 0) + b % 2, 80, i) for i in range(2) for b in range(8)]
    piece = Piece("chorale-continued-seed42-3", np.array(rows, dtype=float), parts=[Part("", 52), Part("", 52)],
                  takeover=4.0)
    words = r"<(movement-title|part-name|words)[^>]*>(.*?)</"
    assert re.findall(words, piece_to_musicxml(piece, lang="zh")) == [
        ("movement-title", "chorale（续写） · 种子 42 · 变奏 3"), ("part-name", "声部 1"), ("part-name", "声部 2"),
        ("words", "▸ 模型从这里接手")]
    assert re.findall(words, piece_to_musicxml(piece)) == [
        ("movement-title", "chorale, continued · seed 42 · variation 3"), ("part-name", "Part 1"),
        ("part-name", "Part 2"), ("words", "▸ model takes over")]
