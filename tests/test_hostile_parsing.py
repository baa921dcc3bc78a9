"""Issue 24: music files built to cost the server time or memory are refused cheaply.

Each case makes its own small hostile input and expects a refusal with a reason a person can read,
in seconds, never a server brought down or a command left hanging.
"""
from __future__ import annotations

import io
import os
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import Loaded, musegen, refused, tiny_config
from musegen.config import DataConfig, Limits
from musegen.errors import InputError
from musegen.messages import Message, msg
from musegen.music.readers import read_file_bytes
from musegen.music.corpus import corpus_root
from musegen.music.sources import load_pieces
from musegen.paths import SHIPPED_MODELS


def said_in_chinese(error: InputError) -> str:
    """The app shows the library's reasons in the visitor's language: a refusal is a code, said from
    the catalogue (never English read back)."""
    assert isinstance(error.message, Message), error
    return error.message.said("zh")


def bach_mxl() -> bytes:
    """A real compressed MusicXML score (a Bach chorale from music21's corpus), as uploaded."""
    return (corpus_root() / "bach" / "bwv1.6.mxl").read_bytes()


def with_container(mxl: bytes, container: bytes) -> bytes:
    """The same .mxl with its META-INF/container.xml replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(mxl)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = container if info.filename == "META-INF/container.xml" else src.read(info)
            dst.writestr(info.filename, data)
    return out.getvalue()


# ------------------------------------------------------------------ item 5: an .mxl's container.xml


def test_an_mxl_whose_container_is_a_bomb_is_refused_before_it_is_inflated():
    """container.xml was inflated and parsed unchecked (780 KB became 2.37 GB); now every member read
    from an .mxl is checked against the score limit from the archive's index, before inflating."""
    mxl = bach_mxl()
    with zipfile.ZipFile(io.BytesIO(mxl)) as z:
        root = z.read("META-INF/container.xml")
    read_file_bytes("ok.mxl", with_container(mxl, root))  # the same archive with a plain container reads
    padded = root.replace(b"<rootfiles>", b"<rootfiles>" + b" " * 300_000)  # valid XML, 300 kB of it
    bomb = with_container(mxl, padded)
    assert len(bomb) < 30_000
    with pytest.raises(InputError) as err:
        read_file_bytes("bomb.mxl", bomb, limits=Limits(max_score_bytes=200_000))
    assert str(err.value.reason) == ("too large for a score: 300 kB unpacked (limit 200 kB of score text; reading a "
                                "bigger one takes minutes)")


# ------------------------------------------------------------------ item 5: parse workers' memory


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="an address-space limit (RLIMIT_AS)")


@linux_only
def test_a_file_that_needs_more_memory_than_a_worker_may_take_is_refused():
    """Parse workers had no memory limit: a file that blew up took the server's memory. Each worker
    now may grow by Limits.max_parse_memory_mb; past it the file is refused, the caller unharmed."""
    with pytest.raises(InputError) as err:
        load_pieces([("bwv1.6.mxl", bach_mxl())], DataConfig(limits=Limits(max_parse_memory_mb=1)), cache_dir=False)
    assert "bwv1.6.mxl: needed more than 1 MB to read: refused" in str(err.value)
    assert "bwv1.6.mxl：读取时需要超过 1 MB 内存：已拒绝" in said_in_chinese(err.value)


def test_the_built_in_music_reads_under_the_default_memory_limit():
    root = corpus_root()
    files = [root / "bach" / "bwv69.6.xml", root / "bach" / "bwv248.42-4.mxl",  # the largest chorales
             root / "palestrina" / "Gloria_83.krn", root / "monteverdi" / "madrigal.3.7.mxl"]
    assert Limits().max_parse_memory_mb == 1000
    result = load_pieces([str(p) for p in files], DataConfig(), cache_dir=False)
    assert [r.reason for r in result.report] == [""] * len(files)


# ------------------------------------------------------------------ item 6: tiny ABC, huge work


def test_an_abc_tune_with_an_absurd_meter_is_refused_before_music21_reads_it(monkeypatch):
    """11 kB of ABC (M:999999/1, L:1/999999, 5,000 repeats) cost 60 s and 1.4-1.9 GB before it was
    refused for time; its header is refused at once now, before music21 sees it (how long that
    takes against an ordinary tune: bench/reading.py)."""
    bomb = ("X:1\nT:bomb\nM:999999/1\nL:1/999999\nK:C\n" + "|:C:|" * 5_000 + "\n").encode()
    assert len(bomb) < 30_000
    with pytest.raises(InputError) as err:
        load_pieces([("bomb.abc", bomb)], DataConfig(limits=Limits(max_parse_seconds=10)), cache_dir=False)
    assert "bomb.abc: ABC field M:999999/1 is out of range: refused (numbers up to 64)" in str(err.value)
    from music21 import converter  # the worker's reader, here: music21 is never handed the tune

    def parse_data(*args, **kwargs):
        raise AssertionError("music21 was given the tune: its header should have refused it first")

    monkeypatch.setattr(converter, "parseData", parse_data)
    with pytest.raises(InputError, match=r"ABC field M:999999/1 is out of range"):
        read_file_bytes("bomb.abc", bomb)
    assert "bomb.abc：ABC 字段 M:999999/1 超出范围：已拒绝（数字最大为 64）" in said_in_chinese(err.value)


