"""`musegen train`: a model trained into a run folder, from flags or a RunConfig file, fresh, resumed
or fine-tuned from another run, on one machine or several."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..config import RUN_RANGES, DataConfig, ModelConfig, RunConfig, TokenizerConfig, TrainConfig, replace
from ..errors import InputError
from ..messages import msg
from .arguments import add_command, check_writable, span
from .data import report_rows, say_files
from .terminal import bar, end_bar, files_bar, import_tensorflow_quietly, say


def article_preset(config: RunConfig) -> RunConfig:
    """The article's set-up: notes/chords tokens, 32-step windows, scalar inputs, last-step target."""
    config.tokenizer = replace(config.tokenizer, scheme="notes")
    config.data = replace(config.data, window=32, stride=1, parts="auto")  # auto: its piano-part choice
    config.model = replace(config.model, inputs="scalar", targets="last", dropout=0.0)
    return config


MODEL_FLAGS = ("article", "scheme", "min_count", "velocity_bins", "model", "dilation_depth", "stacks",
               "residual_channels", "lstm_units", "inputs", "targets", "dropout")


MAX_CONFIG_BYTES = 1_000_000  # a RunConfig JSON is a few kB
RUNS = Path("runs")  # where a run goes without --out: beside the person, as the app's runs/ in the project


def read_config(path: str) -> RunConfig:
    from ..files import read_regular

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
        from ..train.finetune import FINE_TUNE_LEARNING_RATE

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
        from ..models.build import check_size

        check_size(config.model, 0, config.data.window)
    return config


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


def run_folder(args, config: RunConfig, cluster) -> Path:
    """Where the run goes (--out, or ``default_out``), checked before any music is read. A resumed
    run keeps its own music and split: `config.data` becomes the run's."""
    from ..runs.folder import Run
    from ..train.distribute import interrupted

    out = Path(args.out) if args.out else default_out(config, args.base)
    if args.resume:
        config.data = Run.load(out).config.data  # a resumed run keeps its own music and split
    elif (out / "model.keras").exists() and cluster.chief and not (cluster.distributed and interrupted(out)):
        raise InputError(msg("said.run_exists", out=str(out)))
    if cluster.chief:  # the others write only a temporary folder
        check_writable(out, folder=out)
    return out


def default_out(config: RunConfig, base: str | None) -> Path:
    """runs/wavenet-on-bach-2026-12-06-09h14 (or base-tuned-on-jigs-…): named as the app names a
    visitor's run, never like a bundled one ("bach-wavenet"); numbered when this minute's is taken."""
    from ..studio.run_library import new_run_name

    name = new_run_name(Path(config.data.dataset).name, config.model.kind, base=base or "")
    out, n = RUNS / name, 1
    while out.exists():
        n += 1
        out = RUNS / f"{name}-{n}"
    return out


def warn_new_layout(base: str, pieces) -> None:
    """A base that never learnt this music's number of parts may end worse than a new model: say so."""
    from ..train.finetune import find_base, start_fit

    fit = start_fit(find_base(base), pieces.pieces)
    if fit["code"] == "new_layout":
        parts = "part" if fit["seen"] == [1] else "parts"
        say(f"Warning: {base} has only learnt music in {', '.join(map(str, fit['seen']))} {parts}, and most of "
            f"these pieces have {fit['parts']}: its guesses for the other parts start from nothing, so it may end "
            "worse than a new model. --from base knows every layout.")


