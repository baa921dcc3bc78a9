"""Issue 24: music files built to cost the server time or memory are refused cheaply.

Each case makes its own small hostile input and expects a refusal with a reason a person can read,
in seconds, never a server brought down or a command left hanging.
"""
from __future__ import annotations

import io
import zipfile

import pytest

from musegen.config import Limits
from musegen.errors import InputError
from musegen.readers import read_file_bytes
from musegen.sources import _corpus_root


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
