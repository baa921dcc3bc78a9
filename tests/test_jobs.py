"""The training job registry: queue, live progress, stop, time cap, failure, per-epoch samples."""
from __future__ import annotations

import dataclasses
import json
import os
import time
from unittest import mock

import numpy as np
import pytest

from conftest import Loaded, tiny_config
from musegen.serve import jobs
from musegen.serve.job import Job
from musegen.serve.publish import STAGING
from musegen.render.audio import check_audio
from musegen.config import AppLimits
from musegen.errors import InputError
from musegen.messages import codes, msg
from musegen.runs.folder import Run
from musegen.runs.library import list_runs
from musegen.generate.remarks import collapse_warning


def quick(epochs=2, **train):
    config = tiny_config("wavenet")
    return dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=epochs, **train))


def wait_for(predicate, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_job_trains_records_history_and_writes_samples(tmp_path, pieces):
    reg = jobs.Registry(AppLimits(max_concurrent_trainings=1), samples=True)
    job_id = reg.submit(quick(), tmp_path / "runs" / "tiny", pieces=Loaded(pieces))
    job = reg.wait(job_id, timeout=180)

    assert job.state == "finished", job.error
    assert job.run_path == tmp_path / "runs" / "tiny" and Run.load(job.run_path).summary["epochs"] == 2
    assert len(job.history["loss"]) == 2 and len(job.history["val_loss"]) == 2
    assert job.batches["epoch"] and job.batches["epoch"][-1] == pytest.approx(2.0)
    assert job.fraction == 1.0 and job.stopped_by == "finished"
    assert codes(job.message)[:3] == ["said.sentences", "said.end_finished", "said.finished"]
    # The run library sees only the finished run, never the staging folder.
    assert [r.path for r in list_runs(tmp_path / "runs")] == [job.run_path]
    assert not any((tmp_path / "runs" / STAGING).iterdir())
    # A per-epoch sample: MIDI always, OGG when FluidSynth is here.
    assert job.sample_epoch >= 1 and job.sample_midi[:4] == b"MThd"
    if check_audio() is None:
        assert job.sample_audio[:4] == b"OggS"
    else:
        assert job.sample_audio is None and job.sample_note.code == "said.no_preview_audio"
    assert reg.list_jobs()[0].id == job_id


def test_queue_honours_the_concurrency_limit_and_places(tmp_path, pieces):
    reg = jobs.Registry(AppLimits(max_concurrent_trainings=1), samples=False)
    first = reg.submit(quick(epochs=1), tmp_path / "a", pieces=Loaded(pieces))
    second = reg.submit(quick(epochs=1), tmp_path / "b", pieces=Loaded(pieces))
    third = reg.submit(quick(epochs=1), tmp_path / "c", pieces=Loaded(pieces))
    assert reg.get(first).state == "running"
    assert (reg.get(second).state, reg.get(second).place) == ("queued", 1)
    assert (reg.get(third).state, reg.get(third).place) == ("queued", 2)
    assert reg.get(third).message == msg("said.ahead_1", n=1)

    reg.stop(second)  # a queued job just leaves the queue
    assert reg.get(second).state == "stopped" and reg.get(third).place == 1

    assert reg.wait(first, timeout=120).state == "finished"
    assert reg.wait(third, timeout=120).state == "finished"  # started when the slot freed
    assert reg.get(third).started >= reg.get(first).ended - 1e-3
    assert not (tmp_path / "b").exists()


def test_stop_keeps_the_best_checkpoint(tmp_path, pieces):
    reg = jobs.Registry(AppLimits(), samples=False)
    job_id = reg.submit(quick(epochs=200), tmp_path / "long", pieces=Loaded(pieces))
    assert wait_for(lambda: reg.get(job_id).progress.get("event") == "batch", timeout=120)
    reg.stop(job_id)
    job = reg.wait(job_id, timeout=120)
    assert job.state == "stopped" and job.stopped_by == "stop requested"
    assert (job.run_path / "model.keras").is_file()
    assert len(job.history["loss"]) < 200


def test_stop_while_the_music_is_read_ends_the_job_without_a_model(tmp_path, pieces):
    """Stop pressed at once: the worker is still starting (importing TensorFlow, reading the music),
    so it ends before the first batch and keeps nothing."""
    reg = jobs.Registry(AppLimits(), samples=False)
    job_id = reg.submit(quick(epochs=50), tmp_path / "early", pieces=Loaded(pieces))
    reg.stop(job_id)
    job = reg.wait(job_id, timeout=120)
    assert job.state == "stopped" and job.run_path is None and "nothing was trained" in str(job.message)
    assert not (tmp_path / "early").exists() and not (tmp_path / STAGING / "early").exists()


def test_stop_while_the_model_compiles_ends_at_once_and_says_so(tmp_path, pieces):
    """Stop pressed while the model is built and its first step compiled (up to half a minute on a
    busy machine, and nothing trained yet): the job ends at once, without training a batch; the page
    says "Stopping…" from the click until the end, whatever the worker says meanwhile."""
    reg = jobs.Registry(AppLimits(), samples=True)
    job_id = reg.submit(quick(epochs=50), tmp_path / "compiling", pieces=Loaded(pieces))
    assert wait_for(lambda: reg.get(job_id).message.code == "said.windows", timeout=120)  # the last word before fit
    reg.stop(job_id)
    said = set()
    while (job := reg.get(job_id)).active:
        said.add(job.message.code)
        time.sleep(0.01)
    assert said == {"said.stopping"}
    assert job.state == "stopped" and job.run_path is None and "nothing was trained" in str(job.message)
    assert not job.batches["epoch"] and job.progress.get("event") != "batch"
    assert not (tmp_path / "compiling").exists() and not (tmp_path / STAGING / "compiling").exists()


def test_a_training_stopping_keeps_saying_so(tmp_path):
    """The worker's next batches and epochs after Stop do not put its progress back in place of
    "Stopping…" (they did: the page seemed to ignore the click)."""
    reg = jobs.Registry(AppLimits(), samples=False)
    job = Job(id="j", name="j", config=quick(), out=tmp_path / "j", state="running")
    reg._jobs[job.id], reg._asked[job.id] = job, mock.Mock()
    reg.stop(job.id)
    reg._on_event(job.id, {"event": "batch", "epoch": 1, "epochs": 2, "step": 3, "steps": 9, "loss": 2.0})
    reg._on_event(job.id, {"event": "epoch", "epoch": 1, "epochs": 2, "loss": 2.0, "improved": True})
    reg._on_event(job.id, {"event": "status", "message": msg("said.windows", n=3)})
    job = reg.get(job.id)
    assert job.stopping and job.message.code == "said.stopping" and job.progress["event"] == "epoch"


def test_a_killed_worker_keeps_its_checkpoint_and_resumes(tmp_path, pieces):
    """kill -9 of a training's worker: that job becomes interrupted with its best epoch kept as a
    run (only the epoch in progress is lost), the server's other work carries on, Resume continues."""
    import os
    import signal

    reg = jobs.Registry(AppLimits(max_concurrent_trainings=2), samples=False)
    doomed = reg.submit(quick(epochs=400, early_stopping=0), tmp_path / "runs" / "doomed", pieces=Loaded(pieces))
    other = reg.submit(quick(epochs=2), tmp_path / "runs" / "other", pieces=Loaded(pieces))
    assert wait_for(lambda: len(reg.get(doomed).history.get("loss", [])) >= 2, timeout=180)
    os.kill(reg.get(doomed).worker_pid, signal.SIGKILL)
    job = reg.wait(doomed, timeout=60)
    assert job.state == "interrupted" and job.resumable, job.message
    assert {"said.worker_oom", "said.interrupted"} <= set(codes(job.message))
    assert "ended unexpectedly (killed by SIGKILL" in str(job.message) and "Resume continues it" in str(job.message)
    run = Run.load(job.run_path)
    assert run.summary["stopped"] == "interrupted" and run.summary["epochs"] >= 2 and run.summary["params"] > 0
    assert job.run_path in [r.path for r in list_runs(tmp_path / "runs")]
    assert reg.wait(other, timeout=180).state == "finished"  # the other visitor's training never noticed

    epochs_before = run.summary["epochs"]
    resumed = reg.resume(doomed)
    assert reg.get(doomed).state == "stopped" and not reg.get(doomed).resumable  # one run, one owner job
    assert wait_for(lambda: len(reg.get(resumed).history.get("loss", [])) > epochs_before + 1, timeout=180)
    reg.stop(resumed)
    job = reg.wait(resumed, timeout=120)
    assert job.state == "stopped" and job.run_path == tmp_path / "runs" / "doomed"
    assert (job.run_path / "music").is_dir()  # the uploaded music, kept so the run could be resumed
    assert Run.load(job.run_path).summary["epochs"] > epochs_before + 1
    assert [r.path.name for r in list_runs(tmp_path / "runs")].count("doomed") == 1


RESTART_SCRIPT = """
import sys, time
sys.path[:0] = {paths!r}
from conftest import Loaded, make_piece
from test_jobs import quick
from musegen.serve import jobs
from musegen.config import AppLimits
reg = jobs.Registry(AppLimits(), samples=False, store={store!r})
job_id = reg.submit(quick(epochs=400, early_stopping=0), {out!r}, pieces=Loaded([make_piece(i) for i in range(10)]))
print(job_id, flush=True)
while True:
    time.sleep(1)
"""


def test_a_server_killed_mid_training_finds_the_job_interrupted_on_restart(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    store, out = tmp_path / "runs" / jobs.STORE, tmp_path / "runs" / "survivor"
    tests = str(Path(__file__).parent)
    server = subprocess.Popen([sys.executable, "-c", RESTART_SCRIPT.format(paths=[tests, str(Path(tests).parent)],
                                                                          store=str(store), out=str(out))],
                              stdout=subprocess.PIPE, text=True)
    try:
        job_id = server.stdout.readline().strip()
        history = tmp_path / "runs" / STAGING / "survivor" / "history.json"
        assert wait_for(lambda: history.is_file() and '"loss"' in history.read_text(), timeout=180)
    finally:
        server.kill()  # kill -9 of the server: its worker is orphaned mid-epoch
        server.wait()
    reg = jobs.Registry(AppLimits(), samples=False, store=store)  # the restarted server
    job = reg.get(job_id)
    assert job.state == "interrupted" and "said.server_stopped" in codes(job.message) and job.resumable
    assert Run.load(job.run_path).summary["epochs"] >= 1
    assert job.history["loss"]  # the epochs it finished are still on its chart
    again = jobs.Registry(AppLimits(), samples=False, store=store)  # and a second restart changes nothing
    assert again.get(job_id).state == "interrupted"


def test_only_the_owner_may_stop_or_resume_a_job(tmp_path, pieces):
    reg = jobs.Registry(AppLimits(max_concurrent_trainings=1), samples=False)
    mine = reg.submit(quick(epochs=1), tmp_path / "a", pieces=Loaded(pieces), owner="alice")
    with pytest.raises(InputError) as refusal:
        reg.stop(mine, owner="bob")
    assert refusal.value.message.code == "said.not_your_job"
    assert reg.get(mine).active
    assert [j.id for j in reg.list_jobs(owner="alice")] == [mine] and reg.list_jobs(owner="bob") == []
    reg.stop(mine, owner="alice")
    assert reg.wait(mine, timeout=120).state in ("stopped", "finished")


def test_a_job_round_trips_through_its_stored_row(tmp_path):
    job = Job("ab12-x", "x", quick(), tmp_path / "x", owner="alice", history={"loss": [1.0]},
                   run_path=tmp_path / "x")
    back = Job.from_row(json.loads(json.dumps(job.row())))
    assert back.row() == job.row() and back.config == job.config and back.out == job.out
    assert back.message == msg("said.waiting")  # a code and its values, said in the visitor's language
    job.message = msg("said.sentences", parts=[msg("said.end_finished"), msg("said.finished", epochs=2, kept="x")])
    assert Job.from_row(json.loads(json.dumps(job.row()))).message == job.message
    old = {**job.row(), "message": "Training finished."}  # a row stored before codes: its English as it was
    assert Job.from_row(old).message == "Training finished."


def test_the_app_time_cap_is_applied(tmp_path):
    reg = jobs.Registry(AppLimits(max_training_minutes=0.5), samples=False)
    assert reg.capped(quick()).train.max_seconds == 30.0
    assert reg.capped(quick(max_seconds=10.0)).train.max_seconds == 10.0  # a smaller budget stays
    assert jobs.Registry(AppLimits(max_training_minutes=0), samples=False).capped(quick()).train.max_seconds == 0.0


def test_a_failing_job_reports_a_message_and_leaves_nothing(tmp_path, pieces):
    reg = jobs.Registry(AppLimits(), samples=True)
    config = quick()
    config = dataclasses.replace(config, model=dataclasses.replace(config.model, targets="last"),
                                 data=dataclasses.replace(config.data, window=16_000))
    job = reg.wait(reg.submit(config, tmp_path / "bad", pieces=Loaded(pieces)), timeout=120)
    assert job.state == "failed" and "too short" in str(job.error)
    assert not (tmp_path / "bad").exists() and not (tmp_path / STAGING / "bad").exists()


def test_output_folders_are_never_overwritten(tmp_path, pieces):
    (tmp_path / "taken").mkdir()
    reg = jobs.Registry(AppLimits(max_concurrent_trainings=1), samples=False)
    a = reg.submit(quick(epochs=1), tmp_path / "taken", pieces=Loaded(pieces))
    b = reg.submit(quick(epochs=1), tmp_path / "taken", pieces=Loaded(pieces))
    assert (reg.get(a).out.name, reg.get(b).out.name) == ("taken-2", "taken-3")
    reg.stop(b)
    reg.stop(a)
    reg.wait(a, timeout=120)


def test_a_run_renamed_to_a_jobs_target_meanwhile_loses_nothing(tmp_path, pieces):
    """Another run takes the job's name while it trains: the job finishes beside it, not over it
    (it used to fail and delete its own staging folder, model and all)."""
    reg = jobs.Registry(AppLimits(max_concurrent_trainings=1), samples=False)
    job_id = reg.submit(quick(epochs=2), tmp_path / "runs" / "mine", pieces=Loaded(pieces))
    assert wait_for(lambda: reg.get(job_id).state == "running")
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "keep.txt").write_text("someone's run")
    job = reg.wait(job_id, timeout=180)
    assert job.state == "finished", job.error
    assert job.run_path == tmp_path / "runs" / "mine-2" and (job.run_path / "model.keras").is_file()
    assert (tmp_path / "runs" / "mine" / "keep.txt").read_text() == "someone's run"


def test_a_resume_never_deletes_a_run_renamed_onto_its_name(tmp_path, trained_run, pieces):
    """Resume R; rename R to R-old and another run O to R while it trains. Publishing once moved
    whatever sat at R aside and deleted it: O was gone. Now it replaces only the run it continued,
    so O stays R, the resumed run takes the next free name and the message says which."""
    import shutil

    runs = tmp_path / "runs"
    resumed, other = runs / "R", runs / "O"
    shutil.copytree(trained_run.path, resumed)
    shutil.copytree(trained_run.path, other)
    (other / "mark.txt").write_text("the other run")
    reg = jobs.Registry(AppLimits(), samples=False)
    config = dataclasses.replace(trained_run.config, train=dataclasses.replace(trained_run.config.train, epochs=200,
                                                                               early_stopping=0))
    job_id = reg._enqueue(Job(reg._new_id("R"), "R", config, resumed, resume=True), Loaded(pieces))
    assert wait_for(lambda: reg.get(job_id).progress.get("event") == "batch", timeout=120)
    resumed.rename(runs / "R-old")
    other.rename(resumed)
    reg.stop(job_id)
    job = reg.wait(job_id, timeout=120)
    assert job.state == "stopped", job.error
    assert (resumed / "mark.txt").read_text() == "the other run"  # O, now called R, is whole
    assert job.run_path == runs / "R-2" and Run.load(job.run_path).summary["epochs"] > trained_run.summary["epochs"]
    assert (runs / "R-old" / "model.keras").is_file()
    assert msg("said.resumed_elsewhere", old="R", new="R-2") in job.message.values["parts"]


def test_every_caller_shares_the_process_wide_registry(tmp_path, monkeypatch, pieces):
    """The app's sessions run in threads and reach jobs through the module's functions: callers that
    come at once make one registry (one queue, one store), and a job one of them queues, another
    sees and can stop."""
    import threading

    from musegen.paths import RUNS_ENV

    monkeypatch.setenv(RUNS_ENV, str(tmp_path / "runs"))
    monkeypatch.setattr(jobs, "_registry", None)  # this process's first caller, whatever ran before
    made = []

    class Queued(jobs.Registry):
        """The real registry, slow to start (restoring a big store) and starting no training."""

        def __init__(self, *args, **kwargs):
            time.sleep(0.2)  # callers meanwhile must wait for this one, not make their own
            super().__init__(*args, **kwargs)
            made.append(self)

        def _schedule(self):
            self._number_queue()

    monkeypatch.setattr(jobs, "Registry", Queued)

    def at_once(work, n=4):
        results, ready = [None] * n, threading.Barrier(n)

        def call(i):
            ready.wait()
            results[i] = work(i)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    ids = at_once(lambda i: jobs.submit(quick(epochs=1), tmp_path / "runs" / f"mine-{i}", pieces=Loaded(pieces)))
    assert len(made) == 1 and (tmp_path / "runs" / jobs.STORE).is_file()  # one registry, its store beside the runs
    listed = at_once(lambda i: sorted(j.id for j in jobs.list_jobs()))
    assert listed == [sorted(ids)] * 4  # each caller sees every caller's job
    assert [jobs.get(i).state for i in ids] == ["queued"] * 4
    at_once(lambda i: jobs.stop(ids[(i + 1) % 4]))  # each stops another's
    assert [jobs.get(i).state for i in ids] == ["stopped"] * 4
    assert jobs.get("no-such-job") is None


def test_app_limits_from_env():
    limits = AppLimits.from_env({"MUSEGEN_MAX_UPLOAD_MB": "20", "MUSEGEN_MAX_TRAINING_MINUTES": "2.5",
                                 "MUSEGEN_MAX_CONCURRENT_TRAININGS": "3"})
    assert (limits.max_upload_mb, limits.max_training_minutes) == (20, 2.5)
    # At most one training per core but one (the pages keep a core); 3 where the cores carry them.
    assert limits.max_concurrent_trainings == min(3, max(1, (os.cpu_count() or 1) - 1))
    with mock.patch("os.sched_getaffinity", return_value=set(range(2))):
        assert AppLimits.from_env({"MUSEGEN_MAX_CONCURRENT_TRAININGS": "5"}).max_concurrent_trainings == 1
    with mock.patch("os.sched_getaffinity", return_value=set(range(8))):
        assert AppLimits.from_env({"MUSEGEN_MAX_CONCURRENT_TRAININGS": "5"}).max_concurrent_trainings == 5
    assert limits.max_training_seconds == 150.0
    assert AppLimits.from_env({}) == AppLimits()
    with pytest.raises(InputError) as refusal:
        AppLimits.from_env({"MUSEGEN_MAX_UPLOAD_MB": "lots"})
    assert refusal.value.message.code == "said.env_not_number"
    with pytest.raises(InputError) as refusal:
        AppLimits.from_env({"MUSEGEN_MAX_TRAINING_MINUTES": "-1"})
    assert refusal.value.message.code == "said.env_negative"


def test_collapse_warning():
    rng = np.random.default_rng(0)
    assert collapse_warning(rng.integers(0, 60, 300)) is None
    assert "collapsed" in collapse_warning(np.full(200, 7))
    loop = np.r_[rng.integers(0, 60, 150), np.tile([4, 9, 11, 20, 31], 40)]
    message = collapse_warning(loop)
    assert "loop" in message and "5 tokens" in message and "top-p" in message
    assert collapse_warning(np.arange(5)) is None  # too short to judge


def test_a_visitor_may_have_two_trainings_at_once_and_keeps_their_newest_runs(tmp_path, pieces):
    reg = jobs.Registry(AppLimits(max_concurrent_trainings=1, max_trainings_per_visitor=2, max_runs_per_visitor=1),
                        samples=False)
    mine = tmp_path / "visitors" / "alice"
    first = reg.submit(quick(epochs=1), mine / "one", pieces=Loaded(pieces), owner="alice")
    second = reg.submit(quick(epochs=1), mine / "two", pieces=Loaded(pieces), owner="alice")
    with pytest.raises(InputError) as refusal:
        reg.submit(quick(epochs=1), mine / "three", pieces=Loaded(pieces), owner="alice")
    assert refusal.value.message == msg("said.quota", cap=2)
    assert str(refusal.value).startswith("You already have 2 trainings running or waiting")
    other = reg.submit(quick(epochs=1), tmp_path / "visitors" / "bob" / "b", pieces=Loaded(pieces), owner="bob")
    assert reg.get(other).state == "queued"  # another visitor's quota is their own
    reg.stop(other)

    assert reg.wait(first, timeout=120).state == "finished"
    job = reg.wait(second, timeout=120)
    assert job.state == "finished" and msg("said.evicted", n=1, names="one") in job.message.values["parts"]
    assert [r.name for r in list_runs(mine)] == ["two"]


def test_the_disk_budget_evicts_the_least_recently_used_runs(tmp_path):
    import os

    from musegen.serve import disk

    runs = []
    for i, name in enumerate(["old", "used-lately", "new"]):
        run = tmp_path / "visitors" / f"v{i}" / name
        run.mkdir(parents=True)
        (run / "model.keras").write_bytes(b"x" * 400_000)
        runs.append(run)
    disk.touch(runs[0])
    os.utime(runs[0] / disk.USED, (1_000, 1_000))  # used long ago
    disk.touch(runs[1])
    os.utime(runs[2] / "model.keras", (2_000, 2_000))
    os.utime(runs[2], (2_000, 2_000))  # never used since it was made, but protected below
    deleted = disk.enforce(runs, 900_000, protect=[runs[2]])
    assert deleted == [runs[0]] and runs[1].exists() and runs[2].exists()
    assert disk.enforce(runs, 0) == []  # 0 = no budget


def test_the_same_seed_and_settings_give_the_same_model(tmp_path, pieces):
    """Two trainings at once, each in its worker: the seed is each job's own, the ops deterministic."""
    import numpy as np

    reg = jobs.Registry(AppLimits(max_concurrent_trainings=2), samples=False)
    a = reg.submit(quick(epochs=2), tmp_path / "a", pieces=Loaded(pieces))
    b = reg.submit(quick(epochs=2), tmp_path / "b", pieces=Loaded(pieces))
    c = reg.submit(quick(epochs=2, seed=4), tmp_path / "c", pieces=Loaded(pieces))
    runs = [reg.wait(j, timeout=180) for j in (a, b, c)]
    assert all(r.state == "finished" for r in runs), [r.error for r in runs]
    wa, wb, wc = (np.load(r.run_path / "weights.npz") for r in runs)
    assert wa.files == wb.files and all(np.array_equal(wa[k], wb[k]) for k in wa.files)
    assert not all(np.array_equal(wa[k], wc[k]) for k in wa.files)  # another seed, another model