def cmd_train(args) -> dict:
    from ..music.sources import load_pieces
    from ..train.distribute import cluster_from_env, tf_config_from_file
    from ..train.finetune import find_base
    from ..train.fit import train

    config = train_config(args)
    if args.cluster:
        os.environ["TF_CONFIG"] = tf_config_from_file(args.cluster)  # read by train(), before TensorFlow starts
    cluster = cluster_from_env()
    if args.base:
        find_base(args.base)  # a missing or damaged base fails before the music is read
    out = run_folder(args, config, cluster)
    # Bad input fails here, before TensorFlow loads.
    pieces = load_pieces(config.data.dataset, config.data, progress=files_bar())
    end_bar()
    if not args.json:
        say_files(pieces)
    if args.base and not args.json:
        warn_new_layout(args.base, pieces)
    import_tensorflow_quietly()
    run = train(config, out, pieces=pieces, progress=training_printer(args.json), resume=args.resume)
    if run is None:
        if not args.json:
            say(f"Worker {cluster.index} of {len(cluster.workers)} done: the chief ({cluster.workers[0]}) saved the run.")
        return {"run": None, "worker": cluster.index, "workers": len(cluster.workers)}
    if not args.json:
        say_trained(run, config)
    return trained_result(run, pieces)


def say_trained(run, config: RunConfig) -> None:
    """The run saved: its tokens, size, best loss, time, context and how training ended (stderr)."""
    s = run.summary
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


def trained_result(run, pieces) -> dict:
    """train --json's summary."""
    s = run.summary
    return {"run": str(run.path), "val_loss": s["val_loss"], "val_accuracy": s["val_accuracy"],
            "params": s["params"], "seconds": round(s["seconds"], 2), "epochs": s["epochs"],
            "best_epoch": s["best_epoch"], "receptive_field": s["receptive_field"], "stopped": s["stopped"],
            "stop_reason": s["stop_reason"], "base": s.get("base"),
            "start_val_loss": s.get("start_val_loss"), "chance_loss": s.get("chance_loss"),
            "context_tokens": s.get("context_tokens"), "context_bars": s.get("context_bars"),
            "files": pieces.summary(), "report": report_rows(pieces)}


# train's flags, in the order --help lists them: the run, training, the music, tokens, the model.

def add_train(sub) -> None:
    tr = add_command(sub, "train", "train a model and save it as a run folder", cmd_train)
    add_run_flags(tr)
    add_training_flags(tr)
    add_music_flags(tr)
    add_token_flags(tr)
    add_model_flags(tr)


def add_run_flags(tr) -> None:
    d, m = DataConfig(), ModelConfig()
    tr.add_argument("--dataset", help=f"built-in name, folder, file or .zip (default {d.dataset})")
    tr.add_argument("--model", choices=["wavenet", "simple-wavenet", "lstm"], help=f"default {m.kind}")
    tr.add_argument("--out", help="run folder (default runs/<model>-on-<music>-<date>, or with --from "
                                  "runs/<base>-tuned-on-<music>-<date>: named as the app names runs)")
    tr.add_argument("--config", help="a RunConfig JSON file to start from")
    tr.add_argument("--article", action="store_true", help="the article's set-up: notes tokens, 32-step windows, scalar inputs, last-step target")
    tr.add_argument("--resume", action="store_true", help="continue the run in --out for --epochs more")
    tr.add_argument("--from", dest="base", metavar="RUN",
                    help="fine-tune: start from this run's weights (a run folder or a bundled model such as "
                         "bach-wavenet), keeping its tokens and model; --lr defaults to 3e-4")


def add_training_flags(tr) -> None:
    t = TrainConfig()
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


def add_music_flags(tr) -> None:
    d = DataConfig()
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


def add_token_flags(tr) -> None:
    k = TokenizerConfig()
    tr.add_argument("--scheme", choices=["metre", "rich", "notes", "remi"],
                    help=f"tokens: metre (bars, beats, parts), rich (time shifts), notes (the article's), "
                         f"remi (MidiTok's, for comparison; needs miditok) (default {k.scheme})")
    tr.add_argument("--min-count", type=int,
                    help=f"notes scheme: drop rarer tokens (default {k.min_count})" + span("min_count", RUN_RANGES["tokenizer"]))
    tr.add_argument("--velocity-bins", type=int, help="metre and rich schemes: velocity tokens (0 = none)"
                                                       + span("velocity_bins", RUN_RANGES["tokenizer"]))


def add_model_flags(tr) -> None:
    m = ModelConfig()
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
