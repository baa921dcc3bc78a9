"""train(...): pieces → tokens → windows → a model fitted under callbacks → a run bundle.

The CLI and the app call the same function. Progress, stop requests, the time budget, early
stopping and the best-validation checkpoint are one Keras callback; the model functions know
nothing of them. The bundle's model.keras is always the best epoch's (what Run.load gives), and
summary.json says in a sentence how training ended and which epoch was kept.

Fine-tuning (``TrainConfig.base``) starts a new run from another run's weights: the base's tokens
and model, the user's music and training settings.

Devices: TensorFlow trains on a GPU when it sees one; ``TrainConfig.precision`` and ``jit_compile``
choose mixed precision and XLA for it. Several machines: when TF_CONFIG names several workers
(``musegen train --cluster FILE`` writes it), each runs this same function on its own copy of the
music, with the same global batch and steps as one machine (``distribute.py`` answers the questions
about devices and machines).
"""
from __future__ import annotations

import dataclasses
import json
from collections import Counter
import shutil
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import RunConfig, TrainConfig, to_dict
from ..data.dataset import (Augment, Spans, TokenData, augmentable_spans, count_windows, fit_tokenizer, make_windows,
                      split_by_file, tokenize, training_batches, validation_batches)
from .distribute import (BACKUP, Devices, agreement, cluster_from_env, distribution_strategy, dtype_policy, even_batch,
                         fingerprint, interrupted, multi_worker_fit, precision_policy, sharded, with_precision,
                         worker_folder)
from ..errors import InputError, ModelError, StoppedEarly
from ..messages import STOP_CODES, Message, msg, stop_message, to_json
from ..models.build import build_model, receptive_field
from ..files import atomic_write
from ..music.parsecache import IN_MEMORY_NOTES
from ..runs import Run, save_array, save_model, write_json
from ..tokens.registry import make_tokenizer

Progress = Callable[[dict], None]
N_PRIMERS = 64
FINE_TUNE_LEARNING_RATE = 3e-4  # the CLI's --lr when --from is given and --lr is not: a third of a fresh run's
# Music of more notes than this trains from token shards on disk (streamed windows), not from arrays in
# memory: the same line as the cache's, above which the pieces themselves stay on disk.
STREAM_MIN_NOTES = IN_MEMORY_NOTES
# TrainConfig.epochs 0 with a time budget: train until the budget (or early stopping) ends it.
OPEN_EPOCHS = 100_000
START_LOSS_BATCHES = 32  # validation batches that measure where a fine-tune starts (a few seconds)
TOKENS = ".tokens"  # in the run's folder while it trains: the streamed token store


JIT_COMPILE = {"auto": "auto", "on": True, "off": False}  # TrainConfig.jit_compile → model.compile's


