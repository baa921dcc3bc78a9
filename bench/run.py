"""`make bench`: five measurements, each comparing two ways of doing one thing on the same input.

    1. generation  the article's loop (one model.predict per note), a compiled Keras window, our NumPy engine
    2. training    the article's set-up vs ours, equal wall-time on the same files: quality reached
    3. loading     music21 vs the symusic MIDI path vs the cache, same files
    4. rendering   FluidSynth: seconds of audio per second; ogg vs wav size per minute
    5. memory      peak RSS (VmHWM): TensorFlow alone, a training process, an app-like process

Quick sizes by default (a few minutes on two cores); BENCH_FULL=1 for bigger ones.
`python bench/run.py loading rendering` runs only those; results are merged into
docs/benchmarks/results.json (committed, with the plots) and docs/benchmarks.md is written from it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import (ASSETS, FULL, RESULTS, ROOT, TIMED_RUNS, Timer, engine_speed, log,  # noqa: E402
                          markdown_table, pyplot, rounded, save_figure, write_json)

SIZE = "full" if FULL else "quick"
OUT = ROOT / "docs" / "benchmarks"  # results.json and plots, committed; docs/benchmarks.md is written from them


# ------------------------------------------------------------------------------ 1. generation


def _model_for(kind: str, vocab: int, window: int):
    """The bundled trained model when there is one, else the default architecture, random weights."""
    import keras

    from musegen.config import ModelConfig
    from musegen.models.build import build_model
    from musegen.runs.folder import Run

    path = ASSETS / f"bach-{kind}"
    if (path / "model.keras").is_file():
        run = Run.load(path)
        return run.load_model(), run.config.model, len(run.tokenizer), run.config.data.window, f"bundled {path.name}"
    keras.utils.set_random_seed(0)
    config = ModelConfig(kind=kind)
    return build_model(config, vocab, window), config, vocab, window, "random weights"


def _median_speed(measure) -> float:
    """The median of TIMED_RUNS calls (each returns tokens per second): one statistic for every row."""
    return float(np.median([measure() for _ in range(TIMED_RUNS)]))


def _window_speed(model, window: int, n_tokens: int, last_only: bool, rng) -> float:
    """The strongest simple alternative to a cache: the Keras model's forward pass, XLA-compiled
    once, over a sliding window of the model's context, one call per token. Tokens per second."""
    import tensorflow as tf

    forward = tf.function(lambda ids: model(ids, training=False), jit_compile=True)
    ids = rng.integers(3, 40, (1, window)).astype(np.int32)
    forward(ids)  # compile, once for all the timed runs

    def run() -> float:
        nonlocal ids
        with Timer() as t:
            for _ in range(n_tokens):
                logits = forward(ids).numpy()
                token = int(np.argmax(logits[0] if last_only else logits[0, -1]))
                ids = np.concatenate([ids[:, 1:], [[token]]], axis=1).astype(np.int32)
        return n_tokens / t.seconds

    return _median_speed(run)


class StepCost:
    """What one token of one sequence costs a NumPy engine: FLOPs (a multiply-add counts 2, any
    other elementwise op or transcendental 1), the bytes of weights it reads (once a step, shared
    by a batch) and the bytes of per-sequence state it reads and writes (embedding row, cached
    taps, (h, c)). Temporaries a step makes and drops stay in L1 and are not counted."""

    def __init__(self):
        self.flops = self.weight_bytes = self.state_bytes = 0

    def bytes_per_token(self, batch: int = 1) -> float:
        return self.weight_bytes / batch + self.state_bytes

    def dense(self, matrix, bias=None, rows: int = 1) -> None:
        self.flops += rows * (2 * matrix.size + (0 if bias is None else bias.size))
        self.weight_bytes += matrix.nbytes + (0 if bias is None else bias.nbytes)

    def conv(self, conv, rows: int = 1) -> None:
        """engine._CausalConv: one product with every tap, the bias, one add per older tap's product
        read back from the history, and this input's products for the older taps written there."""
        self.dense(conv.weights, conv.bias, rows)
        older = len(conv.backs) * conv.channels
        self.flops += rows * older
        self.state_bytes += rows * 2 * older * 4

    def lstm(self, kernel, recurrent, bias, rows: int = 1) -> None:
        units = recurrent.shape[0]
        self.dense(kernel, bias, rows)
        self.dense(recurrent, rows=rows)
        # h's share added (4u), three sigmoids at 4 ops (12u), tanh(g), c = f·c + i·g (3u), tanh(c), o·tanh(c)
        self.flops += rows * 22 * units
        self.state_bytes += rows * 4 * units * 4  # h and c read and written


