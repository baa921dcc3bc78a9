"""musegen.music.sources and what it reads through: real MIDI written with symusic, real music21 corpus, a tmp cache."""
from __future__ import annotations

import io
import struct
import time
import zipfile

import numpy as np
import pytest
import symusic

from musegen.music import parsepool
from musegen.messages import Message, from_json, msg
from musegen.config import DataConfig, Limits
from musegen.errors import InputError
from musegen.music.piece import PITCH
from musegen.music.archives import iter_zip
from musegen.music.corpus import list_datasets
from musegen.music.readers import read_file_bytes
from musegen.music.report import FileReport, LoadResult
from musegen.music.sources import load_pieces


# ---------------------------------------------------------------------------------- helpers


def midi_bytes(tracks, tempo=90.0, tpq=480) -> bytes:
    """tracks: list of (name, program, is_drum, [(start_q, dur_q, pitch), ...])."""
    score = symusic.Score(tpq)
    for name, program, drum, notes in tracks:
        t = symusic.Track(name, program, drum)
        for start, dur, pitch in notes:
            t.notes.append(symusic.Note(int(start * tpq), int(dur * tpq), pitch, 90))
        score.tracks.append(t)
    score.tempos.append(symusic.Tempo(0, tempo))
    return score.dumps_midi()


def scale(low=60, n=8):
    return [(i, 1, low + i) for i in range(n)]


PIANO = midi_bytes([("Piano", 0, False, scale())])
PIANO_STRINGS = midi_bytes([("Strings", 48, False, scale(40)), ("Grand Piano", 0, False, scale(72))])
DRUMS = midi_bytes([("Drums", 0, True, scale(36))])


def vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def years_midi() -> bytes:
    """44 bytes: the slowest tempo, one tick per quarter, one note lasting 2**28 ticks (~143 years)."""
    track = b"\x00\xff\x51\x03\xff\xff\xff" + b"\x00\x90\x3c\x40" + vlq(0x0FFFFFFF) + b"\x80\x3c\x00"
    track += b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 1) + b"MTrk" + struct.pack(">I", len(track)) + track


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def reasons(result: LoadResult) -> dict[str, str]:
    """Each file's reason in English (its Message's str)."""
    return {r.name: str(r.reason) for r in result.report}


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


