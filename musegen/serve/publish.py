"""Where a training's files go: a hidden staging folder while it trains, then a run of the library.

A job trains into ``<runs>/.training/<name>``, so the run library never lists a half-trained run;
when its worker has exited the folder is moved to the job's run (``_publish``). Publishing never
deletes a run it did not create: a new job takes a free name, and a resumed job replaces only the
run it continued (the job's id in that run says which). A worker that died mid-training leaves its
best checkpoint, kept as a run that Resume continues (``_keep_checkpoint``).

``Publishing`` is a part of ``jobs.Registry`` (it reads the registry's ``_jobs`` and calls its
``_evict_old_runs``).
"""
from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

from ..messages import Message, joined, msg, stop_message
from .job import Job

STAGING = ".training"
RESUMING = ".resuming"  # in a run being resumed: the id of the job that will replace it


class Publishing:
    """A finished, stopped or interrupted job's folder made a run (a mixin of ``jobs.Registry``)."""

    _jobs: dict[str, Job]

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
        from ..runs.library import clean_leftovers

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
        from ..runs.folder import Run
        from ..train.runfolder import checkpoint_summary

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


def _resumed_by(run: Path) -> str:
    try:
        return (run / RESUMING).read_text()
    except OSError:
        return ""


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