@pytest.mark.parametrize("tune, field", [
    ("M:4/4\nL:1/999999\nK:C\nCDEF|", "L:1/999999"),
    ("M:4/4\nL:1/8\nK:C\nCDEF|[M:1000/1]CDEF|", "M:1000/1"),
    ("M:4/4\nL:1/8\nK:C\nCDEF|\nM:3/" + "9" * 5000 + "\nCDE|", "M:3/" + "9" * 17 + "…"),
])
def test_abc_meters_and_note_lengths_are_checked_wherever_they_are(tune, field):
    with pytest.raises(InputError) as err:
        read_file_bytes("t.abc", f"X:1\nT:t\n{tune}\n".encode())
    assert str(err.value.reason).startswith(f"ABC field {field} is out of range")


def test_every_abc_tune_in_music21s_corpus_passes_the_check():
    from musegen.music.readers import _check_abc_fields

    files = list(corpus_root().rglob("*.abc"))
    assert len(files) > 1000
    for path in files:
        _check_abc_fields(path.read_text(errors="replace"))
    # common time, and fields inline
    read_file_bytes("t.abc", b"X:1\nT:t\nM:C|\nL:1/8\nK:D\n[M:6/8]DEF GAB|[L:1/16]dcBA|]\n")


HOOK = "MUSEGEN_TEST_PARSE_HOOK"  # parsepool._test_hook: makes a worker hang on a named file


def midi_files(*names: str) -> list[tuple[str, bytes]]:
    from conftest import make_piece
    from musegen.render.midi import piece_to_midi_bytes

    return [(name, piece_to_midi_bytes(make_piece(i, bars=2))) for i, name in enumerate(names)]


def test_an_upload_s_files_share_a_reading_time_and_the_rest_are_skipped(monkeypatch, tmp_path):
    """A 686-byte zip of four slow files took 246 s (60 s each): an upload's files now share
    Limits.max_upload_parse_seconds; once spent, the file being read and those left are skipped, with
    a reason, and not cached (the next upload tries them again)."""
    monkeypatch.setenv(HOOK, "b.mid=hang")
    limits = Limits(max_parse_seconds=60, max_upload_parse_seconds=2)
    result = load_pieces(midi_files("a.mid", "b.mid", "c.mid"), DataConfig(limits=limits), cache_dir=tmp_path)
    over = msg("said.r_over_budget", seconds="2")  # not b.mid's 60 s (timed: bench/reading.py)
    assert {r.name: r.reason for r in result.report} == {"a.mid": "", "b.mid": over, "c.mid": over}
    assert str(over) == "not read: the upload had used its 2 s of reading time"
    assert over.said("zh") == "未读取：这次上传已用完 2 秒的读取时间"
    monkeypatch.delenv(HOOK)
    again = load_pieces(midi_files("a.mid", "b.mid", "c.mid"), DataConfig(limits=limits), cache_dir=tmp_path)
    assert [p.name for p in again.pieces] == ["a.mid", "b.mid", "c.mid"]


def test_a_dataset_named_by_path_has_no_upload_budget(monkeypatch, tmp_path):
    monkeypatch.setenv(HOOK, "b.mid=hang")
    for name, data in midi_files("a.mid", "b.mid", "c.mid"):
        (tmp_path / name).write_bytes(data)
    limits = Limits(max_parse_seconds=2, max_upload_parse_seconds=1)
    result = load_pieces(str(tmp_path), DataConfig(limits=limits), cache_dir=False)
    assert {r.name: r.reason for r in result.report} == {"a.mid": "", "b.mid": msg("said.r_timed_out", seconds="2"),
                                                         "c.mid": ""}


