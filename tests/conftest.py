"""Shared fixtures: synthetic but musical pieces, tiny model settings, one tiny trained run."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from musegen.config import DataConfig, ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from musegen.music.piece import Piece

os.environ.setdefault("MUSEGEN_CACHE", os.path.join(os.path.dirname(__file__), "output", "cache"))
os.environ.setdefault("MUSEGEN_WARM_DATASETS", "0")  # the app parses every built-in set at start: not in tests

SCALE = [0, 2, 4, 5, 7, 9, 11]


def make_piece(i: int, bars: int = 8) -> Piece:
    """A melody over chords in one of several keys, with quarter, eighth and half notes and rests."""
    rng = np.random.default_rng(i)
    root = 60 + (i % 5) * 2
    notes, t = [], 0.0
    for bar in range(bars):
        chord_root = root - 12 + SCALE[[0, 3, 4, 0][bar % 4]]
        for pitch in (chord_root, chord_root + 4, chord_root + 7):
            notes.append((t, 4.0, pitch, 60))
        beat = 0.0
        while beat < 4.0:
            dur = float(rng.choice([0.5, 1.0, 1.0, 2.0]))
            dur = min(dur, 4.0 - beat)
            if rng.random() > 0.1:  # a few rests
                notes.append((t + beat, dur, root + 12 + SCALE[rng.integers(7)], 90))
            beat += dur
        t += 4.0
    return Piece(f"synthetic-{i:02d}", np.array(notes), tempo=100.0)


@pytest.fixture(scope="session")
def pieces() -> list[Piece]:
    return [make_piece(i) for i in range(10)]


def tiny_model(kind: str, **kw) -> ModelConfig:
    return ModelConfig(kind=kind, embedding_dim=16, residual_channels=16, skip_channels=32, dilation_depth=3,
                       stacks=1, simple_filters=16, simple_blocks=3, simple_dense=32, lstm_units=32,
                       lstm_dense=32, dropout=0.0, **kw)


def tiny_config(kind: str = "wavenet", **model_kw) -> RunConfig:
    return RunConfig(
        data=DataConfig(dataset="synthetic", window=32, stride=16, val_fraction=0.2),
        tokenizer=TokenizerConfig(),
        model=tiny_model(kind, **model_kw),
        train=TrainConfig(epochs=2, batch_size=16, learning_rate=3e-3, seed=3),
    )


class Loaded:
    """Stands in for report.LoadResult when a test hands train() pieces it made itself."""

    def __init__(self, pieces):
        self.pieces, self.report, self.source = pieces, [], "synthetic"


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, pieces):
    from musegen.train.fit import train

    return train(tiny_config("wavenet"), tmp_path_factory.mktemp("runs") / "tiny-wavenet", pieces=Loaded(pieces))


def musegen(*args, timeout=600, **env):
    """The command line in a subprocess, as a person runs it (extra environment variables in env)."""
    return subprocess.run([sys.executable, "-m", "musegen", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **env})


def refused(result, *words) -> str:
    """The one line a refusal prints; fails unless it is exit code 1, no traceback, one clean line
    naming `words`."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("musegen: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]
