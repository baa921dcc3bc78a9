"""`musegen generate` (new music with a trained run: MIDI, and MusicXML or audio as asked) and
`musegen render` (MIDI to audio)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..config import DataConfig, SampleConfig
from ..errors import InputError
from ..files import check_regular
from ..messages import msg
from .arguments import add_command, check_writable, span
from .terminal import import_tensorflow_quietly, say


def numbered(path: Path, i: int, n: int) -> Path:
    return path if n == 1 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")


def sample_config(args) -> SampleConfig:
    """The generation settings the flags give, checked: a setting out of range fails before the primer is read."""
    from ..render.midi import instrument_program

    sample = SampleConfig(length=args.length, seconds=args.seconds, temperature=args.temperature,
                          rhythm_temperature=args.rhythm_temperature, top_k=args.top_k,
                          top_p=args.top_p, seed=args.seed, variations=args.variations,
                          primer=args.primer if args.primer in ("random", "none") else "file",
                          primer_tokens=args.primer_tokens, primer_bars=args.primer_bars, keep_primer=args.keep_primer,
                          tempo=args.tempo, program=instrument_program(args.instrument) if args.instrument else None,
                          key=args.key, key_strength=args.key_strength, pitch_range=args.pitch_range,
                          repetition_guard=args.repetition_guard == "on", echo=args.bar_echo, bars=args.bars,
                          time_signature=args.time_signature, form=args.form, repeats=args.repeats,
                          phrase_bars=args.phrase_bars, chords=args.chords, chord_strength=args.chord_strength,
                          harmony=args.harmony, match_rhythm=args.match_rhythm)
    sample.check()
    return sample


def read_primer(args, run, sample: SampleConfig):
    """The piece to continue (--primer FILE), or None."""
    from ..music.sources import read_piece

    if sample.primer != "file":
        return None
    primer_path = Path(args.primer)
    if not primer_path.is_file():  # a misspelt "random" or path must not compose from nothing in silence
        raise InputError(msg("said.no_primer_file", path=str(primer_path)))
    # In a worker process, as uploads are: with the time and memory limits, never in this one.
    return read_piece(primer_path, run.config.data.parts, run.config.data.limits)


def write_pieces(args, composition) -> list[dict]:
    """Each piece's files (MIDI, and MusicXML and audio as asked), numbered when there are several."""
    from ..render.audio import render
    from ..render.midi import write_midi, write_musicxml

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
    return outputs


def cmd_generate(args) -> dict:
    from ..models.engine import WEIGHTS
    from ..runs.folder import Run
    from ..generate.sample import Composer

    run = Run.load(args.run)
    if not (run.path / WEIGHTS).is_file():
        import_tensorflow_quietly()  # a run saved before weights.npz: its weights come from model.keras
    for target in (args.out, args.musicxml, args.audio):
        if target:
            check_writable(Path(target))
    sample = sample_config(args)
    piece = read_primer(args, run, sample)
    composition = Composer(run).compose(sample, piece)  # NumPy only: no TensorFlow to import
    outputs = write_pieces(args, composition)
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
    from ..render.audio import MAX_RENDER_SECONDS, music_seconds, render
    from ..units import format_duration

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


def add_generate(sub) -> None:
    s = SampleConfig()
    ge = add_command(sub, "generate", "write new music with a trained run", cmd_generate)
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
    add_steering(ge, s)
    add_form(ge, s)
    ge.add_argument("--instrument", default=None,
                    help="play every part on one instrument: a General MIDI program 0-127 or a name such as violin "
                         "or 'church organ' (default: each part's own, as the music says)")


