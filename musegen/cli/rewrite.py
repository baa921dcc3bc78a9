"""`musegen rewrite`: write a span of bars of a piece again, keeping the bars around it; `musegen
extend`: one more section of a piece written in a form."""
from __future__ import annotations

from pathlib import Path

from ..config import SampleConfig
from ..errors import InputError
from ..messages import msg
from .arguments import add_command, check_writable, span
from .terminal import import_tensorflow_quietly, say


def run_and_piece(args):
    """The run (its weights ready) and the piece a command works on: a place it cannot write, or a
    piece that is not there, fails before the music is read; the piece is read in a worker, with
    the run's limits, as uploads are."""
    from ..models.engine import WEIGHTS
    from ..music.sources import read_piece
    from ..runs.folder import Run

    run = Run.load(args.run)
    if not (run.path / WEIGHTS).is_file():
        import_tensorflow_quietly()  # a run saved before weights.npz: its weights come from model.keras
    check_writable(Path(args.out))
    if not Path(args.piece).is_file():
        raise InputError(msg("said.no_primer_file", path=str(args.piece)))
    return run, read_piece(Path(args.piece), run.config.data.parts, run.config.data.limits)


def cmd_rewrite(args) -> dict:
    from ..generate.sample import Composer
    from ..generate.span import parse_span, rewrite_span
    from ..render.midi import write_midi

    first, last = parse_span(args.bars)  # a typo fails before anything is read
    sample = SampleConfig(temperature=args.temperature, top_p=args.top_p, seed=args.seed, key=args.key).check()
    run, piece = run_and_piece(args)
    rewrite = rewrite_span(Composer(run), piece, first, last, sample, candidates=args.candidates)
    out = write_midi(rewrite.piece, Path(args.out))
    lo, hi = rewrite.span_quarters
    if not args.json:
        say(f"{out}: bars {first}-{last} written again (quarters {lo:g}-{hi:g}); the kept bars after them "
            f"score {rewrite.follow_scores[rewrite.chosen]:.2f} (log-probability per token) against "
            f"{rewrite.original_score:.2f} after the original bars, best of {len(rewrite.follow_scores)} candidates")
    return {"out": str(out), "bars": [first, last], "span_quarters": [lo, hi],
            "follow_score": rewrite.follow_scores[rewrite.chosen], "original_score": rewrite.original_score,
            "candidates": len(rewrite.follow_scores)}


def cmd_extend(args) -> dict:
    from ..generate.sample import Composer
    from ..generate.span import append_section
    from ..render.midi import write_midi

    SampleConfig(form=args.form, phrase_bars=args.phrase_bars, repeats=args.repeats).check()  # a typo fails first
    sample = SampleConfig(temperature=args.temperature, top_p=args.top_p, seed=args.seed).check()
    run, piece = run_and_piece(args)
    # The section's plan comes from --form; the sampling settings carry none of their own.
    longer = append_section(Composer(run), piece, args.form, args.phrase_bars, args.section, sample,
                            repeats=args.repeats)
    out = write_midi(longer, Path(args.out))
    if not args.json:
        say(f"{out}: one more section {args.section.upper()}, from quarter {longer.rewritten[0]:g} "
            f"({longer.seconds:.1f} s in all)")
    return {"out": str(out), "section": args.section.upper(), "new_from_quarters": longer.rewritten[0],
            "seconds": round(longer.seconds, 2)}


def add_extend(sub) -> None:
    from ..generate.form import PHRASE_BARS, REPEATS

    s = SampleConfig()
    ex = add_command(sub, "extend", "one more section of a piece written in a form (one more chorus)", cmd_extend)
    ex.add_argument("run", help="run folder (or a bundled model's folder)")
    ex.add_argument("piece", help="the piece, written in --form (e.g. by musegen generate --form AABA)")
    ex.add_argument("--form", required=True, help="the piece's form: AABA, ABAB, AABB, verse/chorus or letters")
    ex.add_argument("--section", required=True, help="the section to come back once more, e.g. A (or B, the chorus)")
    ex.add_argument("--phrase-bars", type=int, choices=PHRASE_BARS, default=s.phrase_bars,
                    help=f"bars in each section of the piece (default {s.phrase_bars})")
    ex.add_argument("--repeats", choices=list(REPEATS), default=s.repeats,
                    help=f"the new section exact or varied (default {s.repeats})")
    ex.add_argument("--out", default="extended.mid", help="MIDI file to write (default extended.mid)")
    ex.add_argument("--temperature", type=float, default=s.temperature, help="0 = greedy argmax" + span('temperature'))
    ex.add_argument("--top-p", type=float, default=s.top_p, help=f"nucleus sampling threshold (default {s.top_p:g})"
                    + span('top_p'))
    ex.add_argument("--seed", type=int, help="same seed, same section")


def add_rewrite(sub) -> None:
    from ..generate.span import CANDIDATES

    s = SampleConfig()
    rw = add_command(sub, "rewrite", "write some bars of a piece again, keeping the rest", cmd_rewrite)
    rw.add_argument("run", help="run folder (or a bundled model's folder)")
    rw.add_argument("piece", help="the piece: MIDI, MusicXML, ABC… (a kept piece, or your own)")
    rw.add_argument("--bars", required=True,
                    help="the bars to write again, counted from 1, e.g. 9-12 (the others are kept as they are)")
    rw.add_argument("--out", default="rewritten.mid", help="MIDI file to write (default rewritten.mid)")
    rw.add_argument("--candidates", type=int, default=CANDIDATES, choices=range(1, 33), metavar="N",
                    help=f"new versions drawn; the one that leads best into the kept bars after them is kept "
                         f"(1-32, default {CANDIDATES})")
    rw.add_argument("--temperature", type=float, default=s.temperature, help="0 = greedy argmax" + span('temperature'))
    rw.add_argument("--top-p", type=float, default=s.top_p, help=f"nucleus sampling threshold (default {s.top_p:g})"
                    + span('top_p'))
    rw.add_argument("--seed", type=int, help="same seed, same bars")
    rw.add_argument("--key", default="", help="keep the new bars to a key: 'D minor', … or 'auto' (the piece's)")
