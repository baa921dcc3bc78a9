"""Training jobs that outlive a page: a process-wide registry, a queue, live progress, samples.

The app submits a training here and paints :func:`get` snapshots; clicks, page switches and
reloads only change what is painted, never the training. One registry per process (all
sessions of a Streamlit server share it), guarded by one lock:

- ``submit`` queues a job; at most ``AppLimits.max_concurrent_trainings`` run at once, the others
  wait and know their place. Each running job is a daemon thread calling ``train.train``.
- A job trains into ``<runs>/.training/<name>`` and is moved to its final folder when it ends, so
  the run library never lists a half-trained run.
- After each epoch a sampler thread writes a short piece from the newest checkpoint and renders
  it to OGG (best-effort: skipped when audio is unavailable; it never slows or fails training).
"""
from __future__ import annotations

import atexit
import copy
import itertools
import shutil
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import AppLimits, RunConfig, SampleConfig
from .errors import MusegenError, StoppedEarly

STATES = ("queued", "running", "finished", "stopped", "failed")
SAMPLE = SampleConfig(seconds=8.0, temperature=1.0, top_p=0.95, primer="random", primer_tokens=32)
BATCH_POINT_SECONDS = 0.5  # keep one batch-loss point per half second for the live chart
STAGING = ".training"
KEEP_ENDED = 50  # ended jobs remembered per process


@dataclass
class Job:
    """A snapshot of one training (``get`` returns copies: read them freely)."""

    id: str
    name: str
    config: RunConfig
    out: Path  # where the finished run will be
    state: str = "queued"
    place: int = 0  # 1-based place in the queue while queued, else 0
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    message: str = "Waiting for a free slot…"
    progress: dict = field(default_factory=dict)  # the latest batch or epoch event
    history: dict = field(default_factory=dict)  # per epoch: loss, val_loss, accuracy, val_accuracy, elapsed
    batches: dict = field(default_factory=lambda: {"epoch": [], "loss": [], "accuracy": []})  # x = fractional epoch
    eta: float | None = None
    error: str = ""
    run_path: Path | None = None  # the finished (or stopped) run folder
    stopped_by: str = ""  # finished | stop requested | time budget | early stopping
    sample_audio: bytes | None = None  # OGG of the latest per-epoch sample
    sample_midi: bytes | None = None
    sample_epoch: int = 0
    sample_note: str = ""  # why there is no sample audio (e.g. FluidSynth missing)
    sampling: bool = False  # a per-epoch sample is pending or being written

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def fraction(self) -> float:
        """0…1 through the planned epochs (or the time budget, whichever is nearer its end)."""
        if self.state == "finished":
            return 1.0
        p = self.progress
        if not p.get("epochs"):
            return 0.0
        done = (p.get("epoch", 1) - 1 + p.get("step", 0) / max(1, p.get("steps", 1))) if p.get("event") == "batch" \
            else p.get("epoch", 0)
        by_epochs = done / p["epochs"]
        budget = self.config.train.max_seconds
        by_time = p.get("elapsed", 0.0) / budget if budget else 0.0
        return float(min(1.0, max(by_epochs, by_time)))


