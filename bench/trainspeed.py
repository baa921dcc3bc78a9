"""Training speed, in `make bench`: how soon a training starts learning, and how fast it learns
against this machine's limit. Writes docs/trainspeed.md from docs/trainspeed/results.json.

1. **Start → first batch.** A fresh process, as the app's worker and `musegen train` are, given 20
   MIDI files it has never read (jigs the base never saw): the time to each step it shows — reading
   the music, preparing tokens, building the model, the first batch — for a new WaveNet and for a
   fine-tune of the bundled base. The median of three runs.
2. **Tokens per second against the bound.** The default WaveNet and LSTM take training steps on
   512-token windows at several batch sizes. FLOPs per token are counted from the model's weights as
   the generation table counts them (the forward pass; a training step is taken as three forward
   passes: the backward pass costs about two), and the peak is a float32 matmul on every core,
   measured in the same run.

    python -m bench.trainspeed
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import ASSETS, ROOT, TIMED_RUNS, log, markdown_table, write_json  # noqa: E402

OUT = ROOT / "docs" / "trainspeed"
BATCHES = [8, 16, 64]
WINDOW = 512
STEPS = 6  # timed training steps per measurement, after two that build the graph
STEP_NAMES = {"said.reading": "reading", "said.preparing": "tokens", "said.building": "building"}  # status codes


# ---------------------------------------------------------------- 1. start → first batch (a child process each)


def child(folder: str, start: str) -> None:
    """Runs in a fresh process: reads `folder` and trains, printing when each step began (wall clock)."""
    t = {"process": float(os.environ["BENCH_T0"])}
    from musegen.config import DataConfig, RunConfig, TrainConfig
    from musegen.music.sources import load_pieces
    from musegen.train.finetune import FINE_TUNE_LEARNING_RATE
    from musegen.train.fit import train

    t["imported"] = time.time()
    loaded = load_pieces(folder, DataConfig(dataset=folder), cache_dir=False)
    t["read"] = time.time()

    class FirstBatch(Exception):
        pass

    def progress(event):
        code = getattr(event.get("message"), "code", None)
        if event["event"] == "status" and code in STEP_NAMES:
            t[STEP_NAMES[code]] = time.time()
        elif event["event"] == "batch":
            t["first_batch"] = time.time()
            raise FirstBatch

    config = RunConfig(train=TrainConfig(epochs=0, max_seconds=60.0, base=start if start != "new" else "",
                                         learning_rate=FINE_TUNE_LEARNING_RATE if start != "new" else 1e-3))
    with tempfile.TemporaryDirectory() as out:
        try:
            train(config, Path(out) / "run", pieces=loaded, progress=progress)
        except FirstBatch:
            pass
    print(json.dumps(t))


def first_batch(folder: Path, start: str) -> dict:
    """Seconds from the process's start to each step, the median of TIMED_RUNS fresh processes."""
    runs = []
    for _ in range(TIMED_RUNS):
        env = {**os.environ, "BENCH_T0": repr(time.time()), "TF_CPP_MIN_LOG_LEVEL": "2"}
        proc = subprocess.run([sys.executable, "-m", "bench.trainspeed", "child", str(folder), start], cwd=ROOT,
                              capture_output=True, text=True, timeout=600, env=env)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        t = json.loads(proc.stdout.strip().splitlines()[-1])
        runs.append({k: v - t["process"] for k, v in t.items() if k != "process"})
    return {k: float(np.median([r[k] for r in runs if k in r])) for k in runs[0]}


def start_section() -> dict:
    from bench.transfer import held_out
    from musegen.render.midi import piece_to_midi_bytes

    train_pieces, _ = held_out("jigs")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "jigs"
        folder.mkdir()
        for p in train_pieces:
            (folder / f"{Path(p.name).stem}.mid").write_bytes(piece_to_midi_bytes(p))
        starts = ["new"] + (["base"] if (ASSETS / "base" / "model.keras").is_file() else [])
        for start in starts:
            t = first_batch(folder, start)
            log(f"start → first batch ({start}): " + ", ".join(f"{k} {v:.1f} s" for k, v in t.items()))
            rows.append({"start": "a new WaveNet" if start == "new" else "fine-tune base", **t})
    return {"rows": rows, "files": len(train_pieces)}


# ---------------------------------------------------------------- 2. tokens per second against the bound


