"""train(...): pieces → tokens → windows → a model fitted under callbacks → a run bundle.

The CLI and the app call the same function. Progress, stop requests, the time budget, early
stopping and the best-validation checkpoint are one Keras callback (``callbacks.py``); the model
functions know nothing of them. The bundle's model.keras is always the best epoch's (what Run.load
gives), and summary.json says in a sentence how training ended and which epoch was kept
(``runfolder.py`` writes the run's other files).

Fine-tuning (``TrainConfig.base``, ``finetune.py``) starts a new run from another run's weights:
the base's tokens and model, the user's music and training settings.

Devices: TensorFlow trains on a GPU when it sees one; ``TrainConfig.precision`` and ``jit_compile``
choose mixed precision and XLA for it. Several machines: when TF_CONFIG names several workers
(``musegen train --cluster FILE`` writes it), each runs this same function on its own copy of the
music, with the same global batch and steps as one machine (``distribute.py`` answers the questions
about devices and machines).

The flow, a step each: where the training starts (``_start``: fresh, resumed, fine-tuned or
restarted across machines), the music read, tokens and windows (``_prepare``), the model built for
its device (``_build``), the run's first files, the fit (``_fit``), summary.json (``_write_summary``).
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import RunConfig, TrainConfig
from ..data.dataset import (Augment, Spans, augmentable_spans, count_windows, fit_tokenizer, make_windows, tokenize,
                            training_batches, validation_batches)
from .distribute import (BACKUP, Devices, agreement, cluster_from_env, distribution_strategy, dtype_policy, even_batch,
                         fingerprint, interrupted, multi_worker_fit, precision_policy, sharded, with_precision,
                         worker_folder)
from ..errors import InputError, ModelError, StoppedEarly
from ..messages import msg
from ..models.build import build_model
from ..music.parsecache import IN_MEMORY_NOTES
from ..runs.folder import Run
from ..runs.save import write_json
from ..tokens.registry import make_tokenizer
from .finetune import check_vocabulary, find_base, fine_tune_config, start_loss
from .runfolder import context, run_summary, write_start

Progress = Callable[[dict], None]
# Music of more notes than this trains from token shards on disk (streamed windows), not from arrays in
# memory: the same line as the cache's, above which the pieces themselves stay on disk.
STREAM_MIN_NOTES = IN_MEMORY_NOTES
# TrainConfig.epochs 0 with a time budget: train until the budget (or early stopping) ends it.
OPEN_EPOCHS = 100_000
TOKENS = ".tokens"  # in the run's folder while it trains: the streamed token store


JIT_COMPILE = {"auto": "auto", "on": True, "off": False}  # TrainConfig.jit_compile → model.compile's


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


def _check_stop(stop: threading.Event | None) -> None:
    """A stop asked for while the music is read or prepared ends here, before any training: the
    batch callbacks would only see it after a first step, and write a model of one batch."""
    if stop is not None and stop.is_set():
        raise StoppedEarly(msg("said.stopped_early"))


def train(config: RunConfig, out, *, pieces=None, progress: Progress | None = None,
          stop: threading.Event | None = None, resume: bool = False, cache_dir=None) -> Run | None:
    """Train the model `config` describes and save it as a run bundle at `out`.

    pieces: a LoadResult (music.report; the app passes the one it already shows); else config.data.dataset
    is loaded. resume: continue the run at `out` (its data, tokenizer and model settings are kept;
    `config.train` gives the new epochs and budget). config.train.base: fine-tune, i.e. start a new
    run from that run's weights (its tokens and model; `config.data` and `config.train` otherwise).
    On a machine of a cluster other than the chief, returns None: the chief saves the run.
    """
    from ..music.sources import load_pieces

    out = Path(out)
    config.check()  # every caller (CLI, app, jobs) gets the same refusal before any music is read
    cluster = cluster_from_env()
    start = _start(config, out, cluster, resume)
    config, folder, previous, base = start.config, start.folder, start.previous, start.base

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
        ready = _build(config, cluster, start, tokenizer, augment, train_windows, val_windows)

        folder.mkdir(parents=True, exist_ok=True)
        if not previous:
            write_start(folder, config, tokenizer, loaded, token_data, ready.n_windows, val_windows)
        stopped, start_at = _fit(config, cluster, start, ready, len(tokenizer), augment, progress, stop)
        _write_summary(config, start, ready, stopped, len(tokenizer), augment, start_at)
        if not cluster.chief:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return Run.load(out)  # the best epoch's model, whatever the last epoch was
    finally:
        if store is not None:
            shutil.rmtree(store, ignore_errors=True)
            if made_folder and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # a training that failed before writing anything leaves no folder


@dataclasses.dataclass
class Start:
    """Where a training starts: its settings (a resumed run's own data and seed, a fine-tune's base's
    tokens and model), the folder this machine writes, the epochs so far, and the run it resumes or
    the base it fine-tunes (or neither)."""
    config: RunConfig
    folder: Path
    restarting: bool  # a training across machines that was interrupted goes on from its backup
    history: dict
    previous: Run | None = None
    base: Run | None = None


def _start(config: RunConfig, out: Path, cluster, resume: bool) -> Start:
    """Fresh, resumed (`resume`), fine-tuned (config.train.base) or restarted across machines; a
    run already at `out`, or resuming with a base or across machines, is refused here."""
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
    return Start(config, folder, restarting, history, previous, base)


@dataclasses.dataclass
class Ready:
    """A model compiled for its devices and precision, and the batches it fits."""
    strategy: object
    model: object
    train_ds: object
    val_ds: object  # None: no validation music, the training loss is monitored
    n_windows: int
    steps: int  # per epoch
    repeat: bool  # the training data repeats and epochs are counted in steps
    monitor: str
    devices: Devices
    policy: str
    agree: Callable | None  # across machines: the stop flags as every machine sees them


def _build(config: RunConfig, cluster, start: Start, tokenizer, augment, train_windows, val_windows) -> Ready:
    """The distribution strategy, the batches, and the model (built, or the resumed run's or the
    base's) compiled for the devices this machine sees."""
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
        if start.previous or start.base:
            model = (start.previous or start.base).load_model()
        else:
            model = build_model(config.model, len(tokenizer), config.data.window)
        model = compile_model(with_precision(model, policy), t)
    if start.base and model.output_shape[-1] != len(tokenizer):
        raise ModelError(msg("said.base_damaged", name=start.base.name, n=model.output_shape[-1], vocab=len(tokenizer)))
    agree = None
    if cluster.distributed:
        agree = agreement(strategy, fingerprint(config, tokenizer, n_windows, steps), start.restarting)
    return Ready(strategy, model, train_ds, val_ds, n_windows, steps, repeat, monitor, devices, policy, agree)


def _fit(config: RunConfig, cluster, start: Start, ready: Ready, vocab_size: int, augment, progress: Progress | None,
         stop: threading.Event | None) -> tuple[str, dict | None]:
    """Fit under the Training callback (across machines, with a backup to restart from) until the
    epochs, the time budget, early stopping or a stop request end it. A fine-tune's start loss is
    measured first. Returns how it stopped and that start loss."""
    import keras

    from .callbacks import Training

    t, folder, history, model = config.train, start.folder, start.history, ready.model
    initial_epoch = 0 if start.restarting else len(history.get("loss", []))
    epochs = initial_epoch + (t.epochs or OPEN_EPOCHS)
    start_at = start_loss(model, ready.val_ds, vocab_size) if start.base and not cluster.distributed else None
    if start_at and progress:
        progress({"event": "status", "start": start_at,
                  "message": msg("said.start_loss", name=start.base.name, loss=f"{start_at['val_loss']:.2f}",
                                 chance=f"{start_at['chance']:.2f}")})
    training = Training(folder, progress, stop, t.max_seconds, epochs, ready.steps, initial_epoch, history,
                        ready.monitor, patience=t.early_stopping, agree=ready.agree, open_ended=not t.epochs)
    # After ours at each epoch's end: a backup never gets ahead of the history and checkpoint it restores.
    callbacks = [training, keras.callbacks.BackupAndRestore(folder / BACKUP)] if cluster.distributed else [training]
    if progress:
        said = (msg("said.windows_moved", n=ready.n_windows, k=augment.transpose) if augment and augment.transpose
                else msg("said.windows", n=ready.n_windows))
        progress({"event": "status", "message": said, "device": str(ready.devices),
                  "precision": ready.policy, "jit_compile": bool(model.jit_compile)})
    with multi_worker_fit(model, ready.strategy, cluster):
        model.fit(ready.train_ds, validation_data=ready.val_ds, epochs=epochs, initial_epoch=initial_epoch,
                  steps_per_epoch=ready.steps if ready.repeat else None, callbacks=callbacks, verbose=0, shuffle=False)
    if not (folder / "model.keras").exists():
        monitored = msg("said.val_loss" if ready.monitor == "val_loss" else "said.loss")
        raise ModelError(msg("said.diverged", monitor=monitored, rate=f"{t.learning_rate:g}"))
    return training.stopped, start_at


def _write_summary(config: RunConfig, start: Start, ready: Ready, stopped: str, vocab_size: int, augment,
                   start_at: dict | None) -> None:
    """summary.json: the run's figures and how it ended, its augmentation, base, start loss, context
    and devices."""
    folder, base, previous, model = start.folder, start.base, start.previous, ready.model
    summary = run_summary(config, model, start.history, ready.monitor, stopped, vocab_size)
    summary["augmentation"] = {"transpose": augment.transpose, "jitter": augment.jitter} if augment else None
    summary["base"] = str(base.path) if base else (previous.summary.get("base") if previous else None)
    if start_at:
        summary.update(start_val_loss=start_at["val_loss"], chance_loss=start_at["chance"])
    summary.update(context(config, json.loads((folder / "data.json").read_text()).get("tokens_per_bar")))
    summary.update(device=str(ready.devices), workers=ready.devices.workers, precision=ready.policy,
                   jit_compile=bool(model.jit_compile))
    write_json(folder / "summary.json", summary)


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
