"""One training job's record: its state, its place in the queue, its progress, the row the store keeps.

The registry (``jobs.py``) alone changes a Job, under its lock; ``jobs.get`` hands out copies.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..config import RunConfig, from_dict, to_dict
from ..messages import Message, from_json, msg

STATES = ("queued", "running", "finished", "stopped", "failed", "interrupted")
LIVE_ONLY = ("batches", "sample_audio", "sample_midi", "sampling")  # never stored
CODED = ("message", "error", "sample_note")  # messages.Message, stored as its to_json()


@dataclass
class Job:
    """A snapshot of one training (``get`` returns copies: read them freely)."""

    id: str
    name: str
    config: RunConfig
    out: Path  # where the finished run will be (a resumed job: the run it continues)
    owner: str = ""  # the visitor who started it ("" = the command line, tests)
    resume: bool = False  # continues the run at `out` from its checkpoint
    state: str = "queued"
    place: int = 0  # 1-based place in the queue while queued, else 0
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    message: Message | str = field(default_factory=lambda: msg("said.waiting"))  # str: a row stored before codes
    progress: dict = field(default_factory=dict)  # the latest batch or epoch event
    history: dict = field(default_factory=dict)  # per epoch: loss, val_loss, accuracy, val_accuracy, elapsed
    batches: dict = field(default_factory=lambda: {"epoch": [], "loss": [], "accuracy": []})  # x = fractional epoch
    eta: float | None = None
    error: Message | str = ""
    run_path: Path | None = None  # the finished, stopped or interrupted run folder
    stopped_by: str = ""  # finished | stop requested | time budget | early stopping | interrupted
    stopping: bool = False  # Stop pressed while it runs: the page says so until it has ended
    worker_pid: int | None = None
    sample_audio: bytes | None = None  # OGG of the latest per-epoch sample
    sample_midi: bytes | None = None
    sample_epoch: int = 0
    sample_note: Message | str = ""  # why there is no sample audio (e.g. FluidSynth missing)
    sampling: bool = False  # a per-epoch sample is pending or being written
    start: dict | None = None  # a fine-tune's start: the base's val_loss on this music, and chance

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def resumable(self) -> bool:
        return self.state == "interrupted" and self.run_path is not None

    @property
    def fraction(self) -> float:
        """0…1 through the planned epochs (or the time budget, whichever is nearer its end)."""
        if self.state == "finished":
            return 1.0
        p = self.progress
        done = (p.get("epoch", 1) - 1 + p.get("step", 0) / max(1, p.get("steps", 1))) if p.get("event") == "batch" \
            else p.get("epoch", 0)
        by_epochs = done / p["epochs"] if p.get("epochs") else 0.0  # 0 epochs: the budget alone ends it
        budget = self.config.train.max_seconds
        by_time = p.get("elapsed", 0.0) / budget if budget else 0.0
        return float(min(1.0, max(by_epochs, by_time)))

    def row(self) -> dict:
        """What the store keeps: everything but the live-only fields, as JSON values."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in LIVE_ONLY}
        out["config"] = to_dict(self.config)
        out["out"] = str(self.out)
        out["run_path"] = str(self.run_path) if self.run_path else None
        for name in CODED:
            if isinstance(out[name], Message):
                out[name] = out[name].to_json()
        return out

    @classmethod
    def from_row(cls, row: dict) -> "Job":
        known = {f.name for f in fields(cls)} - set(LIVE_ONLY)
        values = {k: v for k, v in row.items() if k in known}
        values["config"] = from_dict(RunConfig, row["config"])
        values["out"] = Path(row["out"])
        values["run_path"] = Path(row["run_path"]) if row.get("run_path") else None
        for name in CODED:
            if name in values:
                values[name] = from_json(values[name])  # a row stored before codes: its English as it was
        return cls(**values)
