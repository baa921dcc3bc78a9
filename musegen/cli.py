"""The `musegen` command: datasets, inspect, train, generate, evaluate, render, import.

    datasets   the built-in datasets
    inspect    a dataset's per-file report (what was read, what was skipped and why) and its
               statistics (notes, minutes, pitch range, time signatures, tempo, parts), no training
    train      train a model into a run folder (skipped files are listed with their reasons)
    generate   write new music with a run
    evaluate   measure a run
    render     MIDI to audio
    import     unpack a run bundle .zip (as the app's download makes it) into a new run folder

Long work shows a progress bar on stderr; --json prints a one-line summary on stdout; an error is
one line on stderr and a non-zero exit.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import time
from pathlib import Path

from .config import (RUN_RANGES, SAMPLE_RANGES, DataConfig, ModelConfig, RunConfig, SampleConfig, TokenizerConfig,
                     TrainConfig, number_text, replace)
from .errors import OUT_OF_MEMORY, InputError, MusegenError, out_of_memory
from .messages import msg
from .files import check_regular


def printable(text) -> str:
    """Text safe to show on a terminal: a file name can hold escape sequences, newlines or carriage
    returns, so every unprintable character is written out as Python does (\\x1b, \\n, \\u202e)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))


def say(text) -> None:
    """One line for the person at the terminal (stderr), with file names made printable."""
    print(printable(text), file=sys.stderr)


