"""The `musegen` command: datasets, inspect, train, generate, evaluate, render, import.

    datasets   the built-in datasets
    inspect    a dataset's per-file report (what was read, what was skipped and why) and its
               statistics (notes, minutes, pitch range, time signatures, tempo, parts), no training
    train      train a model into a run folder (skipped files are listed with their reasons)
    generate   write new music with a run
    rewrite    write some bars of a piece again; extend: one more section
    accompany  write the other parts around parts you give, or one part again
    evaluate   measure a run
    render     MIDI to audio
    import     unpack a run bundle .zip (as the app's download makes it) into a new run folder

Long work shows a progress bar on stderr; --json prints a one-line summary on stdout; an error is
one line on stderr and a non-zero exit.

One module per group of commands, each with its command's parser next to it: `data` (datasets,
inspect), `train`, `generate` (generate, render), `rewrite` (rewrite, extend),
`accompany`, `evaluate`, `runs` (import); `terminal` and
`arguments` are what they share.
"""
from __future__ import annotations

import argparse
import json
import os

from ..errors import OUT_OF_MEMORY, MusegenError, out_of_memory
from .accompany import add_accompany
from .data import add_datasets, add_inspect
from .evaluate import add_evaluate
from .generate import add_generate, add_render
from .rewrite import add_extend, add_rewrite
from .runs import add_import
from .terminal import end_bar, os_error_text, say
from .train import add_train


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="musegen", description="Train a WaveNet or an LSTM on MIDI music and generate new pieces.")
    sub = p.add_subparsers(dest="command", required=True)
    for add in (add_datasets, add_train, add_generate, add_rewrite, add_extend, add_accompany, add_evaluate,
                add_inspect, add_import, add_render):
        add(sub)  # in this order in --help
    return p


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
