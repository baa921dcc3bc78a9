"""`musegen evaluate`: a run measured on its held-out music, and pieces it generates compared with
the real ones."""
from __future__ import annotations

from ..config import SampleConfig, replace
from .arguments import add_command
from .data import report_rows, say_files
from .terminal import say


def cmd_evaluate(args) -> dict:
    from ..evaluate.run_report import check_evaluate, evaluate
    from ..runs.folder import Run
    from ..music.sources import load_pieces

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
        say_evaluation(run, result)
    return {**result, "files": loaded.summary(), "report": report_rows(loaded)}


def say_evaluation(run, result: dict) -> None:
    """The measures, a few lines on stderr."""
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


def _share(value) -> str:
    return "–" if value is None or value != value else f"{value:.2f}"


def add_evaluate(sub) -> None:
    s = SampleConfig()
    ev = add_command(sub, "evaluate", "measure a run: held-out NLL, perplexity, accuracy; musical metrics, collapse and "
                     "memorisation of generated pieces (plain sampling: no steering rules, so the model itself)",
                     cmd_evaluate)
    ev.add_argument("run", help="run folder")
    ev.add_argument("--dataset", help="the music it was trained on, if not where the run says (re-splits by seed)")
    ev.add_argument("--pieces", type=int, default=8, help="pieces to generate and compare (default 8)")
    ev.add_argument("--length", type=int, default=400, help="tokens per generated piece (default 400)")
    ev.add_argument("--temperature", type=float, default=s.temperature, help="0 = greedy argmax (the article)")
    ev.add_argument("--top-p", type=float, default=s.top_p, help="nucleus sampling threshold (1 = off)")
    ev.add_argument("--seed", type=int, default=0)