@pytest.fixture
def mixed_folder(tmp_path):
    d = tmp_path / "songs"
    (d / "sub").mkdir(parents=True)
    (d / "good.mid").write_bytes(PIANO)
    (d / "sub" / "two.mid").write_bytes(PIANO_STRINGS)
    (d / "drums.mid").write_bytes(DRUMS)
    (d / "empty.mid").write_bytes(b"")
    (d / "text.mid").write_text("this is not music\n")
    (d / "notes.txt").write_text("hello")
    (d / "truncated.mid").write_bytes(PIANO[: len(PIANO) // 2])
    (d / "years.mid").write_bytes(years_midi())
    (d / ".hidden.mid").write_bytes(b"junk")  # dot-files are skipped silently
    return d


# ---------------------------------------------------------------------------------- one file


def test_read_good_midi():
    piece = read_file_bytes("song.mid", PIANO)
    assert piece.n_notes == 8
    assert piece.tempo == pytest.approx(90.0)
    assert piece.notes[:, PITCH].tolist() == list(range(60, 68))
    np.testing.assert_allclose(piece.notes[:, 0], np.arange(8))  # starts in quarters
    np.testing.assert_allclose(piece.notes[:, 1], 1.0)
    assert piece.program == 0


def test_midi_recognised_by_header_whatever_the_name():
    assert read_file_bytes("download", PIANO).n_notes == 8


def test_part_selection():
    auto = read_file_bytes("two.mid", PIANO_STRINGS, parts="auto")
    assert set(auto.notes[:, PITCH]) == set(range(72, 80))  # the piano part only
    both = read_file_bytes("two.mid", PIANO_STRINGS, parts="all")
    assert both.n_notes == 16
    assert set(read_file_bytes("two.mid", PIANO_STRINGS, parts="0").notes[:, PITCH]) == set(range(40, 48))
    assert read_file_bytes("two.mid", PIANO_STRINGS, parts="0,1").n_notes == 16
    strings_only = midi_bytes([("Strings", 48, False, scale(40)), ("Choir", 52, False, scale(50))])
    assert read_file_bytes("s.mid", strings_only).n_notes == 16  # no piano: all non-drum parts
    with pytest.raises(InputError, match="no piano part"):
        read_file_bytes("s.mid", strings_only, parts="piano")
    with pytest.raises(InputError) as refusal:
        read_file_bytes("s.mid", strings_only, parts="violin")
    assert refusal.value.message == msg("said.unknown_parts", parts="'violin'")


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.mid", b"", "empty file"),
        ("drums.mid", DRUMS, "drums only"),
        ("notes.txt", b"hello", "not a MIDI or score file (.txt)"),
        ("text.mid", b"this is not music", "not a MIDI file"),
        ("truncated.mid", PIANO[: len(PIANO) // 2], "truncated or corrupt MIDI: "),
        ("silent.mid", midi_bytes([("Piano", 0, False, [])]), "no notes"),
        ("bad.xml", b"<score-partwise><part", "could not parse: "),
    ],
)
def test_refused_files_say_why(name, data, reason):
    with pytest.raises(InputError) as err:
        read_file_bytes(name, data)
    assert str(err.value.reason).startswith(reason)
    assert str(err.value).startswith(f"{name}: ")


def test_years_long_midi_is_refused_cheaply(monkeypatch):
    """Refused from its tempo map, before a part is chosen or a note array made (how long the
    refusal takes is measured in bench/reading.py)."""
    from musegen.music import readers

    def select(*args, **kwargs):
        raise AssertionError("the notes were read: the tempo map should have refused the file first")

    monkeypatch.setattr(readers, "_select", select)
    data = years_midi()
    assert len(data) == 44
    with pytest.raises(InputError) as err:
        read_file_bytes("years.mid", data)
    assert str(err.value.reason).startswith("too long: ")
    assert "years" in str(err.value.reason) and str(err.value.reason).endswith("(limit 60 min)")


def test_limits_on_size_and_notes():
    with pytest.raises(InputError) as err:
        read_file_bytes("big.mid", PIANO, limits=Limits(max_file_bytes=50))
    assert str(err.value.reason).startswith("too large: ") and "(limit 50 bytes)" in str(err.value.reason)
    with pytest.raises(InputError) as err:
        read_file_bytes("busy.mid", PIANO, limits=Limits(max_notes=3))
    assert str(err.value.reason) == "too many notes: 8 (limit 3)"


def test_scores_through_music21():
    abc = b"X:1\nT:Scale\nM:4/4\nL:1/4\nQ:1/4=132\nK:C\nC D E F | [CEG]4 |]\n"
    piece = read_file_bytes("tune.abc", abc)
    assert piece.n_notes == 7  # the chord gives three notes
    assert piece.tempo == pytest.approx(132)
    assert piece.notes[:, 0].tolist() == [0, 1, 2, 3, 4, 4, 4]
    two_tunes = abc + b"\nX:2\nT:Again\nM:4/4\nL:1/4\nK:C\nG A B c |]\n"
    both = read_file_bytes("book.abc", two_tunes)
    assert both.n_notes == 11 and both.notes[:, 0].max() >= 8  # the second tune follows the first


# ---------------------------------------------------------------------------------- many files


def test_folder_reports_every_file_and_keeps_the_good_ones(mixed_folder, cache):
    result = load_pieces(str(mixed_folder), cache_dir=cache)
    got = reasons(result)
    assert got["good.mid"] == "" and got["sub/two.mid"] == ""
    assert got["drums.mid"] == "drums only"
    assert got["empty.mid"] == "empty file"
    assert got["notes.txt"] == "not a MIDI or score file (.txt)"
    assert got["text.mid"].startswith("not a MIDI file")
    assert got["truncated.mid"].startswith("truncated or corrupt MIDI: ")
    assert got["years.mid"].startswith("too long: ")
    assert ".hidden.mid" not in got
    assert sorted(p.name for p in result.pieces) == ["good.mid", "sub/two.mid"]
    assert result.summary() == {
        "files": 8, "parsed": 2, "skipped": 6, "notes": 24,  # two.mid keeps both its parts (piano and strings)
        "seconds": pytest.approx(2 * 8 * 60 / 90, rel=1e-3),
    }
    assert all(len(r.sha256) == 64 for r in result.parsed)
    assert not result.cached


def test_size_is_checked_before_reading(mixed_folder, cache, monkeypatch):
    (mixed_folder / "tiny.mid").write_bytes(midi_bytes([("Piano", 0, False, [(0, 1, 60)])]))  # 54 bytes
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: opened.append(str(f)) or real_open(f, *a, **k))
    result = load_pieces(str(mixed_folder), DataConfig(limits=Limits(max_file_bytes=60)), cache_dir=False)
    assert reasons(result)["good.mid"] == "too large: 117 bytes (limit 60 bytes)"
    assert reasons(result)["years.mid"] == "too long: 143 years (limit 60 min)"  # 44 bytes: under 60
    assert [p.name for p in result.pieces] == ["tiny.mid"]
    assert not any(f.endswith("good.mid") for f in opened)  # refused from os.stat, never read


def test_single_file_list_of_paths_and_max_files(mixed_folder, cache):
    one = load_pieces(str(mixed_folder / "good.mid"), cache_dir=cache)
    assert [p.name for p in one.pieces] == ["good.mid"]
    listed = load_pieces([mixed_folder / "good.mid", mixed_folder / "missing.mid"], cache_dir=cache)
    assert reasons(listed) == {"missing.mid": "file not found", "good.mid": ""}
    # max_files takes the first N music files in sorted order
    names = sorted(r.name for r in load_pieces(str(mixed_folder), cache_dir=cache).report if r.name.endswith(".mid"))
    assert names[:3] == ["drums.mid", "empty.mid", "good.mid"]
    with pytest.raises(InputError):  # drums.mid and empty.mid: nothing usable
        load_pieces(str(mixed_folder), DataConfig(max_files=2), cache_dir=False)
    got = load_pieces(str(mixed_folder), DataConfig(max_files=3), cache_dir=False)
    assert [r.name for r in got.report if r.name.endswith(".mid")] == names[:3]


def test_nothing_usable_raises(tmp_path, cache):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "a.mid").write_bytes(b"")
    (d / "b.mid").write_bytes(DRUMS)
    with pytest.raises(InputError, match=r"No usable music in .*bad: 2 files, all skipped \(a.mid: empty file; b.mid: drums only\)"):
        load_pieces(str(d), cache_dir=cache)
    (tmp_path / "nothing").mkdir()
    with pytest.raises(InputError, match="no files found"):
        load_pieces(str(tmp_path / "nothing"), cache_dir=cache)
    with pytest.raises(InputError, match="does not exist"):
        load_pieces(str(tmp_path / "nope"), cache_dir=cache)