def _callbacks(run_path: Path, progress: Progress | None, stop: threading.Event | None,
               max_seconds: float, epochs: int, steps: int, initial_epoch: int, history: dict, monitor: str,
               patience: int = 0, agree=None, open_ended: bool = False):
    """agree(*flags): the flags as every machine sees them (any machine's true makes them true),
    so all stop at the same batch; on one machine, the flags themselves."""
    import keras

    agree = agree or (lambda *flags: flags)
    shown_epochs = 0 if open_ended else epochs  # events say 0: no epoch count, the budget ends it

    class Training(keras.callbacks.Callback):
        """Progress per batch and epoch, stop requests, time budget, early stopping, best checkpoint,
        history. The checkpoint is saved only when the monitored loss beats every earlier epoch's
        (a resumed run's too), so model.keras is always the best epoch's."""

        def __init__(self):
            super().__init__()
            self.start = time.perf_counter()
            self.done_steps = 0
            self.stopped = "finished"
            self.wait = 0  # epochs of this session since the last improvement
            self.continue_from(history)

        def continue_from(self, history: dict):
            self.previous = history.get("elapsed", [0.0])[-1] if history.get("elapsed") else 0.0
            self.best = float(np.nanmin(history[monitor])) if _finite(history.get(monitor)) else np.inf

        def elapsed(self):
            return time.perf_counter() - self.start

        def batch_seconds(self) -> float:
            """A batch's time, smoothed: the first batches (graph building) are left out, then a
            moving average follows the measured times, so the ETA neither starts absurd nor jumps."""
            now = time.perf_counter()
            last, self.last_batch = getattr(self, "last_batch", None), now
            if last is None or self.done_steps <= 2:
                return getattr(self, "smoothed", None) or self.elapsed() / self.done_steps
            took = now - last
            self.smoothed = took if getattr(self, "smoothed", None) is None else 0.9 * self.smoothed + 0.1 * took
            return self.smoothed

        def report(self, **event):
            if progress:
                progress({"elapsed": self.previous + self.elapsed(), **event})

        def on_train_batch_end(self, batch, logs=None):
            if not self.done_steps:  # the budget counts from the first batch: reading and building are free
                self.start = time.perf_counter()
            self.done_steps += 1
            total = (epochs - initial_epoch) * steps
            eta = self.batch_seconds() * (total - self.done_steps)
            if max_seconds:
                eta = min(eta, max(0.0, max_seconds - self.elapsed()))
            self.report(event="batch", epoch=self.epoch + 1, epochs=shown_epochs, step=batch + 1, steps=steps,
                        eta=eta, **{k: float(v) for k, v in (logs or {}).items()})
            asked, late = agree(stop is not None and stop.is_set(), bool(max_seconds) and self.elapsed() >= max_seconds)
            if asked:
                self.stopped, self.model.stop_training = "stop requested", True
            elif late:
                self.stopped, self.model.stop_training = "time budget", True

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            if len(history.get("loss", [])) > epoch:  # BackupAndRestore went back: later epochs are trained again
                for values in history.values():
                    del values[epoch:]
                self.continue_from(history)

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            history.setdefault("elapsed", []).append(self.previous + self.elapsed())
            improved = logs.get(monitor, np.inf) < self.best
            if improved:
                self.best, self.wait = logs[monitor], 0
                save_model(self.model, run_path / "model.keras")
            else:
                self.wait += 1
                if patience and self.wait >= patience and self.stopped == "finished":
                    self.stopped, self.model.stop_training = "early stopping", True
            write_json(run_path / "history.json", history)
            self.report(event="epoch", epoch=epoch + 1, epochs=shown_epochs, improved=improved, **logs)

    return Training()


def _finite(values) -> bool:
    return bool(values) and bool(np.isfinite(values).any())


def _datasets(train_windows, val_windows, augment: Augment | None, t, pad_id: int, targets: str, repeat: bool,
              replicas: int = 0):
    """Training batches (repeated when `repeat`) and validation batches (or None), from windows in
    memory or streamed from disk alike. Across machines (`replicas` in all): every batch is shared
    among them, and none is left with an empty share."""
    train_ds = training_batches(train_windows, augment, t.batch_size, t.seed, pad_id, targets, repeat)
    if not replicas:
        return train_ds, validation_batches(val_windows, t.batch_size, targets) if val_windows else None
    if t.batch_size < replicas:
        raise InputError(msg("said.batch_replicas", batch=t.batch_size, replicas=replicas))
    train_ds = sharded(train_ds.unbatch().batch(t.batch_size, drop_remainder=True))  # whole batches only
    if not val_windows:
        return train_ds, None
    val_batch = even_batch(count_windows(val_windows), t.batch_size, replicas)
    return train_ds, sharded(validation_batches(val_windows, val_batch, targets))


