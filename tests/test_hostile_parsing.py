"""Issue 24: music files built to cost the server time or memory are refused cheaply.

Each case makes its own small hostile input and expects a refusal with a reason a person can read,
in seconds, never a server brought down or a command left hanging.
"""
from __future__ import annotations

import io
import sys
import time
import zipfile

import pytest

from musegen import text
from musegen.config import DataConfig, Limits
from musegen.errors import InputError
from musegen.readers import read_file_bytes
from musegen.sources import _corpus_root, load_pieces


def said_in_chinese(message: str) -> str:
    """The app shows the library's reasons in the visitor's language: this one must be recognised."""
    chinese, recognised = text.recognise(message, "zh")
    assert recognised and chinese != message, message
    return chinese


def bach_mxl() -> bytes:
    """A real compressed MusicXML score (a Bach chorale from music21's corpus), as uploaded."""
    return (_corpus_root() / "bach" / "bwv1.6.mxl").read_bytes()


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
    assert err.value.reason == ("too large for a score: 300 kB unpacked (limit 200 kB of score text; reading a "
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
    assert said_in_chinese("needed more than 1,000 MB to read: refused") == "读取时需要超过 1,000 MB 内存：已拒绝"


def test_the_built_in_music_reads_under_the_default_memory_limit():
    root = _corpus_root()
    files = [root / "bach" / "bwv69.6.xml", root / "bach" / "bwv248.42-4.mxl",  # the largest chorales
             root / "palestrina" / "Gloria_83.krn", root / "monteverdi" / "madrigal.3.7.mxl"]
    assert Limits().max_parse_memory_mb == 1000
    result = load_pieces([str(p) for p in files], DataConfig(), cache_dir=False)
    assert [r.reason for r in result.report] == [""] * len(files)


# ------------------------------------------------------------------ item 6: tiny ABC, huge work


def test_an_abc_tune_with_an_absurd_meter_is_refused_before_music21_reads_it():
    """11 kB of ABC (M:999999/1, L:1/999999, 5,000 repeats) cost 60 s and 1.4-1.9 GB before it was
    refused for time; its header is refused at once now, before music21 sees it."""
    bomb = ("X:1\nT:bomb\nM:999999/1\nL:1/999999\nK:C\n" + "|:C:|" * 5_000 + "\n").encode()
    assert len(bomb) < 30_000
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        load_pieces([("bomb.abc", bomb)], DataConfig(limits=Limits(max_parse_seconds=10)), cache_dir=False)
    assert time.perf_counter() - t0 < 9  # before: "took longer than 10 s to read"
    assert "bomb.abc: ABC field M:999999/1 is out of range: refused (numbers up to 64)" in str(err.value)
    assert said_in_chinese("ABC field M:999999/1 is out of range: refused (numbers up to 64)") == (
        "ABC 字段 M:999999/1 超出范围：已拒绝（数字最大为 64）")


@pytest.mark.parametrize("tune, field", [
    ("M:4/4\nL:1/999999\nK:C\nCDEF|", "L:1/999999"),
    ("M:4/4\nL:1/8\nK:C\nCDEF|[M:1000/1]CDEF|", "M:1000/1"),
    ("M:4/4\nL:1/8\nK:C\nCDEF|\nM:3/" + "9" * 5000 + "\nCDE|", "M:3/" + "9" * 17 + "…"),
])
def test_abc_meters_and_note_lengths_are_checked_wherever_they_are(tune, field):
    with pytest.raises(InputError) as err:
        read_file_bytes("t.abc", f"X:1\nT:t\n{tune}\n".encode())
    assert err.value.reason.startswith(f"ABC field {field} is out of range")


def test_every_abc_tune_in_music21s_corpus_passes_the_check():
    from musegen.readers import _check_abc_fields

    files = list(_corpus_root().rglob("*.abc"))
    assert len(files) > 1000
    for path in files:
        _check_abc_fields(path.read_text(errors="replace"))
    read_file_bytes("t.abc", b"X:1\nT:t\nM:C|\nL:1/8\nK:D\n[M:6/8]DEF GAB|[L:1/16]dcBA|]\n")  # common time, inline fields
