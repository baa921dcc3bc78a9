"""Training jobs that outlive a page: a registry, a queue, worker processes, state a restart finds.

The app submits a training here and paints :func:`get` snapshots; clicks, page switches and
reloads only change what is painted, never the training. One registry per server process (all
sessions share it), guarded by one lock:

- ``submit`` queues a job (``job.py``: its record; ``quotas.py``: what one visitor may ask); at
  most ``AppLimits.max_concurrent_trainings`` run at once, the others wait and know their place.
  Each running job is a worker process (``worker.py``: TensorFlow lives there, never in the server)
  watched by a thread that applies its progress events (``supervise.py``).
- A job trains into ``<runs>/.training/<name>`` and is moved to its final folder when it ends, so
  the run library never lists a half-trained run (``publish.py``).
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
import os
import secrets
import signal
import sqlite3
import threading
import time
import weakref
from dataclasses import replace
from pathlib import Path

from ..config import AppLimits, RunConfig
from ..errors import InputError
from ..messages import msg, plural
from .job import Job
from .publish import Publishing
from .quotas import Quotas
from .supervise import Supervising

log = logging.getLogger(__name__)

STORE = ".jobs.sqlite"  # in the runs folder
KEEP_ENDED = 50  # ended jobs remembered


class Registry(Quotas, Publishing, Supervising):
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
                job.stopping, job.message = True, msg("said.stopping")

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

    def _number_queue(self) -> None:
        for place, job_id in enumerate(self._queue, start=1):
            self._jobs[job_id].place = place
            self._jobs[job_id].message = msg("said.next") if place == 1 else plural("said.ahead", place - 1, n=place - 1)

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
