"""How long Stop takes: a training of the Train page's Small preset runs in a worker process, as the
app runs it (the job registry, per-epoch samples on); Stop is pressed, and we time

- the batches it still trained after Stop (from the worker's own progress events), and
- Stop to the job's end: when the page shows it stopped (with its run kept, once it has trained).

Stop is pressed while it compiles and trains its first batch (half a minute on a busy machine),
mid-way through the first epoch (no checkpoint yet) and mid-way through a later one. The music is
the tests' synthetic pieces, so no dataset is needed:

    python -m bench.stop_latency            # prints one line per case, and JSON with --json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # conftest's synthetic pieces (the worker process finds them too)


def small_config(seconds: float):
    from musegen.studio import presets

    values = dict(presets.PRESETS["Small (a few minutes)"], minutes=seconds / 60)
    return presets.build_config("synthetic", "wavenet", values, early_stopping=0)


def music(n: int = 80, bars: int = 48):
    from conftest import Loaded, make_piece

    return Loaded([make_piece(i, bars=bars) for i in range(n)])


def reached(job, where) -> bool:
    """The job is at `where`: (epoch, step) of its batches, or a status code before the first one."""
    p = job.progress
    if isinstance(where, str):
        return getattr(job.message, "code", None) == where
    return p.get("event") == "batch" and (p["epoch"], p["step"]) >= where


def stop_at(registry, job_id: str, where, timeout: float = 600.0) -> dict:
    """Wait until the job is at `where` (``reached``), press Stop, and time the rest."""
    deadline = time.time() + timeout
    while not reached(job := registry.get(job_id), where):
        if time.time() > deadline or not job.active:
            raise TimeoutError(f"never reached {where}")
        time.sleep(0.02)
    asked, at = time.perf_counter(), dict(job.progress)
    registry.stop(job_id)
    last, said = at, []
    while (job := registry.get(job_id)).active:
        if job.progress.get("event") == "batch":
            last = job.progress
        if str(job.message) not in said:
            said.append(str(job.message))
        time.sleep(0.02)
    ended = time.perf_counter() - asked
    if at.get("event") == "batch":
        stopped_at = f"epoch {at['epoch']}, batch {at['step']} of {at['steps']}"
        after = (last["epoch"] - at["epoch"]) * at["steps"] + last["step"] - at["step"]
    else:
        stopped_at, after = f"before the first batch ({where})", last.get("step", 0)
    return {"stopped_at": stopped_at, "batches_after_stop": after, "seconds_to_end": round(ended, 2),
            "state": job.state, "run_kept": job.run_path is not None, "said_while_stopping": " | ".join(said)}


CASES = {"compiling": "said.windows", "first epoch": (1, 6), "later epoch": (3, 6)}


def main(argv=None) -> list[dict]:
    from musegen.config import AppLimits
    from musegen.serve.jobs import Registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(AppLimits(max_training_minutes=30), samples=True)
        for name, where in CASES.items():
            job_id = registry.submit(small_config(600), Path(tmp) / name.replace(" ", "-"), pieces=music())
            result = {"case": name, **stop_at(registry, job_id, where)}
            out.append(result)
            print(json.dumps(result) if args.json else
                  f"{name}: Stop at {result['stopped_at']}: {result['batches_after_stop']} more batches, "
                  f"ended after {result['seconds_to_end']} s ({result['state']}, run kept: {result['run_kept']}); "
                  f"meanwhile it said: {result['said_while_stopping']}", flush=True)
        registry.shutdown()
    return out


if __name__ == "__main__":
    main()
