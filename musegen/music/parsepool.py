"""The parse worker pool: every file is read in a spawned worker process, never in the caller's.

A file that crashes its parser (symusic is C++), runs past ``Limits.max_parse_seconds`` (music21 on
a big MusicXML can take minutes) or past ``Limits.max_parse_memory_mb`` costs that file alone,
refused with a reason, and the server stays up. An upload's files share a time budget
(``Limits.max_upload_parse_seconds``). Each worker imports what parsing needs before it is sent its
first file, so the import does not count against that file's time.
"""
from __future__ import annotations

import math
import os
import time
from collections import deque
from typing import Callable

from ..config import Limits, usable_cores
from ..errors import InputError
from ..messages import Message, msg
from ..serve import spawned
from .gather import FileToParse
from .piece import Piece
from .progress import Progress
from .readers import MIDI_EXTENSIONS, Refused, check_size, read_file_bytes, short_error
from .report import CRASHED, FileReport, out_of_memory, over_budget, parsed_report, timed_out

# Files are parsed in worker processes (see parse_all). One more worker costs ~0.2 s to start
# (~1 s with music21), so it pays only for many score files (music21: ~0.05-0.2 s each); MIDI
# through symusic takes about a millisecond.
PARALLEL_MIN_FILES = 20  # score files (MusicXML, ABC, Humdrum) per worker
PARALLEL_MIN_MIDI = 2000  # MIDI files per worker
MAX_PARSE_WORKERS = 4  # each imports music21 (~100 MB): a many-core host must not start dozens
BOOT_SECONDS = 120.0  # a worker not started by then (a very busy machine?): processes do not work here


def _parse_one(args) -> tuple[Piece | None, FileReport]:
    """Runs in a worker process: one item → (piece or None, report). Never raises."""
    name, path, data, sha, parts, drums, limits = args
    _test_hook(name)
    try:
        if data is None:
            size = os.stat(path).st_size
            check_size(size, limits)
            with open(path, "rb") as f:
                data = f.read(limits.max_file_bytes + 1 if limits.max_file_bytes else -1)  # it may have grown
        piece = read_file_bytes(name, data, parts, limits, drums)
    except Refused as e:
        return None, FileReport(name, "skipped", e.reason, sha256=sha)
    except InputError as e:
        return None, FileReport(name, "skipped", e.message, sha256=sha)
    except MemoryError:  # past the worker's memory limit (_limit_memory); what it held is freed by now
        return None, FileReport(name, "skipped", out_of_memory(limits.max_parse_memory_mb), sha256=sha)
    except Exception as e:  # anything else a strange file provokes in a parser
        return None, FileReport(name, "skipped", msg("said.r_parse", error=short_error(e)), sha256=sha)
    piece.name = name
    return piece, parsed_report(name, piece, sha)


def _test_hook(name: str) -> None:
    """For tests only: MUSEGEN_TEST_PARSE_HOOK="a.mid=hang,b.mid=crash" makes the worker hang on
    a.mid or die on b.mid, as a pathological file would. Unset in real use: does nothing."""
    hook = os.environ.get("MUSEGEN_TEST_PARSE_HOOK")
    if hook:
        action = dict(pair.split("=", 1) for pair in hook.split(",")).get(name)
        if action == "hang":
            time.sleep(3600)
        elif action == "crash":
            os._exit(139)  # like a segfault: no exception, no goodbye


def _limit_memory(megabytes: int) -> None:
    """Let this process (a parse worker, its imports done) take at most ``megabytes`` MB more address
    space than it holds now: past it an allocation fails with MemoryError (in Python, NumPy, symusic
    and the XML parser alike) and the file is refused, where it could have taken the server's memory.
    Counted from now, not from zero: what a worker holds once started differs between machines (a
    many-core BLAS reserves more). Linux only (macOS does not enforce RLIMIT_AS); 0 = no limit."""
    if not megabytes:
        return
    try:
        import resource

        with open("/proc/self/statm") as f:
            held = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = held + int(megabytes) * 1_000_000
        limit = min(x for x in (limit, soft, hard) if x != resource.RLIM_INFINITY)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still holds