def test_uploads_with_a_zip_inside(cache):
    archive = zip_bytes({"inner/good.mid": PIANO, "../evil.mid": PIANO, "/abs.mid": PIANO,
                         "__MACOSX/inner/._good.mid": b"junk", "inner/.DS_Store": b"junk"})
    result = load_pieces([("song.mid", PIANO_STRINGS), ("pack.zip", archive), ("drums.mid", DRUMS)],
                         cache_dir=cache)
    got = reasons(result)
    assert got["song.mid"] == "" and got["inner/good.mid"] == ""
    assert got["../evil.mid"].startswith("unsafe path in zip")
    assert got["/abs.mid"].startswith("unsafe path in zip")
    assert got["drums.mid"] == "drums only"
    assert len(got) == 5  # macOS junk and dot-files are ignored silently
    assert result.source == msg("said.uploads_label", n=5) and str(result.source) == "5 uploaded files"


def test_one_bad_file_is_said_in_the_singular(cache):
    with pytest.raises(InputError, match=r": its 1 file was skipped \(song.mid: "):
        load_pieces([("song.mid", b"just some text, not MIDI")], cache_dir=cache)


def test_a_zip_counts_as_the_files_inside_it(cache):
    archive = zip_bytes({f"jig{i}.mid": PIANO for i in range(10)})
    result = load_pieces([("jigs.zip", archive)], cache_dir=cache)
    assert result.source == msg("said.uploads_label", n=10) and str(result.source) == "10 uploaded files"
    one = load_pieces([("song.mid", PIANO)], cache_dir=cache)
    assert str(one.source) == "1 uploaded file" and one.source.said("zh") == "上传的 1 个文件"