def test_the_time_left_of_an_upload_is_never_more_than_its_budget(monkeypatch):
    """A 348 kB zip of 2,000 files showed 'about 13 h 38 min left': the estimate of an upload is held
    to what is left of its reading time (minutes), in the app's bar too."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from ui import dataset, language
    from musegen.music.progress import FilesLeft

    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    monkeypatch.setattr(language, "_last_lang", ["en"])  # outside a script run: not whatever an earlier test's run chose
    plain, held = FilesLeft(), FilesLeft(budget=300)
    now[0] = 1001.0
    for left in (plain, held):
        left(1, 2000)
    now[0] = 1011.0  # 10 s a file
    assert plain(2, 2000) == "2/2,000 files · about 5 h 33 min left"  # a dataset named on the command line
    assert held(2, 2000) == "2/2,000 files · about 5 min left"  # 289 s of the upload's 300 are left

    class Bar:
        def progress(self, value, text):
            self.text = text

    bar = Bar()
    now[0] = 1000.0
    report = dataset.reading_progress(bar, budget=300)
    now[0] = 1001.0
    report(1, 2000, "a.abc")
    now[0] = 1011.0
    report(2, 2000, "b.abc")
    assert bar.text.endswith("2/2000 · about 4 min 49 s left"), bar.text


# ------------------------------------------------------------------ item 8: a primer is read as an upload is

BACH_RUN = SHIPPED_MODELS / "bach-wavenet"


def test_a_primer_is_read_in_a_worker_with_its_limits(monkeypatch, tmp_path):
    """--primer was parsed in the command's own process with no time or memory limit (a garbage ABC
    primer ran past 150 s): it goes through the same worker as an upload now."""
    from musegen.music.sources import read_piece

    for name, data in midi_files("slow.mid", "dies.mid", "fine.mid"):
        (tmp_path / name).write_bytes(data)
    monkeypatch.setenv(HOOK, "slow.mid=hang,dies.mid=crash")
    with pytest.raises(InputError, match=r"^slow\.mid: took longer than 1 s to read: refused$"):
        read_piece(tmp_path / "slow.mid", limits=Limits(max_parse_seconds=1))  # its own limit, not the hook's hour
    assert read_piece(tmp_path / "fine.mid").n_notes > 0
    result = musegen("generate", BACH_RUN, "--primer", tmp_path / "dies.mid", "--length", 10,
                     "--out", tmp_path / "out.mid", timeout=120, **{HOOK: "dies.mid=crash"})
    refused(result, "dies.mid: the parser crashed on this file: refused")  # it was not this process
    assert not (tmp_path / "out.mid").exists()


# ------------------------------------------------------------------ item 9: files read by path


@pytest.fixture(params=["fifo", "/dev/zero"])
def special(request, tmp_path):
    """A file that is no file: a pipe nobody writes (a read waits forever) or a device that never ends."""
    if request.param == "fifo":
        path = tmp_path / "pipe.zip"
        os.mkfifo(path)
        return path
    if not os.path.exists(request.param):
        pytest.skip(f"no {request.param} here")
    return Path(request.param)


def test_files_read_by_path_must_be_regular_files(special, tmp_path):
    """`musegen import /dev/zero` read 3.7 GB, `train --config /dev/zero` 3.3 GB, and importing a pipe
    hung: each file the command line reads by path is checked first, and refused in one line."""
    not_regular = f"Cannot read {special}: it is a device, pipe or socket, not a regular file."
    refused(musegen("import", special, "--runs", tmp_path / "runs", timeout=60), not_regular)
    refused(musegen("train", "--config", special, "--out", tmp_path / "run", timeout=60), not_regular)
    refused(musegen("render", special, "--out", tmp_path / "out.wav", timeout=60), not_regular)
    refused(musegen("train", "--dataset", special, "--out", tmp_path / "run", timeout=60),
            f"{special} is a device, pipe or socket: give a built-in dataset name")
    assert not (tmp_path / "run").exists() and not (tmp_path / "runs").exists()


def test_the_library_reads_a_named_file_only_when_it_is_a_regular_file_of_bounded_size(special, tmp_path):
    from musegen.train.distribute import tf_config_from_file
    from musegen.files import read_regular
    from musegen.music.sources import read_piece

    for read in (lambda: read_piece(special), lambda: tf_config_from_file(special),
                 lambda: read_regular(special, 1000)):
        with pytest.raises(InputError, match="it is a device, pipe or socket, not a regular file"):
            read()
    for name, data in midi_files("a.mid"):
        (tmp_path / name).write_bytes(data)
    listed = load_pieces([str(special), str(tmp_path / "a.mid")], cache_dir=False)  # a list of paths goes on
    assert [r.reason for r in listed.report] == [msg("said.r_not_regular"), ""]
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 1_500_000)
    refused(musegen("train", "--config", big, timeout=60),
            f"Cannot read {big}: it is 1.5 MB; a RunConfig file may be at most 1 MB.")
    with pytest.raises(InputError, match="it is a folder, not a file"):
        read_regular(tmp_path, 1000)


# ------------------------------------------------------------------ item 11: work bounded before it starts


def test_a_dataset_folder_walk_stops_at_the_entry_limit(tmp_path):
    """`train --dataset /` walked the whole file system (18.8 s) before anything was said: the walk
    stops as soon as it has seen more entries than Limits.max_folder_entries."""
    for d in range(3):
        (tmp_path / f"d{d}").mkdir()
        for i in range(30):
            (tmp_path / f"d{d}" / f"{i}.txt").write_text("")
    with pytest.raises(InputError, match=rf"^{tmp_path} holds more than 50 files and folders, the most a dataset "
                                         r"folder may hold: point to the folder with the music"):
        load_pieces(str(tmp_path), DataConfig(limits=Limits(max_folder_entries=50)), cache_dir=False)
    for name, data in midi_files("a.mid"):
        (tmp_path / "d0" / name).write_bytes(data)
    (tmp_path / ".git").mkdir()  # a dot-folder is not entered: its files would be ignored anyway
    for i in range(100):
        (tmp_path / ".git" / f"{i}.mid").write_text("")
    loaded = load_pieces(str(tmp_path), DataConfig(limits=Limits(max_folder_entries=100)), cache_dir=False)
    assert len(loaded.report) == 91 and [p.name for p in loaded.pieces] == ["d0/a.mid"]


def test_the_entry_limit_reaches_the_command_line_from_a_config_file(tmp_path):
    import json

    folder = tmp_path / "music"
    folder.mkdir()
    for i in range(20):
        (folder / f"{i}.mid").write_text("")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"data": {"limits": {"max_folder_entries": 10}}}))
    refused(musegen("train", "--config", config, "--dataset", folder, "--out", tmp_path / "run", timeout=60),
            f"{folder} holds more than 10 files and folders")


def test_flags_are_checked_before_a_run_or_its_music_is_read(tmp_path):
    """`evaluate --temperature -1` read the data (10-12 s, 1.3 GB) before it looked at its flags."""
    missing = tmp_path / "missing"  # had the music been read first, it would say this folder does not exist
    refused(musegen("evaluate", BACH_RUN, "--dataset", missing, "--temperature", -1, timeout=60),
            "temperature must be between 0 and 5 (got -1.0)")
    refused(musegen("evaluate", tmp_path / "no-run", "--pieces", 0, timeout=60),
            "pieces must be between 1 and 1,000 (got 0)")
    refused(musegen("generate", BACH_RUN, "--primer", missing / "a.mid", "--top-p", 2, "--out", tmp_path / "o.mid",
                    timeout=60), "top p must be between")


# ------------------------------------------------------------------ a read-only runs folder


def read_only_folder(folder: Path):
    """Make a new folder that this process cannot write (as root too); returns what undoes it."""
    import subprocess

    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)
    pytest.skip("cannot make a folder read-only here (root without chattr +i)")


def test_a_runs_folder_that_cannot_be_written_refuses_trainings_with_a_message(tmp_path, pieces):
    """The jobs' store could not open in a read-only runs folder: the Train page showed a raw
    sqlite3.OperationalError. Now the jobs list works and a training is refused in words."""
    from musegen.serve import jobs
    from musegen.serve.quotas import CANNOT_TRAIN

    runs = tmp_path / "runs"
    undo = read_only_folder(runs)
    try:
        registry = jobs.Registry(store=runs / jobs.STORE)
        assert registry.list_jobs() == []
        with pytest.raises(InputError, match="cannot write to its runs folder"):
            registry.submit(tiny_config(), runs / "new", pieces=Loaded(pieces))
    finally:
        undo()
    assert CANNOT_TRAIN.said("zh").startswith("本服务器无法写入它的模型文件夹")


def test_a_runs_folder_that_cannot_be_written_is_said_once_and_the_page_goes_on(tmp_path, monkeypatch):
    """A read-only runs folder showed a raw OSError traceback on every page (session.start ->
    save_settings): the app now says once that it cannot keep the session, and draws the page."""
    from streamlit.testing.v1 import AppTest

    from musegen.serve.saved_session import NOT_KEPT

    runs = tmp_path / "runs"
    monkeypatch.setenv("MUSEGEN_RUNS", str(runs))
    monkeypatch.delenv("MUSEGEN_SINGLE_USER", raising=False)
    undo = read_only_folder(runs)
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [w.value for w in at.warning] == [str(NOT_KEPT)]
        at.switch_page("pages/dataset.py").run()
        assert not at.exception and not at.warning  # said once a session
    finally:
        undo()
    assert NOT_KEPT.said("zh").startswith("本服务器无法在磁盘上保存你的会话")