def add_steering(ge, s: SampleConfig) -> None:
    """generate's "steering" group: the rules on every note the model chooses."""
    steering = ge.add_argument_group("steering", "rules on every note the model chooses")
    steering.add_argument("--key", default="",
                          help="keep to a key: 'D minor', 'Bb major', 'F# dorian', … or 'auto' (the primer's key)")
    steering.add_argument("--key-strength", type=float, default=s.key_strength,
                          help=f"1 = strict (only the scale); below 1 an outside note is (1 - S) times as likely "
                               f"(default {s.key_strength:g})" + span('key_strength'))
    steering.add_argument("--pitch-range", default="", help="lowest-highest note, e.g. C3-C6 (middle C is C4)")
    add_chords(steering, s)
    add_rhythm(steering, s)
    steering.add_argument("--bar-echo", type=float, default=s.echo,
                          help="form: once a bar begins like an earlier bar, how strongly it goes on as its repeat; "
                               "a model that knows how often its music repeats a bar keeps its pieces near that share "
                               f"(metre tokens; 0 = off; default {s.echo:g})" + span('echo'))
    steering.add_argument("--repetition-guard", choices=["on", "off"], default="on" if s.repetition_guard else "off",
                          help="no passage may loop: after the same 32 tokens the same next token at most 3 times "
                               "(default on; it keeps greedy decoding from collapsing)")


def add_chords(group, s: SampleConfig) -> None:
    """--chords and --chord-strength (generate and accompany)."""
    group.add_argument("--chords", default=s.chords,
                       help="a chord progression to follow (metre tokens), e.g. 'C G Am F' (a chord a bar), "
                            "'Dm7 G7 | Cmaj7' (bars between |, chords in a bar share it), 'C:2 G:2' (beats), "
                            "'1 5 6m 4' or 'I V vi IV' (degrees of --key, else of the music's key, else C major); "
                            "it goes round again when the music is longer; with accompany, 'auto': the chords the "
                            "kept music suggests")
    group.add_argument("--chord-strength", type=float, default=s.chord_strength,
                       help="1 = only the chord's notes on the beat; below 1 a note outside it is (1 - S) times as "
                            f"likely there (default {s.chord_strength:g})" + span('chord_strength'))
    group.add_argument("--harmony", type=float, default=s.harmony,
                       help="chords on the beat without a progression: the notes that no triad or seventh chord "
                            "could hold together with what sounds on the beat get at most 1 - H of the probability "
                            "there (1 = never; 0 = the model's own harmony; default "
                            f"{s.harmony:g}; ignored with --chords)" + span('harmony'))


def add_rhythm(group, s: SampleConfig) -> None:
    """--match-rhythm (generate; accompany leaves it off: the given parts' rhythm is the piece's)."""
    group.add_argument("--match-rhythm", action=argparse.BooleanOptionalAction, default=s.match_rhythm,
                       help="rhythm like its music: keep the share of notes begun on a beat near the share in the "
                            "music the model learnt from (metre tokens; default: on where the run knows it)")


def add_form(ge, s: SampleConfig) -> None:
    """generate's "form" group: sections that come back."""
    from ..generate.form import FORMS, PHRASE_BARS, REPEATS

    form = ge.add_argument_group("form", "sections that come back (metre tokens)")
    form.add_argument("--form", default=s.form,
                      help=f"{', '.join(FORMS)}, any string of section letters (e.g. AABACA), or free (default: free, "
                           "the model's own); without --bars or --seconds the piece is one round of the form, "
                           "longer pieces go round it again; the last bar closes on the home chord")
    form.add_argument("--phrase-bars", type=int, choices=PHRASE_BARS, default=s.phrase_bars,
                      help=f"bars in each section (default {s.phrase_bars})")
    form.add_argument("--repeats", choices=list(REPEATS), default=s.repeats,
                      help="a section that comes back: exact (the same notes), or varied (its rhythm and "
                           f"contour, some notes changed; default {s.repeats})")


def add_render(sub) -> None:
    re_ = add_command(sub, "render", "render a MIDI file to audio with FluidSynth", cmd_render)
    re_.add_argument("midi")
    re_.add_argument("--out", required=True, help=".ogg or .wav")
    re_.add_argument("--max-seconds", type=float, default=600.0,
                     help="render at most this much of the music (default 600); at least 1, and never more than "
                          "10 minutes of audio, however long the file claims to be")