def test_zip_limits(tmp_path):
    good = {f"m{i}.mid": PIANO for i in range(5)}
    with pytest.raises(InputError) as refusal:
        list(iter_zip(zip_bytes(good), Limits(max_zip_members=4)))
    assert refusal.value.message.code == "said.zip_members" and refusal.value.message.values["n"] == "5"
    assert refusal.value.message.values["limit"] == "4"
    with pytest.raises(InputError) as refusal:
        list(iter_zip(zip_bytes(good), Limits(max_zip_bytes=100)))
    assert refusal.value.message.code == "said.zip_unpacks"
    bomb = zip_bytes({"bomb.mid": b"MThd" + bytes(2_000_000), "good.mid": PIANO})
    entries = list(iter_zip(bomb, Limits()))
    refused = [e for e in entries if isinstance(e, FileReport)]
    assert [(r.name, r.status) for r in refused] == [("bomb.mid", "skipped")]
    assert refused[0].reason.code == "said.r_zip_bomb" and refused[0].reason.values["limit"] == "200"
    assert str(refused[0].reason).startswith("zip bomb: compressed ") and "(limit 200:1)" in str(refused[0].reason)
    assert [e[0] for e in entries if isinstance(e, tuple)] == ["good.mid"]
    path = tmp_path / "pack.zip"
    path.write_bytes(bomb)
    result = load_pieces(str(path), cache_dir=False)
    assert [p.name for p in result.pieces] == ["good.mid"]
    with pytest.raises(InputError) as refusal:
        list(iter_zip(b"PK\x03\x04 nonsense", Limits()))
    assert refusal.value.message.code == "said.bad_zip" and refusal.value.message.values["error"].code == "said.not_zip"
    # a whole-archive refusal inside an upload list is reported, not fatal
    mixed = load_pieces([("a.zip", zip_bytes(good)), ("b.mid", PIANO)],
                        DataConfig(limits=Limits(max_zip_members=2)), cache_dir=False)
    assert reasons(mixed)["a.zip"].startswith("a.zip has 5 files")
    assert [p.name for p in mixed.pieces] == ["b.mid"]


