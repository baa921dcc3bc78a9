"""`musegen accompany`: the model writes the other parts around parts of a piece you give it (a
melody harmonised, chords under a tune, a left hand under a right hand), or one part again."""
from __future__ import annotations

from pathlib import Path

from ..config import SampleConfig
from ..errors import InputError
from ..messages import msg
from .arguments import add_command, span
from .generate import add_chords, numbered
from .rewrite import run_and_piece
from .terminal import say


def part_numbers(text: str, flag: str) -> list[int]:
    """'1,3' or '1 3' → [0, 2] (parts count from 1 on the command line)."""
    words = [w for w in text.replace(",", " ").split() if w]
    if not words or not all(w.isdigit() and int(w) >= 1 for w in words):
        raise InputError(msg("said.bad_part_numbers", flag=flag, text=text))
    return [int(w) - 1 for w in words]


def cmd_accompany(args) -> dict:
    from ..generate.accompany import accompany
    from ..generate.sample import Composer
    from ..render.midi import write_midi

    sample = SampleConfig(temperature=args.temperature, top_p=args.top_p, seed=args.seed, key=args.key,
                          key_strength=args.key_strength, chords=args.chords, chord_strength=args.chord_strength,
                          harmony=args.harmony, variations=args.variations, tempo=args.tempo).check()
    if args.rewrite_part and (args.keep or args.as_parts):
        raise InputError(msg("said.rewrite_part_alone"))
    run, piece = run_and_piece(args)
    if args.rewrite_part:
        again = part_numbers(args.rewrite_part, "--rewrite-part")[0]
        keep = [k for k in range(len(piece.parts)) if k != again]
        into, n_parts = keep, len(piece.parts)
        if again >= len(piece.parts):
            raise InputError(msg("said.accompany_bad_part", count=len(piece.parts), parts=str(again + 1)))
    else:
        keep = part_numbers(args.keep or "1", "--keep")
        into = part_numbers(args.as_parts, "--as") if args.as_parts else None
        n_parts = args.parts
    composition = accompany(Composer(run), sample, piece, keep, into, n_parts, candidates=args.candidates)
    outputs = []
    for i, written in enumerate(composition.pieces):
        out = write_midi(written, numbered(Path(args.out), i, len(composition.pieces)))
        outputs.append(str(out))
        if not args.json:
            given = ", ".join(str(p + 1) for p in written.given_parts)
            say(f"{out}: {len(written.parts)} parts (given: {given}), {written.n_notes} notes, {written.seconds:.1f} s")
    for remark in composition.remarks:
        say(f"note: {remark}")
    return {"out": outputs, "given_parts": [p + 1 for p in composition.pieces[0].given_parts],
            "parts": len(composition.pieces[0].parts), "seed": composition.seed,
            "steering": [str(m) for m in composition.steering]}


def add_accompany(sub) -> None:
    from ..generate.accompany import ACCOMPANY_KEY, ACCOMPANY_TOP_P, CANDIDATES

    s = SampleConfig()
    ac = add_command(sub, "accompany", "write the other parts around parts you give (a melody harmonised, "
                                       "chords under a tune), or one part of a piece again", cmd_accompany)
    ac.add_argument("run", help="run folder (or a bundled model's folder)")
    ac.add_argument("piece", help="the music to keep: MIDI, MusicXML, ABC… (a kept piece, or your own)")
    ac.add_argument("--keep", default="",
                    help="the piece's parts to keep, counted from 1, e.g. 1 or 1,2 (default 1: the top part)")
    ac.add_argument("--as", dest="as_parts", default="",
                    help="which of the model's parts the kept parts play, counted from 1 from the top "
                         "(default: the top ones, in order; e.g. --keep 2 --as 4 gives a bass line to a chorale model)")
    ac.add_argument("--parts", type=int, default=0,
                    help="parts in the result, the kept ones included (default: the run's usual line-up, "
                         "or one more than the kept parts)")
    ac.add_argument("--rewrite-part", default="",
                    help="write this part of the piece again (counted from 1), keeping every other part as it is")
    add_chords(ac, s)
    ac.add_argument("--out", default="accompanied.mid", help="MIDI file to write (default accompanied.mid)")
    ac.add_argument("--candidates", type=int, default=CANDIDATES, choices=range(1, 17), metavar="N",
                    help="versions drawn for each piece; the one under which the kept music sounds most likely "
                         f"(it fits what comes next) is kept (1-16, default {CANDIDATES})")
    ac.add_argument("--variations", type=int, default=1, help="pieces to write" + span('variations'))
    ac.add_argument("--temperature", type=float, default=s.temperature, help="0 = greedy argmax" + span('temperature'))
    ac.add_argument("--top-p", type=float, default=ACCOMPANY_TOP_P,
                    help=f"nucleus sampling threshold (default {ACCOMPANY_TOP_P:g}, measured in docs/accompany.md)"
                         + span('top_p'))
    ac.add_argument("--key", default=ACCOMPANY_KEY,
                    help="keep the new parts to a key: 'D minor', … , 'auto' (the kept parts' key, the default) "
                         "or '' (free)")
    ac.add_argument("--key-strength", type=float, default=s.key_strength,
                    help=f"1 = strict; below 1 an outside note is (1 - S) times as likely (default {s.key_strength:g})"
                         + span('key_strength'))
    ac.add_argument("--tempo", type=float, default=0.0, help="beats per minute (default: the piece's)" + span('tempo'))
    ac.add_argument("--seed", type=int, help="same seed, same parts")