def _prepare(config: RunConfig, pieces, tokenizer, fit: bool, store: Path | None = None):
    """Tokens split by file; training windows (plain (x, y, w), or (spans, masks) when augmented);
    validation windows (never augmented). With a `store` folder the ids go to disk there and both
    kinds of windows are a Spans index streamed from it."""
    data, t, targets = config.data, config.train, config.model.targets
    if fit:  # before augmentation is chosen: the vocabulary says what a pitch is
        fit_tokenizer(tokenizer, pieces, data, t.seed)
    augment = Augment.for_training(tokenizer, t.transpose, t.jitter, targets)
    token_data = tokenize(pieces, tokenizer, data, t.seed, fit=False, store=store,
                          masks=bool(augment and augment.transpose))
    if not token_data.train:
        raise InputError(msg("said.no_train_file"))
    window, stride, pad_id = data.window, data.stride, tokenizer.pad_id

    def windows(sequences, augmented: bool = False):
        if store is not None:
            return Spans(sequences, window, stride, pad_id, pad_short=targets != "last")
        if augmented:
            return augmentable_spans(sequences, tokenizer, window, stride, augment)
        return make_windows(sequences, window, stride, targets, pad_id)

    train_windows = windows(token_data.train, augmented=augment is not None)
    val_windows = None
    if token_data.val:
        try:
            val_windows = windows(token_data.val)
        except InputError:
            val_windows = None  # validation pieces all shorter than one window
    return token_data, augment, train_windows, val_windows


def _n_notes(loaded) -> int:
    """The music's size from its per-file report (no piece read); pieces handed in without one are counted."""
    parsed = [r for r in loaded.report if r.status == "parsed"]
    return sum(r.notes for r in parsed) if parsed else sum(p.n_notes for p in loaded.pieces)


