"""Fixtures for the app tests: a tiny stand-in for the bundled pretrained runs."""
from __future__ import annotations

import pytest

from conftest import Loaded, make_piece, tiny_config


@pytest.fixture(scope="session")
def bundled_runs(tmp_path_factory):
    """A folder shaped like assets/models/ with a tiny WaveNet and a tiny LSTM (seconds to train)."""
    from musegen.train import train

    root = tmp_path_factory.mktemp("bundled")
    pieces = Loaded([make_piece(i) for i in range(10)])
    for kind in ("wavenet", "lstm"):
        train(tiny_config(kind), root / f"tiny-{kind}", pieces=pieces)
    return root
