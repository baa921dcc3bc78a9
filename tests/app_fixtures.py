"""Fixtures for the app tests: a tiny stand-in for the bundled pretrained runs, and the app served
by `streamlit run app.py` on a free localhost port."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import Loaded, make_piece, tiny_config


@pytest.fixture(scope="session")
def bundled_runs(tmp_path_factory):
    """A folder shaped like assets/models/ with a tiny WaveNet and a tiny LSTM (seconds to train)."""
    from musegen.train.fit import train

    root = tmp_path_factory.mktemp("bundled")
    pieces = Loaded([make_piece(i) for i in range(10)])
    for kind in ("wavenet", "lstm"):
        train(tiny_config(kind), root / f"tiny-{kind}", pieces=pieces)
    return root


@pytest.fixture
def app_env(monkeypatch, tmp_path, bundled_runs):
    """The shared demo's settings (every visitor their own runs) over a fresh runs folder, with the
    tiny bundled runs; returns the runs folder."""
    runs = tmp_path / "runs"
    monkeypatch.setenv("MUSEGEN_RUNS", str(runs))
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(bundled_runs))
    monkeypatch.delenv("MUSEGEN_SINGLE_USER", raising=False)
    return runs


ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_app(env: dict, log, startup: float = 90.0):
    """`streamlit run app.py` as a person starts it, on a free localhost port, its output in `log`
    (an open file); yields (url, port) once it answers its health check, and stops it after."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + startup
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.seek(0)
        pytest.fail(f"streamlit did not start:\n{log.read()[-3000:]}")
    try:
        yield url, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
