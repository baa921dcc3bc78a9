"""What one visitor may ask of a shared server: trainings running or waiting, their time, the disk
their runs take, how many runs they keep. The limits are ``config.AppLimits``.

``Quotas`` is a part of ``jobs.Registry``: its checks run under the registry's lock and read the
registry's ``limits``, ``cannot_write`` and ``_jobs``. Room is made only with the visitor's own runs,
never another visitor's, never one still training or just made.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..config import AppLimits, RunConfig
from ..errors import InputError
from ..messages import Message, msg
from .job import Job

CANNOT_TRAIN = msg("said.cannot_train")


class Quotas:
    """The registry's refusals and evictions for one visitor (a mixin of ``jobs.Registry``)."""

    limits: AppLimits
    cannot_write: bool  # the runs folder refused the store: nothing could be trained into it
    _jobs: dict[str, Job]

    def capped(self, config: RunConfig) -> RunConfig:
        cap = self.limits.max_training_seconds
        budget = config.train.max_seconds
        if cap and (not budget or budget > cap):
            config = replace(config, train=replace(config.train, max_seconds=cap))
        return config

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
        from ..runs.library import delete_run, list_runs

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
