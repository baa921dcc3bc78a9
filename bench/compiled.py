"""Training speed with and without XLA (TrainConfig.jit_compile) on this machine: tokens/s of
model.fit for each model at its default size, compiled as musegen.train.fit compiles it, on random
token windows (speed does not depend on the music). Writes docs/benchmarks/compiled.json and, from
it, docs/compiled.md.

    python -m bench.compiled                      # a few minutes on a laptop CPU
    COMPILED_QUICK=1 python -m bench.compiled     # a smoke test: one tiny model, seconds; writes bench/results/

"auto" leaves XLA to Keras (on with one GPU, off on a CPU): this says whether "on" would pay on a CPU.
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # python bench/compiled.py works too

from bench.common import RESULTS, ROOT, TIMED_RUNS, log, markdown_table, write_json  # noqa: E402

QUICK = bool(os.environ.get("COMPILED_QUICK"))
OUT = (RESULTS / "compiled-quick.json") if QUICK else (ROOT / "docs" / "benchmarks" / "compiled.json")
KINDS = ("simple-wavenet",) if QUICK else ("wavenet", "simple-wavenet", "lstm")
WARM_STEPS = 2 if QUICK else 5  # the first steps trace (and, with XLA, compile) the step function
TIMED_STEPS = 2 if QUICK else 20  # per timed epoch; each setting's speed is the median of TIMED_RUNS epochs


def model_config(kind: str):
    from musegen.config import ModelConfig

    if not QUICK:
        return ModelConfig(kind=kind)
    return ModelConfig(kind=kind, embedding_dim=16, simple_filters=16, simple_blocks=3, simple_dense=32)


def windows(vocab: int, window: int, batch: int):
    """Random (inputs, targets, weights) batches of token ids, repeated for ever."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    ids = rng.integers(0, vocab, (batch * 4, window + 1), dtype=np.int32)
    x, y, w = ids[:, :-1], ids[:, 1:], np.ones((len(ids), window), np.float32)
    return tf.data.Dataset.from_tensor_slices((x, y, w)).batch(batch, drop_remainder=True).repeat()


class EpochTimes:
    def __init__(self):
        import keras

        class Times(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                seconds.append(time.perf_counter() - self.start)

        seconds: list[float] = []
        self.seconds, self.callback = seconds, Times()


def measure(kind: str, jit: str, vocab: int, window: int, batch: int) -> dict:
    """Tokens/s of training steps for one model with XLA on or off."""
    import keras

    from musegen.config import TrainConfig
    from musegen.models.build import build_model
    from musegen.train.fit import compile_model

    keras.utils.set_random_seed(1)
    config = model_config(kind)
    model = compile_model(build_model(config, vocab, window), TrainConfig(batch_size=batch, jit_compile=jit))
    data = windows(vocab, window, batch)
    started = time.perf_counter()
    model.fit(data, epochs=1, steps_per_epoch=WARM_STEPS, verbose=0, shuffle=False)
    warm = time.perf_counter() - started
    times = EpochTimes()
    model.fit(data, epochs=TIMED_RUNS, steps_per_epoch=TIMED_STEPS, verbose=0, shuffle=False,
              callbacks=[times.callback])
    seconds = statistics.median(times.seconds)
    return {"model": kind, "jit_compile": jit, "compiled": bool(model.jit_compile), "params": model.count_params(),
            "warmup_seconds": warm, "step_seconds": seconds / TIMED_STEPS,
            "tokens_per_s": batch * window * TIMED_STEPS / seconds}


def main() -> dict:
    import keras
    import tensorflow as tf

    from musegen.config import DataConfig, TrainConfig
    from musegen.train.distribute import Devices

    vocab = 400  # about the metre scheme's vocabulary
    window = 64 if QUICK else DataConfig().window
    batch = TrainConfig().batch_size
    rows = []
    for kind in KINDS:
        for jit in ("off", "on"):
            row = measure(kind, jit, vocab, window, batch)
            log(f"compiled: {kind:<15} XLA {jit:<3} {row['tokens_per_s']:>10,.0f} tok/s "
                f"(step {row['step_seconds'] * 1e3:.1f} ms, first steps {row['warmup_seconds']:.1f} s)")
            rows.append(row)
    speedups = {kind: next(r["tokens_per_s"] for r in rows if r["model"] == kind and r["jit_compile"] == "on")
                / next(r["tokens_per_s"] for r in rows if r["model"] == kind and r["jit_compile"] == "off")
                for kind in KINDS}
    result = {"device": str(Devices.visible()), "cpu_count": os.cpu_count(), "machine": platform.machine(),
              "tensorflow": tf.__version__, "keras": keras.__version__, "quick": QUICK,
              "window": window, "batch": batch, "timed_steps": TIMED_STEPS, "rows": rows,
              "speedup": speedups,
              "summary": "XLA on / off, training tokens/s: " + ", ".join(f"{k} ×{v:.2f}" for k, v in speedups.items())}
    write_json(OUT, result)
    log(result["summary"], f"→ {OUT}")
    if not QUICK:
        log(f"wrote {write_report(result)}")
    return result


def write_report(result: dict):
    """docs/compiled.md from the results file."""
    rows = [{**r, "xla": "on" if r["compiled"] else "off", "step_ms": r["step_seconds"] * 1e3} for r in result["rows"]]
    lines = ["# Training with and without XLA", "",
             "*Generated by `python -m bench.compiled` (part of `make bench`) from "
             "[benchmarks/compiled.json](benchmarks/compiled.json); do not edit by hand.*", "",
             f"`model.fit` on random windows of {result['window']} tokens, batches of {result['batch']}, each model at "
             f"its default size, on {result['device']} ({result['cpu_count']} cores, {result['machine']}; TensorFlow "
             f"{result['tensorflow']}, Keras {result['keras']}). A speed is the median of {TIMED_RUNS} epochs of "
             f"{result['timed_steps']} steps, after warm-up steps that trace (and with XLA compile) the step.", "",
             f"**{result['summary']}.**", "",
             markdown_table(rows, [("model", "model", ""), ("xla", "XLA", ""), ("params", "params", ","),
                                   ("tokens_per_s", "tokens/s", ",.0f"), ("step_ms", "step (ms)", ".1f"),
                                   ("warmup_seconds", "first steps (s)", ".1f")]), "",
             "`--jit-compile auto` (the default) leaves XLA to Keras: on with one GPU, off on a CPU and when "
             "training is mirrored; `on` or `off` force it."]
    path = ROOT / "docs" / "compiled.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    main()
