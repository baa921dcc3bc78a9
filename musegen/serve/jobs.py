"""Training jobs that outlive a page: a registry, a queue, worker processes, state a restart finds.

The app submits a training here and paints :func:`get` snapshots; clicks, page switches and
reloads only change what is painted, never the training. One registry per server process (all
sessions share it), guarded by one lock:

- ``submit`` queues a job; at most ``AppLimits.max_concurrent_trainings`` run at once, the others
  wait and know their place. Each running job is a worker process (``worker.py``: TensorFlow lives
  there, never in the server) watched by a thread here that applies its progress events.
- A job trains into ``<runs>/.training/<name>`` and is moved to its final folder when it ends, so
  the run library never lists a half-trained run.
- A worker that dies without a word (killed, out of memory, a crash in native code) leaves its
  best checkpoint: the job becomes *interrupted*, the checkpoint a run that Resume continues.
- With a store (``jobstore.py``, SQLite) the jobs' state survives the server: after a restart the
  trainings that were running show as interrupted, their checkpoints kept the same way.

Why one ``multiprocessing`` process per job and not a ``ProcessPoolExecutor``: when one of a
pool's workers dies, the executor breaks and fails every pending job with it; here a dead worker
fails only its own job, and Stop or a kill reaches exactly one training.
"""
from __future__ import annotations

import atexit
import copy
import logging
import multiprocessing
import os
import queue
import secrets
import shutil
import signal
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ..config import AppLimits, RunConfig, from_dict, to_dict
from ..errors import InputError
from ..messages import Message, from_json, joined, msg, plural, stop_message
from ..units import format_duration as format_seconds  # noqa: F401  (its old name here: tests/test_jobs.py)

log = logging.getLogger(__name__)

STATES = ("queued", "running", "finished", "stopped", "failed", "interrupted")
BATCH_POINT_SECONDS = 0.5  # keep one batch-loss point per half second for the live chart
STAGING = ".training"
STORE = ".jobs.sqlite"  # in the runs folder
CANNOT_TRAIN = msg("said.cannot_train")
KEEP_ENDED = 50  # ended jobs remembered
RESUMING = ".resuming"  # in a run being resumed: the id of the job that will replace it
STOP_GRACE_SECONDS = 20.0  # a worker still busy this long after Stop is killed (its checkpoint is kept)
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


