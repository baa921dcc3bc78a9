"""The one Keras callback a training runs under: progress per batch and epoch, stop requests, the
time budget, early stopping, the best-validation checkpoint and the history. The model functions
know nothing of them.

Importing this module loads Keras: fit.train imports it only once the model is being built."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from ..runs.save import save_model, write_json
from .runfolder import finite


class Training(keras.callbacks.Callback):
    """Progress per batch and epoch, stop requests, time budget, early stopping, best checkpoint,
    history. The checkpoint is saved only when the monitored loss beats every earlier epoch's
    (a resumed run's too), so model.keras is always the best epoch's.

    agree(*flags): the flags as every machine sees them (any machine's true makes them true),
    so all stop at the same batch; on one machine, the flags themselves."""

    def __init__(self, run_path: Path, progress: Callable[[dict], None] | None, stop: threading.Event | None,
                 max_seconds: float, epochs: int, steps: int, initial_epoch: int, history: dict, monitor: str,
                 patience: int = 0, agree=None, open_ended: bool = False):
        super().__init__()
        self.run_path, self.progress, self.stop_event = run_path, progress, stop
        self.max_seconds, self.epochs, self.steps, self.initial_epoch = max_seconds, epochs, steps, initial_epoch
        self.history, self.monitor, self.patience = history, monitor, patience
        self.agree = agree or (lambda *flags: flags)
        self.shown_epochs = 0 if open_ended else epochs  # events say 0: no epoch count, the budget ends it
        self.start = time.perf_counter()
        self.done_steps = 0
        self.stopped = "finished"
        self.wait = 0  # epochs of this session since the last improvement
        self.continue_from(history)

    def continue_from(self, history: dict):
        self.previous = history.get("elapsed", [0.0])[-1] if history.get("elapsed") else 0.0
        self.best = float(np.nanmin(history[self.monitor])) if finite(history.get(self.monitor)) else np.inf

    def elapsed(self):
        return time.perf_counter() - self.start

    def batch_seconds(self) -> float:
        """A batch's time, smoothed: the first batches (graph building) are left out, then a
        moving average follows the measured times, so the ETA neither starts absurd nor jumps."""
        now = time.perf_counter()
        last, self.last_batch = getattr(self, "last_batch", None), now
        if last is None or self.done_steps <= 2:
            return getattr(self, "smoothed", None) or self.elapsed() / self.done_steps
        took = now - last
        self.smoothed = took if getattr(self, "smoothed", None) is None else 0.9 * self.smoothed + 0.1 * took
        return self.smoothed

    def eta(self) -> float:
        """Seconds left: the batches left at the smoothed pace, never past the time budget."""
        total = (self.epochs - self.initial_epoch) * self.steps
        eta = self.batch_seconds() * (total - self.done_steps)
        if self.max_seconds:
            eta = min(eta, max(0.0, self.max_seconds - self.elapsed()))
        return eta

    def report(self, **event):
        if self.progress:
            self.progress({"elapsed": self.previous + self.elapsed(), **event})

    def stop_if_asked_or_late(self) -> None:
        """A stop request or the end of the time budget stops training after this batch, on every
        machine at once."""
        asked, late = self.agree(self.stop_event is not None and self.stop_event.is_set(),
                                 bool(self.max_seconds) and self.elapsed() >= self.max_seconds)
        if asked:
            self.stopped, self.model.stop_training = "stop requested", True
        elif late:
            self.stopped, self.model.stop_training = "time budget", True

    def on_train_batch_end(self, batch, logs=None):
        if not self.done_steps:  # the budget counts from the first batch: reading and building are free
            self.start = time.perf_counter()
        self.done_steps += 1
        self.report(event="batch", epoch=self.epoch + 1, epochs=self.shown_epochs, step=batch + 1, steps=self.steps,
                    eta=self.eta(), **{k: float(v) for k, v in (logs or {}).items()})
        self.stop_if_asked_or_late()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        if len(self.history.get("loss", [])) > epoch:  # BackupAndRestore went back: later epochs are trained again
            for values in self.history.values():
                del values[epoch:]
            self.continue_from(self.history)

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.history.setdefault("elapsed", []).append(self.previous + self.elapsed())
        improved = logs.get(self.monitor, np.inf) < self.best
        if improved:
            self.best, self.wait = logs[self.monitor], 0
            save_model(self.model, self.run_path / "model.keras")
        else:
            self.wait += 1
            if self.patience and self.wait >= self.patience and self.stopped == "finished":
                self.stopped, self.model.stop_training = "early stopping", True
        write_json(self.run_path / "history.json", self.history)
        self.report(event="epoch", epoch=epoch + 1, epochs=self.shown_epochs, improved=improved, **logs)