def step_cost(engine) -> StepCost:
    """Count, from an engine's own arrays, what musegen/models/engine.py computes for one token: the
    WaveNets one product per layer (older taps' products come from the cache), the LSTM one step,
    the article's set-ups their whole window again. Plus the Generator's draw from the logits."""
    from musegen.models.engine import LSTMEngine, SimpleWaveNetEngine, WaveNetEngine, WindowEngine, _pointwise

    n = StepCost()
    if isinstance(engine, WindowEngine):
        config, rows = engine.config, engine.window
        n.state_bytes += 2 * rows * 8  # the window of ids, shifted
        if config.inputs == "scalar":
            n.flops += rows  # id / vocabulary size
        else:
            n.state_bytes += rows * engine.w["embedding"][0].shape[1] * 4
        if config.kind == "lstm":
            for i in range(config.lstm_layers):
                n.lstm(*engine.w[f"lstm_{i}"], rows=rows)
        else:
            for conv in engine.convs:
                n.conv(conv, rows)
                n.flops += rows * conv.channels  # ReLU
            if config.targets == "last":
                squeeze = _pointwise(engine.w["squeeze"])
                n.dense(*squeeze, rows=rows)
                n.flops += rows * squeeze[0].shape[1]  # ReLU
        head = [_pointwise(engine.w["dense"]), _pointwise(engine.w["logits"])]
    else:
        n.state_bytes += engine.embedding.shape[1] * 4  # the token's embedding row (a lookup: no FLOPs)
        if isinstance(engine, WaveNetEngine):
            n.conv(engine.input_conv)
            for conv, residual in engine.layers:
                n.conv(conv)
                n.flops += 4 * engine.channels  # tanh of filter and gate, gate + 1, their product
                if residual is not None:
                    n.dense(*residual)
                    n.flops += engine.channels  # added to the residual stream
            n.state_bytes += 2 * len(engine.layers) * engine.channels * 4  # gated outputs, written then read
            head = [engine.skip, engine.post, engine.out]
        elif isinstance(engine, SimpleWaveNetEngine):
            for conv in engine.convs:
                n.conv(conv)
                n.flops += conv.channels  # ReLU
            head = [engine.dense, engine.out]
        elif isinstance(engine, LSTMEngine):
            for cell in engine.cells:
                n.lstm(*cell)
            head = [engine.dense, engine.out]
        else:
            raise TypeError(f"no cost model for {type(engine).__name__}")
    for matrix, bias in head[:-1]:
        n.dense(matrix, bias)
        n.flops += matrix.shape[1]  # ReLU
    n.dense(*head[-1])
    # Sampling (Generator.generate): logits / temperature, Gumbel noise -log(-log u) added, argmax.
    n.flops += 6 * head[-1][0].shape[1]
    return n


def _peak_flops(size: int = 2048) -> float:
    """FLOP/s of a large float32 matmul (BLAS, every core): the compute roof. The best of 5:
    other work on the machine only ever slows a run down."""
    a = np.random.default_rng(0).random((size, size), np.float32)
    a @ a
    return 2 * size**3 / min(_timed(lambda: a @ a) for _ in range(5))


