"""Issue 24: a demo strangers cannot take down. Settings each in range that together ask for hours
of work, run folders damaged in ways that reached the user as "musegen: unexpected …", inputs
accepted without a word, and training workers that ran the app's script again.

Each case makes its own small input and expects a clear refusal (one line, exit code 1, no
traceback) or a clear word, in seconds.
"""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import symusic

from app_fixtures import bundled_runs  # noqa: F401 (fixture)
from conftest import musegen, refused
from musegen import config as settings
from musegen.config import SampleConfig
from musegen.errors import InputError, ModelError

ROOT = Path(__file__).resolve().parent.parent


def generate(run, *flags, out):
    return musegen("generate", run, "--out", out, *flags)


# ------------------------------------------------------------------ A. the work a request implies


@pytest.mark.parametrize("flags, words", [
    (["--variations", 8, "--length", 20000], "8 variations of 20,000 tokens are 160,000 tokens"),
    (["--variations", 8, "--seconds", 600], "lower the seconds to 75 or ask for fewer variations"),
    (["--variations", 8, "--bars", 512], "lower the bars to 64"),
])
def test_variations_share_one_budget_of_music(tmp_path, trained_run, flags, words):
    """--variations 8 --length 20000 ran past 180 s (WaveNet) and 200 s (LSTM): each setting was
    in its range, their product was not bounded."""
    refused(generate(trained_run.path, *flags, out=tmp_path / "out.mid"), words, "more than one request may write")
    assert not (tmp_path / "out.mid").exists()
    SampleConfig(variations=1, length=20_000).check()  # one long piece stays allowed
    SampleConfig(variations=8, length=2_500).check()


def test_seconds_or_bars_stop_at_the_token_budget_with_a_word(trained_run, monkeypatch):
    """A piece asked for in seconds runs until its music is long enough: a model that writes many
    tokens a beat would go on far past the budget. It stops there, and says so."""
    from musegen.sample import Composer

    monkeypatch.setitem(settings.REQUEST_BUDGET, "length", 300)
    composition = Composer(trained_run).compose(SampleConfig(seconds=300, tempo=400, variations=2, seed=1))
    assert all(len(ids) <= 150 for ids in composition.ids)
    assert any("stopped at 150 tokens a piece" in remark for remark in composition.remarks)


def three_days_midi() -> bytes:
    """36 bytes: one note held for three days (1 tick per quarter, 120 BPM)."""
    from test_hostile import vlq

    track = b"\x00\x90\x3c\x40" + vlq(3 * 86400 * 2) + b"\x80\x3c\x00" + b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 1) + b"MTrk" + struct.pack(">I", len(track)) + track


def test_a_render_is_never_longer_than_ten_minutes():
    """render --max-seconds 1e9 of a note held three days had FluidSynth write 3 GB in 56 s."""
    from musegen.audio import MAX_RENDER_SECONDS, _cap_midi, music_seconds

    data = three_days_midi()
    assert music_seconds(data) == pytest.approx(3 * 86400)
    capped, seconds = _cap_midi(data, max_seconds=1e9)
    assert seconds == MAX_RENDER_SECONDS == 600
    assert symusic.Score.from_midi(capped).to("second").end() == pytest.approx(600, abs=0.01)


@pytest.mark.parametrize("value", ["1e-9", "0", "nan", "-5"])
def test_render_of_almost_nothing_is_refused(tmp_path, value):
    """--max-seconds 1e-9 wrote a 48-byte WAV and exited 0."""
    (tmp_path / "days.mid").write_bytes(three_days_midi())
    out = tmp_path / "out.wav"
    refused(musegen("render", tmp_path / "days.mid", "--out", out, "--max-seconds", value),
            "max seconds must be at least 1", "up to 10 minutes")
    assert not out.exists()


# ------------------------------------------------------------------ B. one line, never "unexpected"


def test_a_negative_seed_is_refused_in_words(tmp_path, trained_run):
    refused(generate(trained_run.path, "--seed", -1, out=tmp_path / "out.mid"),
            "seed must be between 0 and 4,294,967,295 (got -1)")


def test_render_of_a_midi_with_division_zero_is_refused(tmp_path):
    track = b"\x00\x90\x3c\x40\x01\x80\x3c\x00\x00\xff\x2f\x00"
    (tmp_path / "zero.mid").write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 0) + b"MTrk"
                                        + struct.pack(">I", len(track)) + track)
    refused(musegen("render", tmp_path / "zero.mid", "--out", tmp_path / "zero.wav"),
            "header gives 0 ticks per quarter note")
    assert not (tmp_path / "zero.wav").exists()