def no_parse_workers(monkeypatch):
    """Any parse worker started from here on fails the test: the files must come from the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("a parse worker was started, though the cache holds every file")

    monkeypatch.setattr(parsepool, "_Worker", refuse)


def test_cache_round_trip(mixed_folder, cache, monkeypatch):
    seen = []
    first = load_pieces(str(mixed_folder), cache_dir=cache, progress=lambda d, t, n: seen.append((d, t)))
    assert not first.cached and seen[-1] == (7, 7) and len(seen) == 7
    assert len(list(cache.glob("*.npz"))) == 1 and not list(cache.glob(".tmp-*"))
    with monkeypatch.context() as m:  # read from the cache, not parsed again (its speed: bench/reading.py)
        no_parse_workers(m)
        second = load_pieces(str(mixed_folder), cache_dir=cache)
    assert second.cached
    assert second.report == first.report
    assert all(r.metre == "4/4" and r.tempo > 0 for r in first.parsed)  # what each was read as, kept in the cache too
    assert [(p.name, p.tempo, p.program) for p in second.pieces] == [(p.name, p.tempo, p.program) for p in first.pieces]
    for a, b in zip(first.pieces, second.pieces):
        np.testing.assert_array_equal(a.notes, b.notes)
    # other settings or other content: another key
    assert not load_pieces(str(mixed_folder), DataConfig(parts="auto"), cache_dir=cache).cached
    (mixed_folder / "good.mid").write_bytes(midi_bytes([("Piano", 0, False, scale(50))]))
    assert not load_pieces(str(mixed_folder), cache_dir=cache).cached
    # a damaged cache file is parsed again, not fatal
    for f in cache.glob("*.npz"):
        f.write_bytes(b"garbage")
    assert not load_pieces(str(mixed_folder), cache_dir=cache).cached


def parse_workers_started(monkeypatch) -> list[int]:
    """The pids of the parse workers started from now on (the list fills as they start)."""
    started = []

    class Spy(parsepool._Worker):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            started.append(self.process.pid)

    monkeypatch.setattr(parsepool, "_Worker", Spy)
    return started


def test_a_reason_cached_in_english_is_read_again_as_a_code(mixed_folder, cache, monkeypatch):
    """A cache entry an older version wrote kept a skipped file's reason in English: that file is
    parsed again (the others still come from the cache), so its reason is said as a code."""
    import json

    first = load_pieces(str(mixed_folder), cache_dir=cache)
    [shard] = cache.glob("*.npz")
    with np.load(shard) as z:
        arrays = {name: z[name] for name in z.files}
    meta = json.loads(str(arrays["meta"]))
    for entry in meta:
        if entry["report"]["reason"]:
            entry["report"]["reason"] = str(from_json(entry["report"]["reason"]))  # as it was kept before codes
    np.savez_compressed(shard, **{**arrays, "meta": np.asarray(json.dumps(meta))})
    started = parse_workers_started(monkeypatch)
    again = load_pieces(str(mixed_folder), cache_dir=cache)
    assert started and again.report == first.report and all(isinstance(r.reason, Message) for r in again.skipped)
    assert [p.name for p in again.pieces] == [p.name for p in first.pieces]
    with monkeypatch.context() as m:  # the codes are cached now, beside the old shard
        no_parse_workers(m)
        assert load_pieces(str(mixed_folder), cache_dir=cache).report == first.report


def test_many_score_files_through_the_process_pool(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(parsepool, "usable_cores", lambda: 2)  # two workers even on a one-core runner
    started = parse_workers_started(monkeypatch)
    d = tmp_path / "many"
    d.mkdir()
    for i in range(24):
        (d / f"t{i:02d}.abc").write_text(f"X:1\nT:t{i}\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c |]\n")
    (d / "zz.abc").write_bytes(b"\x00\xff garbage")
    (d / "zz.mid").write_bytes(PIANO)
    done = []
    result = load_pieces(str(d), cache_dir=cache, progress=lambda n, total, name: done.append(n))
    assert len(result.pieces) == 25
    assert [r.name for r in result.report] == sorted(r.name for r in result.report)  # order kept
    assert done == list(range(1, 27))
    assert len(set(started)) == 2  # 25 score files: two worker processes


# ------------------------------------------------------------- parsing out of the server's process

HOOK = "MUSEGEN_TEST_PARSE_HOOK"  # parsepool._test_hook: makes a worker hang or die on a named file


def music(*names: str) -> list[tuple[str, bytes]]:
    """Uploads of small real MIDI files (conftest.make_piece written by musegen.render.midi)."""
    from conftest import make_piece
    from musegen.render.midi import piece_to_midi_bytes

    return [(name, piece_to_midi_bytes(make_piece(i))) for i, name in enumerate(names)]


def no_parse_workers_left() -> bool:
    import multiprocessing

    return not [p for p in multiprocessing.active_children() if p.name == "musegen-parse"]


def test_a_file_that_hangs_its_parser_is_refused_in_time(monkeypatch, cache):
    """The hung worker is killed once its file has had its time, not waited for (how soon after
    the limit: bench/reading.py)."""
    monkeypatch.setenv(HOOK, "b.mid=hang")
    stops = []  # (file index, still running, seconds on that file) of each worker stopped
    real_stop = parsepool._Worker.stop

    def stop(self):
        stops.append((self.job, self.process.is_alive(), time.monotonic() - self.since))
        real_stop(self)

    monkeypatch.setattr(parsepool._Worker, "stop", stop)
    seen = []
    result = load_pieces(music("a.mid", "b.mid", "c.mid"), DataConfig(limits=Limits(max_parse_seconds=1.0)),
                         cache_dir=cache, progress=lambda d, t, n: seen.append((d, t, n)))
    [(alive, seconds)] = [(alive, seconds) for job, alive, seconds in stops if job == 1]  # b.mid
    assert alive and seconds >= 1.0  # killed while still on b.mid, and not before its limit
    assert reasons(result) == {"a.mid": "", "b.mid": "took longer than 1 s to read: refused", "c.mid": ""}
    assert [p.name for p in result.pieces] == ["a.mid", "c.mid"]  # c.mid in a fresh worker
    assert seen == [(1, 3, "a.mid"), (2, 3, "b.mid"), (3, 3, "c.mid")]
    assert no_parse_workers_left()
    monkeypatch.delenv(HOOK)
    again = []  # a busy server may be to blame: the next load tries b.mid again, and only b.mid
    second = load_pieces(music("a.mid", "b.mid", "c.mid"), DataConfig(limits=Limits(max_parse_seconds=1.0)),
                         cache_dir=cache, progress=lambda d, t, n: again.append((d, t, n)))
    assert again == [(1, 1, "b.mid")] and [p.name for p in second.pieces] == ["a.mid", "b.mid", "c.mid"]


def test_a_file_that_crashes_its_parser_is_refused_and_the_rest_go_on(monkeypatch, cache):
    monkeypatch.setenv(HOOK, "b.mid=crash,d.abc=crash")
    abc = b"X:1\nT:Scale\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c |]\n"
    uploads = music("a.mid", "b.mid", "c.mid") + [("d.abc", abc), ("e.abc", abc)]
    result = load_pieces(uploads, cache_dir=cache)  # had it run in this process, pytest would be dead
    crashed = "the parser crashed on this file: refused"
    assert reasons(result) == {"a.mid": "", "b.mid": crashed, "c.mid": "", "d.abc": crashed, "e.abc": ""}
    assert [p.name for p in result.pieces] == ["a.mid", "c.mid", "e.abc"]
    assert result.pieces[2].n_notes == 8
    assert no_parse_workers_left()
    again = []  # the crashed files are not cached: tried again next time
    load_pieces(uploads, cache_dir=cache, progress=lambda d, t, n: again.append(n))
    assert sorted(again) == ["b.mid", "d.abc"]


def test_files_are_never_parsed_in_the_calling_process(monkeypatch, mixed_folder):
    here = []

    def parse_here(*a, **k):  # the workers import parsepool afresh and never see this
        here.append(a[0])
        raise RuntimeError("parsed in the calling process")

    monkeypatch.setattr(parsepool, "read_file_bytes", parse_here)
    monkeypatch.setenv(HOOK, "good.mid=crash")  # a dead worker must not send its files back here
    result = load_pieces(str(mixed_folder), cache_dir=False)
    assert here == []
    assert [p.name for p in result.pieces] == ["sub/two.mid"]
    assert reasons(result)["good.mid"] == "the parser crashed on this file: refused"
    assert reasons(result)["truncated.mid"].startswith("truncated or corrupt MIDI: ")


def test_no_processes_means_no_parsing(monkeypatch, mixed_folder):
    import multiprocessing.context

    def refuse(self):
        raise OSError("processes are not allowed here")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refuse)
    here = []
    monkeypatch.setattr(parsepool, "read_file_bytes", lambda *a, **k: here.append(a[0]))
    with pytest.raises(InputError, match=r"separate process, and none could be started here \(processes are not"):
        load_pieces(str(mixed_folder), cache_dir=False)
    assert here == []


# ---------------------------------------------------------------------------------- built-ins


def test_list_datasets():
    table = {d["name"]: d for d in list_datasets()}
    assert set(table) == {"bach", "folk", "palestrina", "monteverdi"}
    assert 300 <= table["bach"]["files"] <= 371
    assert table["folk"]["files"] == 1059
    assert table["palestrina"]["files"] == 1318
    assert table["monteverdi"]["files"] == 49  # .mxl only, not the .rntxt analyses
    assert all(d["title"] and d["description"] for d in table.values())


@pytest.mark.parametrize("name", ["bach", "folk"])
def test_builtin_dataset(name, cache):
    result = load_pieces(name, DataConfig(max_files=5), cache_dir=cache)
    assert result.source == name and len(result.pieces) == 5 and not result.skipped
    for p in result.pieces:
        assert p.n_notes > 20
        assert 40 <= p.tempo <= 240
        assert 30 <= p.notes[:, PITCH].min() and p.notes[:, PITCH].max() <= 100
    if name == "bach":  # four voices sound together at the start
        assert (result.pieces[0].notes[:, 0] == 0).sum() >= 3
    again = load_pieces(name, DataConfig(max_files=5), cache_dir=cache)
    assert again.cached and [p.name for p in again.pieces] == [p.name for p in result.pieces]


def test_bad_source_types():
    with pytest.raises(InputError):
        load_pieces(b"MThd", cache_dir=False)
    with pytest.raises(InputError):
        load_pieces([42], cache_dir=False)
    with pytest.raises(InputError, match="Unknown part selection"):
        load_pieces("bach", DataConfig(parts="soprano"), cache_dir=False)


def test_sources_never_imports_streamlit_or_tensorflow():
    import subprocess
    import sys

    code = "import sys, musegen.music.sources; assert not {'streamlit', 'tensorflow'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_mxl_bomb_is_refused_at_once_with_memory_flat(tmp_path, monkeypatch):
    """645 KB of .mxl that inflates to 60 MB of MusicXML once took the server from 1.1 to 2.2 GB and
    a spinner forever: the archive's index says the size, so it is refused before anything inflates."""
    import resource

    head = b'<?xml version="1.0"?><score-partwise><part-list/><part id="P1">'
    xml = head + b"<measure/>" * 6_000_000 + b"</part></score-partwise>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/container.xml", '<container><rootfiles><rootfile full-path="score.xml"/></rootfiles></container>')
        z.writestr("score.xml", xml)
    bomb = buf.getvalue()
    del xml
    assert len(bomb) < 1_000_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = load_pieces([("bomb.mxl", bomb), ("good.mid", PIANO)], DataConfig(), cache_dir=False)
    report = {r.name: r for r in result.report}
    assert report["bomb.mxl"].status == "skipped" and "too large for a score" in str(report["bomb.mxl"].reason)
    assert "unpacked" in str(report["bomb.mxl"].reason) and report["good.mid"].status == "parsed"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 30_000  # KB: the server never inflated it
    opened = []  # ZipFile.read opens the member too: every member inflated is seen here
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name))
                        or real_open(self, name, *a, **k))
    with pytest.raises(InputError, match="too large for a score"):
        read_file_bytes("bomb.mxl", bomb)  # and the same refusal in the worker's own reader
    assert "score.xml" not in opened  # refused from the archive's index: never inflated (its speed: bench/reading.py)