class Registry:
    """The jobs of one process. Tests make their own; the app uses the module's singleton."""

    def __init__(self, limits: AppLimits | None = None, samples: bool = True):
        self.limits = limits or AppLimits.from_env()
        self.samples = samples
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._queue: list[str] = []
        self._stops: dict[str, threading.Event] = {}
        self._pieces: dict[str, object] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._wake: dict[str, threading.Event] = {}
        self._last_point: dict[str, float] = {}
        self._ids = itertools.count(1)
        _LIVE.add(self)

    # ---------------------------------------------------------------- public

    def submit(self, config: RunConfig, out, pieces=None) -> str:
        """Queue a training of `config` into folder `out` (made unique if taken); returns its id.

        pieces: a sources.LoadResult already loaded (uploads), else config.data.dataset is read.
        The app's time cap is applied to config.train.max_seconds.
        """
        out = Path(out)
        config = self.capped(config)
        with self._lock:
            out = self._unique(out)
            job_id = f"{next(self._ids)}-{out.name}"
            self._jobs[job_id] = Job(job_id, out.name, config, out)
            self._stops[job_id] = threading.Event()
            self._pieces[job_id] = pieces
            self._queue.append(job_id)
            self._schedule()
            self._forget_old()
        return job_id

    def _forget_old(self) -> None:
        """Keep the newest KEEP_ENDED ended jobs (their samples cost memory on a shared server)."""
        ended = [j for j in self._jobs.values() if not j.active and not j.sampling]
        for job in ended[: max(0, len(ended) - KEEP_ENDED)]:
            for table in (self._jobs, self._stops, self._threads, self._last_point):
                table.pop(job.id, None)

    def capped(self, config: RunConfig) -> RunConfig:
        cap = self.limits.max_training_seconds
        budget = config.train.max_seconds
        if cap and (not budget or budget > cap):
            config = replace(config, train=replace(config.train, max_seconds=cap))
        return config

    def stop(self, job_id: str) -> None:
        """Ask a job to stop: a queued one leaves the queue, a running one ends after this batch
        (its best checkpoint is kept as a run)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            self._stops[job_id].set()
            if job.state == "queued":
                self._queue.remove(job_id)
                job.state, job.ended, job.message = "stopped", time.time(), "Stopped before it started."
                self._pieces.pop(job_id, None)
                self._number_queue()
            elif job.state == "running":
                job.message = "Stopping after this batch…"

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return copy.deepcopy(job) if job is not None else None

    def list_jobs(self) -> list[Job]:
        """Every job of this process, newest first."""
        with self._lock:
            return [copy.deepcopy(j) for j in reversed(self._jobs.values())]

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
        """Stop every job and wait for its threads: TensorFlow aborts the whole process if a
        thread is still inside it when the interpreter exits."""
        with self._lock:
            job_ids = list(self._jobs)
        for job_id in job_ids:
            self.stop(job_id)
        deadline = time.time() + timeout
        for job_id in job_ids:
            try:
                self.wait(job_id, timeout=max(0.0, deadline - time.time()))
            except TimeoutError:
                pass

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
            self._jobs[job_id].message = (
                "Waiting for a free slot: you are next." if place == 1
                else f"Waiting for a free slot: {place - 1} training(s) ahead of you.")

    def _schedule(self) -> None:
        running = sum(1 for j in self._jobs.values() if j.state == "running")
        while self._queue and running < max(1, self.limits.max_concurrent_trainings):
            job_id = self._queue.pop(0)
            job = self._jobs[job_id]
            job.state, job.place, job.started, job.message = "running", 0, time.time(), "Starting…"
            thread = threading.Thread(target=self._run, args=(job_id,), name=f"musegen-train-{job_id}", daemon=True)
            self._threads[job_id] = thread
            thread.start()
            running += 1
        self._number_queue()

    # ---------------------------------------------------------------- one job

    def _run(self, job_id: str) -> None:
        from .train import train

        with self._lock:
            job = self._jobs[job_id]
            config, out, pieces, stop = job.config, job.out, self._pieces.pop(job_id, None), self._stops[job_id]
        staging = self._staging(out)
        sampler = None
        if self.samples:
            self._wake[job_id] = threading.Event()
            sampler = threading.Thread(target=self._sample_loop, args=(job_id, staging), daemon=True,
                                       name=f"musegen-sample-{job_id}")
            sampler.start()
        try:
            shutil.rmtree(staging, ignore_errors=True)
            run = train(config, staging, pieces=pieces, progress=lambda e: self._on_event(job_id, e), stop=stop)
            out.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                if out.exists():  # a run was renamed to this name meanwhile: never lose the new model
                    out = job.out = self._unique(out)
                staging.rename(out)
                job.run_path, job.stopped_by = out, run.summary.get("stopped", "finished")
                job.state = "stopped" if job.stopped_by == "stop requested" else "finished"
                job.message = f"{_ending(job)} {run.summary.get('stop_reason', '')}".strip()
        except StoppedEarly as e:  # Stop pressed while the music was being read: nothing to keep
            shutil.rmtree(staging, ignore_errors=True)
            with self._lock:
                job.state, job.stopped_by, job.message = "stopped", "stop requested", str(e)
        except MusegenError as e:
            self._fail(job_id, str(e), staging)
        except Exception as e:  # noqa: BLE001 — a bug must not kill the server, and the user must see it
            traceback.print_exc()
            self._fail(job_id, f"Training failed unexpectedly ({type(e).__name__}: {e}).", staging)
        finally:
            with self._lock:
                job.ended, job.eta = time.time(), 0.0
                if job_id in self._wake:
                    self._wake[job_id].set()
                self._schedule()

    def _fail(self, job_id: str, message: str, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)
        with self._lock:
            job = self._jobs[job_id]
            job.state, job.error, job.message = "failed", message, "Training failed."

    def _on_event(self, job_id: str, event: dict) -> None:
        with self._lock:
            job = self._jobs[job_id]
            kind = event.get("event")
            if kind == "status":
                job.message = event.get("message", "")
                return
            job.progress = dict(event)
            if kind == "batch":
                job.eta = event.get("eta")
                job.message = (f"Epoch {event['epoch']}/{event['epochs']}, "
                               f"batch {event['step']}/{event['steps']}")
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
                job.message = f"Epoch {event['epoch']}/{event['epochs']} done"
                if self.samples and job_id in self._wake:
                    job.sampling = True
                    self._wake[job_id].set()

    # ---------------------------------------------------------------- per-epoch samples

    def _sample_loop(self, job_id: str, staging: Path) -> None:
        """Write a sample whenever an epoch ended (coalescing: only the newest checkpoint counts)."""
        from .audio import check_audio

        wake = self._wake[job_id]
        last_mtime = None
        while True:
            wake.wait()
            wake.clear()
            with self._lock:
                job = self._jobs[job_id]
                ended, epoch = not job.active, len(job.history.get("loss", []))
                path = job.run_path or staging
            try:
                model_file = path / "model.keras"
                mtime = model_file.stat().st_mtime if model_file.is_file() else None
                if mtime is not None and mtime != last_mtime:
                    last_mtime = mtime
                    midi, audio, note = self._sample(path, epoch, check_audio())
                    with self._lock:
                        job.sample_midi, job.sample_audio, job.sample_note, job.sample_epoch = midi, audio, note, epoch
            except Exception as e:  # noqa: BLE001 — samples are a bonus; training goes on regardless
                with self._lock:
                    job.sample_note = f"No sample this epoch ({type(e).__name__}: {e})."
            with self._lock:
                if not wake.is_set():
                    job.sampling = False
                if ended and not wake.is_set():
                    job.sampling = False
                    self._wake.pop(job_id, None)
                    return

    @staticmethod
    def _sample(path: Path, epoch: int, audio_problem: str | None):
        from .midi import piece_to_midi_bytes
        from .runs import Run
        from .sample import Composer

        composition = Composer(Run.load(path)).compose(replace(SAMPLE, seed=epoch))
        midi = piece_to_midi_bytes(composition.pieces[0])
        if audio_problem:
            return midi, None, f"No audio preview: {audio_problem}"
        from .audio import render_bytes

        return midi, render_bytes(midi, fmt="ogg", max_seconds=SAMPLE.seconds + 2), ""


def _ending(job: Job) -> str:
    how = {"finished": "Training finished.", "stop requested": "Stopped: the best checkpoint so far was kept.",
           "time budget": "The time budget ran out: the best checkpoint so far was kept.",
           "early stopping": "Early stopping: validation loss stopped improving."}
    return how.get(job.stopped_by, "Training ended.")


def format_seconds(seconds: float | None) -> str:
    """'1 min 05 s' style, for ETAs."""
    if seconds is None:
        return "…"
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


# ---------------------------------------------------------------- the process-wide registry

_LIVE: "weakref.WeakSet[Registry]" = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    for registry_ in list(_LIVE):
        registry_.shutdown()


_registry: Registry | None = None
_registry_lock = threading.Lock()


def registry() -> Registry:
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = Registry()
        return _registry


def submit(config: RunConfig, out, pieces=None) -> str:
    return registry().submit(config, out, pieces=pieces)


def stop(job_id: str) -> None:
    registry().stop(job_id)


def get(job_id: str) -> Job | None:
    return registry().get(job_id)


def list_jobs() -> list[Job]:
    return registry().list_jobs()