class Registry:
    """The jobs of one server. Tests make their own; the app uses the module's singleton.

    store: a SQLite file the jobs' state is kept in (None: memory only, for tests and the CLI).
    """

    def __init__(self, limits: AppLimits | None = None, samples: bool = True, store=None):
        from .jobstore import JobStore

        self.limits = limits or AppLimits.from_env()
        self.samples = samples
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._queue: list[str] = []
        self._asked: dict[str, threading.Event] = {}  # Stop pressed
        self._pieces: dict[str, object] = {}
        self._workers: dict[str, tuple] = {}  # job id → (process, its stop event)
        self._threads: dict[str, threading.Thread] = {}
        self._last_point: dict[str, float] = {}
        self._store = None
        self.cannot_write = False  # the runs folder refused the store: nothing could be trained into it
        if store is not None:
            try:
                self._store = JobStore(store)
            except (OSError, sqlite3.Error) as e:
                log.warning("the jobs' store %s cannot be opened (%s): trainings are refused", store, e)
                self.cannot_write = True
        if self._store is not None:
            self._restore()
        _LIVE.add(self)

    # ---------------------------------------------------------------- public

    def submit(self, config: RunConfig, out, pieces=None, owner: str = "") -> str:
        """Queue a training of `config` into folder `out` (made unique if taken); returns its id.

        pieces: a sources.LoadResult already loaded (uploads), else config.data.dataset is read.
        The app's time cap is applied to config.train.max_seconds.
        """
        out = Path(out)
        config = self.capped(config)
        with self._lock:
            self._check_writable()
            self._check_quota(owner)
            self._check_room(owner, out.parent)
            out = self._unique(out)
            return self._enqueue(Job(self._new_id(out.name), out.name, config, out, owner=owner), pieces)

    def resume(self, job_id: str, owner: str | None = None) -> str:
        """Continue an interrupted job's run from its checkpoint for the epochs it had left."""
        with self._lock:
            job = self._owned(job_id, owner)
            self._check_writable()
            self._check_quota(job.owner)
            if not job.resumable or not (job.run_path / "model.keras").is_file():
                raise InputError(msg("said.no_checkpoint", name=job.name))
            from .disk import size_of

            self._check_room(job.owner, job.run_path.parent, size_of(job.run_path))  # its copy while it trains
            done = len(job.history.get("loss", []))
            planned = job.config.train.epochs
            left = max(1, planned - done) if planned else 0  # 0: no count, the time budget ends it
            config = self.capped(replace(job.config, train=replace(job.config.train, epochs=left)))
            resumed = Job(self._new_id(job.run_path.name), job.run_path.name, config, job.run_path, owner=job.owner,
                          resume=True, history=copy.deepcopy(job.history))
            job.message = plural("said.resumed", left, n=left) if left else msg("said.resumed_open")
            job.state, job.run_path = "stopped", None  # the run now belongs to the resumed job
            self._save(job)
            return self._enqueue(resumed, None)

    def _enqueue(self, job: Job, pieces) -> str:
        self._jobs[job.id] = job
        self._asked[job.id] = threading.Event()
        self._pieces[job.id] = pieces
        self._queue.append(job.id)
        self._save(job)
        self._schedule()
        self._forget_old()
        return job.id

    def _check_writable(self) -> None:
        if self.cannot_write:
            raise InputError(CANNOT_TRAIN)

    def _check_quota(self, owner: str) -> None:
        """A visitor may have max_trainings_per_visitor trainings running or waiting (Train both
        counts as two), so one person cannot fill the queue of a shared server."""
        cap = self.limits.max_trainings_per_visitor
        if owner and sum(1 for j in self._jobs.values() if j.owner == owner and j.active) >= cap:
            raise InputError(msg("said.quota" if cap != 1 else "said.quota_1", cap=cap))

    def _check_room(self, owner: str, folder: Path, adding: int = 0) -> None:
        """A visitor's new training is refused while what all visitors store fills the disk budget."""
        if owner:
            from .disk import check_room

            check_room(folder, self.limits.max_runs_mb, adding)

    def _evict_old_runs(self, job: Job) -> list[Message]:
        """Past max_runs_per_visitor, the visitor's oldest runs go; past max_runs_mb (everything
        visitors store), the least recently used of this visitor's runs, never another visitor's.
        Never the one just made, nor one still training. Returns the notices for the visitor."""
        from . import disk

        if not job.owner or job.run_path is None or not disk.is_visitors(job.run_path.parent):
            return []
        from ..runs import delete_run, list_runs

        disk.touch(job.run_path)
        folder = job.run_path.parent  # <runs>/visitors/<owner>
        mine = [r for r in list_runs(folder) if r.path != job.run_path]
        over = mine[self.limits.max_runs_per_visitor - 1:]  # newest first: keep the newest cap - 1
        for run in over:
            delete_run(run.path)
        busy = [j.out for j in self._jobs.values() if j.active] + [job.run_path]
        spilled = disk.enforce(disk.runs_in(folder), self.limits.max_runs_mb * 1_000_000, protect=busy,
                               total=disk.stored(folder))
        notices = []
        if over:
            notices.append(msg("said.evicted", n=self.limits.max_runs_per_visitor,
                               names=", ".join(r.name for r in over)))
        if spilled:
            notices.append(msg("said.disk_full", mb=f"{self.limits.max_runs_mb:,}", n=len(spilled)))
        return notices

    @staticmethod
    def _new_id(name: str) -> str:
        return f"{secrets.token_hex(4)}-{name}"  # not guessable: an id in an address is no key to a job

    def _forget_old(self) -> None:
        """Keep the newest KEEP_ENDED ended jobs (their samples cost memory on a shared server)."""
        ended = [j for j in self._jobs.values() if not j.active and not j.sampling]
        old = ended[: max(0, len(ended) - KEEP_ENDED)]
        for job in old:
            for table in (self._jobs, self._asked, self._threads, self._last_point, self._workers):
                table.pop(job.id, None)
        if old and self._store is not None:
            self._store.forget([j.id for j in old])

    def capped(self, config: RunConfig) -> RunConfig:
        cap = self.limits.max_training_seconds
        budget = config.train.max_seconds
        if cap and (not budget or budget > cap):
            config = replace(config, train=replace(config.train, max_seconds=cap))
        return config

    def stop(self, job_id: str, owner: str | None = None) -> None:
        """Ask a job to stop: a queued one leaves the queue, a running one ends after this batch
        (its best checkpoint is kept as a run). owner: who asks (None = anyone: the operator, tests)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            self._owned(job_id, owner)
            self._asked[job_id].set()
            if job.state == "queued":
                self._queue.remove(job_id)
                job.state, job.ended, job.message = "stopped", time.time(), msg("said.stopped_queued")
                self._pieces.pop(job_id, None)
                self._number_queue()
                self._save(job)
            elif job.state == "running":
                if job_id in self._workers:
                    self._workers[job_id][1].set()
                job.message = msg("said.stopping")

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return copy.deepcopy(job) if job is not None else None

    def list_jobs(self, owner: str | None = None) -> list[Job]:
        """The jobs, newest first: everyone's (owner None), or one visitor's."""
        with self._lock:
            return [copy.deepcopy(j) for j in reversed(self._jobs.values()) if owner is None or j.owner == owner]

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has ended and its last sample is written (tests, the CLI)."""
        deadline = None if timeout is None else time.time() + timeout
        while True:
            job = self.get(job_id)
            if job is None or (not job.active and not job.sampling):
                return job
            if deadline is not None and time.time() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout} s")
            time.sleep(0.1)

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop every job and wait for its worker; one still busy at the deadline is killed (its
        checkpoint is kept for the next server)."""
        with self._lock:
            job_ids = [i for i, j in self._jobs.items() if j.active]
        for job_id in job_ids:
            self.stop(job_id)
        deadline = time.time() + timeout
        for job_id in job_ids:
            try:
                self.wait(job_id, timeout=max(0.0, deadline - time.time()))
            except TimeoutError:
                with self._lock:
                    process = self._workers.get(job_id, (None,))[0]
                if process is not None and process.is_alive():
                    process.kill()

    def _owned(self, job_id: str, owner: str | None) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise InputError(msg("said.no_such_job"))
        if owner is not None and job.owner != owner:
            raise InputError(msg("said.not_your_job"))
        return job

    # ---------------------------------------------------------------- the store

    def _save(self, job: Job) -> None:
        if self._store is not None:
            self._store.save(job.row())

    def _restore(self) -> None:
        """The jobs a previous server left: the ones it was running or queueing are interrupted."""
        for row in self._store.load():
            try:
                job = Job.from_row(row)
            except (KeyError, TypeError, ValueError):
                continue  # a row from an older layout: nothing a person could act on
            self._jobs[job.id] = job
            if job.state == "queued":
                job.state, job.place, job.ended = "stopped", 0, time.time()
                job.message = msg("said.restarted")
                self._save(job)
            elif job.state == "running":
                _wait_for_exit(job.worker_pid)
                self._keep_checkpoint(job, msg("said.server_stopped"))
                self._save(job)
        self._forget_old()

    # ---------------------------------------------------------------- scheduling

    def _unique(self, out: Path) -> Path:
        taken = {j.out for j in self._jobs.values() if j.active}
        candidate, n = out, 1
        while candidate.exists() or candidate in taken or self._staging(candidate).exists():
            n += 1
            candidate = out.with_name(f"{out.name}-{n}")
        return candidate

    @staticmethod
    def _staging(out: Path) -> Path:
        return out.parent / STAGING / out.name

    def _number_queue(self) -> None:
        for place, job_id in enumerate(self._queue, start=1):
            self._jobs[job_id].place = place
            self._jobs[job_id].message = msg("said.next") if place == 1 else msg("said.ahead", n=place - 1)

    def _schedule(self) -> None:
        running = sum(1 for j in self._jobs.values() if j.state == "running")
        while self._queue and running < max(1, self.limits.max_concurrent_trainings):
            job_id = self._queue.pop(0)
            job = self._jobs[job_id]
            job.state, job.place, job.started, job.message = "running", 0, time.time(), msg("said.starting")
            self._save(job)
            thread = threading.Thread(target=self._run, args=(job_id,), name=f"musegen-job-{job_id}", daemon=True)
            self._threads[job_id] = thread
            thread.start()
            running += 1
        self._number_queue()

    # ---------------------------------------------------------------- one job

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
        self._settle(job_id, end, process.exitcode if process is not None else None, staging)

    def _listen(self, job_id: str, process, events, asked: threading.Event):
        """Apply the worker's messages until it has exited and said everything; kill it when it
        ignores Stop for STOP_GRACE_SECONDS. Returns its end message (None: it died silently)."""
        end, asked_at = None, None
        while True:
            try:
                kind, payload = events.get(timeout=0.25)
            except queue.Empty:
                if not process.is_alive():
                    break
                if asked.is_set():
                    asked_at = asked_at or time.time()
                    if time.time() - asked_at > STOP_GRACE_SECONDS:
                        process.kill()
                continue
            except (EOFError, OSError, ValueError):  # a message cut off by the worker's death
                break
            if kind == "event":
                self._on_event(job_id, payload)
            elif kind == "sample":
                self._on_sample(job_id, payload)
            elif kind == "end":
                end = payload
        process.join(10)
        return end

    def _settle(self, job_id: str, end, exitcode, staging: Path) -> None:
        with self._lock:
            job = self._jobs[job_id]
            try:
                self._record_end(job, end, exitcode, staging)
            except Exception as e:  # noqa: BLE001 — e.g. the disk is full: say so, never leave it "running"
                job.state, job.error, job.message = "failed", msg("said.not_kept", error=str(e)), msg("said.failed")
            job.ended, job.eta, job.sampling, job.worker_pid = time.time(), 0.0, False, None
            self._workers.pop(job_id, None)
            self._save(job)
            self._schedule()

    def _record_end(self, job: Job, end, exitcode, staging: Path) -> None:
        """How the job ended, from its worker's last message (None: it died without one)."""
        how, detail = end if end else (None, None)
        if how == "finished":
            moved = self._publish(job, staging)
            job.stopped_by = detail["stopped"]
            job.state = "stopped" if job.stopped_by == "stop requested" else "finished"
            reason = stop_message(detail["stop"]) if detail.get("stop") else detail.get("reason", "")
            job.message = joined(_ending(job), reason, moved, *self._evict_old_runs(job))
        elif how == "stopped early":  # Stop pressed while the music was read: nothing to keep
            shutil.rmtree(staging, ignore_errors=True)
            job.state, job.stopped_by, job.message = "stopped", "stop requested", detail
        elif how == "failed":
            shutil.rmtree(staging, ignore_errors=True)
            job.state, job.error, job.message = "failed", detail, msg("said.failed")
        else:
            self._keep_checkpoint(job, _exit_message(exitcode))

    def _publish(self, job: Job, staging: Path) -> Message | None:
        """Move the trained folder to its place; returns a notice when that is not where it was meant
        to go. A resumed job replaces the run it continued, and only that run (the job's id in it
        says which): renaming stays allowed while it trains, so another run may have taken its name
        meanwhile; that one is never deleted, the resumed run takes a free name beside it and the
        notice says so (the run it continued, renamed away, keeps its new name as it was). A new
        job never overwrites either: a run renamed to its name meanwhile keeps it."""
        from ..runs import clean_leftovers

        clean_leftovers(staging, older_than=0)  # its worker has exited: a half-written checkpoint is no use
        out = job.out
        if job.resume and _resumed_by(out) == job.id:  # the very run it continued (or renamed back)
            old = staging.with_name(f"{staging.name}.replaced")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            if out.exists():
                out = job.out = self._unique(out)
            out.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(out)
        job.run_path = out
        if job.resume and out.name != job.name:
            return msg("said.resumed_elsewhere", old=job.name, new=out.name)
        return None

    def _keep_checkpoint(self, job: Job, why: Message) -> None:
        """The worker (or the server) died mid-training: keep the best checkpoint as a run that
        Resume continues; only the epoch in progress is lost."""
        from ..runs import Run
        from ..train.fit import checkpoint_summary

        staging = self._staging(job.out)
        job.ended, job.place = time.time(), 0
        if not (staging / "model.keras").is_file():
            shutil.rmtree(staging, ignore_errors=True)
            job.state, job.error, job.message = "failed", joined(why, msg("said.nothing_kept")), msg("said.failed")
            if job.resume:
                job.run_path = job.out  # the run it continued is untouched
            return
        try:
            summary = checkpoint_summary(staging)
        except Exception as e:  # noqa: BLE001 — a checkpoint cut in half: say so, keep nothing broken
            shutil.rmtree(staging, ignore_errors=True)
            job.state, job.error, job.message = ("failed", joined(why, msg("said.checkpoint_unreadable", error=str(e))),
                                                 msg("said.failed"))
            return
        moved = self._publish(job, staging)
        job.state, job.stopped_by = "interrupted", "interrupted"
        job.history = Run.load(job.run_path).history or job.history  # the epochs the files say, not the events
        job.message = joined(why, stop_message(summary["stop"]), moved)

    def _on_event(self, job_id: str, event: dict) -> None:
        with self._lock:
            job = self._jobs[job_id]
            kind = event.get("event")
            if kind == "status":
                job.message = event.get("message", "")  # a Message from train
                job.start = event.get("start") or job.start
                return
            job.progress = dict(event)
            if kind == "batch":
                job.eta = event.get("eta")
                job.message = (msg("said.batch", epoch=event["epoch"], epochs=event["epochs"], step=event["step"],
                                   steps=event["steps"]) if event["epochs"]
                               else msg("said.batch_open", epoch=event["epoch"], step=event["step"], steps=event["steps"]))
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
                job.message = (msg("said.epoch_done", epoch=event["epoch"], epochs=event["epochs"]) if event["epochs"]
                               else msg("said.epoch_done_open", epoch=event["epoch"]))
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


