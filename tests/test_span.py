"""Writing a span of bars again (musegen/generate/span.py and `musegen rewrite`): only the span
changes, and the new bars lead into the kept ones, with the bundled folk WaveNet's real weights."""
from pathlib import Path

import numpy as np
import pytest

from musegen.config import SampleConfig
from musegen.errors import MusegenError
from musegen.generate.sample import Composer
from musegen.generate.span import parse_span, rewrite_span
from musegen.music.piece import START
from musegen.runs.folder import Run

BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "models"


@pytest.fixture(scope="module")
def folk():
    return Composer(Run.load(BUNDLED / "folk-wavenet"))


def outside(piece, lo: float, hi: float) -> np.ndarray:
    notes = piece.notes[(piece.notes[:, START] < lo - 1e-6) | (piece.notes[:, START] >= hi - 1e-6)]
    return notes[np.lexsort(notes[:, :3].T[::-1])][:, :3]


def test_spans_by_name_and_their_mistakes():
    assert parse_span("9-12") == (9, 12) and parse_span(" 3 ") == (3, 3) and parse_span("9–12") == (9, 12)
    assert parse_span("9 to 12") == (9, 12)
    for bad in ["0-2", "5-3", "x", "1-2-3", "", "9oo12"]:
        with pytest.raises(MusegenError) as refusal:
            parse_span(bad)
        assert refusal.value.message.code == "said.bad_span"


def test_only_the_span_changes_and_it_leads_into_what_follows(folk):
    piece = folk.compose(SampleConfig(bars=16, primer="none", seed=4, form="AABA")).pieces[0]
    tok = folk.tokenizer
    heard = tok.decode(tok.encode(piece), tempo=piece.tempo)  # the piece as the model reads it
    rewrite = rewrite_span(folk, piece, 9, 12, SampleConfig(seed=1), candidates=6)
    lo, hi = rewrite.span_quarters
    assert (lo, hi) == (8 * folk.bar_quarters, 12 * folk.bar_quarters)
    assert np.array_equal(outside(rewrite.piece, lo, hi), outside(heard, lo, hi))  # bars 1-8 and 13-16 kept
    inside = lambda p: p.notes[(p.notes[:, START] >= lo) & (p.notes[:, START] < hi)][:, :3]  # noqa: E731
    assert len(inside(rewrite.piece)) and not np.array_equal(inside(rewrite.piece), inside(heard))
    assert len(rewrite.piece.bar_starts()) == len(heard.bar_starts())
    assert rewrite.follow_scores[rewrite.chosen] == max(rewrite.follow_scores) and len(rewrite.follow_scores) == 6


def test_a_span_outside_the_piece_is_refused_in_words(folk):
    piece = folk.compose(SampleConfig(bars=4, primer="none", seed=1)).pieces[0]
    with pytest.raises(MusegenError) as refusal:
        rewrite_span(folk, piece, 3, 9, SampleConfig(seed=1))
    assert refusal.value.message.code == "said.span_outside" and refusal.value.message.values["bars"] == 4


def test_rewrite_on_the_command_line(folk, tmp_path):
    from musegen.cli import main
    from musegen.render.midi import write_midi

    source = write_midi(folk.compose(SampleConfig(bars=8, primer="none", seed=2)).pieces[0], tmp_path / "mine.mid")
    assert main(["rewrite", str(BUNDLED / "folk-wavenet"), str(source), "--bars", "3-4", "--seed", "1",
                 "--out", str(tmp_path / "new.mid")]) == 0
    assert (tmp_path / "new.mid").stat().st_size > 0
    assert main(["rewrite", str(BUNDLED / "folk-wavenet"), str(source), "--bars", "7-30",
                 "--out", str(tmp_path / "bad.mid")]) == 1 and not (tmp_path / "bad.mid").exists()


def test_one_more_section_repeats_it_after_the_piece(folk):
    from musegen.evaluate.repetition import section_agreement
    from musegen.generate.span import append_section

    piece = folk.compose(SampleConfig(primer="none", seed=6, form="AABA", repeats="exact")).pieces[0]
    tok = folk.tokenizer
    heard = tok.decode(tok.encode(piece), tempo=piece.tempo)
    longer = append_section(folk, piece, "AABA", 4, "b", SampleConfig(seed=1), repeats="exact")
    assert len(longer.bar_starts()) == 20 and longer.rewritten[0] == longer.bar_starts()[16]
    assert np.array_equal(outside(longer, longer.rewritten[0], 1e9), outside(heard, heard.duration_quarters, 1e9))
    assert section_agreement(longer, 8, 16, 3) == 1.0  # B again, note for note (its last bar closes home)
    with pytest.raises(MusegenError) as refusal:
        append_section(folk, piece, "AABA", 4, "C", SampleConfig(seed=1))
    assert refusal.value.message.code == "said.no_such_section"


def test_extend_on_the_command_line(folk, tmp_path):
    from musegen.cli import main
    from musegen.render.midi import write_midi

    song = write_midi(folk.compose(SampleConfig(primer="none", seed=2, form="ABAB", phrase_bars=2)).pieces[0],
                      tmp_path / "song.mid")
    assert main(["extend", str(BUNDLED / "folk-wavenet"), str(song), "--form", "ABAB", "--phrase-bars", "2",
                 "--section", "a", "--seed", "1", "--out", str(tmp_path / "more.mid")]) == 0
    assert (tmp_path / "more.mid").stat().st_size > song.stat().st_size
    assert main(["extend", str(BUNDLED / "folk-wavenet"), str(song), "--form", "free", "--section", "A",
                 "--out", str(tmp_path / "bad.mid")]) == 1 and not (tmp_path / "bad.mid").exists()