def _bandwidth(nbytes: int) -> float:
    """Bytes/s NumPy reads from a working set of `nbytes` (a BLAS dot product of two float32
    vectors): from cache when it fits, from memory when it does not. Best of 5, as above."""
    x = np.ones(max(nbytes // 8, 1024), np.float32)
    y = x.copy()
    reps = max(1, 2**28 // (2 * x.nbytes))  # ~256 MB read per timing, however small the set
    np.dot(x, y)
    return reps * 2 * x.nbytes / min(_timed(lambda: [np.dot(x, y) for _ in range(reps)]) for _ in range(5))


def _roofline(label: str, cost: StepCost, speeds: dict, peak: float) -> list[dict]:
    """The bound on tokens/s, min(peak FLOP/s / FLOPs, bandwidth / bytes per token), for each batch
    size measured. The bandwidth is measured at that batch's working set (weights + every
    sequence's state): the engines' weights are a few MB and stay in cache, so main memory's
    bandwidth would not bound them."""
    rows = []
    for batch, speed in speeds.items():
        working = cost.weight_bytes + batch * cost.state_bytes
        bandwidth = _bandwidth(working)
        compute, memory = peak / cost.flops, bandwidth / cost.bytes_per_token(batch)
        bound = min(compute, memory)
        rows.append({"model": label, "sequences": batch, "flops_per_token": cost.flops,
                     "bytes_per_token": cost.bytes_per_token(batch), "working_set_kb": working / 1024,
                     "gb_per_s": bandwidth / 1e9, "bound_tokens_per_s": bound,
                     "limit": "memory" if memory < compute else "compute", "tokens_per_s": speed,
                     "of_bound": speed / bound})
    return rows


def generation() -> dict:
    import keras

    from musegen.config import ModelConfig, TokenizerConfig
    from musegen.models.build import build_model, receptive_field
    from musegen.generate.sampling import Generator, article_loop
    from musegen.tokens.registry import make_tokenizer

    vocab, window = len(make_tokenizer(TokenizerConfig())), 512
    n_one, n_batch, batch, n_article, n_window = (2000, 1000, 32, 200, 200) if FULL else (1000, 500, 16, 40, 60)
    rng = np.random.default_rng(0)
    # The machine's roofs, measured once, before any model is built or timed.
    peak, memory = _peak_flops(), _bandwidth(2**30)  # 1 GiB: beyond the caches
    log(f"generation: peak {peak / 1e9:,.0f} GFLOP/s (float32 matmul), memory {memory / 1e9:,.1f} GB/s")
    rows, roofline = [], []
    setups = [("wavenet", None), ("simple-wavenet", None), ("lstm", None), ("lstm", "article")]
    for kind, setup in setups:
        if setup == "article":  # the article's own set-up: scalar inputs, last step, 32-token window
            keras.utils.set_random_seed(0)
            config = ModelConfig(kind=kind, inputs="scalar", targets="last", dropout=0.0)
            v, w = 60, 32
            model, source = build_model(config, v, w), "random weights"
        else:
            model, config, v, w, source = _model_for(kind, vocab, window)
        label = f"{kind} (article set-up)" if setup else kind
        log(f"generation: {label} ({source})")
        gen = Generator.from_model(model, config, v, w, 0)
        # Ours runs in a child process without TensorFlow, as the CLI and the app run it.
        one = engine_speed(model, config, v, w, n_one)
        batched = engine_speed(model, config, v, w, n_batch, batch)
        last_only = config.targets == "last"
        window_ids = list(rng.integers(3, v, w))
        article_loop(model, window_ids, 3, last_only)  # builds predict's function
        article = _median_speed(lambda: n_article / _timed(lambda: article_loop(model, window_ids, n_article, last_only)))
        # The window a cache-free generator must rerun: the receptive field, or the training window.
        context = w if last_only else min(receptive_field(config) or w, w)
        compiled = _window_speed(model, context, n_window, last_only, rng)
        cost = step_cost(gen.engine)
        roofline += _roofline(label, cost, {1: one, batch: batched}, peak)
        rows.append({"model": label, "weights": source, "params": int(model.count_params()), "fast_path": gen.fast,
                     "article_tokens_per_s": article, "window": context, "window_tokens_per_s": compiled,
                     "tokens_per_s_one": one, "tokens_per_s_batch": batched, "batch": batch,
                     "ratio_one": one / article, "ratio_window": one / compiled, "ratio_batch": batched / article})
        log(f"  article loop {article:,.0f} tok/s | compiled window ({context}) {compiled:,.0f} tok/s | ours: one "
            f"sequence {one:,.0f} tok/s ({one / compiled:,.1f}× the compiled window), batch of {batch} {batched:,.0f}")
        log("  roofline: " + "; ".join(f"{r['sequences']} seq bound {r['bound_tokens_per_s']:,.0f} tok/s "
                                       f"({r['limit']}), ours {r['of_bound']:.0%}" for r in roofline[-2:]))
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    x = np.arange(len(rows))
    bars = [("article_tokens_per_s", "article loop (predict per note)"),
            ("window_tokens_per_s", "Keras, compiled window"),
            ("tokens_per_s_one", "NumPy engine, 1 sequence"),
            ("tokens_per_s_batch", f"NumPy engine, batch of {batch}")]
    for i, (key, name) in enumerate(bars):
        ax.bar(x + (i - 1.5) * 0.2, [r[key] for r in rows], 0.2, label=name)
    ax.set_xticks(x, [r["model"] for r in rows])
    ax.set_yscale("log")
    ax.set_ylabel("tokens / second")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    save_figure(fig, OUT / "generation.png")
    default = rows[0]
    return {"rows": rows, "roofline": roofline, "peak_gflops": peak / 1e9, "memory_gb_per_s": memory / 1e9,
            "ratio": default["ratio_window"],
            "summary": f"default WaveNet, one sequence: NumPy engine {default['tokens_per_s_one']:,.0f} tok/s, "
                       f"{default['ratio_window']:,.1f}× the compiled Keras window, "
                       f"{default['ratio_one']:,.0f}× the article's loop, {roofline[0]['of_bound']:.0%} of "
                       f"this machine's bound"}


def _timed(work) -> float:
    with Timer() as t:
        work()
    return t.seconds


# ------------------------------------------------------------------------------ 2. training


def training() -> dict:
    from musegen.cli.train import article_preset
    from musegen.config import DataConfig, ModelConfig, RunConfig, TokenizerConfig, TrainConfig, replace
    from musegen.evaluate.heldout import heldout, split_pieces
    from musegen.music.sources import load_pieces
    from musegen.train.fit import train

    budget, max_files = (150.0, 0) if FULL else (40.0, 120)
    data = DataConfig(dataset="bach", max_files=max_files)
    loaded = load_pieces("bach", data)
    article_window = 32
    setups = {
        "article-lstm": ("article: LSTM, notes tokens, scalar inputs, last-step target",
                         article_preset(RunConfig(data=data, model=ModelConfig(kind="lstm")))),
        "ours-notes": ("ours: WaveNet, notes tokens (the article's), embeddings, every position",
                       RunConfig(data=replace(data, window=64, stride=32), tokenizer=TokenizerConfig(scheme="notes"))),
        "ours-default": ("ours: WaveNet, the default metre tokens, embeddings, every position", RunConfig(data=data)),
    }
    if FULL:
        setups["article-simple-wavenet"] = ("article: simple WaveNet, notes tokens, scalar inputs, last-step target",
                                            article_preset(RunConfig(data=data, model=ModelConfig(kind="simple-wavenet"))))
    rows, curves = [], {}
    for name, (title, config) in setups.items():
        config.train = TrainConfig(epochs=10_000, max_seconds=budget, seed=1)
        out = RESULTS / "runs" / name
        shutil.rmtree(out, ignore_errors=True)
        log(f"training: {title} for {budget:.0f} s")
        run = train(config, out, pieces=loaded)
        _, val, _ = split_pieces(run, loaded.pieces)
        # The article's model predicts token 33 onwards of each piece; score ours on those too.
        stats = heldout(run, val, from_token=article_window if config.tokenizer.scheme == "notes" else 1)
        row = {"setup": name, "title": title, "scheme": config.tokenizer.scheme, "vocab": len(run.tokenizer),
               "params": run.summary["params"], "epochs": run.summary["epochs"], "seconds": run.summary["seconds"],
               "val_nll": stats["nll"], "val_accuracy": stats["accuracy"], "bits_per_quarter": stats["bits_per_quarter"],
               "val_tokens": stats["tokens"]}
        rows.append(row)
        curves[name] = {"elapsed": run.history.get("elapsed", []), "val_loss": run.history.get("val_loss", [])}
        log(f"  {run.summary['epochs']} epochs, val NLL {stats['nll']:.3f} ({config.tokenizer.scheme} tokens), "
            f"accuracy {stats['accuracy']:.1%}, {stats['bits_per_quarter']:.2f} bits/quarter")
    by = {r["setup"]: r for r in rows}
    art, ours = by["article-lstm"], by["ours-notes"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for name, c in curves.items():
        ax.plot(c["elapsed"], c["val_loss"], marker="o", ms=3, label=f"{name} ({by[name]['scheme']} tokens)")
    ax.set_xlabel("training seconds")
    ax.set_ylabel("validation NLL per token")
    ax.legend(frameon=False, fontsize=8)
    save_figure(fig, OUT / "training.png")
    return {"rows": rows, "budget_seconds": budget, "files": len(loaded.pieces), "curves": curves,
            "ratio": art["val_nll"] / ours["val_nll"],
            "summary": f"same notes tokens, a {budget:.0f} s budget each (early stopping may end a run sooner: "
                       f"the s column): val NLL article {art['val_nll']:.3f} in {art['seconds']:.0f} s vs ours "
                       f"{ours['val_nll']:.3f} in {ours['seconds']:.0f} s, accuracy "
                       f"{art['val_accuracy']:.1%} vs {ours['val_accuracy']:.1%}"}


# ------------------------------------------------------------------------------ 3. loading


def loading() -> dict:
    from music21 import converter

    from musegen.config import DataConfig
    from musegen.render.midi import piece_to_midi_bytes
    from musegen.music.corpus import BUILTIN
    from musegen.music.readers import read_file_bytes
    from musegen.music.sources import load_pieces

    n = 150 if FULL else 50
    files = BUILTIN["bach"].files()[:n]
    work = Path(tempfile.mkdtemp(prefix="musegen-bench-"))
    try:
        read_file_bytes(files[0].name, files[0].read_bytes())  # import music21 before timing
        with Timer() as t_xml:
            pieces = [read_file_bytes(f.name, f.read_bytes()) for f in files]
        midi_dir = work / "midi"
        midi_dir.mkdir()
        for piece in pieces:
            (midi_dir / f"{Path(piece.name).stem}.mid").write_bytes(piece_to_midi_bytes(piece))
        midis = sorted(midi_dir.iterdir())
        converter.parse(str(midis[0]), forceSource=True)
        with Timer() as t_m21:
            notes_m21 = sum(len(converter.parse(str(p), forceSource=True).flatten().notes) for p in midis)
        read_file_bytes(midis[0].name, midis[0].read_bytes())
        with Timer() as t_sym:
            notes_sym = sum(read_file_bytes(p.name, p.read_bytes()).n_notes for p in midis)
        cache = work / "cache"
        with Timer() as t_first:
            load_pieces(midi_dir, DataConfig(), cache_dir=cache)
        with Timer() as t_cache:
            hit = load_pieces(midi_dir, DataConfig(), cache_dir=cache)
        assert hit.cached
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per = lambda t: 1000 * t.seconds / len(files)  # noqa: E731
    rows = [
        {"path": "music21, the chorales' MusicXML (.mxl)", "ms_per_file": per(t_xml), "seconds": t_xml.seconds},
        {"path": "music21, the same music as MIDI", "ms_per_file": per(t_m21), "seconds": t_m21.seconds},
        {"path": "symusic MIDI path (read_file_bytes)", "ms_per_file": per(t_sym), "seconds": t_sym.seconds},
        {"path": "load_pieces on the MIDI folder, first time (hash + parse + write cache)",
         "ms_per_file": per(t_first), "seconds": t_first.seconds},
        {"path": "load_pieces again (cache hit)", "ms_per_file": per(t_cache), "seconds": t_cache.seconds},
    ]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    ax.barh([r["path"].split(" (")[0] for r in rows][::-1], [r["ms_per_file"] for r in rows][::-1])
    ax.set_xscale("log")
    ax.set_xlabel(f"milliseconds per file ({len(files)} Bach chorales)")
    save_figure(fig, OUT / "loading.png")
    ratio = t_m21.seconds / t_sym.seconds
    return {"rows": rows, "files": len(files), "notes_music21": notes_m21, "notes_symusic": notes_sym,
            "ratio": ratio, "ratio_mxl": t_xml.seconds / t_sym.seconds, "ratio_cache": t_sym.seconds / t_cache.seconds,
            "summary": f"{len(files)} chorales as MIDI: music21 {per(t_m21):.0f} ms/file vs symusic "
                       f"{per(t_sym):.2f} ms/file = {ratio:,.0f}× (MusicXML through music21: "
                       f"{t_xml.seconds / t_sym.seconds:,.0f}×; cache hit {per(t_cache):.2f} ms/file)"}


# ------------------------------------------------------------------------------ 4. rendering


def rendering() -> dict:
    from musegen.render.audio import audio_stats, render
    from musegen.config import DataConfig
    from musegen.render.midi import piece_to_midi_bytes
    from musegen.music.sources import load_pieces

    pieces = load_pieces("bach", DataConfig(dataset="bach", max_files=6 if FULL else 3)).pieces
    rows = []
    work = Path(tempfile.mkdtemp(prefix="musegen-bench-"))
    try:
        for fmt in ("wav", "ogg"):
            wall = audio = size = 0.0
            for i, piece in enumerate(pieces):
                out = work / f"{i}.{fmt}"
                with Timer() as t:
                    render(piece_to_midi_bytes(piece), out)
                wall += t.seconds
                audio += audio_stats(out)["seconds"]
                size += out.stat().st_size
            rows.append({"format": fmt, "audio_seconds": audio, "wall_seconds": wall, "realtime": audio / wall,
                         "mb_per_minute": size / 1e6 / (audio / 60)})
            log(f"rendering {fmt}: {audio:.0f} s of audio in {wall:.1f} s ({audio / wall:.0f}× real time), "
                f"{size / 1e6 / (audio / 60):.2f} MB per minute")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wav, ogg = rows
    ratio = wav["mb_per_minute"] / ogg["mb_per_minute"]
    return {"rows": rows, "ratio": ratio,
            "summary": f"FluidSynth renders {wav['realtime']:.0f}× real time to WAV ({ogg['realtime']:.0f}× to OGG); "
                       f"WAV {wav['mb_per_minute']:.1f} MB/min vs OGG {ogg['mb_per_minute']:.2f} MB/min = {ratio:.0f}× smaller"}


# ------------------------------------------------------------------------------ 5. memory


def _child(*args) -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "memchild.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=900)
    if proc.returncode:
        raise RuntimeError(f"memchild {args[0]} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory() -> dict:
    rows = [_child("baseline")]
    log(f"memory: TensorFlow + Keras imported: {rows[-1]['peak_mb']:.0f} MB")
    rows.append(_child("train", str(RESULTS / "runs" / "memory-train"), "60" if FULL else "20"))
    log(f"memory: training the default WaveNet: {rows[-1]['peak_mb']:.0f} MB")
    bundled = sorted(p for p in ASSETS.glob("*") if (p / "model.keras").is_file()) if ASSETS.is_dir() else []
    runs = bundled or [RESULTS / "runs" / "memory-train"]
    app = _child("app", *map(str, runs))
    app["source"] = "bundled models" if bundled else "the run trained above (no bundled models yet)"
    rows.append(app)
    log(f"memory: app-like process with {', '.join(app['runs'])}: {app['peak_mb']:.0f} MB")
    base = rows[0]["peak_mb"]
    return {"rows": rows, "ratio": app["peak_mb"] / base,
            "summary": f"peak RSS (VmHWM): TensorFlow alone {base:.0f} MB, training {rows[1]['peak_mb']:.0f} MB, "
                       f"app with {len(app['runs'])} model(s) {app['peak_mb']:.0f} MB (of the hosted demo's ~2,700 MB)"}


# ------------------------------------------------------------------------------ report

SECTIONS = {"generation": generation, "training": training, "loading": loading, "rendering": rendering,
            "memory": memory}


INTRO = {
    "generation": "The same trained model generating: the article's loop (one `model.predict` per note), the "
                  "strongest simple alternative without a cache (the Keras model's forward pass compiled once with "
                  "XLA and run over a sliding window of its context, one call per token), and our NumPy engine "
                  "(cached state, one token's work per token; `musegen/models/engine.py`), measured in a process without "
                  f"TensorFlow as the CLI and the app run it. Every speed is the median of {TIMED_RUNS} runs.",
    "training": "Equal wall-time on the same Bach chorales and validation files: the article's set-up against ours "
                "on the article's notes tokens (scored on the tokens the article's model can predict, from the 33rd "
                "of each piece), and ours on the default metre tokens. NLL and accuracy compare only within one "
                "vocabulary (the notes rows), not across schemes. The study (docs/study.md) repeats this with "
                "longer budgets.",
    "loading": "Bach chorales parsed serially in one warm process: music21 on the MusicXML originals and on the same "
               "music written as MIDI, our symusic MIDI path, and the parse cache.",
    "rendering": "FluidSynth with the General MIDI soundfont: seconds of audio per second of work, and size per minute.",
    "memory": "Peak resident memory (VmHWM from /proc/self/status) of one process each (`bench/memchild.py`): "
              "TensorFlow and Keras imported, a training, and the app: its libraries with every bundled model, one "
              "piece each composed, rendered and engraved (generation never imports TensorFlow).",
}


def report(results: dict) -> str:
    parts = ["# Benchmarks", "",
             f"Written by `make bench` (`bench/run.py`, {results.get('size', SIZE)} sizes) from "
             "`docs/benchmarks/results.json`; do not edit by hand. Each section compares ways of doing one thing on the "
             "same input in the same run, on this machine's CPU cores. Steering and the speed of `musegen generate` "
             "are in [steering.md](steering.md).", ""]
    for name in SECTIONS:
        r = results.get(name)
        if not r:
            continue
        parts.append(f"## {name.capitalize()}\n\n{INTRO[name]}\n\n**{r['summary']}.**\n")
        columns = {
            "generation": [("model", "model", ""), ("weights", "weights", ""),
                           ("article_tokens_per_s", "article loop tok/s", ",.0f"),
                           ("window", "window", ""), ("window_tokens_per_s", "compiled window tok/s", ",.0f"),
                           ("tokens_per_s_one", "ours, 1 seq tok/s", ",.0f"), ("tokens_per_s_batch", "ours, batch tok/s", ",.0f"),
                           ("ratio_window", "× compiled window", ",.1f"), ("ratio_one", "× article", ",.0f")],
            "training": [("title", "set-up", ""), ("scheme", "tokens", ""), ("params", "params", ","),
                         ("epochs", "epochs", ""), ("seconds", "s", ".0f"), ("val_nll", "val NLL/token", ".3f"),
                         ("val_accuracy", "val accuracy", ".1%")],
            "loading": [("path", "path", ""), ("ms_per_file", "ms per file", ",.2f"), ("seconds", "total s", ".2f")],
            "rendering": [("format", "format", ""), ("audio_seconds", "audio s", ".0f"), ("wall_seconds", "wall s", ".1f"),
                          ("realtime", "× real time", ".0f"), ("mb_per_minute", "MB per minute", ".2f")],
            "memory": [("what", "process", ""), ("peak_mb", "peak RSS MB", ",.0f"), ("seconds", "s", ".0f")],
        }[name]
        parts.append(markdown_table(r["rows"], columns) + "\n")
        if name == "generation" and r.get("roofline"):
            parts.append(_roofline_text(r))
        if (OUT / f"{name}.png").is_file():
            parts.append(f"![{name}](benchmarks/{name}.png)\n")
    return "\n".join(parts)


def _roofline_text(r: dict) -> str:
    columns = [("model", "model", ""), ("sequences", "sequences", ""), ("flops_per_token", "FLOPs/token", ",.0f"),
               ("bytes_per_token", "bytes/token", ",.0f"), ("working_set_kb", "working set KB", ",.0f"),
               ("gb_per_s", "GB/s at that size", ",.1f"), ("bound_tokens_per_s", "bound tok/s", ",.0f"),
               ("limit", "limited by", ""), ("tokens_per_s", "ours tok/s", ",.0f"),
               ("of_bound", "ours, % of bound", ".0%")]
    return (f"**How far from the machine's limit.** For one token, the FLOPs our engine computes (counted from "
            f"each model's weights as `musegen/models/engine.py` runs them, sampling included; a multiply-add is 2) and the "
            f"bytes it must read or write: the weights once per step, shared by a batch, plus each sequence's "
            f"state (embedding row, cached taps, LSTM state). The bound is min(peak FLOP/s ÷ FLOPs per token, "
            f"bandwidth ÷ bytes per token), with the peak measured in the same run: {r['peak_gflops']:,.0f} GFLOP/s "
            f"(a 2048² float32 matmul on every core, best of 5). Main memory gives {r['memory_gb_per_s']:,.1f} GB/s "
            f"(a dot product over 1 GiB), but the weights here are a few MB and stay in cache, so each row's "
            f"bandwidth is measured the same way over a working set of its size (weights + every sequence's "
            f"state).\n\n" + markdown_table(r["roofline"], columns) + "\n")


def main(names: list[str]) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    RESULTS.mkdir(parents=True, exist_ok=True)  # scratch: the runs trained here
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "results.json"
    results = json.loads(path.read_text()) if path.is_file() else {}
    results["size"] = SIZE
    for name in names or list(SECTIONS):
        if name not in SECTIONS:
            raise SystemExit(f"unknown section {name}: choose from {', '.join(SECTIONS)}")
        with Timer() as t:
            results[name] = SECTIONS[name]()
        results[name]["bench_seconds"] = round(t.seconds, 1)
        log(f"== {name}: {results[name]['summary']}  [{t.seconds:.0f} s]")
        write_json(path, rounded(results))
        (ROOT / "docs" / "benchmarks.md").write_text(report(results))
    log(f"results: {path} and docs/benchmarks.md")


if __name__ == "__main__":
    main(sys.argv[1:])
