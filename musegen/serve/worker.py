"""One training in a process of its own, started by ``supervise.py``.

TensorFlow, the music and the model live and die here, so a crash, a kill or a memory blow-up in
one training never reaches the server or another visitor's work, and the server's pages stay
responsive while it trains. The worker talks back through one queue of ``(kind, payload)``:

- ``("event", {...})``: train's progress events (batches, epochs, status lines);
- ``("sample", {...})``: a short piece written from the newest checkpoint after an epoch (MIDI,
  OGG when FluidSynth is here), by a thread so it never slows training;
- ``("end", (how, detail))``: the last message: ``finished`` with the summary's stop fields,
  ``stopped early`` (Stop before the first batch) or ``failed`` with a message for a person.

Stop ends a training after the batch it is on (the callback checks after every batch), keeping its
best checkpoint. Before the first batch there is nothing to keep, and compiling the model and its
first step can take half a minute on a busy machine: the worker ends at once instead.

A worker whose server dies (killed, crashed) stops at the end of its batch, keeping its best
checkpoint for the restarted server to find.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback
from dataclasses import replace
from pathlib import Path

from ..config import SampleConfig
from ..errors import OUT_OF_MEMORY, MusegenError, StoppedEarly, out_of_memory
from ..messages import msg

SAMPLE = SampleConfig(seconds=8.0, temperature=1.0, top_p=0.95, primer="random", primer_tokens=32)
PARENT_CHECK_SECONDS = 0.5
NICENESS = 10  # training is background work: the server's pages and Compose come first on a shared CPU
MUSIC = "music"  # uploaded music, kept in its run as MIDI so the training can be resumed


def main(config, staging: Path, pieces, events, stop, samples: bool, resume: bool = False) -> None:
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):  # not on this platform: the same work at the same priority
        pass
    _stop_when_orphaned(stop, events)
    trained = threading.Event()  # a first batch is done: from then on Stop keeps what it learnt
    _end_at_once_if_stopped_before(trained, stop, events)
    sampler = Sampler(staging, events) if samples else None

    def progress(event: dict) -> None:
        if event.get("event") == "batch":
            trained.set()
        events.put(("event", event))
        if sampler is not None and event.get("event") == "epoch":
            sampler.wake(event["epoch"])

    try:
        import tensorflow as tf

        from ..train.fit import train

        # A process of its own, so the seed train() sets is this job's alone; with deterministic ops
        # the same seed and settings give the same model, as the Train page promises.
        tf.config.experimental.enable_op_determinism()
        if resume and pieces is None and (Path(staging) / MUSIC).is_dir():
            pieces = kept_music(Path(staging), config)
        elif pieces is not None and not resume:
            keep_music(pieces.pieces, Path(staging) / MUSIC)
        run = train(config, staging, pieces=pieces, progress=progress, stop=stop, resume=resume)
        end = ("finished", {"stopped": run.summary.get("stopped", "finished"), "stop": run.summary.get("stop"),
                            "reason": run.summary.get("stop_reason", "")})
    except StoppedEarly as e:
        end = ("stopped early", e.message)  # a messages.Message (or, raised as plain English, the string)
    except MusegenError as e:
        end = ("failed", e.message)
    except Exception as e:  # noqa: BLE001 — the person who started it must read what went wrong
        if out_of_memory(e):
            end = ("failed", OUT_OF_MEMORY)  # a Message: said in the visitor's language
        else:
            traceback.print_exc()
            end = ("failed", msg("said.failed_unexpectedly", error=f"{type(e).__name__}: {e}"))
    if sampler is not None:  # the last checkpoint's sample goes out before the end message; not after Stop
        sampler.finish(write_last=not stop.is_set())
    events.put(("end", end))
    events.close()
    events.join_thread()


def keep_music(pieces, folder: Path) -> None:
    """An upload lives only in the server's memory: write it into the run, one MIDI file per piece,
    numbered so that reading the folder back gives the same order (and so the same split)."""
    from ..files import safe_name
    from ..render.midi import piece_to_midi_bytes

    folder.mkdir(parents=True, exist_ok=True)
    for i, piece in enumerate(pieces):
        (folder / f"{i:05d}-{safe_name(piece.name, limit=60)}.mid").write_bytes(piece_to_midi_bytes(piece))


def kept_music(run_folder: Path, config):
    """The music a run kept (see keep_music), read back as the training's pieces."""
    from ..music.sources import load_pieces

    return load_pieces(str(run_folder / MUSIC), replace(config.data, parts="all", max_files=0), cache_dir=False)


