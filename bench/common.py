"""Shared helpers for the benchmarks and the study: paths, sizes, timing, JSON, small PNG plots."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from musegen.paths import SHIPPED_MODELS  # noqa: E402 (after the sys.path line)

RESULTS = ROOT / "bench" / "results"  # gitignored
ASSETS = SHIPPED_MODELS
FULL = bool(os.environ.get("BENCH_FULL"))
TIMED_RUNS = 3  # every speed in a table is the median of this many timed runs


def log(*parts) -> None:
    print(*parts, flush=True)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def write_json(path: Path, obj) -> Path:
    from musegen.files import atomic_write

    return atomic_write(path, json.dumps(rounded(json.loads(json.dumps(obj, default=_plain))), indent=1))


def rounded(obj, digits: int = 5):
    """Floats rounded to `digits` significant digits, so result files stay small and diffable."""
    if isinstance(obj, float):
        return float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v, digits) for v in obj]
    return obj


def _plain(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def markdown_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """columns: (key, header, format spec)."""
    lines = ["| " + " | ".join(h for _, h, _ in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        for key, _, spec in columns:
            value = row.get(key)
            if value is None:
                cells.append("–")
            elif spec and isinstance(value, (int, float)):
                cells.append(format(value, spec))
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 80, "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def piano_roll(piece, title: str, path: Path) -> Path:
    """A PNG piano roll of a piece: a colour per part, bar lines in grey."""
    from musegen.music.piece import DURATION, PART, PITCH, START

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 2.6))
    for part in sorted({int(p) for p in piece.notes[:, PART]}):
        notes = piece.notes[piece.notes[:, PART] == part]
        ax.barh(notes[:, PITCH], notes[:, DURATION], left=notes[:, START], height=0.8, label=f"part {part + 1}")
    for at in piece.bar_starts()[1:]:
        ax.axvline(at, color="0.85", lw=0.6, zorder=0)
    ax.set_xlabel("quarter notes")
    ax.set_ylabel("pitch")
    ax.set_title(title)
    return save_figure(fig, path)


def save_figure(fig, path: Path) -> Path:
    from musegen.files import atomic_path

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight", dpi=80)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def engine_speed(model, config, vocab: int, window: int, tokens: int, batch: int = 1) -> float:
    """Tokens per second of the NumPy engine on `model`'s weights, measured in a child process
    without TensorFlow (bench/enginechild.py): how the CLI and the app run it."""
    import dataclasses
    import subprocess
    import tempfile

    from musegen.models.engine import export_weights

    with tempfile.TemporaryDirectory(prefix="musegen-bench-") as tmp:
        weights = export_weights(model, Path(tmp) / "weights.npz")
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "enginechild.py"), str(weights),
                               json.dumps(dataclasses.asdict(config)), str(vocab), str(window), str(tokens), str(batch)],
                              capture_output=True, text=True, timeout=600, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"enginechild failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["tokens_per_s"]
