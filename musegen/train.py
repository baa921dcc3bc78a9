"""train(...): pieces → tokens → windows → a model fitted under callbacks → a run bundle.

The CLI and the app call the same function. Progress, stop requests, the time budget and the
best-validation checkpoint are Keras callbacks; the model functions know nothing of them.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .config import RunConfig, to_dict
from .dataset import TokenData, make_windows, tf_dataset, tokenize
from .errors import InputError, ModelError
from .models import build_model, receptive_field
from .runs import Run, save_model, write_json
from .tokens import make_tokenizer

Progress = Callable[[dict], None]
N_PRIMERS = 64


def distribution_strategy():
    """One device by default; mirrored over every GPU when several are visible."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


def _callbacks(run_path: Path, progress: Progress | None, stop: threading.Event | None,
               max_seconds: float, epochs: int, steps: int, initial_epoch: int, history: dict, monitor: str):
    import keras

    class Training(keras.callbacks.Callback):
        """Progress per batch and epoch, stop requests, time budget, best checkpoint, history."""

        def __init__(self):
            super().__init__()
            self.start = time.perf_counter()
            self.previous = history.get("elapsed", [0.0])[-1] if history.get("elapsed") else 0.0
            self.done_steps = 0
            self.stopped = "finished"
            self.best = min(history.get(monitor, [np.inf]) or [np.inf])

        def elapsed(self):
            return time.perf_counter() - self.start

        def report(self, **event):
            if progress:
                progress({"elapsed": self.previous + self.elapsed(), **event})

        def on_train_batch_end(self, batch, logs=None):
            self.done_steps += 1
            total = (epochs - initial_epoch) * steps
            eta = self.elapsed() / self.done_steps * (total - self.done_steps)
            if max_seconds:
                eta = min(eta, max(0.0, max_seconds - self.elapsed()))
            self.report(event="batch", epoch=self.epoch + 1, epochs=epochs, step=batch + 1, steps=steps,
                        eta=eta, **{k: float(v) for k, v in (logs or {}).items()})
            if stop is not None and stop.is_set():
                self.stopped, self.model.stop_training = "stop requested", True
            elif max_seconds and self.elapsed() >= max_seconds:
                self.stopped, self.model.stop_training = "time budget", True

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: float(v) for k, v in (logs or {}).items()}
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            history.setdefault("elapsed", []).append(self.previous + self.elapsed())
            improved = logs.get(monitor, np.inf) < self.best
            if improved:
                self.best = logs[monitor]
                save_model(self.model, run_path / "model.keras")
            write_json(run_path / "history.json", history)
            self.report(event="epoch", epoch=epoch + 1, epochs=epochs, improved=improved, **logs)

    return Training()


def _prepare(config: RunConfig, pieces, tokenizer, fit: bool):
    token_data = tokenize(pieces, tokenizer, config.data, config.train.seed, fit=fit)
    if not token_data.train:
        raise InputError("Training needs at least one file outside the validation split: add music.")
    window, stride, targets = config.data.window, config.data.stride, config.model.targets
    train_arrays = make_windows(token_data.train, window, stride, targets, tokenizer.pad_id)
    val_arrays = None
    if token_data.val:
        try:
            val_arrays = make_windows(token_data.val, window, stride, targets, tokenizer.pad_id)
        except InputError:
            val_arrays = None  # validation pieces all shorter than one window
    return token_data, train_arrays, val_arrays


def _primers(token_data: TokenData, window: int, seed: int, pad_id: int) -> np.ndarray:
    """Real windows from validation pieces (or training ones), for 'start from the dataset'."""
    sequences = token_data.val or token_data.train
    rng = np.random.default_rng(seed)
    windows = []
    for _ in range(N_PRIMERS):
        seq = sequences[rng.integers(len(sequences))]
        start = rng.integers(0, max(1, len(seq) - window))
        chunk = seq[start : start + window]
        windows.append(np.pad(chunk, (0, window - len(chunk)), constant_values=pad_id))
    return np.stack(windows).astype(np.int32)