def _primers(token_data: TokenData, window: int, seed: int, tokenizer) -> np.ndarray:
    """Real windows from validation pieces (or training ones), for 'start from the dataset'.
    With a scheme that has bar lines, a window is the piece's header (tempo, instruments) and
    then the music from a random bar line, so a primer says who plays and where the beat is."""
    sequences = token_data.val or token_data.train
    rng = np.random.default_rng(seed)
    bar = tokenizer.bar_id
    windows = []
    for _ in range(N_PRIMERS):
        seq = sequences[rng.integers(len(sequences))]
        head = tokenizer.header(seq) if bar is not None else seq[:0]
        starts = np.flatnonzero(seq == bar) if bar is not None else []
        if len(starts):
            start = int(starts[rng.integers(max(1, np.searchsorted(starts, len(seq) - window // 2)))])
        else:
            start = int(rng.integers(0, max(1, len(seq) - window)))
        chunk = np.concatenate([head, seq[start:]])[:window]
        windows.append(np.pad(chunk, (0, window - len(chunk)), constant_values=tokenizer.pad_id))
    return np.stack(windows).astype(np.int32)


def _check_stop(stop: threading.Event | None) -> None:
    """A stop asked for while the music is read or prepared ends here, before any training: the
    batch callbacks would only see it after a first step, and write a model of one batch."""
    if stop is not None and stop.is_set():
        raise StoppedEarly(msg("said.stopped_early"))


def train(config: RunConfig, out, *, pieces=None, progress: Progress | None = None,
          stop: threading.Event | None = None, resume: bool = False, cache_dir=None) -> Run | None:
    """Train the model `config` describes and save it as a run bundle at `out`.

    pieces: a sources.LoadResult (the app passes the one it already shows); else config.data.dataset
    is loaded. resume: continue the run at `out` (its data, tokenizer and model settings are kept;
    `config.train` gives the new epochs and budget). config.train.base: fine-tune, i.e. start a new
    run from that run's weights (its tokens and model; `config.data` and `config.train` otherwise).
    On a machine of a cluster other than the chief, returns None: the chief saves the run.
    """
    from ..music.sources import load_pieces

    out = Path(out)
    config.check()  # every caller (CLI, app, jobs) gets the same refusal before any music is read
    cluster = cluster_from_env()
    folder = out if cluster.chief else worker_folder(out, cluster)  # where this machine writes
    restarting = cluster.distributed and interrupted(folder)
    if not cluster.chief and not restarting:
        shutil.rmtree(folder, ignore_errors=True)  # left by a training that stopped before its first backup
    # A restarted training across machines: the epochs before the interruption (BackupAndRestore
    # then says how many of them stay).
    history: dict = _read_history(folder) if restarting else {}
    previous = base = None
    if resume and config.train.base:
        raise ModelError(msg("said.from_or_resume"))
    if resume and cluster.distributed:
        raise ModelError(msg("said.resume_one_machine"))
    if resume:
        previous = Run.load(out)
        # The run's own seed: it chose which files validate, and a new one would validate on trained files.
        config = dataclasses.replace(previous.config, train=dataclasses.replace(config.train, seed=previous.config.train.seed))
        history = previous.history
    elif (folder / "model.keras").exists() and not restarting:
        raise ModelError(msg("said.run_exists", out=str(out)))
    if config.train.base:
        base = find_base(config.train.base)
        config = fine_tune_config(config, base)

    if progress:
        progress({"event": "status", "message": msg("said.reading")})
    loaded = pieces if pieces is not None else load_pieces(config.data.dataset, config.data, cache_dir=cache_dir)
    _check_stop(stop)
    if base:
        check_vocabulary(base, loaded.pieces, config)
    # A big dataset's ids go to disk in the run's folder while it trains (memory holds an index).
    store = folder / TOKENS if _n_notes(loaded) > STREAM_MIN_NOTES else None
    made_folder = not folder.exists()
    if progress:
        progress({"event": "status", "message": msg("said.preparing")})
    try:
        tokenizer = previous.tokenizer if previous else base.tokenizer if base else make_tokenizer(config.tokenizer)
        token_data, augment, train_windows, val_windows = _prepare(config, loaded.pieces, tokenizer,
                                                                   fit=previous is None and base is None, store=store)
        _check_stop(stop)
        if progress:
            progress({"event": "status", "message": msg("said.building")})

        import keras

        strategy = distribution_strategy(cluster)  # before any other TensorFlow op: the multi-worker one insists
        keras.utils.set_random_seed(config.train.seed)
        t = config.train
        n_windows = count_windows(train_windows)
        # Across machines every one must run the same number of steps: the data repeats and each epoch
        # is counted in steps (a pass over the windows, as on one machine).
        repeat = bool(t.steps_per_epoch) or cluster.distributed
        train_ds, val_ds = _datasets(train_windows, val_windows, augment, t, tokenizer.pad_id, config.model.targets,
                                     repeat, replicas=strategy.num_replicas_in_sync if cluster.distributed else 0)
        steps = t.steps_per_epoch or int(np.ceil(n_windows / t.batch_size))
        monitor = "val_loss" if val_ds is not None else "loss"

        devices = Devices.visible(len(cluster.workers))
        policy = precision_policy(t.precision, devices)
        with dtype_policy(policy), strategy.scope():
            if previous or base:
                model = (previous or base).load_model()
            else:
                model = build_model(config.model, len(tokenizer), config.data.window)
            model = compile_model(with_precision(model, policy), t)
        if base and model.output_shape[-1] != len(tokenizer):
            raise ModelError(msg("said.base_damaged", name=base.name, n=model.output_shape[-1], vocab=len(tokenizer)))
        agree = None
        if cluster.distributed:
            agree = agreement(strategy, fingerprint(config, tokenizer, n_windows, steps), restarting)

        folder.mkdir(parents=True, exist_ok=True)
        if not previous:
            write_json(folder / "config.json", to_dict(config))
            atomic_write(folder / "tokenizer.json", tokenizer.to_json())
            write_json(folder / "data.json", _data_summary(loaded, token_data, tokenizer, n_windows, val_windows))
            save_array(folder / "primers.npy", _primers(token_data, config.data.window, t.seed, tokenizer))

        initial_epoch = 0 if restarting else len(history.get("loss", []))
        epochs = initial_epoch + (t.epochs or OPEN_EPOCHS)
        start = _start_loss(model, val_ds, len(tokenizer)) if base and not cluster.distributed else None
        if start and progress:
            progress({"event": "status", "start": start,
                      "message": msg("said.start_loss", name=base.name, loss=f"{start['val_loss']:.2f}",
                                     chance=f"{start['chance']:.2f}")})
        training = _callbacks(folder, progress, stop, t.max_seconds, epochs, steps, initial_epoch, history, monitor,
                              patience=t.early_stopping, agree=agree, open_ended=not t.epochs)
        # After ours at each epoch's end: a backup never gets ahead of the history and checkpoint it restores.
        callbacks = [training, keras.callbacks.BackupAndRestore(folder / BACKUP)] if cluster.distributed else [training]
        if progress:
            said = (msg("said.windows_moved", n=n_windows, k=augment.transpose) if augment and augment.transpose
                    else msg("said.windows", n=n_windows))
            progress({"event": "status", "message": said, "device": str(devices),
                      "precision": policy, "jit_compile": bool(model.jit_compile)})
        with multi_worker_fit(model, strategy, cluster):
            model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=initial_epoch,
                      steps_per_epoch=steps if repeat else None, callbacks=callbacks, verbose=0, shuffle=False)
        if not (folder / "model.keras").exists():
            raise ModelError(msg("said.diverged", monitor=msg("said.val_loss" if monitor == "val_loss" else "said.loss"),
                                 rate=f"{t.learning_rate:g}"))

        summary = _summary(config, model, history, monitor, training.stopped, len(tokenizer))
        summary["augmentation"] = {"transpose": augment.transpose, "jitter": augment.jitter} if augment else None
        summary["base"] = str(base.path) if base else (previous.summary.get("base") if previous else None)
        if start:
            summary.update(start_val_loss=start["val_loss"], chance_loss=start["chance"])
        summary.update(_context(config, json.loads((folder / "data.json").read_text()).get("tokens_per_bar")))
        summary.update(device=str(devices), workers=devices.workers, precision=policy, jit_compile=bool(model.jit_compile))
        write_json(folder / "summary.json", summary)
        if not cluster.chief:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return Run.load(out)  # the best epoch's model, whatever the last epoch was
    finally:
        if store is not None:
            shutil.rmtree(store, ignore_errors=True)
            if made_folder and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # a training that failed before writing anything leaves no folder


def _start_loss(model, val_ds, vocab_size: int) -> dict | None:
    """Where a fine-tune starts: the base's validation loss on the user's music before any step,
    beside chance (a uniform guess over the vocabulary), so a start that cannot help shows."""
    if val_ds is None:
        return None
    logs = model.evaluate(val_ds.take(START_LOSS_BATCHES), verbose=0, return_dict=True)
    loss = float(logs.get("loss", np.nan))
    return {"val_loss": round(loss, 4), "chance": round(float(np.log(vocab_size)), 4)} if np.isfinite(loss) else None


def compile_model(model, t: TrainConfig):
    """Adam, cross-entropy on the logits (pads weighted out) and token accuracy; XLA-compiled steps
    as t.jit_compile says (bench/compiled.py measures them the same way)."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(t.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=JIT_COMPILE[t.jit_compile],
    )
    # The optimizer's slots made now, not inside the first traced step: a step that creates
    # variables is traced twice, which doubled the wait for the first batch (13 s → 6.6 s).
    model.optimizer.build(model.trainable_variables)
    return model


def _read_history(folder: Path) -> dict:
    path = folder / "history.json"
    return json.loads(path.read_text()) if path.is_file() else {}



# ---------------------------------------------------------------- fine-tuning


def find_base(name: str) -> Run:
    """The run to fine-tune from: a run folder, or the name of a bundled model (assets/models/<name>)."""
    from ..studio import bundled_dir

    path = Path(name).expanduser()
    if not path.exists() and len(path.parts) == 1 and (bundled_dir() / name).is_dir():
        path = bundled_dir() / name
    if not path.exists():
        bundled = sorted(q.parent.name for q in bundled_dir().glob("*/config.json"))
        raise ModelError(msg("said.no_base_bundled", name=name, bundled=", ".join(bundled)) if bundled
                         else msg("said.no_base", name=name))
    return Run.load(path)


def fine_tune_config(config: RunConfig, base: Run) -> RunConfig:
    """The base run's tokens and model; the user's music, split and training settings. A model that
    predicts only the token after a fixed window (the article's) keeps the base's window; models that
    read any length (every sequence model) keep the user's."""
    data = config.data
    if base.config.model.targets == "last" and data.window != base.config.data.window:
        data = dataclasses.replace(data, window=base.config.data.window)
    return dataclasses.replace(config, data=data, tokenizer=base.config.tokenizer, model=base.config.model)


def layouts_seen(run) -> set[int]:
    """How many parts the pieces a run learnt from had (older runs: their usual line-up's)."""
    counts = run.data.get("part_counts")
    if counts:
        return {int(n) for n in counts}
    return {len(run.data.get("parts") or [None])}


def start_fit(run, pieces: list, max_parts: int = 8) -> dict:
    """Can fine-tuning ``run`` help this music? A code and its values for the page to say:
    ``fits``, or ``new_layout`` when most pieces have a number of parts the run never learnt (its
    guesses for the other parts start from nothing: fine-tuning may end worse than a new model)."""
    counts = Counter(min(len(p.parts), max_parts) for p in pieces[:200])
    usual = counts.most_common(1)[0][0] if counts else 1
    seen = layouts_seen(run)
    if usual in seen:
        return {"code": "fits", "parts": usual}
    return {"code": "new_layout", "parts": usual, "seen": sorted(seen)}


def check_vocabulary(base: Run, pieces, config: RunConfig) -> None:
    """Refuse a base whose vocabulary was fitted to other music (the article's notes scheme) when
    the new training music has frequent tokens it lacks. Fixed vocabularies (metre, rich) always cover."""
    fresh = make_tokenizer(base.tokenizer.config)
    train_idx, _ = split_by_file(len(pieces), config.data.val_fraction, config.train.seed)
    try:
        fresh.fit(pieces[i] for i in train_idx)
    except ModelError:
        return  # nothing frequent enough to be missing
    missing = [token for token in fresh.vocab if token not in base.tokenizer.index]
    if missing:
        raise ModelError(msg("said.cannot_fine_tune", name=base.name, scheme=base.tokenizer.config.scheme,
                             n=len(missing), examples=", ".join(missing[:3])))


def _data_summary(loaded, token_data: TokenData, tokenizer, n_train_windows: int, val_windows) -> dict:
    tempos, metres, line_ups, bars, part_counts = [], [], [], 0, Counter()
    for p in loaded.pieces:  # one pass: a big dataset's pieces are read from disk
        tempos.append(p.tempo)
        metres.append(p.time_signature)
        line_ups.append(tuple(tuple(part.as_dict().items()) for part in p.parts))
        part_counts[len(p.parts)] += 1
        bars += len(p.bar_starts())
    return {
        "source": str(loaded.source),  # English, as before; a list of files' label as its code too:
        **({"source_message": to_json(loaded.source)} if isinstance(loaded.source, Message) else {}),
        "files": [{**dataclasses.asdict(r), "reason": str(r.reason)} for r in loaded.report],  # English, as before
        "train_files": token_data.train_names,
        "val_files": token_data.val_names,
        "tokens": token_data.n_tokens,
        "train_windows": n_train_windows,
        "val_windows": 0 if val_windows is None else count_windows(val_windows),
        "tempo": float(np.median(tempos)) if tempos else 120.0,
        "tokens_per_bar": round(token_data.n_tokens / bars, 2) if bars else None,
        "time_signature": _most_common(metres, (4, 4)),
        "parts": _most_common(line_ups, ()),
        "part_counts": {str(n): k for n, k in sorted(part_counts.items())},  # pieces by their number of parts
        "dropped_tokens": getattr(tokenizer, "dropped", {}),
    }


def _most_common(values: list, default):
    """The usual metre or line-up of a dataset: what a passage that does not say its own gets."""
    from collections import Counter

    if not values:
        return default
    value = Counter(values).most_common(1)[0][0]
    return [dict(part) for part in value] if value and isinstance(value[0], tuple) else list(value)


def _context(config: RunConfig, tokens_per_bar: float | None) -> dict:
    """How much music the model takes in at once: its receptive field (the LSTM: its training
    window), in tokens and in bars of the music it learnt from."""
    tokens = min(receptive_field(config.model) or config.data.window, config.data.window)
    bars = round(tokens / tokens_per_bar, 1) if tokens_per_bar else None
    return {"context_tokens": tokens, "context_bars": bars}


def _summary(config: RunConfig, model, history: dict, monitor: str, stopped: str, vocab_size: int) -> dict:
    losses = history.get(monitor, [])
    best = int(np.nanargmin(losses)) if _finite(losses) else -1
    pick = lambda key: float(history[key][best]) if best >= 0 and key in history else None  # noqa: E731
    return {
        "model": config.model.kind,
        "params": int(model.count_params()),
        "receptive_field": receptive_field(config.model),
        "vocab_size": vocab_size,
        "epochs": len(history.get("loss", [])),
        "best_epoch": best + 1,
        "loss": pick("loss"),
        "accuracy": pick("accuracy"),
        "val_loss": pick("val_loss"),
        "val_accuracy": pick("val_accuracy"),
        "seconds": float(history.get("elapsed", [0.0])[-1]) if history.get("elapsed") else 0.0,
        "stopped": stopped,
        "stop_reason": stop_reason(stopped, history, monitor, config.train),
        "stop": stop_code(stopped, history, monitor, config.train),
    }


def checkpoint_summary(path, stopped: str = "interrupted") -> dict:
    """summary.json for a checkpoint whose training never reached its end (its worker or server
    was killed): written from the files the epochs left, without TensorFlow, so the server can
    keep it as a run that loads, lists and resumes like any other."""
    from ..models.engine import WEIGHTS

    run = Run.load(path)
    history = run.history
    monitor = "val_loss" if _finite(history.get("val_loss")) else "loss"
    with np.load(Path(path) / WEIGHTS, allow_pickle=False) as weights:
        params = int(sum(weights[name].size for name in weights.files))

    class Counted:  # _summary reads only the parameter count off the model
        def count_params(self):
            return params

    summary = _summary(run.config, Counted(), history, monitor, stopped, len(run.tokenizer))
    summary.update(_context(run.config, run.data.get("tokens_per_bar")))
    write_json(Path(path) / "summary.json", summary)
    return summary


def stop_code(stopped: str, history: dict, monitor: str, train_config) -> dict:
    """How training ended as a code and its numbers (``stopped``: the summary's "stopped" word, as
    jobs and old runs keep it), kept next to the English sentence in summary.json so the app says it
    in the visitor's language (messages.stop_message)."""
    losses = history.get(monitor, [])
    code = {"code": STOP_CODES.get(stopped, "finished"), "monitor": monitor, "epochs": len(history.get("loss", []))}
    if _finite(losses):
        best = int(np.nanargmin(losses))
        code.update(kept=best + 1, loss=round(float(losses[best]), 3), learning=best == len(losses) - 1)
    if code["code"] == "early_stop":
        code["patience"] = train_config.early_stopping
    elif code["code"] == "time_budget":
        code["budget_s"] = float(train_config.max_seconds)
    return code


def stop_reason(stopped: str, history: dict, monitor: str, train_config) -> str:
    """How training ended and which epoch the run kept, as a sentence for a person (the English of
    messages.stop_message: the app says the stop code in the visitor's language)."""
    return str(stop_message(stop_code(stopped, history, monitor, train_config)))