def bar(done: float, total: float, text: str = "", width: int = 28) -> None:
    """One self-overwriting progress line on stderr (only when stderr is a terminal or forced)."""
    if not (sys.stderr.isatty() or os.environ.get("MUSEGEN_PROGRESS")):
        return
    frac = min(1.0, done / total) if total else 0.0
    filled = int(frac * width)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {frac:4.0%} {printable(text)}\033[K")
    sys.stderr.flush()


def files_bar():
    """The progress of reading music: the bar, '1,234/20,000 files · about 40 s left' and the file just read."""
    from .music.sources import FilesLeft

    left = FilesLeft()
    return lambda done, total, name: bar(done, total, f"{left(done, total)}  {name}")


def end_bar() -> None:
    if sys.stderr.isatty() or os.environ.get("MUSEGEN_PROGRESS"):
        sys.stderr.write("\n")


def import_tensorflow_quietly() -> None:
    """TensorFlow's C++ start-up notices bypass every log setting; keep them off a musician's screen."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def cmd_datasets(args) -> dict:
    from .music.sources import list_datasets

    rows = list_datasets()
    if not args.json:
        for d in rows:
            print(printable(f"{d['name']:<12} {d['files']:>5} files  {d['title']}"))
    return {"datasets": rows}


SKIPPED_SHOWN = 20  # skipped files listed on the terminal before "… and N more"


def report_rows(loaded) -> list[dict]:
    """Every file's report, for --json: name, status (parsed | skipped), reason, notes, seconds, sha256."""
    return [{"name": r.name, "status": r.status, "reason": str(r.reason), "notes": int(r.notes),
             "seconds": round(float(r.seconds), 3), "sha256": r.sha256} for r in loaded.report]


def say_files(loaded, limit: int | None = SKIPPED_SHOWN, out=say) -> None:
    """'N files read, M skipped:' and the skipped files with their reasons, at most `limit` of them."""
    skipped = loaded.skipped
    out(f"{len(loaded.report) - len(skipped)} files read, {len(skipped)} skipped{':' if skipped else ''}")
    shown = skipped if limit is None else skipped[:limit]
    for r in shown:
        out(f"  {r.name}: {r.reason}")
    if len(skipped) > len(shown):
        out(f"  … and {len(skipped) - len(shown)} more (see --json or musegen inspect)")


def show(text) -> None:
    """One line of a command's own output (stdout), with file names made printable."""
    print(printable(text))


def article_preset(config: RunConfig) -> RunConfig:
    """The article's set-up: notes/chords tokens, 32-step windows, scalar inputs, last-step target."""
    config.tokenizer = replace(config.tokenizer, scheme="notes")
    config.data = replace(config.data, window=32, stride=1, parts="auto")  # auto: its piano-part choice
    config.model = replace(config.model, inputs="scalar", targets="last", dropout=0.0)
    return config


MODEL_FLAGS = ("article", "scheme", "min_count", "velocity_bins", "model", "dilation_depth", "stacks",
               "residual_channels", "lstm_units", "inputs", "targets", "dropout")


MAX_CONFIG_BYTES = 1_000_000  # a RunConfig JSON is a few kB


def read_config(path: str) -> RunConfig:
    from .files import read_regular

    try:  # a regular file of bounded size, checked before it is read (--config /dev/zero took 3.3 GB)
        return RunConfig.from_json(read_regular(path, MAX_CONFIG_BYTES, "a RunConfig file").decode("utf-8"))
    except ValueError as e:  # not JSON, not UTF-8
        raise InputError(msg("said.not_config", path=path, error=str(e))) from None
    except RecursionError:  # lists nested 100,000 deep
        raise InputError(msg("said.not_config", path=path, error=msg("said.nested_deeply"))) from None


def train_config(args) -> RunConfig:
    config = read_config(args.config) if args.config else RunConfig()
    if args.base:
        given = [f"--{name.replace('_', '-')}" for name in MODEL_FLAGS if getattr(args, name, None) not in (None, False)]
        if given:
            raise InputError(msg("said.from_leave_out", flags=", ".join(given)))
        if args.resume:
            raise InputError(msg("said.from_or_resume"))
    if args.article:
        config = article_preset(config)
    config.data = replace(config.data, dataset=args.dataset, parts=args.parts, drums=args.drums, max_files=args.max_files,
                          window=args.window, stride=args.stride, val_fraction=args.val_fraction)
    config.tokenizer = replace(config.tokenizer, scheme=args.scheme, min_count=args.min_count,
                               velocity_bins=args.velocity_bins)
    config.model = replace(config.model, kind=args.model, dilation_depth=args.dilation_depth, stacks=args.stacks,
                           residual_channels=args.residual_channels, lstm_units=args.lstm_units,
                           inputs=args.inputs, targets=args.targets, dropout=args.dropout)
    lr = args.lr
    if args.base and lr is None and not args.config:
        from .train.fit import FINE_TUNE_LEARNING_RATE

        lr = FINE_TUNE_LEARNING_RATE  # gentler than a fresh run's, so the base's learning is not washed out
    epochs = args.epochs
    if epochs is None and args.max_seconds and not args.config:
        epochs = 0  # a time budget alone: train until it ends (or early stopping), not a default epoch count
    config.train = replace(config.train, epochs=epochs, max_seconds=args.max_seconds, batch_size=args.batch_size,
                           learning_rate=lr, seed=args.seed, early_stopping=args.early_stopping,
                           steps_per_epoch=args.steps_per_epoch, transpose=args.transpose, jitter=args.jitter,
                           base=args.base, precision=args.precision, jit_compile=args.jit_compile)
    config.check()  # a typo (a window of 0, a negative rate) fails here, before any music is read
    if not args.base:  # a model too big for any machine too (its vocabulary, known later, only adds to it)
        from .models.build import check_size

        check_size(config.model, 0, config.data.window)
    return config


def check_writable(target: Path, folder: Path | None = None) -> None:
    """A place we cannot write fails now, not after the music is read, an epoch trained or a piece
    written. `folder`: where `target` goes (its own folder for a run; else its parent)."""
    if folder is None:
        from .files import check_target

        check_target(target)  # /dev/full, a pipe, a folder: refused before any work, never replaced
    folder = Path(target).parent if folder is None else folder
    while not folder.exists() and folder != folder.parent:  # created on writing: its nearest existing parent
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(msg("said.write_no_folder", path=str(target), folder=str(folder)))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(msg("said.write_denied", path=str(target)))


def training_printer(quiet: bool):
    """Progress bar per batch and one line per epoch, on stderr."""

    def progress(event):
        if event["event"] == "batch":
            of = f"/{event['epochs']}" if event["epochs"] else ""
            bar(event["step"], event["steps"],
                f"epoch {event['epoch']}{of} loss {event.get('loss', 0):.3f} eta {event['eta']:.0f}s")
        elif event["event"] == "epoch":
            end_bar()
            if not quiet:
                val = f" val_loss {event['val_loss']:.3f} val_acc {event.get('val_accuracy', 0):.1%}" if "val_loss" in event else ""
                saved = "  (saved)" if event["improved"] else ""
                say(f"epoch {event['epoch']}: loss {event['loss']:.3f} acc {event.get('accuracy', 0):.1%}{val}{saved}")
        elif not quiet:
            device = event.get("device")
            say(str(event["message"]) + (f" On {device}, {event['precision']}"
                                    f"{', XLA-compiled' if event.get('jit_compile') else ''}." if device else ""))

    return progress


def cmd_train(args) -> dict:
    from .runs import Run
    from .music.sources import load_pieces
    from .train.distribute import cluster_from_env, interrupted, tf_config_from_file
    from .train.fit import find_base, start_fit, train

    config = train_config(args)
    if args.cluster:
        os.environ["TF_CONFIG"] = tf_config_from_file(args.cluster)  # read by train(), before TensorFlow starts
    cluster = cluster_from_env()
    if args.base:
        find_base(args.base)  # a missing or damaged base fails before the music is read
    what = f"from-{Path(args.base).name}" if args.base else config.model.kind
    out = Path(args.out or f"runs/{Path(config.data.dataset).stem}-{what}-{time.strftime('%Y%m%d-%H%M%S')}")
    if args.resume:
        config.data = Run.load(out).config.data  # a resumed run keeps its own music and split
    elif (out / "model.keras").exists() and cluster.chief and not (cluster.distributed and interrupted(out)):
        raise InputError(msg("said.run_exists", out=str(out)))
    if cluster.chief:  # the others write only a temporary folder
        check_writable(out, folder=out)
    # Bad input fails here, before TensorFlow loads.
    pieces = load_pieces(config.data.dataset, config.data, progress=files_bar())
    end_bar()
    if not args.json:
        say_files(pieces)
    if args.base and not args.json:
        fit = start_fit(find_base(args.base), pieces.pieces)
        if fit["code"] == "new_layout":
            say(f"Warning: {args.base} has only learnt music in {', '.join(map(str, fit['seen']))} part(s), and most of "
                f"these pieces have {fit['parts']}: its guesses for the other parts start from nothing, so it may end "
                "worse than a new model. --from base knows every layout.")
    import_tensorflow_quietly()
    run = train(config, out, pieces=pieces, progress=training_printer(args.json), resume=args.resume)
    if run is None:
        if not args.json:
            say(f"Worker {cluster.index} of {len(cluster.workers)} done: the chief ({cluster.workers[0]}) saved the run.")
        return {"run": None, "worker": cluster.index, "workers": len(cluster.workers)}
    s = run.summary
    if not args.json:
        val_loss = s["val_loss"] if s["val_loss"] is not None else float("nan")
        dropped = run.data.get("dropped_tokens", {})
        if dropped:
            say(f"Rare-token cutoff {config.tokenizer.min_count}: dropped {len(dropped)} tokens "
                f"({sum(dropped.values())} occurrences), kept {len(run.tokenizer) - 3}")
        base = f" fine-tuned from {s['base']}" if s.get("base") else ""
        say(f"Saved {run.path}: {s['model']}{base}, {s['params']:,} parameters, best val_loss {val_loss:.3f}, "
            f"{s['seconds']:.0f} s")
        if s.get("context_bars"):
            say(f"Context: {s['context_tokens']} tokens ≈ {s['context_bars']:.1f} bars of this music")
        say(s["stop_reason"])
    return {"run": str(run.path), "val_loss": s["val_loss"], "val_accuracy": s["val_accuracy"],
            "params": s["params"], "seconds": round(s["seconds"], 2), "epochs": s["epochs"],
            "best_epoch": s["best_epoch"], "receptive_field": s["receptive_field"], "stopped": s["stopped"],
            "stop_reason": s["stop_reason"], "base": s.get("base"),
            "start_val_loss": s.get("start_val_loss"), "chance_loss": s.get("chance_loss"),
            "context_tokens": s.get("context_tokens"), "context_bars": s.get("context_bars"),
            "files": pieces.summary(), "report": report_rows(pieces)}


def span(name: str, ranges: dict = SAMPLE_RANGES) -> str:
    """The range a setting accepts, for --help (the same tables SampleConfig.check and RunConfig.check use)."""
    low, high = ranges[name]
    return f"; {number_text(low)}–{number_text(high)}"


def numbered(path: Path, i: int, n: int) -> Path:
    return path if n == 1 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")


def cmd_generate(args) -> dict:
    from .render.audio import render
    from .models.engine import WEIGHTS
    from .render.midi import instrument_program, write_midi, write_musicxml
    from .runs import Run
    from .generate.sample import Composer
    from .music.sources import read_piece

    run = Run.load(args.run)
    if not (run.path / WEIGHTS).is_file():
        import_tensorflow_quietly()  # a run saved before weights.npz: its weights come from model.keras
    for target in (args.out, args.musicxml, args.audio):
        if target:
            check_writable(Path(target))
    sample = SampleConfig(length=args.length, seconds=args.seconds, temperature=args.temperature,
                          rhythm_temperature=args.rhythm_temperature, top_k=args.top_k,
                          top_p=args.top_p, seed=args.seed, variations=args.variations,
                          primer=args.primer if args.primer in ("random", "none") else "file",
                          primer_tokens=args.primer_tokens, primer_bars=args.primer_bars, keep_primer=args.keep_primer,
                          tempo=args.tempo, program=instrument_program(args.instrument) if args.instrument else None,
                          key=args.key, key_strength=args.key_strength, pitch_range=args.pitch_range,
                          repetition_guard=args.repetition_guard == "on", echo=args.bar_echo, bars=args.bars,
                          time_signature=args.time_signature)
    sample.check()  # a setting out of range fails before the primer is read
    piece = None
    if sample.primer == "file":
        primer_path = Path(args.primer)
        if not primer_path.is_file():  # a misspelt "random" or path must not compose from nothing in silence
            raise InputError(msg("said.no_primer_file", path=str(primer_path)))
        # In a worker process, as uploads are: with the time and memory limits, never in this one.
        piece = read_piece(primer_path, run.config.data.parts, run.config.data.limits)
    composition = Composer(run).compose(sample, piece)  # NumPy only: no TensorFlow to import
    outputs = []
    n = len(composition.pieces)
    for i, written in enumerate(composition.pieces):
        files = {"midi": str(write_midi(written, numbered(Path(args.out), i, n)))}
        if args.musicxml:
            files["musicxml"] = str(write_musicxml(written, numbered(Path(args.musicxml), i, n)))
        if args.audio:
            files["audio"] = str(render(Path(files["midi"]), numbered(Path(args.audio), i, n)))
        outputs.append(files)
        if not args.json:
            took_over = f", the model takes over at quarter {written.takeover:g}" if written.takeover else ""
            say(f"{', '.join(files.values())}: {written.n_notes} notes, {written.seconds:.1f} s{took_over}")
    if composition.steering and not args.json:
        say(f"steering: {', '.join(map(str, composition.steering))}")
    for remark in composition.remarks if not args.json else []:
        say(f"note: {remark}")
    first = composition.pieces[0]
    return {"tokens": int(sum(len(x) for x in composition.ids)), "tokens_per_s": round(composition.tokens_per_s, 1),
            "seed": composition.seed, "outputs": outputs, "steering": [str(m) for m in composition.steering],
            "remarks": [str(m) for m in composition.remarks],
            "continuation": piece is not None, "takeover_quarters": first.takeover,
            "time_signature": "/".join(map(str, first.time_signature)), "tempo": round(first.tempo, 2)}


def cmd_render(args) -> dict:
    from .render.audio import MAX_RENDER_SECONDS, music_seconds, render
    from .units import format_duration

    check_writable(Path(args.out))
    check_regular(args.midi, DataConfig().limits.max_file_bytes, "a MIDI file")  # not /dev/zero, not a pipe
    out = render(Path(args.midi), Path(args.out), max_seconds=args.max_seconds)
    music = music_seconds(Path(args.midi))
    rendered = min(music, args.max_seconds, MAX_RENDER_SECONDS)
    if not args.json:
        say(out)
        if music > rendered and args.max_seconds > MAX_RENDER_SECONDS:
            say(f"note: the music lasts {format_duration(music)}; the audio holds its first {format_duration(rendered)}, "
                "the most one render writes.")
    return {"audio": str(out), "seconds": round(rendered, 3), "music_seconds": round(music, 3)}


def cmd_evaluate(args) -> dict:
    from .evaluate.metrics import check_evaluate, evaluate
    from .runs import Run
    from .music.sources import load_pieces

    check_evaluate(args.pieces, args.length, args.temperature, args.top_p, args.seed)  # before the run or its music
    run = Run.load(args.run)
    data = replace(run.config.data, dataset=args.dataset) if args.dataset else run.config.data
    if not args.json:
        say(f"Reading {data.dataset}…")
    loaded = load_pieces(data.dataset, data)
    if not args.json and loaded.skipped:
        say_files(loaded)
    pieces = loaded.pieces
    result = evaluate(run, pieces, n_pieces=args.pieces, length=args.length, temperature=args.temperature,
                      top_p=args.top_p, seed=args.seed, strict=not args.dataset)
    if not args.json:
        c, m = result["collapse"], result["memorisation"]
        say(f"{run.name}: val NLL {result['nll']:.3f} nats/token, perplexity {result['perplexity']:.2f}, "
            f"accuracy {result['accuracy']:.1%} on {result['val_files']} files ({result['val_tokens']} tokens)")
        say(f"{result['pieces']} pieces at temperature {result['temperature']}: overlap with the data "
            f"{result['overlap']:.2f}, KL {result['kl']:.3f}; {c['collapsed']} collapsed")
        say(f"  copied from the training music, longest passage per piece: {m['matched_longest_copy']:.0f} tokens on "
            f"average (real music of the same length: {m['validation_baseline']:.0f}); the longest of all "
            f"{m['longest_copy']} ({m['longest_copy_file']})")
        real, made = result["structure"]["real"], result["structure"]["generated"]
        for key, label in (("on_beat_share", "notes on the beat"), ("beat_chord_fit", "beat chords that are triads/7ths"),
                           ("bar_repetition", "bars repeated"), ("key_stability", "key stability")):
            say(f"  {label}: {_share(made.get(key))} (real music {_share(real.get(key))})")
        if c["warning"]:
            say(c["warning"])
    return {**result, "files": loaded.summary(), "report": report_rows(loaded)}


def dataset_stats(pieces) -> dict:
    """What a dataset holds: notes, minutes, pitch range (drums left out), time signatures, tempos, parts."""
    from collections import Counter

    import numpy as np

    from .render.midi import note_name
    from .music.piece import PART, PITCH

    signatures, tempos, parts = Counter(), Counter(), Counter()
    low, high, drum_pieces = None, None, 0
    for piece in pieces:
        drums = [i for i, part in enumerate(piece.parts) if part.is_drum]
        drum_pieces += bool(drums)
        pitches = piece.notes[~np.isin(piece.notes[:, PART], drums), PITCH] if drums else piece.notes[:, PITCH]
        if len(pitches):
            low = int(pitches.min()) if low is None else min(low, int(pitches.min()))
            high = int(pitches.max()) if high is None else max(high, int(pitches.max()))
        signatures.update({f"{n}/{d}" for _, n, d in piece.time_signatures})  # each piece counts once per metre
        tempos[round(piece.tempo)] += 1
        parts[len(piece.parts)] += 1
    values = sorted(float(p.tempo) for p in pieces)
    return {
        "pieces": len(pieces),
        "notes": int(sum(p.n_notes for p in pieces)),
        "minutes": round(sum(p.seconds for p in pieces) / 60.0, 2),
        "pitch_range": None if low is None else {"lowest": low, "highest": high, "lowest_name": note_name(low),
                                                  "highest_name": note_name(high)},
        "time_signatures": [{"time_signature": ts, "pieces": k} for ts, k in signatures.most_common(5)],
        "tempo": {"most_common": [{"bpm": bpm, "pieces": k} for bpm, k in tempos.most_common(3)],
                  "median": round(values[len(values) // 2], 1) if values else None,
                  "lowest": round(values[0], 1) if values else None, "highest": round(values[-1], 1) if values else None},
        "parts_per_piece": {str(n): k for n, k in sorted(parts.items())},
        "pieces_with_drums": drum_pieces,
    }


def cmd_inspect(args) -> dict:
    from .music.sources import load_pieces

    data = replace(DataConfig(), dataset=args.dataset, parts=args.parts, drums=args.drums, max_files=args.max_files)
    RunConfig(data=data).check()  # --max-files out of range fails in words
    loaded = load_pieces(data.dataset, data, progress=files_bar())
    end_bar()
    stats = dataset_stats(loaded.pieces)
    result = {"dataset": str(loaded.source), "cached": loaded.cached, **loaded.summary(), "stats": stats,
              "report": report_rows(loaded)}
    if args.json:
        return result
    s = stats
    show(f"{loaded.source}: {len(loaded.report)} files, {len(loaded.parsed)} parsed, {len(loaded.skipped)} skipped")
    show(f"Music: {s['notes']:,} notes, {s['minutes']:,.1f} minutes")
    if s["pitch_range"]:
        r = s["pitch_range"]
        drums = f" (drums left out: {s['pieces_with_drums']} pieces have them)" if s["pieces_with_drums"] else ""
        show(f"Pitch range: {r['lowest_name']} ({r['lowest']}) to {r['highest_name']} ({r['highest']}){drums}")
    n = s["pieces"]
    show("Time signatures: " + ", ".join(f"{t['time_signature']} in {t['pieces']}" for t in s["time_signatures"])
         + f" of {n} pieces")
    t = s["tempo"]
    show("Tempo: " + ", ".join(f"{m['bpm']} BPM in {m['pieces']}" for m in t["most_common"])
         + f" of {n} pieces (median {t['median']:g}, {t['lowest']:g}–{t['highest']:g})")
    show("Parts per piece: " + ", ".join(f"{parts} in {k}" for parts, k in s["parts_per_piece"].items())
         + f" of {n} pieces")
    if args.files:
        show("Files:")
        for r in loaded.report:
            show(f"  {r.name}: {r.notes:,} notes, {r.seconds:.1f} s" if r.status == "parsed"
                 else f"  {r.name}: skipped: {r.reason}")
    elif loaded.skipped:
        show("Skipped:")
        for r in loaded.skipped:
            show(f"  {r.name}: {r.reason}")
    return result


def cmd_import(args) -> dict:
    from .config import AppLimits
    from .runs import Run, import_run

    runs = Path(args.runs)
    check_writable(runs, folder=runs)
    # Into a visitor's folder (runs/visitors/<key>), the app's caps apply as they do to the app's import.
    path = import_run(Path(args.bundle), runs, name=args.name, limits=AppLimits.from_env())
    run = Run.load(path)
    s = run.summary
    if not args.json:
        val_loss = f", best val_loss {s['val_loss']:.3f}" if isinstance(s.get("val_loss"), (int, float)) else ""
        params = f", {s['params']:,} parameters" if isinstance(s.get("params"), int) else ""
        say(f"Imported {Path(args.bundle).name} as {path}: {run.config.model.kind}{params}{val_loss}")
        say(f"Generate with: musegen generate {path}")
    return {"run": str(path), "name": path.name, "model": run.config.model.kind, "params": s.get("params"),
            "val_loss": s.get("val_loss")}


def _share(value) -> str:
    return "–" if value is None or value != value else f"{value:.2f}"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musegen", description="Train a WaveNet or an LSTM on MIDI music and generate new pieces.")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, help_text, fn):
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.add_argument("--json", action="store_true", help="print a one-line JSON summary on stdout")
        sp.set_defaults(fn=fn)
        return sp

    command("datasets", "list the built-in datasets (offline, from music21's corpus)", cmd_datasets)

    d, m, t, k = DataConfig(), ModelConfig(), TrainConfig(), TokenizerConfig()
    tr = command("train", "train a model and save it as a run folder", cmd_train)
    tr.add_argument("--dataset", help=f"built-in name, folder, file or .zip (default {d.dataset})")
    tr.add_argument("--model", choices=["wavenet", "simple-wavenet", "lstm"], help=f"default {m.kind}")
    tr.add_argument("--out", help="run folder (default runs/<dataset>-<model>-<time>)")
    tr.add_argument("--config", help="a RunConfig JSON file to start from")
    tr.add_argument("--article", action="store_true", help="the article's set-up: notes tokens, 32-step windows, scalar inputs, last-step target")
    tr.add_argument("--resume", action="store_true", help="continue the run in --out for --epochs more")
    tr.add_argument("--from", dest="base", metavar="RUN",
                    help="fine-tune: start from this run's weights (a run folder or a bundled model such as "
                         "bach-wavenet), keeping its tokens and model; --lr defaults to 3e-4")
    tr.add_argument("--epochs", type=int, help=f"default {t.epochs}, or with --max-seconds alone as many as the budget "
                    "allows (0 = no count: until the budget or early stopping)" + span("epochs", RUN_RANGES["train"]))
    tr.add_argument("--max-seconds", type=float,
                    help="time budget in seconds (0 = none)" + span("max_seconds", RUN_RANGES["train"]))
    tr.add_argument("--batch-size", type=int, help=f"default {t.batch_size}" + span("batch_size", RUN_RANGES["train"]))
    tr.add_argument("--lr", type=float, help=f"learning rate (default {t.learning_rate}; 3e-4 with --from, unless --config sets it)"
                                                  + span("learning_rate", RUN_RANGES["train"]))
    tr.add_argument("--seed", type=int, help=f"default {t.seed}")
    tr.add_argument("--early-stopping", type=int, metavar="EPOCHS",
                    help=f"stop when val loss has not improved for this many epochs; the best epoch is kept "
                         f"(default {t.early_stopping}, 0 = off)" + span("early_stopping", RUN_RANGES["train"]))
    tr.add_argument("--transpose", type=int, metavar="SEMITONES",
                    help="augment: move each training window by up to ± this many semitones, afresh every epoch "
                         "(default 0, off: it raised validation loss in every set-up measured, docs/quality.md)")
    tr.add_argument("--jitter", action=argparse.BooleanOptionalAction,
                    help="augment: nudge tempo and velocity tokens by one step at random (default off)")
    tr.add_argument("--steps-per-epoch", type=int,
                    help="batches per epoch (0 = one pass)" + span("steps_per_epoch", RUN_RANGES["train"]))
    tr.add_argument("--precision", choices=["auto", "float32", "mixed"],
                    help="auto (default): mixed float16 on a GPU of compute capability 7.0 or more, else float32; "
                         "mixed: float16 math on float32 weights anywhere (slow on a CPU)")
    tr.add_argument("--jit-compile", choices=["auto", "on", "off"],
                    help="XLA-compile the training step; auto (default): on with one GPU, off on a CPU (Keras's choice)")
    tr.add_argument("--cluster", metavar="FILE",
                    help='train across machines: a JSON file {"workers": ["host1:2222", "host2:2222"], "index": 0} '
                         "naming every machine (the chief, index 0, first) and this one; run the same command on "
                         "each (or set TF_CONFIG instead)")
    tr.add_argument("--max-files", type=int, help="use only the first N files (0 = all)" + span("max_files", RUN_RANGES["data"]))
    tr.add_argument("--parts", help="all (default: every part) | auto (the article's: piano parts if any) | piano | "
                                    "part indices like 0,2")
    tr.add_argument("--no-drums", dest="drums", action="store_false", default=None,
                    help="leave drum tracks out (by default they are kept as a drum part)")
    tr.add_argument("--val-fraction", type=float,
                    help=f"share of files held out (default {d.val_fraction})" + span("val_fraction", RUN_RANGES["data"]))
    tr.add_argument("--window", type=int,
                    help=f"tokens per training window (default {d.window})" + span("window", RUN_RANGES["data"]))
    tr.add_argument("--stride", type=int, help=f"step between windows (default {d.stride})" + span("stride", RUN_RANGES["data"]))
    tr.add_argument("--scheme", choices=["metre", "rich", "notes", "remi"],
                    help=f"tokens: metre (bars, beats, parts), rich (time shifts), notes (the article's), "
                         f"remi (MidiTok's, for comparison; needs miditok) (default {k.scheme})")
    tr.add_argument("--min-count", type=int,
                    help=f"notes scheme: drop rarer tokens (default {k.min_count})" + span("min_count", RUN_RANGES["tokenizer"]))
    tr.add_argument("--velocity-bins", type=int, help="metre and rich schemes: velocity tokens (0 = none)"
                                                       + span("velocity_bins", RUN_RANGES["tokenizer"]))
    tr.add_argument("--inputs", choices=["embedding", "scalar"], help="embedding (default) or the article's scalars")
    tr.add_argument("--targets", choices=["sequence", "last"], help="learn every position (default) or only the last")
    tr.add_argument("--dropout", type=float, help=f"default {m.dropout}" + span("dropout", RUN_RANGES["model"]))
    tr.add_argument("--dilation-depth", type=int, help=f"wavenet: dilations 1..2^(n-1) (default {m.dilation_depth})"
                                                        + span("dilation_depth", RUN_RANGES["model"]))
    tr.add_argument("--stacks", type=int, help=f"wavenet: repeats of the dilation cycle (default {m.stacks})"
                                                + span("stacks", RUN_RANGES["model"]))
    tr.add_argument("--residual-channels", type=int,
                    help=f"wavenet (default {m.residual_channels})" + span("residual_channels", RUN_RANGES["model"]))
    tr.add_argument("--lstm-units", type=int, help=f"lstm (default {m.lstm_units})" + span("lstm_units", RUN_RANGES["model"]))

    s = SampleConfig()
    ge = command("generate", "write new music with a trained run", cmd_generate)
    ge.add_argument("run", help="run folder")
    ge.add_argument("--out", default="generated.mid", help="MIDI file to write (default generated.mid)")
    ge.add_argument("--audio", help="also render audio: .ogg or .wav")
    ge.add_argument("--musicxml", help="also write the score as MusicXML")
    ge.add_argument("--length", type=int, default=s.length, help=f"tokens to generate (default {s.length})" + span('length'))
    ge.add_argument("--seconds", type=float, default=0.0, help="generate this many seconds of music instead" + span('seconds'))
    ge.add_argument("--temperature", type=float, default=s.temperature, help="0 = greedy argmax (the article)" + span('temperature'))
    ge.add_argument("--rhythm-temperature", type=float, default=s.rhythm_temperature,
                    help=f"temperature of the timing tokens (bar lines, positions, durations; default "
                         f"{s.rhythm_temperature:g}: the data's rhythm, while --temperature sets the pitches)"
                         + span('rhythm_temperature'))
    ge.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest tokens (0 = off)" + span('top_k'))
    ge.add_argument("--top-p", type=float, default=s.top_p, help=f"nucleus sampling threshold (default {s.top_p:g}; 1 = off)" + span('top_p'))
    ge.add_argument("--seed", type=int, help="same seed, same music")
    ge.add_argument("--variations", type=int, default=1, help="pieces to write in one batch" + span('variations'))
    ge.add_argument("--primer", default="random", help="random (a validation window) | none | a MIDI file to continue")
    ge.add_argument("--primer-tokens", type=int, default=s.primer_tokens, help="primer length in tokens" + span('primer_tokens'))
    ge.add_argument("--primer-bars", type=int, default=0,
                    help="primer length in whole bars (metre tokens), instead of --primer-tokens" + span('primer_bars'))
    ge.add_argument("--keep-primer", action=argparse.BooleanOptionalAction, default=s.keep_primer,
                    help="a continuation starts with your passage, so the join can be heard (default: on)")
    ge.add_argument("--tempo", type=float, default=0.0, help="BPM (default: the primer's, else the dataset's)" + span('tempo'))
    ge.add_argument("--bars", type=int, default=0, help="generate this many bars (metre tokens) instead of --length" + span('bars'))
    ge.add_argument("--time-signature", default="",
                    help="the metre of a piece started from nothing, e.g. 3/4 or 6/8 (metre tokens; default the dataset's)")
    steering = ge.add_argument_group("steering", "rules on every note the model chooses")
    steering.add_argument("--key", default="",
                          help="keep to a key: 'D minor', 'Bb major', 'F# dorian', … or 'auto' (the primer's key)")
    steering.add_argument("--key-strength", type=float, default=s.key_strength,
                          help=f"1 = strict (only the scale); below 1 an outside note is (1 - S) times as likely "
                               f"(default {s.key_strength:g})" + span('key_strength'))
    steering.add_argument("--pitch-range", default="", help="lowest-highest note, e.g. C3-C6 (middle C is C4)")
    steering.add_argument("--bar-echo", type=float, default=s.echo,
                          help="form: once a bar begins like an earlier bar, how strongly it goes on as its repeat "
                               f"(metre tokens; 0 = off; default {s.echo:g})" + span('echo'))
    steering.add_argument("--repetition-guard", choices=["on", "off"], default="on" if s.repetition_guard else "off",
                          help="no passage may loop: after the same 32 tokens the same next token at most 3 times "
                               "(default on; it keeps greedy decoding from collapsing)")
    ge.add_argument("--instrument", default=None,
                    help="play every part on one instrument: a General MIDI program 0-127 or a name such as violin "
                         "or 'church organ' (default: each part's own, as the music says)")

    ev = command("evaluate", "measure a run: held-out NLL, perplexity, accuracy; musical metrics, collapse and "
                 "memorisation of generated pieces (plain sampling: no steering rules, so the model itself)",
                 cmd_evaluate)
    ev.add_argument("run", help="run folder")
    ev.add_argument("--dataset", help="the music it was trained on, if not where the run says (re-splits by seed)")
    ev.add_argument("--pieces", type=int, default=8, help="pieces to generate and compare (default 8)")
    ev.add_argument("--length", type=int, default=400, help="tokens per generated piece (default 400)")
    ev.add_argument("--temperature", type=float, default=s.temperature, help="0 = greedy argmax (the article)")
    ev.add_argument("--top-p", type=float, default=s.top_p, help="nucleus sampling threshold (1 = off)")
    ev.add_argument("--seed", type=int, default=0)

    ins = command("inspect", "show a dataset's per-file report (files read, files skipped and why) and its "
                  "statistics (notes, minutes, pitch range, time signatures, tempo, parts per piece), without training",
                  cmd_inspect)
    ins.add_argument("dataset", help="built-in name (bach, folk, …), folder, file or .zip")
    ins.add_argument("--files", action="store_true", help="list every file, the parsed ones too (notes, seconds)")
    ins.add_argument("--parts", help="all (default) | auto | piano | part indices like 0,2 (as for train)")
    ins.add_argument("--no-drums", dest="drums", action="store_false", default=None, help="leave drum tracks out")
    ins.add_argument("--max-files", type=int, help="only the first N files (0 = all)" + span("max_files", RUN_RANGES["data"]))

    im = command("import", "unpack a run bundle .zip (the app's download) into a new run folder, checked first: "
                 "sizes, file names, its manifest's SHA-256 of each file, settings and weights", cmd_import)
    im.add_argument("bundle", metavar="BUNDLE.zip", help="the run bundle to import")
    im.add_argument("--runs", default="runs", help="folder the run goes into (default runs)")
    im.add_argument("--name", help="name of the new run folder (default: the bundle's; -2, -3… if taken)")

    re_ = command("render", "render a MIDI file to audio with FluidSynth", cmd_render)
    re_.add_argument("midi")
    re_.add_argument("--out", required=True, help=".ogg or .wav")
    re_.add_argument("--max-seconds", type=float, default=600.0,
                     help="render at most this much of the music (default 600); at least 1, and never more than "
                          "10 minutes of audio, however long the file claims to be")
    return p


def os_error_text(e: OSError) -> str:
    """'Cannot access runs/x: permission denied.' from any OSError, naming the file when it can."""
    reason = e.strerror or str(e) or type(e).__name__
    reason = reason[:1].lower() + reason[1:]
    names = [os.fsdecode(n) if isinstance(n, (str, bytes)) else str(n) for n in (e.filename, e.filename2) if n is not None]
    if not names:
        return f"{reason[:1].upper()}{reason[1:]}."
    verb = {errno.ENOENT: "find", errno.EROFS: "write", errno.ENOSPC: "write", errno.EDQUOT: "write"}.get(e.errno, "access")
    return f"Cannot {verb} {' or '.join(names)}: {reason}."


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        result = args.fn(args)
    except MusegenError as e:
        end_bar()
        say(f"musegen: {e}")
        return 1
    except KeyboardInterrupt:
        say("musegen: interrupted")
        return 130
    except Exception as e:  # anything else reaches the user as one line too; MUSEGEN_DEBUG=1 shows where
        if os.environ.get("MUSEGEN_DEBUG"):
            raise
        end_bar()
        if isinstance(e, OSError):  # permission denied, disk full, a folder where a file should be…
            say(f"musegen: {os_error_text(e)}")
        elif out_of_memory(e):  # TensorFlow's ResourceExhaustedError
            say(f"musegen: {OUT_OF_MEMORY}")
        else:
            text = " ".join(str(e).split())[:300]
            say(f"musegen: unexpected {type(e).__name__}{': ' + text if text else ''} (MUSEGEN_DEBUG=1 shows where)")
        return 1
    if args.json:
        print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