def train(config: RunConfig, out, *, pieces=None, progress: Progress | None = None,
          stop: threading.Event | None = None, resume: bool = False, cache_dir=None) -> Run:
    """Train the model `config` describes and save it as a run bundle at `out`.

    pieces: a sources.LoadResult (the app passes the one it already shows); else config.data.dataset
    is loaded. resume: continue the run at `out` (its data, tokenizer and model settings are kept;
    `config.train` gives the new epochs and budget).
    """
    from .sources import load_pieces

    out = Path(out)
    history: dict = {}
    previous = None
    if resume:
        previous = Run.load(out)
        config = dataclasses.replace(previous.config, train=config.train)
        history = previous.history
    elif (out / "model.keras").exists():
        raise ModelError(f"{out} already holds a run: choose another output folder, or resume it.")

    if progress:
        progress({"event": "status", "message": "Reading music…"})
    loaded = pieces if pieces is not None else load_pieces(config.data.dataset, config.data, cache_dir=cache_dir)
    tokenizer = previous.tokenizer if previous else make_tokenizer(config.tokenizer)
    token_data, (x, y, w), val_arrays = _prepare(config, loaded.pieces, tokenizer, fit=previous is None)

    import keras

    keras.utils.set_random_seed(config.train.seed)
    t = config.train
    train_ds = tf_dataset(x, y, w, t.batch_size, shuffle=True, seed=t.seed)
    steps = t.steps_per_epoch or int(np.ceil(len(x) / t.batch_size))
    if t.steps_per_epoch:
        train_ds = train_ds.repeat()
    val_ds = tf_dataset(*val_arrays, t.batch_size, shuffle=False, seed=t.seed) if val_arrays else None
    monitor = "val_loss" if val_ds is not None else "loss"

    with distribution_strategy().scope():
        model = previous.load_model() if previous else build_model(config.model, len(tokenizer), config.data.window)
        model.compile(
            optimizer=keras.optimizers.Adam(t.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )

    out.mkdir(parents=True, exist_ok=True)
    if not previous:
        write_json(out / "config.json", to_dict(config))
        (out / "tokenizer.json").write_text(tokenizer.to_json())
        write_json(out / "data.json", _data_summary(loaded, token_data, tokenizer, len(x), val_arrays))
        np.save(out / "primers.npy", _primers(token_data, config.data.window, t.seed, tokenizer.pad_id))

    initial_epoch = len(history.get("loss", []))
    epochs = initial_epoch + t.epochs
    training = _callbacks(out, progress, stop, t.max_seconds, epochs, steps, initial_epoch, history, monitor)
    callbacks = [training]
    if t.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=t.early_stopping))
    if progress:
        progress({"event": "status", "message": f"Training on {len(x)} windows…"})
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=initial_epoch,
              steps_per_epoch=steps if t.steps_per_epoch else None, callbacks=callbacks, verbose=0, shuffle=False)
    if t.early_stopping and model.stop_training and training.stopped == "finished":
        training.stopped = "early stopping"

    write_json(out / "summary.json", _summary(config, model, history, monitor, training.stopped, len(tokenizer)))
    return Run.load(out)


def _data_summary(loaded, token_data: TokenData, tokenizer, n_train_windows: int, val_arrays) -> dict:
    tempos = [p.tempo for p in loaded.pieces]
    return {
        "source": str(loaded.source),
        "files": [dataclasses.asdict(r) for r in loaded.report],
        "train_files": token_data.train_names,
        "val_files": token_data.val_names,
        "tokens": token_data.n_tokens,
        "train_windows": n_train_windows,
        "val_windows": 0 if val_arrays is None else len(val_arrays[0]),
        "tempo": float(np.median(tempos)) if tempos else 120.0,
        "dropped_tokens": getattr(tokenizer, "dropped", {}),
    }


def _summary(config: RunConfig, model, history: dict, monitor: str, stopped: str, vocab_size: int) -> dict:
    losses = history.get(monitor, [])
    best = int(np.argmin(losses)) if losses else -1
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
    }
