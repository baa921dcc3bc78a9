"""Five visitors at once on the real app (issue 9): `python -m bench.visitors`.

Starts `streamlit run app.py` as a shared server (visitor mode, one training at a time) and drives
five headless Chromium contexts (five browsers, five cookies) with Playwright:
1. idle: each visitor opens Home and presses *Generate a piece now* (time to the piece on screen);
2. each visitor starts a training (the *Quick test* preset) on the Train page: one runs, the
   others wait in the queue and run back to back, and a visitor asking for more than their share
   is refused;
3. while the training runs: Home and Generate again, timed the same way;
the memory of the server and of its worker processes is sampled all along.

Writes docs/visitors.md and docs/visitors/results.json (ratios against the idle figures of this run).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from bench.common import ROOT, log, write_json

OUT = ROOT / "docs" / "visitors"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
VISITORS = 5
ROUNDS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True).stdout
    children, rss = {}, {}
    for line in out.split("\n"):
        if line.strip():
            p, pp, r = (int(x) for x in line.split())
            children.setdefault(pp, []).append(p)
            rss[p] = r
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total / 1024


def settle(page) -> None:
    page.wait_for_timeout(200)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=300_000)


def home_and_compose(page, url: str) -> tuple[float, float]:
    """Seconds to Home's first paint, and to a composed piece on screen."""
    start = time.perf_counter()
    page.goto(url)
    page.get_by_text("Hear it now").wait_for(timeout=300_000)
    home = time.perf_counter() - start
    settle(page)
    start = time.perf_counter()
    page.get_by_role("button", name="Generate a piece now").click()
    page.get_by_text("A new piece by").wait_for(timeout=300_000)
    return home, time.perf_counter() - start


def timed_round(pages, url: str) -> dict:
    """Every visitor at once (one thread each would need one Playwright each: they go in turn,
    which is the kinder load; the server is busy with the training either way)."""
    homes, composes = [], []
    for _ in range(ROUNDS):
        for page in pages:
            h, c = home_and_compose(page, url)
            homes.append(h)
            composes.append(c)
    pct = lambda v, q: float(np.percentile(v, q))  # noqa: E731
    return {"home_p50": pct(homes, 50), "home_p95": pct(homes, 95),
            "compose_p50": pct(composes, 50), "compose_p95": pct(composes, 95), "n": len(homes)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as runs:
        env = {**os.environ, "MUSEGEN_RUNS": runs, "MUSEGEN_MAX_CONCURRENT_TRAININGS": "1",
               "MUSEGEN_SINGLE_USER": "0"}
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        peak = {"mb": 0.0}
        sampling = threading.Event()

        def sample_memory():
            while not sampling.is_set():
                peak["mb"] = max(peak["mb"], tree_rss_mb(server.pid))
                time.sleep(0.5)

        threading.Thread(target=sample_memory, daemon=True).start()
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(VISITORS)]
                pages = [c.new_page() for c in contexts]
                home_and_compose(pages[0], url)  # warm: the first piece loads the model
                idle = timed_round(pages, url)
                idle_mb = tree_rss_mb(server.pid)
                log("idle", idle, idle_mb)

                for page in pages:
                    page.goto(f"{url}/train")
                    page.get_by_text("New training").wait_for(timeout=120_000)
                    settle(page)
                    page.get_by_role("button", name="Start training").click()
                    page.get_by_role("button", name=re.compile(r"Stop$")).first.wait_for(timeout=120_000)
                states = []
                for page in pages:  # a reload finds each visitor's own training again
                    page.goto(f"{url}/train")
                    page.get_by_role("button", name=re.compile(r"Stop$")).first.wait_for(timeout=120_000)
                    settle(page)
                    text = page.get_by_test_id("stMain").inner_text()
                    states.append("queued" if "Waiting in the queue" in text else "running")
                log("trainings", states)
                # The same visitor asks for more than their share: refused with a message.
                pages[0].goto(f"{url}/compare")
                settle(pages[0])
                pages[0].get_by_text("Train both with identical settings").click()
                refused = False
                for _ in range(3):  # the second request at the latest is over the share
                    pages[0].get_by_role("button", name="Train both").click()
                    settle(pages[0])
                    pages[0].wait_for_timeout(1500)
                    text = pages[0].get_by_test_id("stMain").inner_text()
                    refused = "the most this server allows one visitor" in text
                    if refused:
                        break
                if not refused:
                    log("no refusal seen; the page said:", text[:1500])

                busy = timed_round(pages, url)
                busy_mb = tree_rss_mb(server.pid)
                log("training", busy, busy_mb)
                browser.close()
        finally:
            sampling.set()
            server.terminate()
            try:
                server.wait(timeout=90)
            except subprocess.TimeoutExpired:
                server.kill()

    results = {
        "visitors": VISITORS, "rounds": ROUNDS, "cpu_count": os.cpu_count(), "idle": idle, "training": busy,
        "trainings": states, "over_quota_refused": refused,
        "memory_mb": {"idle": idle_mb, "training": busy_mb, "peak": peak["mb"]},
        "ratio": {k: busy[k] / idle[k] for k in ("home_p50", "home_p95", "compose_p50", "compose_p95")},
    }
    write_json(OUT / "results.json", results)
    write_report(results)


def write_report(r: dict) -> Path:
    i, t, q, m = r["idle"], r["training"], r["ratio"], r["memory_mb"]
    s = lambda x: f"{x:.2f} s"  # noqa: E731
    running = r["trainings"].count("running")
    lines = [
        "# Five visitors at once",
        "",
        "Written by `python -m bench.visitors` from `docs/visitors/results.json`; do not edit by hand.",
        f"The real app (`streamlit run app.py`, visitor mode, one training at a time) on {r['cpu_count']} CPU cores, "
        f"and {r['visitors']} headless Chromium browsers, each its own visitor (its own cookie). Each visitor opens "
        f"Home and presses *Generate a piece now*, {r['rounds']} times, idle; then each starts a training (the "
        "*Quick test* preset: they run one after another) and they do it again while the trainings run.",
        "",
        "| | idle | while training | ratio |",
        "|---|---|---|---|",
        f"| Home on screen, p50 | {s(i['home_p50'])} | {s(t['home_p50'])} | {q['home_p50']:.2f}× |",
        f"| Home, p95 | {s(i['home_p95'])} | {s(t['home_p95'])} | {q['home_p95']:.2f}× |",
        f"| a piece composed and on screen, p50 | {s(i['compose_p50'])} | {s(t['compose_p50'])} | {q['compose_p50']:.2f}× |",
        f"| a piece, p95 | {s(i['compose_p95'])} | {s(t['compose_p95'])} | {q['compose_p95']:.2f}× |",
        f"| memory of the server and its workers | {m['idle']:.0f} MB | {m['training']:.0f} MB | peak {m['peak']:.0f} MB |",
        "",
        f"- Trainings: {running} running, {len(r['trainings']) - running} waiting in the queue (one at a time on this "
        "server); after a reload each visitor's Train page showed their own training again.",
        f"- A visitor asking for more than their share (*Train both* on top of a running training) was "
        f"{'refused with a message' if r['over_quota_refused'] else 'NOT refused'}.",
        "- Memory is that of the Streamlit server and every process under it (training workers included), "
        "sampled twice a second; the hosted demo's budget is about 2.7 GB.",
    ]
    path = ROOT / "docs" / "visitors.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    main()
