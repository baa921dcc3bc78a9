"""What a shared server feels while it trains (issue 9): `python -m bench.load`.

One process plays the server, as Streamlit runs it: the job registry (trainings in worker
processes) and the composer pool. It measures, idle and then while a full-size training runs in
its worker (a second visitor's training waiting in the queue):
- Compose (a 20-second piece from the bundled WaveNet with its audio, what Home's button does);
- a page's poll of the job (``jobs.get``, what the live panel does every second);
- the memory of the server and of the worker;
then how long Stop takes to end a training, and how long a kill -9 of a worker takes to show as
an interrupted job with its checkpoint kept.

Writes docs/load.md and docs/load/results.json. Ratios against the idle figures of the same run.
"""
from __future__ import annotations

import os
import signal
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.common import ASSETS, ROOT, log, write_json
from musegen.serve.worker import NICENESS

OUT = ROOT / "docs" / "load"
N = 15


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timings(fn, n: int = N) -> dict:
    values = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        values.append(time.perf_counter() - start)
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)), "n": n}


def main() -> None:
    from musegen.serve import jobs
    from musegen.studio import composers, generation
    from musegen.train.bundled import BUNDLED
    from musegen.config import AppLimits
    from musegen.runs.folder import Run

    run = Run.load(ASSETS / "bach-wavenet")
    pool = composers.ComposerPool(size=2)
    compose = lambda: generation.compose(pool, run, generation.HOME_SAMPLE, score=False)  # noqa: E731
    compose()  # warm: the model's arrays loaded once, as the app does at start

    with tempfile.TemporaryDirectory() as tmp:
        registry = jobs.Registry(AppLimits(max_concurrent_trainings=1), samples=True, store=Path(tmp) / jobs.STORE)
        poll = lambda job_id: (lambda: registry.get(job_id))  # noqa: E731
        idle = {"compose": timings(compose), "server_mb": rss_mb(os.getpid())}
        log("idle", idle)

        config = BUNDLED["bach-wavenet"]  # the full-size default WaveNet on the Bach chorales
        config = replace(config, train=replace(config.train, epochs=50, early_stopping=0))
        first = registry.submit(config, Path(tmp) / "visitor-a", owner="a")
        second = registry.submit(config, Path(tmp) / "visitor-b", owner="b")
        deadline = time.time() + 300
        while registry.get(first).progress.get("event") != "batch" and time.time() < deadline:
            time.sleep(0.2)
        worker_pid = registry.get(first).worker_pid
        busy = {"compose": timings(compose), "poll": timings(poll(first), n=200),
                "server_mb": rss_mb(os.getpid()), "worker_mb": rss_mb(worker_pid),
                "queued_place": registry.get(second).place}
        log("training", busy)

        # Stop: from the click to the job's end (its checkpoint kept when an epoch had finished).
        registry.stop(second)  # the waiting one just leaves the queue
        asked = time.perf_counter()
        registry.stop(first)
        ended = registry.wait(first, timeout=120)
        stop_seconds = time.perf_counter() - asked
        log("stop", stop_seconds, ended.state)

        # kill -9 of a worker after its first epoch: the job is interrupted, the epoch kept.
        quick = replace(config, train=replace(config.train, epochs=50, steps_per_epoch=20))
        doomed = registry.submit(quick, Path(tmp) / "doomed", owner="a")
        deadline = time.time() + 300
        while not registry.get(doomed).history.get("loss") and time.time() < deadline:
            time.sleep(0.2)
        killed = time.perf_counter()
        os.kill(registry.get(doomed).worker_pid, signal.SIGKILL)
        job = registry.wait(doomed, timeout=120)
        kill_seconds = time.perf_counter() - killed
        log("kill", kill_seconds, job.state, job.message)

    results = {
        "cpu_count": os.cpu_count(), "pieces_per_figure": N, "idle": idle, "training": busy,
        "worker_niceness": NICENESS,
        "ratio": {"compose_p50": busy["compose"]["p50"] / idle["compose"]["p50"],
                  "compose_p95": busy["compose"]["p95"] / idle["compose"]["p95"]},
        "stop_seconds": stop_seconds, "stopped_state": ended.state,
        "kill_seconds": kill_seconds, "killed_state": job.state, "killed_kept_run": job.run_path is not None,
    }
    write_json(OUT / "results.json", results)
    write_report(results)


def write_report(r: dict) -> Path:
    ms = lambda s: f"{s * 1000:.0f} ms" if s >= 0.01 else f"{s * 1e6:.0f} µs"  # noqa: E731
    i, t, q = r["idle"], r["training"], r["ratio"]
    lines = [
        "# A shared server while it trains",
        "",
        "Written by `python -m bench.load` from `docs/load/results.json`; do not edit by hand.",
        f"One process plays the Streamlit server (the job registry and the composer pool), on {r['cpu_count']} CPU "
        "cores. Idle, then while the default WaveNet trains on the Bach chorales in its worker process with a "
        "second visitor's training waiting in the queue.",
        "",
        "| | idle | training | ratio |",
        "|---|---|---|---|",
        f"| Compose a 20 s piece with audio, p50 | {ms(i['compose']['p50'])} | {ms(t['compose']['p50'])} | {q['compose_p50']:.2f}× |",
        f"| Compose, p95 | {ms(i['compose']['p95'])} | {ms(t['compose']['p95'])} | {q['compose_p95']:.2f}× |",
        f"| a page's poll of the running job (`jobs.get`), p50 / p95 | | {ms(t['poll']['p50'])} / {ms(t['poll']['p95'])} | |",
        f"| memory of this process (registry, composer; no Streamlit) | {i['server_mb']:.0f} MB | {t['server_mb']:.0f} MB | |",
        f"| the training's worker | | {t['worker_mb']:.0f} MB | |",
        "",
        f"- The second visitor's training waited at place {t['queued_place']} of the queue.",
        f"- **Stop** ended the running training in {r['stop_seconds']:.1f} s (state: {r['stopped_state']}): the "
        "batch in progress, the validation pass Keras runs when an epoch is cut short, saving, and the worker's exit.",
        f"- **kill -9** of a worker: the job showed as *{r['killed_state']}* {r['kill_seconds']:.1f} s later, "
        f"{'with its finished epoch kept as a run' if r['killed_kept_run'] else 'with nothing kept'}.",
        "",
        "Both figures of Compose include rendering its audio with FluidSynth. The worker runs at a lower "
        f"priority (nice {r.get('worker_niceness', 0)}), so on a shared CPU the pages and Compose come first; the "
        "server itself never runs TensorFlow, so its memory stays that of the app while the worker holds the model.",
    ]
    path = ROOT / "docs" / "load.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    main()