def _serve(conn, scores: bool, memory_mb: int = 0) -> None:
    """A worker process: import what parsing needs, limit its memory, say so, then parse each job it is sent."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it kills us
    if scores:
        import music21  # noqa: F401 — ~0.5-1 s that should not count against the first file's limit
    _limit_memory(memory_mb)
    conn.send(None)  # ready: the parent starts a file's clock when it sends the file
    while (job := conn.recv()) is not None:
        conn.send(_parse_one(job))


class _Worker:
    """One spawned parser process, talked to over a pipe, and the job it is on."""

    def __init__(self, scores: bool, memory_mb: int = 0):
        import multiprocessing as mp

        # spawn: a fresh interpreter, safe with the threads (Streamlit, TensorFlow) of the parent
        context = mp.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, scores, memory_mb), name="musegen-parse",
                                       daemon=True)
        try:
            spawned.start(self.process)  # it needs musegen, not the caller's script
        except Exception as e:  # no processes here (a sandbox, a frozen app…): never parse in-process
            self.conn.close()
            raise _no_workers(str(e)) from None
        finally:
            child.close()  # with our copy closed, its death reads as end-of-file on self.conn
        self.ready = False  # said it is ready
        self.job: int | None = None  # index of the file it parses
        self.since = time.monotonic()  # started, or was sent its file

    def stop(self) -> None:
        self.process.kill()  # idle or stuck alike: nothing of it is worth waiting for
        self.process.join(5)
        self.conn.close()


def _no_workers(why) -> InputError:
    return InputError(msg("said.no_workers", why=why))


# Long on purpose: one loop over the pool's whole state (workers, queue, deadlines), moved verbatim from
# sources.py; in pieces, each would pass all of it around.
def parse_all(items: list[FileToParse], parts: str, drums: bool, limits: Limits, progress: Progress | None,
              done: Callable[[int, Piece | None, FileReport], None], budget: float = 0.0) -> None:
    """Parse every item in spawned worker processes, one file at a time per worker.

    A worker that dies on a file (a crash in native code, killed) or takes longer than
    ``limits.max_parse_seconds`` is killed: that file is refused and the rest go on in a fresh
    worker. A ProcessPoolExecutor cannot do this: it cannot stop a running task, and when a worker
    dies it fails every file in flight without saying which one did it. Each result goes to
    ``done(index, piece or None, report)`` as its file finishes (nothing is held here: a big
    dataset goes to the cache as it is read), and ``progress`` is called with it. ``budget``
    (seconds, 0 = none): once the files have taken it all, the files still being read and those not
    started are skipped (over_budget).
    """
    total = len(items)
    n_done = 0

    def finish(i: int, result: tuple[Piece | None, FileReport]) -> None:
        nonlocal n_done
        n_done += 1
        done(i, *result)
        if progress is not None:
            progress(n_done, total, result[1].name)

    todo: deque[int] = deque()
    for i, it in enumerate(items):
        if it.refused:  # refused from os.stat: nothing to parse
            sha = "" if it.sha256.startswith("refused") else it.sha256
            finish(i, (None, FileReport(it.name, "skipped", it.refused, sha256=sha)))
        else:
            todo.append(i)
    if not todo:
        return

    n_scores = sum(1 for i in todo if not items[i].name.lower().endswith(MIDI_EXTENSIONS))
    n_midi = len(todo) - n_scores
    n_workers = min(usable_cores(), MAX_PARSE_WORKERS, len(todo), 1 + n_scores // PARALLEL_MIN_FILES + n_midi // PARALLEL_MIN_MIDI)
    limit = limits.max_parse_seconds or math.inf
    over = time.monotonic() + budget if budget else math.inf  # when the budget is spent
    workers: list[_Worker] = []

    def drop(w: _Worker, reason: Message) -> None:
        w.stop()
        workers.remove(w)
        if w.job is not None:
            finish(w.job, (None, FileReport(items[w.job].name, "skipped", reason, sha256=items[w.job].sha256)))

    from multiprocessing.connection import wait

    try:
        while todo or any(w.job is not None for w in workers):
            if time.monotonic() >= over:  # the budget is spent: what is being read and what is left is not read
                for w in [w for w in workers if w.job is not None]:
                    drop(w, over_budget(budget))
                while todo:
                    i = todo.popleft()
                    finish(i, (None, FileReport(items[i].name, "skipped", over_budget(budget),
                                                sha256=items[i].sha256)))
                break
            # Enough workers for the files waiting (a killed one is replaced here), each given a file.
            while len(workers) < n_workers and len(todo) > sum(1 for w in workers if w.job is None):
                workers.append(_Worker(n_scores > 0, limits.max_parse_memory_mb))
            for w in workers:
                if w.ready and w.job is None and todo:
                    w.job, w.since = todo.popleft(), time.monotonic()
                    it = items[w.job]
                    try:
                        w.conn.send((it.name, it.path, it.data, it.sha256, parts, drums, limits))
                    except OSError:
                        pass  # it died: the end-of-file below says so
            # Sleep until a worker has something to say or the nearest deadline.
            deadline = min([w.since + limit for w in workers if w.job is not None]
                           + [w.since + BOOT_SECONDS for w in workers if not w.ready] + [over], default=math.inf)
            wait([w.conn for w in workers], None if deadline == math.inf else max(0.0, deadline - time.monotonic()))
            now = time.monotonic()
            for w in list(workers):
                if w.conn.poll():
                    try:
                        message = w.conn.recv()
                    except (EOFError, OSError):  # it died (a crash mid-message reads the same)
                        if not w.ready:
                            w.process.join(5)
                            raise _no_workers(msg("said.worker_exited", code=w.process.exitcode)) from None
                        drop(w, CRASHED)
                        continue
                    if message is None:
                        w.ready = True
                    else:
                        i, w.job = w.job, None
                        finish(i, message)
                elif not w.ready and now - w.since > BOOT_SECONDS:
                    raise _no_workers(msg("said.none_started", seconds=f"{BOOT_SECONDS:g}"))
                elif w.job is not None and now - w.since > limit:
                    drop(w, timed_out(limit))  # an executor cannot stop a running task: kill it
    finally:
        for w in workers:
            w.stop()