def _resumed_by(run: Path) -> str:
    try:
        return (run / RESUMING).read_text()
    except OSError:
        return ""


def _wait_for_exit(pid: int | None, timeout: float = 10.0) -> None:
    """A worker of the previous server notices it is orphaned and stops at its next batch; give it
    that long, then kill it, so its checkpoint is not read while it writes."""
    if not pid:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _exit_message(exitcode: int | None) -> Message:
    """Why a worker ended without its last message: its exit code, or the signal that killed it."""
    if exitcode is None:
        return msg("said.worker_nostart")
    if exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        return msg("said.worker_oom" if exitcode == -signal.SIGKILL else "said.worker_killed", signal=name)
    return msg("said.worker_exit", code=exitcode)


def _ending(job: Job) -> Message:
    how = {"finished": "said.end_finished", "stop requested": "said.end_stopped", "time budget": "said.end_budget",
           "early stopping": "said.end_early"}
    return msg(how.get(job.stopped_by, "said.end_other"))


# ---------------------------------------------------------------- the process-wide registry

_LIVE: "weakref.WeakSet[Registry]" = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    for registry_ in list(_LIVE):
        registry_.shutdown()


_registry: Registry | None = None
_registry_lock = threading.Lock()


def registry() -> Registry:
    """The server's registry; its jobs' state is kept beside the runs (``<runs>/.jobs.sqlite``)."""
    global _registry
    with _registry_lock:
        if _registry is None:
            from ..paths import runs_dir

            _registry = Registry(store=runs_dir() / STORE)
        return _registry


def submit(config: RunConfig, out, pieces=None, owner: str = "") -> str:
    return registry().submit(config, out, pieces=pieces, owner=owner)


def stop(job_id: str, owner: str | None = None) -> None:
    registry().stop(job_id, owner=owner)


def resume(job_id: str, owner: str | None = None) -> str:
    return registry().resume(job_id, owner=owner)


def get(job_id: str) -> Job | None:
    return registry().get(job_id)


def list_jobs(owner: str | None = None) -> list[Job]:
    return registry().list_jobs(owner=owner)
