"""The server's side of one training: its worker process started, listened to and settled.

Each running job is a worker process (``worker.py``: TensorFlow lives there, never in the server)
watched by a thread of the registry that applies its progress events to the job and, when it
exits, settles the job (``publish.py`` says where its run goes).

``Supervising`` is a part of ``jobs.Registry``: it reads the registry's ``_lock``, ``_jobs``,
``_pieces``, ``_asked``, ``_workers``, ``_last_point`` and ``samples``, and calls its ``_save`` and
``_schedule``.
"""
from __future__ import annotations

import multiprocessing
import queue
import shutil
import threading
import time
from pathlib import Path

from ..messages import msg
from .publish import RESUMING

BATCH_POINT_SECONDS = 0.5  # keep one batch-loss point per half second for the live chart
STOP_GRACE_SECONDS = 20.0  # a worker still busy this long after Stop is killed (its checkpoint is kept)
LISTEN_SECONDS = 0.1  # how often a quiet worker is looked at: its end is noticed within this
EXIT_SECONDS = 10.0  # a worker's exit after its last word, waited for before the next training starts


class Supervising:
    """One job's worker, from its start to the job's end (a mixin of ``jobs.Registry``)."""

    def _run(self, job_id: str) -> None:
        """Start the job's worker, apply what it says until it exits, then settle the job."""
        from . import spawned, worker

        with self._lock:
            job = self._jobs[job_id]
            config, pieces, asked = job.config, self._pieces.pop(job_id, None), self._asked[job_id]
        staging = self._staging(job.out)
        end, process = None, None
        try:
            shutil.rmtree(staging, ignore_errors=True)
            if job.resume:
                shutil.copytree(job.out, staging)  # the run stays whole until the resumed one is done
                (job.out / RESUMING).write_text(job.id)  # its identity: a rename carries it along
            context = multiprocessing.get_context("spawn")  # a fresh interpreter: no server threads, no locks
            events, stop = context.Queue(), context.Event()
            # Not a daemon: a worker parses files in a process pool of its own.
            process = context.Process(target=worker.main, name=f"musegen-train-{job.name}",
                                      args=(config, staging, pieces, events, stop, self.samples, job.resume))
            spawned.start(process)  # never the app's script again: worker.main needs only musegen
            with self._lock:
                self._workers[job_id] = (process, stop)
                job.worker_pid = process.pid
                self._save(job)
                if asked.is_set():
                    stop.set()
            end = self._listen(job_id, process, events, asked)
        except Exception as e:  # noqa: BLE001 — the server goes on; the person sees why
            end = ("failed", msg("said.could_not_start", error=f"{type(e).__name__}: {e}"))
        if end is None and process is not None:
            process.join(EXIT_SECONDS)  # it died without a word: its exit code says how
        self._settle(job_id, end, process.exitcode if process is not None else None, staging)
        if process is not None:  # what it said is settled: now its exit (TensorFlow takes seconds to tear down)
            process.join(EXIT_SECONDS)
        with self._lock:  # its memory is free before the next training starts
            self._workers.pop(job_id, None)
            self._schedule()

    def _listen(self, job_id: str, process, events, asked: threading.Event):
        """Apply the worker's messages until its last (its end) or its death; kill it when it
        ignores Stop for STOP_GRACE_SECONDS. Returns its end message (None: it died silently)."""
        asked_at = None
        while True:
            if asked.is_set():  # checked at every message too: a worker that ignores Stop still talks
                asked_at = asked_at or time.monotonic()
                if time.monotonic() - asked_at > STOP_GRACE_SECONDS and process.is_alive():
                    process.kill()
            try:
                kind, payload = events.get(timeout=LISTEN_SECONDS)
            except queue.Empty:
                if not process.is_alive():
                    break
                continue
            except (EOFError, OSError, ValueError):  # a message cut off by the worker's death
                break
            if kind == "event":
                self._on_event(job_id, payload)
            elif kind == "sample":
                self._on_sample(job_id, payload)
            elif kind == "end":
                return payload  # its last word: the job is settled without waiting for its exit
        return None

    def _settle(self, job_id: str, end, exitcode, staging: Path) -> None:
        with self._lock:
            job = self._jobs[job_id]
            try:
                self._record_end(job, end, exitcode, staging)
            except Exception as e:  # noqa: BLE001 — e.g. the disk is full: say so, never leave it "running"
                job.state, job.error, job.message = "failed", msg("said.not_kept", error=str(e)), msg("said.failed")
            job.ended, job.eta, job.sampling, job.worker_pid = time.time(), 0.0, False, None
            self._save(job)

    def _on_event(self, job_id: str, event: dict) -> None:
        with self._lock:
            job = self._jobs[job_id]
            kind = event.get("event")
            if not job.stopping:  # "Stopping…" stays until it has ended
                job.message = _said(event) or job.message
            if kind == "status":
                job.start = event.get("start") or job.start
                return
            job.progress = dict(event)
            if kind == "batch":
                job.eta = event.get("eta")
                b = job.batches
                x = event["epoch"] - 1 + event["step"] / max(1, event["steps"])
                elapsed = event.get("elapsed", 0.0)
                if elapsed - self._last_point.get(job_id, -1e9) >= BATCH_POINT_SECONDS or event["step"] == event["steps"]:
                    b["epoch"].append(x)
                    b["loss"].append(event.get("loss"))
                    b["accuracy"].append(event.get("accuracy"))
                    self._last_point[job_id] = elapsed
            elif kind == "epoch":
                for key in ("loss", "val_loss", "accuracy", "val_accuracy", "elapsed"):
                    if key in event:
                        job.history.setdefault(key, []).append(float(event[key]))
                job.sampling = self.samples
                self._save(job)

    def _on_sample(self, job_id: str, sample: dict) -> None:
        with self._lock:
            job = self._jobs[job_id]
            if "midi" in sample:
                job.sample_midi, job.sample_audio, job.sample_epoch = sample["midi"], sample["audio"], sample["epoch"]
            if "note" in sample:
                job.sample_note = sample["note"]
            job.sampling = False


def _said(event: dict):
    """What the page says of a training at this event: train's own words, the batch or the epoch."""
    kind = event.get("event")
    if kind == "status":
        return event.get("message", "")  # a Message from train
    if kind == "batch":
        where = dict(epoch=event["epoch"], step=event["step"], steps=event["steps"])
        return msg("said.batch", epochs=event["epochs"], **where) if event["epochs"] else msg("said.batch_open", **where)
    if kind == "epoch":
        return (msg("said.epoch_done", epoch=event["epoch"], epochs=event["epochs"]) if event["epochs"]
                else msg("said.epoch_done_open", epoch=event["epoch"]))
    return None
