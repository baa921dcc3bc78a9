"""Plotly figures carry the right data (no browser needed)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from musegen.render import plots, words
from musegen.music.piece import Piece


def make_piece(n=50, seed=0, name="p", tempo=120.0) -> Piece:
    rng = np.random.default_rng(seed)
    rows = np.column_stack([
        np.arange(n) * 0.5, rng.choice([0.25, 0.5, 1.0, 1.5, 1 / 3], n),
        rng.integers(40, 85, n), rng.integers(20, 127, n),
    ])
    return Piece(name, rows, tempo=tempo)


def test_piano_roll_data_and_hover():
    piece = Piece.from_lists("tiny", [0, 1, 1], [1, 0.5, 2], [60, 78, 48], [100, 50, 70], tempo=60)
    fig = plots.piano_roll(piece)
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
    bar = fig.data[0]
    assert len(bar.y) == 3 and len(bar.x) == 3
    assert set(bar.text) == {"C4", "F#5", "C3"}
    assert "%{text}" in bar.hovertemplate and "velocity" in bar.hovertemplate
    # seconds at 60 BPM equal beats; bars start at the note onsets
    assert sorted(bar.base) == [0, 1, 1]
    assert sorted(fig.layout.yaxis.ticktext)[0].startswith("C")
    assert all(t.startswith("C") for t in fig.layout.yaxis.ticktext)


def test_piano_roll_seconds_vs_beats():
    piece = make_piece(tempo=60 * 2)  # 2 beats per second
    sec = plots.piano_roll(piece).data[0]
    beats = plots.piano_roll(piece, unit="beats").data[0]
    assert np.allclose(np.asarray(sec.base, float) * 2, np.asarray(beats.base, float))


def test_piano_roll_empty_and_large():
    fig = plots.piano_roll(Piece("empty"))
    assert len(fig.data[0].x) == 0
    fig.to_json()
    big = make_piece(5000)
    fig = plots.piano_roll(big)
    assert len(fig.data) == 1 and len(fig.data[0].x) == 5000
    fig.to_json()


def test_piano_roll_marks_where_the_model_takes_over():
    piece = make_piece(tempo=60)
    assert not plots.piano_roll(piece).layout.annotations
    piece.takeover = 8.0
    fig = plots.piano_roll(piece, unit="beats")
    line = [s for s in fig.layout.shapes if s.line.dash == "dash"]
    assert len(line) == 1 and line[0].x0 == 8.0
    assert "takes over" in fig.layout.annotations[0].text


def test_learning_curves():
    hist = {
        "lstm": {"loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.4, 2.2],
                 "accuracy": [0.1, 0.3, 0.4], "val_accuracy": [0.1, 0.25, 0.3]},
        "wavenet": {"loss": [2.5, 1.9], "val_loss": [2.6, 2.1]},
    }
    fig = plots.learning_curves(hist)
    curves = [t for t in fig.data if t.y[0] is not None]
    names = [t.name for t in curves]
    assert len(curves) == 6
    # The legend: one entry per run and one per line style (eight entries squeezed a phone's curves).
    assert [t.name for t in fig.data if t.showlegend is not False] == ["lstm", "wavenet", "training (solid)",
                                                                       "validation (dashed)"]
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0  # under the curves
    assert "lstm · val_accuracy" in names and "wavenet · loss" in names
    acc = next(t for t in fig.data if t.name == "lstm · accuracy")
    assert acc.yaxis == "y2" and list(acc.x) == [1, 2, 3]
    val = next(t for t in fig.data if t.name == "wavenet · val_loss")
    assert val.line.dash == "dash"
    only_loss = plots.learning_curves({"a": {"loss": [1.0, 0.5]}})
    assert len([t for t in only_loss.data if t.y[0] is not None]) == 1
    assert len(plots.learning_curves({}).data) == 0


def test_pitch_histogram():
    a, b = make_piece(40, 1, "a"), make_piece(60, 2, "b")
    fig = plots.pitch_histogram([a, b])
    assert len(fig.data) == 1 and sum(fig.data[0].y) == 100
    assert all(name[0] in "CDEFGAB" for name in fig.data[0].customdata)
    groups = plots.pitch_histogram({"data": [a], "generated": [b]})
    assert [t.name for t in groups.data] == ["data", "generated"]
    assert sum(groups.data[1].y) == pytest.approx(1.0)
    plots.pitch_histogram([]).to_json()


def test_duration_histogram_labels():
    p = Piece.from_lists("d", [0, 1, 2, 3, 4, 5], [0.25, 0.5, 1, 1.5, 1 / 3, 1.25], [60] * 6)
    fig = plots.duration_histogram(p)
    assert list(fig.data[0].x) == ["1/16", "1/8 triplet", "1/8", "1/4", "1.25 q", "dotted 1/4"]
    assert sum(fig.data[0].y) == 6
    assert words.duration_label(4) == "1/1"
    assert words.duration_label(2 / 3) == "1/4 triplet"


def test_token_counts():
    counts = {"n60": 500, "n62": 300, "rest": 40, "n99": 2, "n100": 1}
    fig = plots.token_counts(counts, cutoff=3)
    bar = fig.data[0]
    assert list(bar.y) == [500, 300, 40, 2, 1]
    assert [c[1] for c in bar.customdata] == ["kept", "kept", "kept", "dropped", "dropped"]
    assert fig.layout.shapes and "2 of 5" in fig.layout.annotations[0].text
    plots.token_counts({}, cutoff=1).to_json()


def test_playhead_page_is_self_contained():
    import base64
    import json
    import re

    from musegen.music.piece import Part
    from musegen.render.playhead import playhead_html

    notes = [(0, 1, 60, 80, 0), (1, 0.5, 64, 80, 0), (0, 2, 48, 70, 1), (4, 4, 50, 70, 1)]
    piece = Piece("duet", notes, tempo=90, parts=[Part("Right </script> hand"), Part("Left hand")])
    audio = b"OggS fake vorbis bytes"
    page = playhead_html(piece, audio)
    assert f'src="data:audio/ogg;base64,{base64.b64encode(audio).decode()}"' in page
    assert not re.search(r"https?://|//cdn|<script[^>]+src|<link", page), "the page must need no network"
    data = json.loads(re.search(r"const D = (.*?);\n", page).group(1))
    assert sorted(data["notes"]) == [[0, 1, 60, 0], [0, 2, 48, 1], [1, 0.5, 64, 0], [4, 4, 50, 1]]
    assert data["tempo"] == 90 and data["end"] == 8 and data["bars"] == [0, 4]
    assert (data["lo"], data["hi"]) == (46, 66)  # two semitones of air, as the plotly roll
    assert data["colours"][:2] == list(plots.PALETTE[:2])  # the plotly roll's part colours
    assert "Right &lt;/script&gt; hand" in page and page.count("</script>") == 1  # names cannot break out
    assert "requestAnimationFrame" in page and "currentTime" in page

    assert data["takeover"] is None
    piece.takeover = 4.0
    assert '"takeover":4.0' in playhead_html(piece, audio)

    silent = playhead_html(Piece("empty"), None)
    assert "<audio" not in silent and '"notes":[]' in silent

    # Its words come in the visitor's language, the aria label escaped like the part names.
    zh = playhead_html(piece, audio, words={"yours": "你的", "model": "模型", "roll": '钢琴卷帘 "<x>"'})
    words = json.loads(re.search(r"const D = (.*?);\n", zh).group(1))["words"]
    assert (words["yours"], words["model"], words["no_notes"]) == ("你的", "模型", "no notes")
    assert 'aria-label="钢琴卷帘 &quot;&lt;x&gt;&quot;"' in zh and "D.words.yours" in zh
    # and so do the parts' names in its legend, as on the plotly roll
    zh = playhead_html(piece, audio, lang="zh")
    assert "<span style=\"--c:" in zh and ">左手</span>" in zh
    assert [t.name for t in plots.piano_roll(piece, lang="zh").data] == ["Right </script> hand", "左手"]


def test_an_accompaniment_marks_its_given_and_new_parts():
    """The roll's legend says which parts were given and which are new, in the reader's language;
    a given part is drawn lighter and outlined (plotly and the playhead's roll), and the score
    names it given."""
    import json
    import re

    from musegen.music.piece import Part
    from musegen.render.midi import piece_to_musicxml
    from musegen.render.playhead import playhead_html

    notes = [(0, 1, 72, 80, 0), (1, 1, 74, 80, 0), (0, 2, 60, 70, 1), (2, 2, 55, 70, 1), (0, 4, 48, 70, 2)]
    choir = [Part("Soprano"), Part("Alto"), Part("Bass")]
    piece = Piece("chorale", notes, tempo=90, parts=choir, given_parts=(0,))
    fig = plots.piano_roll(piece)
    assert [t.name for t in fig.data] == ["Soprano (given)", "Alto (new)", "Bass (new)"]
    assert fig.data[0].marker.color == plots.faded(plots.PALETTE[0]) and fig.data[0].marker.line.width == 1.5
    assert fig.data[1].marker.color == plots.PALETTE[1]
    zh = plots.piano_roll(piece, lang="zh")
    assert [t.name for t in zh.data] == ["女高音（给定）", "女低音（新写）", "男低音（新写）"]
    assert "女高音（给定）" in zh.data[0].hovertemplate

    page = playhead_html(piece, b"OggS", lang="zh")
    assert json.loads(re.search(r"const D = (.*?);\n", page).group(1))["given"] == [0]
    assert '<span class=given style="--c:#1f77b4">女高音（给定）</span>' in page and "男低音（新写）" in page

    assert "<part-name>Soprano (given)</part-name>" in piece_to_musicxml(piece)
    assert "<part-name>\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0女高音（给定）</part-name>" in piece_to_musicxml(  # fits (_fits)
        piece, lang="zh")

    plain = Piece("chorale", notes, tempo=90, parts=choir)  # not an accompaniment: nothing said
    assert [t.name for t in plots.piano_roll(plain).data] == ["Soprano", "Alto", "Bass"]
    assert json.loads(re.search(r"const D = (.*?);\n", playhead_html(plain, None)).group(1))["given"] == []
    assert "(given)" not in piece_to_musicxml(plain)


def test_a_part_named_bass_reads_bass_clef_even_when_it_sits_high():
    from musegen.music.piece import Part
    from musegen.render.midi import piece_to_musicxml

    notes = [(0, 1, 72, 80, 0), (1, 1, 74, 80, 0), (0, 1, 57, 70, 1), (1, 1, 55, 70, 1)]
    xml = piece_to_musicxml(Piece("duet", notes, tempo=90, parts=[Part("Soprano"), Part("Bass")]))
    import re

    clefs = re.findall(r"<sign>([FG])</sign>", xml)
    assert clefs[:2] == ["G", "F"]  # the bass's notes (A3, G3) alone would give an octave-treble clef