def throughput_section() -> dict:
    import keras

    from bench.run import _peak_flops, _timed, step_cost
    from musegen.config import ModelConfig, TokenizerConfig, TrainConfig
    from musegen.models.build import build_model
    from musegen.generate.sampling import Generator
    from musegen.tokens.registry import make_tokenizer
    from musegen.train.fit import compile_model

    vocab = len(make_tokenizer(TokenizerConfig()))
    peak = _peak_flops()
    log(f"throughput: peak {peak / 1e9:,.0f} GFLOP/s (float32 matmul, every core)")
    rng = np.random.default_rng(0)
    rows = []
    for kind in ("wavenet", "lstm"):
        keras.utils.set_random_seed(0)
        config = ModelConfig(kind=kind)
        model = compile_model(build_model(config, vocab, WINDOW), TrainConfig())
        cost = step_cost(Generator.from_model(model, config, vocab, WINDOW, 0).engine)
        forward = cost.flops - 6 * vocab  # less the sampling the generation count includes
        for batch in BATCHES:
            x = rng.integers(3, vocab, (batch, WINDOW)).astype("int32")
            y = rng.integers(3, vocab, (batch, WINDOW)).astype("int32")
            for _ in range(2):
                model.train_on_batch(x, y)  # builds the step's graph
            speed = float(np.median([batch * WINDOW * STEPS / _timed(lambda: [model.train_on_batch(x, y)
                                                                          for _ in range(STEPS)])
                                     for _ in range(TIMED_RUNS)]))
            bound = peak / (3 * forward)
            rows.append({"model": kind, "batch": batch, "params": int(model.count_params()),
                         "flops_per_token": 3 * forward, "tokens_per_s": speed, "bound_tokens_per_s": bound,
                         "of_bound": speed / bound})
            log(f"  {kind} batch {batch}: {speed:,.0f} tok/s, {speed / bound:.0%} of the bound")
    return {"rows": rows, "peak_gflops": peak / 1e9, "window": WINDOW}


# ---------------------------------------------------------------- report


def write_report(results: dict) -> Path:
    lines = ["# Training speed", "",
             "Written by `bench/trainspeed.py` (`make bench`) from `docs/trainspeed/results.json`; do not edit by hand.",
             ""]
    s = results.get("start")
    if s:
        lines += ["## Start → first batch", "",
                  f"A fresh process given {s['files']} MIDI files it has never read (jigs), as the app's worker and "
                  f"`musegen train` are: seconds from the process's start to the end of each step (the median of "
                  f"{TIMED_RUNS} runs). The time budget counts from the first batch.", "",
                  markdown_table(s["rows"], [("start", "start", ""), ("imported", "musegen imported", ".1f"),
                                             ("read", "music read", ".1f"), ("building", "tokens ready", ".1f"),
                                             ("first_batch", "first batch done", ".1f")]), ""]
    tp = results.get("throughput")
    if tp:
        lines += ["## Tokens per second against the bound", "",
                  f"Training steps on {tp['window']}-token windows (Keras on TensorFlow, float32, this machine's CPU "
                  f"cores). FLOPs per token: three forward passes, counted from the weights (a multiply-add is 2); "
                  f"the bound is the peak, {tp['peak_gflops']:,.0f} GFLOP/s (a 2048² float32 matmul, best of 5, "
                  "measured in the same run), over those FLOPs.", "",
                  markdown_table(tp["rows"], [("model", "model", ""), ("batch", "batch", ""),
                                              ("params", "params", ","), ("flops_per_token", "FLOPs/token", ",.0f"),
                                              ("tokens_per_s", "tokens/s", ",.0f"),
                                              ("bound_tokens_per_s", "bound tokens/s", ",.0f"),
                                              ("of_bound", "share of bound", ".0%")]), ""]
    path = ROOT / "docs" / "trainspeed.md"
    path.write_text("\n".join(lines))
    return path


def main(argv: list[str]) -> None:
    if argv[:1] == ["child"]:
        child(*argv[1:])
        return
    from musegen.cli.terminal import import_tensorflow_quietly

    import_tensorflow_quietly()
    path = OUT / "results.json"
    results = json.loads(path.read_text()) if path.is_file() else {}
    sections = {"start": start_section, "throughput": throughput_section}
    for name in argv or list(sections):
        results[name] = sections[name]()
        write_json(path, results)
    log(f"wrote {write_report(results)}")


if __name__ == "__main__":
    main(sys.argv[1:])