def _stop_when_orphaned(stop, events) -> None:
    """The server that started us is gone: nobody reads the queue and nobody will press Stop. End
    at this batch (the best checkpoint stays in the staging folder) and do not wait on the pipe."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        events.cancel_join_thread()
        stop.set()

    threading.Thread(target=watch, daemon=True, name="musegen-orphan-watch").start()


def _end_at_once_if_stopped_before(trained: threading.Event, stop, events) -> None:
    """Stop before the first batch: nothing is trained, so nothing is lost by ending now, rather than
    after TensorFlow has built the model and traced its first step. The music reader's processes
    go first; the server removes the staging folder."""
    def watch():
        stop.wait()
        if trained.is_set():
            return  # the callback stops it after this batch, keeping its best epoch
        for child in multiprocessing.active_children():
            child.kill()
        try:
            events.put(("end", ("stopped early", msg("said.stopped_early"))))
            events.close()
            events.join_thread()
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True, name="musegen-stop-before-training").start()


class Sampler:
    """Writes a sample whenever an epoch ended, from the newest checkpoint only (epochs that end
    while one is being written are coalesced into the next)."""

    def __init__(self, staging: Path, events):
        self.staging, self.events = Path(staging), events
        self.epoch, self.last_mtime, self.ending, self.write_last = 0, None, False, True
        self.pending = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="musegen-sampler")
        self.thread.start()

    def wake(self, epoch: int) -> None:
        self.epoch = epoch
        self.pending.set()

    def finish(self, timeout: float = 120.0, write_last: bool = True) -> None:
        """Wait for the samples still to write; ``write_last`` False (Stop pressed): only for the one
        being written, so the training ends without writing another."""
        self.ending, self.write_last = True, write_last
        self.pending.set()
        self.thread.join(timeout)

    def _loop(self) -> None:
        from ..render.audio import check_audio

        while True:
            self.pending.wait()
            self.pending.clear()
            if self.ending and not self.write_last:
                return
            try:
                model = self.staging / "model.keras"
                mtime = model.stat().st_mtime if model.is_file() else None
                if mtime is not None and mtime != self.last_mtime:
                    self.last_mtime = mtime
                    self.events.put(("sample", sample(self.staging, self.epoch, check_audio())))
                else:  # the epoch did not beat the best: the sample heard so far stays the newest
                    self.events.put(("sample", {}))
            except Exception as e:  # noqa: BLE001 — samples are a bonus; training goes on regardless
                self.events.put(("sample", {"note": msg("said.no_sample", error=f"{type(e).__name__}: {e}")}))
            if self.ending and not self.pending.is_set():
                return


def sample(path: Path, epoch: int, audio_problem: str | None) -> dict:
    """A short piece from the run at `path` (the newest checkpoint), as MIDI and OGG bytes."""
    from ..render.midi import piece_to_midi_bytes
    from ..runs.folder import Run
    from ..generate.sample import Composer

    composition = Composer(Run.load(path)).compose(replace(SAMPLE, seed=epoch))
    midi = piece_to_midi_bytes(composition.pieces[0])
    out = {"epoch": epoch, "midi": midi, "audio": None, "note": ""}
    if audio_problem:
        out["note"] = msg("said.no_preview_audio", problem=audio_problem)
        return out
    from ..render.audio import render_bytes

    out["audio"] = render_bytes(midi, fmt="ogg", max_seconds=SAMPLE.seconds + 2)
    return out
